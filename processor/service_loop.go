package processor

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/headcount/headcount/state"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// session runs one transactional session until ctx ends, the input is
// drained (drained is true) or a transaction fails (the error says how; the
// caller recreates the session).
func (s *Service) session(ctx context.Context) (drained bool, err error) {
	s.inputs, s.windows = map[int32]*inputTask{}, map[int32]*windowTask{}
	txnID := s.cfg.App + "-" + s.cfg.Instance
	sess, err := kgo.NewGroupTransactSession(
		kgo.SeedBrokers(s.cfg.Brokers...),
		kgo.TransactionalID(txnID),
		kgo.TransactionTimeout(s.cfg.TransactionTimeout),
		kgo.ConsumerGroup(s.cfg.App),
		kgo.InstanceID(s.cfg.Instance),
		kgo.SessionTimeout(s.cfg.SessionTimeout),
		kgo.HeartbeatInterval(s.cfg.SessionTimeout/5),
		kgo.ConsumeTopics(s.cfg.Topics.Input, s.cfg.Topics.Repartition),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()),
		kgo.KeepControlRecords(), // a drained partition's last offset is a commit marker
		kgo.BlockRebalanceOnPoll(),
		kgo.RecordPartitioner(kgo.ManualPartitioner()),
		kgo.FetchMaxWait(100*time.Millisecond),
		kgo.FetchMaxPartitionBytes(8<<20),
		kgo.ProducerBatchCompression(kgo.Lz4Compression()),
		kgo.ProducerLinger(5*time.Millisecond),
		kgo.AdjustFetchOffsetsFn(s.onAssigned),
		kgo.OnPartitionsRevoked(s.onRevoked),
		kgo.OnPartitionsLost(s.onRevoked),
	)
	if err != nil {
		return false, fmt.Errorf("new session %s: %w", txnID, err)
	}
	// Leave the group so the partitions move on at once. Every early return
	// below comes after a poll that blocks rebalances, and Close would wait
	// for ever on the revoke that leaving the group causes.
	defer sess.CloseAllowingRebalance()
	s.log.Info("session started", "transactional_id", txnID, "group", s.cfg.App)

	var lastEarly, lastPurge time.Time
	var out []*kgo.Record
	var results []Result
	for {
		if err := sess.Begin(); err != nil {
			return false, fmt.Errorf("begin transaction: %w", err)
		}
		began := time.Now()
		deadline := began.Add(s.cfg.CommitInterval)
		var polled int
		var pollTime, procTime time.Duration
		for stop := false; !stop && time.Now().Before(deadline); {
			pctx, cancel := context.WithDeadline(ctx, deadline)
			t0 := time.Now()
			fs := sess.PollRecords(pctx, 100_000)
			cancel()
			pollTime += time.Since(t0)
			polled += fs.NumRecords()
			if fs.IsClientClosed() {
				return false, errors.New("client closed")
			}
			fs.EachError(func(t string, p int32, err error) {
				if !errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, context.Canceled) {
					s.log.Warn("fetch error", "topic", t, "partition", p, "err", err)
				}
			})
			s.install()
			t1 := time.Now()
			if err := s.process(fs); err != nil {
				return false, err
			}
			procTime += time.Since(t1)
			stop = ctx.Err() != nil
		}
		now := time.Now()
		early := s.cfg.Engine.Early > 0 && now.Sub(lastEarly) >= s.cfg.Engine.Early
		if early {
			lastEarly = now
		}
		out, results = s.collect(now, early, out[:0], results[:0])
		// Produce with a context that SIGTERM does not cancel: kgo fails
		// buffered records whose context is done, which would abort the
		// transaction that shutdown is meant to commit.
		pctx := context.WithoutCancel(ctx)
		promise := kgo.AbortingFirstErrPromise(sess.Client())
		for _, r := range out {
			sess.Produce(pctx, r, promise.Promise())
		}
		produceErr := promise.Err()
		t2 := time.Now()
		// End's context is not SIGTERM's, which would leave the transaction
		// open, but it has a deadline: past the transaction timeout the
		// broker aborts the transaction anyway, and without one End can
		// wait for ever. When a heartbeat fails after the offsets were sent
		// (a broker went down), the group manager waits for AllowRebalance,
		// which comes after End, while End waits for the manager's forced
		// heartbeat (kgo v1.22.3 txn.go:409). An End that runs out returns
		// an error; recreating the session aborts what is left.
		ectx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.cfg.TransactionTimeout)
		// Say so while a commit is stalled (a broker is down), rather than
		// going quiet until the deadline.
		slow := time.AfterFunc(2*time.Second, func() {
			s.log.Warn("commit is taking long: waiting for the brokers", "deadline", s.cfg.TransactionTimeout)
		})
		committed, err := sess.End(ectx, kgo.TransactionEndTry(produceErr == nil))
		slow.Stop()
		cancel()
		s.log.Debug("transaction", "committed", committed, "records", polled, "produced", len(out),
			"poll", pollTime, "process", procTime, "flush", t2.Sub(now), "end", time.Since(t2), "total", time.Since(began))
		if err != nil {
			return false, fmt.Errorf("end transaction: %w", err)
		}
		if !committed {
			s.stats.Aborts++
			s.log.Warn("transaction aborted; restoring owned partitions from the changelog", "produce_err", produceErr)
			if err := s.restoreOwned(ctx); err != nil {
				return false, err
			}
		} else {
			s.stats.Commits++
			s.committed(now)
			if now.Sub(lastPurge) >= purgeInterval {
				lastPurge = now
				s.purge(ctx, sess.Client())
			}
			if s.cfg.OnCommit != nil && len(results) > 0 {
				s.cfg.OnCommit(results)
			}
		}
		sess.AllowRebalance()
		if committed && s.cfg.Drain && s.drained() {
			return true, nil
		}
		if ctx.Err() != nil {
			return false, nil
		}
	}
}

