package processor

import (
	"encoding/binary"
	"time"

	"github.com/headcount/headcount/state"
)

// inputTask is the first stage of the service for one input partition: it
// extracts each frame, lets the partition's Gate judge its timestamp, drops
// frames past their allowed lateness, and routes the uid hash of each counted
// frame to the window instances it belongs to. Its own state is small, the
// Gate and its position, and goes to the changelog in every transaction.
type inputTask struct {
	partition int32
	cfg       *serviceConfig
	x         Extractor
	gate      *Gate

	next       int64 // offset of the next record to process
	target     int64 // drain: done once next reaches it; -1 when not draining
	done       bool
	lastRecord time.Time // processing time of the last frame, for idleness
	before     int64     // stream time before the frame being admitted (see route)

	// Output of the current transaction.
	batches  map[windowKey][]byte // hashes per window instance, to the repartition topic
	order    []windowKey          // batches in first-touched order, so output is deterministic
	rejects  []rejected
	frames   uint64             // records processed in this transaction
	rejectN  [NumReasons]uint64 // of those, rejected, by reason
	dirty    bool               // the gate or position changed: write the changelog
	sent     progress           // last progress told to the second stage
	pass     func(Frame)
	rejectFn func(Frame, Reason)
}

// rejected is a frame for the dead-letter topic.
type rejected struct {
	raw    []byte
	reason Reason
	offset int64
}

func newInputTask(p int32, cfg *serviceConfig) *inputTask {
	t := &inputTask{
		partition: p,
		cfg:       cfg,
		gate:      NewGate(seconds(cfg.engine.OutlierHorizon), cfg.engine.OutlierQuorum),
		target:    -1,
		batches:   make(map[windowKey][]byte),
		sent:      progress{time: minTime},
	}
	t.pass = t.route
	t.rejectFn = t.reject
	return t
}

// process handles one input record at offset off.
func (t *inputTask) process(value []byte, off int64, now time.Time) {
	t.next, t.dirty, t.lastRecord = off+1, true, now
	if t.done {
		// A restored, drained task: nothing after its end offsets is its business.
		return
	}
	t.frames++
	uid, ts, r := t.x.Extract(trimCR(value))
	f := Frame{TS: ts, Hash: state.Hash(uid), Raw: value, Pos: off}
	if r != Accepted {
		t.reject(f, r)
		return
	}
	t.before, _ = t.gate.Time()
	t.gate.Admit(f, t.pass, t.rejectFn)
}

// skip advances the position past a control record.
func (t *inputTask) skip(off int64) { t.next, t.dirty = off+1, true }

func trimCR(b []byte) []byte {
	if n := len(b); n > 0 && b[n-1] == '\r' {
		return b[:n-1]
	}
	return b
}

func (t *inputTask) route(f Frame) {
	// The gate releases the frames it held (anchoring stream time, or
	// following a jump) after it moved stream time to the newest of them.
	// Judge lateness as the engine does: against stream time as it was
	// before the frame, or a horizon behind the new one when that is later,
	// so that a bit flip into the past held among them is still too late.
	now, _ := t.gate.Time()
	ref := max(t.before, now-t.gate.horizon)
	cfg := t.cfg.store
	finest := cfg.Windows[0]
	if finest.End(finest.Start(f.TS))+cfg.Grace+cfg.Lateness <= ref {
		t.reject(f, TooLate)
		return
	}
	for _, w := range cfg.Windows {
		k := windowKey{w, w.Start(f.TS)}
		b, ok := t.batches[k]
		if !ok {
			t.order = append(t.order, k)
		}
		t.batches[k] = binary.LittleEndian.AppendUint64(b, f.Hash)
	}
}

func (t *inputTask) reject(f Frame, r Reason) {
	t.rejects = append(t.rejects, rejected{raw: append([]byte(nil), f.Raw...), reason: r, offset: f.Pos})
	t.rejectN[r]++
}

// checkDone finishes a draining task that reached its end offset: held
// frames are decided and the second stage is told the partition is done.
func (t *inputTask) checkDone() {
	if t.done || t.target < 0 || t.next < t.target {
		return
	}
	t.before, _ = t.gate.Time()
	t.gate.Flush(t.pass, t.rejectFn)
	t.done, t.dirty = true, true
}

// tick lets the wall clock stand in for a live stream that went quiet: once
// no frame came for the idle interval and stream time is within the live
// horizon of the clock, stream time follows the clock (less grace), so the
// last minute of a quiet stream still closes. A replay of old data is far
// from the clock and never closes windows early this way.
func (t *inputTask) tick(now time.Time) {
	if t.done || now.Sub(t.lastRecord) < t.cfg.idle {
		return
	}
	st, ok := t.gate.Time()
	clock := now.Unix()
	if ok && clock-st <= t.cfg.live && clock-1 > st {
		t.gate.Follow(clock - 1)
		t.dirty = true
	}
}

// progress reports the partition's state to the second stage.
func (t *inputTask) progress(now time.Time) progress {
	st, ok := t.gate.Time()
	if !ok {
		st = minTime
	}
	return progress{time: st, done: t.done, idle: now.Sub(t.lastRecord) >= t.cfg.idle, known: true}
}

// reset empties the transaction's output.
func (t *inputTask) reset() {
	clear(t.batches)
	t.order = t.order[:0]
	t.rejects = t.rejects[:0]
	t.frames, t.rejectN = 0, [NumReasons]uint64{}
	t.dirty = false
}
