package integration

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// These tests prove that the broker the harness hands out is a real Kafka with
// what headcount relies on: transactions, transactional offset commits, log
// compaction, and (on the three-node cluster) replication that survives a node.

func values(rs []*kgo.Record) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = string(r.Value)
	}
	return out
}

func strRecords(topic string, vs ...string) []*kgo.Record {
	rs := make([]*kgo.Record, len(vs))
	for i, v := range vs {
		rs[i] = &kgo.Record{Topic: topic, Value: []byte(v)}
	}
	return rs
}

// transact produces vs in one transaction and ends it with commit or abort.
func transact(t *testing.T, cl *kgo.Client, topic string, commit kgo.TransactionEndTry, vs ...string) {
	t.Helper()
	ctx := t.Context()
	if err := cl.BeginTransaction(); err != nil {
		t.Fatalf("begin transaction: %v", err)
	}
	if err := cl.ProduceSync(ctx, strRecords(topic, vs...)...).FirstErr(); err != nil {
		t.Fatalf("produce in transaction: %v", err)
	}
	if err := cl.EndTransaction(ctx, commit); err != nil {
		t.Fatalf("end transaction (commit=%v): %v", commit, err)
	}
}

func TestTransactionVisibility(t *testing.T) {
	seeds := Seeds(Broker(t))
	adm := NewAdmin(t, seeds)
	topic := NewTopic(t, adm, "txn", 1, nil)

	producer := NewClient(t, seeds, kgo.TransactionalID(UniqueName(t, "txn-id")))
	transact(t, producer, topic, kgo.TryCommit, "c1", "c2")
	transact(t, producer, topic, kgo.TryAbort, "a1", "a2")
	transact(t, producer, topic, kgo.TryCommit, "c3")

	for _, tc := range []struct {
		name      string
		isolation kgo.IsolationLevel
		want      []string
	}{
		{"read_committed", kgo.ReadCommitted(), []string{"c1", "c2", "c3"}},
		// The aborted records are in the log: read_committed really filters them.
		{"read_uncommitted", kgo.ReadUncommitted(), []string{"c1", "c2", "a1", "a2", "c3"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// Commit markers are written after EndTransaction returns; until then the
			// last stable offset stops short of them.
			var got []string
			Eventually(t, 30*time.Second, "all transaction markers", func() bool {
				got = values(ReadAll(t, seeds, topic, tc.isolation))
				return len(got) >= len(tc.want)
			})
			if !slices.Equal(got, tc.want) {
				t.Errorf("%s read %q, want %q", tc.name, got, tc.want)
			}
		})
	}
}

// stableOffset returns the group's committed offset for partition 0 of topic (-1
// when none). It asks for that partition with require_stable, so the broker holds
// back its answer while a transaction that commits offsets there is unresolved:
// once End returned, the answer is final. (kadm's FetchOffsets asks for all of the
// group's partitions, and a partition with only a pending first commit is then
// simply missing, which reads the same as never committed.)
func stableOffset(t *testing.T, cl *kgo.Client, group, topic string) int64 {
	t.Helper()
	var at int64
	Eventually(t, 30*time.Second, "stable offsets of group "+group, func() bool {
		req := kmsg.NewPtrOffsetFetchRequest()
		req.Group = group
		req.RequireStable = true
		rt := kmsg.NewOffsetFetchRequestTopic()
		rt.Topic, rt.Partitions = topic, []int32{0}
		req.Topics = append(req.Topics, rt)
		resp, err := req.RequestWith(t.Context(), cl)
		if err != nil {
			t.Fatalf("offset fetch for %s: %v", group, err)
		}
		code, partitions := resp.ErrorCode, []kmsg.OffsetFetchResponseGroupTopicPartition(nil)
		if len(resp.Groups) > 0 {
			code = resp.Groups[0].ErrorCode
			for _, rt := range resp.Groups[0].Topics {
				if rt.Topic == topic {
					partitions = rt.Partitions
				}
			}
		} else {
			for _, rt := range resp.Topics {
				for _, p := range rt.Partitions {
					if rt.Topic == topic {
						partitions = append(partitions, kmsg.OffsetFetchResponseGroupTopicPartition{
							Partition: p.Partition, Offset: p.Offset, ErrorCode: p.ErrorCode,
						})
					}
				}
			}
		}
		if code == 0 && len(partitions) == 1 {
			code = partitions[0].ErrorCode
		}
		switch err := kerr.ErrorForCode(code); {
		case errors.Is(err, kerr.UnstableOffsetCommit), errors.Is(err, kerr.CoordinatorLoadInProgress):
			return false
		case err != nil:
			t.Fatalf("offset of %s/%s: %v", group, topic, err)
		case len(partitions) != 1:
			t.Fatalf("offset fetch for %s/%s returned %d partitions", group, topic, len(partitions))
		}
		at = partitions[0].Offset
		return true
	})
	return at
}

