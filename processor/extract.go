package processor

import (
	"bytes"
	"encoding/json"
	"unicode/utf8"
)

const (
	// jsonMaxNesting is encoding/json's limit on nested objects and arrays, the
	// top-level object included: deeper frames are malformed there, so here too.
	jsonMaxNesting = 10000
	// maxLine is the longest line Extract reads (2 GiB less a block), as
	// stage 1 keeps positions as int32: longer ones are Malformed, where
	// encoding/json would parse them.
	maxLine = 1<<31 - 128
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
// uid. Like encoding/json it does not validate UTF-8 elsewhere. The one
// difference: lines over 2 GiB are Malformed.
//
// It reads a line in two passes, after simdjson: stage 1 (extract_index.go)
// classifies 64 bytes at a time, checks strings and numbers with bit
// arithmetic and lists the tokens; stage 2 (extract_walk.go) checks the
// grammar over the token list and notes where the top-level uid and ts are.
// Neither branches on the data in its inner loop: on frames as varied as the
// challenge's, mispredicted branches, not instructions, set the speed.
//
// The zero value is ready to use; not safe for concurrent use (it keeps scratch
// space).
type Extractor struct {
	toks    []int32      // positions of the line's tokens (stage 1)
	nt      int          // how many of toks are the line's
	escapes []int32      // positions of the escaped bytes other than '"' and '\' (stage 1)
	marks   []int32      // indexes in toks of the literals and top-level keys (stage 2)
	masks   []blockMasks // classification of the line's 64-byte blocks (stage 1)
	buf     []byte       // the unescaped uid, when it had escapes
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
	// A line ending in anything but '}' is not an object.
	if n < 2 || line[0] != '{' || line[n-1] != '}' || n > maxLine {
		return nil, 0, Malformed
	}
	if !x.index(line) {
		return nil, 0, Malformed
	}
	uidTok, tsTok, ok, deep := x.walk(line)
	if deep {
		return x.extractJSON(line)
	}
	if !ok {
		return nil, 0, Malformed
	}
	if uidTok < 0 {
		return nil, 0, MissingUID
	}
	if uid = x.uid(line, int(x.toks[uidTok])); uid == nil {
		return nil, 0, MissingUID
	}
	if tsTok < 0 {
		return nil, 0, MissingTS
	}
	if ts, ok = x.ts(line, int(x.toks[tsTok])); !ok {
		return nil, 0, BadTS
	}
	return uid, ts, Accepted
}

// extractJSON is Extract done by encoding/json, for lines nested deeper than
// stage 2 follows.
func (x *Extractor) extractJSON(line []byte) (uid []byte, ts int64, r Reason) {
	var m map[string]json.RawMessage
	if json.Unmarshal(line, &m) != nil {
		return nil, 0, Malformed
	}
	v, ok := m["uid"]
	if !ok || v[0] != '"' {
		return nil, 0, MissingUID
	}
	if uid = x.unquoteUID(v); uid == nil {
		return nil, 0, MissingUID
	}
	if v, ok = m["ts"]; !ok {
		return nil, 0, MissingTS
	}
	// ts reads a byte past a number: give it the '}' that follows in a line.
	if ts, ok = x.ts(append(v[:len(v):len(v)], '}'), 0); !ok {
		return nil, 0, BadTS
	}
	// uid may alias line; a copy keeps it valid whatever m becomes.
	x.buf = append(x.buf[:0], uid...)
	return x.buf, ts, Accepted
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
func isJSONSpace(c byte) bool {
	// The first test fails fast on everything but whitespace and control bytes.
	return c <= ' ' && (c == ' ' || c == '\n' || c == '\r' || c == '\t')
}

// isDecDigit reports whether c is an ASCII digit.
func isDecDigit(c byte) bool { return c-'0' < 10 }

// Which top-level key a key is.
const (
	keyOther = iota
	keyUID
	keyTS
)

// escapedKeyKind tells whether a key of 7 to 18 raw bytes is "uid" or "ts"
// once decoded as encoding/json would. Those lengths bound the escaped
// spellings: `\u0074s` is the shortest of "ts", `\u0075\u0069\u0064` the
// longest of "uid". Only \u00XX of an ASCII letter can spell either (other
// escapes stand for punctuation and control bytes, raw bytes above 0x7f for
// other runes). Stage 1 checked the escapes.
func escapedKeyKind(k []byte) int {
	var d [3]byte
	n := 0
	for i := 0; i < len(k); n++ {
		c := k[i]
		if c == '\\' {
			if i+6 > len(k) || k[i+1] != 'u' || k[i+2] != '0' || k[i+3] != '0' || !isHexDigit(k[i+4]) || !isHexDigit(k[i+5]) {
				return keyOther
			}
			c = unhex(k[i+4])<<4 | unhex(k[i+5])
			i += 6
		} else {
			i++
		}
		if n == len(d) {
			return keyOther
		}
		d[n] = c
	}
	switch string(d[:n]) {
	case "uid":
		return keyUID
	case "ts":
		return keyTS
	}
	return keyOther
}

// unhex returns the value of the hex digit c.
func unhex(c byte) byte {
	if c <= '9' {
		return c - '0'
	}
	return c | 0x20 - 'a' + 10
}

// uid returns the value at line[at] if it is a non-empty string, decoded as
// encoding/json decodes it, else nil.
func (x *Extractor) uid(line []byte, at int) []byte {
	if line[at] != '"' {
		return nil
	}
	// The first quote after the opening one closes the string unless a
	// backslash comes first, and then the loop below takes the slow way.
	s := line[at+1:]
	s = s[:max(0, bytes.IndexByte(s, '"'))]
	for _, c := range s {
		if c == '\\' || c >= utf8.RuneSelf {
			return x.unquoteUID(line[at : stringEnd(line, at)+1])
		}
	}
	if len(s) == 0 {
		return nil
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

// ts decodes the value at line[at] as a timestamp.
func (x *Extractor) ts(line []byte, at int) (int64, bool) {
	if isDecDigit(line[at]) {
		t, i, ok := parseTSDigits(line, at)
		// The number must be an integer: no fraction, no exponent.
		return t, ok && line[i] != '.' && line[i]|0x20 != 'e'
	}
	if line[at] != '"' {
		return 0, false
	}
	s := line[at+1:]
	s = s[:max(0, bytes.IndexByte(s, '"'))]
	if bytes.IndexByte(s, '\\') >= 0 {
		// Escapes that decode to digits are digits to encoding/json.
		var u string
		if json.Unmarshal(line[at:stringEnd(line, at)+1], &u) != nil {
			return 0, false
		}
		s = []byte(u)
	}
	if len(s) == 0 {
		return 0, false
	}
	t, i, ok := parseTSDigits(s, 0)
	return t, ok && i == len(s)
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
