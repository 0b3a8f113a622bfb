package processor

import (
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/headcount/headcount/state"
)

// storeT0 starts a minute (and is 13:39 UTC, so not an hour).
const storeT0 = int64(1468244340)

// resultLog collects what a Store emits.
type resultLog []Result

func (l *resultLog) emit(r Result) { *l = append(*l, r) }

// take returns the results emitted since the last take.
func (l *resultLog) take() []Result {
	out := slices.Clone(*l)
	*l = (*l)[:0]
	return out
}

// brief renders results compactly for comparisons: window@start-offset status uniques/frames/late.
func brief(rs []Result) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = fmt.Sprintf("%v@%d %v %d/%d/%d", r.Window, r.Start-storeT0, r.Status, r.Uniques, r.Frames, r.Late)
	}
	return out
}

func minuteStore(grace, lateness int64) (*Store, *resultLog) {
	var l resultLog
	s := NewStore(StoreConfig{
		Windows:  []Window{Minute},
		Exact:    [NumWindows]bool{Minute: true},
		Grace:    grace,
		Lateness: lateness,
	}, l.emit)
	return s, &l
}

// userHash returns the uid hash of user i: the Set expects hashes spread
// over all 64 bits.
func userHash(i uint64) uint64 { return state.Hash(binary.LittleEndian.AppendUint64(nil, i)) }

func mustAdd(t *testing.T, s *Store, h uint64, ts int64) {
	t.Helper()
	if r := s.Add(h, ts); r != Accepted {
		t.Fatalf("Add(%d, T0%+d) = %v, want accepted", h, ts-storeT0, r)
	}
}

func TestStoreFinalAfterGrace(t *testing.T) {
	s, l := minuteStore(5, 60)
	mustAdd(t, s, 1, storeT0)
	mustAdd(t, s, 2, storeT0+30)
	mustAdd(t, s, 1, storeT0+59)
	for _, now := range []int64{storeT0 + 59, storeT0 + 60, storeT0 + 64} {
		s.Advance(now)
		if got := l.take(); len(got) != 0 {
			t.Fatalf("Advance(T0%+d) before end+grace published %v", now-storeT0, brief(got))
		}
	}
	s.Advance(storeT0 + 65)
	if got, want := brief(l.take()), []string{"minute@0 final 2/3/0"}; !slices.Equal(got, want) {
		t.Fatalf("at end+grace: %v, want %v", got, want)
	}
	// Moving on publishes nothing more for it.
	s.Advance(storeT0 + 100)
	if got := l.take(); len(got) != 0 {
		t.Errorf("published again: %v", brief(got))
	}
}

func TestStoreEarlyOnlyChanged(t *testing.T) {
	s, l := minuteStore(5, 3600)
	mustAdd(t, s, 1, storeT0)
	mustAdd(t, s, 2, storeT0+60)
	s.Early()
	if got, want := brief(l.take()), []string{"minute@0 early 1/1/0", "minute@60 early 1/1/0"}; !slices.Equal(got, want) {
		t.Fatalf("first early: %v, want %v", got, want)
	}
	s.Early()
	if got := l.take(); len(got) != 0 {
		t.Fatalf("early without changes: %v", brief(got))
	}
	mustAdd(t, s, 3, storeT0+61)
	s.Early()
	if got, want := brief(l.take()), []string{"minute@60 early 2/2/0"}; !slices.Equal(got, want) {
		t.Fatalf("early after one change: %v, want %v", got, want)
	}
	// A final window gets no early result, even when late frames change it.
	s.Advance(storeT0 + 65)
	l.take()
	mustAdd(t, s, 4, storeT0+1)
	s.Early()
	if got, want := brief(l.take()), []string{}; !slices.Equal(got, want) {
		t.Errorf("early after final: %v, want none", got)
	}
}