func TestTransactionalOffsetCommit(t *testing.T) {
	seeds := Seeds(Broker(t))
	adm := NewAdmin(t, seeds)
	in := NewTopic(t, adm, "in", 1, nil)
	out := NewTopic(t, adm, "out", 1, nil)
	group := UniqueName(t, "group")

	plain := NewClient(t, seeds)
	if err := plain.ProduceSync(t.Context(), strRecords(in, "r0", "r1", "r2", "r3", "r4", "r5")...).FirstErr(); err != nil {
		t.Fatalf("produce input: %v", err)
	}

	sess, err := kgo.NewGroupTransactSession(
		kgo.SeedBrokers(seeds...),
		kgo.TransactionalID(UniqueName(t, "txn-id")),
		kgo.ConsumerGroup(group),
		kgo.ConsumeTopics(in),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()),
		kgo.RequireStableFetchOffsets(),
	)
	if err != nil {
		t.Fatalf("transact session: %v", err)
	}
	t.Cleanup(sess.Close)

	// step consumes n input records and copies them to out in one transaction.
	step := func(n int, commit kgo.TransactionEndTry) []string {
		t.Helper()
		ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
		defer cancel()
		if err := sess.Begin(); err != nil {
			t.Fatalf("begin: %v", err)
		}
		var got []string
		for len(got) < n {
			fs := sess.PollRecords(ctx, n-len(got))
			if err := fs.Err0(); err != nil {
				t.Fatalf("poll: %v", err)
			}
			fs.EachRecord(func(r *kgo.Record) {
				got = append(got, string(r.Value))
				sess.Produce(ctx, &kgo.Record{Topic: out, Value: r.Value}, nil)
			})
		}
		committed, err := sess.End(ctx, commit)
		if err != nil {
			t.Fatalf("end (commit=%v): %v", commit, err)
		}
		if committed != bool(commit) {
			t.Fatalf("end (commit=%v) reported committed=%v", commit, committed)
		}
		return got
	}

	for _, s := range []struct {
		name       string
		commit     kgo.TransactionEndTry
		wantRead   []string
		wantOffset int64
	}{
		{"commit moves the offset", kgo.TryCommit, []string{"r0", "r1"}, 2},
		{"abort leaves it", kgo.TryAbort, []string{"r2", "r3"}, 2},
		// The session rewinds to the committed offset after an abort: same records again.
		{"commit after abort", kgo.TryCommit, []string{"r2", "r3"}, 4},
	} {
		got := step(len(s.wantRead), s.commit)
		if !slices.Equal(got, s.wantRead) {
			t.Fatalf("%s: consumed %q, want %q", s.name, got, s.wantRead)
		}
		if at := stableOffset(t, plain, group, in); at != s.wantOffset {
			t.Fatalf("%s: group offset %d, want %d", s.name, at, s.wantOffset)
		}
	}

	// Exactly once: the aborted copies of r2 and r3 are invisible.
	want := []string{"r0", "r1", "r2", "r3"}
	var got []string
	Eventually(t, 30*time.Second, "committed output", func() bool {
		got = values(ReadAll(t, seeds, out, kgo.ReadCommitted()))
		return len(got) >= len(want)
	})
	if !slices.Equal(got, want) {
		t.Errorf("output read_committed %q, want %q", got, want)
	}
}

func TestCompaction(t *testing.T) {
	seeds := Seeds(Broker(t))
	adm := NewAdmin(t, seeds)
	topic := NewTopic(t, adm, "compact", 1, map[string]*string{
		"cleanup.policy":            kadm.StringPtr("compact"),
		"segment.ms":                kadm.StringPtr("100"),
		"min.cleanable.dirty.ratio": kadm.StringPtr("0.01"),
		"delete.retention.ms":       kadm.StringPtr("100"),
		"min.compaction.lag.ms":     kadm.StringPtr("0"),
		"file.delete.delay.ms":      kadm.StringPtr("0"),
	})
	cl := NewClient(t, seeds)
	ctx := t.Context()

	// Three versions of k0..k5 interleaved, then tombstones for k0 and k1.
	const keys, versions = 6, 3
	want := map[string]string{}
	var rs []*kgo.Record
	for v := 1; v <= versions; v++ {
		for k := range keys {
			key, val := "k"+strconv.Itoa(k), fmt.Sprintf("k%d-v%d", k, v)
			rs = append(rs, &kgo.Record{Topic: topic, Key: []byte(key), Value: []byte(val)})
			want[key] = val
		}
	}
	for _, key := range []string{"k0", "k1"} {
		rs = append(rs, &kgo.Record{Topic: topic, Key: []byte(key)}) // nil value: tombstone
		delete(want, key)
	}
	if err := cl.ProduceSync(ctx, rs...).FirstErr(); err != nil {
		t.Fatalf("produce: %v", err)
	}
	// Still one active segment, which the cleaner leaves alone: every version is there.
	if n := len(ReadAll(t, seeds, topic, kgo.ReadUncommitted())); n != len(rs) {
		t.Fatalf("before compaction read %d records, want all %d", n, len(rs))
	}

	// The cleaner never touches the active segment, and a tombstone goes only in
	// a later pass, delete.retention.ms after the first: keep appending a filler
	// key so that segments roll (segment.ms) and the log stays dirty enough.
	const filler = "~roll"
	var got map[string][]string
	rolls := 0
	Eventually(t, 90*time.Second, "compaction to the latest value per key", func() bool {
		rolls++
		r := &kgo.Record{Topic: topic, Key: []byte(filler), Value: []byte("x")}
		if err := cl.ProduceSync(ctx, r).FirstErr(); err != nil {
			t.Fatalf("produce filler: %v", err)
		}
		got = map[string][]string{}
		for _, r := range ReadAll(t, seeds, topic, kgo.ReadUncommitted()) {
			if k := string(r.Key); k != filler {
				v := "<tombstone>"
				if r.Value != nil {
					v = string(r.Value)
				}
				got[k] = append(got[k], v)
			}
		}
		if len(got) != len(want) {
			return false
		}
		for k, v := range want {
			if !slices.Equal(got[k], []string{v}) {
				return false
			}
		}
		return true
	})
	t.Logf("compacted to %d keys after %d filler records", len(got), rolls)
}

