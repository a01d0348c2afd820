package gonumpeer

import "gonum.org/v1/gonum/blas/blas32"

// lstm is PyTorch's single-layer LSTM (gates i,f,g,o; z = x·W_ihᵀ + b_ih + h·W_hhᵀ +
// b_hh) over x [n,T,F], returning the last hidden state [n,H]. The input projection of
// all steps is one GEMM; each step adds h·W_hhᵀ. Backward is backpropagation through
// time, with the weight gradients of all steps gathered into two GEMMs at the end.
type lstm struct {
	n, t, f, h                   int
	wih, whh, bih, bhh           []float32
	gwih, gwhh, gbih, gbhh       []float32
	x                            []float32
	zx                           []float32 // [n·T, 4H] input projections, then the gates
	hs, cs                       []float32 // [n, T+1, H]: h_{t} and c_{t} at index t+1 (index 0 is 0)
	tc                           []float32 // [n, T, H] tanh(c_t)
	dz                           []float32 // [n·T, 4H] gradient of the pre-activations
	dh, dc, dhPrev, hprev, hlast []float32
}

func newLSTM(n, t, f, h int, wih, whh, bih, bhh []float32) *lstm {
	g := 4 * h
	return &lstm{n: n, t: t, f: f, h: h, wih: wih, whh: whh, bih: bih, bhh: bhh,
		gwih: make([]float32, len(wih)), gwhh: make([]float32, len(whh)),
		gbih: make([]float32, g), gbhh: make([]float32, g),
		zx: make([]float32, n*t*g), hs: make([]float32, n*(t+1)*h), cs: make([]float32, n*(t+1)*h),
		tc: make([]float32, n*t*h), dz: make([]float32, n*t*g),
		dh: make([]float32, n*h), dc: make([]float32, n*h), dhPrev: make([]float32, n*h),
		hprev: make([]float32, n*t*h), hlast: make([]float32, n*h)}
}

func (l *lstm) forward(x []float32) []float32 {
	l.x = x
	n, T, H, G := l.n, l.t, l.h, 4*l.h
	for r := range n * T {
		for j := range G {
			l.zx[r*G+j] = l.bih[j] + l.bhh[j]
		}
	}
	gemm(false, true, 1, mat(n*T, l.f, x), mat(G, l.f, l.wih), 1, mat(n*T, G, l.zx))
	hstride := (T + 1) * H
	for t := range T {
		// z_t += h_{t−1}·W_hhᵀ, on the rows b·T+t of zx (row stride T·G).
		z := strided(n, G, T*G, l.zx[t*G:])
		hp := strided(n, H, hstride, l.hs[t*H:])
		gemm(false, true, 1, hp, mat(G, H, l.whh), 1, z)
		for b := range n {
			zr := l.zx[(b*T+t)*G:][:G]
			cp := l.cs[b*hstride+t*H:][:H]
			cn := l.cs[b*hstride+(t+1)*H:][:H]
			hn := l.hs[b*hstride+(t+1)*H:][:H]
			tc := l.tc[(b*T+t)*H:][:H]
			for j := range H {
				i, f, g, o := sigmoid(zr[j]), sigmoid(zr[H+j]), tanh(zr[2*H+j]), sigmoid(zr[3*H+j])
				zr[j], zr[H+j], zr[2*H+j], zr[3*H+j] = i, f, g, o // keep the gates for backward
				c := f*cp[j] + i*g
				cn[j] = c
				tc[j] = tanh(c)
				hn[j] = o * tc[j]
			}
		}
	}
	for b := range n {
		copy(l.hlast[b*H:(b+1)*H], l.hs[b*hstride+T*H:])
	}
	return l.hlast
}

// strided is an r×c matrix whose rows are stride apart in d.
func strided(r, c, stride int, d []float32) blas32.General {
	return blas32.General{Rows: r, Cols: c, Stride: stride, Data: d[:(r-1)*stride+c]}
}

func (l *lstm) backward(dy []float32, _ bool) []float32 {
	n, T, H, G := l.n, l.t, l.h, 4*l.h
	hstride := (T + 1) * H
	copy(l.dh, dy)
	clear(l.dc)
	for t := T - 1; t >= 0; t-- {
		for b := range n {
			gz := l.zx[(b*T+t)*G:][:G]
			dz := l.dz[(b*T+t)*G:][:G]
			cp := l.cs[b*hstride+t*H:][:H]
			tc := l.tc[(b*T+t)*H:][:H]
			dh, dc := l.dh[b*H:(b+1)*H], l.dc[b*H:(b+1)*H]
			for j := range H {
				i, f, g, o := gz[j], gz[H+j], gz[2*H+j], gz[3*H+j]
				d := dc[j] + dh[j]*o*(1-tc[j]*tc[j])
				dz[j] = d * g * i * (1 - i)
				dz[H+j] = d * cp[j] * f * (1 - f)
				dz[2*H+j] = d * i * (1 - g*g)
				dz[3*H+j] = dh[j] * tc[j] * o * (1 - o)
				dc[j] = d * f
			}
		}
		if t > 0 {
			// dh_{t−1} = dz_t · W_hh.
			gemm(false, false, 1, strided(n, G, T*G, l.dz[t*G:]), mat(G, H, l.whh), 0, mat(n, H, l.dh))
		}
	}
	// dW_ih = Σ_t dz_tᵀ·x_t and dW_hh = Σ_t dz_tᵀ·h_{t−1}, both as one GEMM over n·T rows.
	gemm(true, false, 1, mat(n*T, G, l.dz), mat(n*T, l.f, l.x), 1, mat(G, l.f, l.gwih))
	for b := range n {
		copy(l.hprev[b*T*H:(b+1)*T*H], l.hs[b*hstride:b*hstride+T*H])
	}
	gemm(true, false, 1, mat(n*T, G, l.dz), mat(n*T, H, l.hprev), 1, mat(G, H, l.gwhh))
	for r := range n * T {
		for j, v := range l.dz[r*G : (r+1)*G] {
			l.gbih[j] += v
		}
	}
	copy(l.gbhh, l.gbih) // the two biases enter z the same way
	return nil
}

func (l *lstm) params() ([][]float32, [][]float32) {
	return [][]float32{l.wih, l.whh, l.bih, l.bhh}, [][]float32{l.gwih, l.gwhh, l.gbih, l.gbhh}
}
