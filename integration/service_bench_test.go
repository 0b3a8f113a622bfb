package integration

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// BenchmarkServiceDrain measures the service end to end against the real
// broker: frames per second from a topic of HEADCOUNT_BENCH_FRAMES generated
// frames (default 1,000,000; loading them is excluded), with exactly-once on,
// through `headcount run --drain` as a child process. Each iteration is a
// new app (new group, new internal topics) over the same input topic, so it
// includes startup, topic creation and the final drain. Run it with
// `make bench-e2e`.
func BenchmarkServiceDrain(b *testing.B) {
	seeds := []string{Broker(b)}
	frames := 1_000_000
	if v := os.Getenv("HEADCOUNT_BENCH_FRAMES"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			b.Fatalf("HEADCOUNT_BENCH_FRAMES=%q: %v", v, err)
		}
		frames = n
	}
	adm := NewAdmin(b, seeds)
	input := NewTopic(b, adm, "bench-frames", 3, nil)
	file := filepath.Join(b.TempDir(), "frames.jsonl")
	gen := RunCmd(b, 5*time.Minute, headcountBin, "gen", "--frames", strconv.Itoa(frames), "--delayed", "0.1")
	if err := os.WriteFile(file, gen, 0o644); err != nil {
		b.Fatal(err)
	}
	RunCmd(b, 10*time.Minute, headcountBin, "produce", "--brokers", seeds[0], "--topic", input, file)
	b.SetBytes(int64(len(gen)))

	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		app := UniqueName(b, fmt.Sprintf("bench%d", i))
		args := []string{"run", "--brokers", seeds[0], "--app", app, "--input", input, "--instance", "bench",
			"--windows", "minute", "--early", "0", "--drain"}
		p := StartProc(b, app, headcountBin, args)
		p.WaitOK(b, 10*time.Minute)
		if log := p.Stderr(); !strings.Contains(log, "drained") || !strings.Contains(log, "frames="+strconv.Itoa(frames)) {
			b.Fatalf("run did not drain all %d frames:\n%s", frames, tail(log, 2000))
		}
	}
	b.ReportMetric(float64(frames)*float64(b.N)/b.Elapsed().Seconds(), "frames/s")
}
