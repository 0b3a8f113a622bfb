package state

import (
	"math"
	"strconv"
	"testing"

	"github.com/axiomhq/hyperloglog"
)

// uidHashes returns the hashes of the uids "u<from>" to "u<to-1>".
func uidHashes(from, to int) []uint64 {
	hs := make([]uint64, 0, to-from)
	for i := from; i < to; i++ {
		hs = append(hs, Hash(strconv.AppendInt([]byte("u"), int64(i), 10)))
	}
	return hs
}

// sparse reports whether a hyperloglog encoding is of the sparse kind (its
// header byte 3).
func sparse(enc []byte) bool { return enc[3] == 1 }

// TestSketchRoundTrip encodes sketches of several sizes, sparse and dense,
// restores them, and checks that the restored sketch estimates as the
// original does, then and after both take the same further hashes, through
// the sparse-to-dense transition.
func TestSketchRoundTrip(t *testing.T) {
	tests := []struct {
		name                  string
		n, more               int
		wantSparse, endSparse bool
	}{
		{"empty", 0, 100, true, true},
		{"one", 1, 100, true, true},
		{"sparse", 1000, 1000, true, true},
		{"sparse turning dense", 5000, 10000, true, false},
		{"dense", 40000, 5000, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var s Sketch
			for _, h := range uidHashes(0, tt.n) {
				s.Add(h)
			}
			enc, err := s.MarshalBinary()
			if err != nil {
				t.Fatal(err)
			}
			if sparse(enc) != tt.wantSparse {
				t.Fatalf("encoding sparse = %v, want %v", sparse(enc), tt.wantSparse)
			}
			var r Sketch
			if err := r.UnmarshalBinary(enc); err != nil {
				t.Fatal(err)
			}
			if got, want := r.Estimate(), s.Estimate(); got != want {
				t.Fatalf("restored estimate %d, original %d", got, want)
			}
			more := uidHashes(tt.n, tt.n+tt.more)
			for i, h := range more {
				s.Add(h)
				r.Add(h)
				if i%997 == 0 || i == len(more)-1 {
					if got, want := r.Estimate(), s.Estimate(); got != want {
						t.Fatalf("after %d more hashes: restored estimate %d, original %d", i+1, got, want)
					}
				}
			}
			a, _ := s.MarshalBinary()
			b, _ := r.MarshalBinary()
			if sparse(a) != tt.endSparse || sparse(b) != tt.endSparse {
				t.Fatalf("at the end original sparse = %v, restored sparse = %v, want %v", sparse(a), sparse(b), tt.endSparse)
			}
		})
	}
}

// TestSketchError checks the estimate against the true count, within a
// generous 4 standard errors (a fixed input, so the test is deterministic).
func TestSketchError(t *testing.T) {
	for _, n := range []int{10, 1000, 45000, 200000} {
		var s Sketch
		for _, h := range uidHashes(0, n) {
			s.Add(h)
			s.Add(h)
		}
		rel := math.Abs(float64(s.Estimate())-float64(n)) / float64(n)
		t.Logf("n=%d estimate=%d relative error %.4f (bound %.4f)", n, s.Estimate(), rel, s.ErrorBound())
		if rel > 4*s.ErrorBound() {
			t.Errorf("n=%d: estimate %d, relative error %.4f exceeds 4 × %.4f", n, s.Estimate(), rel, s.ErrorBound())
		}
	}
}

func TestSketchUnmarshalRejects(t *testing.T) {
	p16, _ := hyperloglog.New16().MarshalBinary()
	var good Sketch
	good.Add(1)
	enc, _ := good.MarshalBinary()
	tests := []struct {
		name string
		data []byte
	}{
		{"nil", nil},
		{"short", enc[:5]},
		{"precision 16", p16},
		{"bad version", append([]byte{9}, enc[1:]...)},
		{"trailing byte", append(enc[:len(enc):len(enc)], 0)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var s Sketch
			for _, h := range uidHashes(0, 50) {
				s.Add(h)
			}
			before := s.Estimate()
			if err := s.UnmarshalBinary(tt.data); err == nil {
				t.Fatal("UnmarshalBinary succeeded")
			}
			if s.Estimate() != before {
				t.Fatalf("failed UnmarshalBinary changed the estimate from %d to %d", before, s.Estimate())
			}
		})
	}
}

func TestSketchZeroAndReset(t *testing.T) {
	var s Sketch
	enc, err := s.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	var r Sketch
	if err := r.UnmarshalBinary(enc); err != nil || r.Estimate() != 0 {
		t.Fatalf("zero sketch restored: estimate %d, err %v", r.Estimate(), err)
	}
	// A reset sketch must estimate exactly as a new one: back to sparse.
	for _, h := range uidHashes(0, 30000) {
		s.Add(h)
	}
	s.Reset()
	var fresh Sketch
	for _, h := range uidHashes(0, 500) {
		s.Add(h)
		fresh.Add(h)
	}
	if s.Estimate() != fresh.Estimate() {
		t.Fatalf("reset sketch estimates %d, new one %d", s.Estimate(), fresh.Estimate())
	}
}

// TestCounter checks both kinds of NewCounter against the truth.
func TestCounter(t *testing.T) {
	hs := uidHashes(0, 5000)
	for _, exact := range []bool{true, false} {
		c := NewCounter(exact)
		for _, h := range hs {
			c.Add(h)
			c.Add(h)
		}
		if c.Exact() != exact || (c.ErrorBound() == 0) != exact {
			t.Fatalf("NewCounter(%v): Exact %v, ErrorBound %v", exact, c.Exact(), c.ErrorBound())
		}
		diff := math.Abs(float64(c.Count())-float64(len(hs))) / float64(len(hs))
		if exact && diff != 0 || diff > 4*c.ErrorBound() {
			t.Fatalf("NewCounter(%v): Count %d, want about %d", exact, c.Count(), len(hs))
		}
	}
}

// BenchmarkSketchAdd adds a busy minute's hashes to a dense sketch; ns/op is
// per hash.
func BenchmarkSketchAdd(b *testing.B) {
	hs := minuteHashes()
	var s Sketch
	for _, h := range uidHashes(0, 50000) {
		s.Add(h) // dense from the start, as day to year windows are
	}
	b.ResetTimer()
	for i := range b.N {
		s.Add(hs[i%len(hs)])
	}
}

// BenchmarkSketchEstimate measures an uncached Estimate of a dense sketch
// (each iteration adds one hash first), which an early result of a changed
// sketch window costs.
func BenchmarkSketchEstimate(b *testing.B) {
	var s Sketch
	for _, h := range uidHashes(0, 50000) {
		s.Add(h)
	}
	i := uint64(0)
	for b.Loop() {
		i++
		s.Add(i)
		s.Estimate()
	}
}
