package processor

import (
	"bytes"
	"encoding/json"
	"flag"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/headcount/headcount/internal/contracttest"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs (go test -update rewrites it)\ngot:\n%s\nwant:\n%s", path, got, want)
	}
}

// goldenResults covers every window, status and counting mode, and values at
// the edges of their types.
var goldenResults = []Result{
	{Window: Minute, Start: 1468244340, End: 1468244400, Uniques: 45123, Frames: 60012, Status: Final, Exact: true},
	{Window: Minute, Start: 1468244400, End: 1468244460, Uniques: 1, Frames: 1, Status: Early, Exact: true},
	{Window: Minute, Start: 1468244340, End: 1468244400, Uniques: 45124, Frames: 60015, Late: 3, Status: Revised, Exact: true},
	{Window: Hour, Start: 1468242000, End: 1468245600, Uniques: 99993, Frames: 1000000, Status: Final, Exact: true},
	{Window: Day, Start: 1468195200, End: 1468281600, Uniques: 100421, Frames: 1000000, Status: Early, ErrorBound: 1.04 / 128},
	{Window: Week, Start: 1468195200, End: 1468800000, Uniques: 100421, Frames: 1000000, Status: Final, ErrorBound: 1.04 / 128},
	{Window: Month, Start: 1467331200, End: 1470009600, Uniques: 100422, Frames: 1000001, Late: 1, Status: Revised, ErrorBound: 1.04 / 128},
	{Window: Year, Start: 1451606400, End: 1483228800, Uniques: 0, Frames: 0, Status: Final, ErrorBound: 0.0081},
	{Window: Minute, Start: -60, End: 0, Status: Final, Exact: true},
	{Window: Year, Start: 253370764800, End: 253402300800, Uniques: 1<<64 - 1, Frames: 1<<64 - 1, Late: 1<<64 - 1, Status: Final, Exact: true},
}

func TestResultJSONGolden(t *testing.T) {
	var out []byte
	for _, r := range goldenResults {
		out = append(r.AppendJSON(out), '\n')
	}
	golden(t, "results.golden", out)
}

// TestResultJSONContract decodes every result with encoding/json into the
// contract's fields and checks each field's value and that no other appears.
func TestResultJSONContract(t *testing.T) {
	for _, r := range goldenResults {
		b := r.AppendJSON(nil)
		got, err := contracttest.DecodeResult(b)
		if err != nil {
			t.Error(err)
			continue
		}
		var fields map[string]json.RawMessage
		if err := json.Unmarshal(b, &fields); err != nil {
			t.Fatalf("%s: %v", b, err)
		}
		wantFields := 8
		if !r.Exact {
			wantFields++
		}
		if len(fields) != wantFields {
			t.Errorf("%s: %d fields, want %d", b, len(fields), wantFields)
		}
		switch {
		case got.Window != r.Window.String(), got.Start != r.Start, got.End != r.End,
			got.Uniques != r.Uniques, got.Frames != r.Frames, got.Late != r.Late,
			got.Status != r.Status.String(), got.Exact != r.Exact:
			t.Errorf("%s decodes to %+v, want %+v", b, got, r)
		case r.Exact && got.ErrorBound != nil:
			t.Errorf("%s: exact result with an error_bound", b)
		case !r.Exact && (got.ErrorBound == nil || math.Abs(*got.ErrorBound-r.ErrorBound) > 5e-4*r.ErrorBound):
			// Four significant digits are written.
			t.Errorf("%s: error_bound %v, want %g", b, got.ErrorBound, r.ErrorBound)
		}
		if key, want := string(r.AppendKey(nil)), got.Window+":"+string(fields["start"]); key != want {
			t.Errorf("key %q, want %q", key, want)
		}
	}
}

func TestStatusString(t *testing.T) {
	for s, want := range map[Status]string{Early: "early", Final: "final", Revised: "revised", 7: "unknown"} {
		if got := s.String(); got != want {
			t.Errorf("Status(%d).String() = %q, want %q", s, got, want)
		}
	}
}
