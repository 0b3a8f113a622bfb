package processor

import (
	"bytes"
	"context"
	"encoding/json"
	"math"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/headcount/headcount/processor/framegen"
	"github.com/headcount/headcount/state"
)

// The golden test of the whole engine: framegen streams counted by
// Engine.Count must give exactly the per-minute and per-hour counts of an
// independent reference built on encoding/json and Go maps.

// refWindow is the reference count of one window instance.
type refWindow struct {
	frames uint64
	users  map[string]struct{}
}

type refKey struct {
	w     Window
	start int64
}

// refCount is the reference: the counts per window and the reject reason of
// every rejected line, by line number.
type refCount struct {
	windows map[refKey]*refWindow
	rejects map[int64]Reason
}

// refDecode is the contract's frame rules written with encoding/json: the
// line must be one JSON object (a map[string]json.RawMessage, so decoy keys
// such as "UID" stay apart); uid a non-empty string; ts an unsigned integer or
// a string of digits, at most 9999-12-31.
func refDecode(line []byte) (uid string, ts int64, r Reason) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(line, &m); err != nil || m == nil {
		return "", 0, Malformed
	}
	raw, ok := m["uid"]
	if !ok || !bytes.HasPrefix(raw, []byte(`"`)) || json.Unmarshal(raw, &uid) != nil || uid == "" {
		return "", 0, MissingUID
	}
	raw, ok = m["ts"]
	if !ok {
		return "", 0, MissingTS
	}
	s := string(raw)
	if strings.HasPrefix(s, `"`) && json.Unmarshal(raw, &s) != nil {
		return "", 0, BadTS
	}
	if s == "" || strings.Trim(s, "0123456789") != "" {
		return "", 0, BadTS
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil || v > 253402300799 {
		return "", 0, BadTS
	}
	return uid, v, Accepted
}

// reference counts lines (line ends removed). Generated streams span less than
// a day, so a ts more than a day from the median ts is a corrupt one (a
// flipped bit is 12 days or more): ahead of the stream it is a ts_outlier,
// behind it too_late.
func reference(lines [][]byte, windows []Window) refCount {
	type frame struct {
		uid string
		ts  int64
		pos int64
	}
	ref := refCount{windows: map[refKey]*refWindow{}, rejects: map[int64]Reason{}}
	var frames []frame
	for i, l := range lines {
		uid, ts, r := refDecode(l)
		if r != Accepted {
			ref.rejects[int64(i+1)] = r
			continue
		}
		frames = append(frames, frame{uid, ts, int64(i + 1)})
	}
	if len(frames) == 0 {
		return ref
	}
	ts := make([]int64, len(frames))
	for i, f := range frames {
		ts[i] = f.ts
	}
	slices.Sort(ts)
	median := ts[len(ts)/2]
	for _, f := range frames {
		switch {
		case f.ts > median+86400:
			ref.rejects[f.pos] = TSOutlier
			continue
		case f.ts < median-86400:
			ref.rejects[f.pos] = TooLate
			continue
		}
		for _, w := range windows {
			k := refKey{w, w.Start(f.ts)}
			rw := ref.windows[k]
			if rw == nil {
				rw = &refWindow{users: map[string]struct{}{}}
				ref.windows[k] = rw
			}
			rw.frames++
			rw.users[f.uid] = struct{}{}
		}
	}
	return ref
}

// engineOutput is what Engine.Count published for a stream.
type engineOutput struct {
	results []Result
	rejects map[int64]Reason
	text    []byte // results and rejects as written, for determinism checks
}

