package integration

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/headcount/headcount/internal/contracttest"
	"github.com/headcount/headcount/processor"
	"github.com/headcount/headcount/processor/framegen"
	"github.com/headcount/headcount/state"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
)

// headcountBin is the binary under test, built once by TestMain into
// scratchDir, which also holds the shared dataset's file.
var headcountBin, scratchDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "headcount-integration-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "integration:", err)
		os.Exit(2)
	}
	scratchDir = dir
	if headcountBin, err = BuildBinary(dir, "./cmd/headcount"); err != nil {
		fmt.Fprintln(os.Stderr, "integration:", err)
		os.RemoveAll(dir)
		os.Exit(2)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// line is one generated input line and the test's own verdict on it.
type line struct {
	raw    []byte // without its '\n' (a '\r' stays, as kafka-console-producer leaves it)
	uid    string
	ts     int64
	reason string // "" when the frame counts, else the contract's reason
}

// dataset is a generated input: its lines in order and the file holding them.
type dataset struct {
	lines []line
	file  string
}

// newDataset generates cfg's lines into a file under dir and judges each one
// independently of the processor.
func newDataset(t testing.TB, dir string, cfg framegen.Config) *dataset {
	t.Helper()
	var buf bytes.Buffer
	if _, err := framegen.New(cfg).WriteTo(&buf); err != nil {
		t.Fatalf("generate frames: %v", err)
	}
	d := &dataset{file: filepath.Join(dir, "frames.jsonl")}
	if err := os.WriteFile(d.file, buf.Bytes(), 0o644); err != nil {
		t.Fatalf("write frames: %v", err)
	}
	for raw := range bytes.Lines(buf.Bytes()) {
		raw = bytes.TrimSuffix(raw, []byte("\n"))
		uid, ts, reason := judge(raw)
		d.lines = append(d.lines, line{raw: raw, uid: uid, ts: ts, reason: reason})
	}
	return d
}

// maxTS is the largest ts the contract's extractor takes (9999-12-31T23:59:59Z).
const maxTS = 253402300799

// judge decides on one line by the contract alone, with encoding/json:
// decoding into map[string]json.RawMessage matches member names exactly, so
// framegen's decoy keys ("UID", "Ts", ...) are not mistaken for the real ones.
// Timestamp plausibility (ts_outlier, too_late) is left out: the test data
// has no bit flips and its delays stay within the grace period.
func judge(raw []byte) (uid string, ts int64, reason string) {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(raw, &obj); err != nil || obj == nil {
		return "", 0, "malformed"
	}
	u, ok := obj["uid"]
	if !ok || len(u) == 0 || u[0] != '"' || json.Unmarshal(u, &uid) != nil || uid == "" {
		return "", 0, "missing_uid"
	}
	v, ok := obj["ts"]
	if !ok {
		return "", 0, "missing_ts"
	}
	digits := string(v)
	if len(v) > 0 && v[0] == '"' {
		if json.Unmarshal(v, &digits) != nil {
			return "", 0, "bad_ts"
		}
	}
	if digits == "" || strings.Trim(digits, "0123456789") != "" {
		return "", 0, "bad_ts"
	}
	n, err := strconv.ParseInt(digits, 10, 64)
	if err != nil || n > maxTS {
		return "", 0, "bad_ts"
	}
	return uid, n, ""
}

// counts is a window's expected answer.
type counts struct{ uniques, frames uint64 }

// windowSizes are the windows the tests count, with their length in seconds.
var windowSizes = map[string]int64{"minute": 60, "hour": 3600}

// finals counts the lines for which keep is true (nil: every line) per
// minute and hour window, keyed like the results topic ("minute:1468244340").
func (d *dataset) finals(keep func(i int) bool) map[string]counts {
	return d.countWindows([]string{"minute", "hour"}, keep)
}

// countWindows counts, with maps, the accepted lines for which keep is true
// (nil: every line) per window of the given kinds (windowBounds), keyed like
// the results topic ("day:1468195200").
func (d *dataset) countWindows(windows []string, keep func(i int) bool) map[string]counts {
	users := map[string]map[string]struct{}{}
	frames := map[string]uint64{}
	for i, l := range d.lines {
		if l.reason != "" || (keep != nil && !keep(i)) {
			continue
		}
		for _, w := range windows {
			start, _ := windowBounds(w, l.ts)
			k := w + ":" + strconv.FormatInt(start, 10)
			if users[k] == nil {
				users[k] = map[string]struct{}{}
			}
			users[k][l.uid] = struct{}{}
			frames[k]++
		}
	}
	out := make(map[string]counts, len(users))
	for k, u := range users {
		out[k] = counts{uniques: uint64(len(u)), frames: frames[k]}
	}
	return out
}

// result is one record of a results topic, decoded by the contract.
type result struct {
	contracttest.Result
	key       string
	partition int32
	offset    int64
}

// where says which record held r, "partition/offset".
func (r result) where() string { return fmt.Sprintf("%d/%d", r.partition, r.offset) }

// parseResults decodes result lines, from records (key set) or from stdout
// lines (key empty).
func parseResults(t testing.TB, keys, values [][]byte) []result {
	t.Helper()
	out := make([]result, 0, len(values))
	for i, v := range values {
		c, err := contracttest.DecodeResult(v)
		if err != nil {
			t.Fatal(err)
		}
		r := result{Result: c}
		if keys != nil {
			r.key = string(keys[i])
		}
		out = append(out, r)
	}
	return out
}

// resultsOf decodes the records of a results topic.
func resultsOf(t testing.TB, recs []*kgo.Record) []result {
	t.Helper()
	keys, values := make([][]byte, len(recs)), make([][]byte, len(recs))
	for i, r := range recs {
		keys[i], values[i] = r.Key, r.Value
	}
	rs := parseResults(t, keys, values)
	for i, r := range recs {
		rs[i].partition, rs[i].offset = r.Partition, r.Offset
	}
	return rs
}

// stdoutResults decodes JSON lines as count and run --stdout print them.
func stdoutResults(t testing.TB, out []byte) []result {
	t.Helper()
	var values [][]byte
	for l := range bytes.Lines(out) {
		if l = bytes.TrimSpace(l); len(l) > 0 {
			values = append(values, l)
		}
	}
	return parseResults(t, nil, values)
}

// finalsOf returns the answer of every window with a final result; a window
// with more than one final fails the test.
func finalsOf(t testing.TB, rs []result) map[string]counts {
	t.Helper()
	out := map[string]counts{}
	for _, r := range rs {
		if r.Status != "final" {
			continue
		}
		k := r.Window + ":" + strconv.FormatInt(r.Start, 10)
		if _, dup := out[k]; dup {
			t.Errorf("window %s has more than one final result", k)
		}
		out[k] = counts{uniques: r.Uniques, frames: r.Frames}
	}
	return out
}

// checkFinals asserts that rs holds exactly one final result for every
// window of want, with want's counts, and nothing else: no other window, no
// early result (the tests run with --early 0) and no revision (nothing is
// late), each result well formed.
func checkFinals(t testing.TB, what string, rs []result, want map[string]counts) {
	t.Helper()
	if len(want) == 0 {
		t.Fatalf("%s: the test expects no window at all", what)
	}
	finals := map[string]int{}
	for _, r := range rs {
		k := r.Window + ":" + strconv.FormatInt(r.Start, 10)
		if r.key != "" && r.key != k {
			t.Errorf("%s: record key %q holds the result of %s", what, r.key, k)
		}
		if size, ok := windowSizes[r.Window]; !ok || r.Start%size != 0 || r.End != r.Start+size {
			t.Errorf("%s: %s has window [%d, %d)", what, k, r.Start, r.End)
		}
		if r.Status != "final" {
			t.Errorf("%s: %s has a %q result (uniques %d, frames %d); want only finals", what, k, r.Status, r.Uniques, r.Frames)
			continue
		}
		if !r.Exact || r.Late != 0 {
			t.Errorf("%s: %s final has exact=%v late=%d; want exact, none late", what, k, r.Exact, r.Late)
		}
		finals[k]++
		w, ok := want[k]
		switch {
		case !ok:
			t.Errorf("%s: final for %s, a window without counted frames", what, k)
		case r.Uniques != w.uniques || r.Frames != w.frames:
			t.Errorf("%s: %s final uniques=%d frames=%d; want uniques=%d frames=%d", what, k, r.Uniques, r.Frames, w.uniques, w.frames)
		}
	}
	for _, k := range slices.Sorted(maps.Keys(want)) {
		if n := finals[k]; n != 1 {
			t.Errorf("%s: %s has %d final results; want exactly 1", what, k, n)
		}
	}
}

// readTopic reads every partition of topic from its start up to its end at
// the time of the call (the last stable offset for read_committed, the high
// watermark otherwise) and returns the data records in partition, then offset,
// order. Control records are kept, so every offset below the end is either
// returned or a gap, and reading stops exactly at the end.
//
// For read_committed it first waits until no transaction is open on the
// topic: the tests read once the producers are gone, and a committed
// transaction's markers reach its partitions only after End returned.
func readTopic(t testing.TB, seeds []string, topic string, isolation kgo.IsolationLevel) []*kgo.Record {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	adm := kadm.NewClient(NewClient(t, seeds))
	if isolation == kgo.ReadCommitted() {
		Eventually(t, 20*time.Second, "no open transaction on "+topic, func() bool {
			return len(openTransactions(t, adm, topic)) == 0
		})
	}
	ends := EndOffsets(t, ctx, adm, topic, isolation)
	starts, err := adm.ListStartOffsets(ctx, topic)
	if err == nil {
		err = starts.Error()
	}
	if err != nil {
		t.Fatalf("start offsets of %s: %v", topic, err)
	}
	want := map[int32]int64{}
	consume := map[int32]kgo.Offset{}
	ends.Each(func(o kadm.ListedOffset) {
		if s, _ := starts.Lookup(topic, o.Partition); o.Offset > s.Offset {
			want[o.Partition] = o.Offset
			consume[o.Partition] = kgo.NewOffset().At(s.Offset)
		}
	})
	var out []*kgo.Record
	if len(want) == 0 {
		return out
	}
	cl := NewClient(t, seeds,
		kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{topic: consume}),
		kgo.FetchIsolationLevel(isolation),
		kgo.KeepControlRecords(),
		kgo.FetchMaxPartitionBytes(16<<20),
	)
	defer cl.Close()
	for len(want) > 0 {
		fs := cl.PollFetches(ctx)
		if err := fs.Err0(); err != nil {
			t.Fatalf("read %s up to %v: %v", topic, want, err)
		}
		fs.EachRecord(func(r *kgo.Record) {
			end, reading := want[r.Partition]
			if !reading || r.Offset >= end {
				return
			}
			if !r.Attrs.IsControl() {
				out = append(out, r)
			}
			if r.Offset >= end-1 {
				delete(want, r.Partition)
			}
		})
	}
	slices.SortFunc(out, func(a, b *kgo.Record) int {
		if a.Partition != b.Partition {
			return int(a.Partition - b.Partition)
		}
		return int(a.Offset - b.Offset)
	})
	return out
}

