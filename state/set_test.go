package state

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// TestSetMatchesMap drives a Set and a map with the same random operations,
// including the hash 0 and hashes sharing their high bits, and checks that they
// agree after every step.
func TestSetMatchesMap(t *testing.T) {
	tests := []struct {
		name string
		gen  func(r *rand.Rand) uint64
	}{
		{"uniform", func(r *rand.Rand) uint64 { return r.Uint64() }},
		{"small pool", func(r *rand.Rand) uint64 { return r.Uint64N(300) }},
		{"same high bits", func(r *rand.Rand) uint64 { return 0xabcd<<48 | r.Uint64N(5000) }},
		{"top of table", func(r *rand.Rand) uint64 { return ^r.Uint64N(2000) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := rand.New(rand.NewPCG(1, 2))
			var s Set
			want := map[uint64]struct{}{}
			for round := range 3 {
				for range 20000 {
					h := tt.gen(r)
					if r.IntN(50) == 0 {
						h = 0
					}
					_, had := want[h]
					want[h] = struct{}{}
					if got := s.Add(h); got == had {
						t.Fatalf("round %d: Add(%#x) = %v, map had it: %v", round, h, got, had)
					}
					q := tt.gen(r)
					if _, ok := want[q]; s.Has(q) != ok {
						t.Fatalf("round %d: Has(%#x) = %v, want %v", round, q, !ok, ok)
					}
				}
				if s.Len() != len(want) {
					t.Fatalf("round %d: Len = %d, want %d", round, s.Len(), len(want))
				}
				got := s.AppendTo(nil)
				slices.Sort(got)
				keys := make([]uint64, 0, len(want))
				for k := range want {
					keys = append(keys, k)
				}
				slices.Sort(keys)
				if !slices.Equal(got, keys) {
					t.Fatalf("round %d: AppendTo differs from the map's keys (%d vs %d)", round, len(got), len(keys))
				}
				capBefore := len(s.slots)
				s.Reset()
				clear(want)
				if s.Len() != 0 || s.Has(0) || len(s.slots) != capBefore {
					t.Fatalf("round %d: after Reset Len = %d, Has(0) = %v, slots %d (was %d)", round, s.Len(), s.Has(0), len(s.slots), capBefore)
				}
			}
		})
	}
}

func TestSetZeroValue(t *testing.T) {
	var s Set
	if s.Len() != 0 || s.Has(1) || s.Has(0) || len(s.AppendTo(nil)) != 0 {
		t.Fatal("zero Set is not empty")
	}
	s.Reset()
	s.Grow(100)
	if s.limit < 100 {
		t.Fatalf("Grow(100) left room for %d", s.limit)
	}
	if !s.Add(7) || s.Add(7) || s.Len() != 1 {
		t.Fatal("Add on a grown zero Set misbehaves")
	}
}

// minuteHashes returns the hashes of a busy minute: 60k frames drawn from a
// pool of 100k users, about 45k distinct (perf-facts.md).
func minuteHashes() []uint64 {
	r := rand.New(rand.NewPCG(3, 4))
	hs := make([]uint64, 60000)
	for i := range hs {
		var uid [8]byte
		n := r.Uint64N(100000)
		for j := range uid {
			uid[j] = byte(n >> (8 * j))
		}
		hs[i] = Hash(uid[:])
	}
	return hs
}

// BenchmarkSetAdd inserts a busy minute into a Set that is Reset, not
// re-made, between minutes; ns/op is per insert.
func BenchmarkSetAdd(b *testing.B) {
	hs := minuteHashes()
	var s Set
	b.ResetTimer()
	for i := 0; i < b.N; {
		s.Reset()
		for _, h := range hs {
			s.Add(h)
			if i++; i == b.N {
				break
			}
		}
	}
}

// BenchmarkMapAdd is BenchmarkSetAdd with the built-in map, cleared between
// minutes, for comparison.
func BenchmarkMapAdd(b *testing.B) {
	hs := minuteHashes()
	m := map[uint64]struct{}{}
	b.ResetTimer()
	for i := 0; i < b.N; {
		clear(m)
		for _, h := range hs {
			m[h] = struct{}{}
			if i++; i == b.N {
				break
			}
		}
	}
}
