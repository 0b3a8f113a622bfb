package integration

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// cliTimeout bounds one run of produce or tail on small inputs.
const cliTimeout = 2 * time.Minute

// runCLI runs the headcount binary with stdin and returns its stdout, stderr
// and error (an *exec.ExitError for a non-zero exit).
func runCLI(t *testing.T, stdin []byte, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), cliTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, headcountBin, args...)
	var out, errb bytes.Buffer
	cmd.Stdin, cmd.Stdout, cmd.Stderr = bytes.NewReader(stdin), &out, &errb
	err = cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("headcount %s did not finish within %v; stderr:\n%s", strings.Join(args, " "), cliTimeout, errb.String())
	}
	return out.String(), errb.String(), err
}

// topicValues reads every partition of topic from its start to its high
// watermark at the time of the call and returns the values, sorted: records
// without keys spread over partitions, so only the multiset is defined.
func topicValues(t *testing.T, seeds []string, topic string) []string {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	cl := NewClient(t, seeds, kgo.KeepControlRecords(), kgo.FetchMaxPartitionBytes(16<<20))
	ends, err := kadm.NewClient(cl).ListEndOffsets(ctx, topic)
	if err == nil {
		err = ends.Error()
	}
	if err != nil {
		t.Fatalf("end offsets of %s: %v", topic, err)
	}
	left := make(map[int32]int64)
	offsets := make(map[int32]kgo.Offset)
	ends.Each(func(o kadm.ListedOffset) {
		if o.Offset > 0 {
			left[o.Partition] = o.Offset
			offsets[o.Partition] = kgo.NewOffset().AtStart()
		}
	})
	cl.AddConsumePartitions(map[string]map[int32]kgo.Offset{topic: offsets})
	var values []string
	for len(left) > 0 {
		fs := cl.PollFetches(ctx)
		if err := fs.Err0(); err != nil {
			t.Fatalf("read %s: %v", topic, err)
		}
		fs.EachRecord(func(r *kgo.Record) {
			end, ok := left[r.Partition]
			if !ok || r.Offset >= end {
				return
			}
			if !r.Attrs.IsControl() {
				values = append(values, string(r.Value))
			}
			if r.Offset == end-1 {
				delete(left, r.Partition)
			}
		})
	}
	slices.Sort(values)
	return values
}

// generate returns `headcount gen` output with extra CRLF endings, empty
// lines (bare and "\r") and one line longer than produce's reads (300 kB)
// inserted: the produce command's edge cases.
func generate(t *testing.T, frames int) []byte {
	t.Helper()
	out, stderr, err := runCLI(t, nil, "gen", "--frames", fmt.Sprint(frames), "--crlf", "0.1", "--seed", "7")
	if err != nil {
		t.Fatalf("headcount gen: %v\n%s", err, stderr)
	}
	var b bytes.Buffer
	i := 0
	for line := range strings.Lines(out) {
		switch i++; i % 1000 {
		case 1:
			b.WriteString("\n")
		case 2:
			b.WriteString("\r\n")
		case 500:
			fmt.Fprintf(&b, `{"uid":"long","ts":1468244400,"pad":"%s"}`+"\n", strings.Repeat("x", 300<<10))
		}
		b.WriteString(line)
	}
	return b.Bytes()
}

// wantValues is what produce must write for input: every non-empty line,
// without its line ending, sorted.
func wantValues(input []byte) (values []string, empty int) {
	for line := range strings.Lines(string(input)) {
		line = strings.TrimSuffix(strings.TrimSuffix(line, "\n"), "\r")
		if line == "" {
			empty++
			continue
		}
		values = append(values, line)
	}
	slices.Sort(values)
	return values, empty
}

