package processor

import (
	"encoding/binary"
	"fmt"
	"strconv"

	"github.com/headcount/headcount/state"
)

// windowTask is the second stage of the service for one repartition
// partition: it owns every window instance whose key hashes to that
// partition, merges the uid hashes all first-stage tasks send for it, and
// publishes its results as the stream time of ALL input partitions passes.
// Whatever the input partitioning, a window instance is counted in exactly
// one place, so its distinct count is exact.
type windowTask struct {
	partition int32
	cfg       *serviceConfig
	store     *Store
	marks     []progress // per input partition
	flushed   bool       // drain: every input partition is done and all windows are final

	// Output of the current transaction.
	results    []Result
	tombstones [][]byte
	dirty      bool // marks changed: write them to the changelog
	dropped    uint64
	rejects    []rejected // dead letters for the frames dropped as too late
}

func newWindowTask(r int32, cfg *serviceConfig) *windowTask {
	t := &windowTask{partition: r, cfg: cfg, marks: make([]progress, cfg.inputPartitions)}
	for i := range t.marks {
		t.marks[i].time = minTime
	}
	t.store = NewStore(cfg.store, func(res Result) { t.results = append(t.results, res) })
	t.store.OnDrop(func(w Window, start int64, agg *state.Agg) {
		t.tombstones = agg.AppendKeys(t.tombstones, w.String(), start, uint32(t.partition))
	})
	return t
}

// process handles one repartition record, at offset of its partition.
func (t *windowTask) process(key, value []byte, offset int64) error {
	if p, ok := parsePartitionKey(key, "wm:"); ok {
		pr, err := parseProgress(value)
		if err != nil {
			return err
		}
		if int(p) >= len(t.marks) {
			return fmt.Errorf("progress of input partition %d, but the input has %d", p, len(t.marks))
		}
		t.marks[p] = pr
		t.dirty = true
		t.advance()
		return nil
	}
	w, start, err := parseWindowRecordKey(key)
	if err != nil {
		return err
	}
	if len(value)%8 != 0 {
		return fmt.Errorf("window record %s: %d bytes is not a list of hashes", key, len(value))
	}
	for p := value; len(p) >= 8; p = p[8:] {
		if h := binary.LittleEndian.Uint64(p); t.store.AddTo(w, start, h) != Accepted {
			// Only when an idle input partition woke up with frames older than
			// what the others already closed: counted and dead-lettered, never
			// silently. The frame's bytes stayed with the input task; the
			// dead letter says what this stage knows of it.
			t.dropped++
			t.rejects = append(t.rejects, rejected{raw: lateHash(w, start, h), reason: TooLate, offset: offset})
		}
	}
	return nil
}

// lateHash is the dead letter of a frame the window task dropped as too
// late: {"window":"minute","start":1468244340,"uid_hash":"89abcdef01234567"}.
func lateHash(w Window, start int64, hash uint64) []byte {
	return fmt.Appendf(nil, `{"window":%q,"start":%d,"uid_hash":"%016x"}`, w.String(), start, hash)
}

// streamTime is the service's watermark for this task: the least stream time
// of the input partitions that are neither idle nor done, or the most of them
// when all are idle, since an idle partition must not hold the others back.
func (t *windowTask) streamTime() (st int64, allDone bool) {
	least, most := int64(minTime), int64(minTime)
	active, done := 0, 0
	for _, m := range t.marks {
		switch {
		case !m.known:
			return minTime, false // a partition never heard of could still hold anything
		case m.done:
			done++
		case !m.idle:
			if active == 0 || m.time < least {
				least = m.time
			}
			active++
		}
		if m.time > most {
			most = m.time
		}
	}
	if done == len(t.marks) {
		return most, true
	}
	if active == 0 {
		return most, false
	}
	return least, false
}

func (t *windowTask) advance() {
	st, allDone := t.streamTime()
	if st != minTime {
		t.store.Advance(st)
	}
	if allDone && !t.flushed {
		t.store.Flush()
		t.flushed, t.dirty = true, true
	}
}

// appendMarks encodes the task's view of every input partition, for the changelog.
func (t *windowTask) appendMarks(dst []byte) []byte {
	dst = append(dst, 1)
	if t.flushed {
		dst = append(dst, 1)
	} else {
		dst = append(dst, 0)
	}
	dst = binary.LittleEndian.AppendUint32(dst, uint32(len(t.marks)))
	for _, m := range t.marks {
		known := byte(0)
		if m.known {
			known = 1
		}
		dst = append(dst, known)
		dst = appendProgress(dst, m)
	}
	return dst
}

func (t *windowTask) loadMarks(b []byte) error {
	if len(b) < 6 || b[0] != 1 {
		return fmt.Errorf("marks record of %d bytes, version %d", len(b), first(b))
	}
	t.flushed = b[1] == 1
	n := int(binary.LittleEndian.Uint32(b[2:]))
	b = b[6:]
	if n != len(t.marks) || len(b) != n*11 {
		return fmt.Errorf("marks record for %d input partitions, the input has %d", n, len(t.marks))
	}
	for i := range t.marks {
		pr, err := parseProgress(b[1:11])
		if err != nil {
			return err
		}
		pr.known = b[0] == 1
		t.marks[i] = pr
		b = b[11:]
	}
	st, _ := t.streamTime()
	t.store.SetTime(st)
	return nil
}

// marksKey is the changelog key of a window task's marks, "marks:<r>".
func marksKey(r int32) []byte { return strconv.AppendInt([]byte("marks:"), int64(r), 10) }

// reset empties the transaction's output.
func (t *windowTask) reset() {
	t.results = t.results[:0]
	t.tombstones = t.tombstones[:0]
	t.dirty = false
	t.dropped = 0
	t.rejects = t.rejects[:0]
}

// finalFlag marks a window's changelog record: its final result was published.
const finalFlag = 1
