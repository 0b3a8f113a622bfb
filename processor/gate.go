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
// counted. When Quorum candidates agree with each other (each within Horizon
// of the others: a run of event times without a gap wider than Horizon, so a
// sparse stream agrees as well as a dense one) and outnumber the frames that disagreed meanwhile, the whole stream has
// jumped (a gap in the data, a replay starting later): stream time follows
// and the held frames are admitted. When the disagreeing frames reach the
// candidates' number plus Quorum, the candidates were outliers and are
// rejected as TSOutlier. A lone candidate far from the one being held is
// rejected at once. Candidates that stream time, moving on by itself (a
// sparse stream), brings within Horizon are admitted.
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

	held    []Frame // candidates (or, before anchoring, every frame), in arrival order
	lo, hi  int64   // event-time span of the held candidates
	against int     // frames that disagreed with the held candidates since they began
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
func (g *Gate) Held() int { return len(g.held) }

// Admit decides on f. It calls pass for every frame admitted (f itself, or
// held frames released in arrival order) and reject for every frame refused
// as TSOutlier. A held frame's Raw is copied, so f.Raw may be reused after
// Admit returns.
func (g *Gate) Admit(f Frame, pass func(Frame), reject func(Frame, Reason)) {
	if !g.anchored {
		g.hold(f)
		// Past a few quorums without agreement the best group so far wins, so
		// a scattered start cannot hold frames without bound.
		if hi, n := g.bestCluster(); n >= g.quorum || len(g.held) >= 4*g.quorum {
			g.anchor(hi, pass, reject)
		}
		return
	}
	if f.TS <= g.time+g.horizon {
		if f.TS > g.time {
			g.time = f.TS
		}
		pass(f)
		if len(g.held) > 0 {
			if g.hi <= g.time+g.horizon {
				// Stream time moved on by itself (a sparse stream) and
				// brought the candidates within reach: they are plausible now.
				g.time = max(g.time, g.hi)
				g.release(pass)
				return
			}
			g.against++
			g.dropIfStale(reject)
		}
		return
	}
	// A candidate outlier.
	if len(g.held) == 0 {
		g.lo, g.hi, g.against = f.TS, f.TS, 0
		g.hold(f)
	} else if f.TS >= g.lo-g.horizon && f.TS <= g.hi+g.horizon {
		g.lo, g.hi = min(g.lo, f.TS), max(g.hi, f.TS)
		g.hold(f)
	} else {
		reject(f, TSOutlier)
		g.against++
		g.dropIfStale(reject)
		return
	}
	if len(g.held) >= g.quorum && g.against < len(g.held) {
		g.time = g.hi
		g.release(pass)
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
	for _, f := range g.held {
		reject(f, TSOutlier)
	}
	g.held = g.held[:0]
}

func (g *Gate) hold(f Frame) {
	f.Raw = append([]byte(nil), f.Raw...)
	g.held = append(g.held, f)
}

func (g *Gate) release(pass func(Frame)) {
	for _, f := range g.held {
		pass(f)
	}
	g.held = g.held[:0]
}

func (g *Gate) dropIfStale(reject func(Frame, Reason)) {
	if g.against >= len(g.held)+g.quorum {
		for _, f := range g.held {
			reject(f, TSOutlier)
		}
		g.held = g.held[:0]
	}
}

// anchor sets stream time to hi, the newest frame of the agreeing group, and
// decides on every held frame: those up to hi+horizon pass, the rest are outliers.
func (g *Gate) anchor(hi int64, pass func(Frame), reject func(Frame, Reason)) {
	g.anchored, g.time = true, hi
	held := g.held
	g.held = nil
	for _, f := range held {
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
	ts := make([]int64, len(g.held))
	for i, f := range g.held {
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
