package processor

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
)

// Topics names every topic of one app.
type Topics struct {
	Input       string // frames, as loaded by headcount produce or kafka-console-producer
	Results     string // compacted, key <window>:<start>
	Rejects     string // dead letters: the original frame, reason and source in headers
	Changelog   string // compacted state of the second stage, co-partitioned with Repartition
	Repartition string // internal: partial states re-keyed by window between the two stages
}

// TopicNames fills the contract defaults: results "<app>-results", rejects
// "<app>-rejects", changelog "<app>-changelog", repartition "<app>-repartition"
// (internal: frames re-keyed by window between the two stages of the service).
// An empty results or rejects name takes its default.
func TopicNames(app, input, results, rejects string) Topics {
	if results == "" {
		results = app + "-results"
	}
	if rejects == "" {
		rejects = app + "-rejects"
	}
	return Topics{
		Input:       input,
		Results:     results,
		Rejects:     rejects,
		Changelog:   app + "-changelog",
		Repartition: app + "-repartition",
	}
}

// TopicLayout says how to create missing topics. Zero or negative values take
// the broker defaults (num.partitions, default.replication.factor).
type TopicLayout struct {
	InputPartitions int32 // input topic
	Partitions      int32 // results, changelog, repartition and rejects
	Replication     int16 // every topic; -1 is the broker default
}

// TopicPartitions are the partition counts in place once EnsureTopics returns.
type TopicPartitions struct {
	Input       int32
	Repartition int32 // also the changelog's: partition p of one holds the state of partition p of the other
	Results     int32
	Rejects     int32
}

// ErrTopicConfig marks an existing topic whose configuration breaks the
// service's guarantees; the wrapping error names the topic and the fix.
var ErrTopicConfig = errors.New("topic configuration breaks exactly-once guarantees")

// Retention of the internal and dead-letter topics. Both topics use
// LogAppendTime, so that retention counts from when a record was written and
// not from its producer timestamp: a replay of two-year-old frames must not
// find its records already expired.
const (
	// RepartitionRetention is unlimited: a record must stay until the second
	// stage consumed it, however long the service was down. The service
	// deletes what it has committed instead (Service.purge), as Kafka
	// Streams does with its repartition topics.
	RepartitionRetention time.Duration = -1
	// RejectsRetention is how long dead letters stay for inspection.
	RejectsRetention = 7 * 24 * time.Hour
)

// changelogSegmentBytes is smaller than the broker's 1 GiB default because
// compaction never cleans the active segment: tombstoned windows would linger
// in a large one, and restore time follows the bytes left in the log.
const changelogSegmentBytes = 64 << 20

// topicSpec is how EnsureTopics creates and checks one topic.
type topicSpec struct {
	role       string // for errors: "results", "changelog", ...
	name       string
	partitions int32
	configs    map[string]*string
	compacted  bool // an existing topic must be compacted
}

// specs lists the topics in creation order: the repartition topic comes
// before the changelog so that a missing changelog can copy its partition count.
// min.insync.replicas is never set: the broker's default applies.
func (t Topics) specs(l TopicLayout) []topicSpec {
	str := kadm.StringPtr
	ms := func(d time.Duration) *string {
		if d < 0 {
			return str("-1")
		}
		return str(strconv.FormatInt(d.Milliseconds(), 10))
	}
	return []topicSpec{
		{role: "input", name: t.Input, partitions: l.InputPartitions},
		{role: "repartition", name: t.Repartition, partitions: l.Partitions, configs: map[string]*string{
			"cleanup.policy":         str("delete"),
			"retention.ms":           ms(RepartitionRetention),
			"message.timestamp.type": str("LogAppendTime"),
		}},
		{role: "changelog", name: t.Changelog, partitions: l.Partitions, compacted: true, configs: map[string]*string{
			"cleanup.policy":        str("compact"),
			"segment.bytes":         str(strconv.Itoa(changelogSegmentBytes)),
			"min.compaction.lag.ms": str("0"),
		}},
		{role: "results", name: t.Results, partitions: l.Partitions, compacted: true, configs: map[string]*string{
			"cleanup.policy": str("compact"),
		}},
		{role: "rejects", name: t.Rejects, partitions: l.Partitions, configs: map[string]*string{
			"cleanup.policy":         str("delete"),
			"retention.ms":           ms(RejectsRetention),
			"message.timestamp.type": str("LogAppendTime"),
		}},
	}
}

