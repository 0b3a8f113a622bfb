package processor

import (
	"bytes"
	"encoding/json"
	"strconv"
	"testing"

	"github.com/headcount/headcount/processor/framegen"
)

// refExtract is the specification of Extract, built on encoding/json: the line
// must unmarshal into a map[string]json.RawMessage (a top-level null unmarshals
// into a nil map without error and is malformed too), then uid and ts are
// decoded from the last occurrence of their top-level keys.
func refExtract(line []byte) (uid string, ts int64, r Reason) {
	var m map[string]json.RawMessage
	if json.Unmarshal(line, &m) != nil || m == nil {
		return "", 0, Malformed
	}
	raw, ok := m["uid"]
	if !ok || raw[0] != '"' || json.Unmarshal(raw, &uid) != nil || uid == "" {
		return "", 0, MissingUID
	}
	raw, ok = m["ts"]
	if !ok {
		return "", 0, MissingTS
	}
	digits := string(raw)
	if raw[0] == '"' && json.Unmarshal(raw, &digits) != nil {
		return "", 0, BadTS
	}
	if digits == "" || bytes.ContainsFunc([]byte(digits), func(c rune) bool { return c < '0' || c > '9' }) {
		return "", 0, BadTS
	}
	v, err := strconv.ParseUint(digits, 10, 64)
	if err != nil || v > tsMax {
		return "", 0, BadTS
	}
	return uid, int64(v), Accepted
}

// FuzzExtract checks Extract against refExtract on arbitrary lines.
func FuzzExtract(f *testing.F) {
	for _, tc := range extractCases {
		f.Add([]byte(tc.line))
	}
	for _, fr := range challengeFrames(f, 7, 16) {
		f.Add(fr)
	}
	for _, fr := range framegenLines(framegen.Config{Seed: 7, Frames: 64, Truncated: 0.1, Garbage: 0.1, Invalid: 0.1, CRLF: 0.1}) {
		f.Add(fr)
	}
	var x Extractor
	f.Fuzz(func(t *testing.T, line []byte) {
		wantUID, wantTS, wantR := refExtract(line)
		uid, ts, r := x.Extract(line)
		if r != wantR || string(uid) != wantUID || ts != wantTS {
			t.Fatalf("Extract(%q) = %q, %d, %v; encoding/json says %q, %d, %v",
				line, uid, ts, r, wantUID, wantTS, wantR)
		}
	})
}
