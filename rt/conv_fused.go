package rt

import (
	"fmt"
	"math"
)

// Fused convolution: conv + bias + activation (+ pooling) as one kernel.
//
// Conv2D computes each group of items as one matrix product into a block of its
// scratch buffer and then copies the valid positions out. Conv2DFused replaces that
// copy with an epilogue that reads the block while it is still in the cache, adds
// the bias, applies the activation and pools, and stores only the final values. The
// convolution's output is never written to memory as a whole: at most one group's
// product block (sized to fit the L2 cache, see convColsBudget) exists at a time,
// and with pooling only the pooled planes reach y. A separate bias+ReLU loop and
// a pooling loop would each read (and the first also write) the whole output.
//
// Max pooling commutes with a non-decreasing activation and with adding a constant:
// rounding x+b to float32 and ReLU (max(t, 0)) and leaky ReLU with a slope α ≥ 0 are
// all non-decreasing, so the largest input of a window gives the largest output,
// bit for bit. The epilogue therefore takes the window's maximum of the raw product
// first and adds the bias and activates once per pooled value: the same result as
// the unfused ops in a quarter of the work for a 2×2 window. Average pooling and a
// negative slope activate every value before the window is reduced.

// Act is the activation a fused convolution applies.
type Act uint8

const (
	ActNone      Act = iota // y = t
	ActReLU                 // y = max(t, 0)
	ActLeakyReLU            // y = t if t > 0, else Alpha·t
)

// PoolOp is the pooling a fused convolution applies after its activation.
type PoolOp uint8

const (
	PoolNone PoolOp = iota
	PoolMax         // the window's maximum (NaN if any element is NaN)
	PoolAvg         // the window's mean, divided by KH·KW or, with Exclude, by the part inside the plane
)

// Epilogue is what Conv2DFused does with each output plane of the convolution: add
// Bias[c] (nil: no bias), apply Act (Alpha is the leaky slope), then pool with the
// window Pool. Pool's C, H and W are the convolution's output channels and its Ho×Wo;
// its Ho×Wo are the pooled plane's.
//
// Index, with max pooling, receives for every pooled value the winner of its window,
// which is all the backward pass of the activation and the pool needs (see
// MaxUnpool2D): the activated plane itself is never stored. The winner is the first
// maximum of the activated values in row-major order (a later value wins only when
// strictly greater), as MaxPool2DGrad chooses it, stored as a float32 integer: its
// position h·Wo+w in the convolution's plane when the pooled value is positive (or
// there is no activation), and -(position+1) otherwise, where ReLU passes no gradient
// and leaky ReLU passes Alpha times it.
type Epilogue struct {
	Bias    []float32
	Act     Act
	Alpha   float32
	Pool    PoolOp
	Window  Window
	Exclude bool
	Index   []float32
	// Arranged, if not nil, is the weights as ArrangeConvWeights lays them out,
	// computed once when they changed, instead of on every call.
	Arranged []float32
}

// outPlane is the number of values the epilogue stores per output plane.
func (e *Epilogue) outPlane(g Window) int {
	if e.Pool == PoolNone {
		return g.Ho * g.Wo
	}
	return e.Window.Ho * e.Window.Wo
}

// check panics unless the epilogue fits a convolution with window g and o output
// channels: a mismatch is a bug in the generated code.
func (e *Epilogue) check(g Window, o int) {
	bad := e.Bias != nil && len(e.Bias) < o || e.Act > ActLeakyReLU || e.Pool > PoolAvg ||
		e.Arranged != nil && len(e.Arranged) < ConvArrangedSize(g, o) ||
		e.Index != nil && (e.Pool != PoolMax || e.Act == ActLeakyReLU && e.Alpha < 0)
	if e.Pool != PoolNone {
		w := e.Window
		bad = bad || !w.valid() || w.dilated() || w.H != g.Ho || w.W != g.Wo || (w.Ho-1)*w.SH-w.Top >= w.H || (w.Wo-1)*w.SW-w.Left >= w.W
	}
	if bad {
		panic(fmt.Sprintf("rt.Conv2DFused: epilogue %+v does not fit a convolution with %d channels of %d×%d", *e, o, g.Ho, g.Wo))
	}
}