// EnsureTopics creates the missing topics with adm and checks the existing
// ones: results and changelog must be compacted (cleanup.policy=compact, or
// compact,delete with unlimited retention), and changelog and repartition must
// have the same partition count. A violation is an error wrapping
// ErrTopicConfig that names the topic and the fix. Another instance creating
// the same topics at the same time is not an error.
//
// It returns the partition counts actually in place, which may differ from
// the layout when the topics already existed.
func EnsureTopics(ctx context.Context, adm *kadm.Client, t Topics, l TopicLayout) (TopicPartitions, error) {
	specs := t.specs(l)
	if err := checkNames(specs); err != nil {
		return TopicPartitions{}, err
	}
	names := make([]string, len(specs))
	for i, s := range specs {
		names[i] = s.name
	}
	md, err := adm.Metadata(fresh(ctx), names...)
	if err != nil {
		return TopicPartitions{}, fmt.Errorf("describe topics: %w", err)
	}
	parts := make(map[string]int32, len(specs))
	var check []string // existing topics whose configuration must be checked
	for _, s := range specs {
		d, ok := md.Topics[s.name]
		switch {
		case ok && d.Err == nil:
			parts[s.name] = int32(len(d.Partitions))
			if s.compacted {
				check = append(check, s.name)
			}
		case !ok || errors.Is(d.Err, kerr.UnknownTopicOrPartition):
			// Missing: created below.
		default:
			return TopicPartitions{}, fmt.Errorf("describe %s topic %q: %w", s.role, s.name, d.Err)
		}
	}
	for _, s := range specs {
		if _, ok := parts[s.name]; ok {
			continue
		}
		// A missing changelog (or repartition topic) takes its partner's count.
		switch s.name {
		case t.Changelog:
			if n, ok := parts[t.Repartition]; ok {
				s.partitions = n
			}
		case t.Repartition:
			if n, ok := parts[t.Changelog]; ok {
				s.partitions = n
			}
		}
		n, created, err := createTopic(ctx, adm, s, l.Replication)
		if err != nil {
			return TopicPartitions{}, err
		}
		parts[s.name] = n
		if !created && s.compacted {
			check = append(check, s.name)
		}
	}
	if err := checkCompacted(ctx, adm, specs, check); err != nil {
		return TopicPartitions{}, err
	}
	if c, r := parts[t.Changelog], parts[t.Repartition]; c != r {
		return TopicPartitions{}, fmt.Errorf("changelog topic %q has %d partitions and repartition topic %q has %d: "+
			"they must match, since changelog partition p holds the state of repartition partition p; "+
			"stop every instance and delete both topics (the state of open windows is lost) to let headcount recreate them: %w",
			t.Changelog, c, t.Repartition, r, ErrTopicConfig)
	}
	return TopicPartitions{Input: parts[t.Input], Repartition: parts[t.Repartition], Results: parts[t.Results], Rejects: parts[t.Rejects]}, nil
}

// checkNames rejects empty and shared names: two roles on one topic would mix
// records of different shapes (results in the input, frames in the changelog).
func checkNames(specs []topicSpec) error {
	seen := make(map[string]string, len(specs))
	for _, s := range specs {
		if s.name == "" {
			return fmt.Errorf("%s topic: empty name", s.role)
		}
		if other, ok := seen[s.name]; ok {
			return fmt.Errorf("topic %q is both the %s and the %s topic; every topic needs its own name", s.name, other, s.role)
		}
		seen[s.name] = s.role
	}
	return nil
}

// createTopic creates s and returns its partition count. When another client
// created it first, created is false and the count is read back.
func createTopic(ctx context.Context, adm *kadm.Client, s topicSpec, replication int16) (n int32, created bool, err error) {
	partitions := s.partitions
	if partitions <= 0 {
		partitions = -1
	}
	if replication <= 0 {
		replication = -1
	}
	resp, err := adm.CreateTopic(ctx, partitions, replication, s.configs, s.name)
	switch {
	case err == nil:
		if resp.NumPartitions > 0 {
			return resp.NumPartitions, true, nil
		}
		// Brokers before 2.4 do not echo the count.
		n, err := partitionCount(ctx, adm, s)
		return n, true, err
	case errors.Is(err, kerr.TopicAlreadyExists):
		n, err := partitionCount(ctx, adm, s)
		return n, false, err
	default:
		if resp.ErrMessage != "" {
			err = fmt.Errorf("%w: %s", err, resp.ErrMessage)
		}
		return 0, false, fmt.Errorf("create %s topic %q: %w", s.role, s.name, err)
	}
}

