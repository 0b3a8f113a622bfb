package processor

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// ServiceConfig configures a Service. Brokers, App and Topics.Input are
// required; zero durations take the defaults noted.
type ServiceConfig struct {
	Brokers []string
	// App is the consumer group and the prefix of the transactional id.
	App string
	// Instance tells this instance apart from the others of the app; it must
	// be unique among running instances and is best kept across restarts, so
	// that a restarted instance aborts its predecessor's open transaction at
	// once instead of waiting for the transaction timeout.
	Instance string
	Topics   Topics
	Layout   TopicLayout
	Engine   Config
	// CommitInterval bounds the work of one transaction (default 200 ms).
	CommitInterval time.Duration
	// TransactionTimeout bounds how long a crashed instance's open
	// transaction stalls readers (default 10 s).
	TransactionTimeout time.Duration
	// SessionTimeout is how long the group waits for an instance that
	// stopped heartbeating before it hands its partitions to the others
	// (default 15 s). An instance restarted with the same Instance takes its
	// partitions back at once: members are static (KIP-345).
	SessionTimeout time.Duration
	// Idle is how long an input partition may go without frames before it
	// stops holding back stream time (default 5 s).
	Idle time.Duration
	// Live is how close to the wall clock stream time must be for the clock
	// to advance it when the stream goes quiet (default 2 min).
	Live time.Duration
	// Drain stops the service once the input's end offsets, taken at start,
	// are consumed and every window is final.
	Drain bool
	// OnCommit, when set, receives the results of every committed transaction.
	OnCommit func([]Result)
	Logger   *slog.Logger
}

// ServiceStats counts what a Service did.
type ServiceStats struct {
	Frames  uint64
	Rejects [NumReasons]uint64
	// DroppedLate counts frames that reached the second stage after their
	// window was gone (see windowTask.process).
	DroppedLate uint64
	Commits     uint64
	Aborts      uint64
	Restores    uint64
}

// logAttrs lists the counters for a log line.
func (st ServiceStats) logAttrs() []any {
	attrs := []any{"frames", st.Frames, "commits", st.Commits, "aborts", st.Aborts, "restores", st.Restores}
	for r := Malformed; r < NumReasons; r++ {
		if st.Rejects[r] > 0 {
			attrs = append(attrs, r.String(), st.Rejects[r])
		}
	}
	if st.DroppedLate > 0 {
		attrs = append(attrs, "dropped_late", st.DroppedLate)
	}
	return attrs
}

// serviceConfig is what the tasks share.
type serviceConfig struct {
	engine          Config
	store           StoreConfig
	inputPartitions int
	idle            time.Duration
	live            int64
}

// Service is headcount's exactly-once service: a consume-transform-produce
// loop on Kafka transactions with two stages in one consumer group.
//
// Input partitions are handled by input tasks (extract, judge time, route
// each frame's uid hash by window instance); partitions of the repartition
// topic by window tasks (merge hashes per window instance, publish results).
// Everything one transaction does commits together or not at all: the
// repartition records, results, dead letters, changelog records and the
// consumed offsets of both topics. On every assignment, and after any
// aborted or failed transaction, state is rebuilt from the changelog, never
// kept from memory.
type Service struct {
	cfg   ServiceConfig
	log   *slog.Logger
	stats ServiceStats
	parts TopicPartitions
	sc    serviceConfig

	results, rejects int32 // partition counts
	targets          map[int32]int64

	mu      sync.Mutex // guards pending, written by the group's callbacks
	pending []assignment

	inputs  map[int32]*inputTask
	windows map[int32]*windowTask
}

// assignment is a change of ownership, handed from the group's callbacks to
// the loop, with the restored tasks when partitions were added.
type assignment struct {
	inputs  map[int32]*inputTask
	windows map[int32]*windowTask
	revoked map[string][]int32
}

// NewService checks cfg and returns a Service ready to Run.
func NewService(cfg ServiceConfig) (*Service, error) {
	if len(cfg.Brokers) == 0 || cfg.App == "" || cfg.Topics.Input == "" {
		return nil, errors.New("service: brokers, app and input topic are required")
	}
	if err := cfg.Engine.validate(); err != nil {
		return nil, fmt.Errorf("service: %w", err)
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&cfg.CommitInterval, 200*time.Millisecond)
	def(&cfg.TransactionTimeout, 10*time.Second)
	def(&cfg.SessionTimeout, 15*time.Second)
	def(&cfg.Idle, 5*time.Second)
	def(&cfg.Live, 2*time.Minute)
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Instance == "" {
		cfg.Instance = "0"
	}
	s := &Service{cfg: cfg, log: cfg.Logger}
	return s, nil
}

