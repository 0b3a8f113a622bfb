package integration

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"

	"github.com/headcount/headcount/processor"
)

// appTopics returns a unique app's topic names and deletes whichever of them
// exist when the test ends.
func appTopics(t *testing.T, admin *kadm.Client) processor.Topics {
	t.Helper()
	app := UniqueName(t, "app")
	topics := processor.TopicNames(app, app+"-frames", "", "")
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := admin.DeleteTopics(ctx, topics.Input, topics.Results, topics.Rejects, topics.Changelog, topics.Repartition); err != nil {
			t.Logf("delete topics of %s: %v", app, err)
		}
	})
	return topics
}

// topicConfigs returns the configuration of topic as key=value.
func topicConfigs(t *testing.T, admin *kadm.Client, topic string) map[string]string {
	t.Helper()
	rcs, err := admin.DescribeTopicConfigs(t.Context(), topic)
	if err == nil {
		_, err = rcs.On(topic, func(rc *kadm.ResourceConfig) error { return rc.Err })
	}
	if err != nil {
		t.Fatalf("describe configs of %s: %v", topic, err)
	}
	rc, _ := rcs.On(topic, nil)
	out := make(map[string]string, len(rc.Configs))
	for _, c := range rc.Configs {
		out[c.Key] = c.MaybeValue()
	}
	return out
}

// partitionCounts returns the partition count of each topic.
func partitionCounts(t *testing.T, admin *kadm.Client, topics ...string) map[string]int {
	t.Helper()
	// Asking for authorized operations bypasses the client's metadata cache,
	// which may still hold "unknown topic" from before the topics were created.
	md, err := admin.Metadata(kadm.WithAuthorizedOps(t.Context()), topics...)
	if err != nil {
		t.Fatalf("metadata: %v", err)
	}
	out := make(map[string]int, len(topics))
	for _, topic := range topics {
		d := md.Topics[topic]
		if d.Err != nil {
			t.Fatalf("metadata of %s: %v", topic, d.Err)
		}
		out[topic] = len(d.Partitions)
	}
	return out
}

func TestEnsureTopicsCreates(t *testing.T) {
	seeds := Seeds(Broker(t))
	admin := NewAdmin(t, seeds)
	topics := appTopics(t, admin)
	layout := processor.TopicLayout{InputPartitions: 3, Partitions: 2, Replication: -1}

	got, err := processor.EnsureTopics(t.Context(), admin, topics, layout)
	if err != nil {
		t.Fatalf("EnsureTopics: %v", err)
	}
	if want := (processor.TopicPartitions{Input: 3, Repartition: 2, Results: 2, Rejects: 2}); got != want {
		t.Errorf("EnsureTopics = %+v, want %+v", got, want)
	}
	wantParts := map[string]int{topics.Input: 3, topics.Results: 2, topics.Rejects: 2, topics.Changelog: 2, topics.Repartition: 2}
	for topic, n := range partitionCounts(t, admin, topics.Input, topics.Results, topics.Rejects, topics.Changelog, topics.Repartition) {
		if n != wantParts[topic] {
			t.Errorf("%s has %d partitions, want %d", topic, n, wantParts[topic])
		}
	}

	wantConfigs := []struct {
		topic string
		want  map[string]string
	}{
		{topics.Results, map[string]string{"cleanup.policy": "compact"}},
		{topics.Changelog, map[string]string{"cleanup.policy": "compact", "segment.bytes": "67108864", "min.compaction.lag.ms": "0"}},
		{topics.Repartition, map[string]string{"cleanup.policy": "delete", "retention.ms": "-1", "message.timestamp.type": "LogAppendTime"}},
		{topics.Rejects, map[string]string{"cleanup.policy": "delete", "retention.ms": "604800000", "message.timestamp.type": "LogAppendTime"}},
		{topics.Input, map[string]string{"cleanup.policy": "delete"}},
	}
	for _, tc := range wantConfigs {
		got := topicConfigs(t, admin, tc.topic)
		for k, v := range tc.want {
			if got[k] != v {
				t.Errorf("%s: %s = %q, want %q", tc.topic, k, got[k], v)
			}
		}
	}

	// Idempotent: a second call creates nothing, changes nothing and agrees,
	// even with another layout (existing topics win).
	again, err := processor.EnsureTopics(t.Context(), admin, topics, processor.TopicLayout{InputPartitions: 5, Partitions: 7})
	if err != nil {
		t.Fatalf("EnsureTopics again: %v", err)
	}
	if again != got {
		t.Errorf("EnsureTopics again = %+v, want %+v", again, got)
	}
}

