package state

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"iter"
	"math"
	"slices"
	"strconv"
)

// Delta is one decoded changelog record value: what a window instance's
// aggregate (Agg) wrote at one commit.
//
// # Changelog design
//
// Every transaction of the service writes, for each window instance that
// changed since the previous commit, one record to a compacted changelog
// topic, produced by Agg.AppendDelta. The changelog must stay a small share of
// the input (about 2 KB a frame), so an exact window never rewrites its set:
// each record carries only the hashes first seen since the previous record, 8
// bytes each (a busy minute: 45k users in 60k frames, 6 B a frame, 0.3%).
// Because the topic is compacted, every such delta needs a key of its own:
//
//	exact:  <window>:<start>:<shard>:<seq>     e.g. minute:1468244340:3:17
//	sketch: <window>:<start>:<shard>:sketch
//
// window is the caller's window name, start the window's start in unix
// seconds, shard a caller-chosen uint32 (the input partition, say) and seq the
// aggregate's record number, 0, 1, 2, ... A sketch has no cheap delta, so each
// of its records is the whole sketch under one fixed key, and compaction keeps
// the newest. A dense sketch is 16 KiB, whatever changed: at 100 frames a
// commit (100 ms at 1,000 frames/s) that is 7.5% of the input for each sketch
// window, 0.75% at 1,000 frames a commit (TestChangelogBudget), so commit
// intervals should grow with a slow stream rather than shrink.
//
// A value (version 1) is a 30-byte header and a payload, integers
// little-endian:
//
//	offset 0   version  1 byte, DeltaVersion
//	       1   kind     1 byte, 1 exact, 2 sketch
//	       2   flags    uint32, the caller's (say, "final emitted")
//	       6   seq      uint64, the record number, also in the key
//	       14  frames   uint64, Agg.Frames when written: a total, not an increment
//	       22  late     uint64, Agg.Late when written: a total
//	       30  payload  exact: the new hashes, 8 bytes each;
//	                    sketch: the whole sketch, hyperloglog's encoding
//
// Restoring applies a window instance's records with Agg.ApplyDelta in any
// order, each any number of times, and always ends in the same state: the
// hashes of exact records are a union; frames and late are totals, which
// only grow, so the largest wins; flags and the sketch come from the record
// with the highest seq. Replaying a record is harmless, which matters because
// the service rebuilds from Kafka, never from memory, after a failed or
// ambiguous commit. Records of aborted transactions are invisible to
// read_committed readers, and the restored aggregate continues after the
// highest seq it saw, so a seq lost to an abort is simply written again.
//
// When a window instance can no longer change, the caller deletes it from the
// changelog with a tombstone (nil value) for each key that Agg.AppendKeys
// lists: seq 0 to Seq()-1, or the sketch key.
type Delta struct {
	// Exact says Payload holds hashes; otherwise it holds a sketch.
	Exact bool
	// Flags are the caller's, as given to AppendDelta.
	Flags uint32
	// Seq is the record's number within its window instance.
	Seq uint64
	// Frames and Late are the aggregate's totals when the record was written.
	Frames, Late uint64
	// Payload aliases the value: little-endian hashes, 8 bytes each, or a
	// sketch encoding (see Sketch.UnmarshalBinary).
	Payload []byte
}

// DeltaVersion is the version byte of the changelog values this package
// writes, the only one it reads.
const DeltaVersion = 1

// deltaHeaderLen is the size of a value's fixed header.
const deltaHeaderLen = 30

const (
	kindExact  = 1
	kindSketch = 2
)

// ParseDelta decodes a changelog record value. Payload aliases value.
func ParseDelta(value []byte) (Delta, error) {
	if len(value) < deltaHeaderLen {
		return Delta{}, fmt.Errorf("state: changelog value of %d bytes, header needs %d: %w", len(value), deltaHeaderLen, io.ErrUnexpectedEOF)
	}
	if value[0] != DeltaVersion {
		return Delta{}, fmt.Errorf("state: changelog value version %d, want %d", value[0], DeltaVersion)
	}
	le := binary.LittleEndian
	d := Delta{
		Flags:   le.Uint32(value[2:]),
		Seq:     le.Uint64(value[6:]),
		Frames:  le.Uint64(value[14:]),
		Late:    le.Uint64(value[22:]),
		Payload: value[deltaHeaderLen:],
	}
	switch value[1] {
	case kindExact:
		d.Exact = true
		if len(d.Payload)%8 != 0 {
			return Delta{}, fmt.Errorf("state: changelog hash list of %d bytes is not a multiple of 8", len(d.Payload))
		}
	case kindSketch:
	default:
		return Delta{}, fmt.Errorf("state: changelog value kind %d, want %d (exact) or %d (sketch)", value[1], kindExact, kindSketch)
	}
	if d.Seq == math.MaxUint64 {
		// The record after it would have no number.
		return Delta{}, errors.New("state: changelog value seq out of range")
	}
	if d.Late > d.Frames {
		return Delta{}, fmt.Errorf("state: changelog value has %d late frames of %d", d.Late, d.Frames)
	}
	return d, nil
}

