package processor

import (
	"bytes"
	"context"
	"errors"
	"io"
	"runtime"
	"time"

	"github.com/headcount/headcount/state"
)

// extracted is one line of a chunk after extraction.
type extracted struct {
	hash       uint64
	ts         int64
	start, end uint32 // the line within the chunk, line end excluded
	reason     Reason
}

// chunk is a run of whole lines, parsed by a worker and then counted in
// input order by the engine.
type chunk struct {
	buf   []byte
	lines []extracted
	done  chan struct{}
}

// chunkSize is large enough to amortise channel hand-offs over ~500 frames
// and small enough to stay in L2 while a worker parses it.
const chunkSize = 1 << 20

// Count reads JSON lines from r and counts them, as `headcount count` does.
// Extraction runs on up to GOMAXPROCS workers; frames are counted in input
// order, so the results do not depend on the number of workers. Early
// results are published every Config.Early of processing time. Count does
// not Flush: several inputs can form one stream. pos0 is added to line
// numbers so rejects point at the right line of the right input.
func (e *Engine) Count(ctx context.Context, r io.Reader, pos0 int64) (lines int64, err error) {
	workers := max(1, runtime.GOMAXPROCS(0))
	inflight := 2*workers + 1
	free := make(chan *chunk, inflight)
	for range inflight {
		free <- &chunk{buf: make([]byte, 0, chunkSize), done: make(chan struct{}, 1)}
	}
	work := make(chan *chunk, inflight)
	order := make(chan *chunk, inflight)
	readErr := make(chan error, 1)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	go func() {
		defer close(work)
		defer close(order)
		cr := chunkReader{r: r}
		for {
			var c *chunk
			select {
			case c = <-free:
			case <-ctx.Done():
				readErr <- ctx.Err()
				return
			}
			buf, err := cr.next(c.buf)
			c.buf = buf
			if err != nil {
				if !errors.Is(err, io.EOF) {
					readErr <- err
				} else {
					readErr <- nil
				}
				return
			}
			work <- c
			order <- c
		}
	}()
	for range workers {
		go func() {
			var x Extractor
			for c := range work {
				c.lines = extractLines(&x, c.buf, c.lines[:0])
				c.done <- struct{}{}
			}
		}()
	}

	var tick <-chan time.Time
	if e.cfg.Early > 0 {
		t := time.NewTicker(e.cfg.Early)
		defer t.Stop()
		tick = t.C
	}
	pos := pos0
	for {
		select {
		case c, ok := <-order:
			if !ok {
				return pos - pos0, <-readErr
			}
			<-c.done
			for _, l := range c.lines {
				pos++
				e.Extracted(c.buf[l.start:l.end], pos, l.hash, l.ts, l.reason)
			}
			free <- c
		case <-tick:
			e.Early()
		case <-ctx.Done():
			return pos - pos0, ctx.Err()
		}
	}
}

// extractLines parses every line of buf; a trailing '\r' is part of the line
// end, so CRLF input counts like LF input.
func extractLines(x *Extractor, buf []byte, out []extracted) []extracted {
	for start := 0; start < len(buf); {
		end := bytes.IndexByte(buf[start:], '\n')
		next := 0
		if end < 0 {
			end, next = len(buf), len(buf)
		} else {
			end += start
			next = end + 1
		}
		line := buf[start:end]
		if n := len(line); n > 0 && line[n-1] == '\r' {
			line = line[:n-1]
		}
		uid, ts, r := x.Extract(line)
		out = append(out, extracted{
			hash:   state.Hash(uid),
			ts:     ts,
			start:  uint32(start),
			end:    uint32(start + len(line)),
			reason: r,
		})
		start = next
	}
	return out
}
