package processor

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/headcount/headcount/processor/framegen"
	"github.com/headcount/headcount/state"
)

// The whole `headcount count` path on a file in the page cache (and from
// memory), next to an encoding/json counter doing the same job, and a
// breakdown of the path: reading and splitting lines, extraction
// (BenchmarkExtract), hashing and set insertion.
//
//	go test ./processor -run '^$' -bench 'Count|ReadLines|HashInsert' -benchtime 3x -count 5

// benchFileFrames frames of framegen's default shape (about 2 KB each, 1,000 a
// second of event time, 100,000 users, 5% string ts, 1% CRLF) make about 200 MB.
const benchFileFrames = 100_000

var benchFile = sync.OnceValues(func() (string, error) {
	cfg := framegen.Config{Seed: 1, Frames: benchFileFrames}
	path := filepath.Join(os.TempDir(), fmt.Sprintf("headcount-bench-seed%d-%d.jsonl", cfg.Seed, cfg.Frames))
	// The file is deterministic: reuse one that an earlier run left whole.
	var sum countingWriter
	if _, err := framegen.New(cfg).WriteTo(&sum); err != nil {
		return "", err
	}
	if fi, err := os.Stat(path); err == nil && fi.Size() == sum.n {
		return path, nil
	}
	tmp := path + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return "", err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	if _, err := framegen.New(cfg).WriteTo(w); err != nil {
		f.Close()
		return "", err
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return "", err
	}
	if err := f.Close(); err != nil {
		return "", err
	}
	return path, os.Rename(tmp, path)
})

// cpuTime returns the process's user and system CPU time so far.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportRates reports frames/s and, since these VMs share their cores with
// whatever else runs, MB per CPU-second: the cost of the work, which
// contention does not change as much as the wall-clock rate.
func reportRates(b *testing.B, size int64, cpu0 time.Duration) {
	b.ReportMetric(float64(benchFileFrames)*float64(b.N)/b.Elapsed().Seconds(), "frames/s")
	if cpu := cpuTime(b) - cpu0; cpu > 0 {
		b.ReportMetric(float64(size)*float64(b.N)/1e6/cpu.Seconds(), "MB/cpu-s")
	}
}

type countingWriter struct{ n int64 }

func (w *countingWriter) Write(p []byte) (int, error) { w.n += int64(len(p)); return len(p), nil }

// benchInput returns the bench file's path and size, read once so that it
// is in the page cache.
func benchInput(b *testing.B) (string, int64) {
	b.Helper()
	path, err := benchFile()
	if err != nil {
		b.Fatalf("bench file: %v", err)
	}
	return path, warm(b, path)
}

// warm reads the file at path so that it is in the page cache, and returns
// its size. On these VMs the kernel's DAMON pages out page cache left idle
// for about a second, so the benchmarks warm the file before every op, with
// the timer stopped.
func warm(b *testing.B, path string) int64 {
	b.Helper()
	f, err := os.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	n, err := io.Copy(io.Discard, f)
	if err != nil {
		b.Fatal(err)
	}
	return n
}

// countFile runs `headcount count` on the file at path without printing:
// open, gzip sniffing, the parallel pipeline (read, extract, hash, gate,
// windows) and the final flush.
func countFile(b *testing.B, cfg Config, r io.Reader) {
	e, err := NewEngine(cfg, func(Result) {}, nil)
	if err != nil {
		b.Fatal(err)
	}
	in, closeIn, err := OpenInput(r)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := e.Count(context.Background(), in, 0); err != nil {
		b.Fatal(err)
	}
	e.Flush()
	closeIn()
	if st := e.Stats(); st.Counted != benchFileFrames {
		b.Fatalf("counted %d of %d frames (rejects %v)", st.Counted, benchFileFrames, st.Rejects)
	}
}

func benchConfig(b *testing.B, windows string) Config {
	cfg := DefaultConfig()
	ws, err := ParseWindows(windows)
	if err != nil {
		b.Fatal(err)
	}
	cfg.Windows = ws
	return cfg
}

// BenchmarkCountFile is `headcount count FILE` without the printing, on
// GOMAXPROCS cores, from a file in the page cache.
func BenchmarkCountFile(b *testing.B) {
	path, size := benchInput(b)
	for _, windows := range []string{"minute", "all"} {
		b.Run("windows="+windows, func(b *testing.B) {
			cfg := benchConfig(b, windows)
			b.SetBytes(size)
			var warming time.Duration
			cpu0 := cpuTime(b)
			for b.Loop() {
				b.StopTimer()
				c := cpuTime(b)
				warm(b, path)
				warming += cpuTime(b) - c
				b.StartTimer()
				f, err := os.Open(path)
				if err != nil {
					b.Fatal(err)
				}
				countFile(b, cfg, f)
				f.Close()
			}
			reportRates(b, size, cpu0+warming)
		})
	}
}

// BenchmarkCountMemory is BenchmarkCountFile from memory instead of the
// page cache: the same pipeline without read(2).
func BenchmarkCountMemory(b *testing.B) {
	path, size := benchInput(b)
	data, err := os.ReadFile(path)
	if err != nil {
		b.Fatal(err)
	}
	for _, windows := range []string{"minute", "all"} {
		b.Run("windows="+windows, func(b *testing.B) {
			cfg := benchConfig(b, windows)
			b.SetBytes(size)
			cpu0 := cpuTime(b)
			for b.Loop() {
				countFile(b, cfg, bytes.NewReader(data))
			}
			reportRates(b, size, cpu0)
		})
	}
}