// process applies polled records to their tasks. Input partitions are
// independent, so their records are processed in parallel, one goroutine a
// partition (extraction is the expensive part); window tasks then take the
// repartition records in order.
func (s *Service) process(fs kgo.Fetches) (err error) {
	now := time.Now()
	var wg sync.WaitGroup
	fs.EachPartition(func(ftp kgo.FetchTopicPartition) {
		if ftp.Topic != s.cfg.Topics.Input || len(ftp.Records) == 0 {
			return
		}
		t := s.inputs[ftp.Partition]
		if t == nil {
			return // revoked meanwhile: this transaction aborts
		}
		wg.Go(func() {
			for _, r := range ftp.Records {
				if r.Attrs.IsControl() {
					t.skip(r.Offset)
				} else {
					t.process(r.Value, r.Offset, now)
				}
			}
		})
	})
	wg.Wait()
	fs.EachRecord(func(r *kgo.Record) {
		if err != nil || r.Topic != s.cfg.Topics.Repartition || r.Attrs.IsControl() {
			return
		}
		if t := s.windows[r.Partition]; t != nil {
			if perr := t.process(r.Key, r.Value, r.Offset); perr != nil {
				err = fmt.Errorf("repartition record %d/%d: %w", r.Partition, r.Offset, perr)
			}
		}
	})
	return err
}