// groupOffsets returns the offsets group has committed on topic, per partition.
func groupOffsets(t testing.TB, adm *kadm.Client, group, topic string) map[int32]int64 {
	t.Helper()
	resp, err := adm.FetchOffsets(t.Context(), group)
	if err == nil {
		err = resp.Error()
	}
	if err != nil {
		t.Fatalf("committed offsets of group %s: %v", group, err)
	}
	out := map[int32]int64{}
	for p, o := range resp[topic] {
		out[p] = o.At
	}
	return out
}

// waitConsumed waits until group has committed at least n input records in
// total and returns the committed offsets.
func waitConsumed(t testing.TB, adm *kadm.Client, group, topic string, n int64, timeout time.Duration) map[int32]int64 {
	t.Helper()
	var offs map[int32]int64
	Eventually(t, timeout, fmt.Sprintf("group %s to commit %d records of %s", group, n, topic), func() bool {
		offs = groupOffsets(t, adm, group, topic)
		return sum(offs) >= n
	})
	return offs
}

func sum(offs map[int32]int64) int64 {
	var s int64
	for _, o := range offs {
		s += o
	}
	return s
}

// openTransactions returns the partitions of topics whose last stable offset
// is below their high watermark: a transaction is open there.
func openTransactions(t testing.TB, adm *kadm.Client, topics ...string) map[string]map[int32][2]int64 {
	t.Helper()
	hw, err := adm.ListEndOffsets(t.Context(), topics...)
	if err == nil {
		err = hw.Error()
	}
	if err != nil {
		t.Fatalf("end offsets: %v", err)
	}
	lso, err := adm.ListCommittedOffsets(t.Context(), topics...)
	if err == nil {
		err = lso.Error()
	}
	if err != nil {
		t.Fatalf("stable offsets: %v", err)
	}
	out := map[string]map[int32][2]int64{}
	hw.Each(func(h kadm.ListedOffset) {
		if l, _ := lso.Lookup(h.Topic, h.Partition); l.Offset < h.Offset {
			if out[h.Topic] == nil {
				out[h.Topic] = map[int32][2]int64{}
			}
			out[h.Topic][h.Partition] = [2]int64{l.Offset, h.Offset}
		}
	})
	return out
}

