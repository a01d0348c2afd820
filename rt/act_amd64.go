package rt

//go:noescape
func sigmoidAVX2(y, x *float32, n int)

//go:noescape
func tanhAVX2(y, x *float32, n int)

// sigmoidVec and tanhVec compute the first multiple of 8 elements with AVX2 when
// the CPU has it and return how many they did.
func sigmoidVec(y, x []float32) int {
	n := len(x) &^ 7
	if !cpu.avx2FMA || n == 0 {
		return 0
	}
	sigmoidAVX2(&y[0], &x[0], n)
	return n
}

func tanhVec(y, x []float32) int {
	n := len(x) &^ 7
	if !cpu.avx2FMA || n == 0 {
		return 0
	}
	tanhAVX2(&y[0], &x[0], n)
	return n
}
