package state

// Agg is the state of one window instance: how many frames it counted, how
// many of them late, and its distinct uids, exactly (a Set) or estimated (a
// Sketch). It also remembers what its changelog has already recorded, so that
// AppendDelta writes only what changed (see Delta).
//
// The zero value is an empty exact aggregate. Window instances come and go
// every minute: Reset one instead of making a new one, and the next window
// inserts into the old one's table without growing it. An Agg is not safe for
// concurrent use.
type Agg struct {
	// Frames counts the frames added; Late counts those of them added late
	// (after the window's final result). Both are totals since the window
	// opened, restored from the changelog.
	Frames, Late uint64

	sketchy bool   // counts with sk instead of set
	set     Set    // exact: every hash
	sk      Sketch // sketch: every hash

	// pending holds the hashes first seen since the last AppendDelta (exact
	// only); skDirty says the sketch took hashes since then.
	pending   []uint64
	skDirty   bool
	untracked bool // no changelog: pending stays empty

	// What the newest record written or restored says, so that AppendDelta
	// knows whether there is anything to write.
	sentFrames, sentLate uint64
	flags                uint32
	// seq is the sequence number of the next record; records 0..seq-1 may
	// exist. topSeq is the highest one restored or written, valid when
	// seq > 0.
	seq, topSeq uint64
}

// NewAgg returns an empty aggregate that counts uniques exactly (a Set of
// hashes) or, when exact is false, estimates them (a HyperLogLog++ Sketch).
func NewAgg(exact bool) *Agg { return &Agg{sketchy: !exact} }

// Reset empties a for reuse as a new window instance, exact or not. An exact
// aggregate keeps its hash table and delta buffer, so that a window of
// similar size never grows them again.
func (a *Agg) Reset(exact bool) {
	a.set.Reset()
	*a = Agg{
		sketchy:   !exact,
		set:       a.set,
		pending:   a.pending[:0],
		untracked: a.untracked,
	}
}

// Untrack tells a that it has no changelog: it stops remembering the hashes
// new since the last AppendDelta, which would otherwise cost 8 bytes per
// distinct uid. `headcount count` runs this way; Reset keeps the setting.
func (a *Agg) Untrack() {
	a.untracked = true
	a.pending = nil
}

// Add counts one frame whose uid hashes to h; late says it arrived after the
// window's final result.
func (a *Agg) Add(h uint64, late bool) {
	a.Frames++
	if late {
		a.Late++
	}
	if a.sketchy {
		a.sk.Add(h)
		a.skDirty = true
		return
	}
	if a.set.Add(h) && !a.untracked {
		a.pending = append(a.pending, h)
	}
}

// Uniques returns the number of distinct uids counted, exact or estimated.
func (a *Agg) Uniques() uint64 {
	if a.sketchy {
		return a.sk.Estimate()
	}
	return uint64(a.set.Len())
}

// Exact reports whether Uniques is an exact count.
func (a *Agg) Exact() bool { return !a.sketchy }

// ErrorBound returns the relative standard error of Uniques: 0 when exact.
func (a *Agg) ErrorBound() float64 {
	if a.sketchy {
		return a.sk.ErrorBound()
	}
	return 0
}