func TestProduceLoadsLines(t *testing.T) {
	bootstrap := Broker(t)
	seeds := Seeds(bootstrap)
	admin := NewAdmin(t, seeds)
	const frames = 5000 // and the inserted lines
	input := generate(t, frames)
	want, empty := wantValues(input)
	if len(want) <= frames || empty == 0 || !bytes.Contains(input, []byte("\r\n")) {
		t.Fatalf("test input: %d lines, %d empty, CRLF %v; want over %d lines, some empty, some CRLF",
			len(want), empty, bytes.Contains(input, []byte("\r\n")), frames)
	}
	dir := t.TempDir()
	plain := filepath.Join(dir, "frames.jsonl")
	if err := os.WriteFile(plain, input, 0o644); err != nil {
		t.Fatal(err)
	}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(input)
	zw.Close()
	// No .gz suffix: gzip is recognised by its magic bytes.
	zipped := filepath.Join(dir, "frames-compressed")
	if err := os.WriteFile(zipped, gz.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	half := bytes.Index(input[len(input)/2:], []byte("\n")) + len(input)/2 + 1
	first, second := filepath.Join(dir, "first.jsonl"), filepath.Join(dir, "second.jsonl")
	os.WriteFile(first, input[:half], 0o644)
	os.WriteFile(second, input[half:], 0o644)

	tests := []struct {
		name  string
		stdin []byte
		args  []string // files and flags
	}{
		{"file", nil, []string{plain}},
		{"gzip file", nil, []string{zipped}},
		{"stdin", input, nil},
		{"stdin without a final newline", bytes.TrimSuffix(input, []byte("\n")), nil},
		{"stdin dash", gz.Bytes(), []string{"-"}},
		{"two files", nil, []string{first, second}},
		{"uncompressed batches", nil, []string{"--compression", "none", plain}},
		{"zstd batches", nil, []string{"--compression", "zstd", plain}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			topic := NewTopic(t, admin, "frames", 3, nil)
			args := append([]string{"produce", "--brokers", bootstrap, "--topic", topic}, tt.args...)
			_, stderr, err := runCLI(t, tt.stdin, args...)
			if err != nil {
				t.Fatalf("produce: %v\n%s", err, stderr)
			}
			if s := fmt.Sprintf("produce: %d records to %s (%d empty lines skipped)", len(want), topic, empty); !strings.Contains(stderr, s) {
				t.Errorf("stderr lacks %q:\n%s", s, stderr)
			}
			got := topicValues(t, seeds, topic)
			if len(got) != len(want) {
				t.Fatalf("topic holds %d records, want %d", len(got), len(want))
			}
			for i := range got {
				if got[i] != want[i] {
					t.Fatalf("record values differ from the input lines, first at sorted index %d:\n got %.200q\nwant %.200q", i, got[i], want[i])
				}
			}
		})
	}
}

func TestProduceMissingTopic(t *testing.T) {
	bootstrap := Broker(t)
	seeds := Seeds(bootstrap)
	admin := NewAdmin(t, seeds)
	topic := UniqueName(t, "absent")
	input := []byte(`{"uid":"a","ts":1}` + "\n")

	_, stderr, err := runCLI(t, input, "produce", "--brokers", bootstrap, "--topic", topic)
	if err == nil {
		t.Fatalf("produce to a missing topic succeeded; stderr:\n%s", stderr)
	}
	if !strings.Contains(stderr, "does not exist") || !strings.Contains(stderr, "--create") {
		t.Errorf("stderr does not say the topic is missing and how to create it:\n%s", stderr)
	}
	md, err := admin.Metadata(kadm.WithAuthorizedOps(t.Context()), topic)
	if err != nil {
		t.Fatal(err)
	}
	if d, ok := md.Topics[topic]; ok && d.Err == nil {
		t.Fatalf("produce without --create created %s", topic)
	}

	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		admin.DeleteTopic(ctx, topic)
	})
	_, stderr, err = runCLI(t, input, "produce", "--brokers", bootstrap, "--topic", topic, "--create", "--partitions", "2")
	if err != nil {
		t.Fatalf("produce --create: %v\n%s", err, stderr)
	}
	Eventually(t, 30*time.Second, topic+" with 2 partitions", func() bool {
		md, err := admin.Metadata(kadm.WithAuthorizedOps(t.Context()), topic)
		return err == nil && md.Topics[topic].Err == nil && len(md.Topics[topic].Partitions) == 2
	})
	if got := topicValues(t, seeds, topic); !slices.Equal(got, []string{`{"uid":"a","ts":1}`}) {
		t.Errorf("topic holds %q, want the one line", got)
	}
}

// txnProduce writes records in one transaction and commits or aborts it.
func txnProduce(t *testing.T, cl *kgo.Client, commit bool, recs ...*kgo.Record) {
	t.Helper()
	if err := cl.BeginTransaction(); err != nil {
		t.Fatalf("begin: %v", err)
	}
	if err := cl.ProduceSync(t.Context(), recs...).FirstErr(); err != nil {
		t.Fatalf("produce: %v", err)
	}
	if err := cl.EndTransaction(t.Context(), kgo.TransactionEndTry(commit)); err != nil {
		t.Fatalf("end transaction: %v", err)
	}
}

// records returns one record per value, keyed key-<value>, to partition p.
func records(p int32, values ...string) []*kgo.Record {
	out := make([]*kgo.Record, len(values))
	for i, v := range values {
		out[i] = &kgo.Record{Key: []byte("key-" + v), Value: []byte(v), Partition: p}
	}
	return out
}