func countWithEngine(t *testing.T, cfg Config, input []byte, procs int) engineOutput {
	t.Helper()
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
	out := engineOutput{rejects: map[int64]Reason{}}
	e, err := NewEngine(cfg, func(r Result) {
		out.results = append(out.results, r)
		out.text = append(r.AppendJSON(out.text), '\n')
	}, func(f Frame, r Reason) {
		if _, dup := out.rejects[f.Pos]; dup {
			t.Errorf("line %d rejected twice", f.Pos)
		}
		out.rejects[f.Pos] = r
		out.text = append(AppendReject(out.text, f, r, "in"), '\n')
	})
	if err != nil {
		t.Fatal(err)
	}
	// Two inputs, cut in the middle, form one stream.
	cut := bytes.IndexByte(input[len(input)/2:], '\n') + len(input)/2 + 1
	n1, err := e.Count(context.Background(), bytes.NewReader(input[:cut]), 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Count(context.Background(), bytes.NewReader(input[cut:]), n1); err != nil {
		t.Fatal(err)
	}
	e.Flush()
	return out
}

func TestEngineGolden(t *testing.T) {
	frames := 30000
	if testing.Short() {
		frames = 6000
	}
	base := framegen.Config{Seed: 11, Frames: frames, Users: 2000, Rate: 5}
	scenarios := []struct {
		name   string
		modify func(*framegen.Config)
		// want is the least number of rejects of each reason the stream must
		// contain, so that the comparison is not vacuous.
		want map[Reason]int
	}{
		{"ordered", func(*framegen.Config) {}, nil},
		{"10% delayed up to 5 s", func(c *framegen.Config) { c.Delayed, c.MaxDelay = 0.1, 5 }, nil},
		{"flips, truncated, garbage, invalid", func(c *framegen.Config) {
			c.Delayed, c.Flipped, c.Truncated, c.Garbage, c.Invalid = 0.1, 0.002, 0.002, 0.002, 0.002
		}, map[Reason]int{Malformed: 2, MissingUID: 1, MissingTS: 1, BadTS: 1, TSOutlier: 1, TooLate: 1}},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			gc := base
			sc.modify(&gc)
			var buf bytes.Buffer
			if _, err := framegen.New(gc).WriteTo(&buf); err != nil {
				t.Fatal(err)
			}
			input := buf.Bytes()
			var lines [][]byte
			for l := range bytes.Lines(input) {
				lines = append(lines, bytes.TrimSuffix(bytes.TrimSuffix(l, []byte("\n")), []byte("\r")))
			}

			cfg := DefaultConfig()
			cfg.Windows = []Window{Minute, Hour, Day, Week, Month, Year}
			cfg.Early = 0
			ref := reference(lines, cfg.Windows)

			var first engineOutput
			for i, procs := range []int{1, 2, 4} {
				out := countWithEngine(t, cfg, input, procs)
				if i == 0 {
					first = out
					continue
				}
				if !bytes.Equal(out.text, first.text) {
					t.Fatalf("GOMAXPROCS=%d: output differs from GOMAXPROCS=1", procs)
				}
			}
			checkAgainstReference(t, first, ref)

			byReason := map[Reason]int{}
			for _, r := range ref.rejects {
				byReason[r]++
			}
			for r, n := range sc.want {
				if byReason[r] < n {
					t.Errorf("stream has %d %v lines, want at least %d: make the scenario harder", byReason[r], r, n)
				}
			}
			t.Logf("%d lines, %d windows, rejects %v", len(lines), len(ref.windows), byReason)
		})
	}
}

func checkAgainstReference(t *testing.T, out engineOutput, ref refCount) {
	t.Helper()
	// Rejected lines: the same lines, for the same reasons.
	for pos, want := range ref.rejects {
		if got, ok := out.rejects[pos]; !ok || got != want {
			t.Errorf("line %d: engine says %v, reference %v", pos, got, want)
		}
	}
	for pos, got := range out.rejects {
		if _, ok := ref.rejects[pos]; !ok {
			t.Errorf("line %d: engine rejected it as %v, reference counted it", pos, got)
		}
	}

	// Exactly one final per window; the answer is the last final or revised.
	answers := map[refKey]Result{}
	finals := map[refKey]int{}
	for _, r := range out.results {
		k := refKey{r.Window, r.Start}
		switch r.Status {
		case Final:
			finals[k]++
			answers[k] = r
		case Revised:
			if finals[k] == 0 {
				t.Errorf("%v %d: revised before final", r.Window, r.Start)
			}
			answers[k] = r
		case Early:
			t.Errorf("%v %d: early result with early results off", r.Window, r.Start)
		}
	}
	for k, n := range finals {
		if n != 1 {
			t.Errorf("%v %d: %d final results", k.w, k.start, n)
		}
	}
	if len(answers) != len(ref.windows) {
		t.Errorf("engine answered for %d windows, reference has %d", len(answers), len(ref.windows))
	}
	for k, rw := range ref.windows {
		got, ok := answers[k]
		if !ok {
			t.Errorf("%v %d: no answer", k.w, k.start)
			continue
		}
		uniques := uint64(len(rw.users))
		if got.End != k.w.End(k.start) || got.Frames != rw.frames {
			t.Errorf("%v %d: end %d, %d frames; reference %d, %d", k.w, k.start, got.End, got.Frames, k.w.End(k.start), rw.frames)
		}
		switch k.w {
		case Minute, Hour:
			if !got.Exact || got.Uniques != uniques {
				t.Errorf("%v %d: %d uniques (exact %v), reference %d", k.w, k.start, got.Uniques, got.Exact, uniques)
			}
		default:
			if got.Exact || math.Abs(float64(got.Uniques)-float64(uniques)) > 3*got.ErrorBound*float64(uniques) {
				t.Errorf("%v %d: %d uniques (exact %v, bound %g), reference %d", k.w, k.start, got.Uniques, got.Exact, got.ErrorBound, uniques)
			}
		}
	}
}

