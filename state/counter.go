package state

// Counter counts distinct uid hashes, exactly or by estimate.
type Counter interface {
	// Add counts the uid hash h.
	Add(h uint64)
	// Count returns the number of distinct hashes added, or its estimate.
	Count() uint64
	// Exact reports whether Count is exact.
	Exact() bool
	// ErrorBound returns the relative standard error of Count, 0 when exact.
	ErrorBound() float64
}

// NewCounter returns an exact Counter backed by a Set, or a HyperLogLog++
// estimate backed by a Sketch.
func NewCounter(exact bool) Counter {
	if exact {
		return &setCounter{}
	}
	return &Sketch{}
}

// setCounter adapts Set, whose Add also reports whether h was new.
type setCounter struct{ s Set }

func (c *setCounter) Add(h uint64)        { c.s.Add(h) }
func (c *setCounter) Count() uint64       { return uint64(c.s.Len()) }
func (c *setCounter) Exact() bool         { return true }
func (c *setCounter) ErrorBound() float64 { return 0 }

// Count returns Estimate, so that *Sketch is a Counter.
func (s *Sketch) Count() uint64 { return s.Estimate() }

// Exact returns false: a sketch estimates.
func (s *Sketch) Exact() bool { return false }
