// Package gonumpeer is the "careful Go programmer" baseline of dlgen's benchmark: W1–W4
// written by hand as layers over gonum's float32 BLAS (blas32, gonum's own pure-Go
// implementation), with every buffer allocated once per model and the backward pass of
// each layer derived by hand. NCHW, PyTorch weight layout (bench/go/wl.TorchWeights).
package gonumpeer

import (
	"math"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas32"
)

// layer is one step of a feed-forward network at a fixed batch size. forward keeps
// whatever backward needs; backward accumulates into the parameter gradients and
// returns the gradient with respect to the input, or nil when needDx is false.
type layer interface {
	forward(x []float32) []float32
	backward(dy []float32, needDx bool) []float32
	params() (w, g [][]float32)
}

func mat(r, c int, d []float32) blas32.General {
	return blas32.General{Rows: r, Cols: c, Stride: c, Data: d[:r*c]}
}

// gemm is C = alpha·op(A)·op(B) + beta·C on row-major slices.
func gemm(tA, tB bool, alpha float32, a blas32.General, b blas32.General, beta float32, c blas32.General) {
	ta, tb := blas.NoTrans, blas.NoTrans
	if tA {
		ta = blas.Trans
	}
	if tB {
		tb = blas.Trans
	}
	blas32.Gemm(ta, tb, alpha, a, b, beta, c)
}

// dense is y = x·Wᵀ + b with W [out,in] (PyTorch's Linear).
type dense struct {
	n, in, out   int
	w, b, gw, gb []float32
	x, y, dx     []float32
}

func newDense(n, in, out int, w, b []float32) *dense {
	return &dense{n: n, in: in, out: out, w: w, b: b, gw: make([]float32, len(w)), gb: make([]float32, len(b)),
		y: make([]float32, n*out), dx: make([]float32, n*in)}
}

func (d *dense) forward(x []float32) []float32 {
	d.x = x
	for i := range d.n {
		copy(d.y[i*d.out:(i+1)*d.out], d.b)
	}
	gemm(false, true, 1, mat(d.n, d.in, x), mat(d.out, d.in, d.w), 1, mat(d.n, d.out, d.y))
	return d.y
}

func (d *dense) backward(dy []float32, needDx bool) []float32 {
	// dW = dyᵀ·x, db = Σ_rows dy, dx = dy·W.
	gemm(true, false, 1, mat(d.n, d.out, dy), mat(d.n, d.in, d.x), 1, mat(d.out, d.in, d.gw))
	for i := range d.n {
		for j, v := range dy[i*d.out : (i+1)*d.out] {
			d.gb[j] += v
		}
	}
	if !needDx {
		return nil
	}
	gemm(false, false, 1, mat(d.n, d.out, dy), mat(d.out, d.in, d.w), 0, mat(d.n, d.in, d.dx))
	return d.dx
}

func (d *dense) params() ([][]float32, [][]float32) {
	return [][]float32{d.w, d.b}, [][]float32{d.gw, d.gb}
}

// relu keeps its output: y > 0 is the mask of the backward pass.
type relu struct{ y, dx []float32 }

func newReLU(size int) *relu { return &relu{y: make([]float32, size), dx: make([]float32, size)} }

func (r *relu) forward(x []float32) []float32 {
	for i, v := range x {
		r.y[i] = max(v, 0)
	}
	return r.y
}

func (r *relu) backward(dy []float32, _ bool) []float32 {
	for i, v := range r.y {
		if v > 0 {
			r.dx[i] = dy[i]
		} else {
			r.dx[i] = 0
		}
	}
	return r.dx
}

func (r *relu) params() ([][]float32, [][]float32) { return nil, nil }

// conv is a stride-1 2-D convolution with symmetric zero padding p, lowered per sample
// to im2col + one GEMM: Y_b [co, ho·wo] = W [co, ci·k·k] · col_b [ci·k·k, ho·wo] + b.
// The columns of every sample are kept for the weight gradient.
type conv struct {
	n, ci, co, k, p, h, w, ho, wo int
	wt, b, gw, gb                 []float32
	cols, dcol, y, dx             []float32
}

func newConv(n, ci, co, k, p, h, w int, wt, b []float32) *conv {
	ho, wo := h+2*p-k+1, w+2*p-k+1
	ckk := ci * k * k
	return &conv{n: n, ci: ci, co: co, k: k, p: p, h: h, w: w, ho: ho, wo: wo, wt: wt, b: b,
		gw: make([]float32, len(wt)), gb: make([]float32, len(b)),
		cols: make([]float32, n*ckk*ho*wo), dcol: make([]float32, ckk*ho*wo),
		y: make([]float32, n*co*ho*wo), dx: make([]float32, n*ci*h*w)}
}

