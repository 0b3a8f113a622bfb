package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// tailCmd is `headcount tail`: print a topic's committed records, one a line.
type tailCmd struct {
	kafkaFlags
	Topic         string `required:"" help:"Topic to print."`
	FromBeginning bool   `name:"from-beginning" default:"true" negatable:"" help:"Start at the oldest record; --no-from-beginning starts at the end (useful with --follow)."`
	Follow        bool   `short:"f" help:"Keep printing new records until interrupted, instead of stopping at the end offsets taken at start."`
	Keys          bool   `help:"Print key<TAB>value."`
}

// Run prints the topic's committed values.
func (t *tailCmd) Run(ctx context.Context) error {
	start := kgo.NewOffset().AtStart()
	if !t.FromBeginning {
		start = kgo.NewOffset().AtEnd()
	}
	cl, err := kgo.NewClient(
		kgo.SeedBrokers(t.Brokers...),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()),
		// Transaction markers are returned too, so that the record at end-1,
		// whatever it is, proves a partition read to its end.
		kgo.KeepControlRecords(),
		kgo.ConsumeResetOffset(start),
	)
	if err != nil {
		return fmt.Errorf("kafka client: %w", err)
	}
	defer cl.Close()
	// Also checks that the topic exists: --follow would otherwise wait for it.
	ends, err := committedEnds(ctx, kadm.NewClient(cl), t.Topic, t.FromBeginning)
	if err != nil {
		return err
	}
	if t.Follow {
		ends = nil
		cl.AddConsumeTopics(t.Topic)
	} else {
		if len(ends) == 0 {
			return nil
		}
		offsets := make(map[int32]kgo.Offset, len(ends))
		for p := range ends {
			offsets[p] = start
		}
		cl.AddConsumePartitions(map[string]map[int32]kgo.Offset{t.Topic: offsets})
	}

	w := bufio.NewWriterSize(os.Stdout, 1<<16)
	for t.Follow || len(ends) > 0 {
		fs := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			if err := w.Flush(); err != nil {
				return fmt.Errorf("write: %w", err)
			}
			if t.Follow {
				return nil // an interrupt is how --follow ends
			}
			return fmt.Errorf("interrupted before the end of %s: %w", t.Topic, ctx.Err())
		}
		var ferr error
		fs.EachError(func(topic string, p int32, err error) {
			if dl := (*kgo.ErrDataLoss)(nil); errors.As(err, &dl) {
				// Retention or a truncation removed records; reading goes on from the new start.
				fmt.Fprintf(os.Stderr, "tail: %v\n", err)
				return
			}
			if ferr == nil {
				ferr = fmt.Errorf("read %s partition %d: %w", topic, p, err)
			}
		})
		if ferr != nil {
			return ferr
		}
		fs.EachRecord(func(r *kgo.Record) {
			end, reading := ends[r.Partition]
			if !t.Follow && (!reading || r.Offset >= end) {
				return // past the end taken at start
			}
			if !r.Attrs.IsControl() && r.Value != nil { // nil: a tombstone
				writeRecord(w, r, t.Keys)
			}
			if !t.Follow && r.Offset >= end-1 {
				delete(ends, r.Partition)
			}
		})
		if err := w.Flush(); err != nil {
			return fmt.Errorf("write: %w", err)
		}
	}
	return nil
}

// committedEnds returns, for every partition of topic with committed records
// to read, its last stable offset now: read_committed reading ends there. A
// partition is left out when it has nothing to read (empty, or not reading
// from the beginning).
func committedEnds(ctx context.Context, adm *kadm.Client, topic string, fromBeginning bool) (map[int32]int64, error) {
	lso, err := adm.ListCommittedOffsets(ctx, topic)
	if err == nil {
		err = lso.Error()
	}
	if err != nil {
		return nil, fmt.Errorf("end offsets of %s: %w", topic, err)
	}
	starts, err := adm.ListStartOffsets(ctx, topic)
	if err == nil {
		err = starts.Error()
	}
	if err != nil {
		return nil, fmt.Errorf("start offsets of %s: %w", topic, err)
	}
	ends := make(map[int32]int64)
	if !fromBeginning {
		return ends, nil
	}
	lso.Each(func(o kadm.ListedOffset) {
		if s, ok := starts.Lookup(topic, o.Partition); ok && o.Offset > s.Offset {
			ends[o.Partition] = o.Offset
		}
	})
	return ends, nil
}

// writeRecord prints one record: its value, or key<TAB>value.
func writeRecord(w *bufio.Writer, r *kgo.Record, keys bool) {
	if keys {
		w.Write(r.Key)
		w.WriteByte('\t')
	}
	w.Write(r.Value)
	w.WriteByte('\n')
}
