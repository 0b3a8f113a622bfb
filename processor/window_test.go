package processor

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"testing/quick"
	"time"
)

func unix(t *testing.T, rfc3339 string) int64 {
	t.Helper()
	tm, err := time.Parse(time.RFC3339, rfc3339)
	if err != nil {
		t.Fatalf("bad test time %q: %v", rfc3339, err)
	}
	return tm.Unix()
}

func TestWindowStartEnd(t *testing.T) {
	tests := []struct {
		name       string
		w          Window
		ts         string
		start, end string
	}{
		// Fixed lengths, including exact boundaries and instants before 1970.
		{"minute middle", Minute, "2016-07-11T13:39:42Z", "2016-07-11T13:39:00Z", "2016-07-11T13:40:00Z"},
		{"minute at start", Minute, "2016-07-11T13:39:00Z", "2016-07-11T13:39:00Z", "2016-07-11T13:40:00Z"},
		{"minute last second", Minute, "2016-07-11T13:39:59Z", "2016-07-11T13:39:00Z", "2016-07-11T13:40:00Z"},
		{"minute epoch", Minute, "1970-01-01T00:00:00Z", "1970-01-01T00:00:00Z", "1970-01-01T00:01:00Z"},
		{"minute before epoch", Minute, "1969-12-31T23:59:59Z", "1969-12-31T23:59:00Z", "1970-01-01T00:00:00Z"},
		{"minute before epoch at start", Minute, "1969-12-31T23:59:00Z", "1969-12-31T23:59:00Z", "1970-01-01T00:00:00Z"},
		{"hour", Hour, "2016-07-11T13:39:42Z", "2016-07-11T13:00:00Z", "2016-07-11T14:00:00Z"},
		{"hour before epoch", Hour, "1969-12-31T23:00:01Z", "1969-12-31T23:00:00Z", "1970-01-01T00:00:00Z"},
		{"day", Day, "2016-07-11T13:39:42Z", "2016-07-11T00:00:00Z", "2016-07-12T00:00:00Z"},
		{"day last second", Day, "2016-07-11T23:59:59Z", "2016-07-11T00:00:00Z", "2016-07-12T00:00:00Z"},
		{"day before epoch", Day, "1969-07-20T20:17:40Z", "1969-07-20T00:00:00Z", "1969-07-21T00:00:00Z"},

		// ISO weeks start on Monday, also across a year change.
		{"week thursday", Week, "2020-12-31T12:00:00Z", "2020-12-28T00:00:00Z", "2021-01-04T00:00:00Z"},
		{"week new year", Week, "2021-01-01T00:00:00Z", "2020-12-28T00:00:00Z", "2021-01-04T00:00:00Z"},
		{"week sunday night", Week, "2021-01-03T23:59:59Z", "2020-12-28T00:00:00Z", "2021-01-04T00:00:00Z"},
		{"week monday", Week, "2021-01-04T00:00:00Z", "2021-01-04T00:00:00Z", "2021-01-11T00:00:00Z"},
		{"week of epoch", Week, "1970-01-01T00:00:00Z", "1969-12-29T00:00:00Z", "1970-01-05T00:00:00Z"},
		{"week before epoch", Week, "1969-12-28T23:59:59Z", "1969-12-22T00:00:00Z", "1969-12-29T00:00:00Z"},
		{"week leap day", Week, "2024-02-29T08:00:00Z", "2024-02-26T00:00:00Z", "2024-03-04T00:00:00Z"},
		{"week sample", Week, "2016-07-11T13:39:00Z", "2016-07-11T00:00:00Z", "2016-07-18T00:00:00Z"},

		// Months of 28, 29, 30 and 31 days.
		{"month 31 days", Month, "2016-07-11T13:39:00Z", "2016-07-01T00:00:00Z", "2016-08-01T00:00:00Z"},
		{"month 30 days", Month, "2016-04-30T23:59:59Z", "2016-04-01T00:00:00Z", "2016-05-01T00:00:00Z"},
		{"february leap 2016", Month, "2016-02-29T12:00:00Z", "2016-02-01T00:00:00Z", "2016-03-01T00:00:00Z"},
		{"february leap 2024", Month, "2024-02-10T00:00:00Z", "2024-02-01T00:00:00Z", "2024-03-01T00:00:00Z"},
		{"february leap 2000", Month, "2000-02-29T00:00:00Z", "2000-02-01T00:00:00Z", "2000-03-01T00:00:00Z"},
		{"february 2023", Month, "2023-02-28T23:59:59Z", "2023-02-01T00:00:00Z", "2023-03-01T00:00:00Z"},
		{"february 1900 not leap", Month, "1900-02-28T00:00:00Z", "1900-02-01T00:00:00Z", "1900-03-01T00:00:00Z"},
		{"february 2100 not leap", Month, "2100-02-15T00:00:00Z", "2100-02-01T00:00:00Z", "2100-03-01T00:00:00Z"},
		{"march after leap day", Month, "2016-03-01T00:00:00Z", "2016-03-01T00:00:00Z", "2016-04-01T00:00:00Z"},
		{"december", Month, "2016-12-31T23:59:59Z", "2016-12-01T00:00:00Z", "2017-01-01T00:00:00Z"},
		{"january", Month, "2017-01-01T00:00:00Z", "2017-01-01T00:00:00Z", "2017-02-01T00:00:00Z"},
		{"month before epoch", Month, "1969-12-31T23:59:59Z", "1969-12-01T00:00:00Z", "1970-01-01T00:00:00Z"},

		// Years, leap and not.
		{"year", Year, "2016-07-11T13:39:00Z", "2016-01-01T00:00:00Z", "2017-01-01T00:00:00Z"},
		{"year last second", Year, "2016-12-31T23:59:59Z", "2016-01-01T00:00:00Z", "2017-01-01T00:00:00Z"},
		{"year first second", Year, "2017-01-01T00:00:00Z", "2017-01-01T00:00:00Z", "2018-01-01T00:00:00Z"},
		{"year 2100", Year, "2100-06-01T00:00:00Z", "2100-01-01T00:00:00Z", "2101-01-01T00:00:00Z"},
		{"year 2038 rollover", Year, "2038-01-19T03:14:08Z", "2038-01-01T00:00:00Z", "2039-01-01T00:00:00Z"},
		{"year before epoch", Year, "1969-12-31T23:59:59Z", "1969-01-01T00:00:00Z", "1970-01-01T00:00:00Z"},
		{"year 1600", Year, "1600-02-29T00:00:00Z", "1600-01-01T00:00:00Z", "1601-01-01T00:00:00Z"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts, start, end := unix(t, tt.ts), unix(t, tt.start), unix(t, tt.end)
			if got := tt.w.Start(ts); got != start {
				t.Errorf("%v.Start(%s) = %s, want %s", tt.w, tt.ts, fmtUnix(got), tt.start)
			}
			if got := tt.w.End(start); got != end {
				t.Errorf("%v.End(%s) = %s, want %s", tt.w, tt.start, fmtUnix(got), tt.end)
			}
			// The end instant belongs to the next window, which it starts.
			if got := tt.w.Start(end); got != end {
				t.Errorf("%v.Start(end %s) = %s, want the end itself", tt.w, tt.end, fmtUnix(got))
			}
			if got := tt.w.Start(end - 1); got != start {
				t.Errorf("%v.Start(end-1) = %s, want %s", tt.w, fmtUnix(got), tt.start)
			}
		})
	}
}

