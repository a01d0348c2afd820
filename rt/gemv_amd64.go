package rt

import "strings"

// gemvFor returns the multi-panel kernel family (gemv in gemm_gen.go) that matches
// kern's panel layout, and the most rows of A it takes; 0 rows means none. Tests run
// copies of the kernels with other cache blocks, so the match is by name.
func gemvFor(kern *gemmKernel) (gemvFunc, int) {
	switch {
	case strings.HasPrefix(kern.name, "avx512-"):
		return func(rows, k int, a *float32, sa, ra int, b *float32, ps int, c *float32, ldc int, alpha, beta float32) {
			avx512Gemv[rows](k, a, sa, ra, b, ps, c, ldc, alpha, beta)
		}, len(avx512Gemv) - 1
	case strings.HasPrefix(kern.name, "avx2-"):
		return func(rows, k int, a *float32, sa, ra int, b *float32, ps int, c *float32, ldc int, alpha, beta float32) {
			avx2Gemv[rows](k, a, sa, ra, b, ps, c, ldc, alpha, beta)
		}, len(avx2Gemv) - 1
	}
	return nil, 0
}
