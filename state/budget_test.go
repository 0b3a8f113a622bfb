package state

import (
	"fmt"
	"testing"
)

// frameBytes is the size of a challenge-shaped input frame (perf-facts.md).
const frameBytes = 2080

// recordOverhead approximates what Kafka's record batch format adds to each
// record's key and value (length varints, attributes, timestamp and offset
// deltas, header count).
const recordOverhead = 20

// changelogBytes feeds hs to a new aggregate, commits a delta every perCommit
// frames as the service would, and returns the changelog bytes written: key,
// value and recordOverhead for each record.
func changelogBytes(hs []uint64, exact bool, perCommit int) (total, records int) {
	a := NewAgg(exact)
	var buf, key []byte
	for i, h := range hs {
		a.Add(h, false)
		if (i+1)%perCommit == 0 || i == len(hs)-1 {
			var changed bool
			if buf, changed = a.AppendDelta(buf[:0], 0); changed {
				key = a.AppendLastKey(key[:0], "minute", 1468244340, 0)
				total += len(key) + len(buf) + recordOverhead
				records++
			}
		}
	}
	return total, records
}

// TestChangelogBudget measures the changelog bytes per input byte of a busy
// minute (60k frames, about 45k distinct users) and holds the exact minute
// window, the default, to the 5% budget of the service. It logs the same
// ratio for a sketch window, whose every record is the whole sketch.
func TestChangelogBudget(t *testing.T) {
	hs := minuteHashes()
	distinct := map[uint64]bool{}
	for _, h := range hs {
		distinct[h] = true
	}
	for _, tt := range []struct {
		exact     bool
		perCommit int // 100 frames: 100 ms at the challenge's 1,000 frames/s
	}{
		{true, 100}, {true, 1000}, {true, 20000},
		{false, 100}, {false, 1000}, {false, 20000},
	} {
		t.Run(fmt.Sprintf("exact %v, %d frames a commit", tt.exact, tt.perCommit), func(t *testing.T) {
			total, records := changelogBytes(hs, tt.exact, tt.perCommit)
			perFrame := float64(total) / float64(len(hs))
			ratio := perFrame / frameBytes
			t.Logf("%d frames, %d distinct: %d records, %d bytes, %.2f B/frame, %.3f%% of input",
				len(hs), len(distinct), records, total, perFrame, 100*ratio)
			if tt.exact && ratio >= 0.05 {
				t.Errorf("changelog is %.2f%% of input, budget 5%%", 100*ratio)
			}
		})
	}
}

// BenchmarkAppendDelta writes the delta of an exact minute window after 100
// frames (about 75 new hashes early in a minute); MB/s is changelog bytes.
func BenchmarkAppendDelta(b *testing.B) {
	benchmarkAppendDelta(b, true)
}

// BenchmarkAppendDeltaSketch writes the full snapshot of a dense sketch
// window after 100 frames.
func BenchmarkAppendDeltaSketch(b *testing.B) {
	benchmarkAppendDelta(b, false)
}

func benchmarkAppendDelta(b *testing.B, exact bool) {
	hs := uidHashes(0, 50075)
	a := NewAgg(exact)
	for _, h := range hs {
		a.Add(h, false)
	}
	buf, _ := a.AppendDelta(nil, 0)
	b.SetBytes(int64(len(buf)))
	if exact {
		// What 100 frames leave pending; setting it directly keeps the
		// inserts out of the measurement.
		b.SetBytes(deltaHeaderLen + 8*75)
	}
	b.ResetTimer()
	for range b.N {
		a.Frames += 100
		a.pending = append(a.pending[:0], hs[:75]...)
		a.skDirty = true
		buf, _ = a.AppendDelta(buf[:0], 0)
	}
}
