package framegen

import "math/bits"

// rng is a small, fast pseudo-random generator (wyrand). It is written out here
// rather than taken from math/rand so that output stays byte-identical across Go
// releases.
type rng struct{ s uint64 }

// mix64 is the splitmix64 finaliser: a bijection on uint64 that scrambles every bit.
func mix64(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}

// streamRNG returns the generator of one random stream of frame i.
func streamRNG(seed int64, i int64, stream uint64) rng {
	return rng{s: mix64(uint64(seed) ^ mix64(uint64(i)<<4|stream))}
}

func (r *rng) next() uint64 {
	r.s += 0xa0761d6478bd642f
	hi, lo := bits.Mul64(r.s, r.s^0xe7037ed1a0b428db)
	return hi ^ lo
}

// intn returns a number in [0, n), n > 0 (Lemire's multiply-shift; the bias is
// below 2^-32 for the small n used here).
func (r *rng) intn(n int) int {
	hi, _ := bits.Mul64(r.next(), uint64(n))
	return int(hi)
}

// float returns a number in [0, 1).
func (r *rng) float() float64 { return float64(r.next()>>11) * 0x1p-53 }

// pick returns a random element of s.
func pick[T any](r *rng, s []T) T { return s[r.intn(len(s))] }