// load produces a dataset's lines, without keys as kafka-console-producer
// does, and records where each line landed.
type load struct {
	mu   sync.Mutex
	at   map[int32]map[int64]int // partition, offset: line index
	err  error
	done chan struct{}
}

// startLoad produces d's lines to topic in the background: all at once when
// perSecond is 0, else at about perSecond lines a second, so that a service
// reading the topic is mid-stream for a while.
func startLoad(t testing.TB, seeds []string, topic string, d *dataset, perSecond int) *load {
	t.Helper()
	cl := NewClient(t, seeds, kgo.DefaultProduceTopic(topic), kgo.ProducerLinger(5*time.Millisecond))
	ld := &load{at: map[int32]map[int64]int{}, done: make(chan struct{})}
	chunk := len(d.lines)
	if perSecond > 0 {
		chunk = max(perSecond/20, 1)
	}
	go func() {
		defer close(ld.done)
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		for from := 0; from < len(d.lines); from += chunk {
			if from > 0 {
				<-tick.C
			}
			for i := from; i < min(from+chunk, len(d.lines)); i++ {
				cl.Produce(context.Background(), &kgo.Record{Value: d.lines[i].raw}, func(r *kgo.Record, err error) {
					ld.mu.Lock()
					defer ld.mu.Unlock()
					if err != nil {
						ld.err = err
						return
					}
					if ld.at[r.Partition] == nil {
						ld.at[r.Partition] = map[int64]int{}
					}
					ld.at[r.Partition][r.Offset] = i
				})
			}
			if err := cl.Flush(context.Background()); err != nil {
				ld.mu.Lock()
				ld.err = err
				ld.mu.Unlock()
				return
			}
		}
	}()
	return ld
}