// Hashes yields the hashes of an exact record.
func (d Delta) Hashes() iter.Seq[uint64] {
	return func(yield func(uint64) bool) {
		if !d.Exact {
			return
		}
		for p := d.Payload; len(p) >= 8; p = p[8:] {
			if !yield(binary.LittleEndian.Uint64(p)) {
				return
			}
		}
	}
}

// appendHeader appends a value header with a's totals.
func (a *Agg) appendHeader(dst []byte, flags uint32, seq uint64) []byte {
	kind := byte(kindExact)
	if a.sketchy {
		kind = kindSketch
	}
	dst = append(dst, DeltaVersion, kind)
	dst = binary.LittleEndian.AppendUint32(dst, flags)
	dst = binary.LittleEndian.AppendUint64(dst, seq)
	dst = binary.LittleEndian.AppendUint64(dst, a.Frames)
	return binary.LittleEndian.AppendUint64(dst, a.Late)
}

// AppendDelta appends to dst the changelog value of everything a counted since
// the previous AppendDelta (or restore), with the caller's flags, and reports
// whether there was anything: no new hash, frame, late frame or change of
// flags means no record, and dst comes back unchanged. An exact aggregate
// writes its new hashes, a sketch its whole sketch; both write their totals.
//
// The record takes the next sequence number: write it under the key that
// AppendLastKey returns. If the transaction carrying it fails, rebuild the
// aggregate from the changelog rather than calling AppendDelta again: the
// hashes it carried are no longer pending.
func (a *Agg) AppendDelta(dst []byte, flags uint32) (out []byte, changed bool) {
	if len(a.pending) == 0 && !a.skDirty && a.Frames == a.sentFrames && a.Late == a.sentLate && flags == a.flags {
		return dst, false
	}
	out = a.appendHeader(dst, flags, a.seq)
	if a.sketchy {
		var err error
		out, err = a.sk.AppendBinary(out)
		if err != nil {
			// Only a precision other than 14 fails, and Sketch never has one.
			panic(fmt.Sprintf("state: broken invariant: %v", err))
		}
	} else {
		out = slices.Grow(out, 8*len(a.pending))
		for _, h := range a.pending {
			out = binary.LittleEndian.AppendUint64(out, h)
		}
	}
	a.pending = a.pending[:0]
	a.skDirty = false
	a.sentFrames, a.sentLate, a.flags = a.Frames, a.Late, flags
	a.topSeq = a.seq
	a.seq++
	return out, true
}

// ApplyDelta restores the record value into a, which must be of the same kind
// (exact or sketch). Records may come in any order and more than once; see
// Delta. It returns the flags of the highest-seq record applied so far, which
// after the last record are the window's restored flags. On error a is
// unchanged.
func (a *Agg) ApplyDelta(value []byte) (flags uint32, err error) {
	d, err := ParseDelta(value)
	if err != nil {
		return a.flags, err
	}
	if d.Exact == a.sketchy {
		return a.flags, fmt.Errorf("state: changelog record seq %d is %s, aggregate is %s", d.Seq, kindName(d.Exact), kindName(!a.sketchy))
	}
	newest := a.seq == 0 || d.Seq >= a.topSeq
	if a.sketchy {
		var sk Sketch
		if err := sk.UnmarshalBinary(d.Payload); err != nil {
			return a.flags, fmt.Errorf("state: changelog record seq %d: %w", d.Seq, err)
		}
		if newest {
			a.sk = sk
		}
	} else {
		a.set.Grow(len(d.Payload) / 8)
		for h := range d.Hashes() {
			a.set.Add(h)
		}
	}
	a.Frames = max(a.Frames, d.Frames)
	a.Late = max(a.Late, d.Late)
	a.sentFrames, a.sentLate = a.Frames, a.Late
	if newest {
		a.topSeq, a.flags = d.Seq, d.Flags
	}
	a.seq = max(a.seq, d.Seq+1)
	return a.flags, nil
}

