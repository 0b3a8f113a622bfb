package framegen

import "strconv"

// uidLen is the length of every generated uid.
const uidLen = 19

// Frame sizes: the body grows until the frame reaches a target drawn uniformly
// from [minTarget, minTarget+spanTarget), about 2 KB on average once the last
// member's overshoot is added.
const (
	minTarget  = 1350
	spanTarget = 1300
	maxDepth   = 4
)

// spacing is how a frame lays out whitespace between tokens.
type spacing uint8

const (
	compact   spacing = iota // no whitespace at all
	spaced                   // one space after every ':' and ','
	irregular                // random spaces and tabs around ':' and ',', and around the object
)

// frameSpec says which contract rules one frame breaks, if any.
type frameSpec struct {
	stringTS bool
	noUID    bool
	badUID   string // raw JSON for the uid value, when not empty
	noTS     bool
	badTS    string // raw JSON for the ts value ('#' stands for the timestamp), when not empty

	// Corruptions that make the line invalid JSON.
	badMember     string // written as one member somewhere after uid and ts
	trailingComma bool   // a ',' right before the closing '}'
	prefix        string // bytes before the '{'
	suffix        string // bytes after the '}'
}

// frameWriter appends one frame to b, drawing its content from r.
type frameWriter struct {
	b     []byte
	r     rng
	pool  []byte // users × uidLen hex characters
	users int
	lib   *library // ready-made members; nil while the library itself is built
	uid   []byte   // the frame's own uid
	ts    int64    // the frame's own ts (after any flip)
	space spacing
}

func (f *frameWriter) frame(spec *frameSpec) {
	start := len(f.b)
	f.b = append(f.b, spec.prefix...)
	if f.space == irregular && f.r.intn(4) == 0 {
		f.b = append(f.b, ' ')
	}
	f.b = append(f.b, '{')
	f.open()
	n := 0 // members written
	for range f.r.intn(4) {
		f.member(&n)
	}
	uidFirst := f.r.intn(2) == 0
	between := f.r.intn(4) == 0
	for k := range 2 {
		if (k == 0) == uidFirst {
			f.uidMember(&n, spec)
		} else {
			f.tsMember(&n, spec)
		}
		if k == 0 && between {
			f.member(&n)
		}
	}
	target := start + minTarget + f.r.intn(spanTarget)
	corruptAt := -1
	if spec.badMember != "" {
		corruptAt = len(f.b) + f.r.intn(max(target-len(f.b), 1))
	}
	for len(f.b) < target {
		if corruptAt >= 0 && len(f.b) >= corruptAt {
			f.sep(&n)
			f.b = append(f.b, spec.badMember...)
			corruptAt = -1
		}
		f.member(&n)
	}
	if corruptAt >= 0 {
		f.sep(&n)
		f.b = append(f.b, spec.badMember...)
	}
	if spec.trailingComma {
		f.b = append(f.b, ',')
	}
	f.close()
	f.b = append(f.b, '}')
	if f.space == irregular && f.r.intn(4) == 0 {
		f.b = append(f.b, '\t')
	}
	f.b = append(f.b, spec.suffix...)
}

// sep writes the ',' before every member but the first.
func (f *frameWriter) sep(n *int) {
	if *n > 0 {
		f.b = append(f.b, ',')
		f.after()
	}
	*n++
}

// after writes the whitespace that follows a ':' or ','.
func (f *frameWriter) after() {
	switch f.space {
	case spaced:
		f.b = append(f.b, ' ')
	case irregular:
		f.blank()
	}
}

// open and close write the whitespace after '{' or '[' and before '}' or ']';
// only irregular frames have any.
func (f *frameWriter) open() {
	if f.space == irregular {
		f.blank()
	}
}

func (f *frameWriter) close() {
	if f.space == irregular {
		f.blank()
	}
}

func (f *frameWriter) blank() {
	switch f.r.intn(6) {
	case 0:
		f.b = append(f.b, ' ')
	case 1:
		f.b = append(f.b, '\t')
	case 2:
		f.b = append(f.b, "  "...)
	case 3:
		f.b = append(f.b, " \t "...)
	}
}

// key writes k, a quoted key followed by its colon, with the frame's spacing.
func (f *frameWriter) key(k string) {
	switch f.space {
	case compact:
		f.b = append(f.b, k...)
	case spaced:
		f.b = append(f.b, k...)
		f.b = append(f.b, ' ')
	default:
		f.b = append(f.b, k[:len(k)-1]...)
		f.blank()
		f.b = append(f.b, ':')
		f.blank()
	}
}

