package processor

import (
	"context"
	"fmt"
	"time"

	"github.com/headcount/headcount/state"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// onAssigned runs in the group's goroutine once the committed offsets of
// newly assigned partitions are known and before any of their records are
// fetched: the tasks are rebuilt from the changelog here, so no record is
// ever processed against state that does not match its offset.
func (s *Service) onAssigned(ctx context.Context, offs map[string]map[int32]kgo.Offset) (map[string]map[int32]kgo.Offset, error) {
	in := keysOf(offs[s.cfg.Topics.Input])
	win := keysOf(offs[s.cfg.Topics.Repartition])
	if len(in)+len(win) == 0 {
		return offs, nil
	}
	began := time.Now()
	a, n, err := s.rebuild(ctx, in, win)
	if err != nil {
		// Returning the error makes the client leave and rejoin the group.
		s.log.Error("restore failed", "err", err)
		return nil, err
	}
	for p, o := range offs[s.cfg.Topics.Input] {
		if t := a.inputs[p]; t != nil {
			if c := o.EpochOffset().Offset; c >= 0 && c != t.next && t.next != 0 {
				s.log.Warn("changelog position differs from committed offset; using the committed offset",
					"partition", p, "changelog", t.next, "committed", c)
			}
			if c := o.EpochOffset().Offset; c >= 0 {
				t.next = c
			}
			t.checkDone()
		}
	}
	s.log.Info("partitions assigned and restored", "input", in, "repartition", win,
		"changelog_records", n, "took", time.Since(began).Round(time.Millisecond))
	s.mu.Lock()
	s.pending = append(s.pending, a)
	s.mu.Unlock()
	return offs, nil
}

// onRevoked hands the loss of partitions to the loop; a transaction in
// flight then aborts, as the session ensures.
func (s *Service) onRevoked(_ context.Context, _ *kgo.Client, revoked map[string][]int32) {
	s.log.Info("partitions revoked", "partitions", revoked)
	s.mu.Lock()
	s.pending = append(s.pending, assignment{revoked: revoked})
	s.mu.Unlock()
}

// install applies ownership changes handed over by the callbacks.
func (s *Service) install() {
	s.mu.Lock()
	pending := s.pending
	s.pending = nil
	s.mu.Unlock()
	for _, a := range pending {
		for _, p := range a.revoked[s.cfg.Topics.Input] {
			delete(s.inputs, p)
		}
		for _, p := range a.revoked[s.cfg.Topics.Repartition] {
			delete(s.windows, p)
		}
		for p, t := range a.inputs {
			s.inputs[p] = t
		}
		for p, t := range a.windows {
			s.windows[p] = t
		}
	}
}

// restoreOwned rebuilds every owned task from the changelog, after an
// aborted transaction left memory ahead of Kafka.
func (s *Service) restoreOwned(ctx context.Context) error {
	a, _, err := s.rebuild(ctx, sortedKeys(s.inputs), sortedKeys(s.windows))
	if err != nil {
		return err
	}
	for p, t := range a.inputs {
		t.next = s.inputs[p].next // the session rewound to the committed offset; gate state says the same
		t.checkDone()
	}
	s.inputs, s.windows = a.inputs, a.windows
	return nil
}

// rebuild makes tasks for the given partitions from the changelog.
func (s *Service) rebuild(ctx context.Context, inputs, windows []int32) (assignment, int, error) {
	s.stats.Restores++
	a := assignment{inputs: map[int32]*inputTask{}, windows: map[int32]*windowTask{}}
	need := map[int32]bool{}
	for _, p := range inputs {
		need[p%s.parts.Repartition] = true
	}
	for _, r := range windows {
		need[r] = true
	}
	logs, n, err := s.readChangelog(ctx, keysOf(need))
	if err != nil {
		return a, n, err
	}
	for _, p := range inputs {
		t := newInputTask(p, &s.sc)
		if tgt, ok := s.targets[p]; ok {
			t.target = tgt
		} else if s.cfg.Drain {
			t.target = 0
		}
		t.lastRecord = time.Now()
		if v := logs[p%s.parts.Repartition][string(gateKey(p))]; v != nil {
			if t.done, t.next, err = loadGateState(v, t.gate); err != nil {
				return a, n, fmt.Errorf("restore input partition %d: %w", p, err)
			}
		}
		a.inputs[p] = t
	}
	for _, r := range windows {
		t := newWindowTask(r, &s.sc)
		if err := s.restoreWindows(t, logs[r]); err != nil {
			return a, n, fmt.Errorf("restore repartition partition %d: %w", r, err)
		}
		a.windows[r] = t
	}
	return a, n, nil
}

// restoreWindows rebuilds a window task from its changelog partition's live keys.
func (s *Service) restoreWindows(t *windowTask, kv map[string][]byte) error {
	if v := kv[string(marksKey(t.partition))]; v != nil {
		if err := t.loadMarks(v); err != nil {
			return err
		}
	}
	aggs := map[windowKey]*state.Agg{}
	finals := map[windowKey]bool{}
	for k, v := range kv {
		key, err := state.ParseKey([]byte(k))
		if err != nil || key.Shard != uint32(t.partition) {
			continue // marks, gate state, or another task's
		}
		w, err := ParseWindow(key.Window)
		if err != nil {
			return fmt.Errorf("changelog key %q: %w", k, err)
		}
		wk := windowKey{w, key.Start}
		agg := aggs[wk]
		if agg == nil {
			agg = state.NewAgg(!key.Sketch)
			aggs[wk] = agg
		}
		flags, err := agg.ApplyDelta(v)
		if err != nil {
			return fmt.Errorf("changelog key %q: %w", k, err)
		}
		finals[wk] = flags&finalFlag != 0
	}
	for wk, agg := range aggs {
		t.store.Restore(wk.w, wk.start, agg, finals[wk])
	}
	return nil
}

// readChangelog reads changelog partitions to their end and returns the
// latest value of every live key, per partition, as compaction would leave
// it: a tombstone removes its key.
func (s *Service) readChangelog(ctx context.Context, parts []int32) (map[int32]map[string][]byte, int, error) {
	logs := map[int32]map[string][]byte{}
	if len(parts) == 0 {
		return logs, 0, nil
	}
	topic := s.cfg.Topics.Changelog
	cl, err := kgo.NewClient(
		kgo.SeedBrokers(s.cfg.Brokers...),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()),
		kgo.KeepControlRecords(),
		kgo.FetchMaxWait(100*time.Millisecond),
		kgo.FetchMaxPartitionBytes(16<<20),
	)
	if err != nil {
		return nil, 0, fmt.Errorf("changelog client: %w", err)
	}
	defer cl.Close()
	ends, err := stableEnds(ctx, kadm.NewClient(cl), topic, parts, s.cfg.TransactionTimeout+5*time.Second)
	if err != nil {
		return nil, 0, err
	}
	consume := map[int32]kgo.Offset{}
	for _, p := range parts {
		logs[p] = map[string][]byte{}
		if e := ends[p]; e.end > e.start {
			consume[p] = kgo.NewOffset().At(e.start)
		}
	}
	if len(consume) == 0 {
		return logs, 0, nil
	}
	cl.AddConsumePartitions(map[string]map[int32]kgo.Offset{topic: consume})
	n := 0
	for len(consume) > 0 {
		fs := cl.PollFetches(ctx)
		if err := ctx.Err(); err != nil {
			return nil, n, err
		}
		var ferr error
		fs.EachError(func(_ string, p int32, err error) { ferr = fmt.Errorf("read changelog partition %d: %w", p, err) })
		if ferr != nil {
			return nil, n, ferr
		}
		fs.EachRecord(func(r *kgo.Record) {
			if _, reading := consume[r.Partition]; !reading {
				return
			}
			if !r.Attrs.IsControl() {
				n++
				if r.Value == nil {
					delete(logs[r.Partition], string(r.Key))
				} else {
					logs[r.Partition][string(r.Key)] = r.Value
				}
			}
			if r.Offset >= ends[r.Partition].end-1 {
				delete(consume, r.Partition)
			}
		})
	}
	return logs, n, nil
}

