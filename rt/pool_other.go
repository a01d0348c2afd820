//go:build !amd64

package rt

func maxPool2x2ReLUVec(out, r0, r1 []float32, b float32) int { return 0 }

func winners2x2ReLUVec(out, code, r0, r1 []float32, b float32, at0, wo int) int { return 0 }

func addTo(dst, src []float32) {
	dst = dst[:len(src)]
	for k, v := range src {
		dst[k] += v
	}
}