// Two instances starting together race to create the same topics; both must
// succeed and agree.
func TestEnsureTopicsConcurrent(t *testing.T) {
	seeds := Seeds(Broker(t))
	admin := NewAdmin(t, seeds)
	topics := appTopics(t, admin)
	layout := processor.TopicLayout{InputPartitions: 2, Partitions: 3}

	const n = 4
	var wg sync.WaitGroup
	results := make([]processor.TopicPartitions, n)
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			// Each instance has its own client, as separate processes would.
			results[i], errs[i] = processor.EnsureTopics(t.Context(), NewAdmin(t, seeds), topics, layout)
		})
	}
	wg.Wait()
	want := processor.TopicPartitions{Input: 2, Repartition: 3, Results: 3, Rejects: 3}
	for i := range n {
		if errs[i] != nil {
			t.Errorf("instance %d: %v", i, errs[i])
		} else if results[i] != want {
			t.Errorf("instance %d: %+v, want %+v", i, results[i], want)
		}
	}
}

func TestEnsureTopicsRejectsBadConfig(t *testing.T) {
	seeds := Seeds(Broker(t))
	admin := NewAdmin(t, seeds)
	str := kadm.StringPtr
	tests := []struct {
		name    string
		role    string // which topic exists beforehand with configs
		configs map[string]*string
		want    string // in the error, besides the topic's name
	}{
		{"results not compacted", "results", map[string]*string{"cleanup.policy": str("delete")}, "cleanup.policy=compact"},
		{"changelog not compacted", "changelog", nil, "cleanup.policy=compact"},
		{"changelog compact,delete with retention", "changelog",
			map[string]*string{"cleanup.policy": str("compact,delete"), "retention.ms": str("3600000")}, "retention.ms=3600000"},
		{"results compact,delete unlimited", "results",
			map[string]*string{"cleanup.policy": str("compact,delete"), "retention.ms": str("-1")}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			topics := appTopics(t, admin)
			existing := map[string]string{"results": topics.Results, "changelog": topics.Changelog}[tt.role]
			if _, err := admin.CreateTopic(t.Context(), 1, -1, tt.configs, existing); err != nil {
				t.Fatalf("create %s: %v", existing, err)
			}
			_, err := processor.EnsureTopics(t.Context(), admin, topics, processor.TopicLayout{Partitions: 1})
			if tt.want == "" {
				if err != nil {
					t.Fatalf("EnsureTopics: %v", err)
				}
				return
			}
			if !errors.Is(err, processor.ErrTopicConfig) {
				t.Fatalf("EnsureTopics error = %v, want ErrTopicConfig", err)
			}
			for _, s := range []string{existing, tt.want} {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q does not mention %q", err, s)
				}
			}
		})
	}
}

func TestEnsureTopicsPartitionMismatch(t *testing.T) {
	seeds := Seeds(Broker(t))
	admin := NewAdmin(t, seeds)
	topics := appTopics(t, admin)
	compact := map[string]*string{"cleanup.policy": kadm.StringPtr("compact")}
	if _, err := admin.CreateTopic(t.Context(), 2, -1, compact, topics.Changelog); err != nil {
		t.Fatalf("create changelog: %v", err)
	}
	if _, err := admin.CreateTopic(t.Context(), 3, -1, nil, topics.Repartition); err != nil {
		t.Fatalf("create repartition: %v", err)
	}
	_, err := processor.EnsureTopics(t.Context(), admin, topics, processor.TopicLayout{Partitions: 3})
	if !errors.Is(err, processor.ErrTopicConfig) {
		t.Fatalf("EnsureTopics error = %v, want ErrTopicConfig", err)
	}
	for _, s := range []string{topics.Changelog, topics.Repartition, "2 partitions", "has 3"} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("error %q does not mention %q", err, s)
		}
	}
}

// A missing changelog takes the partition count of the existing repartition
// topic, whatever the layout says, so the two stay co-partitioned.
func TestEnsureTopicsChangelogFollowsRepartition(t *testing.T) {
	seeds := Seeds(Broker(t))
	admin := NewAdmin(t, seeds)
	topics := appTopics(t, admin)
	if _, err := admin.CreateTopic(t.Context(), 4, -1, nil, topics.Repartition); err != nil {
		t.Fatalf("create repartition: %v", err)
	}
	got, err := processor.EnsureTopics(t.Context(), admin, topics, processor.TopicLayout{InputPartitions: 1, Partitions: 2})
	if err != nil {
		t.Fatalf("EnsureTopics: %v", err)
	}
	if want := (processor.TopicPartitions{Input: 1, Repartition: 4, Results: 2, Rejects: 2}); got != want {
		t.Errorf("EnsureTopics = %+v, want %+v", got, want)
	}
	if n := partitionCounts(t, admin, topics.Changelog)[topics.Changelog]; n != 4 {
		t.Errorf("changelog has %d partitions, want 4", n)
	}
}
