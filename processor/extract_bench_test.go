package processor

import (
	"encoding/json"
	"slices"
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

// BenchmarkEncodingJSON does the same job with the standard library, the way
// that gets the same answers (refExtract): json.Unmarshal into a
// map[string]json.RawMessage (it checks the whole input before decoding), then
// the two values. Decoding into a struct would be faster but wrong: it matches
// keys case-insensitively, and framegen's frames carry "UID" and "Ts" decoys.
func BenchmarkEncodingJSON(b *testing.B) {
	frames, size := benchFrames(b)
	b.SetBytes(size)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if _, _, r := refExtract(frames[i]); r != Accepted {
			b.Fatalf("frame %d: %v", i, r)
		}
		if i++; i == len(frames) {
			i = 0
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "frames/s")
}

// BenchmarkEncodingJSONStruct is the cheapest full validation encoding/json
// offers: json.Unmarshal into a struct of two raw fields. It is no answer (decoy keys
// fool it), only the standard library's best speed on these frames.
func BenchmarkEncodingJSONStruct(b *testing.B) {
	frames, size := benchFrames(b)
	b.SetBytes(size)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		var v struct {
			UID json.RawMessage `json:"uid"` // raw: a decoy "UID" may be a number
			TS  json.RawMessage `json:"ts"`
		}
		if err := json.Unmarshal(frames[i], &v); err != nil {
			b.Fatalf("frame %d: %v", i, err)
		}
		if i++; i == len(frames) {
			i = 0
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "frames/s")
}

// BenchmarkExtractStages splits BenchmarkExtract into its two stages, on the
// same frames: stage 1 (index: classification, escapes, the list of quotes)
// and stage 2 (walk, over a line indexed before the timer runs, so each op
// indexes the frame untimed first).
func BenchmarkExtractStages(b *testing.B) {
	frames, size := benchFrames(b)
	for i, f := range frames {
		frames[i] = trimJSONSpace(f) // as Extract does first
	}
	b.Run("index", func(b *testing.B) {
		var x Extractor
		b.SetBytes(size)
		i := 0
		for b.Loop() {
			if !x.index(frames[i]) {
				b.Fatalf("frame %d: index failed", i)
			}
			if i++; i == len(frames) {
				i = 0
			}
		}
	})
	b.Run("walk", func(b *testing.B) {
		// One Extractor a frame would not stay in cache: index each frame
		// once, keep its tokens, and copy them back before the walk.
		var x Extractor
		toks := make([][]int32, len(frames))
		for i, f := range frames {
			x.index(f)
			toks[i] = slices.Clone(x.toks[:x.nt])
		}
		b.SetBytes(size)
		i := 0
		for b.Loop() {
			x.nt = copy(x.toks, toks[i])
			if _, _, ok, _ := x.walk(frames[i]); !ok {
				b.Fatalf("frame %d: walk failed", i)
			}
			if i++; i == len(frames) {
				i = 0
			}
		}
	})
}

// BenchmarkExtractFewFrames is BenchmarkExtract cycling through 32 frames
// only: few enough for the branch predictor to learn their bytes. The
// difference with BenchmarkExtract is the cost of branch mispredictions on
// distinct frames (perf's hardware counters are not available on every
// machine; this works everywhere).
func BenchmarkExtractFewFrames(b *testing.B) {
	frames, size := benchFrames(b)
	frames = frames[:32]
	var x Extractor
	b.SetBytes(size)
	i := 0
	for b.Loop() {
		if _, _, r := x.Extract(frames[i]); r != Accepted {
			b.Fatalf("frame %d: %v", i, r)
		}
		if i++; i == len(frames) {
			i = 0
		}
	}
}
