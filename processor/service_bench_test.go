package processor

import (
	"testing"
	"time"

	"github.com/headcount/headcount/processor/framegen"
)

// BenchmarkServiceTasks measures the CPU work the service does per frame
// without Kafka: an input task extracting, gating and routing a transaction's
// worth of frames, then a window task merging the routed hashes. The
// end-to-end figure (with the broker) is in the README.
func BenchmarkServiceTasks(b *testing.B) {
	g := framegen.New(framegen.Config{Seed: 1, Frames: 20000, Delayed: 0.1})
	var lines [][]byte
	var size int64
	for {
		l, ok := g.Append(nil)
		if !ok {
			break
		}
		lines = append(lines, l[:len(l)-1])
		size += int64(len(l))
	}
	cfg := DefaultConfig()
	sc := &serviceConfig{engine: cfg, store: StoreConfig{Windows: cfg.Windows, Grace: 5, Lateness: 3600}, inputPartitions: 1, idle: time.Second, live: 120}
	sc.store.Exact[Minute] = true
	b.SetBytes(size)
	b.ReportAllocs()
	now := time.Now()
	for b.Loop() {
		in := newInputTask(0, sc)
		win := newWindowTask(0, sc)
		for i, l := range lines {
			in.process(l, int64(i), now)
		}
		for _, k := range in.order {
			if err := win.process(windowRecordKey(nil, k.w, k.start), in.batches[k], 0); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(len(lines))*float64(b.N)/b.Elapsed().Seconds(), "frames/s")
}
