package processor

import (
	"encoding/binary"
	"fmt"
	"slices"
	"testing"
)

// gateLog records a Gate's decisions in the order it made them.
type gateLog struct {
	passed   []Frame
	rejected []Frame
	reasons  []Reason
}

func (l *gateLog) pass(f Frame) { l.passed = append(l.passed, f) }

func (l *gateLog) reject(f Frame, r Reason) {
	l.rejected = append(l.rejected, f)
	l.reasons = append(l.reasons, r)
}

// positions returns the Pos of each frame.
func positions(fs []Frame) []int64 {
	out := make([]int64, len(fs))
	for i, f := range fs {
		out[i] = f.Pos
	}
	return out
}

// admitAll feeds frames with the given event times to g, numbering them from 1.
func admitAll(g *Gate, l *gateLog, ts []int64) {
	for i, t := range ts {
		g.Admit(Frame{TS: t, Pos: int64(i + 1)}, l.pass, l.reject)
	}
}

// run returns n event times from t, one a second.
func run(t int64, n int) []int64 {
	out := make([]int64, n)
	for i := range out {
		out[i] = t + int64(i)
	}
	return out
}

func concat(parts ...[]int64) []int64 { return slices.Concat(parts...) }

const (
	gateT0      = int64(1468244340)
	gateHorizon = int64(3600)
	gateQuorum  = 4
	flipFuture  = int64(1) << 25 // about a year: a flipped high bit of ts
	flipPast    = -(int64(1) << 22)
)

