package integration

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/headcount/headcount/processor"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// The chaos suite's driver: seeded randomness, following a child's log as
// it is written, killing the service at chosen moments, measuring how long
// it takes to get back to work, and the independent expected counts and the
// exactly-once check of a results topic for every window kind.

const (
	// chaosEnv set to "full" runs the full-length scenarios (make chaos).
	chaosEnv = "HEADCOUNT_CHAOS"
	// chaosSeedEnv replays a run: the seed every chaos test logs first.
	chaosSeedEnv = "HEADCOUNT_CHAOS_SEED"
)

// chaosFull reports whether the full-length scenarios were asked for.
func chaosFull() bool { return os.Getenv(chaosEnv) == "full" }

// requireFull skips a scenario that exists only at full length. The short
// suite (go test ./integration, make test) runs the short variants of the
// other scenarios for real.
func requireFull(t *testing.T) {
	t.Helper()
	if !chaosFull() {
		t.Skipf("full-length chaos scenario: runs with %s=full (make chaos)", chaosEnv)
	}
}

// chaosRand returns the test's source of randomness, seeded from
// HEADCOUNT_CHAOS_SEED or the clock, and logs the seed so that a failure
// can be replayed.
func chaosRand(t *testing.T) *rand.Rand {
	t.Helper()
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv(chaosSeedEnv); s != "" {
		v, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatalf("%s=%q: %v", chaosSeedEnv, s, err)
		}
		seed = v
	}
	mode := "short"
	if chaosFull() {
		mode = "full"
	}
	t.Logf("chaos seed %d (%s); replay: %s=%d %s=%s go test ./integration -count=1 -v -run '^%s$'",
		seed, mode, chaosSeedEnv, seed, chaosEnv, os.Getenv(chaosEnv), t.Name())
	return rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
}

// between returns a random duration in [lo, hi).
func between(rng *rand.Rand, lo, hi time.Duration) time.Duration {
	return lo + time.Duration(rng.Int64N(int64(hi-lo)))
}

// logLine is one line of headcount run's log (log/slog's text format).
type logLine struct {
	at    time.Time
	level string
	msg   string
	attrs map[string]string
	text  string
}

// parseLogLine reads key=value pairs, values quoted as strconv.Quote does
// when they hold spaces or quotes. ok is false for a line that is not a log
// record (a panic trace, say).
func parseLogLine(s string) (l logLine, ok bool) {
	l = logLine{text: s, attrs: map[string]string{}}
	for rest := s; ; {
		rest = strings.TrimLeft(rest, " ")
		eq := strings.IndexByte(rest, '=')
		if eq <= 0 {
			break
		}
		key, val := rest[:eq], ""
		rest = rest[eq+1:]
		if strings.HasPrefix(rest, `"`) {
			q, err := strconv.QuotedPrefix(rest)
			if err != nil {
				return l, false
			}
			val, _ = strconv.Unquote(q)
			rest = rest[len(q):]
		} else {
			end := strings.IndexByte(rest, ' ')
			if end < 0 {
				end = len(rest)
			}
			val, rest = rest[:end], rest[end:]
		}
		switch key {
		case "time":
			l.at, _ = time.Parse(time.RFC3339Nano, val)
		case "level":
			l.level = val
		case "msg":
			l.msg = val
		default:
			l.attrs[key] = val
		}
	}
	return l, !l.at.IsZero() && l.msg != ""
}

// Log records of headcount run the driver watches, besides assigned and
// aborted (service_test.go).
const (
	sessionStarted = "session started"
	txnLine        = "transaction" // debug, one a transaction: committed=true|false records=N
	sessionFailed  = "transactional session failed"
)

// duration is a transaction record's total time.
func (l logLine) duration() time.Duration {
	d, _ := time.ParseDuration(l.attrs["total"])
	return d
}

func isCommit(l logLine) bool { return l.msg == txnLine && l.attrs["committed"] == "true" }

func isBusyCommit(l logLine) bool { return isCommit(l) && l.attrs["records"] != "0" }

func isAssigned(l logLine) bool { return l.msg == assigned }

// fileTail follows a file that a child process appends lines to.
type fileTail struct {
	path string
	off  int64
	part []byte // an incomplete last line
}