// im2col writes col[(c·k+ky)·k+kx][oy·wo+ox] = img[c][oy+ky-p][ox+kx-p] (0 outside).
func (c *conv) im2col(img, col []float32) {
	hw := c.ho * c.wo
	for ch := range c.ci {
		plane := img[ch*c.h*c.w : (ch+1)*c.h*c.w]
		for ky := range c.k {
			for kx := range c.k {
				row := col[((ch*c.k+ky)*c.k+kx)*hw:][:hw]
				lo, hi := max(0, c.p-kx), min(c.wo, c.w+c.p-kx) // ox range that reads inside
				for oy := range c.ho {
					dst := row[oy*c.wo : (oy+1)*c.wo]
					iy := oy + ky - c.p
					if iy < 0 || iy >= c.h || lo >= hi {
						clear(dst)
						continue
					}
					clear(dst[:lo])
					copy(dst[lo:hi], plane[iy*c.w+lo+kx-c.p:])
					clear(dst[hi:])
				}
			}
		}
	}
}

// col2im is im2col's adjoint: it adds every column entry back to its pixel.
func (c *conv) col2im(col, img []float32) {
	hw := c.ho * c.wo
	clear(img)
	for ch := range c.ci {
		plane := img[ch*c.h*c.w : (ch+1)*c.h*c.w]
		for ky := range c.k {
			for kx := range c.k {
				row := col[((ch*c.k+ky)*c.k+kx)*hw:][:hw]
				lo, hi := max(0, c.p-kx), min(c.wo, c.w+c.p-kx)
				for oy := range c.ho {
					iy := oy + ky - c.p
					if iy < 0 || iy >= c.h || lo >= hi {
						continue
					}
					dst := plane[iy*c.w+lo+kx-c.p:][:hi-lo]
					for i, v := range row[oy*c.wo+lo : oy*c.wo+hi] {
						dst[i] += v
					}
				}
			}
		}
	}
}

func (c *conv) forward(x []float32) []float32 {
	ckk, hw := c.ci*c.k*c.k, c.ho*c.wo
	for s := range c.n {
		col := c.cols[s*ckk*hw : (s+1)*ckk*hw]
		c.im2col(x[s*c.ci*c.h*c.w:], col)
		y := c.y[s*c.co*hw : (s+1)*c.co*hw]
		for o, v := range c.b {
			for i := range y[o*hw : (o+1)*hw] {
				y[o*hw+i] = v
			}
		}
		gemm(false, false, 1, mat(c.co, ckk, c.wt), mat(ckk, hw, col), 1, mat(c.co, hw, y))
	}
	return c.y
}

func (c *conv) backward(dy []float32, needDx bool) []float32 {
	ckk, hw := c.ci*c.k*c.k, c.ho*c.wo
	for s := range c.n {
		g := dy[s*c.co*hw : (s+1)*c.co*hw]
		col := c.cols[s*ckk*hw : (s+1)*ckk*hw]
		// dW += dY_b · col_bᵀ, db += Σ_pixels dY_b.
		gemm(false, true, 1, mat(c.co, hw, g), mat(ckk, hw, col), 1, mat(c.co, ckk, c.gw))
		for o := range c.co {
			var sum float32
			for _, v := range g[o*hw : (o+1)*hw] {
				sum += v
			}
			c.gb[o] += sum
		}
		if needDx {
			// dcol = Wᵀ · dY_b, then scatter back to the input pixels.
			gemm(true, false, 1, mat(c.co, ckk, c.wt), mat(c.co, hw, g), 0, mat(ckk, hw, c.dcol))
			c.col2im(c.dcol, c.dx[s*c.ci*c.h*c.w:(s+1)*c.ci*c.h*c.w])
		}
	}
	if !needDx {
		return nil
	}
	return c.dx
}

func (c *conv) params() ([][]float32, [][]float32) {
	return [][]float32{c.wt, c.b}, [][]float32{c.gw, c.gb}
}

// maxPool is a 2×2 max pool with stride 2 over planes of h×w (both even); it records
// which input won each window for the backward pass.
type maxPool struct {
	planes, h, w int
	arg          []int32
	y, dx        []float32
}

func newMaxPool(planes, h, w int) *maxPool {
	o := planes * (h / 2) * (w / 2)
	return &maxPool{planes: planes, h: h, w: w, arg: make([]int32, o), y: make([]float32, o), dx: make([]float32, planes*h*w)}
}