func (f *frameWriter) uidMember(n *int, spec *frameSpec) {
	switch {
	case spec.noUID:
		return
	case spec.badUID != "":
		f.sep(n)
		f.key(`"uid":`)
		f.b = append(f.b, spec.badUID...)
	default:
		f.sep(n)
		f.key(`"uid":`)
		f.b = append(f.b, '"')
		f.b = append(f.b, f.uid...)
		f.b = append(f.b, '"')
	}
}

func (f *frameWriter) tsMember(n *int, spec *frameSpec) {
	switch {
	case spec.noTS:
		return
	case spec.badTS != "":
		f.sep(n)
		f.key(`"ts":`)
		for i := 0; i < len(spec.badTS); i++ {
			if c := spec.badTS[i]; c == '#' {
				f.b = strconv.AppendInt(f.b, f.ts, 10)
			} else {
				f.b = append(f.b, c)
			}
		}
	case spec.stringTS:
		f.sep(n)
		f.key(`"ts":`)
		f.b = append(f.b, '"')
		f.b = strconv.AppendInt(f.b, f.ts, 10)
		f.b = append(f.b, '"')
	default:
		f.sep(n)
		f.key(`"ts":`)
		f.b = strconv.AppendInt(f.b, f.ts, 10)
	}
}

// member writes one top-level member other than uid and ts. Compact frames take
// most members ready-made from the library: copying is much faster than drawing
// every token, and the rest still carry decoys near the frame's own ts.
func (f *frameWriter) member(n *int) {
	f.sep(n)
	if f.lib != nil && f.space == compact {
		x := f.r.next()
		if x&3 != 0 {
			f.b = append(f.b, f.lib.member(x>>2)...)
			return
		}
	}
	f.key(pick(&f.r, topKeys))
	f.value(1)
}

// library holds ready-made compact top-level members drawn once per Generator.
type library struct {
	data []byte
	ends []int // member k is data[ends[k-1]:ends[k]]
}

// libraryMembers is the size of the library: large enough that a frame's
// members do not repeat in a pattern a parser's branch predictor could learn.
const libraryMembers = 8192

func newLibrary(f frameWriter) *library {
	lib := &library{ends: make([]int, 0, libraryMembers)}
	for range libraryMembers {
		f.key(pick(&f.r, topKeys))
		f.value(1)
		lib.ends = append(lib.ends, len(f.b))
	}
	lib.data = f.b
	return lib
}

// member returns member x mod the library size.
func (l *library) member(x uint64) []byte {
	k := x % uint64(len(l.ends))
	start := 0
	if k > 0 {
		start = l.ends[k-1]
	}
	return l.data[start:l.ends[k]]
}

// value writes a random JSON value; depth counts the enclosing containers.
func (f *frameWriter) value(depth int) {
	k := f.r.intn(100)
	switch {
	case k < 21:
		f.escString()
	case k < 36:
		f.plainString()
	case k < 58:
		f.number()
	case k < 66:
		f.literal()
	case k < 82 && depth < maxDepth:
		f.object(depth + 1)
	case k < 92 && depth < maxDepth:
		f.array(depth + 1)
	case k < 95:
		f.embeddedFrame()
	default:
		f.hexString()
	}
}

func (f *frameWriter) object(depth int) {
	f.b = append(f.b, '{')
	if f.r.intn(16) == 0 {
		f.b = append(f.b, '}')
		return
	}
	f.open()
	for i := range 1 + f.r.intn(4) {
		if i > 0 {
			f.b = append(f.b, ',')
			f.after()
		}
		nk := pick(&f.r, nestedKeys)
		f.key(nk.k)
		switch {
		case nk.isUID:
			f.decoyUID(depth)
		case nk.isTS:
			f.decoyTS(depth)
		default:
			f.value(depth)
		}
	}
	f.close()
	f.b = append(f.b, '}')
}

func (f *frameWriter) array(depth int) {
	f.b = append(f.b, '[')
	if f.r.intn(16) == 0 {
		f.b = append(f.b, ']')
		return
	}
	f.open()
	for i := range 1 + f.r.intn(5) {
		if i > 0 {
			f.b = append(f.b, ',')
			f.after()
		}
		switch f.r.intn(5) {
		case 0:
			f.decoyUID(depth)
		case 1:
			f.decoyTS(depth)
		default:
			f.value(depth)
		}
	}
	f.close()
	f.b = append(f.b, ']')
}

