package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/headcount/headcount/processor"
)

// produceCmd is `headcount produce`: JSON lines into a topic.
type produceCmd struct {
	kafkaFlags
	Topic       string   `required:"" help:"Topic to write to."`
	Create      bool     `help:"Create the topic when it is missing (otherwise a missing topic is an error)."`
	Partitions  int32    `help:"Partitions of a topic made by --create (default: the broker's num.partitions)."`
	Replication int16    `default:"-1" help:"Replication factor of a topic made by --create (-1: the broker's default)."`
	Compression string   `default:"none" enum:"none,gzip,snappy,lz4,zstd" help:"Batch compression: none, gzip, snappy, lz4 or zstd. Next to the broker none is fastest; over a slow network lz4 sends about 4x fewer bytes."`
	Files       []string `arg:"" optional:"" help:"Input files (gzip recognised by its magic bytes); none or - reads stdin."`
}

// Records point into the chunk their line was read into instead of copying
// each line; a chunk is freed once all of its records are acknowledged.
const (
	chunkSize = 4 << 20
	minRead   = 64 << 10 // a chunk with less room left is replaced
)

// codec returns the franz-go codec named by --compression. The default is
// none, as kafka-console-producer's: with the broker on the same 2-core
// machine, lz4 costs 3 s of CPU per GB in one producer goroutine (330 MB/s
// at best), while uncompressed records leave the CPU to the broker, and the
// topic's consumers have nothing to decompress.
func codec(name string) (kgo.CompressionCodec, error) {
	switch name {
	case "none":
		return kgo.NoCompression(), nil
	case "gzip":
		return kgo.GzipCompression(), nil
	case "snappy":
		return kgo.SnappyCompression(), nil
	case "lz4":
		return kgo.Lz4Compression(), nil
	case "zstd":
		return kgo.ZstdCompression(), nil
	}
	return kgo.CompressionCodec{}, fmt.Errorf("--compression %q: want none, gzip, snappy, lz4 or zstd", name)
}

// Run loads the inputs into the topic, one record per line.
func (p *produceCmd) Run(ctx context.Context) error {
	if p.Partitions != 0 && !p.Create {
		return errors.New("--partitions applies only with --create")
	}
	compression, err := codec(p.Compression)
	if err != nil {
		return err
	}
	cl, err := kgo.NewClient(
		kgo.SeedBrokers(p.Brokers...),
		kgo.DefaultProduceTopic(p.Topic),
		// Unkeyed records, like kafka-console-producer's; sticking to one
		// partition per batch fills batches up to ProducerBatchMaxBytes.
		kgo.RecordPartitioner(kgo.UniformBytesPartitioner(1<<20, true, true, nil)),
		kgo.ProducerLinger(5*time.Millisecond),
		kgo.ProducerBatchMaxBytes(1<<20),
		kgo.ProducerBatchCompression(compression),
		kgo.MaxBufferedRecords(1<<20),
		kgo.MaxBufferedBytes(256<<20),
	)
	if err != nil {
		return fmt.Errorf("kafka client: %w", err)
	}
	defer cl.Close()
	if err := ensureProduceTopic(ctx, kadm.NewClient(cl), p.Topic, p.Create, p.Partitions, p.Replication); err != nil {
		return err
	}

	pr := newProducer(cl)
	stopProgress := pr.progress(os.Stderr, time.Second)
	began := time.Now()
	files := p.Files
	if len(files) == 0 {
		files = []string{"-"}
	}
	for _, name := range files {
		if err = pr.file(ctx, name); err != nil {
			break
		}
	}
	if err == nil {
		// Waits for every buffered record; an interrupt stops the wait and
		// what is left is aborted below.
		err = cl.Flush(ctx)
	}
	if ferr := pr.failed(); ferr != nil {
		err = ferr // the broker's reason beats the cancellation it caused
	}
	if err != nil {
		cl.AbortBufferedRecords(context.Background())
	}
	stopProgress()
	pr.summary(os.Stderr, p.Topic, time.Since(began))
	if err != nil {
		return fmt.Errorf("produce to %s: %w", p.Topic, err)
	}
	return nil
}

// ensureProduceTopic checks that topic exists, creating it when create is set.
func ensureProduceTopic(ctx context.Context, adm *kadm.Client, topic string, create bool, partitions int32, replication int16) error {
	md, err := adm.Metadata(ctx, topic)
	if err != nil {
		return fmt.Errorf("describe topic %s: %w", topic, err)
	}
	d, ok := md.Topics[topic]
	switch {
	case ok && d.Err == nil:
		return nil
	case ok && !errors.Is(d.Err, kerr.UnknownTopicOrPartition):
		return fmt.Errorf("describe topic %s: %w", topic, d.Err)
	case !create:
		return fmt.Errorf("topic %s does not exist: create it, or pass --create (and --partitions N)", topic)
	}
	if partitions <= 0 {
		partitions = -1
	}
	resp, err := adm.CreateTopic(ctx, partitions, replication, nil, topic)
	if err != nil && !errors.Is(err, kerr.TopicAlreadyExists) {
		if resp.ErrMessage != "" {
			err = fmt.Errorf("%w: %s", err, resp.ErrMessage)
		}
		return fmt.Errorf("create topic %s: %w", topic, err)
	}
	return nil
}

