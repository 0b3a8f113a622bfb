package processor

import "golang.org/x/sys/cpu"

// hasAVX512 says whether this CPU (and OS) runs classifyAVX512: it needs
// AVX-512 F and BW.
var hasAVX512 = cpu.X86.HasAVX512F && cpu.X86.HasAVX512BW

// classifyBlocks fills masks, one per 64-byte block of line: with
// classifyAVX512 where the CPU has it, else with classifySWAR.
func classifyBlocks(line []byte, masks []blockMasks) {
	if !hasAVX512 {
		classifySWAR(line, masks)
		return
	}
	full := len(line) >> 6
	if full > 0 {
		classifyAVX512(&line[0], full, &masks[0])
	}
	if full < len(masks) {
		pad := lastBlock(line)
		classifyAVX512(&pad[0], 1, &masks[full])
	}
}

// classifyAVX512 classifies the nblocks 64-byte blocks at line into masks.
//
//go:noescape
func classifyAVX512(line *byte, nblocks int, masks *blockMasks)