// indexPlane is the part of Index for output plane pl (item·o + channel), or nil.
func (e *Epilogue) indexPlane(pl, size int) []float32 {
	if e.Index == nil {
		return nil
	}
	return e.Index[pl*size : (pl+1)*size]
}

// activate applies the activation to one value.
func (e *Epilogue) activate(t float32) float32 {
	switch e.Act {
	case ActReLU:
		return max(t, 0)
	case ActLeakyReLU:
		if t > 0 {
			return t
		}
		return e.Alpha * t
	}
	return t
}

// plane computes output plane c from src, the convolution's Ho×Wo plane c (without
// bias) with rows stride apart, into dst, and with Index its winners into idx.
func (e *Epilogue) plane(src []float32, stride int, g Window, c int, dst, idx []float32) {
	var b float32
	if e.Bias != nil {
		b = e.Bias[c]
	}
	switch e.Pool {
	case PoolNone:
		for p := range g.Ho {
			row, out := src[p*stride:][:g.Wo], dst[p*g.Wo:][:g.Wo]
			switch e.Act {
			case ActReLU:
				for q, s := range row {
					out[q] = max(s+b, 0)
				}
			case ActLeakyReLU:
				for q, s := range row {
					t := s + b
					if t <= 0 {
						t *= e.Alpha
					}
					out[q] = t
				}
			default:
				for q, s := range row {
					out[q] = s + b
				}
			}
		}
	case PoolMax:
		if idx != nil {
			e.winners(src, stride, g, b, dst, idx)
			return
		}
		if e.Act == ActLeakyReLU && e.Alpha < 0 {
			e.windows(src, stride, b, dst, false)
			return
		}
		w := e.Window
		if w.KH == 2 && w.KW == 2 && w.SH == 2 && w.SW == 2 && w.Top == 0 && w.Left == 0 && 2*w.Ho <= w.H && 2*w.Wo <= w.W {
			// The common 2×2 window with stride 2, every window inside the plane:
			// both rows of a pooled row at once.
			for p := range w.Ho {
				r0, r1 := src[2*p*stride:], src[(2*p+1)*stride:]
				r0, r1 = r0[:2*w.Wo], r1[:2*w.Wo]
				out := dst[p*w.Wo:][:w.Wo]
				if e.Act == ActReLU {
					for q := maxPool2x2ReLUVec(out, r0, r1, b); q < len(out); q++ {
						out[q] = max(max(r0[2*q], r0[2*q+1], r1[2*q], r1[2*q+1])+b, 0)
					}
					continue
				}
				for q := range out {
					out[q] = e.activate(max(r0[2*q], r0[2*q+1], r1[2*q], r1[2*q+1]) + b)
				}
			}
			return
		}
		e.windows(src, stride, b, dst, true)
	default:
		e.windows(src, stride, b, dst, false)
	}
}