// BenchmarkCountEncodingJSON is an honest standard-library counter doing the
// same job on one core: bufio.Scanner lines, json.Unmarshal into
// map[string]json.RawMessage (the only target that keeps decoy keys such as
// "UID" apart and validates the whole line), uid and ts decoded from it, and
// a set of uids per minute.
func BenchmarkCountEncodingJSON(b *testing.B) {
	path, size := benchInput(b)
	b.SetBytes(size)
	var warming time.Duration
	cpu0 := cpuTime(b)
	for b.Loop() {
		b.StopTimer()
		c := cpuTime(b)
		warm(b, path)
		warming += cpuTime(b) - c
		b.StartTimer()
		f, err := os.Open(path)
		if err != nil {
			b.Fatal(err)
		}
		minutes, counted, err := countEncodingJSON(f)
		f.Close()
		if err != nil {
			b.Fatal(err)
		}
		if counted != benchFileFrames || len(minutes) == 0 {
			b.Fatalf("counted %d of %d frames in %d minutes", counted, benchFileFrames, len(minutes))
		}
	}
	reportRates(b, size, cpu0+warming)
}

// countEncodingJSON counts the distinct uids per minute of r with encoding/json.
func countEncodingJSON(r io.Reader) (map[int64]int, int, error) {
	sets := map[int64]map[string]struct{}{}
	counted := 0
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for sc.Scan() {
		var m map[string]json.RawMessage
		if json.Unmarshal(sc.Bytes(), &m) != nil || m == nil {
			continue
		}
		var uid string
		if raw, ok := m["uid"]; !ok || json.Unmarshal(raw, &uid) != nil || uid == "" {
			continue
		}
		raw, ok := m["ts"]
		if !ok {
			continue
		}
		if len(raw) > 0 && raw[0] == '"' {
			var s string
			if json.Unmarshal(raw, &s) != nil {
				continue
			}
			raw = []byte(s)
		}
		ts, err := strconv.ParseInt(string(raw), 10, 64)
		if err != nil || ts < 0 {
			continue
		}
		minute := ts - ts%60
		set := sets[minute]
		if set == nil {
			set = map[string]struct{}{}
			sets[minute] = set
		}
		set[uid] = struct{}{}
		counted++
	}
	out := make(map[int64]int, len(sets))
	for m, s := range sets {
		out[m] = len(s)
	}
	return out, counted, sc.Err()
}

// BenchmarkReadLines is the floor of the pipeline's reading: the file through
// OpenInput and the chunk reader, every line found, nothing parsed.
func BenchmarkReadLines(b *testing.B) {
	path, size := benchInput(b)
	b.SetBytes(size)
	buf := make([]byte, 0, chunkSize)
	var warming time.Duration
	cpu0 := cpuTime(b)
	for b.Loop() {
		b.StopTimer()
		c := cpuTime(b)
		warm(b, path)
		warming += cpuTime(b) - c
		b.StartTimer()
		f, err := os.Open(path)
		if err != nil {
			b.Fatal(err)
		}
		r, closeIn, err := OpenInput(f)
		if err != nil {
			b.Fatal(err)
		}
		cr := chunkReader{r: r}
		lines := 0
		for {
			buf, err = cr.next(buf)
			if err == io.EOF {
				break
			} else if err != nil {
				b.Fatal(err)
			}
			for rest := buf; len(rest) > 0; lines++ {
				i := bytes.IndexByte(rest, '\n')
				if i < 0 {
					i = len(rest) - 1
				}
				rest = rest[i+1:]
			}
		}
		closeIn()
		f.Close()
		if lines != benchFileFrames {
			b.Fatalf("%d lines, want %d", lines, benchFileFrames)
		}
	}
	reportRates(b, size, cpu0+warming)
}

// BenchmarkHashInsert is the counting step of one minute: hashing the uid
// of each of its 60,000 frames (from 100,000 users, as in the bench file) and
// inserting the hash into the minute's exact set, reused from the minute
// before. One minute an op; MB/s is the input rate this step alone would
// sustain for 2,070-byte frames.
func BenchmarkHashInsert(b *testing.B) {
	const users, perMinute, frameSize = 100_000, 60_000, 2070
	g := framegen.New(framegen.Config{Seed: 1, Users: users})
	uids := make([][]byte, perMinute)
	rng := uint64(1)
	for i := range uids {
		rng = rng*6364136223846793005 + 1442695040888963407
		uids[i] = []byte(g.UID(int(rng>>33) % users))
	}
	var s state.Set
	b.SetBytes(perMinute * frameSize)
	for b.Loop() {
		s.Reset()
		for _, uid := range uids {
			s.Add(state.Hash(uid))
		}
	}
	if s.Len() < perMinute/2 {
		b.Fatalf("%d distinct uids of %d", s.Len(), perMinute)
	}
	b.ReportMetric(float64(perMinute)*float64(b.N)/b.Elapsed().Seconds(), "frames/s")
}
