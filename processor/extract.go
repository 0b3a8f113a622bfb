package processor

import (
	"bytes"
	"encoding/json"
	"math/bits"
	"unicode/utf8"
)

const (
	// jsonMaxNesting is encoding/json's limit on nested objects and arrays, the
	// top-level object included: deeper frames are malformed there, so here too.
	jsonMaxNesting = 10000
	// tsMax is 9999-12-31T23:59:59Z, the largest ts accepted.
	tsMax = 253402300799
)

// Extractor pulls the top-level "uid" and "ts" out of one frame while validating
// that the whole frame is one JSON object.
//
// It agrees with encoding/json (json.Unmarshal into a map[string]json.RawMessage,
// then decoding the two values) on every input: which lines are valid, which keys
// are top-level, that the last of repeated keys wins, how escaped keys and uids
// decode, including encoding/json's U+FFFD replacement of invalid UTF-8 inside
// uid. Like encoding/json it does not validate UTF-8 elsewhere.
//
// The zero value is ready to use; not safe for concurrent use (it keeps scratch
// space for unescaping).
type Extractor struct {
	quotes []uint64                      // unescaped quotes of the current line, one bit a byte
	arrays [jsonMaxNesting/64 + 1]uint64 // bit d set: the container at depth d is an array
	buf    []byte                        // the unescaped uid, when it had escapes
}

// Extract returns the frame's top-level uid and ts, or the Reason it cannot be
// counted (Malformed, MissingUID, MissingTS, BadTS).
//
// uid aliases line, or the Extractor's scratch when the uid had escapes; it is
// valid until the next call.
//
// The line must not include its newline; a trailing '\r', like any JSON
// whitespace around the object, is allowed. Malformed takes precedence over
// MissingUID, which takes precedence over MissingTS and BadTS. ts is accepted as
// a JSON integer without sign, fraction or exponent, or as a non-empty string of
// ASCII digits (after unescaping, as encoding/json would decode it), within
// [0, 253402300799].
func (x *Extractor) Extract(line []byte) (uid []byte, ts int64, r Reason) {
	line = trimJSONSpace(line)
	n := len(line)
	// A line ending in anything but '}' is not an object, and that last '}'
	// bounds every inner loop of stage 2.
	if n < 2 || line[0] != '{' || line[n-1] != '}' {
		return nil, 0, Malformed
	}
	ok, ctl := x.index(line)
	if !ok {
		return nil, 0, Malformed
	}
	uidAt, tsAt, ok := x.walk(line, ctl)
	if !ok {
		return nil, 0, Malformed
	}
	if uidAt < 0 {
		return nil, 0, MissingUID
	}
	if uid = x.uid(line, uidAt); uid == nil {
		return nil, 0, MissingUID
	}
	if tsAt < 0 {
		return nil, 0, MissingTS
	}
	if ts, ok = x.ts(line, tsAt); !ok {
		return nil, 0, BadTS
	}
	return uid, ts, Accepted
}

// trimJSONSpace drops JSON whitespace from both ends of line.
func trimJSONSpace(line []byte) []byte {
	for len(line) > 0 && isJSONSpace(line[len(line)-1]) {
		line = line[:len(line)-1]
	}
	for len(line) > 0 && isJSONSpace(line[0]) {
		line = line[1:]
	}
	return line
}

// isJSONSpace reports whether c is JSON whitespace.
func isJSONSpace(c byte) bool { return c == ' ' || c == '\n' || c == '\r' || c == '\t' }

// isDecDigit reports whether c is an ASCII digit.
func isDecDigit(c byte) bool { return c-'0' < 10 }

// closeQuote returns the index of the first unescaped quote at or after i, or -1.
func (x *Extractor) closeQuote(i int) int {
	w := i >> 6
	if m := x.quotes[w] >> (i & 63); m != 0 {
		return i + bits.TrailingZeros64(m)
	}
	for w++; w < len(x.quotes); w++ {
		if m := x.quotes[w]; m != 0 {
			return w<<6 + bits.TrailingZeros64(m)
		}
	}
	return -1
}

// Which top-level key a key is.
const (
	keyOther = iota
	keyUID
	keyTS
)

// keyKind says whether the raw key k (without quotes) is "uid" or "ts".
func keyKind(k []byte) int {
	switch {
	case len(k) == 3 && k[0] == 'u' && k[1] == 'i' && k[2] == 'd':
		return keyUID
	case len(k) == 2 && k[0] == 't' && k[1] == 's':
		return keyTS
	case len(k) < 7 || len(k) > 18 || bytes.IndexByte(k, '\\') < 0:
		// The shortest escaped spelling of "ts" is `\u0074s`, the longest
		// of "uid" `\u0075\u0069\u0064`.
		return keyOther
	}
	return escapedKeyKind(k)
}

// escapedKeyKind decodes a key with escapes the way encoding/json does.
func escapedKeyKind(k []byte) int {
	q := make([]byte, 0, len(k)+2)
	q = append(append(append(q, '"'), k...), '"')
	var s string
	if json.Unmarshal(q, &s) != nil {
		return keyOther
	}
	switch s {
	case "uid":
		return keyUID
	case "ts":
		return keyTS
	}
	return keyOther
}

