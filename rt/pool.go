package rt

// Helpers for the pooling code that dlgen generates inline.

// Pick returns a if c holds and b otherwise, without a branch: the compiler turns
// the bool into 0 or 1 (SETcc), and the mask does the rest. Max pooling's gradient
// tracks the position of each window's maximum with it: which element wins is
// data-dependent and unpredictable, and a mispredicted branch per comparison costs
// several times the comparison itself.
func Pick(c bool, a, b int) int {
	return b ^ ((a ^ b) & -b2i(c))
}

func b2i(c bool) int {
	if c {
		return 1
	}
	return 0
}
