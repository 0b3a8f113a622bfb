package processor

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"testing"
)

// goldenRejects covers every reason, escapes that JSON strings need, control
// bytes, UTF-8, invalid UTF-8 (written as base64) and an empty line.
var goldenRejects = []struct {
	f      Frame
	r      Reason
	source string
}{
	{Frame{Pos: 1, Raw: []byte(`{"uid":"a","ts":1`)}, Malformed, "in.jsonl"},
	{Frame{Pos: 2, Raw: []byte(`{"ts":1468244340,"msg":"say \"hi\"\\n"}`)}, MissingUID, "in.jsonl"},
	{Frame{Pos: 3, Raw: []byte(`{"uid":"пользователь"}`)}, MissingTS, "логи/in.jsonl"},
	{Frame{Pos: 4, Raw: []byte("{\"uid\":\"a\",\"ts\":\"1\t2\"}\r")}, BadTS, "-"},
	{Frame{Pos: 5, Raw: []byte(`{"uid":"a","ts":9468244340}`)}, TSOutlier, "frames:3"},
	{Frame{Pos: 1 << 40, Raw: []byte(`{"uid":"a","ts":1}`)}, TooLate, "frames:0"},
	{Frame{Pos: 7, Raw: []byte("\x00\x01\x1f\x7f <html>\u2028")}, Malformed, "a \"quoted\"\\name"},
	{Frame{Pos: 8, Raw: []byte("\xff\xfe{\"uid\":\"a\"}")}, Malformed, "bin.gz"},
	{Frame{Pos: 9, Raw: []byte("{\"uid\":\"\xc3\"}")}, MissingTS, "bin.gz"},
	{Frame{Pos: 10}, Malformed, ""},
}

func TestRejectGolden(t *testing.T) {
	var out []byte
	for _, g := range goldenRejects {
		out = append(AppendReject(out, g.f, g.r, g.source), '\n')
	}
	golden(t, "rejects.golden", out)
}

// TestRejectRoundTrip: every reject line is JSON that gives back the reason,
// source, line and the exact original bytes.
func TestRejectRoundTrip(t *testing.T) {
	for _, g := range goldenRejects {
		b := AppendReject(nil, g.f, g.r, g.source)
		var got struct {
			Reason      string  `json:"reason"`
			Source      string  `json:"source"`
			Line        int64   `json:"line"`
			Frame       *string `json:"frame"`
			FrameBase64 *string `json:"frame_base64"`
		}
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&got); err != nil {
			t.Errorf("%s: %v", b, err)
			continue
		}
		if !json.Valid(b) {
			t.Errorf("%s: not valid JSON", b)
		}
		var raw []byte
		switch {
		case got.Frame != nil && got.FrameBase64 == nil:
			raw = []byte(*got.Frame)
		case got.Frame == nil && got.FrameBase64 != nil:
			var err error
			if raw, err = base64.StdEncoding.DecodeString(*got.FrameBase64); err != nil {
				t.Errorf("%s: %v", b, err)
			}
		default:
			t.Errorf("%s: want exactly one of frame and frame_base64", b)
		}
		if got.Reason != g.r.String() || got.Source != g.source || got.Line != g.f.Pos || !bytes.Equal(raw, g.f.Raw) {
			t.Errorf("%s decodes to %q %q %d %q; want %q %q %d %q", b, got.Reason, got.Source, got.Line, raw,
				g.r, g.source, g.f.Pos, g.f.Raw)
		}
	}
}

func TestReasonString(t *testing.T) {
	want := []string{"accepted", "malformed", "missing_uid", "missing_ts", "bad_ts", "ts_outlier", "too_late"}
	for r := range NumReasons {
		if got := r.String(); got != want[r] {
			t.Errorf("Reason(%d) = %q, want %q", r, got, want[r])
		}
	}
	if got := NumReasons.String(); got != "unknown" {
		t.Errorf("NumReasons.String() = %q", got)
	}
}
