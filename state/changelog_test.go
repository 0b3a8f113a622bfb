package state

import (
	"bytes"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// goldenRecords builds a fixed sequence of changelog records, one of each
// kind of change, labelled for the golden file.
func goldenRecords() (labels []string, recs [][]byte) {
	add := func(label string, b []byte) {
		labels = append(labels, label)
		recs = append(recs, b)
	}
	e := NewAgg(true)
	e.Add(1, false)
	e.Add(0xdeadbeefcafef00d, false)
	e.Add(1, true)
	e.Add(0, false)
	v, _ := e.AppendDelta(nil, 0)
	add("exact seq 0: three new hashes, 4 frames, 1 late", v)
	add("its key", e.AppendLastKey(nil, "minute", 1468244340, 3))
	e.Add(0xdeadbeefcafef00d, false)
	v, _ = e.AppendDelta(nil, 0)
	add("exact seq 1: no new hash, 5 frames", v)
	v, _ = e.AppendDelta(nil, 0x2)
	add("exact seq 2: flags 0x2 only", v)
	add("its key", e.AppendLastKey(nil, "minute", 1468244340, 3))

	s := NewAgg(false)
	s.Add(1, false)
	s.Add(0xdeadbeefcafef00d, true)
	v, _ = s.AppendDelta(nil, 0x1)
	add("sketch seq 0: two hashes, flags 0x1", v)
	add("its key", s.AppendLastKey(nil, "day", -86400, 4294967295))
	return labels, recs
}

// TestChangelogGolden pins the exact bytes of keys and values: a restarted
// instance of a newer build must read what an older one wrote.
func TestChangelogGolden(t *testing.T) {
	labels, recs := goldenRecords()
	var got strings.Builder
	for i, r := range recs {
		fmt.Fprintf(&got, "# %s\n%s", labels[i], hex.Dump(r))
	}
	path := filepath.Join("testdata", "changelog.golden")
	if *update {
		if err := os.WriteFile(path, []byte(got.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./state -run Golden -update to create it)", err)
	}
	if got.String() != string(want) {
		t.Fatalf("changelog encoding changed; got:\n%s\nwant:\n%s", got.String(), want)
	}
}

func TestParseDeltaRejects(t *testing.T) {
	e := NewAgg(true)
	e.Add(7, true)
	good, _ := e.AppendDelta(nil, 0)
	with := func(i int, b byte) []byte {
		v := bytes.Clone(good)
		v[i] = b
		return v
	}
	tests := []struct {
		name  string
		value []byte
		want  string
		is    error
	}{
		{"empty", nil, "header needs 30", io.ErrUnexpectedEOF},
		{"short header", good[:29], "header needs 30", io.ErrUnexpectedEOF},
		{"version 0", with(0, 0), "version 0", nil},
		{"version 2", with(0, 2), "version 2", nil},
		{"kind 3", with(1, 3), "kind 3", nil},
		{"hash list cut", good[:len(good)-1], "not a multiple of 8", nil},
		{"seq max", slices.Concat(good[:6], bytes.Repeat([]byte{0xff}, 8), good[14:]), "seq out of range", nil},
		{"late above frames", with(22, 2), "2 late frames of 1", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseDelta(tt.value)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want one saying %q", err, tt.want)
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Fatalf("error %v does not wrap %v", err, tt.is)
			}
			a := NewAgg(true)
			if _, err := a.ApplyDelta(tt.value); err == nil || a.Frames != 0 || a.Uniques() != 0 || a.Seq() != 0 {
				t.Fatalf("ApplyDelta: error %v, Frames %d, Uniques %d, Seq %d", err, a.Frames, a.Uniques(), a.Seq())
			}
		})
	}
}