// decoyUID writes a value for a nested "uid": often another user's real uid.
func (f *frameWriter) decoyUID(depth int) {
	switch f.r.intn(8) {
	case 0, 1, 2:
		f.hexString()
	case 3:
		f.b = append(f.b, `""`...)
	case 4:
		f.number()
	case 5:
		f.b = append(f.b, "null"...)
	default:
		if depth < maxDepth {
			f.object(depth + 1)
		} else {
			f.escString()
		}
	}
}

// decoyTS writes a value for a nested "ts": often a timestamp near the real one,
// so a wrong pick lands in a plausible window.
func (f *frameWriter) decoyTS(depth int) {
	near := f.ts + int64(f.r.intn(7200)) - 3600
	switch f.r.intn(8) {
	case 0, 1, 2:
		f.b = strconv.AppendInt(f.b, near, 10)
	case 3:
		f.b = append(f.b, '"')
		f.b = strconv.AppendInt(f.b, near, 10)
		f.b = append(f.b, '"')
	case 4:
		f.b = strconv.AppendInt(f.b, near*1000+int64(f.r.intn(1000)), 10) // milliseconds
	case 5:
		f.number()
	default:
		if depth < maxDepth {
			f.object(depth + 1)
		} else {
			f.plainString()
		}
	}
}

// hexString writes a uid from the pool: another user's, usually.
func (f *frameWriter) hexString() {
	j := f.r.intn(f.users) * uidLen
	f.b = append(f.b, '"')
	f.b = append(f.b, f.pool[j:j+uidLen]...)
	f.b = append(f.b, '"')
}

func (f *frameWriter) escString() {
	f.b = append(f.b, '"')
	for i := range 1 + f.r.intn(3) {
		if i > 0 {
			f.b = append(f.b, ' ')
		}
		f.b = append(f.b, pick(&f.r, escPieces)...)
	}
	f.b = append(f.b, '"')
}

func (f *frameWriter) plainString() {
	f.b = append(f.b, pick(&f.r, words)...)
}

// embeddedFrame writes a string holding the JSON text of another frame's uid and
// ts, escaped: a scanner that does not track strings takes it for the real thing.
func (f *frameWriter) embeddedFrame() {
	j := f.r.intn(f.users) * uidLen
	f.b = append(f.b, `"{\"uid\":\"`...)
	f.b = append(f.b, f.pool[j:j+uidLen]...)
	f.b = append(f.b, `\",\"ts\":`...)
	f.b = strconv.AppendInt(f.b, f.ts+int64(f.r.intn(120))-60, 10)
	f.b = append(f.b, `}"`...)
}

func (f *frameWriter) literal() {
	switch f.r.intn(3) {
	case 0:
		f.b = append(f.b, "true"...)
	case 1:
		f.b = append(f.b, "false"...)
	default:
		f.b = append(f.b, "null"...)
	}
}

// number writes a JSON number in one of its forms: zero, negative zero, small and
// large integers (some beyond 64 bits), fractions, exponents.
func (f *frameWriter) number() {
	x := f.r.next()
	if x&1 != 0 {
		f.b = append(f.b, '-')
	}
	switch (x >> 1) % 8 {
	case 0:
		f.b = append(f.b, '0')
	case 1, 2:
		f.b = strconv.AppendUint(f.b, (x>>8)%1000, 10)
	case 3:
		f.b = strconv.AppendUint(f.b, x>>1, 10)
		if x&2 != 0 {
			f.b = append(f.b, "123456"...) // beyond 64 bits
		}
	case 4, 5:
		f.b = strconv.AppendUint(f.b, (x>>8)%100000, 10)
		f.b = append(f.b, '.')
		f.digits(x>>32, 1+int(x>>60)%6)
	default:
		f.b = strconv.AppendUint(f.b, (x>>8)%10, 10)
		if x&4 != 0 {
			f.b = append(f.b, '.')
			f.digits(x>>20, 1+int(x>>61)%4)
		}
		f.b = append(f.b, "eE"[x>>40&1])
		switch x >> 41 % 3 {
		case 0:
			f.b = append(f.b, '-')
		case 1:
			f.b = append(f.b, '+')
		}
		f.b = strconv.AppendUint(f.b, x>>44%300, 10)
	}
}

// digits writes n decimal digits taken from v, leading zeros included.
func (f *frameWriter) digits(v uint64, n int) {
	for range n {
		f.b = append(f.b, byte('0'+v%10))
		v /= 10
	}
}
