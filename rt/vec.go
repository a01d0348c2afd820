package rt

// Portable forms of the element-wise kernels in vec_amd64.s. Each does the same
// operations in the same order as its vector kernel, so the two give the same bits;
// the explicit float32 conversions keep the compiler from fusing a multiply and an
// add (which the Go spec allows and GOAMD64=v3 does), since the kernels do not.

// sumSquaresGo is Σ x² in float64, in the lane order of sumSquaresAVX512: lane j
// sums x[i]² for i ≡ j (mod 32) in index order, then the lanes are added in a fixed
// pairwise tree. Squares of float32 values are exact in float64.
func sumSquaresGo(x []float32) float64 {
	var s [32]float64
	i := 0
	for ; i+32 <= len(x); i += 32 {
		for j, v := range x[i : i+32] {
			a := float64(v)
			s[j] += a * a
		}
	}
	for j, v := range x[i:] {
		a := float64(v)
		s[j] += a * a
	}
	var t [8]float64
	for k := range t {
		t[k] = (s[k] + s[8+k]) + (s[16+k] + s[24+k])
	}
	u0, u1, u2, u3 := t[0]+t[4], t[1]+t[5], t[2]+t[6], t[3]+t[7]
	return (u0 + u2) + (u1 + u3)
}

// sgdGo is p = p - lr·(g + wd·p), element by element.
func sgdGo(p, g []float32, lr, wd float32) {
	g = g[:len(p)]
	for i, v := range p {
		p[i] = v - float32(lr*float32(g[i]+float32(wd*v)))
	}
}

// sgdMomentumGo is SGD.Update with momentum (see SGD), element by element; b is the
// momentum buffer, first says whether this is the first step.
func sgdMomentumGo(p, g, b []float32, lr, wd, mu, damp float32, first, nesterov bool) {
	g, b = g[:len(p)], b[:len(p)]
	for i, v := range p {
		d := g[i] + float32(wd*v)
		if first {
			b[i] = d
		} else {
			b[i] = float32(mu*b[i]) + float32(damp*d)
		}
		if nesterov {
			d += float32(mu * b[i])
		} else {
			d = b[i]
		}
		p[i] = v - float32(lr*d)
	}
}

// reluGradGo is ReluGrad element by element.
func reluGradGo(y, x, dy []float32) {
	x, y = x[:len(dy)], y[:len(dy)]
	for i, d := range dy {
		y[i] = ReluGrad32(x[i], d)
	}
}

// colSums64Go is ColSums64 element by element.
func colSums64Go(acc []float64, x []float32, rows, cols, ldx int) {
	acc = acc[:cols]
	for r := range rows {
		for c, v := range x[r*ldx : r*ldx+cols] {
			acc[c] += float64(v)
		}
	}
}
