package processor

import (
	"encoding/binary"
	"math/bits"
)

// Stage 2 of the extractor: a walk over the bytes outside strings that checks
// the grammar, jumping over every string with stage 1's list of quotes.
//
// A table-driven automaton (byte class x state, containers in a register) was
// tried and measured three times slower in Go: every step then depends on the
// table lookup of the step before, and the compiler keeps the automaton's
// state in memory across the rare calls. The plain walker lets the branch
// predictor run ahead.

// valueAt locates a top-level value: pos is its first byte in the line (-1 if
// absent), quote the index in Extractor.quotes of the first quote at or after
// pos, so that a string value ends at quotes[quote+1].
type valueAt struct{ pos, quote int }

// digitRun returns how many ASCII digits start line[i:], eight bytes at a time.
func digitRun(line []byte, i int) int {
	if i+8 <= len(line) {
		if m := nonDigits(binary.LittleEndian.Uint64(line[i:])); m != 0 {
			return bits.TrailingZeros64(m) >> 3
		}
	}
	return digitRunLong(line, i)
}

// nonDigits returns the high bit of each byte of w that is not an ASCII digit.
func nonDigits(w uint64) uint64 {
	// A byte of nd is zero iff it is a digit: high nibble 3, low nibble below
	// 10 (so that adding 6 does not reach 0x10).
	nd := (w&0xf0f0f0f0f0f0f0f0 ^ 0x3030303030303030) | (w&0x0f0f0f0f0f0f0f0f+0x0606060606060606)&0x1010101010101010
	return ((nd & swarLow7) + swarLow7 | nd) & swarHigh
}

// digitRunLong is digitRun for runs of eight digits or more, and near the end
// of the line.
func digitRunLong(line []byte, i int) int {
	j := i
	for ; j+8 <= len(line); j += 8 {
		if m := nonDigits(binary.LittleEndian.Uint64(line[j:])); m != 0 {
			return j - i + bits.TrailingZeros64(m)>>3
		}
	}
	for j < len(line) && isDecDigit(line[j]) {
		j++
	}
	return j - i
}

// walk is stage 2. It checks the structure of line (which starts with '{' and
// ends with '}') and returns where the values of the last top-level "uid" and
// "ts" start.
//
// Stage 2 meets the quotes in the order stage 1 listed them: every quote it
// sees outside a string opens one, and the next quote closes it, at
// quotes[q+1]. A value's kind is one switch (one indirect jump), which
// mispredicts less than a test for strings followed by a switch.
func (x *Extractor) walk(line []byte) (uid, ts valueAt, ok bool) {
	uid.pos, ts.pos = -1, -1
	quotes := x.quotes
	n := len(line)
	i, depth, inArray, q := 1, 1, false, 0
	var c byte
	var start, k int

object: // just after '{'
	if line[i] <= ' ' {
		i = skipSpace(line, i)
	}
	if line[i] == '}' {
		i++
		goto closed
	}
key:
	if int(quotes[q]) != i {
		return
	}
	start, i = i+1, int(quotes[q+1])
	if i < 0 {
		return
	}
	q += 2
	if line[i+1] == ':' {
		i += 2
	} else {
		if i = skipSpace(line, i+1); line[i] != ':' {
			return
		}
		i++
	}
	if line[i] <= ' ' {
		i = skipSpace(line, i)
	}
	if depth == 1 {
		// Top-level keys have every length, so tests on it would
		// mispredict: compare with arithmetic. A key of two bytes or more
		// has four bytes from its start in the line: itself, its closing
		// quote, ':' and the final '}' (no value checked yet).
		if k = int(quotes[q-1]) - start; k >= 2 {
			w := binary.LittleEndian.Uint32(line[start:])
			hit := b2i(k == 3) & b2i(w&0xffffff == 'u'|'i'<<8|'d'<<16)
			uid.pos += (i - uid.pos) & -hit
			uid.quote += (q - uid.quote) & -hit
			hit = b2i(k == 2) & b2i(w&0xffff == 't'|'s'<<8)
			ts.pos += (i - ts.pos) & -hit
			ts.quote += (q - ts.quote) & -hit
			// An escaped spelling has a backslash among its first three
			// bytes (`ui\u0064` is the latest); this test may err towards
			// the call.
			if t := w ^ 0x5c5c5c; k >= 7 && k <= 18 && (t-0x010101)&^t&0x808080 != 0 {
				switch escapedKeyKind(line[start : start+k]) {
				case keyUID:
					uid = valueAt{i, q}
				case keyTS:
					ts = valueAt{i, q}
				}
			}
		}
	}

value:
	switch c = line[i]; c {
	case '"':
		if int(quotes[q]) != i {
			return
		}
		if i = int(quotes[q+1]); i < 0 {
			return
		}
		q += 2
		i++
		goto after
	case '{':
		if depth++; depth > jsonMaxNesting {
			return
		}
		x.arrays[depth>>6] &^= 1 << (depth & 63)
		inArray = false
		i++
		goto object
	case '[':
		if depth++; depth > jsonMaxNesting {
			return
		}
		x.arrays[depth>>6] |= 1 << (depth & 63)
		inArray = true
		if i++; line[i] <= ' ' {
			i = skipSpace(line, i)
		}
		if line[i] == ']' {
			i++
			goto closed
		}
		goto value
	case '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
		if c == '-' {
			i++
		}
		// A leading zero stands alone.
		if k = digitRun(line, i); k == 0 || k > 1 && line[i] == '0' {
			return
		}
		if i += k; line[i] == '.' {
			if k = digitRun(line, i+1); k == 0 {
				return
			}
			i += 1 + k
		}
		if line[i]|0x20 == 'e' {
			if i++; line[i] == '+' || line[i] == '-' {
				i++
			}
			if k = digitRun(line, i); k == 0 {
				return
			}
			i += k
		}
	case 't':
		if i+4 > n || string(line[i:i+4]) != "true" {
			return
		}
		i += 4
	case 'f':
		if i+5 > n || string(line[i:i+5]) != "false" {
			return
		}
		i += 5
	case 'n':
		if i+4 > n || string(line[i:i+4]) != "null" {
			return
		}
		i += 4
	default:
		return
	}

after: // just after a value inside a container
	if c = line[i]; c <= ' ' {
		i = skipSpace(line, i)
		c = line[i]
	}
	i++
	if c == ',' {
		if line[i] <= ' ' {
			i = skipSpace(line, i)
		}
		if inArray {
			goto value
		}
		goto key
	}
	if inArray && c != ']' || !inArray && c != '}' {
		return
	}

closed: // just after a '}' or ']'
	if depth--; depth == 0 {
		return uid, ts, i == n
	}
	if i >= n {
		return
	}
	inArray = x.arrays[depth>>6]>>(depth&63)&1 != 0
	goto after
}

// b2i is 1 for true and 0 for false; the compiler makes it a SETcc, no branch.
func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// skipSpace returns the index of the first byte at or after i that is not
// JSON whitespace; the '}' that ends the line stops it.
func skipSpace(line []byte, i int) int {
	for isJSONSpace(line[i]) {
		i++
	}
	return i
}
