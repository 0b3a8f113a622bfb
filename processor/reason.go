package processor

// Reason says why a frame was not counted. The zero value, Accepted, means it was counted.
// The names are part of the outside contract (shared/contract.md): they appear in the
// dead-letter records, the rejects file and the summary.
type Reason uint8

const (
	// Accepted: the frame was counted.
	Accepted Reason = iota
	// Malformed: the line is not one valid JSON object.
	Malformed
	// MissingUID: no top-level "uid", or it is not a non-empty string.
	MissingUID
	// MissingTS: no top-level "ts".
	MissingTS
	// BadTS: "ts" is not a non-negative integer or a string of digits within range.
	BadTS
	// TSOutlier: "ts" is implausibly far ahead of stream time (a bit flip, say).
	TSOutlier
	// TooLate: the frame's windows are past their allowed lateness.
	TooLate

	// NumReasons is one more than the largest Reason; handy for per-reason counters.
	NumReasons
)

var reasonNames = [NumReasons]string{
	Accepted:   "accepted",
	Malformed:  "malformed",
	MissingUID: "missing_uid",
	MissingTS:  "missing_ts",
	BadTS:      "bad_ts",
	TSOutlier:  "ts_outlier",
	TooLate:    "too_late",
}

// String returns the contract name of r, such as "missing_uid".
func (r Reason) String() string {
	if r < NumReasons {
		return reasonNames[r]
	}
	return "unknown"
}
