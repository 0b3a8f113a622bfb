package framegen

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/bits"
	"slices"
	"strconv"
	"testing"
)

// lines generates cfg and splits the output into lines, line ends removed.
func lines(t testing.TB, cfg Config) [][]byte {
	t.Helper()
	var buf bytes.Buffer
	if _, err := New(cfg).WriteTo(&buf); err != nil {
		t.Fatalf("WriteTo: %v", err)
	}
	out := bytes.SplitAfter(buf.Bytes(), []byte("\n"))
	if len(out[len(out)-1]) == 0 {
		out = out[:len(out)-1]
	}
	for i, l := range out {
		out[i] = bytes.TrimSuffix(bytes.TrimSuffix(l, []byte("\n")), []byte("\r"))
	}
	return out
}

// member is one top-level member of a frame.
type member struct {
	key string
	raw json.RawMessage
}

// topLevel returns the top-level members of a JSON object in order, duplicates
// kept, using encoding/json only.
func topLevel(line []byte) ([]member, error) {
	if !json.Valid(line) {
		return nil, errors.New("invalid JSON")
	}
	dec := json.NewDecoder(bytes.NewReader(line))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, fmt.Errorf("not an object: %v %v", tok, err)
	}
	var ms []member
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, err
		}
		ms = append(ms, member{key: tok.(string), raw: raw})
	}
	return ms, nil
}

// extract is an independent reference for the contract: the top-level uid and
// ts of a line, or the reason the line is rejected (outliers and lateness aside).
func extract(line []byte) (uid string, ts int64, reason string) {
	ms, err := topLevel(line)
	if err != nil {
		return "", 0, "malformed"
	}
	var rawUID, rawTS json.RawMessage
	nUID, nTS := 0, 0
	for _, m := range ms {
		switch m.key {
		case "uid":
			rawUID, nUID = m.raw, nUID+1
		case "ts":
			rawTS, nTS = m.raw, nTS+1
		}
	}
	if nUID > 1 || nTS > 1 {
		return "", 0, "duplicate" // never generated
	}
	if err := json.Unmarshal(rawUID, &uid); rawUID == nil || err != nil || uid == "" {
		return "", 0, "missing_uid"
	}
	if rawTS == nil {
		return "", 0, "missing_ts"
	}
	digits := string(rawTS)
	if rawTS[0] == '"' {
		if err := json.Unmarshal(rawTS, &digits); err != nil {
			return "", 0, "bad_ts"
		}
	}
	for _, c := range []byte(digits) {
		if c < '0' || c > '9' {
			return "", 0, "bad_ts"
		}
	}
	ts, err = strconv.ParseInt(digits, 10, 64)
	if err != nil {
		return "", 0, "bad_ts"
	}
	return uid, ts, "accepted"
}

func TestDeterminism(t *testing.T) {
	cfg := Config{Seed: 42, Frames: 3000, Delayed: 0.2, Flipped: 0.01, Truncated: 0.02, Garbage: 0.02, Invalid: 0.02}
	var a, b bytes.Buffer
	if _, err := New(cfg).WriteTo(&a); err != nil {
		t.Fatal(err)
	}
	if _, err := New(cfg).WriteTo(&b); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Fatal("same config, different output")
	}
	// Append, one line at a time, gives the same bytes as WriteTo.
	g := New(cfg)
	var c []byte
	for ok := true; ok; {
		c, ok = g.Append(c)
	}
	if !bytes.Equal(a.Bytes(), c) {
		t.Fatal("Append and WriteTo differ")
	}
	cfg.Seed = 43
	var d bytes.Buffer
	if _, err := New(cfg).WriteTo(&d); err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(a.Bytes(), d.Bytes()) {
		t.Fatal("different seeds, same output")
	}
	if n := bytes.Count(a.Bytes(), []byte("\n")); n != cfg.Frames {
		t.Fatalf("%d lines, want %d", n, cfg.Frames)
	}
}

func TestUIDPool(t *testing.T) {
	g := New(Config{Seed: 7, Users: 50000})
	seen := make(map[string]bool, 50000)
	for j := range 50000 {
		u := g.UID(j)
		if len(u) != uidLen || !isLowerHex(u) {
			t.Fatalf("uid %d = %q, want 19 lowercase hex characters", j, u)
		}
		if seen[u] {
			t.Fatalf("uid %d = %q repeats", j, u)
		}
		seen[u] = true
	}
	if New(Config{Seed: 8}).UID(0) == g.UID(0) {
		t.Error("the uid pool does not depend on the seed")
	}
}

