package rt

// Sum64 returns the sum of x in float64, in four interleaved partial sums: a single
// running sum is a chain of dependent additions, one every four cycles, while four
// chains keep the adder busy (a bias gradient sums every activation of its channel,
// and was 6 % of LeNet's training step that way). The rounding differs from the
// sequential sum's only in float64's last bits; float32 results are almost always
// the same.
func Sum64(x []float32) float64 {
	var s0, s1, s2, s3 float64
	i := 0
	for ; i+4 <= len(x); i += 4 {
		v := x[i : i+4 : i+4]
		s0 += float64(v[0])
		s1 += float64(v[1])
		s2 += float64(v[2])
		s3 += float64(v[3])
	}
	for ; i < len(x); i++ {
		s0 += float64(x[i])
	}
	return (s0 + s1) + (s2 + s3)
}
