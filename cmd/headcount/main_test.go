package main

import (
	"bytes"
	"compress/gzip"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/headcount/headcount/internal/contracttest"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// binary is the headcount command built once for all tests.
var binary string

func TestMain(m *testing.M) {
	flag.Parse()
	dir, err := os.MkdirTemp("", "headcount-cli-test")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "headcount")
	if out, err := exec.Command("go", "build", "-o", binary, ".").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "go build: %v\n%s", err, out)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// run runs the binary with args (stdin from stdin, env added to the
// environment) and returns its stdout, stderr and exit code.
func run(t *testing.T, stdin []byte, env []string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdin = bytes.NewReader(stdin)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		return o.String(), e.String(), ee.ExitCode()
	} else if err != nil {
		t.Fatalf("run %v: %v", args, err)
	}
	return o.String(), e.String(), 0
}

// gen runs `headcount gen` with args and returns its output.
func gen(t *testing.T, args ...string) []byte {
	t.Helper()
	out, errOut, code := run(t, nil, nil, append([]string{"gen"}, args...)...)
	if code != 0 {
		t.Fatalf("gen %v: exit %d: %s", args, code, errOut)
	}
	return []byte(out)
}

func writeFile(t *testing.T, name string, data []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// result is a result line as the contract describes it.
type result = contracttest.Result

// parseResults decodes every stdout line strictly.
func parseResults(t *testing.T, stdout string) []result {
	t.Helper()
	var rs []result
	for l := range strings.Lines(stdout) {
		r, err := contracttest.DecodeResult([]byte(l))
		if err != nil {
			t.Fatal(err)
		}
		if r.End <= r.Start || r.Frames == 0 || r.Uniques == 0 || !slices.Contains([]string{"early", "final", "revised"}, r.Status) {
			t.Errorf("implausible result %s", l)
		}
		rs = append(rs, r)
	}
	return rs
}

var summary = regexp.MustCompile(`^headcount: (\d+) lines, (\d+) counted, (\d+) rejected(, [a-z_]+=\d+)*; [0-9.]+ MB in \S+ \([0-9.]+ MB/s\)\n$`)

func TestCountGenFile(t *testing.T) {
	frames := gen(t, "--frames", "20000", "--delayed", "0.1", "--flipped", "0.001", "--garbage", "0.002", "--truncated", "0.002")
	in := writeFile(t, "frames.jsonl", frames)
	stdout, stderr, code := run(t, nil, nil, "count", "--early", "0", "--windows", "all", in)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	rs := parseResults(t, stdout)
	windows := map[string]int{}
	var minuteFrames uint64
	for _, r := range rs {
		if r.Status == "final" {
			windows[r.Window]++
		}
		if r.Window == "minute" && r.Status == "final" {
			minuteFrames += r.Frames
		}
		if r.Exact != (r.Window == "minute" || r.Window == "hour") || r.Exact != (r.ErrorBound == nil) {
			t.Errorf("%s result: exact %v, error bound %v", r.Window, r.Exact, r.ErrorBound)
		}
	}
	// 20,000 frames at 1,000 a second: 20 s of event time, one or two minutes.
	for _, w := range []string{"minute", "hour", "day", "week", "month", "year"} {
		if windows[w] == 0 {
			t.Errorf("no final %s result", w)
		}
	}
	m := summary.FindStringSubmatch(stderr)
	if m == nil {
		t.Fatalf("stderr %q is not a summary", stderr)
	}
	if m[1] != "20000" || fmt.Sprint(minuteFrames) != m[2] {
		t.Errorf("summary %q: want 20000 lines and %d counted", stderr, minuteFrames)
	}
	if !strings.Contains(stderr, "malformed=") {
		t.Errorf("summary %q lacks the malformed rejects", stderr)
	}

	// The same bytes gzipped, under a name that does not say so, and on stdin.
	var z bytes.Buffer
	zw := gzip.NewWriter(&z)
	zw.Write(frames)
	zw.Close()
	gz := writeFile(t, "frames.data", z.Bytes())
	for name, args := range map[string][]string{"gzip file": {gz}, "stdin": nil, "stdin as -": {"-"}} {
		got, stderr, code := run(t, frames, nil, append([]string{"count", "--early", "0", "--windows", "all"}, args...)...)
		if code != 0 || got != stdout {
			t.Errorf("%s: exit %d (%s), output differs: %v", name, code, stderr, got != stdout)
		}
	}
}

// TestCountGolden pins the output for a small hand-written input: decoys,
// string ts, CRLF, every reject reason and line numbers in two files.
func TestCountGolden(t *testing.T) {
	dir := t.TempDir()
	rejects := filepath.Join(dir, "rejects.jsonl")
	stdout, stderr, code := run(t, nil, nil, "count", "--early", "0", "--windows", "minute,hour,day",
		"--outlier-quorum", "3", "--rejects", rejects, "testdata/a.jsonl", "testdata/b.jsonl")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	rj, err := os.ReadFile(rejects)
	if err != nil {
		t.Fatal(err)
	}
	got := "# stdout\n" + stdout + "# rejects\n" + string(rj)
	path := filepath.Join("testdata", "count.golden")
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (go test -update creates it)", err)
	}
	if got != string(want) {
		t.Errorf("output differs from %s (go test -update rewrites it):\n%s", path, got)
	}
	parseResults(t, stdout)
	if !summary.MatchString(stderr) {
		t.Errorf("stderr %q is not a summary", stderr)
	}
}

