//go:build !amd64

package rt

// Without the amd64 kernels the slice functions of act_smooth_vec.go compute every
// value in Go.

func eluVec(y, x []float32, alpha float32) int         { return 0 }
func eluGradVec(y, x, dy []float32, alpha float32) int { return 0 }
func seluVec(y, x []float32) int                       { return 0 }
func seluGradVec(y, x, dy []float32) int               { return 0 }
func softplusVec(y, x []float32) int                   { return 0 }
func softplusGradVec(y, x, dy []float32) int           { return 0 }
func geluVec(y, x []float32) int                       { return 0 }
func geluGradVec(y, x, dy []float32) int               { return 0 }
func geluTanhVec(y, x []float32) int                   { return 0 }
func geluTanhGradVec(y, x, dy []float32) int           { return 0 }
func siluVec(y, x []float32) int                       { return 0 }
func siluGradVec(y, x, dy []float32) int               { return 0 }
