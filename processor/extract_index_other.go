//go:build !amd64

package processor

// hasIndexAVX512 is false: this build has no assembly stage 1.
const hasIndexAVX512 = false

// indexAVX512 is never called in this build.
func (x *Extractor) indexAVX512(line []byte) int { return x.indexGo(line) }
