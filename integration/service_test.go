package integration

import (
	"maps"
	"math/rand/v2"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/headcount/headcount/processor/framegen"
)

// The service tests start the real binary (headcount run) as a child
// process against the broker, load frames without keys as
// kafka-console-producer does, and read what the service published with
// read_committed consumers. Every expected count comes from the test's own
// encoding/json judgement of the generated lines (see judge).

// streamConfig is the frames most service tests use: 60,000 lines of about
// 2 KB over 200 s of event time (4 minutes, 1 hour), 5,000 users, 10% of the
// frames up to 5 s late (within the default grace), and some lines the
// contract rejects: garbage, truncated, and valid JSON without a usable uid or ts.
var streamConfig = framegen.Config{
	Seed:      7,
	Frames:    60_000,
	Users:     5_000,
	Rate:      300,
	Delayed:   0.1,
	MaxDelay:  5,
	Garbage:   0.003,
	Truncated: 0.003,
	Invalid:   0.003,
}

var (
	streamOnce sync.Once
	stream     *dataset
)

// streamData returns streamConfig's dataset, generated once per test binary.
func streamData(t testing.TB) *dataset {
	t.Helper()
	streamOnce.Do(func() { stream = newDataset(t, scratchDir, streamConfig) })
	if stream == nil {
		t.Fatal("the shared dataset failed to generate")
	}
	return stream
}

// Log messages of headcount run the tests wait for or rule out.
const (
	assigned = "partitions assigned and restored"
	aborted  = "transaction aborted"
)

// paced is the rate at which the mid-stream tests produce: slow enough
// that the service, several times faster, is caught in the middle.
const paced = 8_000

// TestServiceEndToEnd: frames in three partitions, one draining run; the
// results topic, window for window, equals headcount count on the same file
// and the test's own count, and the dead-letter topic holds exactly the
// rejected lines, pointing at them.
func TestServiceEndToEnd(t *testing.T) {
	seeds := Seeds(Broker(t))
	adm := NewAdmin(t, seeds)
	d := streamData(t)
	want := d.finals(nil)
	reasons := map[string]int{}
	for _, l := range d.lines {
		reasons[l.reason]++
	}
	// The data must exercise what the test claims to check.
	for _, r := range []string{"", "malformed", "missing_uid", "missing_ts", "bad_ts"} {
		if reasons[r] == 0 {
			t.Fatalf("dataset has no line of reason %q: %v", r, reasons)
		}
	}
	t.Logf("dataset: %d lines, verdicts %v, %d windows", len(d.lines), reasons, len(want))

	app, topics := newApp(t, seeds, adm, 3)
	ld := startLoad(t, seeds, topics.Input, d, 0)
	ld.Wait(t)
	if len(ld.at) != 3 {
		t.Fatalf("frames landed in %d partitions; want all 3", len(ld.at))
	}

	run := StartProc(t, "run", headcountBin, runArgs(seeds, app, topics.Input, "a", "--drain", "--stdout"))
	run.WaitOK(t, 2*time.Minute)

	got := resultsOf(t, readTopic(t, seeds, topics.Results, kgo.ReadCommitted()))
	checkFinals(t, "results topic", got, want)
	checkFinals(t, "run --stdout", stdoutResults(t, []byte(run.Stdout())), want)

	out := RunCmd(t, time.Minute, headcountBin, "count", "--early", "0", "--windows", "minute,hour", d.file)
	counted := stdoutResults(t, out)
	checkFinals(t, "headcount count", counted, want)
	if a, b := finalsOf(t, got), finalsOf(t, counted); !maps.Equal(a, b) {
		t.Errorf("results topic and headcount count differ:\n topic %v\n count %v", a, b)
	}

	checkDeadLetters(t, d, ld, topics.Input, nil, readTopic(t, seeds, topics.Rejects, kgo.ReadCommitted()))
}