// Stats returns the service's counters; call it after Run returned.
func (s *Service) Stats() ServiceStats { return s.stats }

// Run runs the service until ctx is cancelled (it then commits what is in
// flight and returns nil) or, with Drain, until the input is drained. A
// failed transaction recreates the session and restores state from Kafka;
// Run returns an error only for what retrying cannot fix.
func (s *Service) Run(ctx context.Context) error {
	if err := s.setup(ctx); err != nil {
		if ctx.Err() != nil {
			// Stopped while starting: nothing was consumed, nothing is in flight.
			s.log.Info("stopped before the service started")
			return nil
		}
		return err
	}
	backoff := 250 * time.Millisecond
	for {
		drained, err := s.session(ctx)
		if drained || ctx.Err() != nil {
			s.leave()
		}
		switch {
		case drained:
			s.log.Info("drained: every input partition consumed and every window final", s.stats.logAttrs()...)
			return nil
		case ctx.Err() != nil:
			s.log.Info("stopped", s.stats.logAttrs()...)
			return nil
		case err == nil:
			continue
		}
		s.log.Warn("transactional session failed; recreating it and restoring state from Kafka",
			"err", err, "backoff", backoff)
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 10*time.Second)
	}
}

// leave takes this static member out of the group, so that its partitions
// move to the other instances now rather than after the session timeout. A
// static member's client does not leave on Close: a crash followed by a
// restart with the same instance keeps the assignment without a rebalance.
func (s *Service) leave() {
	cl, err := kgo.NewClient(kgo.SeedBrokers(s.cfg.Brokers...))
	if err != nil {
		s.log.Warn("could not leave the group", "err", err)
		return
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	resp, err := kadm.NewClient(cl).LeaveGroup(ctx, kadm.LeaveGroup(s.cfg.App).InstanceIDs(s.cfg.Instance).Reason("headcount stopping"))
	if err == nil {
		err = resp.Error()
	}
	if err != nil {
		s.log.Warn("could not leave the group; its partitions move after the session timeout", "err", err)
	}
}

// setup creates or checks the topics and takes the drain targets.
func (s *Service) setup(ctx context.Context) error {
	cl, err := kgo.NewClient(kgo.SeedBrokers(s.cfg.Brokers...))
	if err != nil {
		return fmt.Errorf("service: admin client: %w", err)
	}
	defer cl.Close()
	adm := kadm.NewClient(cl)
	if s.parts, err = EnsureTopics(ctx, adm, s.cfg.Topics, s.cfg.Layout); err != nil {
		return fmt.Errorf("service: %w", err)
	}
	s.results, s.rejects = s.parts.Results, s.parts.Rejects
	if s.results <= 0 || s.rejects <= 0 || s.parts.Input <= 0 || s.parts.Repartition <= 0 {
		return fmt.Errorf("service: topics without partitions: %+v", s.parts)
	}
	sc := StoreConfig{
		Windows:  append([]Window(nil), s.cfg.Engine.Windows...),
		Grace:    seconds(s.cfg.Engine.Grace),
		Lateness: seconds(s.cfg.Engine.AllowedLateness),
	}
	slices.Sort(sc.Windows)
	for _, w := range s.cfg.Engine.Exact {
		sc.Exact[w] = true
	}
	s.sc = serviceConfig{
		engine:          s.cfg.Engine,
		store:           sc,
		inputPartitions: int(s.parts.Input),
		idle:            s.cfg.Idle,
		live:            seconds(s.cfg.Live),
	}
	if s.cfg.Drain {
		lso, err := adm.ListCommittedOffsets(ctx, s.cfg.Topics.Input)
		if err != nil {
			return fmt.Errorf("service: end offsets of %s: %w", s.cfg.Topics.Input, err)
		}
		if err := lso.Error(); err != nil {
			return fmt.Errorf("service: end offsets of %s: %w", s.cfg.Topics.Input, err)
		}
		s.targets = make(map[int32]int64)
		lso.Each(func(o kadm.ListedOffset) { s.targets[o.Partition] = o.Offset })
		s.log.Info("draining", "topic", s.cfg.Topics.Input, "end_offsets", s.targets)
	}
	s.log.Info("topics ready", "input", s.cfg.Topics.Input, "input_partitions", s.parts.Input,
		"repartition_partitions", s.parts.Repartition, "results", s.cfg.Topics.Results)
	return nil
}