// settle bounds how long a topic that exists (CreateTopics said so) may
// still be unknown to metadata and config requests, since the answering
// broker may lag the controller.
const settle = 15 * time.Second

// partitionCount reads the partition count of s, which exists.
func partitionCount(ctx context.Context, adm *kadm.Client, s topicSpec) (int32, error) {
	var n int32
	err := whenKnown(ctx, func() error {
		md, err := adm.Metadata(fresh(ctx), s.name)
		if err != nil {
			return err
		}
		d, ok := md.Topics[s.name]
		if !ok || (d.Err == nil && len(d.Partitions) == 0) {
			return kerr.UnknownTopicOrPartition
		}
		n = int32(len(d.Partitions))
		return d.Err
	})
	if err != nil {
		return 0, fmt.Errorf("describe %s topic %q: %w", s.role, s.name, err)
	}
	return n, nil
}

// checkCompacted checks that the named topics keep the latest record of
// every key for ever.
func checkCompacted(ctx context.Context, adm *kadm.Client, specs []topicSpec, names []string) error {
	if len(names) == 0 {
		return nil
	}
	var rcs kadm.ResourceConfigs
	err := whenKnown(ctx, func() error {
		var err error
		if rcs, err = adm.DescribeTopicConfigs(ctx, names...); err != nil {
			return err
		}
		for _, rc := range rcs {
			if rc.Err != nil {
				return rc.Err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("describe configs of topics %s: %w", strings.Join(names, ", "), err)
	}
	role := make(map[string]string, len(specs))
	for _, s := range specs {
		role[s.name] = s.role
	}
	for _, rc := range rcs {
		configs := make(map[string]string, len(rc.Configs))
		for _, c := range rc.Configs {
			configs[c.Key] = c.MaybeValue()
		}
		if problem := compactionProblem(configs); problem != "" {
			return fmt.Errorf("%s topic %q: %s; fix: kafka-configs.sh --bootstrap-server <brokers> --alter --entity-type topics --entity-name %s "+
				"--add-config cleanup.policy=compact (or delete the topic and let headcount create it): %w",
				role[rc.Name], rc.Name, problem, rc.Name, ErrTopicConfig)
		}
	}
	return nil
}

// compactionProblem says why a topic with these configs may lose the latest
// record of a key (the current answer of a window, or its state), or returns
// "" when it cannot. Only compaction without time or size retention is safe.
func compactionProblem(configs map[string]string) string {
	policy := configs["cleanup.policy"]
	var compact, del bool
	for p := range strings.SplitSeq(policy, ",") {
		switch strings.ToLower(strings.TrimSpace(p)) {
		case "compact":
			compact = true
		case "delete":
			del = true
		}
	}
	switch {
	case !compact:
		return fmt.Sprintf("cleanup.policy is %q, not compact: retention would delete records still needed (the current result or state of a window)", policy)
	case !del:
		return ""
	}
	for _, key := range []string{"retention.ms", "retention.bytes"} {
		if v, ok := configs[key]; ok && v != "-1" {
			return fmt.Sprintf("cleanup.policy is %q with %s=%s: retention would delete records still needed (the current result or state of a window)", policy, key, v)
		}
	}
	return ""
}

// fresh makes kadm's Metadata ask a broker instead of answering from the
// client's cache, where a topic created a moment ago by another instance may
// still be listed as unknown for MetadataMinAge. (kadm bypasses its cache
// when authorized operations are requested; asking for them costs little.)
func fresh(ctx context.Context) context.Context { return kadm.WithAuthorizedOps(ctx) }

// whenKnown calls fn until it returns anything but
// kerr.UnknownTopicOrPartition, for at most settle.
func whenKnown(ctx context.Context, fn func() error) error {
	deadline := time.Now().Add(settle)
	for {
		err := fn()
		if !errors.Is(err, kerr.UnknownTopicOrPartition) || time.Now().After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(250 * time.Millisecond):
		}
	}
}
