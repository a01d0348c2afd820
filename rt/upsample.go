package rt

// Bilinear upsampling by integer factors with half-pixel centres (PyTorch's
// interpolate(mode="bilinear", align_corners=False), Keras' UpSampling2D with
// interpolation "bilinear"), and its adjoint, for the code dlgen generates.
//
// Along an axis upsampled by s, output o = s·i + k (block i, phase k) reads the source
// coordinate (o + 1/2)/s - 1/2 = i + d_k, with d_k = (2k+1-s)/(2s) in (-1/2, 1/2): the
// fraction depends on the phase alone, so every block of an axis uses the same s
// pairs of weights, which the kernels compute once per phase (exactly rounded from
// the fractions above) instead of once per output. A phase with d_k < 0 reads inputs
// i-1 and i with weights -d_k and 1+d_k, one with d_k > 0 inputs i and i+1 with 1-d_k
// and d_k, and one with d_k = 0 (the middle phase of an odd s) input i alone. Where
// the pair would leave the input (block 0 of a phase with d_k < 0, where PyTorch
// clamps the coordinate to 0; the last block of a phase with d_k > 0, where its second
// input is its first) the output is input i, copied.
//
// Against PyTorch's float32 kernel this changes rounding only: PyTorch computes each
// output's coordinate in float32, (1/s)·(o + 0.5) - 0.5, whose fraction drifts from
// d_k by a few units in the last place as o grows, and weighs a clamped input twice,
// l0·x + l1·x, which may differ from x in the last bit. The kernels allocate nothing.
// BenchmarkUpSampleBilinear compares them with PyTorch's loops, which compute every
// output's taps.

// bilinearPhase returns phase k of factor s: the offset of its first input from the
// block (-1 or 0), the weights of its two inputs, and whether it reads one input
// (d_k = 0).
func bilinearPhase(k, s int) (off int, w0, w1 float32, one bool) {
	num, den := 2*k+1-s, float64(2*s) // d_k = num/den
	switch {
	case num < 0:
		return -1, float32(float64(-num) / den), float32((den + float64(num)) / den), false
	case num > 0:
		return 0, float32((den - float64(num)) / den), float32(float64(num) / den), false
	}
	return 0, 1, 0, true
}

// bilinearTap returns the inputs that output o of an axis of n inputs upsampled by s
// reads, with their weights: i0 and i1 = i0+1 with weights w0 and w1, or i0 alone
// (one) with weight 1.
func bilinearTap(o, s, n int) (i0 int, w0, w1 float32, one bool) {
	i, k := o/s, o%s
	off, w0, w1, one := bilinearPhase(k, s)
	if j := i + off; !one && j >= 0 && j+1 < n {
		return j, w0, w1, false
	}
	return i, 1, 0, true
}

// UpSampleBilinear writes to y the bilinear upsampling by (sh, sw) of x: planes
// planes of h×w values in x, of (h·sh)×(w·sw) in y. Output row r = sh·i + k reads
// input rows r0 and r0+1 with weights a0 and a1 (or one row), and
// y[r][o] = a0·(b0·x[r0][c0] + b1·x[r0][c0+1]) + a1·(b0·x[r0+1][c0] + b1·x[r0+1][c0+1])
// with the taps (c0, b0, b1) of column o, in PyTorch's order of operations.
func UpSampleBilinear(y, x []float32, planes, h, w, sh, sw int) {
	ho, wo := h*sh, w*sw
	x, y = x[:planes*h*w], y[:planes*ho*wo]
	for pl := range planes {
		xp, yp := x[pl*h*w:][:h*w], y[pl*ho*wo:][:ho*wo]
		for r := range ho {
			r0, a0, a1, one := bilinearTap(r, sh, h)
			yr, p := yp[r*wo:][:wo], xp[r0*w:][:w]
			if one {
				upRow(yr, p, sw)
			} else {
				upRows(yr, p, xp[(r0+1)*w:][:w], a0, a1, sw)
			}
		}
	}
}

// upRow writes output row y from input row p alone: y[o] = b0·p[c0] + b1·p[c0+1].
func upRow(y, p []float32, s int) {
	w := len(p)
	for k := range s {
		off, b0, b1, one := bilinearPhase(k, s)
		lo, hi := 0, w // the blocks whose two inputs lie in p
		switch {
		case one:
			lo, hi = 0, 0
			for i, v := range p {
				y[i*s+k] = v
			}
		case off < 0:
			y[k] = p[0]
			lo = 1
		default:
			y[(w-1)*s+k] = p[w-1]
			hi = w - 1
		}
		for i := lo; i < hi; i++ {
			j := i + off
			y[i*s+k] = b0*p[j] + b1*p[j+1]
		}
	}
}