func isLowerHex(s string) bool {
	for _, c := range []byte(s) {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// TestValidFrames checks every frame of a clean stream against encoding/json and
// the contract, and measures the shape: size, backslashes, tokens, decoys.
func TestValidFrames(t *testing.T) {
	cfg := Config{Seed: 1, Frames: 5000}
	full := cfg.withDefaults()
	var size, backslashes, tokens, decoyUIDs, stringTS, spaced, early int
	for i, line := range lines(t, cfg) {
		uid, ts, reason := extract(line)
		if reason != "accepted" {
			t.Fatalf("line %d: %s: %s", i, reason, line)
		}
		if len(uid) != uidLen || !isLowerHex(uid) {
			t.Fatalf("line %d: uid %q", i, uid)
		}
		if want := full.eventTS(i); ts != want {
			t.Fatalf("line %d: ts %d, want %d", i, ts, want)
		}
		ms, _ := topLevel(line)
		for k, m := range ms {
			if m.key == "uid" || m.key == "ts" {
				early = max(early, k)
			}
			if m.key == "ts" && m.raw[0] == '"' {
				stringTS++
			}
		}
		size += len(line) + 1
		backslashes += bytes.Count(line, []byte(`\`))
		tokens += countTokens(t, line)
		decoyUIDs += bytes.Count(line, []byte(`"uid"`)) - 1
		if bytes.Contains(line, []byte(`": `)) {
			spaced++
		}
	}
	n := float64(cfg.Frames)
	t.Logf("per frame: %.0f bytes, %.0f backslashes, %.0f tokens, %.1f nested \"uid\" keys; %.1f%% string ts, %.1f%% with spaces",
		float64(size)/n, float64(backslashes)/n, float64(tokens)/n, float64(decoyUIDs)/n, 100*float64(stringTS)/n, 100*float64(spaced)/n)
	if avg := float64(size) / n; avg < 1900 || avg > 2200 {
		t.Errorf("average line is %.0f bytes, want about 2 KB", avg)
	}
	if avg := float64(backslashes) / n; avg < 120 {
		t.Errorf("%.0f backslashes per frame, want at least 120", avg)
	}
	if avg := float64(tokens) / n; avg < 150 {
		t.Errorf("%.0f tokens per frame, want at least 150", avg)
	}
	if avg := float64(decoyUIDs) / n; avg < 1 {
		t.Errorf("%.1f nested uid keys per frame, want at least 1", avg)
	}
	if early != 5 {
		t.Errorf("uid and ts come at most at position %d, want 5 (3 keys before them and one between)", early)
	}
	checkShare(t, "string ts", stringTS, cfg.Frames, DefaultStringTS)
}

// countTokens counts the JSON tokens of line as encoding/json sees them:
// delimiters, keys and scalar values.
func countTokens(t *testing.T, line []byte) int {
	dec := json.NewDecoder(bytes.NewReader(line))
	n := 0
	for {
		if _, err := dec.Token(); err == io.EOF {
			return n
		} else if err != nil {
			t.Fatalf("token %d: %v", n, err)
		}
		n++
	}
}

// checkShare fails when got out of n is more than 5 standard deviations away from
// a binomial with share p.
func checkShare(t *testing.T, what string, got, n int, p float64) {
	t.Helper()
	want := p * float64(n)
	if sd := math.Sqrt(float64(n) * p * (1 - p)); math.Abs(float64(got)-want) > 5*sd+1 {
		t.Errorf("%s: %d of %d lines, want about %.0f", what, got, n, want)
	}
}

// TestFaults checks each kind of bad line against encoding/json, and the shares.
func TestFaults(t *testing.T) {
	cfg := Config{Seed: 3, Frames: 20000, Flipped: 0.02, Truncated: 0.03, Garbage: 0.03, Invalid: 0.03, CRLF: 0.1}
	g := New(cfg)
	var raw bytes.Buffer
	if _, err := g.WriteTo(&raw); err != nil {
		t.Fatal(err)
	}
	var truncated, garbage, invalid, flipped, crlf int
	reasons := map[string]int{}
	for i, full := range bytes.SplitAfter(raw.Bytes(), []byte("\n"))[:cfg.Frames] {
		p := g.plan(i) // no delays: line i is frame i
		line := bytes.TrimSuffix(full, []byte("\n"))
		if l, ok := bytes.CutSuffix(line, []byte("\r")); ok {
			crlf++
			line = l
		}
		if bytes.ContainsAny(line, "\n") {
			t.Fatalf("line %d holds a line feed", i)
		}
		_, ts, reason := extract(line)
		switch {
		case p.kind == garbageLine || p.truncate:
			if p.kind == garbageLine {
				garbage++
			} else {
				truncated++
			}
			if json.Valid(line) {
				t.Fatalf("line %d: garbage or truncated line is valid JSON: %s", i, line)
			}
		case p.kind == invalidLine:
			invalid++
			if !json.Valid(line) || reason == "accepted" {
				t.Fatalf("line %d: contract-breaking frame: valid JSON %v, reason %s: %s", i, json.Valid(line), reason, line)
			}
			reasons[reason]++
		default:
			if reason != "accepted" {
				t.Fatalf("line %d: %s: %s", i, reason, line)
			}
			want := g.cfg.eventTS(i)
			if p.flipBit >= 0 {
				flipped++
				d := ts - want
				if d < 0 {
					d = -d
				}
				if bits.OnesCount64(uint64(d)) != 1 || d < 1<<20 || d > 1<<31 || bits.OnesCount64(uint64(ts^want)) != 1 {
					t.Fatalf("line %d: flipped ts %d, unflipped %d: not one bit in 20..31", i, ts, want)
				}
			} else if ts != want {
				t.Fatalf("line %d: ts %d, want %d", i, ts, want)
			}
		}
	}
	t.Logf("garbage %d, truncated %d, invalid %d %v, flipped %d, crlf %d", garbage, truncated, invalid, reasons, flipped, crlf)
	checkShare(t, "garbage", garbage, cfg.Frames, cfg.Garbage)
	checkShare(t, "truncated", truncated, cfg.Frames-garbage, cfg.Truncated)
	checkShare(t, "flipped", flipped, cfg.Frames-garbage-truncated-invalid, cfg.Flipped)
	checkShare(t, "crlf", crlf, cfg.Frames, cfg.CRLF)
	for _, r := range []string{"missing_uid", "missing_ts", "bad_ts"} {
		if reasons[r] == 0 {
			t.Errorf("no contract-breaking frame rejected as %s", r)
		}
	}
}

// TestKnobsIndependent: a knob changes only the lines it touches.
func TestKnobsIndependent(t *testing.T) {
	base := Config{Seed: 5, Frames: 2000}
	clean := lines(t, base)
	faulty := base
	faulty.Garbage, faulty.Truncated, faulty.Flipped = 0.05, 0.05, 0.05
	g := New(faulty)
	for i, line := range lines(t, faulty) {
		p := g.plan(i)
		touched := p.kind != frameLine || p.truncate || p.flipBit >= 0
		if same := bytes.Equal(line, clean[i]); same == touched {
			t.Fatalf("line %d: touched by a knob %v, but equal to the clean line %v", i, touched, same)
		}
	}
}

// TestDelays: delayed frames come out later, by at most MaxDelay seconds of
// stream time, and every frame exactly once.
func TestDelays(t *testing.T) {
	for _, cfg := range []Config{
		{Seed: 9, Frames: 20000, Delayed: 0.1},
		{Seed: 9, Frames: 20000, Delayed: 0.5, MaxDelay: 2, Rate: 300},
		{Seed: 9, Frames: 3000, Delayed: 0.3, Interval: 1.7},
		{Seed: 9, Frames: 3000, Delayed: 0.3, Interval: 630}, // sparse: delays shorter than the gap
	} {
		t.Run(fmt.Sprintf("delayed=%v,max=%d,rate=%d,interval=%v", cfg.Delayed, cfg.MaxDelay, cfg.Rate, cfg.Interval), func(t *testing.T) {
			ordered := cfg
			ordered.Delayed = 0
			want := lines(t, ordered)
			got := lines(t, cfg)
			maxDelay := int64(New(cfg).cfg.MaxDelay)
			var newest, maxLate int64
			late := 0
			for i, line := range got {
				_, ts, reason := extract(line)
				if reason != "accepted" {
					t.Fatalf("line %d: %s", i, reason)
				}
				if lag := newest - ts; lag > 0 {
					late++
					maxLate = max(maxLate, lag)
				}
				newest = max(newest, ts)
			}
			t.Logf("%d of %d frames out of order, lagging up to %d s", late, len(got), maxLate)
			if maxLate > maxDelay {
				t.Errorf("a frame lags %d s, more than MaxDelay %d s", maxLate, maxDelay)
			}
			if cfg.Interval < float64(maxDelay) && maxLate < maxDelay-1 {
				t.Errorf("frames lag at most %d s, want close to MaxDelay %d s", maxLate, maxDelay)
			}
			if cfg.Interval < 1 && late < int(cfg.Delayed*float64(cfg.Frames)/2) {
				t.Errorf("only %d frames out of order", late)
			}
			slices.SortFunc(got, bytes.Compare)
			slices.SortFunc(want, bytes.Compare)
			if !slices.EqualFunc(got, want, bytes.Equal) {
				t.Error("the delayed stream does not hold the same frames as the ordered one")
			}
		})
	}
}

func TestConfigDefaults(t *testing.T) {
	got := New(Config{StringTS: -1, CRLF: -1, Delayed: 2, Garbage: math.NaN()}).Config()
	want := Config{
		Frames: DefaultFrames, Users: DefaultUsers, Rate: DefaultRate, Start: DefaultStart,
		MaxDelay: DefaultMaxDelay, Delayed: 1,
	}
	if got != want {
		t.Errorf("Config() = %+v, want %+v", got, want)
	}
	for i, line := range lines(t, Config{Frames: 500, StringTS: -1, CRLF: -1}) {
		ms, err := topLevel(line)
		if err != nil {
			t.Fatalf("line %d: %v", i, err)
		}
		for _, m := range ms {
			if m.key == "ts" && m.raw[0] == '"' {
				t.Fatalf("line %d has a string ts with StringTS < 0", i)
			}
		}
	}
}

// TestDistinctUsersPerMinute: with the defaults, a full minute has 40k to 50k
// distinct users, as in the challenge sample (uniform choice gives
// 100k·(1-e^-0.6) ≈ 45k).
func TestDistinctUsersPerMinute(t *testing.T) {
	if testing.Short() {
		t.Skip("decodes 120 MB with encoding/json")
	}
	const minutes = 2
	cfg := Config{Seed: 11, Frames: minutes * 60 * DefaultRate}
	perMinute := map[int64]map[string]bool{}
	for _, line := range lines(t, cfg) {
		uid, ts, reason := extract(line)
		if reason != "accepted" {
			t.Fatalf("%s: %s", reason, line)
		}
		m := ts - ts%60
		if perMinute[m] == nil {
			perMinute[m] = map[string]bool{}
		}
		perMinute[m][uid] = true
	}
	if len(perMinute) != minutes {
		t.Fatalf("%d minutes, want %d (Start is on a minute)", len(perMinute), minutes)
	}
	for m, users := range perMinute {
		t.Logf("minute %d: %d distinct users", m, len(users))
		if n := len(users); n < 40000 || n > 50000 {
			t.Errorf("minute %d: %d distinct users, want 40,000 to 50,000", m, n)
		}
	}
}

type failWriter struct{ n int }

func (w *failWriter) Write(p []byte) (int, error) {
	if w.n--; w.n < 0 {
		return 0, errors.New("disk full")
	}
	return len(p), nil
}

func TestWriteToError(t *testing.T) {
	n, err := New(Config{Frames: 5000}).WriteTo(&failWriter{n: 2})
	if err == nil || n == 0 {
		t.Fatalf("WriteTo = %d, %v; want the bytes written before the error, and the error", n, err)
	}
}

func BenchmarkGenerate(b *testing.B) {
	for _, bc := range []struct {
		name string
		cfg  Config
	}{
		{"clean", Config{Seed: 1}},
		{"faulty", Config{Seed: 1, Delayed: 0.1, Flipped: 0.001, Truncated: 0.001, Garbage: 0.001, Invalid: 0.001}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			bc.cfg.Frames = math.MaxInt
			g := New(bc.cfg)
			buf := make([]byte, 0, 1<<16)
			var size int64
			for b.Loop() {
				buf, _ = g.Append(buf[:0])
				size += int64(len(buf))
			}
			b.SetBytes(size / int64(b.N))
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "frames/s")
		})
	}
}

func ExampleGenerator_Append() {
	g := New(Config{Seed: 1, Frames: 3})
	var line []byte
	for ok := true; ; {
		if line, ok = g.Append(line[:0]); !ok {
			break
		}
		uid, ts, _ := extract(bytes.TrimSpace(line))
		fmt.Println(len(uid), ts)
	}
	// Output:
	// 19 1468244340
	// 19 1468244340
	// 19 1468244340
}
