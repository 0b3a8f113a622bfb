package processor

import (
	"bufio"
	"bytes"
	"fmt"
	"io"

	"github.com/klauspost/compress/gzip"
)

// OpenInput wraps r so that gzip input (recognised by its magic bytes, not by
// a file name) reads as plain lines. The returned closer releases the decoder.
//
// Plain input is read straight from r after its first two bytes: the count
// pipeline reads in chunks of a MiB, and a buffer in between would only copy
// every byte once more.
func OpenInput(r io.Reader) (io.Reader, func() error, error) {
	var magic [2]byte
	n, err := io.ReadFull(r, magic[:])
	if err != nil && err != io.EOF && err != io.ErrUnexpectedEOF {
		return nil, nil, fmt.Errorf("read input: %w", err)
	}
	in := io.MultiReader(bytes.NewReader(magic[:n]), r)
	if n == 2 && magic == [2]byte{0x1f, 0x8b} {
		zr, err := gzip.NewReader(bufio.NewReaderSize(in, 1<<20))
		if err != nil {
			return nil, nil, fmt.Errorf("open gzip input: %w", err)
		}
		return zr, zr.Close, nil
	}
	return in, func() error { return nil }, nil
}

// chunkReader cuts a stream into chunks of whole lines, so that chunks can be
// parsed in parallel without a line ever spanning two of them.
type chunkReader struct {
	r    io.Reader
	tail []byte // the start of a line that did not end in the previous chunk
	eof  bool
}

// next fills buf (reusing its capacity, growing it for lines longer than it)
// with the next run of whole lines and returns it; the last line of the
// input may lack its newline. It returns io.EOF when nothing is left.
func (c *chunkReader) next(buf []byte) ([]byte, error) {
	buf = append(buf[:0], c.tail...)
	c.tail = c.tail[:0]
	for {
		if c.eof {
			if len(buf) == 0 {
				return buf, io.EOF
			}
			return buf, nil
		}
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := c.r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			c.eof = true
			continue
		} else if err != nil {
			return buf, fmt.Errorf("read input: %w", err)
		}
		if i := bytes.LastIndexByte(buf, '\n'); i >= 0 {
			c.tail = append(c.tail, buf[i+1:]...)
			return buf[:i+1], nil
		}
	}
}
