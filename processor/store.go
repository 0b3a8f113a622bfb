package processor

import (
	"cmp"
	"slices"

	"github.com/headcount/headcount/state"
)

// StoreConfig says which windows a Store keeps and when they close.
type StoreConfig struct {
	// Windows to count; each frame is counted in one window of each.
	Windows []Window
	// Exact marks the windows counted exactly; the others use a sketch.
	Exact [NumWindows]bool
	// Grace, in seconds: a window is final once stream time passed end+Grace.
	Grace int64
	// Lateness, in seconds: a final window still takes late frames (and
	// publishes revisions) until stream time passes end+Grace+Lateness.
	Lateness int64
	// NoChangelog says nobody writes the windows to a changelog, so their
	// aggregates need not remember what changed since the last record.
	NoChangelog bool
}

// windowKey names one window instance.
type windowKey struct {
	w     Window
	start int64
}

// openWindow is a window instance the store still holds.
type openWindow struct {
	key        windowKey
	end        int64
	agg        *state.Agg
	final      bool // its final result was published
	sinceEarly bool // changed since its last early result
	sinceFinal bool // changed since its last final or revised result
}

// Store holds the windows of one stream, counts frames into them and publishes
// their results as stream time passes: early results on request, a final
// result once a window's end plus grace is behind stream time, revisions when
// late frames change a final count, and nothing after the allowed lateness.
// A Store is not safe for concurrent use.
type Store struct {
	cfg  StoreConfig
	emit func(Result)

	time     int64 // stream time as last given to Advance
	open     map[windowKey]*openWindow
	recent   [NumWindows]*openWindow // per window kind, the instance hit last: frames come in time order, mostly
	finest   Window                  // the shortest configured window decides lateness
	deadline int64                   // earliest stream time at which Advance has work
	pending  []*openWindow           // scratch for Advance

	spare  []*state.Agg // aggregates of expired windows, kept for reuse
	onDrop func(w Window, start int64, agg *state.Agg)
}

// NewStore returns an empty store that publishes through emit.
func NewStore(cfg StoreConfig, emit func(Result)) *Store {
	s := &Store{cfg: cfg, emit: emit, open: make(map[windowKey]*openWindow)}
	s.cfg.Windows = slices.Clone(cfg.Windows)
	slices.Sort(s.cfg.Windows)
	if len(s.cfg.Windows) > 0 {
		s.finest = s.cfg.Windows[0]
	}
	s.time = minTime
	s.deadline = minTime
	return s
}

// minTime stands for "no stream time yet": before any event time we accept.
const minTime = -1 << 62

// Len returns how many window instances the store holds.
func (s *Store) Len() int { return len(s.open) }

// Add counts one frame, or returns TooLate without counting it when the
// frame's shortest window is past its allowed lateness. Longer windows end no
// sooner than the shortest, so a frame is counted in all of its windows or in none.
func (s *Store) Add(h uint64, ts int64) Reason {
	if len(s.cfg.Windows) == 0 {
		return Accepted
	}
	start := s.finest.Start(ts)
	if s.finest.End(start)+s.cfg.Grace+s.cfg.Lateness <= s.time {
		return TooLate
	}
	for _, w := range s.cfg.Windows {
		ow := s.recent[w]
		if ow == nil || ts < ow.key.start || ts >= ow.end {
			ow = s.window(w, ts)
			s.recent[w] = ow
		}
		ow.agg.Add(h, ow.final)
		ow.sinceEarly, ow.sinceFinal = true, true
	}
	return Accepted
}

// window returns the instance of w that holds ts, opening it when needed.
func (s *Store) window(w Window, ts int64) *openWindow {
	k := windowKey{w, w.Start(ts)}
	if ow := s.open[k]; ow != nil {
		return ow
	}
	ow := &openWindow{key: k, end: w.End(k.start), agg: s.newAgg(w)}
	s.open[k] = ow
	if d := ow.end + s.cfg.Grace; d < s.deadline || s.deadline == minTime {
		s.deadline = d
	}
	// A window first opened behind its end+grace (all its frames came late)
	// publishes its first result, a final one, at the next Advance.
	return ow
}

func (s *Store) newAgg(w Window) *state.Agg {
	exact := s.cfg.Exact[w]
	if n := len(s.spare); n > 0 {
		a := s.spare[n-1]
		s.spare = s.spare[:n-1]
		a.Reset(exact)
		return a
	}
	a := state.NewAgg(exact)
	if s.cfg.NoChangelog {
		a.Untrack()
	}
	return a
}

// Advance moves stream time to t (it never goes back): windows whose end plus
// grace is behind t publish their final result, in order of end, and windows
// past their allowed lateness publish any pending revision and are dropped.
func (s *Store) Advance(t int64) {
	if t <= s.time {
		return
	}
	s.time = t
	if t < s.deadline {
		return
	}
	s.collect(func(ow *openWindow) bool { return !ow.final && ow.end+s.cfg.Grace <= t })
	s.publishInOrder(s.pending, Final)
	s.collect(func(ow *openWindow) bool { return ow.end+s.cfg.Grace+s.cfg.Lateness <= t })
	s.sortByEnd(s.pending)
	for _, ow := range s.pending {
		if ow.sinceFinal {
			s.publish(ow, Revised)
		}
		s.drop(ow)
	}
	next := int64(minTime)
	for _, ow := range s.open {
		if d := s.nextDeadline(ow); next == minTime || d < next {
			next = d
		}
	}
	s.deadline = next
}

