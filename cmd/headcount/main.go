// Command headcount counts unique users per time window from JSON log frames,
// from files (count) or exactly once from Kafka (run). See README.md and
// shared/contract.md for the commands, flags and result format.
//
// This package only parses flags and wires the packages that do the work.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/alecthomas/kong"
)

// cli is the whole command line; every flag can also be set with HEADCOUNT_<NAME>.
type cli struct {
	Count   countCmd   `cmd:"" help:"Count unique users per window from JSON lines in files or stdin (no Kafka)."`
	Run     runCmd     `cmd:"" help:"The exactly-once service: consume frames from Kafka, publish results to Kafka."`
	Gen     genCmd     `cmd:"" help:"Write deterministic synthetic frames (JSON lines) to stdout."`
	Produce produceCmd `cmd:"" help:"Load JSON lines from files or stdin into a Kafka topic, one record per line."`
	Tail    tailCmd    `cmd:"" help:"Print a results topic (read_committed), one JSON object a line."`
}

func main() {
	var c cli
	kctx := kong.Parse(&c,
		kong.Name("headcount"),
		kong.Description("Unique users per minute, hour, day, ISO week, month and year, exactly once."),
		kong.DefaultEnvars("HEADCOUNT"),
		kong.UsageOnError(),
	)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	kctx.BindTo(ctx, (*context.Context)(nil))
	if err := kctx.Run(); err != nil {
		fmt.Fprintf(os.Stderr, "headcount %s: %v\n", kctx.Command(), err)
		os.Exit(1)
	}
}