// next returns the complete lines added since the last call.
func (f *fileTail) next() []string {
	fd, err := os.Open(f.path)
	if err != nil {
		return nil
	}
	defer fd.Close()
	if _, err := fd.Seek(f.off, io.SeekStart); err != nil {
		return nil
	}
	b, _ := io.ReadAll(fd)
	f.off += int64(len(b))
	data := append(f.part, b...)
	i := bytes.LastIndexByte(data, '\n')
	if i < 0 {
		f.part = data
		return nil
	}
	f.part = append([]byte(nil), data[i+1:]...)
	return strings.Split(string(data[:i]), "\n")
}

// logTail follows a Proc's log record by record.
type logTail struct {
	p     *Proc
	f     fileTail
	lines []logLine // every record so far
	pos   int       // records before pos were looked at by wait
}

func newLogTail(p *Proc) *logTail { return &logTail{p: p, f: fileTail{path: p.stderr}} }

// poll reads what the process logged since the last poll.
func (lt *logTail) poll() {
	for _, s := range lt.f.next() {
		if l, ok := parseLogLine(s); ok {
			lt.lines = append(lt.lines, l)
		}
	}
}

// wait returns the first record from the current position on that
// satisfies match, polling every 2 ms: the driver acts within milliseconds
// of the record. ok is false when the process exited or timeout passed first.
func (lt *logTail) wait(timeout time.Duration, match func(logLine) bool) (l logLine, ok bool) {
	deadline := time.Now().Add(timeout)
	for {
		exited := lt.p.Exited() // before reading, so the last records are seen
		lt.poll()
		for ; lt.pos < len(lt.lines); lt.pos++ {
			if match(lt.lines[lt.pos]) {
				l = lt.lines[lt.pos]
				lt.pos++
				return l, true
			}
		}
		if exited || time.Now().After(deadline) {
			return l, false
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// must is wait that fails the test with what and the log's end.
func (lt *logTail) must(t testing.TB, what string, timeout time.Duration, match func(logLine) bool) logLine {
	t.Helper()
	l, ok := lt.wait(timeout, match)
	if !ok {
		state := "still running"
		if lt.p.Exited() {
			state = fmt.Sprintf("exited (%v)", lt.p.err)
		}
		t.Fatalf("%s: no %s within %v, %s; stderr:\n%s", lt.p.name, what, timeout, state, tail(lt.p.Stderr(), 4096))
	}
	return l
}

// warnings returns the records at level WARN or ERROR.
func (lt *logTail) warnings() []logLine {
	lt.poll()
	var out []logLine
	for _, l := range lt.lines {
		if l.level == "WARN" || l.level == "ERROR" {
			out = append(out, l)
		}
	}
	return out
}

// recovery is how one run of an instance got back to work after the
// previous run was killed.
type recovery struct {
	run      string
	killed   time.Time     // the previous run's SIGKILL
	started  time.Time     // this run's start
	assigned time.Time     // its first assignment restored
	commit   time.Time     // its first committed transaction after that
	restored int           // changelog records read for that assignment
	took     time.Duration // restore time it logged
}

func (r recovery) total() time.Duration { return r.commit.Sub(r.killed) }

func (r recovery) String() string {
	return fmt.Sprintf("%s: kill to commit %v (restart to commit %v; joined and restored %d changelog records in %v, restore %v)",
		r.run, r.total().Round(time.Millisecond), r.commit.Sub(r.started).Round(time.Millisecond),
		r.restored, r.assigned.Sub(r.started).Round(time.Millisecond), r.took)
}

// recoveryOf reads a run's records for its first assignment and the first
// committed transaction after it; ok is false when it got that far.
func recoveryOf(run string, lines []logLine, killed, started time.Time) (r recovery, ok bool) {
	r = recovery{run: run, killed: killed, started: started}
	for _, l := range lines {
		switch {
		case r.assigned.IsZero() && isAssigned(l):
			r.assigned = l.at
			r.restored, _ = strconv.Atoi(l.attrs["changelog_records"])
			r.took, _ = time.ParseDuration(l.attrs["took"])
		case !r.assigned.IsZero() && isCommit(l):
			r.commit = l.at
			return r, true
		}
	}
	return r, false
}

// logRecoveries logs every recovery and their spread.
func logRecoveries(t testing.TB, what string, rs []recovery) {
	t.Helper()
	if len(rs) == 0 {
		t.Logf("%s: no restart got to a commit", what)
		return
	}
	ds := make([]time.Duration, len(rs))
	for i, r := range rs {
		t.Logf("recovery %s", r)
		ds[i] = r.total()
	}
	slices.Sort(ds)
	t.Logf("%s: %d recoveries, kill to next commit min %v, median %v, max %v", what, len(ds),
		ds[0].Round(time.Millisecond), ds[len(ds)/2].Round(time.Millisecond), ds[len(ds)-1].Round(time.Millisecond))
}

// Kill moments of the storm.
const (
	killRestore = "restore"      // right after the session started: joining the group or restoring state
	killCommit  = "after-commit" // right after a committed transaction
	killMid     = "mid-txn"      // in the middle of a transaction: records polled, not committed
	killOpen    = "open-txn"     // while the broker holds the transaction open (records produced, End not done)
	killRandom  = "random"       // any moment after the first assignment
)

// crash is one SIGKILL and what was going on at that instant.
type crash struct {
	run      string
	mode     string
	at       time.Time
	assigned bool   // the run had its partitions assigned and restored
	last     string // the run's last log message before the kill
	txn      string // the transaction's state on the broker right after
}

// member is one instance of the service (one --instance) under the driver's
// control: the real binary, started, killed and restarted, its log followed.
type member struct {
	t       *testing.T
	rng     *rand.Rand
	adm     *kadm.Client
	name    string
	txnID   string
	args    []string
	runs    int
	proc    *Proc
	log     *logTail
	started time.Time
	killed  time.Time // the last SIGKILL; zero after a clean stop
	all     []*logTail
	crashes []crash
	recs    []recovery
}

// streamToMember starts one member of a new app over a 3-partition input
// (minute and hour windows), waits for its partitions, then streams d into
// the input at rate frames a second.
func streamToMember(t *testing.T, rng *rand.Rand, seeds []string, adm *kadm.Client, d *dataset, rate int) (string, processor.Topics, *member, *load) {
	t.Helper()
	app, topics := newApp(t, seeds, adm, 3)
	m := newMember(t, rng, adm, app, "a", chaosArgs(seeds, app, topics.Input, "a", "--windows", "minute,hour"))
	m.start()
	m.waitAssigned(time.Minute)
	return app, topics, m, startLoad(t, seeds, topics.Input, d, rate)
}

func newMember(t *testing.T, rng *rand.Rand, adm *kadm.Client, app, name string, args []string) *member {
	return &member{t: t, rng: rng, adm: adm, name: name, txnID: app + "-" + name, args: args}
}

// start starts a new run with the member's arguments and extra.
func (m *member) start(extra ...string) {
	m.t.Helper()
	m.runs++
	m.started = time.Now()
	m.proc = StartProc(m.t, fmt.Sprintf("%s-%d", m.name, m.runs), headcountBin, append(slices.Clone(m.args), extra...))
	m.log = newLogTail(m.proc)
	m.all = append(m.all, m.log)
}

// ended records the recovery of a run that is over.
func (m *member) ended() {
	m.log.poll()
	if m.killed.IsZero() {
		return
	}
	if r, ok := recoveryOf(m.proc.name, m.log.lines, m.killed, m.started); ok {
		m.recs = append(m.recs, r)
	}
}

// waitAssigned waits for the run's next assignment.
func (m *member) waitAssigned(timeout time.Duration) logLine {
	m.t.Helper()
	return m.log.must(m.t, "assignment", timeout, isAssigned)
}

// waitRestored waits for the run's first assignment, unless it was seen.
func (m *member) waitRestored(timeout time.Duration) {
	m.t.Helper()
	if !slices.ContainsFunc(m.log.lines[:m.log.pos], isAssigned) {
		m.waitAssigned(timeout)
	}
}

// waitCommit waits for the run's first assignment, then for a committed
// transaction, preferring one that carried records for a few seconds (the
// stream may be over).
func (m *member) waitCommit(timeout time.Duration) logLine {
	m.t.Helper()
	m.waitRestored(timeout)
	if l, ok := m.log.wait(3*time.Second, isBusyCommit); ok {
		return l
	}
	return m.log.must(m.t, "committed transaction", timeout, isCommit)
}

// crash kills the run (SIGKILL) at a moment of the given kind, then records
// what it was doing and the transaction's state on the broker.
func (m *member) crash(mode string) crash {
	m.t.Helper()
	const join = 2 * time.Minute // a killed member's session times out in 45 s
	switch mode {
	case killRestore:
		if slices.ContainsFunc(m.log.lines[:m.log.pos], func(l logLine) bool { return l.msg == sessionStarted }) {
			m.t.Fatalf("%s: a restore-phase kill for a run whose session started already", m.proc.name)
		}
		m.log.must(m.t, "session start", join, func(l logLine) bool { return l.msg == sessionStarted })
		time.Sleep(between(m.rng, 0, 15*time.Millisecond))
	case killCommit:
		m.waitCommit(join)
	case killMid:
		m.waitCommit(join)
		time.Sleep(between(m.rng, 20*time.Millisecond, 180*time.Millisecond))
	case killOpen:
		m.waitCommit(join)
		if !m.freezeOpen() {
			m.t.Logf("%s: caught no transaction open on the broker; killing it anyway", m.proc.name)
		}
	case killRandom:
		m.waitRestored(join)
		time.Sleep(between(m.rng, 200*time.Millisecond, 3*time.Second))
	default:
		m.t.Fatalf("unknown kill mode %q", mode)
	}
	return m.killNow(mode)
}

// killNow kills the run (SIGKILL) at once and records what it was doing and
// the transaction's state on the broker right after.
func (m *member) killNow(mode string) crash {
	m.t.Helper()
	c := crash{run: m.proc.name, mode: mode, at: time.Now()}
	m.proc.Kill(m.t)
	m.ended()
	m.killed = c.at
	c.assigned = slices.ContainsFunc(m.log.lines, isAssigned)
	if n := len(m.log.lines); n > 0 {
		c.last = m.log.lines[n-1].msg
	}
	c.txn = txnState(m.t, m.adm, m.txnID)
	m.crashes = append(m.crashes, c)
	return c
}

// freezeOpen stops the process (SIGSTOP) at random moments until one finds
// its transaction open on the broker, and leaves it stopped there; false
// when no try found one (the process then runs again).
func (m *member) freezeOpen() bool {
	m.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for try := 1; time.Now().Before(deadline) && !m.proc.Exited(); try++ {
		m.proc.Stop(m.t)
		if txnState(m.t, m.adm, m.txnID) == "Ongoing" {
			return true
		}
		m.proc.Cont(m.t)
		time.Sleep(between(m.rng, 0, 40*time.Millisecond))
	}
	return false
}

// dumpStuck fails the test for a run that stopped making progress, with
// its goroutines (SIGQUIT makes a Go program print them and exit) and the
// end of its log.
func (m *member) dumpStuck(why string) {
	m.t.Helper()
	if !m.proc.Exited() {
		m.proc.Signal(m.t, syscall.SIGQUIT)
		select {
		case <-m.proc.done:
		case <-time.After(10 * time.Second):
		}
	}
	m.t.Fatalf("%s: %s; stderr:\n%s", m.proc.name, why, tail(m.proc.Stderr(), 64<<10))
}

// term stops the run cleanly (SIGTERM) and waits for exit status 0.
func (m *member) term() {
	m.t.Helper()
	m.proc.Term(m.t)
	m.proc.WaitOK(m.t, 30*time.Second)
	m.ended()
	m.killed = time.Time{}
}

// drain runs the member with --drain to the end and waits for it.
func (m *member) drain(timeout time.Duration, extra ...string) {
	m.t.Helper()
	m.start(append([]string{"--drain"}, extra...)...)
	m.proc.WaitOK(m.t, timeout)
	m.ended()
	m.killed = time.Time{}
}

// checkLogs fails the test when any run logged what must never happen: a
// restored position that disagrees with the committed offsets, or frames
// dropped because their window had already closed.
func (m *member) checkLogs() {
	m.t.Helper()
	for _, lt := range m.all {
		lt.poll()
		for _, l := range lt.lines {
			if strings.Contains(l.msg, "changelog position differs") || l.attrs["dropped_late"] != "" {
				m.t.Errorf("%s logged: %s", lt.p.name, l.text)
			}
		}
	}
}

// txnState returns the state of a transactional id on the broker
// ("Ongoing", "CompleteCommit", "CompleteAbort", ...).
func txnState(t testing.TB, adm *kadm.Client, txnID string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	ds, err := adm.DescribeTransactions(ctx, txnID)
	if err != nil {
		return "unknown (" + err.Error() + ")"
	}
	d, ok := ds[txnID]
	switch {
	case !ok:
		return "unknown"
	case d.Err != nil:
		return "unknown (" + d.Err.Error() + ")"
	}
	return d.State
}

// describeTxn returns the broker's view of a transactional id.
func describeTxn(t testing.TB, adm *kadm.Client, txnID string) kadm.DescribedTransaction {
	t.Helper()
	ds, err := adm.DescribeTransactions(t.Context(), txnID)
	if err != nil {
		t.Fatalf("describe transaction %s: %v", txnID, err)
	}
	d := ds[txnID]
	if d.Err != nil {
		t.Fatalf("describe transaction %s: %v", txnID, d.Err)
	}
	return d
}

// chaosArgs returns the arguments of headcount run for the chaos tests:
// debug records (one a transaction, which the driver watches), no early
// results, then extra.
func chaosArgs(seeds []string, app, input, instance string, extra ...string) []string {
	args := []string{"run", "--brokers", strings.Join(seeds, ","), "--app", app, "--input", input,
		"--instance", instance, "--early", "0", "--log-level", "debug"}
	return append(args, extra...)
}

// allWindows are the contract's windows.
var allWindows = []string{"minute", "hour", "day", "week", "month", "year"}

// windowBounds returns the window of kind w holding ts, in UTC, computed
// from the contract with package time alone: fixed lengths, ISO weeks from
// Monday, calendar months and years.
func windowBounds(w string, ts int64) (start, end int64) {
	day := int64(86400)
	floor := func(n int64) int64 { return ts - ((ts%n)+n)%n }
	switch w {
	case "minute":
		start = floor(60)
		return start, start + 60
	case "hour":
		start = floor(3600)
		return start, start + 3600
	case "day":
		start = floor(day)
		return start, start + day
	case "week":
		d := time.Unix(floor(day), 0).UTC()
		back := (int(d.Weekday()) + 6) % 7 // days since Monday
		s := d.AddDate(0, 0, -back)
		return s.Unix(), s.AddDate(0, 0, 7).Unix()
	case "month":
		u := time.Unix(ts, 0).UTC()
		s := time.Date(u.Year(), u.Month(), 1, 0, 0, 0, 0, time.UTC)
		return s.Unix(), s.AddDate(0, 1, 0).Unix()
	case "year":
		u := time.Unix(ts, 0).UTC()
		s := time.Date(u.Year(), 1, 1, 0, 0, 0, 0, time.UTC)
		return s.Unix(), s.AddDate(1, 0, 0).Unix()
	}
	return 0, 0
}

// readResults reads a results topic read_committed from the beginning.
func readResults(t testing.TB, seeds []string, topic string) []result {
	t.Helper()
	return resultsOf(t, readTopic(t, seeds, topic, kgo.ReadCommitted()))
}

// checkExactlyOnce asserts the contract's exactly-once promise on the
// records of a results topic: every window of want has exactly one final
// result and nothing else (the chaos tests run with --early 0 and their data
// has no frame beyond the grace period, so an early or revised result, or a
// second final, is a duplicate or a wrong count); no other window appears;
// keys and bounds are right; windows in exact are exact and their counts
// equal want's; the others are sketches whose frame counts equal want's.
// It returns the finals by key.
func checkExactlyOnce(t testing.TB, what string, rs []result, want map[string]counts, exact map[string]bool) map[string]result {
	t.Helper()
	if len(want) == 0 {
		t.Fatalf("%s: the test expects no window at all", what)
	}
	finals := map[string]result{}
	bad := 0
	report := func(format string, args ...any) {
		t.Helper()
		if bad++; bad <= 30 {
			t.Errorf(what+": "+format, args...)
		}
	}
	for _, r := range rs {
		k := r.Window + ":" + strconv.FormatInt(r.Start, 10)
		if r.key != k {
			report("record %s key %q holds the result of %s", r.where(), r.key, k)
		}
		if s, e := windowBounds(r.Window, r.Start); s != r.Start || e != r.End {
			report("%s has bounds [%d, %d); want [%d, %d)", k, r.Start, r.End, s, e)
		}
		if r.Status != "final" {
			report("%s has a %q result at %s (uniques %d, frames %d); want only its final", k, r.Status, r.where(), r.Uniques, r.Frames)
			continue
		}
		if prev, dup := finals[k]; dup {
			report("%s has a second final at %s (uniques %d, frames %d; the first at %s: uniques %d, frames %d)",
				k, r.where(), r.Uniques, r.Frames, prev.where(), prev.Uniques, prev.Frames)
			continue
		}
		finals[k] = r
		w, ok := want[k]
		switch {
		case !ok:
			report("final for %s, a window without counted frames", k)
		case r.Exact != exact[r.Window] || r.Late != 0:
			report("%s final has exact=%v late=%d; want exact=%v, none late", k, r.Exact, r.Late, exact[r.Window])
		case r.Frames != w.frames:
			report("%s final frames=%d; want %d (off by %d)", k, r.Frames, w.frames, int64(r.Frames)-int64(w.frames))
		case r.Exact && r.Uniques != w.uniques:
			report("%s final uniques=%d; want %d (off by %d)", k, r.Uniques, w.uniques, int64(r.Uniques)-int64(w.uniques))
		}
	}
	missing := 0
	for _, k := range slices.Sorted(maps.Keys(want)) {
		if _, ok := finals[k]; !ok {
			if missing++; missing <= 10 {
				report("%s has no final result", k)
			}
		}
	}
	if bad > 30 {
		t.Errorf("%s: %d problems in all (%d windows missing)", what, bad, missing)
	}
	return finals
}

// exactWindows returns the set of window kinds counted exactly.
func exactWindows(ws ...string) map[string]bool {
	out := map[string]bool{}
	for _, w := range ws {
		out[w] = true
	}
	return out
}

// restartSingleBroker restarts the single-node broker of make kafka-up on
// its data with integration/kafka/kafka-restart.sh: how ("term" or "kill"),
// down for the given time. It returns once the broker serves again.
func restartSingleBroker(t testing.TB, how string, down time.Duration) {
	t.Helper()
	script := filepath.Join(kafkaDir(t), "kafka-restart.sh")
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	secs := strconv.FormatFloat(down.Seconds(), 'f', 1, 64)
	out, err := exec.CommandContext(ctx, script, how, secs).CombinedOutput()
	if err != nil {
		t.Fatalf("kafka-restart.sh %s %s: %v\n%s", how, secs, err, out)
	}
	t.Logf("kafka-restart.sh %s %s: %s", how, secs, strings.TrimSpace(string(out)))
}

// partitionLeaders returns the leader node of every partition of topic.
func partitionLeaders(t testing.TB, adm *kadm.Client, topic string) map[int32]int32 {
	t.Helper()
	md, err := adm.Metadata(t.Context(), topic)
	if err != nil {
		t.Fatalf("metadata of %s: %v", topic, err)
	}
	out := map[int32]int32{}
	for _, p := range md.Topics[topic].Partitions {
		out[p.Partition] = p.Leader
	}
	return out
}

// coordinators returns the nodes coordinating a transactional id and a group.
func coordinators(t testing.TB, adm *kadm.Client, txnID, group string) (txn, grp int32) {
	t.Helper()
	tr := adm.FindTxnCoordinators(t.Context(), txnID)[txnID]
	gr := adm.FindGroupCoordinators(t.Context(), group)[group]
	if tr.Err != nil || gr.Err != nil {
		t.Fatalf("find coordinators of %s and %s: %v, %v", txnID, group, tr.Err, gr.Err)
	}
	return tr.NodeID, gr.NodeID
}

// checkNoHotLoop fails the test when a run's warnings show a retry loop: more
// than limit warnings in all, or more than 5 within any one second.
func checkNoHotLoop(t testing.TB, lt *logTail, limit int) {
	t.Helper()
	ws := lt.warnings()
	byMsg := map[string]int{}
	for _, w := range ws {
		byMsg[w.level+" "+w.msg]++
	}
	t.Logf("%s: %d warnings: %v", lt.p.name, len(ws), byMsg)
	for i, w := range ws {
		if i < 8 {
			t.Logf("  %s", w.text)
		}
		if i >= 5 && w.at.Sub(ws[i-5].at) < time.Second {
			t.Errorf("%s: 6 warnings within %v, a retry loop without backoff: %s", lt.p.name, w.at.Sub(ws[i-5].at), w.text)
			break
		}
	}
	if len(ws) > limit {
		t.Errorf("%s logged %d warnings; want at most %d", lt.p.name, len(ws), limit)
	}
}
