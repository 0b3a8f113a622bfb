package processor

import (
	"slices"
)

// Gate is the watermark's bouncer: it decides, frame by frame, whether an
// event time is plausible before that time may move stream time forward.
//
// Stream time (the watermark base) is the largest admitted event time. A frame
// more than Horizon ahead of it is a candidate outlier: typically a bit flip
// that throws ts 12 days to 68 years away. Candidates are held back, not
// counted, in groups of candidates that agree with each other (each within
// Horizon of the group: a run of event times without a gap wider than
// Horizon, so a sparse stream agrees as well as a dense one). When a group
// reaches Quorum frames and outnumbers the frames that disagreed with it
// meanwhile, the whole stream has jumped (a gap in the data, a replay
// starting later): stream time follows and the group's frames are admitted.
// When the disagreeing frames reach a group's size plus Quorum, its frames
// were outliers and are rejected as TSOutlier. Several groups are held at
// once (up to maxCandidateGroups), so a bit flip held when the stream jumps
// costs the jump nothing; a candidate beyond them is rejected at once.
// Candidates that stream time, moving on by itself (a sparse stream), brings
// within Horizon are admitted.
//
// The first frames of a stream are held the same way until Quorum of them
// agree, so a bit-flipped first frame cannot set stream time either.
//
// Frames behind stream time pass: whether they are too late is the window
// store's call. A Gate is not safe for concurrent use.
type Gate struct {
	horizon int64
	quorum  int

	anchored bool
	time     int64 // largest admitted event time, valid once anchored

	start  []Frame          // before anchoring: every frame, in arrival order
	groups []candidateGroup // after: the candidate outliers, by group
}

// maxCandidateGroups bounds the groups of candidates a Gate holds at once.
const maxCandidateGroups = 4

// candidateGroup is a group of held candidates that agree with each other.
type candidateGroup struct {
	frames  []Frame // in arrival order
	lo, hi  int64   // their event-time span
	against int     // frames that disagreed with the group since it began
}

// fits reports whether t joins the group: within a horizon of its span.
func (c *candidateGroup) fits(t, horizon int64) bool {
	return t >= c.lo-horizon && t <= c.hi+horizon
}

// NewGate returns a Gate with the given horizon (seconds) and quorum (frames).
func NewGate(horizon int64, quorum int) *Gate {
	if quorum < 1 {
		quorum = 1
	}
	return &Gate{horizon: horizon, quorum: quorum}
}

// Time returns stream time, the largest admitted event time, and whether the
// stream has one yet.
func (g *Gate) Time() (int64, bool) { return g.time, g.anchored }

// Held returns how many frames are held back awaiting a decision.
func (g *Gate) Held() int {
	n := len(g.start)
	for _, c := range g.groups {
		n += len(c.frames)
	}
	return n
}

// Admit decides on f. It calls pass for every frame admitted (f itself, or
// held frames released in arrival order) and reject for every frame refused
// as TSOutlier. A held frame's Raw is copied, so f.Raw may be reused after
// Admit returns.
func (g *Gate) Admit(f Frame, pass func(Frame), reject func(Frame, Reason)) {
	if !g.anchored {
		g.start = append(g.start, held(f))
		// Past a few quorums without agreement the best group so far wins, so
		// a scattered start cannot hold frames without bound.
		if hi, n := g.bestCluster(); n >= g.quorum || len(g.start) >= 4*g.quorum {
			g.anchor(hi, pass, reject)
		}
		return
	}
	if f.TS <= g.time+g.horizon {
		if f.TS > g.time {
			g.time = f.TS
		}
		pass(f)
		g.disagree(-1, reject)
		// Stream time moved on by itself (a sparse stream) and may have
		// brought candidates within reach: they are plausible now.
		g.releaseReached(pass)
		return
	}
	// A candidate outlier: it joins the first group it fits, or starts one.
	joined := -1
	for i := range g.groups {
		if g.groups[i].fits(f.TS, g.horizon) {
			joined = i
			break
		}
	}
	switch {
	case joined >= 0:
		c := &g.groups[joined]
		c.lo, c.hi = min(c.lo, f.TS), max(c.hi, f.TS)
		c.frames = append(c.frames, held(f))
	case len(g.groups) < maxCandidateGroups:
		joined = len(g.groups)
		g.groups = append(g.groups, candidateGroup{frames: []Frame{held(f)}, lo: f.TS, hi: f.TS})
	default:
		reject(f, TSOutlier)
	}
	if joined = g.disagree(joined, reject); joined < 0 {
		return
	}
	if c := &g.groups[joined]; len(c.frames) >= g.quorum && c.against < len(c.frames) {
		// The stream jumped: follow it, then admit every group it reached.
		g.time = max(g.time, c.hi)
		g.releaseReached(pass)
	}
}