func TestStoreLateFrames(t *testing.T) {
	const grace, lateness = 5, 600
	s, l := minuteStore(grace, lateness)
	mustAdd(t, s, 1, storeT0+10)
	s.Advance(storeT0 + 70)
	if got, want := brief(l.take()), []string{"minute@0 final 1/1/0"}; !slices.Equal(got, want) {
		t.Fatalf("final: %v, want %v", got, want)
	}
	// Within the allowed lateness: counted, late, revised.
	mustAdd(t, s, 2, storeT0+20)
	mustAdd(t, s, 1, storeT0+21)
	s.Revise()
	if got, want := brief(l.take()), []string{"minute@0 revised 2/3/2"}; !slices.Equal(got, want) {
		t.Fatalf("revision: %v, want %v", got, want)
	}
	s.Revise()
	if got := l.take(); len(got) != 0 {
		t.Fatalf("revised again without changes: %v", brief(got))
	}
	// The last second before the window expires still counts; its revision
	// is published as the window is dropped.
	s.Advance(storeT0 + 60 + grace + lateness - 1)
	mustAdd(t, s, 3, storeT0+59)
	s.Advance(storeT0 + 60 + grace + lateness)
	if got, want := brief(l.take()), []string{"minute@0 revised 3/4/3"}; !slices.Equal(got, want) {
		t.Fatalf("revision at expiry: %v, want %v", got, want)
	}
	if s.Len() != 0 {
		t.Fatalf("Len() = %d after expiry, want 0", s.Len())
	}
	// Beyond: too late, nothing counted, no window reopened.
	for _, ts := range []int64{storeT0, storeT0 + 59, storeT0 - 3600} {
		if r := s.Add(9, ts); r != TooLate {
			t.Errorf("Add(T0%+d) after expiry = %v, want %v", ts-storeT0, r, TooLate)
		}
	}
	s.Flush()
	if got := l.take(); len(got) != 0 || s.Len() != 0 {
		t.Errorf("too-late frames left %d windows, published %v", s.Len(), brief(got))
	}
}