// finished reports whether every line was produced (or producing failed).
func (ld *load) finished() bool {
	select {
	case <-ld.done:
		return true
	default:
		return false
	}
}

// Wait waits until every line is acknowledged.
func (ld *load) Wait(t testing.TB) {
	t.Helper()
	select {
	case <-ld.done:
	case <-time.After(2 * time.Minute):
		t.Fatal("producing frames took over 2 minutes")
	}
	if ld.err != nil {
		t.Fatalf("produce frames: %v", ld.err)
	}
}

// below returns a filter of the lines placed below offs (the committed
// offsets of a consumer group).
func (ld *load) below(offs map[int32]int64) func(i int) bool {
	keep := map[int]bool{}
	for p, at := range ld.at {
		for off, i := range at {
			if off < offs[p] {
				keep[i] = true
			}
		}
	}
	return func(i int) bool { return keep[i] }
}

// checkDeadLetters asserts that the dead-letter records are exactly the
// rejected lines below offs (every rejected line when offs is nil), each once,
// with the original bytes and headers naming the line's reason and position.
func checkDeadLetters(t testing.TB, d *dataset, ld *load, input string, offs map[int32]int64, recs []*kgo.Record) {
	t.Helper()
	want := map[[2]int64]int{}
	for p, at := range ld.at {
		for off, i := range at {
			if d.lines[i].reason != "" && (offs == nil || off < offs[p]) {
				want[[2]int64{int64(p), off}] = i
			}
		}
	}
	seen := map[[2]int64]bool{}
	for _, r := range recs {
		h := map[string]string{}
		for _, kv := range r.Headers {
			h[kv.Key] = string(kv.Value)
		}
		p, err1 := strconv.ParseInt(h[processor.HeaderSourcePartition], 10, 32)
		off, err2 := strconv.ParseInt(h[processor.HeaderSourceOffset], 10, 64)
		if err1 != nil || err2 != nil || h[processor.HeaderSourceTopic] != input {
			t.Errorf("dead letter %d/%d: headers %v do not name a record of %s", r.Partition, r.Offset, h, input)
			continue
		}
		pos := [2]int64{p, off}
		if seen[pos] {
			t.Errorf("dead letter for %s %d/%d appears twice", input, p, off)
		}
		seen[pos] = true
		i, ok := want[pos]
		if !ok {
			t.Errorf("dead letter for %s %d/%d (reason %s), which is not a rejected line below the committed offsets", input, p, off, h[processor.HeaderReason])
			continue
		}
		if !bytes.Equal(r.Value, d.lines[i].raw) {
			t.Errorf("dead letter for %d/%d holds %q; want the original line %q", p, off, r.Value, d.lines[i].raw)
		}
		if h[processor.HeaderReason] != d.lines[i].reason {
			t.Errorf("dead letter for %d/%d has reason %q; want %q (line %q)", p, off, h[processor.HeaderReason], d.lines[i].reason, d.lines[i].raw)
		}
	}
	missing := 0
	for pos := range want {
		if !seen[pos] {
			missing++
		}
	}
	if missing > 0 {
		t.Errorf("%d of %d rejected lines have no dead letter", missing, len(want))
	}
}

