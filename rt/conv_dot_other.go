//go:build !amd64

package rt

// haveDot reports whether this CPU runs the dot-product kernels: never without
// the amd64 assembly.
func haveDot() bool { return false }

// dotMaxTaps mirrors the amd64 table; the path is off, so it only sizes loops.
var dotMaxTaps = [...]int{0, 8, 8, 8, 6, 5, 4}

func dotTranspose16(a *transArgs) { panic("rt: the dot-product filter gradient needs AVX-512") }

func dotKernel(r, s int, a *dotArgs) { panic("rt: the dot-product filter gradient needs AVX-512") }
