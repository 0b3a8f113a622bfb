package processor

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/headcount/headcount/state"
)

// line returns a frame of user u at ts.
func line(u int, ts int64) []byte {
	return fmt.Appendf(nil, `{"level":"info","uid":"u%05d","ts":%d}`, u, ts)
}

// engineRun is an Engine with everything it emitted recorded.
type engineRun struct {
	*Engine
	results resultLog
	rejects []string // "pos:reason"
}

func newEngineRun(t *testing.T, cfg Config) *engineRun {
	t.Helper()
	er := &engineRun{}
	e, err := NewEngine(cfg, er.results.emit, func(f Frame, r Reason) {
		er.rejects = append(er.rejects, fmt.Sprintf("%d:%v", f.Pos, r))
	})
	if err != nil {
		t.Fatalf("NewEngine: %v", err)
	}
	er.Engine = e
	return er
}

// feed offers lines to the engine one by one, numbering them from pos+1.
func (er *engineRun) feed(pos int64, lines ...[]byte) int64 {
	for _, l := range lines {
		pos++
		er.Line(l, pos)
	}
	return pos
}

func testConfig() Config {
	cfg := DefaultConfig()
	cfg.Early = 0
	cfg.OutlierQuorum = 4
	return cfg
}

func TestEngineConfigValidation(t *testing.T) {
	tests := []struct {
		name   string
		modify func(*Config)
		want   string // in the error; empty: valid
	}{
		{"default", func(*Config) {}, ""},
		{"no windows", func(c *Config) { c.Windows = nil }, "no windows"},
		{"negative grace", func(c *Config) { c.Grace = -time.Second }, "grace"},
		{"negative early", func(c *Config) { c.Early = -time.Second }, "early"},
		{"negative lateness", func(c *Config) { c.AllowedLateness = -1 }, "lateness"},
		{"horizon under a second", func(c *Config) { c.OutlierHorizon = time.Millisecond }, "horizon"},
		{"quorum zero", func(c *Config) { c.OutlierQuorum = 0 }, "quorum"},
		{"zero grace and lateness", func(c *Config) { c.Grace, c.AllowedLateness, c.Early = 0, 0, 0 }, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := DefaultConfig()
			tc.modify(&cfg)
			_, err := NewEngine(cfg, func(Result) {}, nil)
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("NewEngine: %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Errorf("NewEngine error %v, want one about %q", err, tc.want)
			}
		})
	}
}

// TestEngineRejects: every reason reaches the reject function and the stats,
// with the frame's position; nothing rejected is counted.
func TestEngineRejects(t *testing.T) {
	const t0 = storeT0
	er := newEngineRun(t, testConfig())
	var in [][]byte
	for i := range 10 {
		in = append(in, line(i, t0+int64(i)))
	}
	in = append(in,
		[]byte(`{"uid":"x","ts":1`),                  // 11 malformed (truncated)
		[]byte(`not json`),                           // 12 malformed
		[]byte(`{"ts":1468244350}`),                  // 13 missing_uid
		[]byte(`{"uid":"","ts":1468244350}`),         // 14 missing_uid
		[]byte(`{"uid":"x"}`),                        // 15 missing_ts
		[]byte(`{"uid":"x","ts":-5}`),                // 16 bad_ts
		[]byte(`{"uid":"x","ts":"12a"}`),             // 17 bad_ts
		line(1, t0+10+1<<30),                         // 18 ts_outlier (decided by Flush)
		line(2, t0-1<<22),                            // 19 too_late (bit flip into the past)
		[]byte(`{"uid":"u00003","ts":"1468244351"}`), // 20 counted
		[]byte(""), // 21 malformed
	)
	er.feed(0, in...)
	er.Flush()
	want := []string{"11:malformed", "12:malformed", "13:missing_uid", "14:missing_uid", "15:missing_ts",
		"16:bad_ts", "17:bad_ts", "19:too_late", "21:malformed", "18:ts_outlier"}
	if !slices.Equal(er.rejects, want) {
		t.Errorf("rejects %v, want %v", er.rejects, want)
	}
	st := er.Stats()
	wantCounts := [NumReasons]uint64{Malformed: 3, MissingUID: 2, MissingTS: 1, BadTS: 2, TSOutlier: 1, TooLate: 1}
	if st.Rejects != wantCounts || st.Rejected() != 10 || st.Counted != 11 || st.Lines != 21 {
		t.Errorf("stats %+v (rejected %d), want rejects %v, 11 counted of 21 lines", st, st.Rejected(), wantCounts)
	}
	var size uint64
	for _, l := range in {
		size += uint64(len(l))
	}
	if st.Bytes != size {
		t.Errorf("Bytes = %d, want %d", st.Bytes, size)
	}
	if got, want := brief(er.results), []string{"minute@0 final 10/11/0"}; !slices.Equal(got, want) {
		t.Errorf("results %v, want %v", got, want)
	}
}

