package processor

import (
	"bytes"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/headcount/headcount/processor/framegen"
)

// extractCases are the decoys and reject reasons; each is also a fuzz seed, and
// each is checked against encoding/json (refExtract) as well as its expectation.
var extractCases = []struct {
	name string
	line string
	uid  string
	ts   int64
	r    Reason
}{
	{"plain", `{"uid":"abc","ts":1468244340}`, "abc", 1468244340, Accepted},
	{"ts first", `{"ts":1468244340,"uid":"abc"}`, "abc", 1468244340, Accepted},
	{"keys before", `{"a":1,"b":[true,false,null],"c":{"d":"e"},"uid":"u","ts":5}`, "u", 5, Accepted},
	{"ts digit string", `{"uid":"u","ts":"1468244340"}`, "u", 1468244340, Accepted},
	{"ts digit string leading zeros", `{"uid":"u","ts":"0001468244340"}`, "u", 1468244340, Accepted},
	{"ts escaped digits", `{"uid":"u","ts":"\u0031\u0032"}`, "u", 12, Accepted},
	{"ts zero", `{"uid":"u","ts":0}`, "u", 0, Accepted},
	{"ts max", `{"uid":"u","ts":253402300799}`, "u", 253402300799, Accepted},
	{"ts max string", `{"uid":"u","ts":"253402300799"}`, "u", 253402300799, Accepted},
	{"CRLF", "{\"uid\":\"u\",\"ts\":1}\r", "u", 1, Accepted},
	{"whitespace everywhere", " \t{ \"uid\" :\r\n\"u\" , \"ts\"\t: 7 , \"x\" : [ 1 , { } , [ ] ] }\r\n ", "u", 7, Accepted},
	{"nested decoys", `{"x":{"uid":"no","ts":1},"uid":"yes","y":[{"uid":"no","ts":2}],"ts":3,"z":{"a":{"ts":4}}}`, "yes", 3, Accepted},
	{"decoys only", `{"x":{"uid":"no","ts":1},"y":[{"uid":"no"}]}`, "", 0, MissingUID},
	{"decoy ts only", `{"uid":"u","x":{"ts":1}}`, "", 0, MissingTS},
	{"escaped uid key", `{"u\u0069d":"u","ts":1}`, "u", 1, Accepted},
	{"escaped ts key", `{"uid":"u","\u0074\u0073":1}`, "u", 1, Accepted},
	{"fully escaped uid key", `{"\u0075\u0069\u0064":"u","ts":1}`, "u", 1, Accepted},
	{"escaped decoy key nested", `{"x":{"u\u0069d":"no"},"ts":1}`, "", 0, MissingUID},
	{"key with other escape", `{"u\"id":"no","ts":1}`, "", 0, MissingUID},
	{"duplicate uid last wins", `{"uid":"first","ts":1,"uid":"second"}`, "second", 1, Accepted},
	{"duplicate ts last wins", `{"uid":"u","ts":1,"ts":2}`, "u", 2, Accepted},
	{"duplicate uid last bad", `{"uid":"first","ts":1,"uid":5}`, "", 0, MissingUID},
	{"duplicate ts last bad", `{"uid":"u","ts":1,"ts":-1}`, "", 0, BadTS},
	{"duplicate escaped key wins", `{"uid":"a","u\u0069d":"b","ts":1}`, "b", 1, Accepted},
	{"uid escapes", `{"uid":"a\"b\\c\/d\n\u00e9","ts":1}`, "a\"b\\c/d\né", 1, Accepted},
	{"uid lone surrogate", `{"uid":"\ud800","ts":1}`, "\uFFFD", 1, Accepted},
	{"uid surrogate pair", `{"uid":"\ud83d\ude00","ts":1}`, "😀", 1, Accepted},
	{"uid invalid utf8", "{\"uid\":\"a\xffb\",\"ts\":1}", "a\uFFFDb", 1, Accepted},
	{"uid cyrillic", `{"uid":"пользователь","ts":1}`, "пользователь", 1, Accepted},
	{"uid escaped NUL", `{"uid":"\u0000","ts":1}`, "\x00", 1, Accepted},
	{"uid empty", `{"uid":"","ts":1}`, "", 0, MissingUID},
	{"uid null", `{"uid":null,"ts":1}`, "", 0, MissingUID},
	{"uid number", `{"uid":123,"ts":1}`, "", 0, MissingUID},
	{"uid object", `{"uid":{"id":"u"},"ts":1}`, "", 0, MissingUID},
	{"uid array", `{"uid":["u"],"ts":1}`, "", 0, MissingUID},
	{"uid true", `{"uid":true,"ts":1}`, "", 0, MissingUID},
	{"uid missing", `{"ts":1}`, "", 0, MissingUID},
	{"uid missing beats bad ts", `{"ts":"x"}`, "", 0, MissingUID},
	{"empty object", `{}`, "", 0, MissingUID},
	{"empty object with a space", `{ }`, "", 0, MissingUID},
	{"three bytes, not an object", `{1}`, "", 0, Malformed},
	{"short line, colon", `{:}`, "", 0, Malformed},
	{"ts missing", `{"uid":"u"}`, "", 0, MissingTS},
	{"ts negative", `{"uid":"u","ts":-1}`, "", 0, BadTS},
	{"ts negative zero", `{"uid":"u","ts":-0}`, "", 0, BadTS},
	{"ts float", `{"uid":"u","ts":1468244340.5}`, "", 0, BadTS},
	{"ts float zero fraction", `{"uid":"u","ts":1468244340.0}`, "", 0, BadTS},
	{"ts exponent", `{"uid":"u","ts":1e9}`, "", 0, BadTS},
	{"ts exponent upper", `{"uid":"u","ts":1E9}`, "", 0, BadTS},
	{"ts true", `{"uid":"u","ts":true}`, "", 0, BadTS},
	{"ts null", `{"uid":"u","ts":null}`, "", 0, BadTS},
	{"ts object", `{"uid":"u","ts":{"s":1}}`, "", 0, BadTS},
	{"ts array", `{"uid":"u","ts":[1]}`, "", 0, BadTS},
	{"ts out of range", `{"uid":"u","ts":253402300800}`, "", 0, BadTS},
	{"ts out of range string", `{"uid":"u","ts":"253402300800"}`, "", 0, BadTS},
	{"ts overflows int64", `{"uid":"u","ts":99999999999999999999999}`, "", 0, BadTS},
	{"ts overflows uint64 string", `{"uid":"u","ts":"18446744073709551616"}`, "", 0, BadTS},
	{"ts empty string", `{"uid":"u","ts":""}`, "", 0, BadTS},
	{"ts string space", `{"uid":"u","ts":" 12"}`, "", 0, BadTS},
	{"ts string sign", `{"uid":"u","ts":"+12"}`, "", 0, BadTS},
	{"ts string float", `{"uid":"u","ts":"12.0"}`, "", 0, BadTS},
	{"ts string escaped letter", `{"uid":"u","ts":"1\u0041"}`, "", 0, BadTS},
	{"ts string escape newline", `{"uid":"u","ts":"1\n"}`, "", 0, BadTS},

	{"empty line", ``, "", 0, Malformed},
	{"only whitespace", " \r", "", 0, Malformed},
	{"null", `null`, "", 0, Malformed},
	{"array", `[]`, "", 0, Malformed},
	{"string", `"x"`, "", 0, Malformed},
	{"number", `1`, "", 0, Malformed},
	{"true", `true`, "", 0, Malformed},
	{"truncated", `{"uid":"a","ts":1,"x":[1,2`, "", 0, Malformed},
	{"truncated in string", `{"uid":"a","ts":1,"x":"abc`, "", 0, Malformed},
	{"truncated after escape", `{"uid":"a","ts":1,"x":"abc\`, "", 0, Malformed},
	{"truncated key", `{"uid":"a","ts":1,"x`, "", 0, Malformed},
	{"unclosed object", `{"uid":"a","ts":1`, "", 0, Malformed},
	{"unclosed nested", `{"uid":"a","ts":1,"x":{}`, "", 0, Malformed},
	{"trailing garbage", `{"uid":"a","ts":1}x`, "", 0, Malformed},
	{"trailing brace", `{"uid":"a","ts":1}}`, "", 0, Malformed},
	{"two objects", `{"uid":"a","ts":1}{"uid":"a","ts":1}`, "", 0, Malformed},
	{"trailing comma", `{"uid":"a","ts":1,}`, "", 0, Malformed},
	{"trailing comma array", `{"uid":"a","ts":1,"x":[1,]}`, "", 0, Malformed},
	{"leading comma", `{,"uid":"a","ts":1}`, "", 0, Malformed},
	{"missing colon", `{"uid" "a","ts":1}`, "", 0, Malformed},
	{"missing comma", `{"uid":"a" "ts":1}`, "", 0, Malformed},
	{"bare key", `{uid:"a","ts":1}`, "", 0, Malformed},
	{"single quotes", `{'uid':'a','ts':1}`, "", 0, Malformed},
	{"mismatched brackets", `{"uid":"a","ts":1,"x":[1}]}`, "", 0, Malformed},
	{"mismatched braces", `{"uid":"a","ts":1,"x":{"a":1]}`, "", 0, Malformed},
	{"array value as key", `{"uid":"a","ts":1,"x":{1:2}}`, "", 0, Malformed},
	{"key without value", `{"uid":"a","ts":1,"x"}`, "", 0, Malformed},
	{"short key without value", `{"":}`, "", 0, Malformed},
	{"two-byte key without value", `{"ts":}`, "", 0, Malformed},
	{"bad escape", `{"uid":"a","ts":1,"x":"\x"}`, "", 0, Malformed},
	{"bad unicode escape", `{"uid":"a","ts":1,"x":"\u12g4"}`, "", 0, Malformed},
	{"short unicode escape", `{"uid":"a","ts":1,"x":"\u12"}`, "", 0, Malformed},
	{"escape outside string", `{"uid":"a","ts":1,\"x":1}`, "", 0, Malformed},
	{"raw newline in string", "{\"uid\":\"a\nb\",\"ts\":1}", "", 0, Malformed},
	{"raw tab in string", "{\"uid\":\"a\",\"ts\":1,\"x\":\"\t\"}", "", 0, Malformed},
	{"raw NUL in key", "{\"uid\":\"a\",\"ts\":1,\"\x00\":1}", "", 0, Malformed},
	{"control outside string", "{\"uid\":\"a\",\"ts\":1\x01}", "", 0, Malformed},
	{"leading zero", `{"uid":"a","ts":01}`, "", 0, Malformed},
	{"leading zero nested", `{"uid":"a","ts":1,"x":-012}`, "", 0, Malformed},
	{"plus sign", `{"uid":"a","ts":+1}`, "", 0, Malformed},
	{"bare minus", `{"uid":"a","ts":1,"x":-}`, "", 0, Malformed},
	{"dot without digits", `{"uid":"a","ts":1,"x":1.}`, "", 0, Malformed},
	{"dot first", `{"uid":"a","ts":1,"x":.5}`, "", 0, Malformed},
	{"exponent without digits", `{"uid":"a","ts":1,"x":1e}`, "", 0, Malformed},
	{"exponent sign without digits", `{"uid":"a","ts":1,"x":1e+}`, "", 0, Malformed},
	{"hex number", `{"uid":"a","ts":1,"x":0x10}`, "", 0, Malformed},
	{"NaN", `{"uid":"a","ts":1,"x":NaN}`, "", 0, Malformed},
	{"bad literal", `{"uid":"a","ts":1,"x":tru}`, "", 0, Malformed},
	{"bad literal case", `{"uid":"a","ts":1,"x":True}`, "", 0, Malformed},
	{"literal prefix", `{"uid":"a","ts":1,"x":nullx}`, "", 0, Malformed},
	{"BOM", "\xef\xbb\xbf{\"uid\":\"a\",\"ts\":1}", "", 0, Malformed},
	{"vertical tab is not space", "{\"uid\":\"a\",\"ts\":1}\v", "", 0, Malformed},
	{"NBSP is not space", "{\"uid\":\"a\",\"ts\":1}\u00a0", "", 0, Malformed},
	{"valid numbers nested", `{"uid":"a","ts":1,"x":[0,-0,1.5,-1.5e-3,2E+10,0.0e0,-0.1E1]}`, "a", 1, Accepted},
	{"escapes nested", `{"uid":"a","ts":1,"x":"\"\\\/\b\f\n\r\t\u0041\uFFFF\\"}`, "a", 1, Accepted},
	{"backslash runs", `{"x":"\\\\\\\"\\","uid":"a","ts":1}`, "a", 1, Accepted},
	{"quote in key", `{"a\"uid":1,"uid":"a","ts":1}`, "a", 1, Accepted},
	{"decoy in string", `{"x":"\"uid\":\"no\",\"ts\":1","uid":"yes","ts":2}`, "yes", 2, Accepted},
	{"DEL in string", "{\"uid\":\"a\x7f\",\"ts\":1}", "a\x7f", 1, Accepted},
}

func TestExtract(t *testing.T) {
	var x Extractor
	for _, tc := range extractCases {
		t.Run(tc.name, func(t *testing.T) {
			uid, ts, r := x.Extract([]byte(tc.line))
			if r != tc.r || string(uid) != tc.uid || ts != tc.ts {
				t.Errorf("Extract(%q) = %q, %d, %v; want %q, %d, %v", tc.line, uid, ts, r, tc.uid, tc.ts, tc.r)
			}
			// The table must say what encoding/json says.
			if ruid, rts, rr := refExtract([]byte(tc.line)); rr != tc.r || ruid != tc.uid || rts != tc.ts {
				t.Errorf("encoding/json on %q: %q, %d, %v; table says %q, %d, %v", tc.line, ruid, rts, rr, tc.uid, tc.ts, tc.r)
			}
		})
	}
}

// TestExtractDepth checks encoding/json's nesting limit: 10000 levels, the
// top-level object included, are fine; one more is malformed.
func TestExtractDepth(t *testing.T) {
	nest := func(levels int, open, close string) string {
		return `{"uid":"a","ts":1,"x":` + strings.Repeat(open, levels-1) + "1" + strings.Repeat(close, levels-1) + `}`
	}
	var x Extractor
	for _, tc := range []struct {
		name string
		line string
		r    Reason
	}{
		{"arrays at limit", nest(10000, "[", "]"), Accepted},
		{"arrays past limit", nest(10001, "[", "]"), Malformed},
		{"objects at limit", nest(10000, `{"a":`, "}"), Accepted},
		{"objects past limit", nest(10001, `{"a":`, "}"), Malformed},
		{"unbalanced deep", `{"x":` + strings.Repeat("[", 9000) + `}`, Malformed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, _, r := x.Extract([]byte(tc.line)); r != tc.r {
				t.Errorf("Extract = %v, want %v", r, tc.r)
			}
			if _, _, r := refExtract([]byte(tc.line)); r != tc.r {
				t.Errorf("encoding/json says %v, want %v", r, tc.r)
			}
		})
	}
}

// TestExtractChallengeFrames checks generated frames against encoding/json.
func TestExtractChallengeFrames(t *testing.T) {
	var x Extractor
	for i, f := range challengeFrames(t, 1, 2000) {
		uid, ts, r := x.Extract(f)
		wuid, wts, wr := refExtract(f)
		if r != Accepted || r != wr || string(uid) != wuid || ts != wts {
			t.Fatalf("frame %d: Extract = %q, %d, %v; encoding/json says %q, %d, %v\n%s", i, uid, ts, r, wuid, wts, wr, f)
		}
	}
}

// TestExtractBlockBoundaries moves tricky fragments across stage 1's 64-byte
// block boundaries (and its padded last block), in values and in keys.
func TestExtractBlockBoundaries(t *testing.T) {
	fragments := []string{
		`\"`, `\\`, `\\\"`, `\\\\\\`, `\\\\\\\"`, `\u00e9`, `\uD83D\uDE00`, `\/\b\f\n\r\t`,
		`"`, `\`, `\x`, `\u12`, `\u12g4`, "\t", "\x1f", "\\\x01",
	}
	var x Extractor
	for _, frag := range fragments {
		for pad := range 140 {
			p := strings.Repeat("a", pad)
			for _, line := range []string{
				`{"pad":"` + p + frag + `","uid":"u","ts":1}`,
				`{"` + p + frag + `":1,"uid":"u","ts":1}`,
				`{"uid":"u","ts":1,"pad":"` + p + frag + `"}`,
				`{"uid":"u","ts":1,"pad":"` + p + frag + `"}` + "\r",
				`{"uid":"` + p + frag + `","ts":1}`,
			} {
				uid, ts, r := x.Extract([]byte(line))
				if wuid, wts, wr := refExtract([]byte(line)); r != wr || string(uid) != wuid || ts != wts {
					t.Fatalf("Extract(%q) = %q, %d, %v; encoding/json says %q, %d, %v", line, uid, ts, r, wuid, wts, wr)
				}
			}
		}
	}
}

// TestExtractFramegen checks framegen's lines, every knob on, against
// encoding/json.
func TestExtractFramegen(t *testing.T) {
	lines := framegenLines(framegen.Config{Seed: 9, Frames: 20000, Delayed: 0.1, Flipped: 0.01,
		Truncated: 0.05, Garbage: 0.05, Invalid: 0.05, StringTS: 0.1, CRLF: 0.1})
	var x Extractor
	var seen [NumReasons]int
	for i, line := range lines {
		uid, ts, r := x.Extract(line)
		wuid, wts, wr := refExtract(line)
		if r != wr || string(uid) != wuid || ts != wts {
			t.Fatalf("line %d: Extract(%q) = %q, %d, %v; encoding/json says %q, %d, %v", i, line, uid, ts, r, wuid, wts, wr)
		}
		seen[r]++
	}
	for _, r := range []Reason{Accepted, Malformed, MissingUID, MissingTS, BadTS} {
		if seen[r] == 0 {
			t.Errorf("no line was %v: the test lost its teeth", r)
		}
	}
}

// TestExtractTruncated cuts challenge frames at every length: only the whole
// frame (and the frame less its trailing "\r") is valid.
func TestExtractTruncated(t *testing.T) {
	var x Extractor
	for _, f := range challengeFrames(t, 2, 20) {
		for n := range len(f) {
			line := f[:n]
			_, _, r := x.Extract(line)
			if _, _, want := refExtract(line); r != want {
				t.Fatalf("Extract(%q) = %v, encoding/json says %v", line, r, want)
			}
		}
	}
}

// TestExtractMutated flips, drops and inserts bytes of challenge frames, at
// block boundaries too, and compares with encoding/json.
func TestExtractMutated(t *testing.T) {
	var x Extractor
	rng := rand.New(rand.NewPCG(3, 4))
	for _, f := range challengeFrames(t, 3, 200) {
		for range 200 {
			line := mutate(rng, f)
			uid, ts, r := x.Extract(line)
			wuid, wts, wr := refExtract(line)
			if r != wr || string(uid) != wuid || ts != wts {
				t.Fatalf("Extract(%q) = %q, %d, %v; encoding/json says %q, %d, %v", line, uid, ts, r, wuid, wts, wr)
			}
		}
	}
}

// mutate returns a copy of f with one to three bytes replaced, dropped or
// inserted, the new ones among those that matter to JSON's grammar.
func mutate(rng *rand.Rand, f []byte) []byte {
	const special = `"\{}[]:,0123456789-+.eE tfnulsra/bABF` + "\x00\x1f\r\n\t\x80\xff"
	line := bytes.Clone(f)
	for range 1 + rng.IntN(3) {
		i := rng.IntN(len(line))
		switch c := special[rng.IntN(len(special))]; rng.IntN(3) {
		case 0:
			line[i] = c
		case 1:
			line = append(line[:i], line[i+1:]...)
		default:
			line = append(line[:i], append([]byte{c}, line[i:]...)...)
		}
	}
	return line
}

// TestEscapedBytes checks the branchless escape detection against a plain
// left-to-right scan, on backslash-dense blocks chained through the carry.
func TestEscapedBytes(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for range 20000 {
		var carry uint64
		seqEscaped := false
		for range 4 {
			bs := rng.Uint64() & rng.Uint64()
			if rng.IntN(4) == 0 {
				bs |= rng.Uint64()
			}
			var want uint64
			for k := range 64 {
				isBS := bs>>k&1 != 0
				if seqEscaped {
					want |= 1 << k
					seqEscaped = false
				} else if isBS {
					seqEscaped = true
				}
			}
			if got := escapedBytes(bs, &carry); got != want {
				t.Fatalf("escapedBytes(%064b) = %064b, want %064b", bs, got, want)
			}
			if (carry != 0) != seqEscaped {
				t.Fatalf("carry after %064b = %d, want %v", bs, carry, seqEscaped)
			}
		}
	}
}

// TestClassifySWAR checks the portable classifier against plain comparisons
// on every byte value at every position of a block, and on random lines of
// every length modulo 64 (the padded last block).
func TestClassifySWAR(t *testing.T) {
	var block [64]byte
	for c := range 256 {
		for pos := range 64 {
			for i := range block {
				block[i] = 'a'
			}
			block[pos] = byte(c)
			checkClassify(t, classifySWAR, block[:])
		}
	}
	checkClassifyRandom(t, classifySWAR)
}

// checkClassifyRandom runs checkClassify on random lines rich in the bytes
// that matter, of every length modulo 64.
func checkClassifyRandom(t *testing.T, classify func([]byte, []blockMasks)) {
	t.Helper()
	rng := rand.New(rand.NewPCG(7, 8))
	alphabet := []byte(`"\{}[]:, 	` + "\n\r\x00\x1f\x7f\x80\xa2\xdc\xff\xae\xbb\xfb\xdd0123456789-+.eEa")
	for range 3000 {
		line := make([]byte, 1+rng.IntN(300))
		for i := range line {
			line[i] = alphabet[rng.IntN(len(alphabet))]
		}
		checkClassify(t, classify, line)
	}
}

// checkClassify compares classify's masks for line with plain comparisons.
func checkClassify(t *testing.T, classify func([]byte, []blockMasks), line []byte) {
	t.Helper()
	got := make([]blockMasks, (len(line)+63)/64)
	classify(line, got)
	for k := range got {
		var want blockMasks
		for i := range 64 {
			c := byte(' ')
			if k*64+i < len(line) {
				c = line[k*64+i]
			}
			set := func(m *uint64, b bool) {
				if b {
					*m |= 1 << i
				}
			}
			bracket, sep := strings.IndexByte("{}[]", c) >= 0, c == ':' || c == ','
			structural := bracket || sep
			set(&want.quote, c == '"')
			set(&want.backslash, c == '\\')
			set(&want.ctl, c < 0x20)
			set(&want.bracket, bracket)
			set(&want.sep, sep)
			set(&want.delim, structural || isJSONSpace(c))
			set(&want.digit, isDecDigit(c))
			set(&want.zero, c == '0')
			set(&want.minus, c == '-')
			set(&want.plus, c == '+')
			set(&want.dot, c == '.')
			set(&want.expo, c|0x20 == 'e')
		}
		if got[k] != want {
			t.Fatalf("classify(%q) block %d:\n got %+v\nwant %+v", line, k, got[k], want)
		}
	}
}