func TestApplyDeltaRejects(t *testing.T) {
	e := NewAgg(true)
	e.Add(7, false)
	exactRec, _ := e.AppendDelta(nil, 0)
	s := NewAgg(false)
	s.Add(7, false)
	sketchRec, _ := s.AppendDelta(nil, 0)
	badSketch := bytes.Clone(sketchRec)
	badSketch[deltaHeaderLen+1] = 16 // precision 16

	tests := []struct {
		name  string
		exact bool
		value []byte
		want  string
	}{
		{"sketch record into exact", true, sketchRec, "is a sketch, aggregate is exact"},
		{"exact record into sketch", false, exactRec, "is exact, aggregate is a sketch"},
		{"sketch of precision 16", false, badSketch, "precision 16"},
		{"sketch cut short", false, sketchRec[:len(sketchRec)-2], "decode sketch"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := NewAgg(tt.exact)
			a.Add(99, false)
			if _, err := a.ApplyDelta(tt.value); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want one saying %q", err, tt.want)
			}
			if a.Frames != 1 || a.Uniques() != 1 || a.Seq() != 0 {
				t.Fatalf("failed ApplyDelta changed the aggregate: Frames %d, Uniques %d, Seq %d", a.Frames, a.Uniques(), a.Seq())
			}
		})
	}
}

// TestChangelogRoundTrip is the property the service relies on: random adds,
// deltas at random points, then a restore from those deltas applied in any
// order, some twice, gives the same frames, late, flags, uniques, next seq
// and keys, and an aggregate that goes on exactly like the original.
func TestChangelogRoundTrip(t *testing.T) {
	for seed := range uint64(20) {
		for _, exact := range []bool{true, false} {
			t.Run(fmt.Sprintf("seed %d exact %v", seed, exact), func(t *testing.T) {
				r := rand.New(rand.NewPCG(seed, 99))
				// Pools up to 40k users take sketches through sparse to dense.
				pool := 1 + r.IntN(40000)
				orig := NewAgg(exact)
				var recs [][]byte
				keys := map[string]bool{}
				var flags uint32
				frames := r.IntN(60000)
				for i := range frames {
					orig.Add(Hash(fmt.Appendf(nil, "u%d", r.IntN(pool))), r.IntN(20) == 0)
					if r.IntN(500) == 0 || i == frames-1 {
						if r.IntN(4) == 0 {
							flags = r.Uint32N(8)
						}
						v, changed := orig.AppendDelta(nil, flags)
						if !changed {
							continue
						}
						recs = append(recs, v)
						k := string(orig.AppendLastKey(nil, "minute", 60, 1))
						if exact && keys[k] {
							t.Fatalf("key %s written twice", k)
						}
						keys[k] = true
					}
				}
				if _, changed := orig.AppendDelta(nil, flags); changed {
					t.Fatal("AppendDelta reports a change right after a delta")
				}

				// Any order, with duplicates.
				order := r.Perm(len(recs))
				for range len(recs) / 3 {
					order = append(order, r.IntN(len(recs)))
				}
				r.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
				back := NewAgg(exact)
				var got uint32
				for _, i := range order {
					var err error
					if got, err = back.ApplyDelta(recs[i]); err != nil {
						t.Fatal(err)
					}
				}
				if len(recs) == 0 {
					got = flags
				}
				if back.Frames != orig.Frames || back.Late != orig.Late || got != flags || back.Seq() != orig.Seq() || back.Uniques() != orig.Uniques() {
					t.Fatalf("restored Frames %d Late %d flags %d Seq %d Uniques %d; original %d %d %d %d %d",
						back.Frames, back.Late, got, back.Seq(), back.Uniques(), orig.Frames, orig.Late, flags, orig.Seq(), orig.Uniques())
				}
				if !slices.EqualFunc(back.AppendKeys(nil, "minute", 60, 1), orig.AppendKeys(nil, "minute", 60, 1), bytes.Equal) {
					t.Fatal("restored aggregate lists other keys")
				}
				if _, changed := back.AppendDelta(nil, flags); changed {
					t.Fatal("restored aggregate has a delta to write before any change")
				}
				if exact {
					a, b := orig.set.AppendTo(nil), back.set.AppendTo(nil)
					slices.Sort(a)
					slices.Sort(b)
					if !slices.Equal(a, b) {
						t.Fatal("restored set differs")
					}
				}

				// Both go on alike.
				for range 3000 {
					h := Hash(fmt.Appendf(nil, "u%d", r.IntN(2*pool)))
					orig.Add(h, false)
					back.Add(h, false)
				}
				v1, _ := orig.AppendDelta(nil, flags)
				v2, _ := back.AppendDelta(nil, flags)
				if orig.Uniques() != back.Uniques() {
					t.Fatalf("after more adds: restored Uniques %d, original %d", back.Uniques(), orig.Uniques())
				}
				if exact && !bytes.Equal(v1, v2) {
					t.Fatal("after more adds the restored aggregate writes another delta")
				}
			})
		}
	}
}

