package processor

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// The service's two stages talk through the repartition topic. Its records:
//
//	key "<window>:<start>"  value: the uid hashes of frames for that window
//	                        instance, 8 bytes little-endian each, one per frame
//	key "wm:<p>"            value: input partition p's progress (progress)
//
// Changelog records of the first stage are keyed "gate:<p>" (gateState).

// progress is what a first-stage task tells every second-stage task about its
// input partition: how far its stream time went, and whether it is idle (no
// frames lately) or done (drained).
type progress struct {
	time  int64
	idle  bool
	done  bool
	known bool // a record arrived; a partition never heard of holds time back
}

const (
	progressIdle = 1 << iota
	progressDone
	progressAnchored
)

// appendProgress encodes p: version 1, flags, time.
func appendProgress(dst []byte, p progress) []byte {
	var flags byte
	if p.idle {
		flags |= progressIdle
	}
	if p.done {
		flags |= progressDone
	}
	if p.time != minTime {
		flags |= progressAnchored
	}
	dst = append(dst, 1, flags)
	return binary.LittleEndian.AppendUint64(dst, uint64(p.time))
}

func parseProgress(b []byte) (progress, error) {
	if len(b) != 10 || b[0] != 1 {
		return progress{}, fmt.Errorf("progress record of %d bytes, version %d: want 10 bytes, version 1", len(b), first(b))
	}
	p := progress{known: true, idle: b[1]&progressIdle != 0, done: b[1]&progressDone != 0, time: minTime}
	if b[1]&progressAnchored != 0 {
		p.time = int64(binary.LittleEndian.Uint64(b[2:]))
	}
	return p, nil
}

func first(b []byte) int {
	if len(b) == 0 {
		return -1
	}
	return int(b[0])
}

// progressKey returns "wm:<p>".
func progressKey(p int32) []byte { return strconv.AppendInt([]byte("wm:"), int64(p), 10) }

// gateKey returns "gate:<p>", the changelog key of input partition p's task.
func gateKey(p int32) []byte { return strconv.AppendInt([]byte("gate:"), int64(p), 10) }

// parsePartitionKey parses "<prefix><p>".
func parsePartitionKey(key []byte, prefix string) (int32, bool) {
	s, ok := strings.CutPrefix(string(key), prefix)
	if !ok {
		return 0, false
	}
	p, err := strconv.ParseInt(s, 10, 32)
	return int32(p), err == nil && p >= 0
}

// windowRecordKey returns "<window>:<start>", also the results' key.
func windowRecordKey(dst []byte, w Window, start int64) []byte {
	dst = append(dst, w.String()...)
	dst = append(dst, ':')
	return strconv.AppendInt(dst, start, 10)
}

// parseWindowRecordKey parses "<window>:<start>".
func parseWindowRecordKey(key []byte) (Window, int64, error) {
	name, start, ok := strings.Cut(string(key), ":")
	if !ok {
		return 0, 0, fmt.Errorf("window key %q has no ':'", key)
	}
	w, err := ParseWindow(name)
	if err != nil {
		return 0, 0, err
	}
	s, err := strconv.ParseInt(start, 10, 64)
	if err != nil {
		return 0, 0, fmt.Errorf("window key %q: %w", key, err)
	}
	return w, s, nil
}

// appendGateState encodes everything a Gate and its task need to resume:
// version 2, flags (anchored, done), time, lo, hi, against, next offset, held
// frames (ts, hash, pos, len, raw).
func appendGateState(dst []byte, g *Gate, done bool, next int64) []byte {
	le := binary.LittleEndian
	var flags byte
	if g.anchored {
		flags |= 1
	}
	if done {
		flags |= 2
	}
	dst = append(dst, 2, flags)
	dst = le.AppendUint64(dst, uint64(g.time))
	dst = le.AppendUint64(dst, uint64(g.lo))
	dst = le.AppendUint64(dst, uint64(g.hi))
	dst = le.AppendUint64(dst, uint64(g.against))
	dst = le.AppendUint64(dst, uint64(next))
	dst = le.AppendUint32(dst, uint32(len(g.held)))
	for _, f := range g.held {
		dst = le.AppendUint64(dst, uint64(f.TS))
		dst = le.AppendUint64(dst, f.Hash)
		dst = le.AppendUint64(dst, uint64(f.Pos))
		dst = le.AppendUint32(dst, uint32(len(f.Raw)))
		dst = append(dst, f.Raw...)
	}
	return dst
}

var errGateState = errors.New("gate state record is corrupt")

// loadGateState restores g from appendGateState's bytes.
func loadGateState(b []byte, g *Gate) (done bool, next int64, err error) {
	le := binary.LittleEndian
	if len(b) < 46 || b[0] != 2 {
		return false, 0, fmt.Errorf("%w: %d bytes, version %d", errGateState, len(b), first(b))
	}
	g.anchored, done = b[1]&1 != 0, b[1]&2 != 0
	g.time = int64(le.Uint64(b[2:]))
	g.lo = int64(le.Uint64(b[10:]))
	g.hi = int64(le.Uint64(b[18:]))
	g.against = int(le.Uint64(b[26:]))
	next = int64(le.Uint64(b[34:]))
	n := int(le.Uint32(b[42:]))
	b = b[46:]
	g.held = g.held[:0]
	for range n {
		if len(b) < 28 {
			return false, 0, fmt.Errorf("%w: held frame cut short", errGateState)
		}
		f := Frame{TS: int64(le.Uint64(b)), Hash: le.Uint64(b[8:]), Pos: int64(le.Uint64(b[16:]))}
		l := int(le.Uint32(b[24:]))
		b = b[28:]
		if len(b) < l {
			return false, 0, fmt.Errorf("%w: held frame cut short", errGateState)
		}
		f.Raw = append([]byte(nil), b[:l]...)
		b = b[l:]
		g.held = append(g.held, f)
	}
	if len(b) != 0 {
		return false, 0, fmt.Errorf("%w: %d trailing bytes", errGateState, len(b))
	}
	return done, next, nil
}
