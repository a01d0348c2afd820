package rt

import (
	"fmt"
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// unfusedEpilogue is the reference for Conv2DFused: the ops one by one, as the
// generated code computes them without fusion. Every convolution output gets the
// bias and the activation, then the pool reads the activated plane, window by
// window in row-major order.
func unfusedEpilogue(g Window, o, n int, conv []float32, e Epilogue) []float32 {
	act := make([]float32, len(conv))
	for i, v := range conv {
		c := i / (g.Ho * g.Wo) % o
		t := v
		if e.Bias != nil {
			t += e.Bias[c]
		}
		switch e.Act {
		case ActReLU:
			t = max(t, 0)
		case ActLeakyReLU:
			if t <= 0 {
				t = e.Alpha * t
			}
		}
		act[i] = t
	}
	if e.Pool == PoolNone {
		return act
	}
	w := e.Window
	out := make([]float32, n*o*w.Ho*w.Wo)
	for pl := range n * o {
		src := act[pl*g.Ho*g.Wo:]
		for p := range w.Ho {
			for q := range w.Wo {
				var vals []float32
				for i := range w.KH {
					for j := range w.KW {
						h, v := p*w.SH+i-w.Top, q*w.SW+j-w.Left
						if h >= 0 && h < w.H && v >= 0 && v < w.W {
							vals = append(vals, src[h*w.W+v])
						}
					}
				}
				r := vals[0]
				if e.Pool == PoolMax {
					for _, v := range vals[1:] {
						r = max(r, v)
					}
				} else {
					for _, v := range vals[1:] {
						r += v
					}
					div := float32(w.KH * w.KW)
					if e.Exclude {
						div = float32(len(vals))
					}
					r /= div
				}
				out[(pl*w.Ho+p)*w.Wo+q] = r
			}
		}
	}
	return out
}

// unfusedPoolGrad is the reference for MaxUnpool2D: MaxPool2DGrad on the activated
// planes (each dy to the first maximum of its window in row-major order, a later
// value winning only when strictly greater), then the activation's gradient, which
// reads the activated plane (ReLU: dy where it is positive; leaky ReLU: else α·dy).
func unfusedPoolGrad(g Window, o, n int, conv []float32, e Epilogue, dy []float32) []float32 {
	noPool := e
	noPool.Pool, noPool.Index = PoolNone, nil
	act := unfusedEpilogue(g, o, n, conv, noPool)
	w := e.Window
	dx := make([]float32, len(act))
	for pl := range n * o {
		a, d := act[pl*g.Ho*g.Wo:], dx[pl*g.Ho*g.Wo:]
		for p := range w.Ho {
			for q := range w.Wo {
				best := -1
				for i := range w.KH {
					for j := range w.KW {
						h, v := p*w.SH+i-w.Top, q*w.SW+j-w.Left
						if h >= 0 && h < w.H && v >= 0 && v < w.W && (best < 0 || a[h*w.W+v] > a[best]) {
							best = h*w.W + v
						}
					}
				}
				d[best] += dy[(pl*w.Ho+p)*w.Wo+q]
			}
		}
	}
	for i := range dx {
		switch {
		case e.Act == ActReLU && !(act[i] > 0):
			dx[i] = 0
		case e.Act == ActLeakyReLU && !(act[i] > 0):
			dx[i] *= e.Alpha
		}
	}
	return dx
}

// poolWindow is a k×k pool with stride s over the Ho×Wo output of g, padded by pad
// on every side and by extra more at the bottom and right (Keras 'same' pooling of
// an odd plane), and whether its windows fit (each starts inside the padded plane).
func poolWindow(g Window, o, k, s, pad, extra int) (Window, bool) {
	w := Window{C: o, H: g.Ho, W: g.Wo, KH: k, KW: k, SH: s, SW: s, Top: pad, Left: pad}
	w.Ho, w.Wo = (g.Ho+2*pad+extra-k)/s+1, (g.Wo+2*pad+extra-k)/s+1
	ok := g.Ho+2*pad >= k && g.Wo+2*pad >= k && 2*pad <= k && (w.Ho-1)*s-pad < g.Ho && (w.Wo-1)*s-pad < g.Wo
	return w, ok
}

// TestFusedConvolutionEqualsTheOpsOneByOne checks Conv2DFused against Conv2D
// followed by the bias, activation and pool one by one, bit for bit, on every
// window of the Conv2D tests and every path of the convolution, for each kind of
// epilogue: no pool, the 2×2 max pool the kernel specializes, padded and overlapping
// max and average pools, average pools that count the padding or not, no bias, and
// a leaky slope below zero (for which the maximum cannot be taken first). Scratch
// and output start as NaN, so a value read before it is written shows.
func TestFusedConvolutionEqualsTheOpsOneByOne(t *testing.T) {
	paths := []struct {
		name                     string
		budget, rowsMin, rowTile int
		direct                   bool
	}{
		{"default paths", convColsBudget, rowsMinK, tileRowsOverride, directConv},
		{"groups of two", 0, rowsMinK, tileRowsOverride, false},
		{"stacked rows path", convColsBudget, 1, 1 << 30, false},
		{"rows path one output channel at a time", 0, 1, 1, false},
		{"wide path", 0, 1 << 30, 0, false},
		{"direct path", convColsBudget, rowsMinK, tileRowsOverride, true},
	}
	type pool struct {
		op             PoolOp
		k, s, pad      int
		extra          int
		exclude        bool
		name           string
		act            Act
		alpha          float32
		bias           bool
		needsMinOutput int
	}
	epilogues := []pool{
		{PoolNone, 0, 0, 0, 0, false, "bias and ReLU", ActReLU, 0, true, 1},
		{PoolNone, 0, 0, 0, 0, false, "bias only", ActNone, 0, true, 1},
		{PoolNone, 0, 0, 0, 0, false, "leaky ReLU without bias", ActLeakyReLU, 0.1, false, 1},
		{PoolMax, 2, 2, 0, 0, false, "ReLU and 2×2 max pool", ActReLU, 0, true, 2},
		{PoolMax, 2, 2, 0, 0, false, "bias and 2×2 max pool, no activation", ActNone, 0, true, 2},
		{PoolMax, 2, 2, 0, 0, false, "leaky ReLU and 2×2 max pool", ActLeakyReLU, 0.25, true, 2},
		{PoolMax, 2, 2, 0, 0, false, "leaky ReLU with a negative slope and 2×2 max pool", ActLeakyReLU, -0.5, true, 2},
		{PoolMax, 2, 2, 0, 1, false, "ReLU and Keras 'same' 2×2 max pool (a partial window at the end of odd rows)", ActReLU, 0, true, 1},
		{PoolAvg, 2, 2, 0, 1, true, "Keras 'same' 2×2 average pool excluding the padding", ActReLU, 0, true, 1},
		{PoolMax, 3, 2, 1, 0, false, "ReLU and padded 3×3 max pool, stride 2", ActReLU, 0, true, 1},
		{PoolMax, 2, 1, 0, 0, false, "leaky ReLU and overlapping 2×2 max pool", ActLeakyReLU, 0.2, true, 2},
		{PoolAvg, 2, 2, 0, 0, false, "ReLU and 2×2 average pool", ActReLU, 0, true, 2},
		{PoolAvg, 3, 2, 1, 0, false, "ReLU and padded 3×3 average pool counting the padding", ActReLU, 0, true, 1},
		{PoolAvg, 3, 2, 1, 0, true, "no activation and padded 3×3 average pool excluding the padding", ActNone, 0, true, 1},
	}
	const o = 3
	for _, path := range paths {
		for _, c := range windows {
			for _, ep := range epilogues {
				for _, n := range []int{1, 3} {
					t.Run(fmt.Sprintf("%s, %s, batch %d, %s", c.name, ep.name, n, path.name), func(t *testing.T) {
						if path.direct && !haveDirect() {
							t.Skip("no direct path on this CPU")
						}
						defer func(b, r, s int, d bool) {
							convColsBudget, rowsMinK, tileRowsOverride, directConv = b, r, s, d
						}(convColsBudget, rowsMinK, tileRowsOverride, directConv)
						g := c.window(t)
						rowsMinK, tileRowsOverride, directConv = path.rowsMin, path.rowTile, path.direct
						if convColsBudget = path.budget; path.budget == 0 {
							p := newPlan(g, o, 1, false)
							convColsBudget = max(2*p.k*p.per, 1)
						}
						e := Epilogue{Act: ep.act, Alpha: ep.alpha, Pool: ep.op, Exclude: ep.exclude}
						if ep.bias {
							e.Bias = filled(o, 4)
						}
						if ep.op != PoolNone {
							w, ok := poolWindow(g, o, ep.k, ep.s, ep.pad, ep.extra)
							if !ok || min(g.Ho, g.Wo) < ep.needsMinOutput {
								t.Skip("the pool does not fit this convolution's output")
							}
							e.Window = w
						}
						x := filled(n*g.C*g.H*g.W, 1)
						w := filled(o*g.Rows(), 2)
						conv := nans(n * o * g.Ho * g.Wo)
						Conv2D(g, o, n, x, w, conv, nans(Conv2DScratch(g, o, n)))
						want := unfusedEpilogue(g, o, n, conv, e)

						got := nans(len(want))
						Conv2DFused(g, o, n, x, w, got, nans(Conv2DFusedScratch(g, o, n)), e)
						for i := range want {
							require.Equal(t, math.Float32bits(want[i]), math.Float32bits(got[i]), "element %d: %v, want %v", i, got[i], want[i])
						}
						if size := ConvArrangedSize(g, o); size > 0 {
							// Weights arranged once give the same values.
							ea := e
							ea.Arranged = nans(size)
							ArrangeConvWeights(g, o, w, ea.Arranged)
							got = nans(len(want))
							Conv2DFused(g, o, n, x, w, got, nans(Conv2DFusedScratch(g, o, n)), ea)
							for i := range want {
								require.Equal(t, math.Float32bits(want[i]), math.Float32bits(got[i]), "arranged weights, element %d", i)
							}
						}
						if e.Pool != PoolMax || e.Act == ActLeakyReLU && e.Alpha < 0 {
							return
						}
						// With the winners kept, the same pooled values, and MaxUnpool2D
						// gives the gradient MaxPool2DGrad and the activation's gradient
						// give on the activated plane.
						e.Index = nans(len(want))
						got = nans(len(want))
						Conv2DFused(g, o, n, x, w, got, nans(Conv2DFusedScratch(g, o, n)), e)
						for i := range want {
							require.Equal(t, math.Float32bits(want[i]), math.Float32bits(got[i]), "with winners, element %d", i)
						}
						dy := filled(len(want), 5)
						wantDx := unfusedPoolGrad(g, o, n, conv, e, dy)
						dx := nans(len(wantDx))
						var neg float32
						if e.Act == ActLeakyReLU {
							neg = e.Alpha
						}
						MaxUnpool2D(n*o, g.Ho*g.Wo, e.Window.Ho*e.Window.Wo, e.Index, dy, neg, dx)
						for i := range wantDx {
							require.InDelta(t, wantDx[i], dx[i], 1e-6, "dx element %d", i)
							if e.Act != ActLeakyReLU {
								require.Equal(t, math.Float32bits(wantDx[i]), math.Float32bits(dx[i]), "dx element %d, bit for bit", i)
							}
						}
					})
				}
			}
		}
	}
}

// The maximum taken before the activation is the maximum of the activated values
// only for a non-decreasing activation; a negative leaky slope makes the smallest
// input of a window the largest output, which the kernel must see.
func TestFusedMaxPoolWithANegativeSlopeActivatesFirst(t *testing.T) {
	g := Window{C: 1, H: 2, W: 2, KH: 1, KW: 1, SH: 1, SW: 1, Ho: 2, Wo: 2}
	e := Epilogue{Act: ActLeakyReLU, Alpha: -1, Pool: PoolMax,
		Window: Window{C: 1, H: 2, W: 2, KH: 2, KW: 2, SH: 2, SW: 2, Ho: 1, Wo: 1}}
	y := nans(1)
	Conv2DFused(g, 1, 1, []float32{-4, 1, 2, 3}, []float32{1}, y, nans(Conv2DFusedScratch(g, 1, 1)), e)
	assert.Equal(t, float32(4), y[0], "leaky(-4) with slope -1 is 4, the window's largest output")
}

func TestFusedConvolutionOnAPoolEqualsOneThreadAndDoesNotAllocate(t *testing.T) {
	g := Window{C: 1, H: 28, W: 28, KH: 5, KW: 5, SH: 1, SW: 1, Top: 2, Left: 2, Ho: 28, Wo: 28}
	const o, n = 6, 9
	e := Epilogue{Bias: filled(o, 4), Act: ActReLU, Pool: PoolMax,
		Window: Window{C: o, H: 28, W: 28, KH: 2, KW: 2, SH: 2, SW: 2, Ho: 14, Wo: 14}}
	x, w := filled(n*g.C*g.H*g.W, 1), filled(o*g.Rows(), 2)
	s := nans(Conv2DFusedScratch(g, o, n))
	want, got := nans(n*o*14*14), nans(n*o*14*14)
	Conv2DFused(g, o, n, x, w, want, s, e)
	for _, threads := range []int{2, 3} {
		pool := NewPool(threads)
		Conv2DFusedP(pool, g, o, n, x, w, got, s, e)
		for i := range want {
			require.Equal(t, math.Float32bits(want[i]), math.Float32bits(got[i]), "%d threads, element %d", threads, i)
		}
		assert.Zero(t, testing.AllocsPerRun(3, func() { Conv2DFusedP(pool, g, o, n, x, w, got, s, e) }), "%d threads", threads)
		pool.Close()
	}
}

func TestFusedConvolutionPanicsOnAnEpilogueThatDoesNotFit(t *testing.T) {
	g := Window{C: 1, H: 4, W: 4, KH: 3, KW: 3, SH: 1, SW: 1, Ho: 2, Wo: 2}
	x, w := make([]float32, 16), make([]float32, 18)
	s := make([]float32, Conv2DFusedScratch(g, 2, 1))
	pool1x1 := Window{C: 2, H: 2, W: 2, KH: 1, KW: 1, SH: 1, SW: 1, Ho: 2, Wo: 2}
	cases := []struct {
		name string
		e    Epilogue
		y    int
	}{
		{"a short bias", Epilogue{Bias: make([]float32, 1)}, 8},
		{"an unknown activation", Epilogue{Act: 7}, 8},
		{"a pool over another plane", Epilogue{Pool: PoolMax, Window: Window{C: 2, H: 3, W: 2, KH: 2, KW: 2, SH: 2, SW: 2, Ho: 1, Wo: 1}}, 2},
		{"a pool window past the plane", Epilogue{Pool: PoolMax, Window: Window{C: 2, H: 2, W: 2, KH: 1, KW: 1, SH: 2, SW: 2, Ho: 2, Wo: 2}}, 8},
		{"an output too short for the pooled planes", Epilogue{Pool: PoolAvg, Window: pool1x1}, 7},
		{"winners of an average pool", Epilogue{Pool: PoolAvg, Window: pool1x1, Index: make([]float32, 8)}, 8},
		{"winners after a negative slope", Epilogue{Act: ActLeakyReLU, Alpha: -1, Pool: PoolMax, Window: pool1x1, Index: make([]float32, 8)}, 8},
		{"a short index", Epilogue{Pool: PoolMax, Window: pool1x1, Index: make([]float32, 7)}, 8},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			assert.Panics(t, func() { Conv2DFused(g, 2, 1, x, w, make([]float32, c.y), s, c.e) })
		})
	}
	assert.NotPanics(t, func() { Conv2DFused(g, 2, 1, x, w, make([]float32, 8), s, Epilogue{Pool: PoolAvg, Window: pool1x1}) },
		"the same pool with room for its output")
}
