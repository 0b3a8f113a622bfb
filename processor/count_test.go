package processor

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/klauspost/compress/gzip"
)

// countOutput is everything a count run produced.
type countOutput struct {
	results []string // JSON lines
	rejects []string // "pos:reason"
	lines   int64
	stats   Stats
}

// countInputs counts the inputs as one stream, as `headcount count` does with
// several files, and flushes.
func countInputs(t *testing.T, cfg Config, inputs ...io.Reader) countOutput {
	t.Helper()
	var out countOutput
	e, err := NewEngine(cfg, func(r Result) {
		out.results = append(out.results, string(r.AppendJSON(nil)))
	}, func(f Frame, r Reason) {
		out.rejects = append(out.rejects, fmt.Sprintf("%d:%v", f.Pos, r))
	})
	if err != nil {
		t.Fatal(err)
	}
	for i, in := range inputs {
		r, closeIn, err := OpenInput(in)
		if err != nil {
			t.Fatalf("input %d: OpenInput: %v", i, err)
		}
		n, err := e.Count(context.Background(), r, out.lines)
		if err != nil {
			t.Fatalf("input %d: Count: %v", i, err)
		}
		if err := closeIn(); err != nil {
			t.Fatalf("input %d: close: %v", i, err)
		}
		out.lines += n
	}
	e.Flush()
	out.stats = e.Stats()
	return out
}

// countText is countInputs on strings.
func countText(t *testing.T, texts ...string) countOutput {
	t.Helper()
	var rs []io.Reader
	for _, s := range texts {
		rs = append(rs, strings.NewReader(s))
	}
	return countInputs(t, testConfig(), rs...)
}

// sampleLines returns n frames of 30 users, 10 a second, with a malformed line
// every 97 lines, without line ends.
func sampleLines(n int) []string {
	out := make([]string, n)
	for i := range out {
		if i%97 == 96 {
			out[i] = fmt.Sprintf(`{"uid":"broken %d"`, i)
			continue
		}
		out[i] = string(line(i%30, storeT0+int64(i/10)))
	}
	return out
}

func sameOutput(t *testing.T, name string, got, want countOutput) {
	t.Helper()
	if !slices.Equal(got.results, want.results) {
		t.Errorf("%s: results\n%s\nwant\n%s", name, strings.Join(got.results, "\n"), strings.Join(want.results, "\n"))
	}
	if !slices.Equal(got.rejects, want.rejects) {
		t.Errorf("%s: rejects %v, want %v", name, got.rejects, want.rejects)
	}
	if got.lines != want.lines || got.stats.Lines != want.stats.Lines || got.stats.Counted != want.stats.Counted ||
		got.stats.Rejects != want.stats.Rejects {
		t.Errorf("%s: %d lines, stats %+v; want %d, %+v", name, got.lines, got.stats, want.lines, want.stats)
	}
}

// TestCountLineEnds: LF, CRLF, a mix, and a missing final newline all count alike.
func TestCountLineEnds(t *testing.T) {
	ls := sampleLines(500)
	lf := strings.Join(ls, "\n") + "\n"
	want := countText(t, lf)
	if want.stats.Counted != 495 || len(want.rejects) != 5 || want.lines != 500 {
		t.Fatalf("LF input: %d counted, rejects %v, %d lines; want 495, 5, 500", want.stats.Counted, want.rejects, want.lines)
	}
	var mixed strings.Builder
	for i, l := range ls {
		mixed.WriteString(l)
		if i%3 == 0 {
			mixed.WriteString("\r")
		}
		mixed.WriteString("\n")
	}
	for name, text := range map[string]string{
		"crlf":             strings.Join(ls, "\r\n") + "\r\n",
		"mixed":            mixed.String(),
		"no final LF":      strings.TrimSuffix(lf, "\n"),
		"no final CRLF":    strings.Join(ls, "\r\n"),
		"final CR only":    strings.TrimSuffix(lf, "\n") + "\r",
		"bytes one by one": lf,
	} {
		if name == "bytes one by one" {
			e := countInputs(t, testConfig(), &oneByteReader{s: text})
			sameOutput(t, name, e, want)
			continue
		}
		sameOutput(t, name, countText(t, text), want)
	}
}

// oneByteReader returns one byte per Read, as a slow pipe might.
type oneByteReader struct{ s string }