// leaderOf returns the leader and ISR of partition 0 of topic.
func leaderOf(t *testing.T, adm *kadm.Client, topic string) (leader int32, isr []int32) {
	t.Helper()
	md, err := adm.Metadata(t.Context(), topic)
	if err != nil {
		t.Fatalf("metadata: %v", err)
	}
	p := md.Topics[topic].Partitions[0]
	return p.Leader, p.ISR
}

func TestClusterSurvivesNodeLoss(t *testing.T) {
	c := Cluster(t)
	for _, tc := range []struct {
		name string
		down func(*KafkaCluster, testing.TB, int32)
	}{
		{"stop", (*KafkaCluster).StopNode},
		{"kill", (*KafkaCluster).KillNode},
	} {
		t.Run(tc.name, func(t *testing.T) {
			seeds := c.Bootstrap()
			adm := NewAdmin(t, seeds)
			topic := NewTopic(t, adm, "replicated", 1, nil) // cluster default: RF 3, min ISR 2
			md, err := adm.Metadata(t.Context(), topic)
			if err != nil {
				t.Fatalf("metadata: %v", err)
			}
			if n := len(md.Topics[topic].Partitions[0].Replicas); n != 3 {
				t.Fatalf("topic has %d replicas, want 3", n)
			}
			Eventually(t, 30*time.Second, "full ISR before the failure", func() bool {
				_, isr := leaderOf(t, adm, topic)
				return len(isr) == 3
			})
			leader, _ := leaderOf(t, adm, topic)

			cl := NewClient(t, seeds, kgo.RequiredAcks(kgo.AllISRAcks()))
			produce := func(vs ...string) {
				t.Helper()
				ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
				defer cancel()
				if err := cl.ProduceSync(ctx, strRecords(topic, vs...)...).FirstErr(); err != nil {
					t.Fatalf("produce %q with acks=all: %v", vs, err)
				}
			}
			produce("before-1", "before-2")

			t.Cleanup(func() { c.StartNode(t, leader) })
			began := time.Now()
			tc.down(c, t, leader)
			t.Logf("node %d (leader) down after %v", leader, time.Since(began).Round(time.Millisecond))
			produce("during-1", "during-2")
			t.Logf("produced with node %d down after %v", leader, time.Since(began).Round(time.Millisecond))
			Eventually(t, 60*time.Second, "a new leader", func() bool {
				l, _ := leaderOf(t, adm, topic)
				return l >= 0 && l != leader
			})
			if got, want := values(ReadAll(t, seeds, topic, kgo.ReadCommitted())),
				[]string{"before-1", "before-2", "during-1", "during-2"}; !slices.Equal(got, want) {
				t.Fatalf("with node %d down read %q, want %q", leader, got, want)
			}

			began = time.Now()
			c.StartNode(t, leader)
			t.Logf("node %d serving again after %v", leader, time.Since(began).Round(time.Millisecond))
			Eventually(t, 90*time.Second, fmt.Sprintf("node %d back in the ISR", leader), func() bool {
				_, isr := leaderOf(t, adm, topic)
				return len(isr) == 3 && slices.Contains(isr, leader)
			})
			t.Logf("node %d back in the ISR after %v", leader, time.Since(began).Round(time.Millisecond))
			produce("after-1")
			if got, want := values(ReadAll(t, seeds, topic, kgo.ReadCommitted())),
				[]string{"before-1", "before-2", "during-1", "during-2", "after-1"}; !slices.Equal(got, want) {
				t.Fatalf("after restart read %q, want %q", got, want)
			}
		})
	}
}
