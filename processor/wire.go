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
// version 3, flags (anchored, done), time, next offset, the number of
// groups, and each group: lo, hi, against, its frames (ts, hash, pos, len,
// raw). Before anchoring, the start frames are one group.
func appendGateState(dst []byte, g *Gate, done bool, next int64) []byte {
	le := binary.LittleEndian
	var flags byte
	if g.anchored {
		flags |= 1
	}
	if done {
		flags |= 2
	}
	dst = append(dst, 3, flags)
	dst = le.AppendUint64(dst, uint64(g.time))
	dst = le.AppendUint64(dst, uint64(next))
	groups := g.groups
	if !g.anchored {
		groups = []candidateGroup{{frames: g.start}}
	}
	dst = le.AppendUint32(dst, uint32(len(groups)))
	for _, c := range groups {
		dst = le.AppendUint64(dst, uint64(c.lo))
		dst = le.AppendUint64(dst, uint64(c.hi))
		dst = le.AppendUint64(dst, uint64(c.against))
		dst = appendHeldFrames(dst, c.frames)
	}
	return dst
}

// appendHeldFrames encodes frames: their count, then each one's ts, hash,
// pos, length and raw bytes.
func appendHeldFrames(dst []byte, frames []Frame) []byte {
	le := binary.LittleEndian
	dst = le.AppendUint32(dst, uint32(len(frames)))
	for _, f := range frames {
		dst = le.AppendUint64(dst, uint64(f.TS))
		dst = le.AppendUint64(dst, f.Hash)
		dst = le.AppendUint64(dst, uint64(f.Pos))
		dst = le.AppendUint32(dst, uint32(len(f.Raw)))
		dst = append(dst, f.Raw...)
	}
	return dst
}

var errGateState = errors.New("gate state record is corrupt")

// loadGateState restores g from appendGateState's bytes; it also reads
// version 2, which held one group.
func loadGateState(b []byte, g *Gate) (done bool, next int64, err error) {
	le := binary.LittleEndian
	g.start, g.groups = nil, nil
	switch {
	case len(b) >= 22 && b[0] == 3:
		g.anchored, done = b[1]&1 != 0, b[1]&2 != 0
		g.time = int64(le.Uint64(b[2:]))
		next = int64(le.Uint64(b[10:]))
		n := int(le.Uint32(b[18:]))
		b = b[22:]
		for range n {
			if len(b) < 24 {
				return false, 0, fmt.Errorf("%w: group cut short", errGateState)
			}
			c := candidateGroup{lo: int64(le.Uint64(b)), hi: int64(le.Uint64(b[8:])), against: int(le.Uint64(b[16:]))}
			if c.frames, b, err = loadHeldFrames(b[24:]); err != nil {
				return false, 0, err
			}
			g.groups = append(g.groups, c)
		}
	case len(b) >= 46 && b[0] == 2:
		g.anchored, done = b[1]&1 != 0, b[1]&2 != 0
		g.time = int64(le.Uint64(b[2:]))
		c := candidateGroup{lo: int64(le.Uint64(b[10:])), hi: int64(le.Uint64(b[18:])), against: int(le.Uint64(b[26:]))}
		next = int64(le.Uint64(b[34:]))
		if c.frames, b, err = loadHeldFrames(b[42:]); err != nil {
			return false, 0, err
		}
		if len(c.frames) > 0 {
			g.groups = append(g.groups, c)
		}
	default:
		return false, 0, fmt.Errorf("%w: %d bytes, version %d", errGateState, len(b), first(b))
	}
	if len(b) != 0 {
		return false, 0, fmt.Errorf("%w: %d trailing bytes", errGateState, len(b))
	}
	if !g.anchored {
		// Before anchoring every held frame is a start frame.
		for _, c := range g.groups {
			g.start = append(g.start, c.frames...)
		}
		g.groups = nil
	}
	return done, next, nil
}

// loadHeldFrames decodes appendHeldFrames' bytes at the start of b and
// returns the rest.
func loadHeldFrames(b []byte) ([]Frame, []byte, error) {
	le := binary.LittleEndian
	if len(b) < 4 {
		return nil, nil, fmt.Errorf("%w: frame count cut short", errGateState)
	}
	n := int(le.Uint32(b))
	b = b[4:]
	var frames []Frame
	for range n {
		if len(b) < 28 {
			return nil, nil, fmt.Errorf("%w: held frame cut short", errGateState)
		}
		f := Frame{TS: int64(le.Uint64(b)), Hash: le.Uint64(b[8:]), Pos: int64(le.Uint64(b[16:]))}
		l := int(le.Uint32(b[24:]))
		b = b[28:]
		if len(b) < l {
			return nil, nil, fmt.Errorf("%w: held frame cut short", errGateState)
		}
		f.Raw = append([]byte(nil), b[:l]...)
		b = b[l:]
		frames = append(frames, f)
	}
	return frames, b, nil
}