// TestEngineFirstFramePastFlip: a bit flip into the past among the first
// frames, held while the gate anchors stream time, ends as too_late, never
// as a window of its own.
func TestEngineFirstFramePastFlip(t *testing.T) {
	for _, at := range []int{0, 1, 3} {
		t.Run(fmt.Sprint("flip at ", at), func(t *testing.T) {
			er := newEngineRun(t, testConfig())
			var in [][]byte
			for i := range 10 {
				in = append(in, line(i, storeT0+int64(i)))
			}
			in = slices.Insert(in, at, line(99, storeT0-1<<22))
			er.feed(0, in...)
			er.Flush()
			if want := []string{fmt.Sprintf("%d:too_late", at+1)}; !slices.Equal(er.rejects, want) {
				t.Errorf("rejects %v, want %v", er.rejects, want)
			}
			if got, want := brief(er.results), []string{"minute@0 final 10/10/0"}; !slices.Equal(got, want) {
				t.Errorf("results %v, want %v", got, want)
			}
		})
	}
}

// TestEngineJump: a stream that jumps a week ahead is followed, and every
// frame on both sides of the gap is counted.
func TestEngineJump(t *testing.T) {
	cfg := testConfig()
	cfg.Windows = []Window{Minute, Hour}
	er := newEngineRun(t, cfg)
	var in [][]byte
	for i := range 20 {
		in = append(in, line(i, storeT0+int64(i)))
	}
	for i := range 20 {
		in = append(in, line(i%5, storeT0+7*86400+int64(i)))
	}
	er.feed(0, in...)
	er.Flush()
	if len(er.rejects) != 0 {
		t.Errorf("rejects %v", er.rejects)
	}
	want := []string{"minute@0 final 20/20/0", "hour@-2340 final 20/20/0", "minute@604800 final 5/20/0", "hour@602460 final 5/20/0"}
	if got := brief(er.results); !slices.Equal(got, want) {
		t.Errorf("results %v, want %v", got, want)
	}
}

// TestEngineJumpShortLateness: frames held while a jump awaits its quorum are
// counted even when the jump's own span exceeds the allowed lateness.
func TestEngineJumpShortLateness(t *testing.T) {
	cfg := testConfig()
	cfg.AllowedLateness = 0
	cfg.Grace = 0
	er := newEngineRun(t, cfg)
	var in [][]byte
	for i := range 10 {
		in = append(in, line(i, storeT0+int64(i)))
	}
	// The new stream's first frames span 50 minutes.
	for i := range 10 {
		in = append(in, line(i, storeT0+86400+int64(i)*300))
	}
	er.feed(0, in...)
	er.Flush()
	if len(er.rejects) != 0 {
		t.Errorf("rejects %v", er.rejects)
	}
	var frames uint64
	for _, r := range er.results {
		frames += r.Frames
	}
	if frames != 20 {
		t.Errorf("results %v count %d frames, want 20", brief(er.results), frames)
	}
}

// TestEngineEarly: Early publishes early results only when configured, and
// revisions always.
func TestEngineEarly(t *testing.T) {
	for _, early := range []time.Duration{0, time.Second} {
		t.Run(fmt.Sprint("early ", early), func(t *testing.T) {
			cfg := testConfig()
			cfg.Early = early
			er := newEngineRun(t, cfg)
			var in [][]byte
			for i := range 70 {
				in = append(in, line(i, storeT0+int64(i)))
			}
			pos := er.feed(0, in...)
			er.results.take()
			er.feed(pos, line(1000, storeT0+1)) // late for minute 0, final at T0+65
			er.Early()
			var want []string
			if early > 0 {
				want = append(want, "minute@60 early 10/10/0")
			}
			want = append(want, "minute@0 revised 61/61/1")
			if got := brief(er.results.take()); !slices.Equal(got, want) {
				t.Errorf("Early published %v, want %v", got, want)
			}
		})
	}
}

// TestEngineLineMatchesExtracted: Line is Extract, Hash and Extracted.
func TestEngineLineMatchesExtracted(t *testing.T) {
	var in [][]byte
	for i := range 50 {
		in = append(in, line(i%7, storeT0+int64(i)*7))
	}
	in = append(in, []byte("garbage"))
	a := newEngineRun(t, testConfig())
	a.feed(0, in...)
	a.Flush()
	b := newEngineRun(t, testConfig())
	var x Extractor
	for i, l := range in {
		uid, ts, r := x.Extract(l)
		b.Extracted(l, int64(i+1), state.Hash(uid), ts, r)
	}
	b.Flush()
	if !slices.Equal(brief(a.results), brief(b.results)) || !slices.Equal(a.rejects, b.rejects) || a.Stats() != b.Stats() {
		t.Errorf("Line: %v %v %+v\nExtracted: %v %v %+v", brief(a.results), a.rejects, a.Stats(), brief(b.results), b.rejects, b.Stats())
	}
}
