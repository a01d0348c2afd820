// Package rt is the run-time library of dlgen-generated code: kernels, random
// streams, initializers and I/O. It depends on nothing but the standard library, and
// knows nothing of the compiler. The reference interpreter uses the same random
// streams and initializers, so generated code and interpreter draw identical numbers.
package rt

import "math"

// The random streams are counter-based: every number is a pure function of
// (seed, stream, index), so any element can be drawn independently, in any order, on
// any goroutine, and the interpreter (float64) and generated code (float32) agree
// exactly on which dropout units are kept. The mixing function is SplitMix64's
// finalizer (Steele, Lea and Flood, "Fast splittable pseudorandom number
// generators", 2014), applied to a Weyl sequence over the three words.

func mix64(z uint64) uint64 {
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// Bits returns 64 random bits for (seed, stream, index).
func Bits(seed, stream, index uint64) uint64 {
	z := mix64(seed + 0x9e3779b97f4a7c15)
	z = mix64(z ^ (stream + 0x6a09e667f3bcc909))
	return mix64(z ^ (index*0x9e3779b97f4a7c15 + 0xbb67ae8584caa73b))
}

// Uniform returns a float64 in [0, 1) with 53 random bits.
func Uniform(seed, stream, index uint64) float64 {
	return float64(Bits(seed, stream, index)>>11) * (1.0 / (1 << 53))
}

// Normal returns a standard normal deviate by the Box–Muller transform of the
// uniforms at indices 2·index and 2·index+1.
func Normal(seed, stream, index uint64) float64 {
	u1 := 1 - Uniform(seed, stream, 2*index) // in (0, 1], so the log is finite
	u2 := Uniform(seed, stream, 2*index+1)
	return math.Sqrt(-2*math.Log(u1)) * math.Cos(2*math.Pi*u2)
}

// KeepThreshold converts a dropout rate to the integer threshold Keep compares with.
func KeepThreshold(rate float64) uint64 { return uint64(rate * (1 << 53)) }

// Keep reports whether a dropout unit survives: its 53-bit uniform is at least the
// threshold, which happens with probability 1-rate.
func Keep(seed, stream, index, threshold uint64) bool {
	return Bits(seed, stream, index)>>11 >= threshold
}

// NameStream hashes a name (FNV-1a, 64 bit) to a stream number, so that each
// parameter's initial values depend on its own name and the model seed only: adding a
// layer does not change the others.
func NameStream(name string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(name); i++ {
		h ^= uint64(name[i])
		h *= 1099511628211
	}
	return h
}
