package rt

import "fmt"

// Gemm computes C = alpha·op(A)·op(B) + beta·C for row-major float32 matrices, where
// op(A) is m×k, op(B) is k×n and C is m×n; lda, ldb and ldc are the row strides of A,
// B and C as stored. When beta is 0, C is overwritten without being read, so it may
// hold garbage (or NaN) on entry, as in BLAS. When alpha is 0 or k is 0, A and B are
// not read.
//
// Gemm runs on the calling goroutine only and is bit-deterministic: the same inputs
// give the same bits on every call. The fastest kernel the CPU supports is chosen at
// start-up (AVX-512, AVX2+FMA, or portable Go; see GEMM.md). Its packing buffers
// come from a small package-level free list, so repeated calls do not allocate;
// code that wants to own its buffers, or use several threads, uses a Pool.
//
// Gemm panics if a slice is too short for the shapes and strides it is given, as a
// BLAS would: that is a bug in the caller, and the kernels must never read or write
// outside the slices.
func Gemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	checkGemm(transA, transB, m, n, k, a, lda, b, ldb, c, ldc)
	ws := getWorkspace()
	ws.gemm(activeKernel, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
	putWorkspace(ws)
}

// checkGemm panics unless every element Gemm may touch lies inside its slice.
func checkGemm(transA, transB bool, m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int) {
	if m < 0 || n < 0 || k < 0 {
		panic(fmt.Sprintf("rt.Gemm: negative size m=%d n=%d k=%d", m, n, k))
	}
	ar, ac := m, k
	if transA {
		ar, ac = k, m
	}
	br, bc := k, n
	if transB {
		br, bc = n, k
	}
	checkMat("A", a, ar, ac, lda)
	checkMat("B", b, br, bc, ldb)
	checkMat("C", c, m, n, ldc)
}

func checkMat(name string, s []float32, rows, cols, ld int) {
	if rows == 0 || cols == 0 {
		return
	}
	if ld < cols {
		panic(fmt.Sprintf("rt.Gemm: ld%s=%d is less than its %d columns", name, ld, cols))
	}
	if need := (rows-1)*ld + cols; len(s) < need {
		panic(fmt.Sprintf("rt.Gemm: %s has %d elements, a %dx%d matrix with stride %d needs %d", name, len(s), rows, cols, ld, need))
	}
}