func TestGate(t *testing.T) {
	tests := []struct {
		name string
		ts   []int64
		// flush calls Flush after the last frame.
		flush bool
		// wantRejected lists the positions rejected as TSOutlier, in order.
		wantRejected []int64
		// wantTime is stream time at the end; wantHeld the frames still held.
		wantTime int64
		wantHeld int
	}{
		{
			name:     "ordered stream passes",
			ts:       run(gateT0, 20),
			wantTime: gateT0 + 19,
		},
		{
			name:     "out of order within horizon passes",
			ts:       concat(run(gateT0, 10), []int64{gateT0 + 3, gateT0 - 50, gateT0 + 3000}, run(gateT0+10, 5)),
			wantTime: gateT0 + 3000,
		},
		{
			name:         "single flip far ahead is an outlier",
			ts:           concat(run(gateT0, 10), []int64{gateT0 + 10 + flipFuture}, run(gateT0+11, gateQuorum+1)),
			wantRejected: []int64{11},
			wantTime:     gateT0 + 11 + gateQuorum,
		},
		{
			name:     "flip still held while too few disagree",
			ts:       concat(run(gateT0, 10), []int64{gateT0 + 10 + flipFuture}, run(gateT0+11, gateQuorum)),
			wantTime: gateT0 + 10 + gateQuorum,
			wantHeld: 1,
		},
		{
			name:     "two flips far apart are held apart",
			ts:       concat(run(gateT0, 10), []int64{gateT0 + flipFuture, gateT0 + 2*flipFuture}),
			wantTime: gateT0 + 9,
			wantHeld: 2,
		},
		{
			name: "flips beyond the groups held are rejected at once",
			ts: concat(run(gateT0, 10), []int64{gateT0 + flipFuture, gateT0 + 2*flipFuture, gateT0 + 3*flipFuture,
				gateT0 + 4*flipFuture, gateT0 + 5*flipFuture}),
			wantRejected: []int64{15},
			wantTime:     gateT0 + 9,
			wantHeld:     maxCandidateGroups,
		},
		{
			name:         "a jump while a flip is held loses no frame of the jump",
			ts:           concat(run(gateT0, 10), []int64{gateT0 + 10 + flipFuture}, run(gateT0+7*86400, 3*gateQuorum)),
			wantRejected: []int64{11},
			wantTime:     gateT0 + 7*86400 + 3*gateQuorum - 1,
		},
		{
			// The jump's quorum-th frame is also the one that outnumbers the
			// flip held before it: the flip's group goes, the jump's moves
			// down a place, and must still be released by that frame.
			name:         "a jump reaches its quorum as the flip before it is dropped",
			ts:           concat(run(gateT0, 10), []int64{gateT0 + 10 + flipFuture, gateT0 + 10}, run(gateT0+7*86400, gateQuorum)),
			wantRejected: []int64{11},
			wantTime:     gateT0 + 7*86400 + gateQuorum - 1,
		},
		{
			name:     "a jump releases a held group it reaches",
			ts:       concat(run(gateT0, 10), []int64{gateT0 + 7*86400 + 1800}, run(gateT0+7*86400, gateQuorum)),
			wantTime: gateT0 + 7*86400 + 1800,
		},
		{
			name:     "a sparse stream catches up with a held frame",
			ts:       []int64{gateT0, gateT0 + 1, gateT0 + 2, gateT0 + 3, gateT0 + gateHorizon + 1800, gateT0 + 1800, gateT0 + 3600},
			wantTime: gateT0 + gateHorizon + 1800,
		},
		{
			name:     "flip into the past passes the gate",
			ts:       concat(run(gateT0, 10), []int64{gateT0 + 10 + flipPast}, run(gateT0+11, 3)),
			wantTime: gateT0 + 13,
		},
		{
			name:     "whole stream jumps a day: followed after quorum frames",
			ts:       concat(run(gateT0, 10), run(gateT0+86400, 10)),
			wantTime: gateT0 + 86400 + 9,
		},
		{
			name:     "jump with stragglers of the old stream",
			ts:       concat(run(gateT0, 10), []int64{gateT0 + 86400, gateT0 + 9, gateT0 + 86401, gateT0 + 86402, gateT0 + 8, gateT0 + 86403, gateT0 + 86404}),
			wantTime: gateT0 + 86404,
		},
		{
			name:         "flipped first frame cannot anchor stream time",
			ts:           concat([]int64{gateT0 + flipFuture}, run(gateT0, 10)),
			wantRejected: []int64{1},
			wantTime:     gateT0 + 9,
		},
		{
			name:     "flipped first frame into the past does not anchor either",
			ts:       concat([]int64{gateT0 + flipPast}, run(gateT0, 10)),
			wantTime: gateT0 + 9,
		},
		{
			name:     "before anchoring everything is held",
			ts:       run(gateT0, gateQuorum-1),
			wantTime: 0,
			wantHeld: gateQuorum - 1,
		},
		{
			name:     "flush anchors a short stream",
			ts:       run(gateT0, gateQuorum-1),
			flush:    true,
			wantTime: gateT0 + gateQuorum - 2,
		},
		{
			name:         "flush anchors on the largest group",
			ts:           []int64{gateT0 + flipFuture, gateT0, gateT0 + 1},
			flush:        true,
			wantRejected: []int64{1},
			wantTime:     gateT0 + 1,
		},
		{
			name:         "flush rejects a candidate without quorum",
			ts:           concat(run(gateT0, 10), []int64{gateT0 + flipFuture}),
			flush:        true,
			wantRejected: []int64{11},
			wantTime:     gateT0 + 9,
		},
		{
			name:     "flush rejects nothing when nothing is held",
			ts:       run(gateT0, 10),
			flush:    true,
			wantTime: gateT0 + 9,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g := NewGate(gateHorizon, gateQuorum)
			var l gateLog
			admitAll(g, &l, tc.ts)
			if tc.flush {
				g.Flush(l.pass, l.reject)
			}
			for _, r := range l.reasons {
				if r != TSOutlier {
					t.Errorf("rejected as %v, want only %v", r, TSOutlier)
				}
			}
			if got := positions(l.rejected); !slices.Equal(got, tc.wantRejected) {
				t.Errorf("rejected %v, want %v", got, tc.wantRejected)
			}
			if got, ok := g.Time(); got != tc.wantTime || ok != (tc.wantTime != 0) {
				t.Errorf("Time() = %d, %v; want %d", got, ok, tc.wantTime)
			}
			if g.Held() != tc.wantHeld {
				t.Errorf("Held() = %d, want %d", g.Held(), tc.wantHeld)
			}
			// No frame is lost or decided twice.
			decided := append(positions(l.passed), positions(l.rejected)...)
			slices.Sort(decided)
			if want := len(tc.ts) - tc.wantHeld; len(decided) != want || len(slices.Compact(decided)) != want {
				t.Errorf("%d frames decided (%d distinct), want %d", len(decided), len(slices.Compact(decided)), want)
			}
		})
	}
}

