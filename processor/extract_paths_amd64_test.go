package processor

import (
	"math/rand/v2"
	"slices"
	"testing"
	"unsafe"

	"github.com/headcount/headcount/processor/framegen"
)

// The assembly reads blockMasks, scanState and walkTables by offset.
func TestAssemblyLayouts(t *testing.T) {
	var m blockMasks
	var s scanState
	var w walkTables
	for _, c := range []struct {
		name      string
		got, want uintptr
	}{
		{"blockMasks size", unsafe.Sizeof(m), 96},
		{"blockMasks.quote", unsafe.Offsetof(m.quote), 0},
		{"blockMasks.backslash", unsafe.Offsetof(m.backslash), 8},
		{"blockMasks.ctl", unsafe.Offsetof(m.ctl), 16},
		{"blockMasks.bracket", unsafe.Offsetof(m.bracket), 24},
		{"blockMasks.sep", unsafe.Offsetof(m.sep), 32},
		{"blockMasks.delim", unsafe.Offsetof(m.delim), 40},
		{"blockMasks.digit", unsafe.Offsetof(m.digit), 48},
		{"blockMasks.zero", unsafe.Offsetof(m.zero), 56},
		{"blockMasks.minus", unsafe.Offsetof(m.minus), 64},
		{"blockMasks.plus", unsafe.Offsetof(m.plus), 72},
		{"blockMasks.dot", unsafe.Offsetof(m.dot), 80},
		{"blockMasks.expo", unsafe.Offsetof(m.expo), 88},
		{"scanState.bad", unsafe.Offsetof(s.bad), 0},
		{"scanState.sepRun", unsafe.Offsetof(s.sepRun), 8},
		{"scanState.esc", unsafe.Offsetof(s.esc), 16},
		{"scanState.inStr", unsafe.Offsetof(s.inStr), 24},
		{"scanState.scalar", unsafe.Offsetof(s.scalar), 32},
		{"scanState.run", unsafe.Offsetof(s.run), 40},
		{"scanState.expoRun", unsafe.Offsetof(s.expoRun), 48},
		{"scanState.dotRun", unsafe.Offsetof(s.dotRun), 56},
		{"scanState.digit", unsafe.Offsetof(s.digit), 64},
		{"scanState.expo", unsafe.Offsetof(s.expo), 72},
		{"scanState.needDigit", unsafe.Offsetof(s.needDigit), 80},
		{"scanState.inRun", unsafe.Offsetof(s.inRun), 88},
		{"scanState.intZero", unsafe.Offsetof(s.intZero), 96},
		{"scanState.nonDigit", unsafe.Offsetof(s.nonDigit), 104},
		{"scanState.escaped", unsafe.Offsetof(s.escaped), 112},
		{"scanState.unicode", unsafe.Offsetof(s.unicode), 120},
		{"walkTables.class", unsafe.Offsetof(w.class), 0},
		{"walkTables.sep", unsafe.Offsetof(w.sep), 256},
		{"walkTables.illegal", unsafe.Offsetof(w.illegal), 512},
		{"walkTables.next", unsafe.Offsetof(w.next), 1024},
		{"walkTables.open", unsafe.Offsetof(w.open), 1088},
		{"walkTables.shut", unsafe.Offsetof(w.shut), 1152},
		{"walkTables.array", unsafe.Offsetof(w.array), 1216},
		{"walkTables.literal", unsafe.Offsetof(w.literal), 1280},
		{"walkTables.key", unsafe.Offsetof(w.key), 1344},
	} {
		if c.got != c.want {
			t.Errorf("%s = %d, the assembly uses %d", c.name, c.got, c.want)
		}
	}
}

// TestClassifyAssembly checks the AVX-512 and AVX2 classifiers against
// plain comparisons.
func TestClassifyAssembly(t *testing.T) {
	for _, c := range []struct {
		name        string
		has, avx512 bool
	}{{"AVX-512", cpuHasAVX512, true}, {"AVX2", cpuHasAVX2, false}} {
		t.Run(c.name, func(t *testing.T) {
			if !c.has {
				t.Skip("CPU without " + c.name)
			}
			checkClassifyRandom(t, func(line []byte, masks []blockMasks) { classifyWith(c.avx512, line, masks) })
		})
	}
}

// pathLines are challenge frames, framegen lines with every kind of damage,
// and mutations of both: inputs for comparing the assembly with the Go code.
func pathLines(t *testing.T) [][]byte {
	lines := framegenLines(framegen.Config{Seed: 21, Frames: 2000, Truncated: 0.05, Garbage: 0.05, Invalid: 0.05})
	frames := challengeFrames(t, 22, 300)
	lines = append(lines, frames...)
	rng := rand.New(rand.NewPCG(23, 24))
	for _, f := range frames {
		for range 50 {
			lines = append(lines, mutate(rng, f))
		}
	}
	return lines
}