func fmtUnix(ts int64) string { return time.Unix(ts, 0).UTC().Format(time.RFC3339) }

// TestMonthLengths walks every month of 1896..2104 and checks its length against
// the Gregorian rules, so the 28/29/30/31-day cases are all covered.
func TestMonthLengths(t *testing.T) {
	for y := 1896; y <= 2104; y++ {
		leap := y%4 == 0 && (y%100 != 0 || y%400 == 0)
		for m := time.January; m <= time.December; m++ {
			days := 31
			switch {
			case m == time.February && leap:
				days = 29
			case m == time.February:
				days = 28
			case m == time.April || m == time.June || m == time.September || m == time.November:
				days = 30
			}
			start := time.Date(y, m, 1, 0, 0, 0, 0, time.UTC).Unix()
			if got := Month.End(start) - start; got != int64(days)*secondsPerDay {
				t.Errorf("%d-%02d lasts %d days, want %d", y, m, got/secondsPerDay, days)
			}
		}
		start := time.Date(y, time.January, 1, 0, 0, 0, 0, time.UTC).Unix()
		want := int64(365)
		if leap {
			want = 366
		}
		if got := Year.End(start) - start; got != want*secondsPerDay {
			t.Errorf("year %d lasts %d days, want %d", y, got/secondsPerDay, want)
		}
	}
}

