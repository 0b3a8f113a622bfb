package processor

import (
	"encoding/binary"
	"testing"
	"time"
)

// TestWindowTaskDeadLettersLateHashes: hashes for a window the second stage
// already closed (an idle input partition that woke up late) are counted
// and dead-lettered with what the stage knows of them, then cleared with
// the transaction's output.
func TestWindowTaskDeadLettersLateHashes(t *testing.T) {
	sc := &serviceConfig{engine: DefaultConfig(), store: StoreConfig{Windows: []Window{Minute}, Grace: 5, Lateness: 60},
		inputPartitions: 1, idle: time.Second, live: 120}
	sc.store.Exact[Minute] = true
	wt := newWindowTask(0, sc)
	const minute = 1468244340
	hashes := func(hs ...uint64) []byte {
		var b []byte
		for _, h := range hs {
			b = binary.LittleEndian.AppendUint64(b, h)
		}
		return b
	}
	// The minute is open: its hashes count.
	if err := wt.process(progressKey(0), appendProgress(nil, progress{time: minute + 30}), 1); err != nil {
		t.Fatal(err)
	}
	if err := wt.process(windowRecordKey(nil, Minute, minute), hashes(1, 2), 2); err != nil {
		t.Fatal(err)
	}
	// Stream time passes the minute's end, grace and allowed lateness.
	if err := wt.process(progressKey(0), appendProgress(nil, progress{time: minute + 3600}), 3); err != nil {
		t.Fatal(err)
	}
	if err := wt.process(windowRecordKey(nil, Minute, minute), hashes(0x0123456789abcdef), 7); err != nil {
		t.Fatal(err)
	}
	if wt.dropped != 1 || len(wt.rejects) != 1 {
		t.Fatalf("dropped %d, %d dead letters; want 1 and 1", wt.dropped, len(wt.rejects))
	}
	want := `{"window":"minute","start":1468244340,"uid_hash":"0123456789abcdef"}`
	if rj := wt.rejects[0]; string(rj.raw) != want || rj.reason != TooLate || rj.offset != 7 {
		t.Errorf("dead letter %q, %v, offset %d; want %s, %v, offset 7", rj.raw, rj.reason, rj.offset, want, TooLate)
	}
	var finals []Result
	for _, r := range wt.results {
		if r.Status == Final {
			finals = append(finals, r)
		}
	}
	if len(finals) != 1 || finals[0].Uniques != 2 {
		t.Errorf("final results %+v, want one minute of 2 uniques", finals)
	}
	wt.reset()
	if len(wt.rejects) != 0 || wt.dropped != 0 {
		t.Errorf("after reset: %d dead letters, %d dropped", len(wt.rejects), wt.dropped)
	}
}