func (s *Store) nextDeadline(ow *openWindow) int64 {
	if ow.final {
		return ow.end + s.cfg.Grace + s.cfg.Lateness
	}
	return ow.end + s.cfg.Grace
}

// Early publishes an early result for every open window that changed since its last one.
func (s *Store) Early() {
	s.collect(func(ow *openWindow) bool { return !ow.final && ow.sinceEarly })
	s.publishInOrder(s.pending, Early)
}

// Revise publishes a revised result for every final window that late frames changed.
func (s *Store) Revise() {
	s.collect(func(ow *openWindow) bool { return ow.final && ow.sinceFinal })
	s.publishInOrder(s.pending, Revised)
}

// Flush ends the stream: pending revisions are published, then every open
// window publishes its final result. The windows are kept, so late
// frames may still revise them.
func (s *Store) Flush() {
	s.Revise()
	s.collect(func(ow *openWindow) bool { return !ow.final })
	s.publishInOrder(s.pending, Final)
}

func (s *Store) collect(keep func(*openWindow) bool) {
	s.pending = s.pending[:0]
	for _, ow := range s.open {
		if keep(ow) {
			s.pending = append(s.pending, ow)
		}
	}
}

func (s *Store) publishInOrder(ws []*openWindow, st Status) {
	s.sortByEnd(ws)
	for _, ow := range ws {
		s.publish(ow, st)
	}
}

func (s *Store) sortByEnd(ws []*openWindow) {
	slices.SortFunc(ws, func(a, b *openWindow) int {
		if c := cmp.Compare(a.end, b.end); c != 0 {
			return c
		}
		return cmp.Compare(a.key.w, b.key.w)
	})
}

func (s *Store) publish(ow *openWindow, st Status) {
	switch st {
	case Final:
		ow.final = true
		ow.sinceFinal, ow.sinceEarly = false, false
	case Revised:
		ow.sinceFinal = false
	case Early:
		ow.sinceEarly = false
	}
	s.emit(Result{
		Window:     ow.key.w,
		Start:      ow.key.start,
		End:        ow.end,
		Uniques:    ow.agg.Uniques(),
		Frames:     ow.agg.Frames,
		Late:       ow.agg.Late,
		Status:     st,
		Exact:      ow.agg.Exact(),
		ErrorBound: ow.agg.ErrorBound(),
	})
}

func (s *Store) drop(ow *openWindow) {
	if s.onDrop != nil {
		s.onDrop(ow.key.w, ow.key.start, ow.agg)
	}
	delete(s.open, ow.key)
	if s.recent[ow.key.w] == ow {
		s.recent[ow.key.w] = nil
	}
	if len(s.spare) < 2*int(NumWindows) {
		s.spare = append(s.spare, ow.agg)
	}
}

// AddTo counts one frame whose uid hashes to h into the instance of w that
// starts at start, as the second stage of the service does with frames the
// first stage already placed. It returns TooLate, counting nothing, when that
// instance is past its allowed lateness.
func (s *Store) AddTo(w Window, start int64, h uint64) Reason {
	ow := s.recent[w]
	if ow == nil || ow.key.start != start {
		end := w.End(start)
		if end+s.cfg.Grace+s.cfg.Lateness <= s.time {
			return TooLate
		}
		ow = s.window(w, start)
		s.recent[w] = ow
	}
	ow.agg.Add(h, ow.final)
	ow.sinceEarly, ow.sinceFinal = true, true
	return Accepted
}

// Restore puts back a window instance rebuilt from the changelog; final says
// its final result was published already.
func (s *Store) Restore(w Window, start int64, agg *state.Agg, final bool) {
	k := windowKey{w, start}
	ow := &openWindow{key: k, end: w.End(start), agg: agg, final: final}
	s.open[k] = ow
	if d := s.nextDeadline(ow); s.deadline == minTime || d < s.deadline {
		s.deadline = d
	}
}

// SetTime sets stream time without publishing anything, for a store being
// restored to where it stood.
func (s *Store) SetTime(t int64) { s.time = t }

// Time returns stream time as last given to Advance or SetTime.
func (s *Store) Time() int64 { return s.time }

// Each calls fn for every window instance the store holds, in no order.
func (s *Store) Each(fn func(w Window, start int64, agg *state.Agg, final bool)) {
	for _, ow := range s.open {
		fn(ow.key.w, ow.key.start, ow.agg, ow.final)
	}
}

// OnDrop sets a function called with each window instance the store drops,
// before its aggregate is reused: the service tombstones its changelog keys.
func (s *Store) OnDrop(fn func(w Window, start int64, agg *state.Agg)) { s.onDrop = fn }