func (r *oneByteReader) Read(p []byte) (int, error) {
	if len(r.s) == 0 {
		return 0, io.EOF
	}
	if len(p) == 0 {
		return 0, nil
	}
	p[0] = r.s[0]
	r.s = r.s[1:]
	return 1, nil
}

// TestCountLongLines: lines longer than a chunk are read whole, valid or not,
// wherever they fall.
func TestCountLongLines(t *testing.T) {
	pad := strings.Repeat(`\"x\\y`, (3*chunkSize)/6)
	long := fmt.Sprintf(`{"pad":"%s","uid":"long","ts":%d}`, pad, storeT0+5)
	longBad := `{"pad":"` + pad // no end
	for _, tc := range []struct {
		name  string
		lines []string
		want  []string
	}{
		{"long first", []string{long, string(line(1, storeT0)), string(line(2, storeT0))}, nil},
		{"long middle", []string{string(line(1, storeT0)), long, string(line(2, storeT0))}, nil},
		{"long last", []string{string(line(1, storeT0)), string(line(2, storeT0)), long}, nil},
		{"long malformed", []string{string(line(1, storeT0)), longBad, long, string(line(2, storeT0))}, []string{"2:malformed"}},
		{"long malformed last", []string{string(line(1, storeT0)), long, longBad}, []string{"3:malformed"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, end := range []string{"\n", ""} {
				out := countText(t, strings.Join(tc.lines, "\n")+end)
				if !slices.Equal(out.rejects, tc.want) {
					t.Errorf("end %q: rejects %v, want %v", end, out.rejects, tc.want)
				}
				wantCounted := uint64(len(tc.lines) - len(tc.want))
				if out.stats.Counted != wantCounted || out.lines != int64(len(tc.lines)) {
					t.Errorf("end %q: %d counted of %d lines, want %d of %d", end, out.stats.Counted, out.lines, wantCounted, len(tc.lines))
				}
			}
		})
	}
}

func TestCountEmptyInputs(t *testing.T) {
	for _, tc := range []struct {
		name    string
		text    string
		lines   int64
		rejects []string
	}{
		{"empty", "", 0, nil},
		{"one newline", "\n", 1, []string{"1:malformed"}},
		{"blank lines", "\n\r\n \n", 3, []string{"1:malformed", "2:malformed", "3:malformed"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := countText(t, tc.text)
			if out.lines != tc.lines || !slices.Equal(out.rejects, tc.rejects) || len(out.results) != 0 || out.stats.Counted != 0 {
				t.Errorf("%d lines, rejects %v, results %v; want %d lines, rejects %v, no results",
					out.lines, out.rejects, out.results, tc.lines, tc.rejects)
			}
		})
	}
	// Empty inputs among others change nothing.
	text := strings.Join(sampleLines(300), "\n") + "\n"
	sameOutput(t, "empty inputs around", countText(t, "", text, ""), countText(t, text))
}

func gzipped(t *testing.T, members ...string) []byte {
	t.Helper()
	var buf bytes.Buffer
	for _, m := range members {
		zw := gzip.NewWriter(&buf)
		if _, err := zw.Write([]byte(m)); err != nil {
			t.Fatal(err)
		}
		if err := zw.Close(); err != nil {
			t.Fatal(err)
		}
	}
	return buf.Bytes()
}

// TestCountGzip: gzip is recognised by its magic bytes alone, multi-member
// files included.
func TestCountGzip(t *testing.T) {
	ls := sampleLines(3000)
	text := strings.Join(ls, "\n") + "\n"
	want := countText(t, text)
	got := countInputs(t, testConfig(), bytes.NewReader(gzipped(t, text)))
	sameOutput(t, "gzip", got, want)
	half := strings.Join(ls[:1500], "\n") + "\n"
	got = countInputs(t, testConfig(), bytes.NewReader(gzipped(t, half, text[len(half):])))
	sameOutput(t, "two gzip members", got, want)
	// A gzip file among plain ones.
	got = countInputs(t, testConfig(), strings.NewReader(half), bytes.NewReader(gzipped(t, text[len(half):])))
	sameOutput(t, "plain then gzip", got, want)

	// One byte of the magic is plain text (and a malformed line).
	out := countText(t, "\x1f")
	if !slices.Equal(out.rejects, []string{"1:malformed"}) {
		t.Errorf(`"\x1f": rejects %v`, out.rejects)
	}
}