// repartitionHashes groups the uid hashes carried by repartition records by
// window key, sorted; progress records ("wm:<p>") are skipped. This reads the
// service's internal wire format (processor/wire.go): 8 bytes little-endian a hash.
func repartitionHashes(t testing.TB, recs []*kgo.Record) map[string][]uint64 {
	t.Helper()
	out := map[string][]uint64{}
	for _, r := range recs {
		k := string(r.Key)
		if strings.HasPrefix(k, "wm:") {
			continue
		}
		if len(r.Value)%8 != 0 {
			t.Fatalf("repartition record %s at %d/%d: %d bytes", k, r.Partition, r.Offset, len(r.Value))
		}
		for v := r.Value; len(v) >= 8; v = v[8:] {
			out[k] = append(out[k], binary.LittleEndian.Uint64(v))
		}
	}
	for _, hs := range out {
		slices.Sort(hs)
	}
	return out
}

// hashesOf returns the uid hashes of the kept counted lines, per window key, sorted.
func (d *dataset) hashesOf(keep func(i int) bool) map[string][]uint64 {
	out := map[string][]uint64{}
	for i, l := range d.lines {
		if l.reason != "" || !keep(i) {
			continue
		}
		h := state.Hash([]byte(l.uid))
		for w, size := range windowSizes {
			k := w + ":" + strconv.FormatInt(l.ts-l.ts%size, 10)
			out[k] = append(out[k], h)
		}
	}
	for _, hs := range out {
		slices.Sort(hs)
	}
	return out
}

// newApp returns the name and topic names of a new app with a fresh input topic of
// the given partition count; the test deletes them all when it ends.
func newApp(t testing.TB, seeds []string, adm *kadm.Client, inputPartitions int32) (string, processor.Topics) {
	t.Helper()
	return appFor(t, adm, NewTopic(t, adm, "frames", inputPartitions, nil))
}

// appFor returns a new app (its topics and group deleted when the test
// ends) that reads an existing input topic.
func appFor(t testing.TB, adm *kadm.Client, input string) (string, processor.Topics) {
	t.Helper()
	app := UniqueName(t, "app")
	topics := processor.TopicNames(app, input, "", "")
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := adm.DeleteTopics(ctx, topics.Results, topics.Rejects, topics.Changelog, topics.Repartition); err != nil {
			t.Logf("delete topics of %s: %v", app, err)
		}
		// A killed member keeps the group non-empty until its session times out.
		if _, err := adm.DeleteGroup(ctx, app); err != nil && !errors.Is(err, kerr.NonEmptyGroup) {
			t.Logf("delete group %s: %v", app, err)
		}
	})
	return app, topics
}

// runArgs returns the arguments of headcount run for an app, with the
// windows and early setting every service test uses, then extra.
func runArgs(seeds []string, app, input, instance string, extra ...string) []string {
	args := []string{"run", "--brokers", strings.Join(seeds, ","), "--app", app, "--input", input,
		"--instance", instance, "--windows", "minute,hour", "--early", "0"}
	return append(args, extra...)
}
