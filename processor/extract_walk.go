package processor

import "encoding/binary"

// Stage 2 of the extractor: one pass over stage 1's token list that checks
// the grammar and lists the top-level keys.
//
// Tokens are brackets, strings and other scalars; each carries the separator
// before it (':', ',' or none), read from the byte before it. JSON's grammar
// then needs only the previous token (and whether it was a key), the
// separator and the kind of the enclosing container to tell whether a token
// may come next: one table lookup indexed by values the step computes
// without waiting on the step before. The kinds of the open containers are
// bits of one register. Nothing in the loop branches on the data, whitespace
// before a token aside (one branch, taken for every token or for none on a
// consistently formatted feed).

// Token classes, by the token's first byte; tokKey is a string that is an
// object key, told from the separator before it.
const (
	tokObjOpen  = iota // '{'
	tokArrOpen         // '['
	tokObjClose        // '}'
	tokArrClose        // ']'
	tokString          // '"'
	tokNumber          // a digit or '-' (stage 1 validated the number)
	tokLiteral         // any other scalar: must be true, false or null
	tokKey             // a string after '{' or ',' in an object
)

// Separators before a token; sepSpace says to look further back.
const (
	sepNone = iota
	sepColon
	sepComma
	sepSpace
)

// Container kinds: the bits of walk's kinds register.
const (
	ctxObject = iota
	ctxArray
)

const (
	// tokSlack is the room stage 1 needs past the last token.
	tokSlack = 32
	// keyUIDQuoted and keyTSQuoted are `uid"` and `ts"` as little-endian words.
	keyUIDQuoted = 'u' | 'i'<<8 | 'd'<<16 | '"'<<24
	keyTSQuoted  = 't' | 's'<<8 | '"'<<16
	// maxWalkDepth is the deepest nesting walk follows: the kinds of the
	// open containers are the bits of one register. Deeper lines, which
	// no real frame is, are left to encoding/json.
	maxWalkDepth = 64
)

// tokClass maps a token's first byte to its class.
var tokClass = func() (t [256]uint8) {
	for c := range t {
		t[c] = tokLiteral
	}
	for c, cls := range map[byte]uint8{'{': tokObjOpen, '[': tokArrOpen, '}': tokObjClose, ']': tokArrClose, '"': tokString, '-': tokNumber} {
		t[c] = cls
	}
	for c := '0'; c <= '9'; c++ {
		t[c] = tokNumber
	}
	return t
}()

// sepClass maps the byte before a token to its separator class.
var sepClass = [256]uint8{':': sepColon, ',': sepComma, ' ': sepSpace, '\t': sepSpace, '\n': sepSpace, '\r': sepSpace}

// illegal[prev<<6 | ctx<<5 | cls<<2 | sep] is 1 unless a token of class cls
// after separator sep may follow a token of class prev inside a container
// of kind ctx.
var illegal = func() (t [512]uint8) {
	for i := range t {
		t[i] = 1
	}
	allow := func(prev, ctx, cls, sep int) { t[prev<<6|ctx<<5|cls<<2|sep] = 0 }
	values := []int{tokObjOpen, tokArrOpen, tokString, tokNumber, tokLiteral}
	for _, ctx := range []int{ctxObject, ctxArray} {
		// Closing a container: right after it opens or after a value.
		closer, opener := tokObjClose, tokObjOpen
		if ctx == ctxArray {
			closer, opener = tokArrClose, tokArrOpen
		}
		allow(opener, ctx, closer, sepNone)
		for _, end := range []int{tokString, tokNumber, tokLiteral, tokObjClose, tokArrClose} {
			allow(end, ctx, closer, sepNone)
		}
		for _, v := range values {
			if ctx == ctxObject {
				// "k": v, "k": v: keys after '{' and ',', values after ':'.
				allow(tokKey, ctx, v, sepColon)
				continue
			}
			// v, v: values after '[' and ','.
			allow(tokArrOpen, ctx, v, sepNone)
			for _, end := range []int{tokString, tokNumber, tokLiteral, tokObjClose, tokArrClose} {
				allow(end, ctx, v, sepComma)
			}
		}
	}
	// A key is a tokKey, never a tokString, so these cover only keys.
	allow(tokObjOpen, ctxObject, tokKey, sepNone)
	for _, end := range []int{tokString, tokNumber, tokLiteral, tokObjClose, tokArrClose} {
		allow(end, ctxObject, tokKey, sepComma)
	}
	return t
}()

// walkTables are the lookups of walkTokens, in one block so that the
// assembly version reaches them from one register. The per-token tables are
// indexed by stepIndex, illegal by prev<<6 | stepIndex.
type walkTables struct {
	class   [256]uint8 // a token's class by its first byte
	sep     [256]uint8 // the separator class of the byte before a token
	illegal [512]uint8 // 1 unless the token may follow a token of class prev
	next    [64]uint8  // the token's refined class: prev for the next token
	open    [64]uint8  // 1 for '{' and '['
	shut    [64]uint8  // 1 for '}' and ']'
	array   [64]uint8  // 1 for '['
	literal [64]uint8  // 1 for a scalar that must be true, false or null
	key     [64]uint8  // 1 for an object key
}

// stepIndex is the index in the per-token tables of a token of class cls
// after separator sep in a container of kind ctx.
func stepIndex(ctx, cls, sep int) int { return ctx<<5 | cls<<2 | sep }