func kindName(exact bool) string {
	if exact {
		return "exact"
	}
	return "a sketch"
}

// Seq returns the sequence number of a's next record. An exact aggregate's
// records so far are keyed by seq 0 to Seq()-1; after AppendDelta reports a
// change, the record it returned is Seq()-1.
func (a *Agg) Seq() uint64 { return a.seq }

// AppendLastKey appends the key of the record AppendDelta last returned: the
// seq key Seq()-1 of an exact aggregate, the sketch key of a sketch.
func (a *Agg) AppendLastKey(dst []byte, window string, start int64, shard uint32) []byte {
	if a.sketchy {
		return AppendSketchKey(dst, window, start, shard)
	}
	return AppendKey(dst, window, start, shard, max(a.seq, 1)-1)
}

// AppendKeys appends to dst every changelog key a has written or restored, a
// new slice each, so that the caller can tombstone them all when the window
// instance expires.
func (a *Agg) AppendKeys(dst [][]byte, window string, start int64, shard uint32) [][]byte {
	if a.sketchy {
		if a.seq > 0 {
			dst = append(dst, AppendSketchKey(nil, window, start, shard))
		}
		return dst
	}
	for seq := range a.seq {
		dst = append(dst, AppendKey(nil, window, start, shard, seq))
	}
	return dst
}

// Key is a decoded changelog key.
type Key struct {
	Window string
	Start  int64
	Shard  uint32
	// Seq is the record number of an exact aggregate's key; 0 when Sketch.
	Seq uint64
	// Sketch says this is a sketch's key, <window>:<start>:<shard>:sketch.
	Sketch bool
}

// sketchSuffix ends a sketch's key in place of a seq.
const sketchSuffix = "sketch"

// AppendKey appends the changelog key of an exact aggregate's record seq,
// <window>:<start>:<shard>:<seq>, to dst.
func AppendKey(dst []byte, window string, start int64, shard uint32, seq uint64) []byte {
	dst = appendKeyPrefix(dst, window, start, shard)
	return strconv.AppendUint(dst, seq, 10)
}

// AppendSketchKey appends the changelog key of a sketch aggregate,
// <window>:<start>:<shard>:sketch, to dst.
func AppendSketchKey(dst []byte, window string, start int64, shard uint32) []byte {
	return append(appendKeyPrefix(dst, window, start, shard), sketchSuffix...)
}

func appendKeyPrefix(dst []byte, window string, start int64, shard uint32) []byte {
	dst = append(dst, window...)
	dst = append(dst, ':')
	dst = strconv.AppendInt(dst, start, 10)
	dst = append(dst, ':')
	dst = strconv.AppendUint(dst, uint64(shard), 10)
	return append(dst, ':')
}

// ParseKey decodes a key written by AppendKey or AppendSketchKey. The window
// name is everything before the last three colons, so it may hold colons
// itself, but it must not be empty.
func ParseKey(key []byte) (Key, error) {
	var k Key
	rest, last, ok := cutLast(key)
	if !ok {
		return Key{}, fmt.Errorf("state: changelog key %q has no seq", key)
	}
	rest, shard, ok := cutLast(rest)
	if !ok {
		return Key{}, fmt.Errorf("state: changelog key %q has no shard", key)
	}
	window, start, ok := cutLast(rest)
	if !ok || len(window) == 0 {
		return Key{}, fmt.Errorf("state: changelog key %q has no window", key)
	}
	var err error
	if k.Start, err = strconv.ParseInt(string(start), 10, 64); err != nil {
		return Key{}, fmt.Errorf("state: changelog key %q: start: %w", key, err)
	}
	sh, err := strconv.ParseUint(string(shard), 10, 32)
	if err != nil {
		return Key{}, fmt.Errorf("state: changelog key %q: shard: %w", key, err)
	}
	k.Shard = uint32(sh)
	if string(last) == sketchSuffix {
		k.Sketch = true
	} else if k.Seq, err = strconv.ParseUint(string(last), 10, 64); err != nil {
		return Key{}, fmt.Errorf("state: changelog key %q: seq: %w", key, err)
	}
	k.Window = string(window)
	return k, nil
}

// cutLast splits b around its last colon.
func cutLast(b []byte) (before, after []byte, found bool) {
	i := bytes.LastIndexByte(b, ':')
	if i < 0 {
		return b, nil, false
	}
	return b[:i], b[i+1:], true
}