// producer feeds lines to a client and keeps the counts shown as progress.
type producer struct {
	cl      *kgo.Client
	promise func(*kgo.Record, error) // one func for every record: no allocation per record

	acked, ackedBytes atomic.Int64 // acknowledged by the broker
	empty             int64        // empty lines skipped; only the reading goroutine writes it

	errOnce sync.Once
	err     atomic.Pointer[error] // the first produce error
}

func newProducer(cl *kgo.Client) *producer {
	p := &producer{cl: cl}
	p.promise = func(r *kgo.Record, err error) {
		if err != nil {
			p.errOnce.Do(func() { p.err.Store(&err) })
			return
		}
		p.acked.Add(1)
		p.ackedBytes.Add(int64(len(r.Value)))
	}
	return p
}

// failed returns the first produce error, if any.
func (p *producer) failed() error {
	if e := p.err.Load(); e != nil {
		return *e
	}
	return nil
}

// file produces every line of the named input; "-" is stdin.
func (p *producer) file(ctx context.Context, name string) error {
	var r io.Reader = os.Stdin
	if name != "-" {
		f, err := os.Open(name)
		if err != nil {
			return fmt.Errorf("open input: %w", err)
		}
		defer f.Close()
		r = f
	}
	in, closeIn, err := processor.OpenInput(r)
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	defer closeIn()
	if err := p.lines(ctx, in); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	return nil
}

// lines produces one record per line of r: a trailing '\r' is stripped and
// empty lines are skipped. It stops at the first produce error.
//
// The lines of every read are produced at once (a slow pipe is not held
// back), and reads fill one chunk until it is nearly full; only the
// unfinished last line is then copied to a new chunk.
func (p *producer) lines(ctx context.Context, r io.Reader) error {
	buf := make([]byte, 0, chunkSize)
	for {
		if cap(buf)-len(buf) < minRead {
			next := make([]byte, len(buf), max(chunkSize, 2*len(buf)))
			copy(next, buf)
			buf = next
		}
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		eof := err == io.EOF
		if err != nil && !eof {
			return fmt.Errorf("read input: %w", err)
		}
		end := len(buf)
		if !eof {
			end = bytes.LastIndexByte(buf, '\n') + 1
		}
		if err := p.chunk(ctx, buf[:end]); err != nil {
			return err
		}
		if eof {
			return nil
		}
		buf = buf[end:] // keeps the rest of the chunk's capacity for the next read
	}
}

// chunk produces the lines of buf, which ends at a line boundary. The
// records are allocated together and their values point into buf.
func (p *producer) chunk(ctx context.Context, buf []byte) error {
	// At most one record per newline, plus an unterminated last line: the
	// slice never grows, so the pointers handed to Produce stay valid.
	recs := make([]kgo.Record, 0, bytes.Count(buf, []byte{'\n'})+1)
	for len(buf) > 0 {
		line := buf
		if i := bytes.IndexByte(buf, '\n'); i >= 0 {
			line, buf = buf[:i], buf[i+1:]
		} else {
			buf = nil
		}
		if n := len(line); n > 0 && line[n-1] == '\r' {
			line = line[:n-1]
		}
		if len(line) == 0 {
			p.empty++
			continue
		}
		if err := p.failed(); err != nil {
			return err
		}
		recs = append(recs, kgo.Record{Value: line[:len(line):len(line)]})
		// Produce blocks while the buffer is full; with ctx cancelled it fails
		// the record at once instead.
		p.cl.Produce(ctx, &recs[len(recs)-1], p.promise)
	}
	return ctx.Err()
}

// progress prints the acknowledged records every interval until the
// returned func is called.
func (p *producer) progress(w io.Writer, every time.Duration) (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(every)
		defer t.Stop()
		began, lastBytes := time.Now(), int64(0)
		for {
			select {
			case <-done:
				return
			case now := <-t.C:
				b := p.ackedBytes.Load()
				fmt.Fprintf(w, "produce: %d records, %.1f MB, %.1f MB/s (%s)\n",
					p.acked.Load(), float64(b)/1e6, float64(b-lastBytes)/1e6/every.Seconds(), now.Sub(began).Round(time.Second))
				lastBytes = b
			}
		}
	})
	return func() { close(done); wg.Wait() }
}

// summary prints the final totals.
func (p *producer) summary(w io.Writer, topic string, took time.Duration) {
	mb := float64(p.ackedBytes.Load()) / 1e6
	fmt.Fprintf(w, "produce: %d records to %s (%d empty lines skipped), %.1f MB in %s (%.1f MB/s)\n",
		p.acked.Load(), topic, p.empty, mb, took.Round(time.Millisecond), mb/took.Seconds())
}
