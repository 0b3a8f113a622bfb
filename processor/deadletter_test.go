package processor

import (
	"bytes"
	"testing"
)

func TestDeadLetter(t *testing.T) {
	tests := []struct {
		name      string
		raw       []byte
		reason    Reason
		partition int32
		offset    int64
		want      map[string]string
	}{
		{
			name: "bad ts", raw: []byte(`{"uid":"a","ts":"x"}`), reason: BadTS, partition: 2, offset: 12345,
			want: map[string]string{"reason": "bad_ts", "source.topic": "frames", "source.partition": "2", "source.offset": "12345"},
		},
		{
			name: "empty frame", raw: []byte{}, reason: Malformed, partition: 0, offset: 0,
			want: map[string]string{"reason": "malformed", "source.topic": "frames", "source.partition": "0", "source.offset": "0"},
		},
		{
			name: "nil frame", raw: nil, reason: MissingUID, partition: 2147483647, offset: 9223372036854775807,
			want: map[string]string{"reason": "missing_uid", "source.topic": "frames", "source.partition": "2147483647", "source.offset": "9223372036854775807"},
		},
		{
			name: "binary frame", raw: []byte{0xff, 0x00, '\r'}, reason: TooLate, partition: 7, offset: 1,
			want: map[string]string{"reason": "too_late", "source.topic": "frames", "source.partition": "7", "source.offset": "1"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			raw := bytes.Clone(tt.raw)
			rec := DeadLetter("app-rejects", raw, tt.reason, "frames", tt.partition, tt.offset)
			if rec.Topic != "app-rejects" {
				t.Errorf("topic = %q, want app-rejects", rec.Topic)
			}
			if rec.Key != nil {
				t.Errorf("key = %q, want nil", rec.Key)
			}
			if rec.Value == nil {
				t.Fatal("value is nil (a tombstone), want the frame")
			}
			if !bytes.Equal(rec.Value, tt.raw) {
				t.Errorf("value = %q, want %q", rec.Value, tt.raw)
			}
			if len(raw) > 0 {
				raw[0] ^= 0xff // the caller reuses its buffer
				if !bytes.Equal(rec.Value, tt.raw) {
					t.Errorf("value changed with the caller's buffer: %q", rec.Value)
				}
			}
			got := make(map[string]string)
			for _, h := range rec.Headers {
				if _, dup := got[h.Key]; dup {
					t.Errorf("header %q repeated", h.Key)
				}
				got[h.Key] = string(h.Value)
			}
			if len(got) != len(tt.want) {
				t.Errorf("headers = %v, want %v", got, tt.want)
			}
			for k, v := range tt.want {
				if got[k] != v {
					t.Errorf("header %q = %q, want %q", k, got[k], v)
				}
			}
		})
	}
}
