//go:build goexperiment.simd && amd64

package processor

import "simd/archsimd"

// With GOEXPERIMENT=simd on amd64, stage 1 classifies a 64-byte block with
// three vector compares instead of about two hundred integer instructions.
// archsimd is experimental: the portable classifySWAR stays the fallback, and
// the tests run both.

// simdClassify says whether this CPU runs classifySIMD: it needs AVX-512 (BW)
// or AVX2. Set once at start-up from the CPU's features.
var simdClassify = archsimd.X86.AVX512() || archsimd.X86.AVX2()

// simdWide says whether classifySIMD uses 64-byte (AVX-512) vectors rather
// than two 32-byte (AVX2) ones.
var simdWide = archsimd.X86.AVX512()

// classifySIMD fills masks (one per 64-byte block of line) with vector
// compares; the CPU must have AVX2 or AVX-512 (simdClassify).
func classifySIMD(line []byte, masks []blockMasks) {
	if simdWide {
		classifyAVX512(line, masks)
	} else {
		classifyAVX2(line, masks)
	}
}

func classifyAVX512(line []byte, masks []blockMasks) {
	quote := archsimd.BroadcastUint8x64('"')
	backslash := archsimd.BroadcastUint8x64('\\')
	space := archsimd.BroadcastUint8x64(' ')
	for k := range masks {
		var v archsimd.Uint8x64
		if i := k << 6; i+64 <= len(line) {
			v = archsimd.LoadUint8x64((*[64]uint8)(line[i : i+64]))
		} else {
			pad := lastBlock(line)
			v = archsimd.LoadUint8x64(&pad)
		}
		masks[k] = blockMasks{
			quote:     v.Equal(quote).ToBits(),
			backslash: v.Equal(backslash).ToBits(),
			ctl:       v.Less(space).ToBits(),
		}
	}
}

func classifyAVX2(line []byte, masks []blockMasks) {
	quote := archsimd.BroadcastUint8x32('"')
	backslash := archsimd.BroadcastUint8x32('\\')
	space := archsimd.BroadcastUint8x32(' ')
	for k := range masks {
		var b *[64]byte
		if i := k << 6; i+64 <= len(line) {
			b = (*[64]byte)(line[i : i+64])
		} else {
			pad := lastBlock(line)
			b = &pad
		}
		lo := archsimd.LoadUint8x32((*[32]uint8)(b[:32]))
		hi := archsimd.LoadUint8x32((*[32]uint8)(b[32:]))
		masks[k] = blockMasks{
			quote:     uint64(lo.Equal(quote).ToBits()) | uint64(hi.Equal(quote).ToBits())<<32,
			backslash: uint64(lo.Equal(backslash).ToBits()) | uint64(hi.Equal(backslash).ToBits())<<32,
			ctl:       uint64(lo.Less(space).ToBits()) | uint64(hi.Less(space).ToBits())<<32,
		}
	}
}