type logRange struct{ start, end int64 }

// stableEnds waits until no transaction is open at the tail of the given
// partitions (last stable offset equals the high watermark) and returns
// their ranges, so that a restore sees every committed record and no
// marker is still on its way.
func stableEnds(ctx context.Context, adm *kadm.Client, topic string, parts []int32, wait time.Duration) (map[int32]logRange, error) {
	deadline := time.Now().Add(wait)
	for {
		hw, err := adm.ListEndOffsets(ctx, topic)
		if err == nil {
			err = hw.Error()
		}
		if err != nil {
			return nil, fmt.Errorf("changelog end offsets: %w", err)
		}
		lso, err := adm.ListCommittedOffsets(ctx, topic)
		if err == nil {
			err = lso.Error()
		}
		if err != nil {
			return nil, fmt.Errorf("changelog stable offsets: %w", err)
		}
		start, err := adm.ListStartOffsets(ctx, topic)
		if err == nil {
			err = start.Error()
		}
		if err != nil {
			return nil, fmt.Errorf("changelog start offsets: %w", err)
		}
		out := map[int32]logRange{}
		stable := true
		for _, p := range parts {
			h, _ := hw.Lookup(topic, p)
			l, _ := lso.Lookup(topic, p)
			st, _ := start.Lookup(topic, p)
			if h.Offset != l.Offset {
				stable = false
			}
			out[p] = logRange{start: st.Offset, end: l.Offset}
		}
		if stable || time.Now().After(deadline) {
			return out, nil
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func keysOf[V any](m map[int32]V) []int32 { return sortedKeys(m) }
