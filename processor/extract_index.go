package processor

import (
	"encoding/binary"
	"math/bits"
)

// Stage 1 of the extractor: one pass over the whole line, 64 bytes at a time
// and, for most blocks, without data-dependent branches. It classifies each
// block (classifySWAR: eight bytes at a time with integer arithmetic, or
// classifySIMD where built with GOEXPERIMENT=simd), finds the escaped bytes,
// lists the positions of the quotes that delimit strings, and checks every
// escape sequence and that no string holds a control byte. Stage 2
// (extract_walk.go) then jumps from each opening quote to its closing one: the
// roughly 170 escapes of a challenge frame cost no branch.

const (
	swarLow7 = 0x7f7f7f7f7f7f7f7f
	swarHigh = 0x8080808080808080
	swarOnes = 0x0101010101010101
	// swarGather moves the bits at 7, 15, ..., 63 to bits 56..63 (see classifyWord).
	swarGather = 0x0002040810204081
	// oddBits marks the odd positions of a 64-bit mask (simdjson's ODD_BITS).
	oddBits = 0xaaaaaaaaaaaaaaaa
)

// classifyWord returns, as 8-bit masks with byte 0 lowest, the bytes of w that
// are NOT '"' and NOT '\\', and a word whose byte high bits are clear exactly
// at the bytes below 0x20. Exact: no borrow or carry crosses a byte, since each
// per-byte sum stays below 0x100. The inverted polarity saves an instruction a
// class; the caller inverts once per block.
func classifyWord(w uint64) (notQuote, notBackslash, notCtl uint64) {
	w7 := w & swarLow7
	// For an ASCII byte c, (c^k)+0x7f has its high bit set iff c != k; or-ing
	// w sets it for every non-ASCII byte.
	notQuote = ((w7 ^ 0x22*swarOnes) + swarLow7 | w) & swarHigh
	notBackslash = ((w7 ^ 0x5c*swarOnes) + swarLow7 | w) & swarHigh
	notCtl = w7 + 0x60*swarOnes | w
	// Multiplying gathers the eight high bits into the top byte.
	return notQuote * swarGather >> 56, notBackslash * swarGather >> 56, notCtl
}

// escapedBytes returns the bytes of a 64-byte block that follow an escaping
// backslash, given its backslash mask; carry says whether the first byte is
// escaped by the previous block and is updated for the next one. An odd run of
// backslashes escapes the byte after it, an even run does not. This is
// simdjson's branchless way to tell them apart (its json_escape_scanner):
// subtracting the first backslash of each run from the odd bits borrows
// through the run and leaves the parity of its length at its end.
// TestEscapedBytes checks it against a plain scan.
func escapedBytes(backslash uint64, carry *uint64) uint64 {
	// No shortcut for blocks without backslashes: the branch would
	// mispredict, and the arithmetic gives carry for them anyway.
	potential := backslash &^ *carry
	code := ((potential << 1) | oddBits) - potential
	code ^= oddBits
	e := code ^ (backslash | *carry)
	*carry = (code & backslash) >> 63
	return e
}

// Escape classes: what may follow a backslash. '"' and '\\' never reach the
// table (stage 1 already knows those bytes); 'u' needs four hex digits. The
// values are bits: classes of several escapes are or-ed together.
const (
	escapeGood = 0
	escapeBad  = 1
	escapeU    = 2
)

var escapeClass = func() (t [256]uint8) {
	for c := range t {
		t[c] = escapeBad
	}
	for _, c := range []byte(`"\/bfnrt`) {
		t[c] = escapeGood
	}
	t['u'] = escapeU
	return t
}()

// isHexDigit reports whether c is an ASCII hex digit.
func isHexDigit(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c|0x20 && c|0x20 <= 'f'
}

// validUnicodeEscape reports whether line[j] ('u') is followed by four hex digits.
func validUnicodeEscape(line []byte, j int) bool {
	if j+4 >= len(line) {
		return false
	}
	return isHexDigit(line[j+1]) && isHexDigit(line[j+2]) && isHexDigit(line[j+3]) && isHexDigit(line[j+4])
}

// blockMasks is what classification finds in one 64-byte block of a line, one
// bit a byte: its quotes and backslashes, and (nonzero) whether it has
// control bytes.
type blockMasks struct{ quote, backslash, ctl uint64 }

// lastBlock returns the last, partial 64-byte block of line, padded with
// spaces (neither quotes, backslashes nor control bytes); len(line)%64 != 0.
func lastBlock(line []byte) (pad [64]byte) {
	for k := copy(pad[:], line[len(line)&^63:]); k < 64; k++ {
		pad[k] = ' '
	}
	return pad
}

// classifySWAR fills masks (one per 64-byte block of line) eight bytes at a
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
		q0, b0, c0 := classifyWord(binary.LittleEndian.Uint64(b[0:]))
		q1, b1, c1 := classifyWord(binary.LittleEndian.Uint64(b[8:]))
		q2, b2, c2 := classifyWord(binary.LittleEndian.Uint64(b[16:]))
		q3, b3, c3 := classifyWord(binary.LittleEndian.Uint64(b[24:]))
		q4, b4, c4 := classifyWord(binary.LittleEndian.Uint64(b[32:]))
		q5, b5, c5 := classifyWord(binary.LittleEndian.Uint64(b[40:]))
		q6, b6, c6 := classifyWord(binary.LittleEndian.Uint64(b[48:]))
		q7, b7, c7 := classifyWord(binary.LittleEndian.Uint64(b[56:]))
		masks[k] = blockMasks{
			quote:     ^(q0 | q1<<8 | q2<<16 | q3<<24 | q4<<32 | q5<<40 | q6<<48 | q7<<56),
			backslash: ^(b0 | b1<<8 | b2<<16 | b3<<24 | b4<<32 | b5<<40 | b6<<48 | b7<<56),
			ctl:       ^(c0 & c1 & c2 & c3 & c4 & c5 & c6 & c7) & swarHigh,
		}
	}
}

