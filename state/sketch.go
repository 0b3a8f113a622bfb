package state

import (
	"fmt"

	"github.com/axiomhq/hyperloglog"
)

// SketchPrecision is the HyperLogLog++ precision of every Sketch: 2^14
// registers, 16 KiB once dense.
const SketchPrecision = 14

// sketchErrorBound is the relative standard error of a dense HyperLogLog with
// 2^SketchPrecision registers, 1.04/sqrt(2^14).
const sketchErrorBound = 1.04 / 128

// Sketch estimates the number of distinct uid hashes with HyperLogLog++
// (github.com/axiomhq/hyperloglog, precision 14). It starts sparse, which is
// nearly exact for small counts, and turns dense (16 KiB) past about 16k
// distinct hashes.
//
// The zero value is an empty sketch ready to use. A Sketch must not be copied
// after first use.
type Sketch struct {
	hll hyperloglog.Sketch
	// used is false until the first Add or UnmarshalBinary: hll is still
	// its zero value, which has no encoding.
	used bool
	// est caches Estimate until the next Add: a dense estimate sums 2^14
	// powers of two, about 0.35 ms.
	est   uint64
	estOK bool
}

// Add adds the uid hash h.
func (s *Sketch) Add(h uint64) {
	s.hll.InsertHash(h)
	s.used, s.estOK = true, false
}

// Estimate returns the estimated number of distinct hashes added. It may
// compact the sparse representation, so it is not safe to call concurrently
// with anything else.
func (s *Sketch) Estimate() uint64 {
	if !s.estOK {
		s.est, s.estOK = s.hll.Estimate(), true
	}
	return s.est
}

// ErrorBound returns the sketch's relative standard error, about 0.81%.
func (s *Sketch) ErrorBound() float64 { return sketchErrorBound }

// Reset empties the sketch. It returns to the sparse representation, so that
// a reused sketch estimates exactly as a new one would.
func (s *Sketch) Reset() { *s = Sketch{} }

// AppendBinary appends the sketch's encoding (the hyperloglog package's own
// format, version byte first) to dst. Restoring it with UnmarshalBinary gives
// a sketch that estimates, and keeps estimating as hashes are added, exactly
// as this one.
func (s *Sketch) AppendBinary(dst []byte) ([]byte, error) {
	h := &s.hll
	if !s.used {
		// An empty new sketch is what the zero value turns into on first use.
		h = hyperloglog.New14()
	}
	out, err := h.AppendBinary(dst)
	if err != nil {
		return dst, fmt.Errorf("state: encode sketch: %w", err)
	}
	return out, nil
}

// MarshalBinary returns the sketch's encoding; see AppendBinary.
func (s *Sketch) MarshalBinary() ([]byte, error) { return s.AppendBinary(nil) }

// UnmarshalBinary replaces the sketch with the one encoded in data, which must
// have precision 14. On error the sketch is unchanged.
func (s *Sketch) UnmarshalBinary(data []byte) error {
	// Byte 1 of the hyperloglog encoding is the precision; another one would
	// make ErrorBound lie.
	if len(data) >= 2 && data[1] != SketchPrecision {
		return fmt.Errorf("state: decode sketch: precision %d, want %d", data[1], SketchPrecision)
	}
	var h hyperloglog.Sketch
	if err := h.UnmarshalBinary(data); err != nil {
		return fmt.Errorf("state: decode sketch: %w", err)
	}
	*s = Sketch{hll: h, used: true}
	return nil
}