// TestServiceAtomicity kills the service (SIGKILL) while one of its
// transactions is open on the broker. Once the broker aborted it, what
// read_committed readers see is exactly what the group's committed input
// offsets account for: the dead letters and the repartitioned uid hashes of
// the lines below them, nothing of the aborted transaction, and only exact
// finals. A restart of the same instance with --drain then gives every
// window's exact final result, once.
func TestServiceAtomicity(t *testing.T) {
	seeds := Seeds(Broker(t))
	adm := NewAdmin(t, seeds)
	d := streamData(t)
	app, topics := newApp(t, seeds, adm, 3)
	outputs := []string{topics.Results, topics.Rejects, topics.Changelog, topics.Repartition}

	run := StartProc(t, "run-1", headcountBin, runArgs(seeds, app, topics.Input, "a", "--transaction-timeout", "3s"))
	run.WaitLog(t, assigned, time.Minute)
	// Slowly: the loop below needs many tries while frames flow, and the
	// restart waits for the killed member's session to expire anyway.
	ld := startLoad(t, seeds, topics.Input, d, paced/4)
	waitConsumed(t, adm, app, topics.Input, int64(len(d.lines))/20, time.Minute)

	// Freeze the process at random moments until one finds a transaction
	// open on the broker (records produced, End not yet sent: still open
	// after a pause in which the markers of a sent End would have landed),
	// then kill it. Transactions are open for a small share of the time, so
	// this takes many cheap tries while frames flow.
	var open map[string]map[int32][2]int64
	for attempt := 1; ; attempt++ {
		run.Stop(t)
		if open = openTransactions(t, adm, outputs...); len(open) > 0 {
			time.Sleep(500 * time.Millisecond)
			if again := openTransactions(t, adm, outputs...); maps.EqualFunc(open, again, maps.Equal) {
				t.Logf("attempt %d: transaction open on %v", attempt, open)
				break
			}
		}
		if ld.finished() {
			t.Fatalf("never caught the service with a transaction open on the broker in %d tries", attempt)
		}
		run.Cont(t)
		time.Sleep(time.Duration(rand.IntN(40)) * time.Millisecond)
	}
	run.Kill(t)
	killed := time.Now()
	atKill := groupOffsets(t, adm, app, topics.Input)

	// The coordinator aborts the dead producer's transaction after its timeout.
	Eventually(t, 30*time.Second, "the killed transaction to be aborted", func() bool {
		return len(openTransactions(t, adm, outputs...)) == 0
	})
	ld.Wait(t)
	offs := groupOffsets(t, adm, app, topics.Input)
	if !maps.Equal(offs, atKill) {
		t.Errorf("committed input offsets moved after the kill: %v, then %v", atKill, offs)
	}
	if total := sum(offs); total == 0 || total >= int64(len(d.lines)) {
		t.Fatalf("committed %d of %d input records at the kill; want mid-stream", total, len(d.lines))
	}
	t.Logf("killed with input offsets %v committed (%d of %d records)", offs, sum(offs), len(d.lines))

	// The aborted records exist, and read_committed readers do not see them.
	aborted := 0
	for topic := range open {
		n := len(readTopic(t, seeds, topic, kgo.ReadUncommitted())) - len(readTopic(t, seeds, topic, kgo.ReadCommitted()))
		aborted += n
	}
	if aborted == 0 {
		t.Errorf("no aborted records in %v, where a transaction was open", slices.Sorted(maps.Keys(open)))
	}

	keep := ld.below(offs)
	checkDeadLetters(t, d, ld, topics.Input, offs, readTopic(t, seeds, topics.Rejects, kgo.ReadCommitted()))
	gotHashes := repartitionHashes(t, readTopic(t, seeds, topics.Repartition, kgo.ReadCommitted()))
	if wantHashes := d.hashesOf(keep); !maps.EqualFunc(gotHashes, wantHashes, slices.Equal[[]uint64]) {
		for k := range mergeKeys(gotHashes, wantHashes) {
			if g, w := gotHashes[k], wantHashes[k]; !slices.Equal(g, w) {
				t.Errorf("repartition topic holds %d uid hashes for %s; the lines below the committed offsets have %d", len(g), k, len(w))
			}
		}
	}
	want := d.finals(nil)
	visible := checkSomeFinals(t, "results before the restart", resultsOf(t, readTopic(t, seeds, topics.Results, kgo.ReadCommitted())), want)
	t.Logf("%d aborted records, %d finals visible before the restart", aborted, visible)

	restarted := time.Now()
	rerun := StartProc(t, "run-2", headcountBin, runArgs(seeds, app, topics.Input, "a", "--drain", "--transaction-timeout", "3s"))
	rerun.WaitLog(t, assigned, 2*time.Minute)
	// The killed member holds its partitions until its session times out.
	t.Logf("restarted instance got its partitions %v after its start, %v after the kill",
		time.Since(restarted).Round(time.Millisecond), time.Since(killed).Round(time.Millisecond))
	rerun.WaitOK(t, 2*time.Minute)
	if strings.Contains(rerun.Stderr(), "changelog position differs") {
		t.Errorf("restored gate state disagrees with the committed offsets:\n%s", rerun.Stderr())
	}
	checkFinals(t, "results after the restart", resultsOf(t, readTopic(t, seeds, topics.Results, kgo.ReadCommitted())), want)
	checkDeadLetters(t, d, ld, topics.Input, nil, readTopic(t, seeds, topics.Rejects, kgo.ReadCommitted()))
}