// index is stage 1. It lists the positions of the unescaped quotes of line in
// x.quotes, followed by two -1 sentinels, and checks every escape sequence and
// that no string holds a control byte; it reports false if one fails. line
// must not end with a backslash (Extract checks that it ends with '}').
//
// Classification (classifySWAR, or a SIMD classifier where built and
// supported) runs first over the whole line; then one pass over the masks.
// The positions are written simdjson-style: a fixed number per block whatever
// the mask holds (the extra ones are garbage past the new length, overwritten
// later), so that most blocks take no data-dependent branch. The body is
// written out by hand because the inliner would not take it.
func (x *Extractor) index(line []byte) bool {
	n := len(line)
	nb := (n + 63) >> 6
	if len(x.quotes) < n+16 {
		// Room for a position a byte, the unconditional writes past the
		// last one, and the sentinels; a quarter more to grow less often.
		x.quotes = make([]int32, n+16+n/4)
		x.escapes = make([]int32, n+16+n/4)
	}
	if len(x.masks) < nb {
		x.masks = make([]blockMasks, nb+nb/4)
	}
	masks := x.masks[:nb]
	if simdClassify {
		classifySIMD(line, masks)
	} else {
		classifySWAR(line, masks)
	}
	quotes, escapes := x.quotes, x.escapes
	nq, ne := 0, 0
	var carry, inString uint64
	ctlInString := false
	for k, bm := range masks {
		i := k << 6
		quote, backslash := bm.quote, bm.backslash
		esc := escapedBytes(backslash, &carry)
		if bm.ctl != 0 {
			// Control bytes: legal as whitespace outside strings (stage 2
			// checks those), never inside. Rare, so located only here.
			ctlInString = ctlInString || ctlBytes(line, i)&stringBytes(quote&^esc, inString) != 0
		}

		// Unescaped quotes: eight positions unconditionally, then the rest.
		m := quote &^ esc
		cnt := bits.OnesCount64(m)
		d := (*[8]int32)(quotes[nq : nq+8])
		d[0] = int32(i + bits.TrailingZeros64(m))
		m &= m - 1
		d[1] = int32(i + bits.TrailingZeros64(m))
		m &= m - 1
		d[2] = int32(i + bits.TrailingZeros64(m))
		m &= m - 1
		d[3] = int32(i + bits.TrailingZeros64(m))
		m &= m - 1
		d[4] = int32(i + bits.TrailingZeros64(m))
		m &= m - 1
		d[5] = int32(i + bits.TrailingZeros64(m))
		m &= m - 1
		d[6] = int32(i + bits.TrailingZeros64(m))
		m &= m - 1
		d[7] = int32(i + bits.TrailingZeros64(m))
		m &= m - 1
		for k := nq + 8; m != 0; k++ {
			quotes[k] = int32(i + bits.TrailingZeros64(m))
			m &= m - 1
		}
		nq += cnt
		inString ^= uint64(cnt & 1)

		// Escaped bytes to check later: '"' and '\\' need no check. Rarer
		// than quotes, so four positions unconditionally.
		m = esc &^ (quote | backslash)
		cnt = bits.OnesCount64(m)
		e := (*[4]int32)(escapes[ne : ne+4])
		e[0] = int32(i + bits.TrailingZeros64(m))
		m &= m - 1
		e[1] = int32(i + bits.TrailingZeros64(m))
		m &= m - 1
		e[2] = int32(i + bits.TrailingZeros64(m))
		m &= m - 1
		e[3] = int32(i + bits.TrailingZeros64(m))
		m &= m - 1
		for k := ne + 4; m != 0; k++ {
			escapes[k] = int32(i + bits.TrailingZeros64(m))
			m &= m - 1
		}
		ne += cnt
	}
	quotes[nq], quotes[nq+1] = -1, -1
	if ctlInString {
		return false
	}

	// One branch-free pass over the escapes instead of a branch per escape;
	// it also packs the positions of the \u escapes at the front of the
	// list, in place, for a second pass that checks their hex digits.
	var class uint8
	nu := 0
	for _, j := range escapes[:ne] {
		c := escapeClass[line[j]]
		class |= c
		escapes[nu] = j
		nu += int(c >> 1) // escapeU
	}
	if class&escapeBad != 0 {
		return false
	}
	for _, j := range escapes[:nu] {
		if !validUnicodeEscape(line, int(j)) {
			return false
		}
	}
	return true
}

// ctlBytes returns the bytes below 0x20 of the 64-byte block of line at i,
// one bit a byte.
func ctlBytes(line []byte, i int) uint64 {
	var b [64]byte
	if i+64 <= len(line) {
		b = [64]byte(line[i : i+64])
	} else {
		b = lastBlock(line)
	}
	var m uint64
	for k := 7; k >= 0; k-- {
		_, _, notCtl := classifyWord(binary.LittleEndian.Uint64(b[8*k:]))
		m = m<<8 | (^notCtl&swarHigh)*swarGather>>56
	}
	return m
}

// stringBytes returns the bytes of a block that lie inside a string (the
// opening quote included, the closing one not), given the block's unescaped
// quotes and whether the block starts inside a string (0 or 1).
func stringBytes(quote, inString uint64) uint64 {
	// Prefix xor: bit k becomes the parity of the quotes at or before k.
	quote ^= quote << 1
	quote ^= quote << 2
	quote ^= quote << 4
	quote ^= quote << 8
	quote ^= quote << 16
	quote ^= quote << 32
	return quote ^ -inString
}