// Flush decides on every held frame, as at the end of the input: before
// anchoring, the largest group of agreeing frames sets stream time; after,
// candidates that never reached a quorum are outliers.
func (g *Gate) Flush(pass func(Frame), reject func(Frame, Reason)) {
	if !g.anchored {
		if hi, n := g.bestCluster(); n > 0 {
			g.anchor(hi, pass, reject)
		}
		return
	}
	for _, c := range g.groups {
		for _, f := range c.frames {
			reject(f, TSOutlier)
		}
	}
	g.groups = g.groups[:0]
}

// held returns f with its own copy of Raw, to be held.
func held(f Frame) Frame {
	f.Raw = append([]byte(nil), f.Raw...)
	return f
}

// disagree counts a frame against every group but the one it joined (-1:
// none), and rejects the groups it outnumbers by a quorum. It returns the
// joined group's index after those are gone (-1 if none was joined).
func (g *Gate) disagree(joined int, reject func(Frame, Reason)) int {
	at := -1
	kept := g.groups[:0]
	for i, c := range g.groups {
		if i != joined {
			c.against++
		}
		if c.against >= len(c.frames)+g.quorum {
			for _, f := range c.frames {
				reject(f, TSOutlier)
			}
			continue
		}
		if i == joined {
			at = len(kept)
		}
		kept = append(kept, c)
	}
	clear(g.groups[len(kept):])
	g.groups = kept
	return at
}

// releaseReached admits, in arrival order, the groups that stream time has
// brought within a horizon, moving stream time to the newest of them.
func (g *Gate) releaseReached(pass func(Frame)) {
	kept := g.groups[:0]
	for _, c := range g.groups {
		if c.hi > g.time+g.horizon {
			kept = append(kept, c)
			continue
		}
		g.time = max(g.time, c.hi)
		for _, f := range c.frames {
			pass(f)
		}
	}
	clear(g.groups[len(kept):])
	g.groups = kept
}

// anchor sets stream time to hi, the newest frame of the agreeing group, and
// decides on every held frame: those up to hi+horizon pass, the rest are outliers.
func (g *Gate) anchor(hi int64, pass func(Frame), reject func(Frame, Reason)) {
	g.anchored, g.time = true, hi
	start := g.start
	g.start = nil
	for _, f := range start {
		if f.TS <= hi+g.horizon {
			pass(f)
		} else {
			reject(f, TSOutlier)
		}
	}
}

// bestCluster finds the largest group of held frames whose event times form
// one run without a gap wider than a horizon. Bit flips land days to years
// away from everything else, so they never join the stream's run, however
// sparse the stream. It only runs before anchoring, on at most a few times
// Quorum frames.
func (g *Gate) bestCluster() (hi int64, n int) {
	ts := make([]int64, len(g.start))
	for i, f := range g.start {
		ts[i] = f.TS
	}
	slices.Sort(ts)
	start := 0
	for i := range ts {
		if i > 0 && ts[i]-ts[i-1] > g.horizon {
			start = i
		}
		if i-start+1 > n {
			hi, n = ts[i], i-start+1
		}
	}
	return hi, n
}

// Follow moves stream time up to t without a frame, as the service does when
// a live stream goes quiet and the clock stands in for it. Before anchoring,
// there is no stream time to move.
func (g *Gate) Follow(t int64) {
	if g.anchored && t > g.time {
		g.time = t
	}
}
