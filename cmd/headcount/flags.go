package main

import (
	"fmt"
	"time"

	"github.com/headcount/headcount/processor"
)

// windowFlags are the flags that shape the counting, shared by count and run.
type windowFlags struct {
	Windows         string        `default:"minute" help:"Windows to count: comma list of minute,hour,day,week,month,year, or all."`
	Exact           string        `default:"minute,hour" help:"Windows counted exactly (the others use a HyperLogLog++ sketch): comma list, all or none."`
	Grace           time.Duration `default:"5s" help:"How long after its end (in event time) a window waits for out-of-order frames before its final result."`
	Early           time.Duration `default:"1s" help:"Interval of early results for open windows; 0 turns them off."`
	AllowedLateness time.Duration `name:"allowed-lateness" default:"1h" help:"How long after its final result a window still counts late frames and publishes revisions."`
	OutlierHorizon  time.Duration `name:"outlier-horizon" default:"1h" help:"A frame further than this ahead of stream time is held as a possible corrupt timestamp."`
	OutlierQuorum   int           `name:"outlier-quorum" default:"16" help:"Agreeing frames needed before stream time follows a jump."`
}

// config turns the flags into an engine configuration.
func (f windowFlags) config() (processor.Config, error) {
	cfg := processor.DefaultConfig()
	ws, err := processor.ParseWindows(f.Windows)
	if err != nil {
		return cfg, fmt.Errorf("--windows: %w", err)
	}
	cfg.Windows = ws
	cfg.Exact = nil
	if f.Exact != "none" && f.Exact != "" {
		if cfg.Exact, err = processor.ParseWindows(f.Exact); err != nil {
			return cfg, fmt.Errorf("--exact: %w", err)
		}
	}
	cfg.Grace, cfg.Early, cfg.AllowedLateness = f.Grace, f.Early, f.AllowedLateness
	cfg.OutlierHorizon, cfg.OutlierQuorum = f.OutlierHorizon, f.OutlierQuorum
	return cfg, nil
}

// kafkaFlags are the flags every Kafka command shares.
type kafkaFlags struct {
	Brokers []string `default:"127.0.0.1:9092" help:"Kafka bootstrap brokers."`
	App     string   `default:"headcount" help:"Application id: consumer group, transactional-id prefix and prefix of every internal topic."`
}