// TestIndexAssembly checks indexAVX512 against indexGo: the same verdict and,
// for lines both accept, the same tokens.
func TestIndexAssembly(t *testing.T) {
	if !hasIndexAVX512 {
		t.Skip("CPU without AVX-512 VBMI2")
	}
	var asm, pure Extractor
	accepted := 0
	for _, line := range pathLines(t) {
		line = trimJSONSpace(line)
		if len(line) == 0 {
			continue
		}
		asm.index(line) // sizes the buffers
		pure.index(line)
		a := asm.indexAVX512(line) >= 0
		ne := pure.indexGo(line)
		if gok := ne >= 0 && validEscapes(line, pure.escapes[:ne]); a != gok {
			t.Fatalf("stage 1 of %q: assembly says %v, Go says %v", line, a, gok)
		}
		if !a {
			continue
		}
		accepted++
		if at, gt := asm.toks[:asm.nt], pure.toks[:pure.nt]; !slices.Equal(at, gt) {
			t.Fatalf("tokens of %q:\n asm %v\n  go %v", line, at, gt)
		}
	}
	if accepted < 1000 {
		t.Fatalf("only %d lines passed stage 1: the test lost its teeth", accepted)
	}
}

// TestWalkAssembly checks walkTokensAsm against walkTokensGo on the tokens
// of every line stage 1 accepts.
func TestWalkAssembly(t *testing.T) {
	var x Extractor
	bad := 0
	for _, line := range pathLines(t) {
		line = trimJSONSpace(line)
		if len(line) < 4 || line[0] != '{' || !x.index(line) {
			continue
		}
		toks := x.toks[:x.nt]
		gm, am := make([]int32, len(toks)), make([]int32, len(toks))
		gb, gd, gn := walkTokensGo(line, toks, gm, &tables)
		ab, ad, an := walkTokens(line, toks, am, &tables)
		if ab != gb || ad != gd || an != gn || !slices.Equal(am[:an], gm[:gn]) {
			t.Fatalf("walk of %q: assembly %d %d %v, Go %d %d %v", line, ab, ad, am[:an], gb, gd, gm[:gn])
		}
		bad += b2i(gb != 0)
	}
	if bad == 0 {
		t.Fatal("no line failed the walk: the test lost its teeth")
	}
}

// TestExtractPortable runs the comparisons with encoding/json on the
// portable code (SWAR classifier, Go stage 1), which this CPU would not
// otherwise use.
func TestExtractPortable(t *testing.T) {
	defer func(i, c, c2 bool) { hasIndexAVX512, hasAVX512, hasAVX2 = i, c, c2 }(hasIndexAVX512, hasAVX512, hasAVX2)
	hasIndexAVX512, hasAVX512, hasAVX2 = false, false, false
	TestExtract(t)
	TestExtractMutated(t)
	var x Extractor
	for _, line := range pathLines(t) {
		uid, ts, r := x.Extract(line)
		if wuid, wts, wr := refExtract(line); r != wr || string(uid) != wuid || ts != wts {
			t.Fatalf("Extract(%q) = %q, %d, %v; encoding/json says %q, %d, %v", line, uid, ts, r, wuid, wts, wr)
		}
	}
}

// BenchmarkExtractPortable is BenchmarkExtract on the code a CPU without
// AVX-512 VBMI2 runs: Go stage 1, with the classifier of AVX-512 BW, of
// AVX2, or the SWAR one.
func BenchmarkExtractPortable(b *testing.B) {
	defer func(i, c, c2 bool) { hasIndexAVX512, hasAVX512, hasAVX2 = i, c, c2 }(hasIndexAVX512, hasAVX512, hasAVX2)
	hasIndexAVX512 = false
	for _, v := range []struct {
		name         string
		avx512, avx2 bool
		cpuHas       bool
	}{{"avx512", true, false, cpuHasAVX512}, {"avx2", false, true, cpuHasAVX2}, {"swar", false, false, true}} {
		b.Run(v.name, func(b *testing.B) {
			if !v.cpuHas {
				b.Skip("CPU without it")
			}
			hasAVX512, hasAVX2 = v.avx512, v.avx2
			BenchmarkExtract(b)
		})
	}
}

// cpuHasAVX512 and cpuHasAVX2 are hasAVX512 and hasAVX2 as detected,
// before any test changes them.
var cpuHasAVX512, cpuHasAVX2 = hasAVX512, hasAVX2
