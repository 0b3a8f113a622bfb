package processor

import (
	"strconv"
)

// Status says how final a Result is.
type Status uint8

const (
	// Early is the count so far of a window that is still open.
	Early Status = iota
	// Final is the first complete count, published once the watermark passed end + grace.
	Final
	// Revised replaces a final count after late frames changed it.
	Revised
)

// String returns the contract name of s.
func (s Status) String() string {
	switch s {
	case Early:
		return "early"
	case Final:
		return "final"
	case Revised:
		return "revised"
	}
	return "unknown"
}

// Result is one published count of a window. Its JSON form is the outside
// contract: one object a line on stdout and as the value on the results topic.
type Result struct {
	Window  Window
	Start   int64 // unix seconds, inclusive
	End     int64 // unix seconds, exclusive
	Uniques uint64
	Frames  uint64
	Late    uint64 // frames counted after the window's final result
	Status  Status
	Exact   bool
	// ErrorBound is the relative standard error of Uniques when Exact is false.
	ErrorBound float64
}

// AppendJSON appends r as one JSON object, without a line end. Written by hand
// because results are emitted for every window on every early tick; the format
// is pinned by a golden test.
func (r Result) AppendJSON(dst []byte) []byte {
	dst = append(dst, `{"window":"`...)
	dst = append(dst, r.Window.String()...)
	dst = append(dst, `","start":`...)
	dst = strconv.AppendInt(dst, r.Start, 10)
	dst = append(dst, `,"end":`...)
	dst = strconv.AppendInt(dst, r.End, 10)
	dst = append(dst, `,"uniques":`...)
	dst = strconv.AppendUint(dst, r.Uniques, 10)
	dst = append(dst, `,"frames":`...)
	dst = strconv.AppendUint(dst, r.Frames, 10)
	dst = append(dst, `,"late":`...)
	dst = strconv.AppendUint(dst, r.Late, 10)
	dst = append(dst, `,"status":"`...)
	dst = append(dst, r.Status.String()...)
	dst = append(dst, `","exact":`...)
	dst = strconv.AppendBool(dst, r.Exact)
	if !r.Exact {
		dst = append(dst, `,"error_bound":`...)
		dst = strconv.AppendFloat(dst, r.ErrorBound, 'g', 4, 64)
	}
	return append(dst, '}')
}

// AppendKey appends the Kafka record key of r's window, "<window>:<start>".
func (r Result) AppendKey(dst []byte) []byte {
	dst = append(dst, r.Window.String()...)
	dst = append(dst, ':')
	return strconv.AppendInt(dst, r.Start, 10)
}
