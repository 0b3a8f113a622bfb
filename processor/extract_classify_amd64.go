package processor

import "golang.org/x/sys/cpu"

// hasAVX512 says whether this CPU (and OS) runs classifyAVX512: it needs
// AVX-512 F and BW; hasAVX2 the same for classifyAVX2.
var (
	hasAVX512 = cpu.X86.HasAVX512F && cpu.X86.HasAVX512BW
	hasAVX2   = cpu.X86.HasAVX2
)

// classifyBlocks fills masks, one per 64-byte block of line: with
// classifyAVX512 or classifyAVX2 where the CPU has it, else with
// classifySWAR.
func classifyBlocks(line []byte, masks []blockMasks) {
	switch {
	case hasAVX512:
		classifyWith(true, line, masks)
	case hasAVX2:
		classifyWith(false, line, masks)
	default:
		classifySWAR(line, masks)
	}
}

// classifyWith runs an assembly classifier (classifyAVX512 if avx512, else
// classifyAVX2) over the whole blocks of line, then over its padded last
// block. (A flag rather than a func value, which would move the padded
// block to the heap.)
func classifyWith(avx512 bool, line []byte, masks []blockMasks) {
	full := len(line) >> 6
	if full > 0 {
		classifyAsm(avx512, &line[0], full, &masks[0])
	}
	if full < len(masks) {
		pad := lastBlock(line)
		classifyAsm(avx512, &pad[0], 1, &masks[full])
	}
}

// classifyAsm calls classifyAVX512 or classifyAVX2.
func classifyAsm(avx512 bool, line *byte, nblocks int, masks *blockMasks) {
	if avx512 {
		classifyAVX512(line, nblocks, masks)
	} else {
		classifyAVX2(line, nblocks, masks)
	}
}

// classifyAVX2 is classifyAVX512 for CPUs with AVX2 only.
//
//go:noescape
func classifyAVX2(line *byte, nblocks int, masks *blockMasks)

// classifyAVX512 classifies the nblocks 64-byte blocks at line into masks.
//
//go:noescape
func classifyAVX512(line *byte, nblocks int, masks *blockMasks)