// TestStoreLateOpensFinal: a window whose every frame came after its end plus
// grace publishes its final result (once) at the next move of stream time.
func TestStoreLateOpensFinal(t *testing.T) {
	s, l := minuteStore(5, 3600)
	mustAdd(t, s, 1, storeT0+300)
	s.Advance(storeT0 + 300)
	mustAdd(t, s, 2, storeT0+10)
	s.Advance(storeT0 + 301)
	s.Advance(storeT0 + 302)
	if got, want := brief(l.take()), []string{"minute@0 final 1/1/0"}; !slices.Equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

func TestStoreFlush(t *testing.T) {
	s, l := minuteStore(5, 3600)
	for i := range int64(5) {
		mustAdd(t, s, uint64(i%2), storeT0+i*60)
	}
	s.Advance(storeT0 + 4*60)
	l.take()
	// Minutes 0..2 are final; a late frame for minute 0 awaits its revision.
	mustAdd(t, s, 7, storeT0)
	s.Flush()
	want := []string{"minute@0 revised 2/2/1", "minute@180 final 1/1/0", "minute@240 final 1/1/0"}
	if got := brief(l.take()); !slices.Equal(got, want) {
		t.Errorf("flush: %v, want %v", got, want)
	}
	s.Flush()
	if got := l.take(); len(got) != 0 {
		t.Errorf("second flush: %v", brief(got))
	}
}

func TestStoreExactPerConfig(t *testing.T) {
	var l resultLog
	s := NewStore(StoreConfig{
		Windows:  []Window{Hour, Minute, Day},
		Exact:    [NumWindows]bool{Minute: true, Day: true},
		Grace:    5,
		Lateness: 60,
	}, l.emit)
	for i := range uint64(1000) {
		mustAdd(t, s, userHash(i%700), storeT0)
	}
	s.Flush()
	got := l.take()
	if len(got) != 3 {
		t.Fatalf("flush published %v, want 3 results", brief(got))
	}
	for _, r := range got {
		wantExact := r.Window != Hour
		if r.Exact != wantExact || r.Frames != 1000 {
			t.Errorf("%v: exact %v, frames %d; want exact %v, 1000 frames", r.Window, r.Exact, r.Frames, wantExact)
		}
		switch {
		case r.Exact && (r.Uniques != 700 || r.ErrorBound != 0):
			t.Errorf("%v: exact uniques %d, error bound %g; want 700, 0", r.Window, r.Uniques, r.ErrorBound)
		case !r.Exact && (r.ErrorBound <= 0 || r.ErrorBound > 0.02 || r.Uniques < 650 || r.Uniques > 750):
			t.Errorf("%v: sketch uniques %d, error bound %g; want about 700, bound in (0, 0.02]", r.Window, r.Uniques, r.ErrorBound)
		}
	}
}

// TestStoreStream runs six hours of synthetic frames, 100 a second, 10% of
// them up to 5 s out of order and 0.1% up to 20 minutes late, through minute and
// hour windows: memory stays bounded by what grace and allowed lateness
// need, every window gets exactly one final result, and the last answers
// count every frame.
func TestStoreStream(t *testing.T) {
	const (
		grace, lateness = 5, 1800
		rate            = 100
		seconds         = 6 * 3600
	)
	var l resultLog
	s := NewStore(StoreConfig{
		Windows:  []Window{Minute, Hour},
		Exact:    [NumWindows]bool{Minute: true, Hour: true},
		Grace:    grace,
		Lateness: lateness,
	}, l.emit)

	type key struct {
		w     Window
		start int64
	}
	wantFrames := map[key]uint64{}
	finals := map[key]int{}
	answer := map[key]Result{}
	record := func() {
		if len(l) == 0 {
			return
		}
		for _, r := range l.take() {
			k := key{r.Window, r.Start}
			switch r.Status {
			case Final:
				finals[k]++
				if finals[k] > 1 {
					t.Fatalf("second final for %v", k)
				}
				fallthrough
			case Revised:
				if _, ok := answer[k]; !ok && r.Status == Revised {
					t.Fatalf("revision before final for %v", k)
				}
				answer[k] = r
			}
		}
	}

	// A window is dropped at end+grace+lateness (later frames would be too
	// late), so at most this many instances are held at once:
	bound := int((grace+lateness)/60 + 2 + (grace+lateness)/3600 + 2)

	rng := rand.New(rand.NewPCG(1, 2))
	now := storeT0
	maxLen := 0
	for i := range seconds * rate {
		ts := storeT0 + int64(i/rate)
		switch p := rng.Float64(); {
		case p < 0.001:
			ts -= rng.Int64N(20 * 60)
		case p < 0.1:
			ts -= rng.Int64N(6)
		}
		ts = max(ts, storeT0)
		if r := s.Add(userHash(rng.Uint64N(5000)), ts); r != Accepted {
			t.Fatalf("frame %d (T0%+d at T0%+d): %v", i, ts-storeT0, now-storeT0, r)
		}
		wantFrames[key{Minute, Minute.Start(ts)}]++
		wantFrames[key{Hour, Hour.Start(ts)}]++
		now = max(now, ts)
		s.Advance(now)
		if i%rate == 0 {
			s.Revise()
		}
		record()
		maxLen = max(maxLen, s.Len())
		if s.Len() > bound {
			t.Fatalf("after %d s of stream, %d windows held, want at most %d", i/rate, s.Len(), bound)
		}
	}
	t.Logf("at most %d windows held (bound %d)", maxLen, bound)
	if maxLen < bound/2 {
		t.Errorf("at most %d windows held: expiry looks too eager for bound %d", maxLen, bound)
	}
	s.Flush()
	record()
	if len(finals) != len(wantFrames) {
		t.Errorf("%d windows got a final result, want %d", len(finals), len(wantFrames))
	}
	for k, n := range wantFrames {
		if got := answer[k].Frames; got != n {
			t.Errorf("%v: answer counts %d frames, want %d", k, got, n)
		}
	}
}

func TestStoreNoWindows(t *testing.T) {
	s := NewStore(StoreConfig{}, func(r Result) { t.Errorf("published %v", r) })
	if r := s.Add(1, storeT0); r != Accepted {
		t.Errorf("Add = %v", r)
	}
	s.Advance(storeT0 + 1e6)
	s.Flush()
	if s.Len() != 0 {
		t.Errorf("Len() = %d", s.Len())
	}
}
