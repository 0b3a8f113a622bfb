package processor

import "encoding/binary"

// Byte classification for stage 1: one bit a byte for each class the later
// bit arithmetic needs. classifyBlocks picks the AVX-512 classifier where the
// CPU has it (extract_classify_amd64.go) and classifySWAR everywhere else.

// blockMasks is the classification of one 64-byte block of a line, one bit a
// byte, byte 0 lowest.
type blockMasks struct {
	quote, backslash uint64 // '"' and '\\'
	ctl              uint64 // bytes below 0x20
	bracket          uint64 // { } [ ]
	sep              uint64 // : ,
	delim            uint64 // brackets, separators and JSON whitespace: they end a scalar
	digit, zero      uint64 // '0'..'9', and '0' alone
	minus, plus, dot uint64 // '-', '+', '.'
	expo             uint64 // 'e' or 'E'
}

const (
	swarLow7 = 0x7f7f7f7f7f7f7f7f
	swarHigh = 0x8080808080808080
	swarOnes = 0x0101010101010101
	// swarGather moves the bits at 7, 15, ..., 63 to bits 56..63.
	swarGather = 0x0002040810204081
)

// lastBlock returns the last, partial 64-byte block of line, padded with
// spaces (whitespace: no token, no string, no scalar); len(line)%64 != 0.
func lastBlock(line []byte) (pad [64]byte) {
	pad = spaceBlock
	copy(pad[:], line[len(line)&^63:])
	return pad
}

// spaceBlock is 64 spaces; read-only.
var spaceBlock = func() (b [64]byte) {
	for i := range b {
		b[i] = ' '
	}
	return b
}()

// classifySWAR fills masks, one per 64-byte block of line, eight bytes at a
// time with integer arithmetic: the portable classifier.
func classifySWAR(line []byte, masks []blockMasks) {
	for k := range masks {
		var b *[64]byte
		if i := k << 6; i+64 <= len(line) {
			b = (*[64]byte)(line[i : i+64])
		} else {
			pad := lastBlock(line)
			b = &pad
		}
		var m blockMasks
		for j := 0; j < 64; j += 8 {
			c := classifyWord(binary.LittleEndian.Uint64(b[j:]))
			m.quote |= c.quote << j
			m.backslash |= c.backslash << j
			m.ctl |= c.ctl << j
			m.bracket |= c.bracket << j
			m.sep |= c.sep << j
			m.delim |= c.delim << j
			m.digit |= c.digit << j
			m.zero |= c.zero << j
			m.minus |= c.minus << j
			m.plus |= c.plus << j
			m.dot |= c.dot << j
			m.expo |= c.expo << j
		}
		masks[k] = m
	}
}

// classifyWord classifies the eight bytes of w; the masks it returns hold
// eight bits each. Exact: every per-byte sum stays below 0x100, so no carry
// crosses a byte.
func classifyWord(w uint64) (m blockMasks) {
	w7 := w & swarLow7
	// eq returns the high bit of each byte equal to c: (b^c)+0x7f has its
	// high bit set iff b != c for an ASCII byte; or-ing w covers the others.
	eq := func(c uint64) uint64 { return ^((w7 ^ c*swarOnes) + swarLow7 | w) & swarHigh }
	gather := func(h uint64) uint64 { return h * swarGather >> 56 }
	bracket := eq('{') | eq('}') | eq('[') | eq(']')
	sep := eq(':') | eq(',')
	digit := ^nonDigits(w) & swarHigh
	expo := ^((w7 | 0x20*swarOnes ^ 'e'*swarOnes) + swarLow7 | w) & swarHigh
	return blockMasks{
		quote:     gather(eq('"')),
		backslash: gather(eq('\\')),
		ctl:       gather(^(w7 + 0x60*swarOnes | w) & swarHigh),
		bracket:   gather(bracket),
		sep:       gather(sep),
		delim:     gather(bracket | sep | eq(' ') | eq('\t') | eq('\n') | eq('\r')),
		digit:     gather(digit),
		zero:      gather(eq('0')),
		minus:     gather(eq('-')),
		plus:      gather(eq('+')),
		dot:       gather(eq('.')),
		expo:      gather(expo),
	}
}

// nonDigits returns the high bit of each byte of w that is not an ASCII digit.
func nonDigits(w uint64) uint64 {
	// A byte of nd is zero iff it is a digit: high nibble 3, low nibble below
	// 10 (so that adding 6 does not reach 0x10).
	nd := (w&0xf0f0f0f0f0f0f0f0 ^ 0x3030303030303030) | (w&0x0f0f0f0f0f0f0f0f+0x0606060606060606)&0x1010101010101010
	return ((nd & swarLow7) + swarLow7 | nd) & swarHigh
}