func TestTailPrintsCommitted(t *testing.T) {
	bootstrap := Broker(t)
	seeds := Seeds(bootstrap)
	admin := NewAdmin(t, seeds)
	topic := NewTopic(t, admin, "results", 2, nil)
	producer := func(name string) *kgo.Client {
		return NewClient(t, seeds,
			kgo.DefaultProduceTopic(topic),
			kgo.TransactionalID(UniqueName(t, name)),
			kgo.RecordPartitioner(kgo.ManualPartitioner()),
		)
	}
	txn := producer("txn")
	txnProduce(t, txn, true, records(0, "a1", "a2")...)
	txnProduce(t, txn, false, records(0, "aborted1")...)
	txnProduce(t, txn, false, records(1, "aborted2")...) // partition 1 ends with an abort marker
	txnProduce(t, txn, true, records(0, "c1")...)
	// A transaction still open when tail starts: its records lie past the last
	// stable offset, so tail neither prints them nor waits for them.
	open := producer("open")
	if err := open.BeginTransaction(); err != nil {
		t.Fatal(err)
	}
	if err := open.ProduceSync(t.Context(), records(1, "open1")...).FirstErr(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { open.EndTransaction(context.Background(), kgo.TryAbort) })

	tests := []struct {
		name string
		args []string
		want []string
	}{
		{"values", nil, []string{"a1", "a2", "c1"}},
		{"keys", []string{"--keys"}, []string{"key-a1\ta1", "key-a2\ta2", "key-c1\tc1"}},
		{"not from the beginning", []string{"--no-from-beginning"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stdout, stderr, err := runCLI(t, nil, append([]string{"tail", "--brokers", bootstrap, "--topic", topic}, tt.args...)...)
			if err != nil {
				t.Fatalf("tail: %v\n%s", err, stderr)
			}
			got := slices.Sorted(strings.Lines(stdout))
			want := make([]string, len(tt.want))
			for i, w := range tt.want {
				want[i] = w + "\n"
			}
			if !slices.Equal(got, want) {
				t.Errorf("tail printed %q, want %q", got, want)
			}
		})
	}
}

func TestTailEmptyAndMissing(t *testing.T) {
	bootstrap := Broker(t)
	admin := NewAdmin(t, Seeds(bootstrap))
	topic := NewTopic(t, admin, "empty", 3, nil)
	stdout, stderr, err := runCLI(t, nil, "tail", "--brokers", bootstrap, "--topic", topic)
	if err != nil || stdout != "" {
		t.Errorf("tail of an empty topic: %v, printed %q\n%s", err, stdout, stderr)
	}
	_, stderr, err = runCLI(t, nil, "tail", "--brokers", bootstrap, "--topic", UniqueName(t, "absent"), "--follow")
	if err == nil || !strings.Contains(stderr, "UNKNOWN_TOPIC_OR_PARTITION") {
		t.Errorf("tail --follow of a missing topic: %v, want an unknown-topic error; stderr:\n%s", err, stderr)
	}
}

func TestTailFollow(t *testing.T) {
	bootstrap := Broker(t)
	seeds := Seeds(bootstrap)
	admin := NewAdmin(t, seeds)
	topic := NewTopic(t, admin, "results", 2, nil)
	txn := NewClient(t, seeds,
		kgo.DefaultProduceTopic(topic),
		kgo.TransactionalID(UniqueName(t, "txn")),
		kgo.RecordPartitioner(kgo.ManualPartitioner()),
	)
	txnProduce(t, txn, true, records(0, "before")...)

	p := StartProc(t, "tail", headcountBin, []string{"tail", "--brokers", bootstrap, "--topic", topic, "--follow"})
	Eventually(t, 30*time.Second, "the record written before tail started", func() bool {
		return p.Stdout() == "before\n"
	})
	txnProduce(t, txn, false, records(1, "aborted")...)
	txnProduce(t, txn, true, records(1, "after")...)
	Eventually(t, 30*time.Second, "the record committed while tail follows", func() bool {
		return strings.Contains(p.Stdout(), "after\n")
	})
	p.Signal(t, syscall.SIGINT)
	if code := p.Wait(t, 30*time.Second); code != 0 {
		t.Fatalf("tail --follow exited %d after SIGINT; stderr:\n%s", code, p.Stderr())
	}
	if got := slices.Sorted(strings.Lines(p.Stdout())); !slices.Equal(got, []string{"after\n", "before\n"}) {
		t.Errorf("tail --follow printed %q, want before and after only", got)
	}
}