func TestOpenInputBadGzip(t *testing.T) {
	_, _, err := OpenInput(strings.NewReader("\x1f\x8b\x00garbage"))
	if err == nil {
		t.Fatal("OpenInput accepted a broken gzip header")
	}
	// A stream that breaks later fails Count.
	z := gzipped(t, strings.Join(sampleLines(3000), "\n"))
	z = z[:len(z)*2/3]
	r, closeIn, err := OpenInput(bytes.NewReader(z))
	if err != nil {
		t.Fatal(err)
	}
	defer closeIn()
	e, _ := NewEngine(testConfig(), func(Result) {}, nil)
	if _, err := e.Count(context.Background(), r, 0); err == nil {
		t.Error("Count of a truncated gzip stream returned no error")
	}
}

// TestCountInputsFormOneStream: inputs cut anywhere between lines count as
// one, line numbers continuing across them.
func TestCountInputsFormOneStream(t *testing.T) {
	ls := sampleLines(4000)
	want := countText(t, strings.Join(ls, "\n")+"\n")
	for _, cuts := range [][]int{{1}, {2000}, {96, 97, 3999}, {1000, 2000, 3000}} {
		var parts []string
		prev := 0
		for _, c := range append(cuts, len(ls)) {
			parts = append(parts, strings.Join(ls[prev:c], "\n")+"\n")
			prev = c
		}
		sameOutput(t, fmt.Sprint("cut at ", cuts), countText(t, parts...), want)
	}
}

// TestCountRejectPositions: positions survive chunking: every reject points
// at its own line.
func TestCountRejectPositions(t *testing.T) {
	ls := sampleLines(20000)
	out := countText(t, strings.Join(ls, "\n"))
	var want []string
	for i, l := range ls {
		if strings.HasPrefix(l, `{"uid":"broken`) {
			want = append(want, fmt.Sprintf("%d:malformed", i+1))
		}
	}
	if !slices.Equal(out.rejects, want) {
		t.Errorf("rejects %v\nwant %v", out.rejects, want)
	}
}

// endless is a reader of frames without end.
type endless struct {
	i   int
	buf []byte
}

func (r *endless) Read(p []byte) (int, error) {
	for len(r.buf) < len(p) {
		r.buf = append(line(r.i%1000, storeT0+int64(r.i/1000)), '\n')
		r.i++
	}
	n := copy(p, r.buf)
	r.buf = r.buf[n:]
	return n, nil
}

// errAfter returns its data and then an error.
type errAfter struct {
	r   io.Reader
	err error
}

func (r *errAfter) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	if err == io.EOF {
		return n, r.err
	}
	return n, err
}

func TestCountCancel(t *testing.T) {
	blocked, w := io.Pipe()
	defer w.Close()
	for name, r := range map[string]io.Reader{
		"endless input": &endless{},
		"blocked input": blocked,
	} {
		t.Run(name, func(t *testing.T) {
			e, _ := NewEngine(DefaultConfig(), func(Result) {}, nil)
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() {
				_, err := e.Count(ctx, r, 0)
				done <- err
			}()
			time.Sleep(50 * time.Millisecond)
			cancel()
			select {
			case err := <-done:
				if !errors.Is(err, context.Canceled) {
					t.Errorf("Count = %v, want %v", err, context.Canceled)
				}
			case <-time.After(5 * time.Second):
				t.Fatal("Count did not return after cancel")
			}
		})
	}
}

func TestCountReadError(t *testing.T) {
	boom := errors.New("disk on fire")
	e, _ := NewEngine(testConfig(), func(Result) {}, nil)
	n, err := e.Count(context.Background(), &errAfter{r: strings.NewReader(strings.Join(sampleLines(100), "\n") + "\n"), err: boom}, 0)
	if !errors.Is(err, boom) {
		t.Errorf("Count = %d, %v; want %v", n, err, boom)
	}
}

// TestCountEarlyTicks: with early results on, a slow input gets early results
// while it is read.
func TestCountEarlyTicks(t *testing.T) {
	cfg := testConfig()
	cfg.Early = 10 * time.Millisecond
	var early int
	e, _ := NewEngine(cfg, func(r Result) {
		if r.Status == Early {
			early++
		}
	}, nil)
	pr, pw := io.Pipe()
	go func() {
		for i := range 20 {
			pw.Write(append(line(i, storeT0+int64(i)), '\n'))
			time.Sleep(5 * time.Millisecond)
		}
		pw.Close()
	}()
	if _, err := e.Count(context.Background(), pr, 0); err != nil {
		t.Fatal(err)
	}
	if early == 0 {
		t.Error("no early result while counting a slow input")
	}
}