// upRows writes output row y from input rows p and q with weights a0 and a1:
// y[o] = a0·(b0·p[c0] + b1·p[c0+1]) + a1·(b0·q[c0] + b1·q[c0+1]).
func upRows(y, p, q []float32, a0, a1 float32, s int) {
	w := len(p)
	q = q[:w]
	for k := range s {
		off, b0, b1, one := bilinearPhase(k, s)
		lo, hi := 0, w
		switch {
		case one:
			lo, hi = 0, 0
			for i, v := range p {
				y[i*s+k] = a0*v + a1*q[i]
			}
		case off < 0:
			y[k] = a0*p[0] + a1*q[0]
			lo = 1
		default:
			y[(w-1)*s+k] = a0*p[w-1] + a1*q[w-1]
			hi = w - 1
		}
		for i := lo; i < hi; i++ {
			j := i + off
			y[i*s+k] = a0*(b0*p[j]+b1*p[j+1]) + a1*(b0*q[j]+b1*q[j+1])
		}
	}
}

// UpSampleBilinearGrad writes to dx the adjoint of UpSampleBilinear (same arguments)
// applied to dy: each dy[r][o] goes to the inputs its output read, times the
// products of their weights, (a·b)·dy. The sums run in a fixed order: output rows
// from the top, within a row phase by phase (k = o mod sw from 0) and block by block
// from the left, and for each output its terms (r0, c0), (r0, c0+1), (r0+1, c0),
// (r0+1, c0+1) (PyTorch's order, where it visits the outputs of a row left to right).
func UpSampleBilinearGrad(dx, dy []float32, planes, h, w, sh, sw int) {
	ho, wo := h*sh, w*sw
	dx, dy = dx[:planes*h*w], dy[:planes*ho*wo]
	clear(dx)
	for pl := range planes {
		dp, gp := dx[pl*h*w:][:h*w], dy[pl*ho*wo:][:ho*wo]
		for r := range ho {
			r0, a0, a1, one := bilinearTap(r, sh, h)
			g, p := gp[r*wo:][:wo], dp[r0*w:][:w]
			if one {
				upRowGrad(p, g, sw)
			} else {
				upRowsGrad(p, dp[(r0+1)*w:][:w], g, a0, a1, sw)
			}
		}
	}
}

// upRowGrad adds to input row p the adjoint of upRow applied to output row g.
func upRowGrad(p, g []float32, s int) {
	w := len(p)
	for k := range s {
		off, b0, b1, one := bilinearPhase(k, s)
		lo, hi := 0, w
		switch {
		case one:
			lo, hi = 0, 0
			for i := range p {
				p[i] += g[i*s+k]
			}
		case off < 0:
			p[0] += g[k]
			lo = 1
		default:
			p[w-1] += g[(w-1)*s+k]
			hi = w - 1
		}
		for i := lo; i < hi; i++ {
			j, v := i+off, g[i*s+k]
			p[j] += b0 * v
			p[j+1] += b1 * v
		}
	}
}

// upRowsGrad adds to input rows p and q (weights a0 and a1) the adjoint of upRows
// applied to output row g.
func upRowsGrad(p, q, g []float32, a0, a1 float32, s int) {
	w := len(p)
	q = q[:w]
	for k := range s {
		off, b0, b1, one := bilinearPhase(k, s)
		c00, c01, c10, c11 := a0*b0, a0*b1, a1*b0, a1*b1
		lo, hi := 0, w
		switch {
		case one:
			lo, hi = 0, 0
			for i := range p {
				v := g[i*s+k]
				p[i] += a0 * v
				q[i] += a1 * v
			}
		case off < 0:
			p[0] += a0 * g[k]
			q[0] += a1 * g[k]
			lo = 1
		default:
			v := g[(w-1)*s+k]
			p[w-1] += a0 * v
			q[w-1] += a1 * v
			hi = w - 1
		}
		for i := lo; i < hi; i++ {
			j, v := i+off, g[i*s+k]
			p[j] += c00 * v
			p[j+1] += c01 * v
			q[j] += c10 * v
			q[j+1] += c11 * v
		}
	}
}
