package rt

//go:noescape
func maxPool2x2ReLUAVX512(out, r0, r1 *float32, n int, bias float32, outMask, in0, in1 uint16)

// maxPool2x2ReLUVec computes a pooled row of a 2×2, stride-2 max pool after bias
// and ReLU, out[q] from r0[2q:2q+2] and r1[2q:2q+2], with AVX-512 when the CPU has
// it, and returns how many values it did: all of them, or 0 without AVX-512.
func maxPool2x2ReLUVec(out, r0, r1 []float32, b float32) int {
	n := len(out)
	if !cpu.avx512 || n == 0 {
		return 0
	}
	_, _ = r0[2*n-1], r1[2*n-1]
	full, rem := n&^15, uint(n&15)
	lo, hi := min(2*rem, 16), max(2*rem, 16)-16
	maxPool2x2ReLUAVX512(&out[0], &r0[0], &r1[0], full, b, uint16(1<<rem-1), uint16(1<<lo-1), uint16(1<<hi-1))
	return n
}

//go:noescape
func winners2x2ReLUAVX512(out, code, r0, r1 *float32, n int, bias float32, at0, wo int32, outMask, in0, in1 uint16)

// winners2x2ReLUVec computes a pooled row and its winners' codes for
// Epilogue.winners' 2×2 fast path after ReLU (first window at position at0 of a
// plane wo wide) with AVX-512 when the CPU has it, and returns how many values it
// did: all of them, or 0 without AVX-512.
func winners2x2ReLUVec(out, code, r0, r1 []float32, b float32, at0, wo int) int {
	n := len(out)
	if !cpu.avx512 || n == 0 {
		return 0
	}
	_, _, _ = code[n-1], r0[2*n-1], r1[2*n-1]
	full, rem := n&^15, uint(n&15)
	lo, hi := min(2*rem, 16), max(2*rem, 16)-16
	winners2x2ReLUAVX512(&out[0], &code[0], &r0[0], &r1[0], full, b, int32(at0), int32(wo), uint16(1<<rem-1), uint16(1<<lo-1), uint16(1<<hi-1))
	return n
}

//go:noescape
func addToAVX512(dst, src *float32, n int)

// addTo adds src to dst element by element (len(src) values), with AVX-512 when
// the CPU has it: col2im's rows, which Go would add one scalar at a time.
func addTo(dst, src []float32) {
	if len(src) == 0 {
		return
	}
	dst = dst[:len(src)]
	if cpu.avx512 {
		addToAVX512(&dst[0], &src[0], len(src))
		return
	}
	for k, v := range src {
		dst[k] += v
	}
}
