package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"time"

	"github.com/headcount/headcount/processor"
)

// countCmd is `headcount count`: the engine on files or stdin, no Kafka.
type countCmd struct {
	windowFlags
	Rejects string   `help:"Write rejected lines, with their reason, to this file (JSON lines)."`
	Files   []string `arg:"" optional:"" help:"Input files (gzip recognised by its magic bytes); none or - reads stdin."`
}

// Run counts the inputs as one stream and prints results, then the summary.
func (c *countCmd) Run(ctx context.Context) error {
	cfg, err := c.config()
	if err != nil {
		return err
	}
	files := c.Files
	if len(files) == 0 {
		files = []string{"-"}
	}
	// Refuse unreadable inputs before any result is printed.
	for _, name := range files {
		if err := checkInput(name); err != nil {
			return err
		}
	}
	out := bufio.NewWriterSize(os.Stdout, 1<<16)
	var line []byte
	emit := func(r processor.Result) {
		line = append(r.AppendJSON(line[:0]), '\n')
		out.Write(line)
	}
	var src sources
	var onReject func(processor.Frame, processor.Reason)
	var rejects *bufio.Writer
	if c.Rejects != "" {
		f, err := os.Create(c.Rejects)
		if err != nil {
			return fmt.Errorf("open rejects file: %w", err)
		}
		defer f.Close()
		rejects = bufio.NewWriterSize(f, 1<<16)
		var buf []byte
		onReject = func(fr processor.Frame, r processor.Reason) {
			// The engine numbers lines across all inputs; a reject names
			// its own input and line there (held frames of one input may
			// be decided while the next one is read).
			name, n := src.locate(fr.Pos)
			fr.Pos = n
			buf = processor.AppendReject(buf[:0], fr, r, name)
			rejects.Write(append(buf, '\n'))
		}
	}
	eng, err := processor.NewEngine(cfg, emit, onReject)
	if err != nil {
		return err
	}
	began := time.Now()
	var pos int64
	for _, name := range files {
		src.add(name, pos)
		n, err := countFile(ctx, eng, name, pos)
		if err != nil {
			return err
		}
		pos += n
		if err := out.Flush(); err != nil {
			return fmt.Errorf("write results: %w", err)
		}
	}
	eng.Flush()
	if err := out.Flush(); err != nil {
		return fmt.Errorf("write results: %w", err)
	}
	if rejects != nil {
		if err := rejects.Flush(); err != nil {
			return fmt.Errorf("write rejects file: %w", err)
		}
	}
	printSummary(os.Stderr, eng.Stats(), time.Since(began))
	return nil
}

// sources maps the engine's line numbers, which run on across inputs, back
// to the input and its own line number.
type sources struct {
	names  []string
	before []int64 // lines of the inputs before each one; non-decreasing
}

func (s *sources) add(name string, before int64) {
	s.names = append(s.names, name)
	s.before = append(s.before, before)
}

// locate returns the input of stream line pos (1-based) and its line there.
func (s *sources) locate(pos int64) (string, int64) {
	// The last input that starts before pos: empty inputs share their
	// start with the next one, which is the one that has the line.
	i := sort.Search(len(s.before), func(i int) bool { return s.before[i] >= pos }) - 1
	if i < 0 {
		return "", pos
	}
	return s.names[i], pos - s.before[i]
}

// checkInput reports an input that cannot be read: missing, unreadable, or a
// directory. "-" is stdin.
func checkInput(name string) error {
	if name == "-" {
		return nil
	}
	f, err := os.Open(name)
	if err != nil {
		return fmt.Errorf("open input: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return fmt.Errorf("open input: %w", err)
	}
	if fi.IsDir() {
		return fmt.Errorf("open input: %s is a directory", name)
	}
	return nil
}

// countFile counts one input into eng; "-" is stdin.
func countFile(ctx context.Context, eng *processor.Engine, name string, pos int64) (int64, error) {
	var r io.Reader = os.Stdin
	if name == "-" {
		growPipe(os.Stdin)
	} else {
		f, err := os.Open(name)
		if err != nil {
			return 0, fmt.Errorf("open input: %w", err)
		}
		defer f.Close()
		r = f
	}
	in, closeIn, err := processor.OpenInput(r)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", name, err)
	}
	defer closeIn()
	n, err := eng.Count(ctx, in, pos)
	if err != nil {
		return n, fmt.Errorf("%s: %w", name, err)
	}
	return n, nil
}

// printSummary writes the run's totals: frames, rejects by reason, throughput.
func printSummary(w io.Writer, st processor.Stats, took time.Duration) {
	mb := float64(st.Bytes) / 1e6
	fmt.Fprintf(w, "headcount: %d lines, %d counted, %d rejected", st.Lines, st.Counted, st.Rejected())
	for r := processor.Malformed; r < processor.NumReasons; r++ {
		if st.Rejects[r] > 0 {
			fmt.Fprintf(w, ", %s=%d", r, st.Rejects[r])
		}
	}
	fmt.Fprintf(w, "; %.1f MB in %s (%s MB/s)\n", mb, took.Round(time.Millisecond),
		strconv.FormatFloat(mb/took.Seconds(), 'f', 1, 64))
}