// winners max-pools like windows (activating every value first) and also writes
// each window's winner to idx, coded as Epilogue.Index says.
func (e *Epilogue) winners(src []float32, stride int, g Window, b float32, dst, idx []float32) {
	w := e.Window
	if w.KH == 2 && w.KW == 2 && w.SH == 2 && w.SW == 2 && w.Top == 0 && w.Left == 0 && 2*w.Ho <= w.H && 2*w.Wo <= w.W && e.Act != ActLeakyReLU {
		// The common 2×2 window with stride 2 after ReLU or no activation, without
		// branches (which element wins is data-dependent and would mispredict): the
		// running maximum is the builtin max, which differs from the strict scan
		// only when a NaN is in the window, as the unfused MaxPool2DGrad kernel.
		var lo float32 = float32(math.Inf(-1)) // no activation: max(t, -Inf) = t
		if e.Act == ActReLU {
			lo = 0
		}
		for p := range w.Ho {
			r0, r1 := src[2*p*stride:], src[(2*p+1)*stride:]
			r0, r1 = r0[:2*w.Wo], r1[:2*w.Wo]
			out, code := dst[p*w.Wo:][:w.Wo], idx[p*w.Wo:][:w.Wo]
			q0 := 0
			if e.Act == ActReLU {
				q0 = winners2x2ReLUVec(out, code, r0, r1, b, 2*p*g.Wo, g.Wo)
			}
			for q := q0; q < len(out); q++ {
				t0, t1 := max(r0[2*q]+b, lo), max(r0[2*q+1]+b, lo)
				t2, t3 := max(r1[2*q]+b, lo), max(r1[2*q+1]+b, lo)
				at := 2*p*g.Wo + 2*q
				best := Pick(t1 > t0, at+1, at)
				v := max(t0, t1)
				best = Pick(t2 > v, at+g.Wo, best)
				v = max(v, t2)
				best = Pick(t3 > v, at+g.Wo+1, best)
				v = max(v, t3)
				out[q] = v
				code[q] = float32(Pick(e.Act == ActReLU && !(v > 0), -best-1, best))
			}
		}
		return
	}
	for p := range w.Ho {
		for q := range w.Wo {
			h0, h1, v0, v1 := w.clip(p, q)
			first := e.activate(src[h0*stride+v0] + b)
			m, best, at := first, first, h0*g.Wo+v0
			for h := h0; h < h1; h++ {
				for v := v0; v < v1; v++ {
					t := e.activate(src[h*stride+v] + b)
					m = max(m, t)
					if t > best {
						best, at = t, h*g.Wo+v
					}
				}
			}
			if e.Act != ActNone && !(best > 0) {
				at = -at - 1
			}
			dst[p*w.Wo+q], idx[p*w.Wo+q] = m, float32(at)
		}
	}
}

// clip returns the rows [h0, h1) and columns [v0, v1) of window (p, q) that lie in
// the H×W plane: padding never wins a maximum and adds nothing to a sum.
func (w Window) clip(p, q int) (h0, h1, v0, v1 int) {
	h0, v0 = p*w.SH-w.Top, q*w.SW-w.Left
	return max(h0, 0), min(h0+w.KH, w.H), max(v0, 0), min(v0+w.KW, w.W)
}

// windows pools with any window, clipped to the plane (padding never wins a maximum
// and adds nothing to a sum). With maxFirst the window's maximum is taken before the
// bias and activation (see the top of the file); otherwise every value is activated
// first.
func (e *Epilogue) windows(src []float32, stride int, b float32, dst []float32, maxFirst bool) {
	w := e.Window
	for p := range w.Ho {
		for q := range w.Wo {
			h0, h1, v0, v1 := w.clip(p, q)
			var out float32
			switch {
			case e.Pool == PoolMax && maxFirst:
				m := src[h0*stride+v0]
				for h := h0; h < h1; h++ {
					for _, s := range src[h*stride+v0 : h*stride+v1] {
						m = max(m, s)
					}
				}
				out = e.activate(m + b)
			case e.Pool == PoolMax:
				m := e.activate(src[h0*stride+v0] + b)
				for h := h0; h < h1; h++ {
					for _, s := range src[h*stride+v0 : h*stride+v1] {
						m = max(m, e.activate(s+b))
					}
				}
				out = m
			default:
				var sum float32
				for h := h0; h < h1; h++ {
					for _, s := range src[h*stride+v0 : h*stride+v1] {
						sum += e.activate(s + b)
					}
				}
				div := float32(w.KH * w.KW)
				if e.Exclude {
					div = float32((h1 - h0) * (v1 - v0))
				}
				out = sum / div
			}
			dst[p*w.Wo+q] = out
		}
	}
}

// Conv2DFusedScratch is the scratch Conv2DFused needs for batches of up to maxBatch
// items: Conv2D's, and one item's o×Ho×Wo product for the paths whose product is
// not laid out by plane rows (1×1 and strided windows, and the stacked rows path,
// which sums its kernel rows' blocks into it).
func Conv2DFusedScratch(g Window, o, maxBatch int) int {
	return planSize(g, o, maxBatch, false) + o*g.Ho*g.Wo
}

