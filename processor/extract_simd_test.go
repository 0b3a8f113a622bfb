//go:build goexperiment.simd && amd64

package processor

import (
	"math/rand/v2"
	"testing"

	"github.com/headcount/headcount/processor/framegen"
)

// TestClassifySIMD checks both SIMD classifiers against the portable one, on
// random blocks rich in the bytes that matter and on lines of every length
// modulo 64 (the padded last block).
func TestClassifySIMD(t *testing.T) {
	if !simdClassify {
		t.Skip("CPU without AVX2")
	}
	rng := rand.New(rand.NewPCG(11, 12))
	alphabet := []byte{'"', '\\', 0, 0x1f, ' ', '!', 'a', 0x7f, 0x80, 0xa2, 0xdc, 0xff}
	variants := map[string]func([]byte, []blockMasks){"AVX2": classifyAVX2}
	if simdWide {
		variants["AVX-512"] = classifyAVX512
	}
	for range 2000 {
		line := make([]byte, 1+rng.IntN(300))
		for i := range line {
			line[i] = alphabet[rng.IntN(len(alphabet))]
		}
		want := make([]blockMasks, (len(line)+63)/64)
		classifySWAR(line, want)
		for name, classify := range variants {
			got := make([]blockMasks, len(want))
			classify(line, got)
			for k := range want {
				// ctl only says whether a block has control bytes.
				if got[k].quote != want[k].quote || got[k].backslash != want[k].backslash || (got[k].ctl != 0) != (want[k].ctl != 0) {
					t.Fatalf("%s on %q block %d: %+v, SWAR says %+v", name, line, k, got[k], want[k])
				}
			}
		}
	}
}

// TestExtractSWARInSIMDBuild runs the extractor's comparisons with
// encoding/json on the portable classifier too, which this build would not
// otherwise use.
func TestExtractSWARInSIMDBuild(t *testing.T) {
	defer func(v bool) { simdClassify = v }(simdClassify)
	simdClassify = false
	TestExtract(t)
	TestExtractMutated(t)
	var x Extractor
	for _, line := range framegenLines(framegen.Config{Seed: 13, Frames: 3000, Truncated: 0.05, Garbage: 0.05, Invalid: 0.05}) {
		uid, ts, r := x.Extract(line)
		if wuid, wts, wr := refExtract(line); r != wr || string(uid) != wuid || ts != wts {
			t.Fatalf("Extract(%q) = %q, %d, %v; encoding/json says %q, %d, %v", line, uid, ts, r, wuid, wts, wr)
		}
	}
}