// TestServiceRestoreMidMinute stops one instance (SIGTERM) half way through
// the stream, after it published some finals and in the middle of a minute;
// another instance drains the rest from the restored state. Every minute's
// final is exact and appears once.
func TestServiceRestoreMidMinute(t *testing.T) {
	seeds := Seeds(Broker(t))
	adm := NewAdmin(t, seeds)
	d := streamData(t)
	app, topics := newApp(t, seeds, adm, 3)
	want := d.finals(nil)

	a := StartProc(t, "run-a", headcountBin, runArgs(seeds, app, topics.Input, "a"))
	a.WaitLog(t, assigned, time.Minute)
	ld := startLoad(t, seeds, topics.Input, d, paced)
	waitConsumed(t, adm, app, topics.Input, int64(len(d.lines))/2, time.Minute)
	a.Term(t)
	a.WaitOK(t, 10*time.Second)
	if strings.Contains(a.Stderr(), aborted) {
		t.Errorf("instance a aborted a transaction instead of committing it on SIGTERM:\n%s", a.Stderr())
	}

	offs := groupOffsets(t, adm, app, topics.Input)
	visible := checkSomeFinals(t, "results of instance a", resultsOf(t, readTopic(t, seeds, topics.Results, kgo.ReadCommitted())), want)
	minutes := 0
	for k := range want {
		if strings.HasPrefix(k, "minute:") {
			minutes++
		}
	}
	if visible == 0 || visible >= minutes {
		t.Fatalf("instance a published %d of %d minute finals; want some, not all", visible, minutes)
	}
	t.Logf("instance a stopped at %v (%d of %d records), %d finals published", offs, sum(offs), len(d.lines), visible)

	ld.Wait(t)
	b := StartProc(t, "run-b", headcountBin, runArgs(seeds, app, topics.Input, "b", "--drain"))
	b.WaitOK(t, 2*time.Minute)
	if !strings.Contains(b.Stderr(), assigned) || strings.Contains(b.Stderr(), "changelog_records=0 ") {
		t.Errorf("instance b did not restore state from the changelog:\n%s", b.Stderr())
	}
	checkFinals(t, "results", resultsOf(t, readTopic(t, seeds, topics.Results, kgo.ReadCommitted())), want)
	checkDeadLetters(t, d, ld, topics.Input, nil, readTopic(t, seeds, topics.Rejects, kgo.ReadCommitted()))
}

