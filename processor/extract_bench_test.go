package processor

import (
	"encoding/json"
	"errors"
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
	eachFrame(b, len(frames), size, func(i int) error {
		_, _, r := x.Extract(frames[i])
		return acceptedOrError(r)
	})
}

// eachFrame runs op on frame 0, 1, ... of n in turn, one frame an op, and
// reports frames/s; an error from op fails the benchmark.
func eachFrame(b *testing.B, n int, size int64, op func(i int) error) {
	b.Helper()
	b.SetBytes(size)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if err := op(i); err != nil {
			b.Fatalf("frame %d: %v", i, err)
		}
		if i++; i == n {
			i = 0
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "frames/s")
}

// acceptedOrError is nil for Accepted, else r as an error.
func acceptedOrError(r Reason) error {
	if r != Accepted {
		return errors.New(r.String())
	}
	return nil
}

// BenchmarkEncodingJSON does the same job with the standard library, the way
// that gets the same answers (refExtract): json.Unmarshal into a
// map[string]json.RawMessage (it checks the whole input before decoding), then
// the two values. Decoding into a struct would be faster but wrong: it matches
// keys case-insensitively, and framegen's frames carry "UID" and "Ts" decoys.
func BenchmarkEncodingJSON(b *testing.B) {
	frames, size := benchFrames(b)
	eachFrame(b, len(frames), size, func(i int) error {
		_, _, r := refExtract(frames[i])
		return acceptedOrError(r)
	})
}

// BenchmarkEncodingJSONStruct is the cheapest full validation encoding/json
// offers: json.Unmarshal into a struct of two raw fields. It is no answer (decoy keys
// fool it), only the standard library's best speed on these frames.
func BenchmarkEncodingJSONStruct(b *testing.B) {
	frames, size := benchFrames(b)
	eachFrame(b, len(frames), size, func(i int) error {
		var v struct {
			UID json.RawMessage `json:"uid"` // raw: a decoy "UID" may be a number
			TS  json.RawMessage `json:"ts"`
		}
		return json.Unmarshal(frames[i], &v)
	})
}

// BenchmarkExtractStages splits BenchmarkExtract into its two stages, on the
// same frames: stage 1 (index: classification, strings, numbers, escapes,
// the token list) and stage 2 (walk, over tokens listed before the timer
// runs and copied back for each op).
func BenchmarkExtractStages(b *testing.B) {
	frames, size := benchFrames(b)
	for i, f := range frames {
		frames[i] = trimJSONSpace(f) // as Extract does first
	}
	b.Run("index", func(b *testing.B) {
		var x Extractor
		eachFrame(b, len(frames), size, func(i int) error {
			if !x.index(frames[i]) {
				return errors.New("index failed")
			}
			return nil
		})
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
		eachFrame(b, len(frames), size, func(i int) error {
			x.nt = copy(x.toks, toks[i])
			if _, _, ok, _ := x.walk(frames[i]); !ok {
				return errors.New("walk failed")
			}
			return nil
		})
	})
}

// BenchmarkExtractFewFrames is BenchmarkExtract cycling through 32 frames
// only: few enough for the branch predictor to learn their bytes. The
// difference with BenchmarkExtract is the cost of branch mispredictions on
// distinct frames (perf's hardware counters are not available on every
// machine; this works everywhere).
func BenchmarkExtractFewFrames(b *testing.B) {
	frames, size := benchFrames(b)
	var x Extractor
	eachFrame(b, 32, size, func(i int) error {
		_, _, r := x.Extract(frames[i])
		return acceptedOrError(r)
	})
}
