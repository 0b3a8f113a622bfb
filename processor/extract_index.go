package processor

import (
	"encoding/binary"
	"math/bits"
)

// Stage 1 of the extractor: one branch-light pass over the whole line, eight bytes
// at a time (SWAR), that finds every quote which is not escaped and checks every
// escape sequence. Stage 2 (extract.go) then walks the structure and jumps over
// each string body with one bitmap lookup instead of scanning it, so the cost of
// the roughly 150 escapes in a challenge frame is paid here, without branches.

const (
	swarLow7 = 0x7f7f7f7f7f7f7f7f
	swarHigh = 0x8080808080808080
	swarOnes = 0x0101010101010101
	// swarGather moves the bits at 0, 8, ..., 56 to bits 56..63 (see movemask).
	swarGather = 0x0102040810204080
	// oddBits marks the odd positions of a 64-bit mask (simdjson's ODD_BITS).
	oddBits = 0xaaaaaaaaaaaaaaaa
)

// movemask packs the high bit of each byte of m into 8 bits, byte 0 lowest.
func movemask(m uint64) uint64 { return ((m >> 7) * swarGather) >> 56 }

// classifyWord returns, as 8-bit masks, the bytes of w that are '"' and '\\', and
// as a byte mask (high bits) those below 0x20. Exact: no false positives from
// borrows, because every per-byte sum stays below 0x100.
func classifyWord(w uint64) (quote, backslash, ctl uint64) {
	w7 := w & swarLow7
	quote = movemask(^((w7 ^ 0x22*swarOnes) + swarLow7 | w) & swarHigh)
	backslash = movemask(^((w7 ^ 0x5c*swarOnes) + swarLow7 | w) & swarHigh)
	ctl = ^(w7 + 0x60*swarOnes | w) & swarHigh
	return quote, backslash, ctl
}

// classifyBlock classifies 64 bytes: quote and backslash masks, one bit a byte, and
// whether any byte is a control byte.
func classifyBlock(b *[64]byte) (quote, backslash, ctl uint64) {
	q0, b0, c0 := classifyWord(binary.LittleEndian.Uint64(b[0:]))
	q1, b1, c1 := classifyWord(binary.LittleEndian.Uint64(b[8:]))
	q2, b2, c2 := classifyWord(binary.LittleEndian.Uint64(b[16:]))
	q3, b3, c3 := classifyWord(binary.LittleEndian.Uint64(b[24:]))
	q4, b4, c4 := classifyWord(binary.LittleEndian.Uint64(b[32:]))
	q5, b5, c5 := classifyWord(binary.LittleEndian.Uint64(b[40:]))
	q6, b6, c6 := classifyWord(binary.LittleEndian.Uint64(b[48:]))
	q7, b7, c7 := classifyWord(binary.LittleEndian.Uint64(b[56:]))
	quote = q0 | q1<<8 | q2<<16 | q3<<24 | q4<<32 | q5<<40 | q6<<48 | q7<<56
	backslash = b0 | b1<<8 | b2<<16 | b3<<24 | b4<<32 | b5<<40 | b6<<48 | b7<<56
	ctl = c0 | c1 | c2 | c3 | c4 | c5 | c6 | c7
	return quote, backslash, ctl
}

// escapedBytes returns the bytes of a 64-byte block that follow an escaping
// backslash, given its backslash mask; carry says whether the first byte is
// escaped by the previous block and is updated for the next one. This is
// simdjson's branchless odd-run detection: an odd run of backslashes escapes the
// byte after it, an even run does not.
func escapedBytes(backslash uint64, carry *uint64) uint64 {
	if backslash == 0 {
		e := *carry
		*carry = 0
		return e
	}
	potential := backslash &^ *carry
	// Adding a run's start to the run carries out right after it; which bit the
	// carry lands on says whether the run has odd or even length.
	code := ((potential << 1) | oddBits) - potential
	code ^= oddBits
	e := code ^ (backslash | *carry)
	*carry = (code & backslash) >> 63
	return e
}

// escapeOK lists the bytes that may follow a backslash without more checks;
// 'u' needs four hex digits and is checked on its own.
var escapeOK = [256]bool{'"': true, '\\': true, '/': true, 'b': true, 'f': true, 'n': true, 'r': true, 't': true}

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

// index fills x.quotes with the unescaped quotes of line, one bit a byte, and
// checks every escape sequence. It reports false when an escape is invalid, and
// ctl when some byte is below 0x20 (legal only as whitespace outside strings, so
// stage 2 must then look at string bodies). line must not end with a backslash
// (Extract checks that it ends with '}').
func (x *Extractor) index(line []byte) (ok, ctl bool) {
	nw := (len(line) + 63) >> 6
	if cap(x.quotes) < nw {
		x.quotes = make([]uint64, nw, nw+nw/4)
	}
	x.quotes = x.quotes[:nw]
	quotes := x.quotes
	var carry, ctlAny uint64
	bad := false
	i, w := 0, 0
	for ; i+64 <= len(line); i, w = i+64, w+1 {
		b := (*[64]byte)(line[i : i+64])
		q, bs, c := classifyBlock(b)
		ctlAny |= c
		e := escapedBytes(bs, &carry)
		quotes[w] = q &^ e
		for ; e != 0; e &= e - 1 {
			k := bits.TrailingZeros64(e)
			if !escapeOK[b[k]] {
				bad = bad || b[k] != 'u' || !validUnicodeEscape(line, i+k)
			}
		}
	}
	if i < len(line) {
		// The last, partial block, padded with spaces: neither quotes,
		// backslashes nor control bytes.
		var pad [64]byte
		for k := copy(pad[:], line[i:]); k < 64; k++ {
			pad[k] = ' '
		}
		q, bs, c := classifyBlock(&pad)
		ctlAny |= c
		e := escapedBytes(bs, &carry)
		quotes[w] = q &^ e
		for ; e != 0; e &= e - 1 {
			k := bits.TrailingZeros64(e)
			if !escapeOK[pad[k]] {
				bad = bad || pad[k] != 'u' || !validUnicodeEscape(line, i+k)
			}
		}
	}
	return !bad, ctlAny != 0
}
