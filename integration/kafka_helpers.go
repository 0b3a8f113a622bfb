package integration

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// NewClient returns a kgo client for seeds with opts, closed when the test ends.
func NewClient(t testing.TB, seeds []string, opts ...kgo.Opt) *kgo.Client {
	t.Helper()
	cl, err := kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(seeds...)}, opts...)...)
	if err != nil {
		t.Fatalf("kafka client: %v", err)
	}
	t.Cleanup(cl.Close)
	return cl
}

// NewAdmin returns a kadm client for seeds, closed when the test ends.
func NewAdmin(t testing.TB, seeds []string) *kadm.Client {
	t.Helper()
	return kadm.NewClient(NewClient(t, seeds))
}

// UniqueName returns a Kafka-safe name made of the test's name, name and a random
// suffix, so that reruns (go test -count) and parallel tests never share a topic,
// group or transactional id.
func UniqueName(t testing.TB, name string) string {
	t.Helper()
	var b [4]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatalf("random suffix: %v", err)
	}
	base := unsafeNameChars.ReplaceAllString(t.Name()+"-"+name, "-")
	// Topic names may not exceed 249 characters; leave room for the suffix.
	if len(base) > 200 {
		base = base[:200]
	}
	return strings.Trim(base, "-") + "-" + hex.EncodeToString(b[:])
}

// unsafeNameChars matches what Kafka rejects in a topic name, and the '.' that it
// warns about next to '_' (both map to '_' in metric names).
var unsafeNameChars = regexp.MustCompile(`[^a-zA-Z0-9_-]+`)

// NewTopic creates a topic named after the test and name (see UniqueName) with the
// broker's default replication factor, waits until its leaders are known, and
// deletes it when the test ends. It returns the topic's name.
func NewTopic(t testing.TB, admin *kadm.Client, name string, partitions int32, configs map[string]*string) string {
	t.Helper()
	topic := UniqueName(t, name)
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	if _, err := admin.CreateTopic(ctx, partitions, -1, configs, topic); err != nil {
		t.Fatalf("create topic %s: %v", topic, err)
	}
	t.Cleanup(func() {
		// t.Context is already canceled during cleanup.
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := admin.DeleteTopic(ctx, topic); err != nil {
			t.Logf("delete topic %s: %v", topic, err)
		}
	})
	Eventually(t, 30*time.Second, "leaders for "+topic, func() bool {
		md, err := admin.Metadata(ctx, topic)
		if err != nil {
			return false
		}
		d := md.Topics[topic]
		if d.Err != nil || int32(len(d.Partitions)) != partitions {
			return false
		}
		for _, p := range d.Partitions {
			if p.Err != nil || p.Leader < 0 {
				return false
			}
		}
		return true
	})
	return topic
}

// Eventually polls cond every 200ms until it holds, failing the test with what
// after timeout. Broker-side effects (compaction, ISR changes, transaction markers)
// are asynchronous, so tests wait for them with a bound instead of sleeping.
func Eventually(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		select {
		case <-t.Context().Done():
			t.Fatalf("canceled waiting for %s", what)
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// EndOffsets returns the end of every partition of topic as a reader with
// the given isolation sees it: the last stable offset for read_committed,
// the high watermark otherwise.
func EndOffsets(t testing.TB, ctx context.Context, adm *kadm.Client, topic string, isolation kgo.IsolationLevel) kadm.ListedOffsets {
	t.Helper()
	list := adm.ListEndOffsets
	if isolation == kgo.ReadCommitted() {
		list = adm.ListCommittedOffsets
	}
	ends, err := list(ctx, topic)
	if err == nil {
		err = ends.Error()
	}
	if err != nil {
		t.Fatalf("end offsets of %s: %v", topic, err)
	}
	return ends
}

// ReadAll reads partition 0 of topic from its start up to its end at the time of
// the call (the last stable offset for read_committed, the high watermark
// otherwise) and returns its data records in order.
func ReadAll(t testing.TB, seeds []string, topic string, isolation kgo.IsolationLevel) []*kgo.Record {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	// Control records (transaction markers) are kept so that every offset below
	// the end is either returned or a compacted-away gap: reading can stop exactly
	// at the end instead of waiting for silence.
	cl, err := kgo.NewClient(
		kgo.SeedBrokers(seeds...),
		kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{topic: {0: kgo.NewOffset().AtStart()}}),
		kgo.FetchIsolationLevel(isolation),
		kgo.KeepControlRecords(),
	)
	if err != nil {
		t.Fatalf("kafka client: %v", err)
	}
	defer cl.Close()
	ends := EndOffsets(t, ctx, kadm.NewClient(cl), topic, isolation)
	end, _ := ends.Lookup(topic, 0)
	var out []*kgo.Record
	for pos := int64(0); pos < end.Offset; {
		fs := cl.PollFetches(ctx)
		if err := fs.Err0(); err != nil {
			t.Fatalf("read %s up to offset %d (at %d): %v", topic, end.Offset, pos, err)
		}
		fs.EachRecord(func(r *kgo.Record) {
			pos = r.Offset + 1
			if !r.Attrs.IsControl() && r.Offset < end.Offset {
				out = append(out, r)
			}
		})
	}
	return out
}
