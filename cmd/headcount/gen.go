package main

import (
	"bufio"
	"fmt"
	"os"

	"github.com/headcount/headcount/processor/framegen"
)

// genCmd is `headcount gen`: deterministic synthetic frames on stdout.
type genCmd struct {
	Seed      int64   `default:"1" help:"Random seed; the same seed gives the same bytes."`
	Frames    int     `default:"200000" help:"Number of lines to write."`
	Users     int     `default:"100000" help:"Size of the uid pool."`
	Rate      int     `default:"1000" help:"Frames per second of event time."`
	Interval  float64 `help:"Seconds of event time between frames (overrides --rate; use it for sparse, long histories)."`
	Start     int64   `default:"1468244340" help:"Event time of the first frame, unix seconds."`
	Delayed   float64 `help:"Share of frames delivered late (out of order)."`
	MaxDelay  int     `name:"max-delay" default:"5" help:"Most seconds a delayed frame lags."`
	Flipped   float64 `help:"Share of frames with one high bit of ts flipped (a corrupt timestamp)."`
	Truncated float64 `help:"Share of lines cut short."`
	Garbage   float64 `help:"Share of non-JSON lines inserted."`
	StringTS  float64 `name:"string-ts" default:"0.05" help:"Share of frames whose ts is a string of digits."`
	CRLF      float64 `name:"crlf" default:"0.01" help:"Share of lines ending in CRLF."`
}

// Run writes the generated frames to stdout.
func (g *genCmd) Run() error {
	gen := framegen.New(framegen.Config{
		Seed: g.Seed, Frames: g.Frames, Users: g.Users, Rate: g.Rate, Interval: g.Interval,
		Start: g.Start, Delayed: g.Delayed, MaxDelay: g.MaxDelay, Flipped: g.Flipped,
		Truncated: g.Truncated, Garbage: g.Garbage, StringTS: g.StringTS, CRLF: g.CRLF,
	})
	w := bufio.NewWriterSize(os.Stdout, 1<<20)
	if _, err := gen.WriteTo(w); err != nil {
		return fmt.Errorf("write frames: %w", err)
	}
	if err := w.Flush(); err != nil {
		return fmt.Errorf("write frames: %w", err)
	}
	return nil
}