// TestServiceTwoInstances runs two instances in one group over four input
// partitions while frames arrive; one leaves mid-run (SIGTERM), the other
// takes over, consumes the rest, and a --drain restart of it closes the last
// windows. Every window's final is exact and appears once.
func TestServiceTwoInstances(t *testing.T) {
	seeds := Seeds(Broker(t))
	adm := NewAdmin(t, seeds)
	d := streamData(t)
	app, topics := newApp(t, seeds, adm, 4)
	want := d.finals(nil)

	a := StartProc(t, "run-a", headcountBin, runArgs(seeds, app, topics.Input, "a", "--partitions", "4"))
	a.WaitLog(t, assigned, time.Minute)
	b := StartProc(t, "run-b", headcountBin, runArgs(seeds, app, topics.Input, "b", "--partitions", "4"))
	b.WaitLog(t, assigned, time.Minute)

	ld := startLoad(t, seeds, topics.Input, d, paced)
	waitConsumed(t, adm, app, topics.Input, int64(len(d.lines))*2/5, time.Minute)
	a.Term(t)
	a.WaitOK(t, 10*time.Second)
	at := groupOffsets(t, adm, app, topics.Input)
	if sum(at) >= int64(len(d.lines)) {
		t.Fatalf("instance a left after everything was consumed (%v); want mid-run", at)
	}
	Eventually(t, time.Minute, "instance b to take over a's partitions", func() bool {
		return strings.Count(b.Stderr(), assigned) >= 2
	})

	ld.Wait(t)
	Eventually(t, time.Minute, "instance b to consume every frame", func() bool {
		return sum(groupOffsets(t, adm, app, topics.Input)) == int64(len(d.lines))
	})
	b.Term(t)
	b.WaitOK(t, 10*time.Second)
	for _, p := range []*Proc{a, b} {
		if n := loggedFrames(t, p); n == 0 {
			t.Errorf("an instance processed no frame:\n%s", p.Stderr())
		}
	}
	checkSomeFinals(t, "results of the two instances", resultsOf(t, readTopic(t, seeds, topics.Results, kgo.ReadCommitted())), want)

	drain := StartProc(t, "run-b-drain", headcountBin, runArgs(seeds, app, topics.Input, "b", "--partitions", "4", "--drain"))
	drain.WaitOK(t, 2*time.Minute)
	checkFinals(t, "results", resultsOf(t, readTopic(t, seeds, topics.Results, kgo.ReadCommitted())), want)
	checkDeadLetters(t, d, ld, topics.Input, nil, readTopic(t, seeds, topics.Rejects, kgo.ReadCommitted()))
}

// TestServiceIdleStream: a live stream goes quiet after the last second of a
// minute. With no further frame, the clock closes that minute: its final
// appears once wall time passes the minute's end plus grace (and the idle
// interval), and not before. The grace is chosen so that this moment comes
// a few seconds after the service started: the clock, not the start-up,
// must close the minute.
func TestServiceIdleStream(t *testing.T) {
	seeds := Seeds(Broker(t))
	adm := NewAdmin(t, seeds)
	const rate, idle = 10, time.Second
	now := time.Now().Unix()
	end := now - now%60 // the last minute boundary: the stream's last minute ends here
	d := newDataset(t, t.TempDir(), framegen.Config{Seed: 3, Frames: 70 * rate, Rate: rate, Users: 300, Start: end - 70})
	want := map[string]counts{}
	for k, c := range d.finals(nil) {
		w, start, _ := strings.Cut(k, ":")
		if s, _ := strconv.ParseInt(start, 10, 64); s+windowSizes[w] <= end {
			want[k] = c // minutes, and the hour when end is a full hour
		}
	}
	last := "minute:" + strconv.FormatInt(end-60, 10)
	if _, ok := want[last]; !ok {
		t.Fatalf("dataset windows %v; want the minute before %d", want, end)
	}

	app, topics := newApp(t, seeds, adm, 3)
	ld := startLoad(t, seeds, topics.Input, d, 0)
	ld.Wait(t)
	closeAt := time.Now().Add(8 * time.Second).Truncate(time.Second)
	grace := closeAt.Sub(time.Unix(end, 0))
	run := StartProc(t, "run", headcountBin, runArgs(seeds, app, topics.Input, "a",
		"--idle", idle.String(), "--grace", grace.String(), "--stdout"))

	var seen time.Time
	Eventually(t, time.Until(closeAt)+idle+15*time.Second, "the final result of "+last, func() bool {
		for _, r := range stdoutResults(t, []byte(run.Stdout())) {
			if r.Window == "minute" && r.Start == end-60 && r.Status == "final" {
				seen = time.Now()
				return true
			}
		}
		return false
	})
	if seen.Before(closeAt) {
		t.Errorf("final of %s at %v, before its end plus grace (%v)", last, seen, closeAt)
	}
	t.Logf("final of %s %v after its end plus grace (%v)", last, seen.Sub(closeAt).Round(time.Millisecond), grace)
	run.Term(t)
	run.WaitOK(t, 10*time.Second)
	checkFinals(t, "results", resultsOf(t, readTopic(t, seeds, topics.Results, kgo.ReadCommitted())), want)
}

