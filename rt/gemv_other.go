//go:build !amd64

package rt

// gemvFor: the portable kernel has no multi-panel variant.
func gemvFor(*gemmKernel) (gemvFunc, int) { return nil, 0 }