// TestGateTimeNeverMovesForOutliers: however many scattered flips arrive, stream
// time only ever reflects the genuine frames.
func TestGateTimeNeverMovesForOutliers(t *testing.T) {
	g := NewGate(gateHorizon, gateQuorum)
	var l gateLog
	admitAll(g, &l, run(gateT0, 10))
	pos := int64(100)
	for i := range 200 {
		ts := gateT0 + 10 + int64(i)
		if i%3 == 0 {
			// Bits 20..31 flipped in turn: 12 days to 68 years ahead, never
			// within a horizon of each other.
			ts += int64(1) << (20 + i/3%12)
		}
		pos++
		g.Admit(Frame{TS: ts, Pos: pos}, l.pass, l.reject)
		if now, _ := g.Time(); now > gateT0+10+int64(i) {
			t.Fatalf("after frame %d (ts %d) Time() = %d: an outlier moved stream time", pos, ts, now)
		}
	}
	g.Flush(l.pass, l.reject)
	for _, f := range l.passed {
		if f.TS > gateT0+1000 {
			t.Errorf("outlier ts %d (pos %d) passed", f.TS, f.Pos)
		}
	}
	if want := 67; len(l.rejected) != want {
		t.Errorf("%d rejected, want %d", len(l.rejected), want)
	}
}

// TestGateJumpReleasesInOrder: the frames held while a jump awaited its quorum
// are admitted in arrival order, before the frames after them.
func TestGateJumpReleasesInOrder(t *testing.T) {
	for _, quorum := range []int{1, 2, 16} {
		t.Run(fmt.Sprint("quorum ", quorum), func(t *testing.T) {
			g := NewGate(gateHorizon, quorum)
			var l gateLog
			// The new stream runs slightly out of order.
			jump := []int64{5, 3, 4, 9, 7, 8, 6, 10, 12, 11, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22}
			ts := run(gateT0, 2*quorum)
			for _, d := range jump {
				ts = append(ts, gateT0+7*86400+d)
			}
			admitAll(g, &l, ts)
			if len(l.rejected) != 0 {
				t.Fatalf("rejected %v", positions(l.rejected))
			}
			if got := positions(l.passed); !slices.IsSorted(got) || len(got) != len(ts) {
				t.Fatalf("passed %v, want all %d in order", got, len(ts))
			}
			if now, _ := g.Time(); now != gateT0+7*86400+22 {
				t.Errorf("Time() = %d, want %d", now, gateT0+7*86400+22)
			}
		})
	}
}

// TestGateHeldRawIsCopied: a frame the gate holds keeps its bytes though the
// caller reuses its buffer, as the count pipeline does.
func TestGateHeldRawIsCopied(t *testing.T) {
	g := NewGate(gateHorizon, gateQuorum)
	var l gateLog
	buf := []byte(`{"uid":"a","ts":1}`)
	want := string(buf)
	g.Admit(Frame{TS: gateT0, Raw: buf, Pos: 1}, l.pass, l.reject)
	copy(buf, "XXXXXXXXXXXXXXXXXX")
	admitAll(g, &l, run(gateT0, gateQuorum))
	if len(l.passed) == 0 || l.passed[0].Pos != 1 {
		t.Fatalf("first frame not passed first: %v", positions(l.passed))
	}
	if got := string(l.passed[0].Raw); got != want {
		t.Errorf("held frame's Raw = %q, want %q", got, want)
	}

	// The same for a candidate outlier rejected later.
	buf = []byte(`{"uid":"b","ts":2}`)
	want = string(buf)
	g.Admit(Frame{TS: gateT0 + flipFuture, Raw: buf, Pos: 99}, l.pass, l.reject)
	copy(buf, "YYYYYYYYYYYYYYYYYY")
	g.Flush(l.pass, l.reject)
	if len(l.rejected) != 1 || string(l.rejected[0].Raw) != want {
		t.Errorf("rejected %v; want one frame with Raw %q", positions(l.rejected), want)
	}
}

// TestGateScatteredStartIsBounded: a start without agreement holds at most a
// few quorums of frames before the largest group anchors stream time.
func TestGateScatteredStartIsBounded(t *testing.T) {
	g := NewGate(gateHorizon, gateQuorum)
	var l gateLog
	for i := range 100 {
		g.Admit(Frame{TS: gateT0 + int64(i)*10*gateHorizon, Pos: int64(i + 1)}, l.pass, l.reject)
		if g.Held() > 4*gateQuorum {
			t.Fatalf("after %d frames %d are held", i+1, g.Held())
		}
	}
	if _, ok := g.Time(); !ok {
		t.Error("no stream time after 100 frames")
	}
}

