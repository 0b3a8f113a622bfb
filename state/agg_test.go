package state

import (
	"math"
	"testing"
)

func TestAgg(t *testing.T) {
	tests := []struct {
		name  string
		agg   func() *Agg
		exact bool
	}{
		{"zero value", func() *Agg { return &Agg{} }, true},
		{"exact", func() *Agg { return NewAgg(true) }, true},
		{"sketch", func() *Agg { return NewAgg(false) }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := tt.agg()
			hs := uidHashes(0, 3000)
			var late uint64
			for i, h := range hs {
				a.Add(h, false)
				if i%3 == 0 {
					a.Add(h, true) // a repeat user, late
					late++
				}
			}
			if a.Exact() != tt.exact || (a.ErrorBound() == 0) != tt.exact {
				t.Fatalf("Exact %v, ErrorBound %v", a.Exact(), a.ErrorBound())
			}
			if want := uint64(len(hs)) + late; a.Frames != want || a.Late != late {
				t.Fatalf("Frames %d, Late %d; want %d, %d", a.Frames, a.Late, want, late)
			}
			rel := math.Abs(float64(a.Uniques())-float64(len(hs))) / float64(len(hs))
			if tt.exact && rel != 0 || rel > 4*a.ErrorBound() {
				t.Fatalf("Uniques %d, want about %d", a.Uniques(), len(hs))
			}
		})
	}
}

// TestAggReset checks that Reset empties an aggregate completely, switches
// its kind, and keeps an exact aggregate's table.
func TestAggReset(t *testing.T) {
	a := NewAgg(true)
	for _, h := range uidHashes(0, 5000) {
		a.Add(h, true)
	}
	a.AppendDelta(nil, 1)
	slots := len(a.set.slots)
	a.Reset(true)
	if a.Frames != 0 || a.Late != 0 || a.Uniques() != 0 || a.Seq() != 0 || !a.Exact() {
		t.Fatalf("after Reset: Frames %d, Late %d, Uniques %d, Seq %d, Exact %v", a.Frames, a.Late, a.Uniques(), a.Seq(), a.Exact())
	}
	if len(a.set.slots) != slots {
		t.Fatalf("Reset dropped the table: %d slots, had %d", len(a.set.slots), slots)
	}
	if _, changed := a.AppendDelta(nil, 0); changed {
		t.Fatal("a reset aggregate has a delta to write")
	}
	a.Add(1, false)
	if out, _ := a.AppendDelta(nil, 0); len(out) != deltaHeaderLen+8 {
		t.Fatalf("first delta after Reset is %d bytes, want one hash", len(out))
	}

	a.Reset(false)
	if a.Exact() || a.Uniques() != 0 || a.Frames != 0 {
		t.Fatalf("Reset(false): Exact %v, Uniques %d, Frames %d", a.Exact(), a.Uniques(), a.Frames)
	}
	a.Add(1, false)
	if a.Uniques() != 1 {
		t.Fatalf("sketch after Reset counts %d", a.Uniques())
	}
}

// BenchmarkAggAdd is the per-frame cost for an exact minute window, delta
// tracking included, with a delta written every 100 frames.
func BenchmarkAggAdd(b *testing.B) {
	hs := minuteHashes()
	a := NewAgg(true)
	var buf []byte
	b.ResetTimer()
	for i, j := 0, 0; i < b.N; i++ {
		a.Add(hs[j], false)
		if j++; j%100 == 0 {
			buf, _ = a.AppendDelta(buf[:0], 0)
			if j == len(hs) {
				j = 0
				a.Reset(true)
			}
		}
	}
}

func TestAggUntrackKeepsNoDeltaHashes(t *testing.T) {
	a := NewAgg(true)
	a.Untrack()
	for h := uint64(1); h <= 1000; h++ {
		a.Add(h, false)
	}
	if got := a.Uniques(); got != 1000 {
		t.Fatalf("Uniques = %d, want 1000", got)
	}
	if len(a.pending) != 0 {
		t.Fatalf("untracked aggregate remembers %d hashes for a changelog it does not have", len(a.pending))
	}
	a.Reset(true)
	a.Add(7, false)
	if len(a.pending) != 0 || !a.untracked {
		t.Fatalf("Reset dropped the untracked setting")
	}
}