func (m *maxPool) forward(x []float32) []float32 {
	ho, wo := m.h/2, m.w/2
	for p := range m.planes {
		in := x[p*m.h*m.w:]
		for oy := range ho {
			for ox := range wo {
				i := 2*oy*m.w + 2*ox
				best, at := in[i], i
				for _, j := range [3]int{i + 1, i + m.w, i + m.w + 1} {
					if in[j] > best {
						best, at = in[j], j
					}
				}
				o := (p*ho+oy)*wo + ox
				m.y[o], m.arg[o] = best, int32(p*m.h*m.w+at)
			}
		}
	}
	return m.y
}

func (m *maxPool) backward(dy []float32, _ bool) []float32 {
	clear(m.dx)
	for o, at := range m.arg {
		m.dx[at] += dy[o]
	}
	return m.dx
}

func (m *maxPool) params() ([][]float32, [][]float32) { return nil, nil }

// upsample is ×2 nearest-neighbour upsampling of planes of h×w.
type upsample struct {
	planes, h, w int
	y, dx        []float32
}

func newUpsample(planes, h, w int) *upsample {
	return &upsample{planes: planes, h: h, w: w, y: make([]float32, planes*4*h*w), dx: make([]float32, planes*h*w)}
}

func (u *upsample) forward(x []float32) []float32 {
	w2 := 2 * u.w
	for p := range u.planes {
		for iy := range u.h {
			row := u.y[(p*2*u.h+2*iy)*w2:][:w2]
			for ix, v := range x[(p*u.h+iy)*u.w : (p*u.h+iy+1)*u.w] {
				row[2*ix], row[2*ix+1] = v, v
			}
			copy(u.y[(p*2*u.h+2*iy+1)*w2:][:w2], row)
		}
	}
	return u.y
}

func (u *upsample) backward(dy []float32, _ bool) []float32 {
	w2 := 2 * u.w
	for p := range u.planes {
		for iy := range u.h {
			r0, r1 := dy[(p*2*u.h+2*iy)*w2:][:w2], dy[(p*2*u.h+2*iy+1)*w2:][:w2]
			for ix := range u.w {
				u.dx[(p*u.h+iy)*u.w+ix] = r0[2*ix] + r0[2*ix+1] + r1[2*ix] + r1[2*ix+1]
			}
		}
	}
	return u.dx
}

func (u *upsample) params() ([][]float32, [][]float32) { return nil, nil }

func sigmoid(x float32) float32 { return 1 / (1 + float32(math.Exp(float64(-x)))) }

func tanh(x float32) float32 { return float32(math.Tanh(float64(x))) }

// softmaxRows writes the row-wise softmax of z [n,k] into p.
func softmaxRows(z, p []float32, n, k int) {
	for i := range n {
		row, out := z[i*k:(i+1)*k], p[i*k:(i+1)*k]
		m := row[0]
		for _, v := range row {
			m = max(m, v)
		}
		var s float64
		for j, v := range row {
			e := math.Exp(float64(v - m))
			out[j] = float32(e)
			s += e
		}
		for j := range out {
			out[j] = float32(float64(out[j]) / s)
		}
	}
}

// softmaxCE is the mean softmax cross-entropy of logits z [n,10] against labels; it
// writes dL/dz = (softmax(z) − onehot)/n into dz.
func softmaxCE(z, p, dz []float32, labels []int32, n int) float32 {
	softmaxRows(z, p, n, 10)
	var loss float64
	for i, l := range labels[:n] {
		loss -= math.Log(float64(p[i*10+int(l)]))
		for j := range 10 {
			dz[i*10+j] = p[i*10+j] / float32(n)
		}
		dz[i*10+int(l)] -= 1 / float32(n)
	}
	return float32(loss / float64(n))
}

// sigmoidBCE is the mean binary cross-entropy of sigmoid(z) against target t (logs
// clamped at −100 as PyTorch's BCELoss); it writes dL/dz = (sigmoid(z) − t)/len into dz.
func sigmoidBCE(z, p, dz, t []float32) float32 {
	var loss float64
	inv := 1 / float32(len(z))
	for i, v := range z {
		s := sigmoid(v)
		p[i] = s
		loss -= float64(t[i])*max(math.Log(float64(s)), -100) + float64(1-t[i])*max(math.Log(float64(1-s)), -100)
		dz[i] = (s - t[i]) * inv
	}
	return float32(loss / float64(len(z)))
}

func sgd(ws, gs [][]float32, lr float32) {
	for i, w := range ws {
		for j, g := range gs[i] {
			w[j] -= lr * g
		}
	}
}
