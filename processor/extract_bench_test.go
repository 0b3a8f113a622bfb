package processor

import (
	"encoding/json"
	"strconv"
	"testing"

	"github.com/headcount/headcount/processor/framegen"
)

// benchFrames are 256 challenge-shaped frames from framegen (about 0.5 MB, so
// they stay in cache: this measures the parser, not memory bandwidth), without
// their line ends.
func benchFrames(b *testing.B) (frames [][]byte, bytesPerFrame int64) {
	b.Helper()
	frames = framegenLines(framegen.Config{Seed: 42, Frames: 256})
	var total int
	for _, f := range frames {
		total += len(f)
	}
	return frames, int64(total / len(frames))
}

// BenchmarkExtract measures Extract, full validation included, one frame an op.
func BenchmarkExtract(b *testing.B) {
	frames, size := benchFrames(b)
	var x Extractor
	b.SetBytes(size)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if _, _, r := x.Extract(frames[i]); r != Accepted {
			b.Fatalf("frame %d: %v", i, r)
		}
		if i++; i == len(frames) {
			i = 0
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "frames/s")
}

// BenchmarkEncodingJSON does the same job with the standard library, the
// cheapest way that still validates the whole frame: json.Unmarshal checks the
// entire input before it decodes, and a two-field struct is its fastest target.
func BenchmarkEncodingJSON(b *testing.B) {
	frames, size := benchFrames(b)
	b.SetBytes(size)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		var v struct {
			UID string          `json:"uid"`
			TS  json.RawMessage `json:"ts"`
		}
		if err := json.Unmarshal(frames[i], &v); err != nil {
			b.Fatalf("frame %d: %v", i, err)
		}
		ts := v.TS
		if len(ts) > 1 && ts[0] == '"' {
			ts = ts[1 : len(ts)-1]
		}
		if _, err := strconv.ParseInt(string(ts), 10, 64); err != nil || v.UID == "" {
			b.Fatalf("frame %d: uid %q ts %s", i, v.UID, v.TS)
		}
		if i++; i == len(frames) {
			i = 0
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "frames/s")
}