// tables is walkTokens' lookups; read-only after start-up.
var tables = func() (t walkTables) {
	t.class = tokClass
	t.sep = sepClass
	for ctx := range 2 {
		for cls := range tokKey {
			for sep := range sepSpace {
				i := stepIndex(ctx, cls, sep)
				next := cls
				// A string is a key in an object but after ':'.
				if cls == tokString && ctx == ctxObject && sep != sepColon {
					next = tokKey
					t.key[i] = 1
				}
				t.next[i] = uint8(next)
				t.open[i] = uint8(b2i(cls == tokObjOpen || cls == tokArrOpen))
				t.shut[i] = uint8(b2i(cls == tokObjClose || cls == tokArrClose))
				t.array[i] = uint8(b2i(cls == tokArrOpen))
				t.literal[i] = uint8(b2i(cls == tokLiteral))
				for prev := range tokKey + 1 {
					t.illegal[prev<<6|i] = illegal[prev<<6|ctx<<5|next<<2|sep]
				}
			}
		}
	}
	return t
}()

// walk is stage 2. It checks the grammar over the tokens of line that index
// listed and returns the token indexes of the values of the last top-level
// "uid" and "ts" (-1 if absent). Every number is valid (stage 1); literals
// are checked here, after the token loop (walkTokens). deep reports a line
// nested deeper than maxWalkDepth, which walk did not check.
func (x *Extractor) walk(line []byte) (uidTok, tsTok int, ok, deep bool) {
	toks := x.toks[:x.nt]
	marks := x.marks[:len(toks)]
	bad, depth, nm := walkTokens(line, toks, marks, &tables)
	if bad&^1 != 0 {
		// Nested too deep, or tokens after the top-level object: either
		// way encoding/json knows.
		return -1, -1, false, true
	}
	if bad != 0 || depth != 0 {
		return -1, -1, false, false
	}
	uidTok, tsTok = -1, -1
	for _, k := range marks[:nm] {
		p := int(toks[k])
		if line[p] != '"' {
			if !validLiteral(line, p) {
				return -1, -1, false, false
			}
			continue
		}
		// A valid key is followed by at least `:v}`: four bytes.
		switch kw := binary.LittleEndian.Uint32(line[p+1:]); {
		case kw == keyUIDQuoted:
			uidTok = int(k) + 1
		case kw&0xffffff == keyTSQuoted:
			tsTok = int(k) + 1
		case hasBackslash3(kw):
			// An escaped spelling of "uid" or "ts" has a backslash among
			// its first three bytes (`ui\u0064` is the latest).
			switch escapedKeyKind(line[p+1 : stringEnd(line, p)]) {
			case keyUID:
				uidTok = int(k) + 1
			case keyTS:
				tsTok = int(k) + 1
			}
		}
	}
	return uidTok, tsTok, true, false
}

// walkTokensGo is the token loop of stage 2: for each token after the first
// (the '{' at line[0]) it checks that the token may follow the one before,
// follows the nesting, and lists in marks the indexes of the literals and
// top-level keys. It returns the or of every check (bit 0: a token that may
// not follow the one before; the others: a token outside depths 1 to
// maxWalkDepth, that is after the top-level object or nested too deep), the
// final depth, and how many marks it wrote. walkTokens is this, in assembly
// where there is one (extract_walk_amd64.s): the Go compiler spills the
// loop's dozen live values, which puts a store and a load on every
// loop-carried chain.
func walkTokensGo(line []byte, toks, marks []int32, t *walkTables) (bad, depth, nm int) {
	var kinds uint64 // a bit per open container, the innermost lowest: 1 for an array
	prev := tokObjOpen
	depth = 1
	for i := 1; i < len(toks); i++ {
		p := int(toks[i])
		sep := int(t.sep[line[p-1]])
		if sep == sepSpace {
			sep = int(t.sep[line[lastNonSpace(line, p-1)]])
		}
		s := stepIndex(int(kinds&1), int(t.class[line[p]]), sep)
		// Outside depths 1 to maxWalkDepth (64), depth-1 has bits above the
		// sixth: shifted to bit 1 and up, as the assembly does.
		bad |= int(t.illegal[prev<<6|s]) | int(uint32(depth-1)>>6)<<1

		// Brackets: an opening one pushes its kind, a closing one pops.
		open, shut := int(t.open[s]), int(t.shut[s])
		kinds = (kinds<<(open&63) | uint64(t.array[s])) >> (shut & 63)
		depth += open - shut

		marks[nm] = int32(i)
		nm += int(t.literal[s]) | int(t.key[s])&b2i(depth == 1)
		prev = int(t.next[s])
	}
	return bad, depth, nm
}

// hasBackslash3 reports whether one of the three low bytes of w is '\\'.
func hasBackslash3(w uint32) bool {
	t := w ^ 0x5c5c5c
	return (t-0x010101)&^t&0x808080 != 0
}

// lastNonSpace returns the index of the last byte at or before i that is
// not JSON whitespace; line[0] is '{'.
func lastNonSpace(line []byte, i int) int {
	for isJSONSpace(line[i]) {
		i--
	}
	return i
}

// b2i is 1 for true and 0 for false; the compiler makes it a SETcc, no branch.
func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// validLiteral reports whether the scalar at line[p] is true, false or null,
// and ends there.
func validLiteral(line []byte, p int) bool {
	var lit string
	switch line[p] {
	case 't':
		lit = "true"
	case 'f':
		lit = "false"
	case 'n':
		lit = "null"
	default:
		return false
	}
	end := p + len(lit)
	return end < len(line) && string(line[p:end]) == lit && endsScalar(line[end])
}

// endsScalar reports whether c cannot be part of a scalar: a bracket, a
// separator, a quote or whitespace.
func endsScalar(c byte) bool {
	return tokClass[c] < tokNumber || sepClass[c] != sepNone
}

// stringEnd returns the index of the quote that closes the string opening at
// line[p], or len(line) if none does.
func stringEnd(line []byte, p int) int {
	for i := p + 1; i < len(line); i++ {
		switch line[i] {
		case '"':
			return i
		case '\\':
			i++
		}
	}
	return len(line)
}