// TestServiceSigterm: SIGTERM mid-stream makes the service commit and exit
// 0 within 5 s; a --drain run afterwards gives exact results, each final once.
func TestServiceSigterm(t *testing.T) {
	seeds := Seeds(Broker(t))
	adm := NewAdmin(t, seeds)
	d := streamData(t)
	app, topics := newApp(t, seeds, adm, 3)

	run := StartProc(t, "run", headcountBin, runArgs(seeds, app, topics.Input, "a"))
	run.WaitLog(t, assigned, time.Minute)
	ld := startLoad(t, seeds, topics.Input, d, paced)
	waitConsumed(t, adm, app, topics.Input, int64(len(d.lines))/4, time.Minute)
	began := time.Now()
	run.Term(t)
	run.WaitOK(t, 5*time.Second)
	took := time.Since(began)
	offs := groupOffsets(t, adm, app, topics.Input)
	if sum(offs) >= int64(len(d.lines)) {
		t.Fatalf("SIGTERM landed after everything was consumed (%v); want mid-stream", offs)
	}
	run.WaitLog(t, "stopped", time.Second)
	if strings.Contains(run.Stderr(), aborted) {
		t.Errorf("the service aborted a transaction instead of committing it on SIGTERM:\n%s", run.Stderr())
	}
	t.Logf("exited %v after SIGTERM, at %d of %d records", took.Round(time.Millisecond), sum(offs), len(d.lines))

	ld.Wait(t)
	drain := StartProc(t, "drain", headcountBin, runArgs(seeds, app, topics.Input, "a", "--drain"))
	drain.WaitOK(t, 2*time.Minute)
	checkFinals(t, "results", resultsOf(t, readTopic(t, seeds, topics.Results, kgo.ReadCommitted())), d.finals(nil))
	checkDeadLetters(t, d, ld, topics.Input, nil, readTopic(t, seeds, topics.Rejects, kgo.ReadCommitted()))
}

// checkSomeFinals asserts that every result in rs is a final equal to
// want's, with no window final twice, and returns how many minute finals
// there are: what a reader may see while the service is still under way.
func checkSomeFinals(t testing.TB, what string, rs []result, want map[string]counts) int {
	t.Helper()
	minutes := 0
	for k, c := range finalsOf(t, rs) {
		if w, ok := want[k]; !ok || w != c {
			t.Errorf("%s: %s final is %+v; want %+v", what, k, c, w)
		}
		if strings.HasPrefix(k, "minute:") {
			minutes++
		}
	}
	for _, r := range rs {
		if r.Status != "final" {
			t.Errorf("%s: %s:%d has a %q result", what, r.Window, r.Start, r.Status)
		}
	}
	return minutes
}

var stoppedFrames = regexp.MustCompile(`msg=stopped frames=(\d+)`)

// loggedFrames returns the frame count an instance logged when it stopped.
func loggedFrames(t testing.TB, p *Proc) int {
	t.Helper()
	m := stoppedFrames.FindStringSubmatch(p.Stderr())
	if m == nil {
		t.Fatalf("no stop line in:\n%s", p.Stderr())
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

func mergeKeys[V any](a, b map[string]V) map[string]bool {
	out := map[string]bool{}
	for k := range a {
		out[k] = true
	}
	for k := range b {
		out[k] = true
	}
	return out
}
