package processor

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strconv"
	"testing"

	"github.com/headcount/headcount/processor/framegen"
)

// framegenLines returns every line cfg generates, without its line end ("\r"
// of CRLF kept, as a line splitter on '\n' leaves it).
func framegenLines(cfg framegen.Config) [][]byte {
	g := framegen.New(cfg)
	var lines [][]byte
	for {
		l, ok := g.Append(nil)
		if !ok {
			return lines
		}
		lines = append(lines, bytes.TrimSuffix(l, []byte("\n")))
	}
}

// Challenge-shaped test frames of this file's own, written before
// processor/framegen existed and kept for variety: about 2 KB of
// one-line JSON object with 1-3 random keys before uid and ts (in either order),
// nested objects and arrays that reuse "uid" and "ts" as decoys, repeated
// top-level keys, and string values full of escapes (\" \\ \/ \b \f \n \r \t,
// now and then \uXXXX), raw slashes and Cyrillic UTF-8.

var (
	frameWordsLatin = []string{"request", "user", "session", "GET", "POST", "path", "to", "the", "error", "ok",
		"timeout", "cache", "miss", "hit", "id", "token", "value", "retry", "upstream", "client"}
	frameWordsCyr = []string{"пользователь", "запрос", "ошибка", "время", "сеанс", "данные", "ответ", "сервер",
		"путь", "ключ"}
	frameEscapes = []string{`\"`, `\\`, `\/`, `\b`, `\f`, `\n`, `\r`, `\t`, `\"`, `\\`, `\n`, `\t`}
	frameKeys    = []string{"level", "host", "svc", "region", "env", "kind", "v", "trace", "span", "app"}
)

// frameGen writes challenge-shaped frames; deterministic for a seed.
type frameGen struct {
	r     *rand.Rand
	users int
	base  int64
}

func newFrameGen(seed uint64) *frameGen {
	return &frameGen{r: rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15)), users: 100000, base: 1468244340}
}

// text appends a JSON string of about n bytes of mixed text.
func (g *frameGen) text(b []byte, n int) []byte {
	b = append(b, '"')
	start := len(b)
	for len(b)-start < n {
		switch k := g.r.IntN(20); {
		case k < 8:
			b = append(b, frameWordsLatin[g.r.IntN(len(frameWordsLatin))]...)
		case k < 11:
			b = append(b, frameWordsCyr[g.r.IntN(len(frameWordsCyr))]...)
		case k < 12:
			b = append(b, '/')
		case k < 19:
			b = append(b, frameEscapes[g.r.IntN(len(frameEscapes))]...)
		default:
			if g.r.IntN(8) == 0 {
				b = fmt.Appendf(b, `\u%04x`, 0x20+g.r.IntN(0x400))
			} else {
				b = strconv.AppendInt(b, int64(g.r.IntN(100000)), 10)
			}
		}
		if g.r.IntN(3) > 0 {
			b = append(b, ' ')
		}
	}
	return append(b, '"')
}

// scalar appends a random JSON scalar.
func (g *frameGen) scalar(b []byte) []byte {
	switch g.r.IntN(8) {
	case 0:
		return strconv.AppendInt(b, int64(g.r.IntN(1e6))-5e5, 10)
	case 1:
		return strconv.AppendFloat(b, g.r.NormFloat64()*1e3, 'g', -1, 64)
	case 2:
		return append(b, []string{"true", "false", "null"}[g.r.IntN(3)]...)
	default:
		return g.text(b, 4+g.r.IntN(30))
	}
}

// decoy appends a nested object that reuses "uid" and "ts" with other values.
func (g *frameGen) decoy(b []byte, depth int) []byte {
	b = append(b, `{"uid":`...)
	switch g.r.IntN(3) {
	case 0:
		b = g.text(b, 10)
	case 1:
		b = strconv.AppendInt(b, int64(g.r.IntN(1000)), 10)
	default:
		b = append(b, `{"id":"x","ts":-1}`...)
	}
	b = append(b, `,"ts":`...)
	if g.r.IntN(2) == 0 {
		b = append(b, `"2016-07-11T13:39:00Z"`...)
	} else {
		b = strconv.AppendFloat(b, 1.468e9+g.r.Float64()*1e6, 'e', 6, 64)
	}
	b = append(b, `,"path":"\/api\/v1\/users\/`...)
	b = strconv.AppendInt(b, int64(g.r.IntN(1e6)), 10)
	b = append(b, `","tags":[`...)
	for i := range 3 + g.r.IntN(4) {
		if i > 0 {
			b = append(b, ',')
		}
		b = g.scalar(b)
	}
	b = append(b, ']')
	if depth < 3 {
		b = append(b, `,"inner":`...)
		b = g.decoy(b, depth+1)
	}
	return append(b, '}')
}

// frame returns one frame of about 2 KB.
func (g *frameGen) frame() []byte {
	b := make([]byte, 0, 2600)
	b = append(b, '{')
	for range 1 + g.r.IntN(3) {
		b = append(b, '"')
		b = append(b, frameKeys[g.r.IntN(len(frameKeys))]...)
		b = append(b, `":`...)
		b = g.scalar(b)
		b = append(b, ',')
	}
	uid := fmt.Appendf(nil, `"uid":"%019x"`, uint64(g.r.IntN(g.users))*0x9e3779b97f4a7c15>>12)
	ts := g.base + int64(g.r.IntN(1000))
	var tsKV []byte
	if g.r.IntN(5) == 0 {
		tsKV = fmt.Appendf(nil, `"ts":"%d"`, ts)
	} else {
		tsKV = fmt.Appendf(nil, `"ts":%d`, ts)
	}
	if g.r.IntN(2) == 0 {
		uid, tsKV = tsKV, uid
	}
	b = append(append(append(b, uid...), ','), tsKV...)
	b = append(b, `,"msg":`...)
	b = g.text(b, 300+g.r.IntN(200))
	b = append(b, `,"ctx":`...)
	b = g.decoy(b, 0)
	for len(b) < 1900 {
		b = append(b, `,"`...)
		b = append(b, frameKeys[g.r.IntN(len(frameKeys))]...)
		b = append(b, `":`...)
		if g.r.IntN(3) == 0 {
			b = g.decoy(b, 2)
		} else {
			b = g.text(b, 40+g.r.IntN(200))
		}
	}
	return append(b, '}')
}

// challengeFrames returns n frames; about one in eight ends in "\r" (CRLF input).
func challengeFrames(tb testing.TB, seed uint64, n int) [][]byte {
	tb.Helper()
	g := newFrameGen(seed)
	out := make([][]byte, n)
	for i := range out {
		f := g.frame()
		if g.r.IntN(8) == 0 {
			f = append(f, '\r')
		}
		if !json.Valid(f) {
			tb.Fatalf("frameGen made invalid JSON: %s", f)
		}
		out[i] = f
	}
	return out
}
