package main

import (
	"bufio"
	"context"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/headcount/headcount/processor"
)

// runCmd is `headcount run`: the exactly-once service.
type runCmd struct {
	kafkaFlags
	windowFlags
	Input              string        `default:"frames" help:"Input topic of JSON frames."`
	Output             string        `help:"Results topic (default <app>-results)."`
	Rejects            string        `help:"Dead-letter topic (default <app>-rejects)."`
	Instance           string        `help:"This instance's name, unique among the running instances of the app and best kept across restarts (default: the host name)."`
	Stdout             bool          `help:"Also print each result once its transaction committed."`
	Drain              bool          `help:"Stop once the input's end offsets (taken at start) are consumed, finalising every window."`
	CommitInterval     time.Duration `name:"commit-interval" default:"200ms" help:"How long one transaction collects work before it commits."`
	TransactionTimeout time.Duration `name:"transaction-timeout" default:"10s" help:"Kafka transaction timeout: how long a crashed instance can stall readers."`
	SessionTimeout     time.Duration `name:"session-timeout" default:"15s" help:"How long the group waits for a silent instance before moving its partitions (a restart with the same --instance takes them back at once)."`
	Idle               time.Duration `default:"5s" help:"An input partition without frames this long stops holding back stream time."`
	Partitions         int32         `default:"3" help:"Partitions of the topics this command creates (input, results, changelog, repartition, rejects)."`
	Replication        int16         `default:"-1" help:"Replication factor of the topics this command creates (-1: the broker default)."`
	LogLevel           string        `name:"log-level" default:"info" enum:"debug,info,warn,error" help:"Log level (debug, info, warn, error)."`
}

// Run wires the flags into a processor.Service and runs it until SIGTERM or, with --drain, the end of the input.
func (r *runCmd) Run(ctx context.Context) error {
	cfg, err := r.config()
	if err != nil {
		return err
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(r.LogLevel)); err != nil {
		return fmt.Errorf("--log-level: %w", err)
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	instance := r.Instance
	if instance == "" {
		if instance, err = os.Hostname(); err != nil {
			return fmt.Errorf("--instance not set and no host name: %w", err)
		}
	}
	sc := processor.ServiceConfig{
		Brokers:            r.Brokers,
		App:                r.App,
		Instance:           instance,
		Topics:             processor.TopicNames(r.App, r.Input, r.Output, r.Rejects),
		Layout:             processor.TopicLayout{InputPartitions: r.Partitions, Partitions: r.Partitions, Replication: r.Replication},
		Engine:             cfg,
		CommitInterval:     r.CommitInterval,
		TransactionTimeout: r.TransactionTimeout,
		SessionTimeout:     r.SessionTimeout,
		Idle:               r.Idle,
		Drain:              r.Drain,
		Logger:             log,
	}
	if r.Stdout {
		out := bufio.NewWriterSize(os.Stdout, 1<<16)
		var line []byte
		sc.OnCommit = func(rs []processor.Result) {
			for _, res := range rs {
				line = append(res.AppendJSON(line[:0]), '\n')
				out.Write(line)
			}
			out.Flush()
		}
	}
	svc, err := processor.NewService(sc)
	if err != nil {
		return err
	}
	return svc.Run(ctx)
}
