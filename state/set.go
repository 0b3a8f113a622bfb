package state

import "math/bits"

// Set is an exact set of uid hashes: an open-addressing table with linear
// probing. Hashes are already uniformly distributed, so a slot is the hash's
// high bits, with no further mixing. High bits rather than low ones keep
// AppendTo's output (ordered by home slot) from clustering when it is added to
// a table of another size. Slot value 0 means empty; the hash 0 is held by a
// flag instead. The table doubles when it is 5/8 full: a busy minute's 45k
// hashes then sit in 128k slots (1 MiB), which inserts about a third faster
// than 64k slots at 69% load; linear probing slows sharply past 2/3.
//
// The zero value is an empty set ready to use. A Set must not be copied after
// first use.
type Set struct {
	slots   []uint64 // len is 0 or a power of two
	n       int      // non-zero hashes in slots
	limit   int      // grow once n reaches it: 5/8 of len(slots)
	shift   uint8    // 64 - log2(len(slots))
	hasZero bool
}

// minSlots is the first table size; small sets are common (late revisions,
// quiet windows) and 16 slots cost only 128 bytes.
const minSlots = 16

// Add adds h to the set and reports whether it was not there before.
func (s *Set) Add(h uint64) bool {
	if h == 0 {
		added := !s.hasZero
		s.hasZero = true
		return added
	}
	if s.n >= s.limit {
		s.grow()
	}
	slots := s.slots
	mask := uint64(len(slots) - 1)
	for i := h >> s.shift; ; i = (i + 1) & mask {
		switch slots[i&mask] {
		case h:
			return false
		case 0:
			slots[i&mask] = h
			s.n++
			return true
		}
	}
}

// Has reports whether h is in the set.
func (s *Set) Has(h uint64) bool {
	if h == 0 {
		return s.hasZero
	}
	slots := s.slots
	if len(slots) == 0 {
		return false
	}
	mask := uint64(len(slots) - 1)
	for i := h >> s.shift; ; i = (i + 1) & mask {
		switch slots[i&mask] {
		case h:
			return true
		case 0:
			return false
		}
	}
}

// Len returns the number of hashes in the set.
func (s *Set) Len() int {
	if s.hasZero {
		return s.n + 1
	}
	return s.n
}

// Reset empties the set but keeps its table, so that the next window of
// similar size inserts without growing.
func (s *Set) Reset() {
	clear(s.slots)
	s.n = 0
	s.hasZero = false
}

// Grow makes room for n more hashes without further growth.
func (s *Set) Grow(n int) {
	for s.n+n > s.limit {
		s.grow()
	}
}

// AppendTo appends every hash in the set to dst, in no particular order, and
// returns the extended slice.
func (s *Set) AppendTo(dst []uint64) []uint64 {
	if s.hasZero {
		dst = append(dst, 0)
	}
	for _, h := range s.slots {
		if h != 0 {
			dst = append(dst, h)
		}
	}
	return dst
}

// grow doubles the table (or allocates the first one) and reinserts every
// hash. Old slots are visited in order, so reinsertion walks the new table
// forward and never probes far.
func (s *Set) grow() {
	size := max(2*len(s.slots), minSlots)
	old := s.slots
	s.slots = make([]uint64, size)
	s.limit = size / 8 * 5
	s.shift = uint8(64 - bits.TrailingZeros(uint(size)))
	mask := uint64(size - 1)
	for _, h := range old {
		if h == 0 {
			continue
		}
		i := h >> s.shift
		for s.slots[i] != 0 {
			i = (i + 1) & mask
		}
		s.slots[i] = h
	}
}