// collect turns the transaction's work into records: repartitioned hashes,
// progress, dead letters, results and changelog records.
func (s *Service) collect(now time.Time, early bool, out []*kgo.Record, results []Result) ([]*kgo.Record, []Result) {
	t := s.cfg.Topics
	for _, p := range sortedKeys(s.inputs) {
		it := s.inputs[p]
		it.tick(now)
		it.checkDone()
		for _, k := range it.order {
			key := windowRecordKey(nil, k.w, k.start)
			out = append(out, &kgo.Record{Topic: t.Repartition, Partition: partitionOf(key, s.parts.Repartition), Key: key, Value: it.batches[k]})
		}
		for _, rj := range it.rejects {
			rec := DeadLetter(t.Rejects, rj.raw, rj.reason, t.Input, p, rj.offset)
			rec.Partition = p % s.rejects
			out = append(out, rec)
		}
		if pr := it.progress(now); pr != it.sent {
			v := appendProgress(nil, pr)
			for r := range s.parts.Repartition {
				out = append(out, &kgo.Record{Topic: t.Repartition, Partition: r, Key: progressKey(p), Value: v})
			}
			it.dirty = true
		}
		if it.dirty {
			out = append(out, &kgo.Record{Topic: t.Changelog, Partition: p % s.parts.Repartition, Key: gateKey(p),
				Value: appendGateState(nil, it.gate, it.done, it.next)})
		}
	}
	for _, r := range sortedKeys(s.windows) {
		wt := s.windows[r]
		if early {
			wt.store.Early()
		}
		wt.store.Revise()
		wt.store.Each(func(w Window, start int64, agg *state.Agg, final bool) {
			var flags uint32
			if final {
				flags = finalFlag
			}
			v, changed := agg.AppendDelta(nil, flags)
			if changed {
				out = append(out, &kgo.Record{Topic: t.Changelog, Partition: r,
					Key: agg.AppendLastKey(nil, w.String(), start, uint32(r)), Value: v})
			}
		})
		for _, k := range wt.tombstones {
			out = append(out, &kgo.Record{Topic: t.Changelog, Partition: r, Key: k})
		}
		if wt.dirty {
			out = append(out, &kgo.Record{Topic: t.Changelog, Partition: r, Key: marksKey(r), Value: wt.appendMarks(nil)})
		}
		for _, res := range wt.results {
			key := res.AppendKey(nil)
			out = append(out, &kgo.Record{Topic: t.Results, Partition: partitionOf(key, s.results), Key: key, Value: res.AppendJSON(nil)})
		}
		results = append(results, wt.results...)
		for _, rj := range wt.rejects {
			rec := DeadLetter(t.Rejects, rj.raw, rj.reason, t.Repartition, r, rj.offset)
			rec.Partition = r % s.rejects
			out = append(out, rec)
		}
	}
	return out, results
}

// committed clears the transaction's output once Kafka has it.
func (s *Service) committed(now time.Time) {
	for _, it := range s.inputs {
		s.stats.Frames += it.frames
		for r, n := range it.rejectN {
			s.stats.Rejects[r] += n
		}
		it.sent = it.progress(now)
		it.reset()
	}
	for _, wt := range s.windows {
		s.stats.DroppedLate += wt.dropped
		wt.reset()
	}
}

// drained reports whether every owned task is finished.
func (s *Service) drained() bool {
	if len(s.inputs) == 0 && len(s.windows) == 0 {
		return false
	}
	for _, it := range s.inputs {
		if !it.done {
			return false
		}
	}
	for _, wt := range s.windows {
		if !wt.flushed {
			return false
		}
	}
	return true
}

func sortedKeys[V any](m map[int32]V) []int32 {
	ks := make([]int32, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

// partitionOf places a keyed record: the same key always lands in the same
// partition, which compaction and the window tasks rely on.
func partitionOf(key []byte, n int32) int32 { return int32(state.Hash(key) % uint64(n)) }

// purgeInterval spaces out the deletion of consumed repartition records.
const purgeInterval = 30 * time.Second

// purge deletes the repartition records this instance has committed as
// consumed: the topic keeps records until they are read, not for a time.
// A failure only delays the deletion, so it is logged and not retried.
func (s *Service) purge(ctx context.Context, cl *kgo.Client) {
	offs := cl.CommittedOffsets()[s.cfg.Topics.Repartition]
	if len(offs) == 0 {
		return
	}
	set := kadm.Offsets{}
	for p, o := range offs {
		if _, owned := s.windows[p]; owned && o.Offset > 0 {
			set.Add(kadm.Offset{Topic: s.cfg.Topics.Repartition, Partition: p, At: o.Offset})
		}
	}
	pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	resp, err := kadm.NewClient(cl).DeleteRecords(pctx, set)
	if err == nil {
		err = resp.Error()
	}
	if err != nil && ctx.Err() == nil {
		s.log.Warn("could not delete consumed repartition records; retrying later", "err", err)
	}
}