func TestKeys(t *testing.T) {
	tests := []struct {
		key  []byte
		want Key
	}{
		{AppendKey(nil, "minute", 1468244340, 3, 17), Key{Window: "minute", Start: 1468244340, Shard: 3, Seq: 17}},
		{AppendKey(nil, "a:b", -60, math.MaxUint32, math.MaxUint64), Key{Window: "a:b", Start: -60, Shard: math.MaxUint32, Seq: math.MaxUint64}},
		{AppendSketchKey(nil, "year", 1451606400, 0), Key{Window: "year", Start: 1451606400, Sketch: true}},
	}
	for _, tt := range tests {
		got, err := ParseKey(tt.key)
		if err != nil || got != tt.want {
			t.Errorf("ParseKey(%q) = %+v, %v; want %+v", tt.key, got, err, tt.want)
		}
	}
	for _, bad := range []string{"", "minute", "minute:1:2", ":1:2:3", "minute:x:2:3", "minute:1:-2:3", "minute:1:4294967296:3", "minute:1:2:-3", "minute:1:2:sketches"} {
		if k, err := ParseKey([]byte(bad)); err == nil {
			t.Errorf("ParseKey(%q) = %+v, want an error", bad, k)
		}
	}
}

func FuzzApplyDelta(f *testing.F) {
	_, recs := goldenRecords()
	for _, r := range recs {
		f.Add(r)
		f.Add(r[:len(r)/2])
	}
	f.Fuzz(func(t *testing.T, value []byte) {
		for _, exact := range []bool{true, false} {
			a := NewAgg(exact)
			a.Add(42, false)
			_, err := a.ApplyDelta(value)
			d, perr := ParseDelta(value)
			switch {
			case err != nil && a.Frames != 1:
				t.Fatalf("failed ApplyDelta changed Frames to %d", a.Frames)
			case err == nil && perr != nil:
				t.Fatalf("ApplyDelta accepted what ParseDelta rejects: %v", perr)
			case err == nil && (a.Frames < d.Frames || a.Seq() <= d.Seq):
				t.Fatalf("ApplyDelta ignored the record: Frames %d < %d or Seq %d <= %d", a.Frames, d.Frames, a.Seq(), d.Seq)
			}
		}
	})
}

func FuzzParseKey(f *testing.F) {
	f.Add([]byte("minute:1468244340:3:17"))
	f.Add([]byte("day:-86400:4294967295:sketch"))
	f.Fuzz(func(t *testing.T, key []byte) {
		k, err := ParseKey(key)
		if err != nil {
			return
		}
		var again []byte
		if k.Sketch {
			again = AppendSketchKey(nil, k.Window, k.Start, k.Shard)
		} else {
			again = AppendKey(nil, k.Window, k.Start, k.Shard, k.Seq)
		}
		if k2, err := ParseKey(again); err != nil || k2 != k {
			t.Fatalf("%q parses to %+v, which writes %q, which parses to %+v, %v", key, k, again, k2, err)
		}
	})
}
