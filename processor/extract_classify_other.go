//go:build !amd64

package processor

// classifyBlocks fills masks, one per 64-byte block of line: this build has
// only the portable classifier.
func classifyBlocks(line []byte, masks []blockMasks) { classifySWAR(line, masks) }
