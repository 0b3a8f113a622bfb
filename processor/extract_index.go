package processor

import "math/bits"

// Stage 1 of the extractor: one pass over the line's block masks, 64 bytes at
// a time and, for most blocks, without a data-dependent branch. With bit
// arithmetic it finds the escaped bytes and the strings, checks that no
// string holds a control byte, validates every number (the JSON number
// grammar as constraints between neighbouring bytes of a run), and lists the
// positions of the tokens for stage 2 (extract_walk.go): brackets, opening
// quotes and the first byte of every other scalar. Separators (':' and ',')
// are not tokens, only counted: each token reads the one before it. The escape
// sequences it finds are checked after the pass, in one branch-free loop.

// oddBits marks the odd positions of a 64-bit mask (simdjson's ODD_BITS).
const oddBits = 0xaaaaaaaaaaaaaaaa

// escapedBytes returns the bytes of a 64-byte block that follow an escaping
// backslash, given its backslash mask; carry says whether the first byte is
// escaped by the previous block and is updated for the next one. An odd run of
// backslashes escapes the byte after it, an even run does not. This is
// simdjson's branchless way to tell them apart (its json_escape_scanner):
// subtracting the first backslash of each run from the odd bits borrows
// through the run and leaves the parity of its length at its end.
// TestEscapedBytes checks it against a plain scan.
func escapedBytes(backslash uint64, carry *uint64) uint64 {
	potential := backslash &^ *carry
	code := ((potential << 1) | oddBits) - potential
	code ^= oddBits
	e := code ^ (backslash | *carry)
	*carry = (code & backslash) >> 63
	return e
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

// shiftIn returns m shifted up one byte position, the previous block's top
// bit entering at bit 0, and keeps m's top bit in carry for the next block:
// bit k of the result says "the byte before byte k is in m".
func shiftIn(m uint64, carry *uint64) uint64 {
	r := m<<1 | *carry
	*carry = m >> 63
	return r
}

// doubledSeps returns the separators of a block (outside strings) that
// follow another separator with only whitespace between; carry is the
// addition's carry from the previous block. Stage 2 gives each token the
// separator before it: with no doubled one, every separator is some
// token's (the line ends with a token, '}').
func doubledSeps(m *blockMasks, outside uint64, carry *uint64) uint64 {
	sep := m.sep & outside
	// Runs of separators and whitespace; adding the separators leaves each
	// run's first one and the rest of the run zero, a second one set.
	run := sep | m.delim&^(m.bracket|m.sep)&outside
	sum, c := bits.Add64(run, sep, *carry)
	*carry = c
	return sep & sum
}

// numberCarries is what the number checks carry from one block to the next.
type numberCarries struct {
	run, expoRun, dotRun                             uint64 // bits.Add64 carries
	digit, expo, needDigit, inRun, intZero, nonDigit uint64 // shiftIn carries
}

// badNumbers returns the bytes of a block that break the JSON number grammar
// (-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?) in the runs of scalar bytes
// that start with a digit or '-'; runs starting with anything else must be
// true, false or null, which stage 2 checks. scalar marks the bytes outside
// strings that are not delimiters, start the first byte of each run. Each
// rule is a relation between a byte and the one before it, and the
// assembly version (extract_index_amd64.s) computes the same ones.
func badNumbers(m *blockMasks, scalar, start uint64, c *numberCarries) uint64 {
	numStart := start & (m.digit | m.minus)
	// Adding a run's first bit to the run carries through it and leaves it
	// zero: the runs that start with a number byte, whole.
	sum, carry := bits.Add64(scalar, numStart, c.run)
	c.run = carry
	run := scalar &^ sum
	expo := m.expo & run
	dot := m.dot & run
	// The same trick from every exponent (dot) marks the run from its first
	// exponent (dot) to its end; a second one is left out of the mark.
	sum, carry = bits.Add64(run, expo, c.expoRun)
	c.expoRun = carry
	fromExpo := run &^ sum
	sum, carry = bits.Add64(run, dot, c.dotRun)
	c.dotRun = carry
	fromDot := run &^ sum

	sign := m.minus | m.plus
	minusStart := numStart & m.minus
	afterDigit := shiftIn(m.digit, &c.digit)
	afterExpo := shiftIn(expo, &c.expo)
	// A digit follows '.', a leading '-' and the sign of an exponent.
	needDigit := shiftIn(dot|minusStart|afterExpo&sign, &c.needDigit)
	// A zero starts the integer part when the byte before is not in the
	// run or is its leading '-'.
	intZero := m.zero & run &^ shiftIn(run&^minusStart, &c.inRun)
	afterIntZero := shiftIn(intZero, &c.intZero)
	afterNonDigit := shiftIn(run&^m.digit, &c.nonDigit)

	return run&^(m.digit|sign|m.dot|m.expo) | // a byte no number has
		expo&^fromExpo | dot&fromExpo | dot&^fromDot | // one '.', one e, '.' first
		(dot|expo)&^afterDigit | // '.' and e follow a digit
		sign&run&^(minusStart|afterExpo) | // a sign only first ('-') or after e
		afterExpo&^(m.digit|sign) | // e is followed by a digit or a sign
		needDigit&^m.digit |
		afterIntZero&m.digit | // no digit after a leading zero
		afterNonDigit&^run // the run ends with a digit
}

// index is stage 1. It lists the positions of line's tokens in x.toks and
// reports false if a string holds a control byte or a bad escape, a string
// is not closed, or a number is malformed.
//
// Classification (classifyBlocks) runs first over the whole line; then one
// pass over the masks. The positions are written simdjson-style: a fixed
// number per block whatever the mask holds (the extra ones are garbage past
// the new length, overwritten later), so that most blocks take no
// data-dependent branch.
func (x *Extractor) index(line []byte) bool {
	if n := len(line); len(x.toks) < n+tokSlack {
		// Room for a token a byte and the unconditional writes past the
		// last one; a quarter more to grow less often.
		size := n + tokSlack + n/4
		x.toks = make([]int32, size)
		x.escapes = make([]int32, size)
		x.marks = make([]int32, size)
	}
	var ne int
	if hasIndexAVX512 {
		ne = x.indexAVX512(line)
	} else {
		ne = x.indexGo(line)
	}
	if ne < 0 {
		return false
	}
	return validEscapes(line, x.escapes[:ne])
}

// indexGo is stage 1's pass over the blocks in Go, after classifyBlocks: it
// fills x.toks and x.nt and returns how many escapes it listed in
// x.escapes, or -1 if a check failed.
func (x *Extractor) indexGo(line []byte) int {
	nb := (len(line) + 63) >> 6
	if len(x.masks) < nb {
		x.masks = make([]blockMasks, nb+nb/4)
	}
	masks := x.masks[:nb]
	classifyBlocks(line, masks)
	toks, escapes := x.toks, x.escapes
	nt, ne := 0, 0
	var escCarry, inString, scalarCarry, sepCarry, bad uint64
	var nc numberCarries
	for k := range masks {
		m := &masks[k]
		i := int32(k << 6)
		esc := escapedBytes(m.backslash, &escCarry)
		quote := m.quote &^ esc
		inStr := stringBytes(quote, inString)
		inString = inStr >> 63
		outside := ^(inStr | quote)
		scalar := outside &^ m.delim
		start := scalar &^ shiftIn(scalar, &scalarCarry)
		bad |= m.ctl&inStr | badNumbers(m, scalar, start, &nc)

		bad |= doubledSeps(m, outside, &sepCarry)

		nt = appendPositions(toks, nt, i, m.bracket&outside|quote&inStr|start)
		// Escaped bytes to check later: '"' and '\\' need no check.
		ne = appendPositions(escapes, ne, i, esc&^(m.quote|m.backslash))
	}
	x.nt = nt
	if bad != 0 || inString != 0 {
		return -1
	}
	return ne
}

// appendPositions writes base plus the index of every bit of m to list from
// list[n] on and returns the new length. The first eight are written
// whatever m holds (the extra ones are garbage past the new length,
// overwritten later), so that most blocks take no data-dependent branch;
// list must have room for eight past the new length.
func appendPositions(list []int32, n int, base int32, m uint64) int {
	cnt := bits.OnesCount64(m)
	d := (*[8]int32)(list[n : n+8])
	for j := range d {
		d[j] = base + int32(bits.TrailingZeros64(m))
		m &= m - 1
	}
	for j := n + 8; m != 0; j++ {
		list[j] = base + int32(bits.TrailingZeros64(m))
		m &= m - 1
	}
	return n + cnt
}

// validEscapes reports whether every escape sequence at the positions of
// escapes (the bytes after the backslashes) is valid.
func validEscapes(line []byte, escapes []int32) bool {
	// One branch-free pass over the escapes instead of a branch per escape;
	// it also packs the positions of the \u escapes at the front of the
	// list, in place, for a second pass that checks their hex digits.
	var class uint8
	nu := 0
	for _, j := range escapes {
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