// TestSketchAccuracy measures the relative error of the sketch windows'
// estimates against the exact number of distinct generated uids, through the
// store: 20 seeds × 4 sizes from 10k to 100k uniques (each uid seen one to
// three times). Every estimate must be within 3 error bounds; the mean and
// max are logged for the README.
func TestSketchAccuracy(t *testing.T) {
	sizes := []int{10_000, 30_000, 60_000, 100_000}
	seeds := 20
	if testing.Short() {
		seeds = 3
	}
	var sum, worst, bound float64
	for _, size := range sizes {
		var sizeSum, sizeWorst float64
		for seed := range seeds {
			g := framegen.New(framegen.Config{Seed: int64(seed + 1), Users: size})
			var got []Result
			s := NewStore(StoreConfig{Windows: []Window{Hour, Day}, Grace: 5, Lateness: 60},
				func(r Result) { got = append(got, r) })
			for j := range size {
				h := state.Hash([]byte(g.UID(j)))
				for range 1 + (j*7+seed)%3 {
					s.Add(h, storeT0+int64(j%1200)) // all in one hour
				}
			}
			s.Flush()
			if len(got) != 2 || got[0].Exact || got[1].Exact || got[0].Uniques != got[1].Uniques {
				t.Fatalf("results %+v, want an hour and a day sketch of the same uids", got)
			}
			r := got[1]
			e := math.Abs(float64(r.Uniques)-float64(size)) / float64(size)
			if e > 3*r.ErrorBound {
				t.Errorf("seed %d, %d uniques: estimate %d is off by %.3f%%, over 3 × %.3f%%",
					seed+1, size, r.Uniques, 100*e, 100*r.ErrorBound)
			}
			sizeSum += e
			sizeWorst = max(sizeWorst, e)
			bound = r.ErrorBound
		}
		t.Logf("%6d uniques, %d seeds: mean relative error %.3f%%, max %.3f%%", size, seeds, 100*sizeSum/float64(seeds), 100*sizeWorst)
		sum += sizeSum
		worst = max(worst, sizeWorst)
	}
	mean := sum / float64(seeds*len(sizes))
	t.Logf("all %d estimates: mean relative error %.3f%%, max %.3f%% (error bound %.3f%%)", seeds*len(sizes), 100*mean, 100*worst, 100*bound)
	if mean > bound {
		t.Errorf("mean relative error %.3f%% exceeds the error bound %.3f%%", 100*mean, 100*bound)
	}
}

// TestEngineGoldenLineNumbers: a reject's position is its line number in the
// stream, wherever chunks were cut.
func TestEngineGoldenLineNumbers(t *testing.T) {
	var buf bytes.Buffer
	framegen.New(framegen.Config{Seed: 3, Frames: 3000, Garbage: 0.05}).WriteTo(&buf)
	out := countWithEngine(t, testConfig(), buf.Bytes(), 2)
	i := 0
	for l := range bytes.Lines(buf.Bytes()) {
		i++
		_, _, want := refDecode(bytes.TrimRight(l, "\r\n"))
		if got := out.rejects[int64(i)]; got != want { // Accepted is the zero Reason
			t.Errorf("line %d: %v, want %v", i, got, want)
		}
	}
	if len(out.rejects) == 0 {
		t.Error("no rejects in a stream with 5% garbage")
	}
}