// A stream sparser than a quorum per horizon (a long history with a frame
// every 10.5 minutes) must anchor and flow like a dense one, and a bit flip in
// it must still be caught: agreement is a run without gaps wider than the
// horizon, not a quorum inside one horizon.
func TestGateSparseStream(t *testing.T) {
	const gap = 630
	var ts []int64
	for i := range 200 {
		ts = append(ts, gateT0+int64(i)*gap)
	}
	ts[100] += flipFuture
	g := NewGate(gateHorizon, gateQuorum)
	var l gateLog
	admitAll(g, &l, ts)
	g.Flush(l.pass, l.reject)
	if len(l.rejected) != 1 || l.rejected[0].Pos != 101 || l.reasons[0] != TSOutlier {
		t.Fatalf("rejected %v (%v), want only frame 101 as ts_outlier", positions(l.rejected), l.reasons)
	}
	if len(l.passed) != 199 {
		t.Fatalf("passed %d frames, want 199", len(l.passed))
	}
	if got, _ := g.Time(); got != ts[199] {
		t.Fatalf("stream time %d, want %d", got, ts[199])
	}
}

// TestGateStateRoundTrip: what the service writes to the changelog for a
// gate restores it exactly, held groups and start frames included; version 2
// records (one group) still load; a record cut anywhere is an error.
func TestGateStateRoundTrip(t *testing.T) {
	frame := func(ts int64, pos int64) Frame {
		return Frame{TS: ts, Hash: uint64(pos) * 0x9e3779b97f4a7c15, Pos: pos, Raw: []byte(fmt.Sprintf(`{"uid":"u%d","ts":%d}`, pos, ts))}
	}
	anchored := &Gate{anchored: true, time: gateT0, groups: []candidateGroup{
		{frames: []Frame{frame(gateT0+flipFuture, 7), frame(gateT0+flipFuture+1, 9)}, lo: gateT0 + flipFuture, hi: gateT0 + flipFuture + 1, against: 3},
		{frames: []Frame{frame(gateT0+2*flipFuture, 8)}, lo: gateT0 + 2*flipFuture, hi: gateT0 + 2*flipFuture, against: 1},
	}}
	starting := &Gate{start: []Frame{frame(gateT0, 1), frame(gateT0+flipFuture, 2)}}
	for _, tc := range []struct {
		name string
		g    *Gate
		done bool
	}{{"anchored with two groups", anchored, true}, {"before anchoring", starting, false}, {"empty", &Gate{anchored: true, time: 5}, false}} {
		t.Run(tc.name, func(t *testing.T) {
			b := appendGateState(nil, tc.g, tc.done, 1234)
			var got Gate
			done, next, err := loadGateState(b, &got)
			if err != nil || done != tc.done || next != 1234 {
				t.Fatalf("loadGateState = %v, %d, %v; want %v, 1234", done, next, err, tc.done)
			}
			if fmt.Sprint(got.anchored, got.time, got.start, got.groups) != fmt.Sprint(tc.g.anchored, tc.g.time, tc.g.start, tc.g.groups) {
				t.Fatalf("restored %+v\nwant     %+v", got, *tc.g)
			}
			for n := range len(b) {
				if _, _, err := loadGateState(b[:n], new(Gate)); err == nil {
					t.Fatalf("a record cut to %d of %d bytes loaded", n, len(b))
				}
			}
		})
	}

	// Version 2: flags, time, lo, hi, against, next, then the held frames.
	le := binary.LittleEndian
	v2 := []byte{2, 1}
	for _, v := range []int64{gateT0, gateT0 + flipFuture, gateT0 + flipFuture, 2, 99} {
		v2 = le.AppendUint64(v2, uint64(v))
	}
	v2 = appendHeldFrames(v2, []Frame{frame(gateT0+flipFuture, 4)})
	var got Gate
	if _, next, err := loadGateState(v2, &got); err != nil || next != 99 || !got.anchored || got.time != gateT0 ||
		len(got.groups) != 1 || got.groups[0].against != 2 || len(got.groups[0].frames) != 1 || got.groups[0].frames[0].Pos != 4 {
		t.Fatalf("version 2 record: %+v, next %d, %v", got, next, err)
	}
}