// oracleStart computes a window start with the time package, independently of
// the integer arithmetic under test.
func oracleStart(w Window, ts int64) int64 {
	tm := time.Unix(ts, 0).UTC()
	y, m, d := tm.Date()
	switch w {
	case Minute:
		return tm.Truncate(time.Minute).Unix()
	case Hour:
		return time.Date(y, m, d, tm.Hour(), 0, 0, 0, time.UTC).Unix()
	case Day:
		return time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix()
	case Week:
		back := (int(tm.Weekday()) + 6) % 7 // days since Monday
		return time.Date(y, m, d-back, 0, 0, 0, 0, time.UTC).Unix()
	case Month:
		return time.Date(y, m, 1, 0, 0, 0, 0, time.UTC).Unix()
	case Year:
		return time.Date(y, time.January, 1, 0, 0, 0, 0, time.UTC).Unix()
	}
	panic("unknown window")
}

func TestWindowProperties(t *testing.T) {
	// About ±31 million years around 1970: far beyond any timestamp the
	// extractor accepts, still within the time package's range.
	const span = 1e15
	for w := Minute; w < NumWindows; w++ {
		t.Run(w.String(), func(t *testing.T) {
			prop := func(raw int64, near int32) bool {
				ts := raw % span
				if raw&1 == 0 {
					ts = 1468244340 + int64(near) // dense around the sample's epoch
				}
				start := w.Start(ts)
				end := w.End(start)
				switch {
				case !(start <= ts && ts < end):
					t.Logf("ts %d: window [%d, %d) does not contain it", ts, start, end)
					return false
				case w.Start(start) != start || w.Start(end) != end || w.Start(end-1) != start:
					t.Logf("ts %d: window [%d, %d) is not on the grid", ts, start, end)
					return false
				case w.End(ts) != end:
					t.Logf("ts %d: End(ts) = %d, End(start) = %d", ts, w.End(ts), end)
					return false
				case start != oracleStart(w, ts):
					t.Logf("ts %d: start %d, time package says %d", ts, start, oracleStart(w, ts))
					return false
				}
				return true
			}
			if err := quick.Check(prop, &quick.Config{MaxCount: 20000}); err != nil {
				t.Error(err)
			}
		})
	}
}

func TestParseWindows(t *testing.T) {
	tests := []struct {
		in      string
		want    []Window
		wantErr string // a substring of the error; empty for success
	}{
		{in: "minute", want: []Window{Minute}},
		{in: "year,minute,week", want: []Window{Minute, Week, Year}},
		{in: " Hour , DAY ", want: []Window{Hour, Day}},
		{in: "day,day,minute,day", want: []Window{Minute, Day}},
		{in: "all", want: []Window{Minute, Hour, Day, Week, Month, Year}},
		{in: "minute,all", want: []Window{Minute, Hour, Day, Week, Month, Year}},
		{in: "", wantErr: "no windows"},
		{in: "  ", wantErr: "no windows"},
		{in: "minute,,hour", wantErr: "entry 2 is empty"},
		{in: "minute,", wantErr: "entry 2 is empty"},
		{in: "minute,fortnight", wantErr: `entry 2: unknown window "fortnight"`},
		{in: "minutes", wantErr: `unknown window "minutes"`},
		{in: "min", wantErr: `unknown window "min"`},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseWindows(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("ParseWindows(%q) = %v, %v; want error containing %q", tt.in, got, err, tt.wantErr)
				}
				return
			}
			if err != nil || !slices.Equal(got, tt.want) {
				t.Fatalf("ParseWindows(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
			}
		})
	}
}

func TestWindowNamesRoundTrip(t *testing.T) {
	for w := Minute; w < NumWindows; w++ {
		got, err := ParseWindow(w.String())
		if err != nil || got != w {
			t.Errorf("ParseWindow(%q) = %v, %v; want %v", w.String(), got, err, w)
		}
	}
	if s := NumWindows.String(); !strings.HasPrefix(s, "Window(") {
		t.Errorf("NumWindows.String() = %q, want Window(n)", s)
	}
	if got := NumWindows.Start(12345); got != 12345 {
		t.Errorf("invalid window Start = %d, want the input back", got)
	}
}

var sinkTS int64

func BenchmarkWindowStart(b *testing.B) {
	for w := Minute; w < NumWindows; w++ {
		b.Run(w.String(), func(b *testing.B) {
			ts := int64(1468244340)
			for b.Loop() {
				sinkTS += w.Start(ts)
				ts += 7
			}
		})
	}
}

func ExampleParseWindows() {
	ws, err := ParseWindows("week,minute,day")
	if err != nil {
		fmt.Println(err)
		return
	}
	ts := int64(1609416000) // 2020-12-31 12:00:00 UTC, a Thursday
	for _, w := range ws {
		start := w.Start(ts)
		fmt.Printf("%-6s [%d, %d)\n", w, start, w.End(start))
	}
	// Output:
	// minute [1609416000, 1609416060)
	// day    [1609372800, 1609459200)
	// week   [1609113600, 1609718400)
}