// Conv2DFused computes y = epilogue(conv(x, w)) for n items: x is n×C×H×W, w is
// o×C×KH×KW, y is n×o×Ho'×Wo' with Ho'×Wo' the pooled plane (or the convolution's
// Ho×Wo without pooling). See Epilogue for what is applied. scratch holds at least
// Conv2DFusedScratch(g, o, n) values.
func Conv2DFused(g Window, o, n int, x, w, y, scratch []float32, e Epilogue) {
	Conv2DFusedP(nil, g, o, n, x, w, y, scratch, e)
}

// Conv2DFusedP is Conv2DFused with its matrix products computed on the threads of
// pool (nil: one thread). As for Conv2DP, the result is the same bit for bit for any
// number of threads.
func Conv2DFusedP(pool *Pool, g Window, o, n int, x, w, y, scratch []float32, e Epilogue) {
	p := newPlan(g, o, n, false)
	chw, r := g.C*g.H*g.W, g.Rows()
	e.check(g, o)
	outPlane := e.outPlane(g)
	checkConv("Conv2DFused", g, o, n, len(scratch), Conv2DFusedScratch(g, o, n), len(x), n*chw, len(w), o*r, len(y), n*o*outPlane)
	if e.Index != nil && len(e.Index) < n*o*outPlane {
		panic(fmt.Sprintf("rt.Conv2DFused: index has %d values, needs %d", len(e.Index), n*o*outPlane))
	}
	p.run(pool, n, x, w, y, scratch, &e)
}

// ConvArrangedSize is the number of values ArrangeConvWeights writes for a
// convolution with window g and o output channels: the weights' size when the
// convolution may run on a path that multiplies by them rearranged (the rows path,
// one kernel row at a time, or the direct path, transposed), and 0 when it always
// reads them as they are. Like the scratch sizes, it does not depend on the CPU.
func ConvArrangedSize(g Window, o int) int {
	if !g.valid() || o < 1 {
		return 0
	}
	for _, direct := range []bool{false, true} {
		if m := newPlanWith(g, o, 1, false, direct).mode; m == modeRows || m == modeDirect {
			return o * g.Rows()
		}
	}
	return 0
}

// ArrangeConvWeights writes w (o×C×KH×KW) into dst in the layout this CPU's path
// multiplies by (KH blocks of o × C·KW on the rows path, C·KH·KW × o on the direct
// path; nothing on the others), for Epilogue.Arranged: a model computes it once per
// change of the weights rather than on every call.
func ArrangeConvWeights(g Window, o int, w, dst []float32) {
	size := ConvArrangedSize(g, o)
	if len(w) < o*g.Rows() || len(dst) < size {
		panic(fmt.Sprintf("rt.ArrangeConvWeights: %d weights and room for %d, need %d and %d", len(w), len(dst), o*g.Rows(), size))
	}
	if size > 0 {
		newPlan(g, o, 1, false).arrange(dst, w)
	}
}

// MaxUnpool2D is the backward pass of max pooling and the activation before it,
// from the winners Conv2DFused wrote (Epilogue.Index): dx, planes planes of size
// plane, is cleared, and each pooled gradient dy[i] is added at the position its
// window's winner came from, times neg where the winner was coded negative (0 after
// ReLU, the slope after leaky ReLU). index and dy hold planes × pooled values. This
// is MaxPool2DGrad followed by ReluGrad (or LeakyReluGrad) on the activated plane,
// without reading it.
func MaxUnpool2D(planes, plane, pooled int, index, dy []float32, neg float32, dx []float32) {
	if len(index) < planes*pooled || len(dy) < planes*pooled || len(dx) < planes*plane {
		panic(fmt.Sprintf("rt.MaxUnpool2D: %d planes of %d from %d need index and dy of %d and dx of %d, have %d, %d and %d",
			planes, pooled, plane, planes*pooled, planes*plane, len(index), len(dy), len(dx)))
	}
	clear(dx[:planes*plane])
	for pl := range planes {
		d := dx[pl*plane : (pl+1)*plane]
		g := dy[pl*pooled : (pl+1)*pooled]
		for i, code := range index[pl*pooled : (pl+1)*pooled] {
			if at := int(code); at >= 0 {
				d[at] += g[i]
			} else if neg != 0 {
				d[-at-1] += neg * g[i]
			}
		}
	}
}
