package processor

import (
	"fmt"
	"strings"
)

// Window is the length of a tumbling window. All windows are aligned in UTC;
// the values are ordered from shortest to longest.
type Window uint8

const (
	// Minute windows start at second 0 of every minute.
	Minute Window = iota
	// Hour windows start at minute 0 of every hour.
	Hour
	// Day windows start at 00:00 UTC.
	Day
	// Week windows are ISO weeks: they start on Monday 00:00 UTC.
	Week
	// Month windows start at 00:00 UTC on the first day of a calendar month.
	Month
	// Year windows start at 00:00 UTC on January 1.
	Year

	// NumWindows is one more than the longest Window; handy for per-window arrays.
	NumWindows
)

var windowNames = [NumWindows]string{
	Minute: "minute",
	Hour:   "hour",
	Day:    "day",
	Week:   "week",
	Month:  "month",
	Year:   "year",
}

// Fixed window lengths in seconds, and the offset of the ISO week grid: the Unix
// epoch, 1970-01-01, was a Thursday, so the Monday that starts its week is 3 days
// earlier.
const (
	secondsPerMinute = 60
	secondsPerHour   = 3600
	secondsPerDay    = 86400
	secondsPerWeek   = 7 * secondsPerDay
	weekEpochShift   = 3 * secondsPerDay
)

// String returns the contract name of w, such as "minute".
func (w Window) String() string {
	if w < NumWindows {
		return windowNames[w]
	}
	return fmt.Sprintf("Window(%d)", uint8(w))
}

// ParseWindow returns the Window named s ("minute", "hour", "day", "week",
// "month" or "year"; case and surrounding spaces are ignored).
func ParseWindow(s string) (Window, error) {
	name := strings.TrimSpace(s)
	for w, n := range windowNames {
		if strings.EqualFold(name, n) {
			return Window(w), nil
		}
	}
	return 0, fmt.Errorf("unknown window %q (want one of %s)", s, strings.Join(windowNames[:], ", "))
}

// ParseWindows parses a comma-separated list of window names, or "all" for every
// window. The result has no duplicates and is sorted from shortest to longest.
// An empty list or entry is an error, as is an unknown name; the error names the
// offending entry.
func ParseWindows(s string) ([]Window, error) {
	if strings.TrimSpace(s) == "" {
		return nil, fmt.Errorf("no windows given (want a comma list of %s, or all)", strings.Join(windowNames[:], ", "))
	}
	var set [NumWindows]bool
	for i, entry := range strings.Split(s, ",") {
		name := strings.TrimSpace(entry)
		switch {
		case name == "":
			return nil, fmt.Errorf("windows %q: entry %d is empty", s, i+1)
		case strings.EqualFold(name, "all"):
			for w := range set {
				set[w] = true
			}
			continue
		}
		w, err := ParseWindow(name)
		if err != nil {
			return nil, fmt.Errorf("windows %q: entry %d: %w", s, i+1, err)
		}
		set[w] = true
	}
	ws := make([]Window, 0, NumWindows)
	for w, on := range set {
		if on {
			ws = append(ws, Window(w))
		}
	}
	return ws, nil
}

// Start returns the start, in unix seconds, of the window of length w that
// contains ts. It is exact for any |ts| < 2^62, instants before 1970 included:
// the extractor rejects negative timestamps, but the calendar does not rely on
// that. An invalid w returns ts.
func (w Window) Start(ts int64) int64 {
	switch w {
	case Minute:
		return ts - floorMod(ts, secondsPerMinute)
	case Hour:
		return ts - floorMod(ts, secondsPerHour)
	case Day:
		return ts - floorMod(ts, secondsPerDay)
	case Week:
		return ts - floorMod(ts+weekEpochShift, secondsPerWeek)
	case Month:
		y, m, _ := civilFromDays(floorDiv(ts, secondsPerDay))
		return daysFromCivil(y, m, 1) * secondsPerDay
	case Year:
		y, _, _ := civilFromDays(floorDiv(ts, secondsPerDay))
		return daysFromCivil(y, 1, 1) * secondsPerDay
	}
	return ts
}

// End returns the end, exclusive, of the window of length w that contains
// start; for a window's start that is the start of the next window. An invalid w
// returns start.
func (w Window) End(start int64) int64 {
	switch w {
	case Minute:
		return w.Start(start) + secondsPerMinute
	case Hour:
		return w.Start(start) + secondsPerHour
	case Day:
		return w.Start(start) + secondsPerDay
	case Week:
		return w.Start(start) + secondsPerWeek
	case Month:
		y, m, _ := civilFromDays(floorDiv(start, secondsPerDay))
		if m == 12 {
			y, m = y+1, 0
		}
		return daysFromCivil(y, m+1, 1) * secondsPerDay
	case Year:
		y, _, _ := civilFromDays(floorDiv(start, secondsPerDay))
		return daysFromCivil(y+1, 1, 1) * secondsPerDay
	}
	return start
}

// floorDiv and floorMod round toward minus infinity, so instants before 1970
// fall into the window that contains them rather than the one after.
func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b < 0 {
		q--
	}
	return q
}

func floorMod(a, b int64) int64 {
	r := a % b
	if r < 0 {
		r += b
	}
	return r
}

// daysFromCivil returns the number of days from 1970-01-01 to the proleptic
// Gregorian date y-m-d (m in 1..12). Integer arithmetic after H. Hinnant,
// "chrono-Compatible Low-Level Date Algorithms": years are counted from March so
// that the leap day is the last day of the year, and 400-year eras repeat exactly.
func daysFromCivil(y int64, m, d int) int64 {
	if m <= 2 {
		y--
	}
	era := floorDiv(y, 400)
	yoe := y - era*400                     // [0, 399]
	mp := int64((m + 9) % 12)              // March = 0
	doy := (153*mp+2)/5 + int64(d) - 1     // [0, 365]
	doe := yoe*365 + yoe/4 - yoe/100 + doy // [0, 146096]
	return era*146097 + doe - 719468       // 719468: days from 0000-03-01 to 1970-01-01
}

// civilFromDays is the inverse of daysFromCivil.
func civilFromDays(z int64) (y int64, m, d int) {
	z += 719468
	era := floorDiv(z, 146097)
	doe := z - era*146097                                  // [0, 146096]
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365 // [0, 399]
	doy := doe - (365*yoe + yoe/4 - yoe/100)               // [0, 365]
	mp := (5*doy + 2) / 153                                // [0, 11], March = 0
	d = int(doy - (153*mp+2)/5 + 1)
	m = int(mp + 3)
	if m > 12 {
		m -= 12
	}
	y = yoe + era*400
	if m <= 2 {
		y++
	}
	return y, m, d
}
