package framegen

import (
	"io"
	"strconv"
)

// Random streams of one frame: the knobs' decisions and the frame's content are
// drawn separately, so a knob's share does not change the content.
const (
	streamPlan uint64 = iota + 1
	streamContent
	streamLibrary
)

// Generator produces the lines of one Config, in output order. It is not safe for
// concurrent use.
type Generator struct {
	cfg   Config
	pool  []byte // cfg.Users uids, uidLen hex characters each
	lib   *library
	next  int // index of the next frame to plan
	queue delayQueue
}

// New returns a Generator of the lines cfg describes.
func New(cfg Config) *Generator {
	cfg = cfg.withDefaults()
	g := &Generator{cfg: cfg, pool: uidPool(cfg.Seed, cfg.Users)}
	g.lib = newLibrary(frameWriter{
		r:     streamRNG(cfg.Seed, 0, streamLibrary),
		pool:  g.pool,
		users: cfg.Users,
		ts:    cfg.Start,
	})
	return g
}

// Config returns the configuration in use, defaults filled in.
func (g *Generator) Config() Config { return g.cfg }

// uidPool derives n distinct uids from seed. The first 16 hex characters of uid j
// are a bijection of j, so no two collide; 3 more make the 19 of the challenge.
func uidPool(seed int64, n int) []byte {
	const hexDigits = "0123456789abcdef"
	k1, k2 := mix64(uint64(seed)^0x5ca1ab1e), mix64(uint64(seed)+0xdecade)
	pool := make([]byte, n*uidLen)
	for j := range n {
		hi := mix64(uint64(j) ^ k1)
		lo := mix64(uint64(j)+k2) >> 52
		u := pool[j*uidLen : (j+1)*uidLen]
		for d := 15; d >= 0; d-- {
			u[d] = hexDigits[hi&15]
			hi >>= 4
		}
		for d := 18; d >= 16; d-- {
			u[d] = hexDigits[lo&15]
			lo >>= 4
		}
	}
	return pool
}

// UID returns uid j of the pool (0 <= j < Users), as generated frames carry it.
func (g *Generator) UID(j int) string {
	return string(g.pool[j*uidLen : (j+1)*uidLen])
}

// lineKind says what a line is.
type lineKind uint8

const (
	frameLine   lineKind = iota // a valid frame
	invalidLine                 // valid JSON that breaks the contract
	garbageLine                 // not JSON
)

// plan holds the knobs' decisions for one frame. Every decision is drawn in a
// fixed order whatever the config, so each knob sees the same random numbers
// whatever the other knobs are set to.
type plan struct {
	kind     lineKind
	truncate bool
	cut      float64 // where to cut, as a share of the line
	delayed  bool
	delay    float64 // seconds, in (0, MaxDelay]
	flipBit  int     // bit of ts to flip, or -1
	stringTS bool
	crlf     bool
}

func (g *Generator) plan(i int) plan {
	c := &g.cfg
	r := streamRNG(c.Seed, int64(i), streamPlan)
	var p plan
	garbage := r.float() < c.Garbage
	invalid := r.float() < c.Invalid
	switch {
	case garbage:
		p.kind = garbageLine
	case invalid:
		p.kind = invalidLine
	}
	p.truncate = r.float() < c.Truncated && p.kind != garbageLine
	p.cut = r.float()
	p.delayed = r.float() < c.Delayed
	p.delay = float64(c.MaxDelay) * (1 - r.float())
	p.flipBit = -1
	flip := r.float() < c.Flipped
	bit := 20 + r.intn(12)
	if flip {
		p.flipBit = bit
	}
	p.stringTS = r.float() < c.StringTS
	p.crlf = r.float() < c.CRLF
	return p
}

// Append appends the next line, line end included, to dst and returns the
// extended buffer; ok is false, and dst unchanged, once all lines were produced.
func (g *Generator) Append(dst []byte) (out []byte, ok bool) {
	for g.next < g.cfg.Frames {
		at := g.cfg.eventOffset(g.next)
		// A delayed frame goes out once the stream has moved past its due time.
		if len(g.queue) > 0 && g.queue[0].due < at {
			return g.render(dst, g.queue.pop().i), true
		}
		i := g.next
		g.next++
		p := g.plan(i)
		if p.delayed {
			g.queue.push(delayed{due: at + p.delay, i: i})
			continue
		}
		return g.renderPlan(dst, i, &p), true
	}
	if len(g.queue) > 0 {
		return g.render(dst, g.queue.pop().i), true
	}
	return dst, false
}

