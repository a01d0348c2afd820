//go:build !amd64

package rt

// directConv is false: the direct path needs the amd64 kernels.
var directConv = false

// direct is never called without AVX-512 (directConv is false).
func (p plan) direct(wr []float32, off []int32, img, prod []float32) {
	panic("rt: the direct convolution path needs AVX-512")
}

// directStrips is never called without AVX-512 (directConv is false).
func (p plan) directStrips(wr []float32, off []int32, img, prod []float32, s0, s1 int) {
	panic("rt: the direct convolution path needs AVX-512")
}

// haveDirect reports whether this CPU can run the direct path: never.
func haveDirect() bool { return false }

// scatter is never called without AVX-512 (directConv is false).
func (p plan) scatter(a []float32, coff []int32, dyw, dx []float32) {
	panic("rt: the scatter convolution path needs AVX-512")
}
