//go:build !(goexperiment.simd && amd64)

package processor

// simdClassify is false: this build has no SIMD classifier (it needs
// GOEXPERIMENT=simd on amd64).
const simdClassify = false

// classifySIMD is never called in this build.
func classifySIMD(line []byte, masks []blockMasks) { classifySWAR(line, masks) }