// WriteTo writes all remaining lines to w, buffered. It implements io.WriterTo.
func (g *Generator) WriteTo(w io.Writer) (int64, error) {
	const flushAt = 1 << 20
	buf := make([]byte, 0, flushAt+64<<10)
	var total int64
	for {
		var ok bool
		buf, ok = g.Append(buf)
		if len(buf) >= flushAt || (!ok && len(buf) > 0) {
			n, err := w.Write(buf)
			total += int64(n)
			if err != nil {
				return total, err
			}
			if n < len(buf) {
				return total, io.ErrShortWrite
			}
			buf = buf[:0]
		}
		if !ok {
			return total, nil
		}
	}
}

func (g *Generator) render(dst []byte, i int) []byte {
	p := g.plan(i)
	return g.renderPlan(dst, i, &p)
}

func (g *Generator) renderPlan(dst []byte, i int, p *plan) []byte {
	c := &g.cfg
	start := len(dst)
	f := frameWriter{
		b:     dst,
		r:     streamRNG(c.Seed, int64(i), streamContent),
		pool:  g.pool,
		users: c.Users,
		lib:   g.lib,
		ts:    c.eventTS(i),
	}
	if p.flipBit >= 0 {
		f.ts ^= 1 << p.flipBit
	}
	j := f.r.intn(c.Users) * uidLen
	f.uid = g.pool[j : j+uidLen]
	switch s := f.r.intn(20); {
	case s < 17:
		f.space = compact
	case s < 19:
		f.space = spaced
	default:
		f.space = irregular
	}
	spec := frameSpec{stringTS: p.stringTS}
	switch p.kind {
	case invalidLine:
		f.invalidSpec(&spec)
		f.frame(&spec)
	case garbageLine:
		f.garbage(&spec)
	default:
		f.frame(&spec)
	}
	dst = f.b
	if p.truncate && len(dst)-start > 1 {
		dst = dst[:start+1+int(p.cut*float64(len(dst)-start-1))]
	}
	if p.crlf {
		dst = append(dst, '\r')
	}
	return append(dst, '\n')
}

// invalidSpec fills spec for a frame that is valid JSON but breaks the contract.
func (f *frameWriter) invalidSpec(spec *frameSpec) {
	switch f.r.intn(4) {
	case 0:
		spec.noUID = true
	case 1:
		spec.badUID = pick(&f.r, badUIDs)
	case 2:
		spec.noTS = true
	default:
		spec.badTS = pick(&f.r, badTSs)
	}
}

// garbage writes a line that is not valid JSON: text or binary bytes, or a frame
// made invalid by one flaw (which a scanner that stops at uid and ts misses).
func (f *frameWriter) garbage(spec *frameSpec) {
	switch k := f.r.intn(20); {
	case k < 4:
		f.b = append(f.b, pick(&f.r, logLines)...)
		f.b = append(f.b, " #"...)
		f.b = strconv.AppendInt(f.b, int64(f.r.intn(1e6)), 10)
	case k < 7:
		f.binary()
	case k < 15:
		spec.badMember = pick(&f.r, badMembers)
		f.frame(spec)
	case k < 17:
		spec.trailingComma = true
		f.frame(spec)
	case k < 18:
		spec.prefix = pick(&f.r, badPrefixes)
		f.frame(spec)
	default:
		spec.suffix = pick(&f.r, badSuffixes)
		f.frame(spec)
	}
}

// binary writes 16 to 300 random bytes that start with a byte no JSON text
// starts with and contain no line end.
func (f *frameWriter) binary() {
	const lead = "\x00\x01\x7f\x80\xfe\xff"
	f.b = append(f.b, lead[f.r.intn(len(lead))])
	for range 15 + f.r.intn(285) {
		c := byte(f.r.next())
		if c == '\n' || c == '\r' {
			c = 0
		}
		f.b = append(f.b, c)
	}
}

// delayed is a frame held back until the stream passes its due event time.
type delayed struct {
	due float64 // seconds after Start
	i   int
}

// delayQueue is a min-heap of delayed frames ordered by due time, then index, so
// the output order is deterministic.
type delayQueue []delayed

func (q delayQueue) less(a, b int) bool {
	if q[a].due != q[b].due {
		return q[a].due < q[b].due
	}
	return q[a].i < q[b].i
}

func (q *delayQueue) push(d delayed) {
	*q = append(*q, d)
	h := *q
	for c := len(h) - 1; c > 0; {
		parent := (c - 1) / 2
		if !h.less(c, parent) {
			break
		}
		h[c], h[parent] = h[parent], h[c]
		c = parent
	}
}

func (q *delayQueue) pop() delayed {
	h := *q
	top := h[0]
	last := len(h) - 1
	h[0] = h[last]
	h = h[:last]
	for p := 0; ; {
		c := 2*p + 1
		if c >= len(h) {
			break
		}
		if c+1 < len(h) && h.less(c+1, c) {
			c++
		}
		if !h.less(c, p) {
			break
		}
		h[p], h[c] = h[c], h[p]
		p = c
	}
	*q = h
	return top
}
