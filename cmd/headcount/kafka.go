package main

import (
	"context"
	"errors"
)

// errNotYet marks the Kafka commands whose issue has not landed.
var errNotYet = errors.New("not implemented yet (see the open issue for the Kafka service)")

// produceCmd is `headcount produce`: JSON lines into a topic.
type produceCmd struct {
	kafkaFlags
	Topic string   `required:"" help:"Topic to write to."`
	Files []string `arg:"" optional:"" help:"Input files (.gz recognised); none or - reads stdin."`
}

func (p *produceCmd) Run(ctx context.Context) error { return errNotYet }

// tailCmd is `headcount tail`: print a results topic.
type tailCmd struct {
	kafkaFlags
	Topic string `required:"" help:"Topic to print."`
}

func (t *tailCmd) Run(ctx context.Context) error { return errNotYet }
