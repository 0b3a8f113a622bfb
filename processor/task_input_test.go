package processor

import (
	"fmt"
	"testing"
	"time"
)

// TestInputTaskReleasedFramesInTime: frames the gate holds and then releases
// together (when it anchors stream time, or follows a jump) are judged late
// or not as the engine judges them, not against the newest of them. A sparse
// partition, one frame every 1,000 s, with a jump of a week in it, as a
// sticky partitioner leaves when it sends chunks of a sparse history to
// three partitions; an outlier horizon of 48 h so that the gate holds
// frames spanning more than the allowed lateness.
func TestInputTaskReleasedFramesInTime(t *testing.T) {
	const start, step, week = 1468244340, 1000, 7 * 86400
	for _, tc := range []struct {
		name string
		ts   []int64
	}{
		{"anchor", series(start, step, 40)},
		{"jump", append(series(start, step, 40), series(start+week, step, 40)...)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := DefaultConfig()
			cfg.OutlierHorizon = 48 * time.Hour
			sc := &serviceConfig{
				engine:          cfg,
				store:           StoreConfig{Windows: []Window{Minute}, Grace: seconds(cfg.Grace), Lateness: seconds(cfg.AllowedLateness)},
				inputPartitions: 1,
				idle:            time.Minute,
			}
			task := newInputTask(0, sc)
			task.target = int64(len(tc.ts)) // drain: the last record flushes the gate
			now := time.Now()
			for i, ts := range tc.ts {
				task.process(fmt.Appendf(nil, `{"uid":"u%d","ts":%d}`, i%7, ts), int64(i), now)
			}
			task.checkDone()
			if n := task.rejectN[TooLate] + task.rejectN[TSOutlier]; n > 0 {
				t.Errorf("%d frames rejected (too_late %d, ts_outlier %d); want none", n, task.rejectN[TooLate], task.rejectN[TSOutlier])
			}
			routed := 0
			for _, b := range task.batches {
				routed += len(b) / 8
			}
			if routed != len(tc.ts) {
				t.Errorf("routed %d uid hashes for %d frames", routed, len(tc.ts))
			}
		})
	}
}

func series(from, step int64, n int) []int64 {
	ts := make([]int64, n)
	for i := range ts {
		ts[i] = from + int64(i)*step
	}
	return ts
}