// walk is stage 2: it checks the structure of line (which starts with '{' and
// ends with '}') with stage 1's quote bitmap and returns where the values of the
// last top-level "uid" and "ts" start (-1 when absent). With ctl set, string
// bodies are checked for control bytes.
func (x *Extractor) walk(line []byte, ctl bool) (uidAt, tsAt int, ok bool) {
	uidAt, tsAt = -1, -1
	n := len(line)
	i, depth, inArray := 1, 1, false
	var c byte
	var start, end int

object: // just after '{'
	for isJSONSpace(line[i]) {
		i++
	}
	if line[i] == '}' {
		i++
		goto closed
	}
key:
	if line[i] != '"' {
		return
	}
	end = x.closeQuote(i + 1)
	if end < 0 || ctl && hasCtl(line[i+1:end]) {
		return
	}
	start = i + 1
	for i = end + 1; isJSONSpace(line[i]); i++ {
	}
	if line[i] != ':' {
		return
	}
	for i++; isJSONSpace(line[i]); i++ {
	}
	if depth == 1 {
		switch keyKind(line[start:end]) {
		case keyUID:
			uidAt = i
		case keyTS:
			tsAt = i
		}
	}

value:
	c = line[i]
	if c == '"' {
		end = x.closeQuote(i + 1)
		if end < 0 || ctl && hasCtl(line[i+1:end]) {
			return
		}
		i = end + 1
		goto after
	}
	switch c {
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
		i++
		for isJSONSpace(line[i]) {
			i++
		}
		if line[i] == ']' {
			i++
			goto closed
		}
		goto value
	case '-':
		i++
		if !isDecDigit(line[i]) {
			return
		}
		fallthrough
	case '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
		// The '}' that ends line stops each of these loops.
		if line[i] == '0' {
			i++
		} else {
			for i++; isDecDigit(line[i]); i++ {
			}
		}
		if line[i] == '.' {
			if i++; !isDecDigit(line[i]) {
				return
			}
			for i++; isDecDigit(line[i]); i++ {
			}
		}
		if line[i]|0x20 == 'e' {
			if i++; line[i] == '+' || line[i] == '-' {
				i++
			}
			if !isDecDigit(line[i]) {
				return
			}
			for i++; isDecDigit(line[i]); i++ {
			}
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
	c = line[i]
	for isJSONSpace(c) {
		i++
		c = line[i]
	}
	i++
	switch c {
	case ',':
		for isJSONSpace(line[i]) {
			i++
		}
		if inArray {
			goto value
		}
		goto key
	case '}':
		if inArray {
			return
		}
	case ']':
		if !inArray {
			return
		}
	default:
		return
	}

closed: // just after a '}' or ']'
	if depth--; depth == 0 {
		return uidAt, tsAt, i == n
	}
	if i >= n {
		return
	}
	inArray = x.arrays[depth>>6]>>(depth&63)&1 != 0
	goto after
}

// hasCtl reports whether s has a byte below 0x20, which may not appear raw in a
// JSON string.
func hasCtl(s []byte) bool {
	for _, c := range s {
		if c < 0x20 {
			return true
		}
	}
	return false
}

// uid returns the value at line[at:] if it is a non-empty string, decoded as
// encoding/json decodes it, else nil.
func (x *Extractor) uid(line []byte, at int) []byte {
	if line[at] != '"' {
		return nil
	}
	end := x.closeQuote(at + 1)
	s := line[at+1 : end]
	if len(s) == 0 {
		return nil
	}
	for _, c := range s {
		if c == '\\' || c >= utf8.RuneSelf {
			return x.unquoteUID(line[at : end+1])
		}
	}
	return s
}

// unquoteUID decodes the string token q with encoding/json, so escapes,
// surrogates and invalid UTF-8 come out exactly as there. Rare: uids are hex.
func (x *Extractor) unquoteUID(q []byte) []byte {
	if bytes.IndexByte(q, '\\') < 0 && utf8.Valid(q) {
		return q[1 : len(q)-1]
	}
	var s string
	if json.Unmarshal(q, &s) != nil || s == "" {
		return nil
	}
	x.buf = append(x.buf[:0], s...)
	return x.buf
}

// ts decodes the value at line[at:] as a timestamp.
func (x *Extractor) ts(line []byte, at int) (int64, bool) {
	if isDecDigit(line[at]) {
		v, i, ok := parseTSDigits(line, at)
		// The number must be an integer: no fraction, no exponent.
		return v, ok && line[i] != '.' && line[i]|0x20 != 'e'
	}
	if line[at] != '"' {
		return 0, false
	}
	end := x.closeQuote(at + 1)
	s := line[at+1 : end]
	if bytes.IndexByte(s, '\\') >= 0 {
		// Escapes that decode to digits are digits to encoding/json.
		var u string
		if json.Unmarshal(line[at:end+1], &u) != nil {
			return 0, false
		}
		s = []byte(u)
	}
	if len(s) == 0 {
		return 0, false
	}
	v, i, ok := parseTSDigits(s, 0)
	return v, ok && i == len(s)
}

// parseTSDigits reads the ASCII digits of s from i on and returns their value,
// the index after them, and false when the value exceeds tsMax.
func parseTSDigits(s []byte, i int) (v int64, next int, ok bool) {
	for ; i < len(s) && isDecDigit(s[i]); i++ {
		if v = v*10 + int64(s[i]-'0'); v > tsMax {
			return 0, i, false
		}
	}
	return v, i, true
}