func TestCountErrors(t *testing.T) {
	good := writeFile(t, "good.jsonl", []byte(`{"uid":"a","ts":1468244340}`+"\n"))
	missing := filepath.Join(t.TempDir(), "missing.jsonl")
	tests := []struct {
		name string
		args []string
		want []string // in stderr
	}{
		{"missing file", []string{"count", missing}, []string{"missing.jsonl", "no such file"}},
		{"missing second file", []string{"count", good, missing}, []string{"missing.jsonl", "no such file"}},
		{"directory", []string{"count", t.TempDir()}, []string{"is a directory"}},
		{"bad window", []string{"count", "--windows", "minute,fortnight", good}, []string{"--windows", "fortnight"}},
		{"empty windows", []string{"count", "--windows", "", good}, []string{"--windows"}},
		{"bad exact", []string{"count", "--exact", "decade", good}, []string{"--exact", "decade"}},
		{"negative grace", []string{"count", "--grace", "-1s", good}, []string{"grace"}},
		{"bad duration", []string{"count", "--grace", "soon", good}, []string{"grace"}},
		{"unknown flag", []string{"count", "--frobnicate", good}, []string{"frobnicate"}},
		{"unknown command", []string{"frobnicate"}, []string{"frobnicate"}},
		{"rejects file in a missing dir", []string{"count", "--rejects", filepath.Join(missing, "r.jsonl"), good}, []string{"rejects"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			stdout, stderr, code := run(t, nil, nil, tc.args...)
			if code == 0 {
				t.Errorf("exit 0, want non-zero")
			}
			for _, w := range tc.want {
				if !strings.Contains(stderr, w) {
					t.Errorf("stderr %q lacks %q", stderr, w)
				}
			}
			if strings.Contains(stdout, `"window"`) {
				t.Errorf("printed results before failing: %q", stdout)
			}
		})
	}
}

func TestGenDeterministic(t *testing.T) {
	args := []string{"--frames", "3000", "--delayed", "0.1", "--flipped", "0.01", "--garbage", "0.01"}
	a := gen(t, append(args, "--seed", "7")...)
	b := gen(t, append(args, "--seed", "7")...)
	c := gen(t, append(args, "--seed", "8")...)
	if !bytes.Equal(a, b) {
		t.Error("same seed, different output")
	}
	if bytes.Equal(a, c) {
		t.Error("different seeds, same output")
	}
	if n := bytes.Count(a, []byte("\n")); n != 3000 {
		t.Errorf("%d lines, want 3000", n)
	}
}

func TestHelpListsCommands(t *testing.T) {
	stdout, stderr, code := run(t, nil, nil, "--help")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, cmd := range []string{"count", "run", "gen", "produce", "tail"} {
		if !regexp.MustCompile(`(?m)^\s+` + cmd + `\b`).MatchString(stdout) {
			t.Errorf("--help does not list %q:\n%s", cmd, stdout)
		}
	}
}

func TestEnvironmentFlags(t *testing.T) {
	in := writeFile(t, "f.jsonl", gen(t, "--frames", "2000"))
	for _, tc := range []struct {
		env  []string
		args []string
		want []string // windows of the results
	}{
		{nil, nil, []string{"minute"}},
		{[]string{"HEADCOUNT_WINDOWS=hour"}, nil, []string{"hour"}},
		{[]string{"HEADCOUNT_WINDOWS=day,hour"}, nil, []string{"hour", "day"}},
		{[]string{"HEADCOUNT_WINDOWS=day"}, []string{"--windows", "minute"}, []string{"minute"}}, // the flag wins
	} {
		stdout, stderr, code := run(t, nil, append(tc.env, "HEADCOUNT_EARLY=0"), append(append([]string{"count"}, tc.args...), in)...)
		if code != 0 {
			t.Fatalf("%v: exit %d: %s", tc.env, code, stderr)
		}
		var got []string
		for _, r := range parseResults(t, stdout) {
			if r.Status == "early" {
				t.Errorf("%v: early result with HEADCOUNT_EARLY=0", tc.env)
			}
			if !slices.Contains(got, r.Window) {
				got = append(got, r.Window)
			}
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("env %v args %v: windows %v, want %v", tc.env, tc.args, got, tc.want)
		}
	}
	_, stderr, code := run(t, nil, []string{"HEADCOUNT_WINDOWS=eon"}, "count", in)
	if code == 0 || !strings.Contains(stderr, "eon") {
		t.Errorf("HEADCOUNT_WINDOWS=eon: exit %d, stderr %q", code, stderr)
	}
}
