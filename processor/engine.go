package processor

import (
	"errors"
	"fmt"
	"time"

	"github.com/headcount/headcount/state"
)

// Config is what the engine needs to know about windows, time and outliers.
// The zero value is not useful; start from DefaultConfig.
type Config struct {
	// Windows to count.
	Windows []Window
	// Exact lists the windows counted exactly; the others are estimated with a
	// HyperLogLog++ sketch.
	Exact []Window
	// Grace is how long after a window's end (in stream time) its final
	// result waits for out-of-order frames.
	Grace time.Duration
	// Early is the processing-time interval of early results for open
	// windows; zero turns them off.
	Early time.Duration
	// AllowedLateness is how long after its final result (in stream time) a
	// window still counts late frames and publishes revisions.
	AllowedLateness time.Duration
	// OutlierHorizon is how far ahead of stream time a frame may be before it
	// is held as a possible outlier (see Gate).
	OutlierHorizon time.Duration
	// OutlierQuorum is how many agreeing frames it takes to follow a jump of
	// the whole stream (see Gate).
	OutlierQuorum int
}

// DefaultConfig returns the contract's defaults: minute windows, exact
// minutes and hours, 5 s grace, 1 s early results, 1 h allowed lateness.
func DefaultConfig() Config {
	return Config{
		Windows:         []Window{Minute},
		Exact:           []Window{Minute, Hour},
		Grace:           5 * time.Second,
		Early:           time.Second,
		AllowedLateness: time.Hour,
		OutlierHorizon:  time.Hour,
		OutlierQuorum:   16,
	}
}

// validate reports the first unusable setting.
func (c Config) validate() error {
	switch {
	case len(c.Windows) == 0:
		return errors.New("no windows to count")
	case c.Grace < 0:
		return fmt.Errorf("grace %v is negative", c.Grace)
	case c.Early < 0:
		return fmt.Errorf("early interval %v is negative", c.Early)
	case c.AllowedLateness < 0:
		return fmt.Errorf("allowed lateness %v is negative", c.AllowedLateness)
	case c.OutlierHorizon < time.Second:
		return fmt.Errorf("outlier horizon %v is under a second", c.OutlierHorizon)
	case c.OutlierQuorum < 1:
		return fmt.Errorf("outlier quorum %d is under 1", c.OutlierQuorum)
	}
	return nil
}

// Stats counts what an Engine saw.
type Stats struct {
	// Lines is every line or record offered, counted or not.
	Lines uint64
	// Bytes is their total size.
	Bytes uint64
	// Counted is the frames counted into windows.
	Counted uint64
	// Rejects counts the frames refused, by reason (Rejects[Accepted] stays 0).
	Rejects [NumReasons]uint64
}

// Rejected returns the total number of rejected frames.
func (s Stats) Rejected() uint64 {
	var n uint64
	for _, v := range s.Rejects {
		n += v
	}
	return n
}

// Engine counts one stream of frames: it extracts uid and ts, lets the Gate
// keep outliers away from stream time, counts admitted frames into every
// configured window and publishes results through the emit function given
// to NewEngine. Rejected frames go to the reject function with their reason.
// An Engine is not safe for concurrent use.
type Engine struct {
	cfg      Config
	x        Extractor
	gate     *Gate
	store    *Store
	stats    Stats
	onReject func(Frame, Reason)

	// pass and reject are bound once so that the hot path allocates no closures.
	pass      func(Frame)
	rejectWhy func(Frame, Reason)
	time      int64 // stream time as last given to the store
	horizon   int64 // the gate's, in seconds
}

// NewEngine returns an Engine for cfg. emit receives every result; onReject,
// which may be nil, every rejected frame (its Raw is only valid during the call).
func NewEngine(cfg Config, emit func(Result), onReject func(Frame, Reason)) (*Engine, error) {
	if err := cfg.validate(); err != nil {
		return nil, fmt.Errorf("engine config: %w", err)
	}
	sc := StoreConfig{
		Windows:     cfg.Windows,
		Grace:       seconds(cfg.Grace),
		Lateness:    seconds(cfg.AllowedLateness),
		NoChangelog: true,
	}
	for _, w := range cfg.Exact {
		sc.Exact[w] = true
	}
	e := &Engine{
		cfg:      cfg,
		gate:     NewGate(seconds(cfg.OutlierHorizon), cfg.OutlierQuorum),
		store:    NewStore(sc, emit),
		onReject: onReject,
		time:     minTime,
		horizon:  seconds(cfg.OutlierHorizon),
	}
	e.pass = e.count
	e.rejectWhy = e.refuse
	return e, nil
}

// seconds rounds d up to whole seconds, the resolution of event time.
func seconds(d time.Duration) int64 { return int64((d + time.Second - 1) / time.Second) }

// Config returns the engine's configuration.
func (e *Engine) Config() Config { return e.cfg }

// Stats returns what the engine saw so far.
func (e *Engine) Stats() Stats { return e.stats }

// Line extracts and processes one frame; pos says where it came from.
func (e *Engine) Line(line []byte, pos int64) {
	uid, ts, r := e.x.Extract(line)
	e.Extracted(line, pos, state.Hash(uid), ts, r)
}

// Extracted processes a frame whose uid hash and ts were extracted already
// (by Extract and state.Hash, perhaps on another goroutine), or its reject
// reason r.
func (e *Engine) Extracted(line []byte, pos int64, h uint64, ts int64, r Reason) {
	e.stats.Lines++
	e.stats.Bytes += uint64(len(line))
	f := Frame{TS: ts, Hash: h, Raw: line, Pos: pos}
	if r != Accepted {
		e.refuse(f, r)
		return
	}
	e.gate.Admit(f, e.pass, e.rejectWhy)
	if t, ok := e.gate.Time(); ok && t != e.time {
		e.time = t
		e.store.Advance(t)
	}
}

func (e *Engine) count(f Frame) {
	// The gate releases held frames (when it anchors stream time or follows
	// a jump) after it moved stream time, but before the store heard of it.
	// Those frames lie within a horizon of the new time, except bit flips
	// into the past: bring the store that close first, so that a flip held
	// among them is too late rather than a window of its own.
	if t, ok := e.gate.Time(); ok && t-e.horizon > e.time {
		e.time = t - e.horizon
		e.store.Advance(e.time)
	}
	if r := e.store.Add(f.Hash, f.TS); r != Accepted {
		e.refuse(f, r)
		return
	}
	e.stats.Counted++
}

func (e *Engine) refuse(f Frame, r Reason) {
	e.stats.Rejects[r]++
	if e.onReject != nil {
		e.onReject(f, r)
	}
}

// Early publishes early results for open windows that changed, and
// revisions for final windows that late frames changed. Call it every
// Config.Early of processing time (revisions are due even when early
// results are off).
func (e *Engine) Early() {
	if e.cfg.Early > 0 {
		e.store.Early()
	}
	e.store.Revise()
}

// Flush ends the stream: held frames are decided, then every window
// publishes its final result (or revision).
func (e *Engine) Flush() {
	e.gate.Flush(e.pass, e.rejectWhy)
	if t, ok := e.gate.Time(); ok && t != e.time {
		e.time = t
		e.store.Advance(t)
	}
	e.store.Flush()
}
