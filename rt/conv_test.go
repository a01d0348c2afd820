package rt

import (
	"fmt"
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// windows are geometries that reach every path and edge case of the convolutions:
// stride 1 (wide columns) with and without padding, strides that differ per axis,
// asymmetric (Keras 'same') and full padding, pads beyond the kernel's reach (no
// flipped adjoint), kernels as wide as the padded input, 1×1 kernels with and
// without stride, and windows that skip input rows and columns.
//
// The dilated kernels at the end take the gather path whatever their stride; a
// dilation along an axis of one tap changes nothing (the last one).
var windows = []testWindow{
	{"a 3×3 valid window", 2, 5, 6, 3, 3, 1, 1, 0, 0, 0, 0, 1, 1},
	{"a 5×5 same window", 1, 7, 7, 5, 5, 1, 1, 2, 2, 2, 2, 1, 1},
	{"a 3×2 window with asymmetric pads", 3, 6, 5, 3, 2, 1, 1, 0, 1, 2, 0, 1, 1},
	{"Keras same with strides 2×3 (extra pad at the end)", 3, 7, 8, 3, 4, 2, 3, 1, 1, 1, 2, 1, 1},
	{"full padding", 2, 4, 5, 3, 2, 1, 1, 2, 1, 2, 1, 1, 1},
	{"strides larger than the kernel", 1, 9, 10, 2, 2, 3, 4, 0, 0, 0, 0, 1, 1},
	{"a kernel as wide as the padded input", 1, 3, 4, 5, 6, 1, 1, 1, 1, 1, 1, 1, 1},
	{"a 1×1 window", 4, 5, 3, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1},
	{"a 1×1 window with stride 2", 4, 5, 5, 1, 1, 2, 2, 0, 0, 0, 0, 1, 1},
	{"a 1×1 window with padding", 2, 3, 3, 1, 1, 1, 1, 1, 0, 0, 1, 1, 1},
	{"padding beyond the kernel's reach", 1, 3, 3, 2, 2, 1, 1, 2, 3, 2, 3, 1, 1},
	{"strided padding beyond the kernel's reach", 1, 3, 3, 2, 2, 1, 2, 2, 3, 2, 3, 1, 1},
	{"a 3×3 same window over many channels", 8, 6, 7, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1},
	{"a 5×5 valid window over six channels", 6, 9, 8, 5, 5, 1, 1, 0, 0, 0, 0, 1, 1},
	{"full padding over many channels", 6, 4, 5, 3, 3, 1, 1, 2, 2, 2, 2, 1, 1},
	{"asymmetric pads over many channels", 5, 5, 6, 2, 4, 1, 1, 1, 0, 0, 3, 1, 1},
	{"a 3×3 valid window dilated by 2", 2, 7, 8, 3, 3, 1, 1, 0, 0, 0, 0, 2, 2},
	{"a 3×2 window dilated by (2, 3) with Keras same pads", 3, 7, 9, 3, 2, 1, 1, 2, 1, 2, 2, 2, 3},
	{"a 3×3 window dilated by 3 with strides 2×3 and asymmetric pads", 2, 9, 11, 3, 3, 2, 3, 3, 1, 2, 4, 3, 3},
	{"a 1×3 causal window dilated by 4 (a dilated Conv1D)", 2, 1, 13, 1, 3, 1, 1, 0, 8, 0, 0, 1, 4},
	{"a 1×2 window dilated by 2 with stride 2 (a strided dilated Conv1D)", 3, 1, 10, 1, 2, 1, 2, 0, 1, 0, 2, 1, 2},
	{"full padding of a 2×3 kernel dilated by (3, 2)", 2, 4, 5, 2, 3, 1, 1, 3, 4, 3, 4, 3, 2},
	{"a dilated kernel as wide as the padded input", 1, 3, 4, 2, 2, 1, 1, 1, 0, 0, 0, 3, 3},
	{"a 3×1 kernel dilated along its one-tap axis too", 4, 8, 5, 3, 1, 1, 1, 2, 0, 2, 0, 2, 5},
}

// window is the case's geometry.
func (c testWindow) window(t testing.TB) Window {
	t.Helper()
	g := windowOf(t, c.c, c.h, c.w, (c.kh-1)*c.dh+1, (c.kw-1)*c.dw+1, c.sh, c.sw, c.top, c.left, c.bottom, c.right)
	g.KH, g.KW, g.DH, g.DW = c.kh, c.kw, c.dh, c.dw
	return g
}

// testWindow is one convolution geometry of the tests; window builds it.
type testWindow struct {
	name                                              string
	c, h, w, kh, kw, sh, sw, top, left, bottom, right int
	dh, dw                                            int // the kernel's dilation
}

func windowOf(t testing.TB, c, h, w, kh, kw, sh, sw, top, left, bottom, right int) Window {
	t.Helper()
	ho, wo := (h+top+bottom-kh)/sh+1, (w+left+right-kw)/sw+1
	require.Positive(t, ho)
	require.Positive(t, wo)
	return Window{C: c, H: h, W: w, KH: kh, KW: kw, SH: sh, SW: sw, Top: top, Left: left, Ho: ho, Wo: wo}
}

// at is the defining formula of the column matrix.
func (g Window) at(x []float32, r, col int) float32 {
	c, i, j := r/(g.KH*g.KW), r/g.KW%g.KH, r%g.KW
	p, q := col/g.Wo, col%g.Wo
	dh, dw := g.dilation()
	h, v := p*g.SH+i*dh-g.Top, q*g.SW+j*dw-g.Left
	if h < 0 || h >= g.H || v < 0 || v >= g.W {
		return 0
	}
	return x[(c*g.H+h)*g.W+v]
}

// terms visits the terms of the defining sum of Conv2D (y[b,o,p,q] = Σ x·w): it
// calls f(xi, wi, yi) for every term x[xi]·w[wi] of y[yi].
func (g Window) terms(o, n int, f func(xi, wi, yi int)) {
	dh, dw := g.dilation()
	for b := range n {
		for oc := range o {
			for p := range g.Ho {
				for q := range g.Wo {
					yi := ((b*o+oc)*g.Ho+p)*g.Wo + q
					for c := range g.C {
						for i := range g.KH {
							for j := range g.KW {
								h, v := p*g.SH+i*dh-g.Top, q*g.SW+j*dw-g.Left
								if h < 0 || h >= g.H || v < 0 || v >= g.W {
									continue
								}
								f(((b*g.C+c)*g.H+h)*g.W+v, ((oc*g.C+c)*g.KH+i)*g.KW+j, yi)
							}
						}
					}
				}
			}
		}
	}
}

func filled(n int, seed uint64) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = float32(2*Uniform(seed, 1, uint64(i)) - 1)
	}
	return s
}

func nans(n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = float32(math.NaN())
	}
	return s
}

// requireConvClose compares float32 results with float64 sums of at most a few hundred
// terms of size ≤ 1: float32 rounding stays far below 1e-5.
func requireConvClose(t *testing.T, what string, got []float32, want []float64) {
	t.Helper()
	require.Len(t, got, len(want), what)
	for i := range want {
		require.InDelta(t, want[i], float64(got[i]), 1e-5, "%s[%d]", what, i)
	}
}

// TestConvolutionsComputeTheirDefiningSums checks Conv2D, Conv2DFilterGrad and
// Conv2DTranspose against the sums, on scratch of exactly the size the *Scratch
// functions give and filled with NaN (a read of anything not written first shows),
// with outputs filled with NaN (every element must be written), at batch sizes that
// make one group, several, and a partial last one.
func TestConvolutionsComputeTheirDefiningSums(t *testing.T) {
	paths := []struct {
		name                                           string
		budget, rowsMin, rowsMaxO, transRows, tileRows int
		direct                                         bool
	}{
		{"default paths", convColsBudget, rowsMinK, rowsMaxO, filterGradTransposedRows, tileRowsOverride, directConv},
		{"groups of two", 0, rowsMinK, rowsMaxO, filterGradTransposedRows, tileRowsOverride, false},
		{"stacked rows path for every stride-1 window", convColsBudget, 1, 1 << 30, 0, 1 << 30, false},
		{"stacked rows path in groups of two", 0, 1, 1 << 30, 0, 1 << 30, false},
		{"rows path one output channel at a time", convColsBudget, 1, 1 << 30, 0, 1, false},
		{"rows path one output channel at a time, groups of two", 0, 1, 1 << 30, 0, 1, false},
		{"wide path with filter gradients transposed", convColsBudget, 1 << 30, 0, 1, 0, false},
		{"wide path in groups of two, filter gradients transposed", 0, 1 << 30, 0, 1, 0, false},
		{"wide path with filter gradients as they are", convColsBudget, 1 << 30, 0, 1 << 30, 0, false},
		{"direct path", convColsBudget, rowsMinK, rowsMaxO, filterGradTransposedRows, tileRowsOverride, true},
	}
	for _, path := range paths {
		for _, c := range windows {
			for _, n := range []int{1, 3, 4} {
				t.Run(fmt.Sprintf("%s, batch %d, %s", c.name, n, path.name), func(t *testing.T) {
					if path.direct && !haveDirect() {
						t.Skip("no direct path on this CPU")
					}
					defer func(b, r, o, f, s int, d bool) {
						convColsBudget, rowsMinK, rowsMaxO, filterGradTransposedRows, tileRowsOverride, directConv = b, r, o, f, s, d
					}(convColsBudget, rowsMinK, rowsMaxO, filterGradTransposedRows, tileRowsOverride, directConv)
					directConv = path.direct
					const o = 3
					g := c.window(t)
					rowsMinK, rowsMaxO, filterGradTransposedRows, tileRowsOverride = path.rowsMin, path.rowsMaxO, path.transRows, path.tileRows
					if convColsBudget = path.budget; path.budget == 0 {
						// Groups of two items: batch 3 ends with a partial group.
						p, q := newPlan(g, o, 1, false), newPlan(g, o, 1, true)
						convColsBudget = max(2*p.k*p.per, 2*q.k*q.per, 1)
					}
					x := filled(n*g.C*g.H*g.W, 1)
					w := filled(o*g.Rows(), 2)
					dy := filled(n*o*g.Ho*g.Wo, 3)
					y := make([]float64, len(dy))
					dw := make([]float64, len(w))
					dx := make([]float64, len(x))
					g.terms(o, n, func(xi, wi, yi int) {
						y[yi] += float64(x[xi]) * float64(w[wi])
						dw[wi] += float64(dy[yi]) * float64(x[xi])
						dx[xi] += float64(dy[yi]) * float64(w[wi])
					})

					got := nans(len(y))
					Conv2D(g, o, n, x, w, got, nans(Conv2DScratch(g, o, n)))
					requireConvClose(t, "Conv2D", got, y)

					got = nans(len(dw))
					Conv2DFilterGrad(g, o, n, x, dy, got, nans(Conv2DFilterGradScratch(g, o, n)))
					requireConvClose(t, "Conv2DFilterGrad", got, dw)

					got = nans(len(dx))
					Conv2DTranspose(g, o, n, dy, w, got, nans(Conv2DTransposeScratch(g, o, n)))
					requireConvClose(t, "Conv2DTranspose", got, dx)
				})
			}
		}
	}
}

func TestScratchSizedForABatchServesSmallerOnes(t *testing.T) {
	g := Window{C: 2, H: 6, W: 6, KH: 3, KW: 3, SH: 1, SW: 1, Top: 1, Left: 1, Ho: 6, Wo: 6}
	for _, f := range []func(Window, int, int) int{Conv2DScratch, Conv2DFilterGradScratch, Conv2DTransposeScratch} {
		prev := 0
		for n := 1; n <= 40; n++ {
			s := f(g, 4, n)
			assert.GreaterOrEqual(t, s, prev, "scratch for batch %d", n)
			prev = s
		}
	}
	assert.Zero(t, Conv2DScratch(Window{C: 3, H: 4, W: 4, KH: 1, KW: 1, SH: 1, SW: 1, Ho: 4, Wo: 4}, 2, 8), "a 1×1 convolution needs no columns")
}

func TestConvolutionsDoNotAllocate(t *testing.T) {
	g := Window{C: 2, H: 9, W: 9, KH: 3, KW: 3, SH: 1, SW: 1, Top: 1, Left: 1, Ho: 9, Wo: 9}
	const o, n = 4, 5
	x, w, y := make([]float32, n*g.C*81), make([]float32, o*g.Rows()), make([]float32, n*o*81)
	s := make([]float32, max(Conv2DScratch(g, o, n), Conv2DFilterGradScratch(g, o, n), Conv2DTransposeScratch(g, o, n)))
	Conv2D(g, o, n, x, w, y, s) // the first call may grow Gemm's packing buffers
	assert.Zero(t, testing.AllocsPerRun(10, func() {
		Conv2D(g, o, n, x, w, y, s)
		Conv2DFilterGrad(g, o, n, x, y, w, s)
		Conv2DTranspose(g, o, n, y, w, x, s)
	}))
}

func TestConvolutionsPanicOnSizesThatDoNotFit(t *testing.T) {
	g := Window{C: 1, H: 4, W: 4, KH: 3, KW: 3, SH: 1, SW: 1, Ho: 2, Wo: 2}
	const o, n = 2, 2
	s := Conv2DScratch(g, o, n)
	cases := []struct {
		name    string
		g       Window
		x, w, y []float32
		scratch []float32
	}{
		{"a short input", g, make([]float32, 31), make([]float32, 18), make([]float32, 16), make([]float32, s)},
		{"short weights", g, make([]float32, 32), make([]float32, 17), make([]float32, 16), make([]float32, s)},
		{"a short output", g, make([]float32, 32), make([]float32, 18), make([]float32, 15), make([]float32, s)},
		{"short scratch", g, make([]float32, 32), make([]float32, 18), make([]float32, 16), make([]float32, s-1)},
		{"a zero stride", Window{C: 1, H: 4, W: 4, KH: 3, KW: 3, SW: 1, Ho: 2, Wo: 2}, make([]float32, 32), make([]float32, 18), make([]float32, 16), make([]float32, s)},
		{"an empty kernel", Window{C: 1, H: 4, W: 4, KW: 3, SH: 1, SW: 1, Ho: 2, Wo: 2}, make([]float32, 32), make([]float32, 18), make([]float32, 16), make([]float32, s)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			assert.Panics(t, func() { Conv2D(c.g, o, n, c.x, c.w, c.y, c.scratch) })
		})
	}
	assert.Panics(t, func() {
		Conv2DFilterGrad(g, o, n, make([]float32, 32), make([]float32, 15), make([]float32, 18), make([]float32, s))
	}, "a short dy")
	assert.Panics(t, func() {
		Conv2DTranspose(g, o, n, make([]float32, 16), make([]float32, 18), make([]float32, 31), make([]float32, 100))
	}, "a short dx")
}

func TestIm2colWritesTheDefiningColumns(t *testing.T) {
	for _, c := range windows {
		t.Run(c.name, func(t *testing.T) {
			g := c.window(t)
			x := make([]float32, g.C*g.H*g.W)
			for i := range x {
				x[i] = float32(i + 1)
			}
			n := g.Ho * g.Wo
			ldc := n + 3 // rows apart by more than their length: the gaps stay untouched
			cols := nans(g.Rows() * ldc)
			im2col(g, x, cols, ldc)
			for r := range g.Rows() {
				for col := range n {
					require.Equal(t, g.at(x, r, col), cols[r*ldc+col], "row %d column %d", r, col)
				}
				if r < g.Rows()-1 {
					for k := n; k < ldc; k++ {
						require.True(t, math.IsNaN(float64(cols[r*ldc+k])), "row %d gap %d was written", r, k)
					}
				}
			}
		})
	}
}

// col2im is the transpose of im2col: ⟨im2col(x), c⟩ = ⟨x, col2im(c)⟩ for all x and c,
// checked on basis vectors, so every entry of the two matrices is compared.
func TestCol2imIsTheAdjointOfIm2col(t *testing.T) {
	for _, c := range windows {
		t.Run(c.name, func(t *testing.T) {
			g := c.window(t)
			n := g.Ho * g.Wo
			ldc := n + 1
			cols := make([]float32, g.Rows()*ldc)
			x := make([]float32, g.C*g.H*g.W)
			e := make([]float32, len(x))
			for r := range g.Rows() {
				for col := range n {
					clear(cols)
					cols[r*ldc+col] = 1
					for i := range x {
						x[i] = 0.5 // col2im adds to what is there
					}
					col2im(g, cols, ldc, x)
					for k := range x {
						clear(e)
						e[k] = 1
						require.Equal(t, g.at(e, r, col)+0.5, x[k], "column entry (%d, %d), image element %d", r, col, k)
					}
				}
			}
		})
	}
}

// benchConvs are the convolutions of workloads W2 (LeNet) and W4 (the conv
// autoencoder), with the batch sizes of the benchmark.
var benchConvs = []struct {
	name string
	g    Window
	o, n int
}{
	{"LeNet_conv1", Window{C: 1, H: 28, W: 28, KH: 5, KW: 5, SH: 1, SW: 1, Top: 2, Left: 2, Ho: 28, Wo: 28}, 6, 64},
	{"LeNet_conv2", Window{C: 6, H: 14, W: 14, KH: 5, KW: 5, SH: 1, SW: 1, Ho: 10, Wo: 10}, 16, 64},
	{"ConvDAE_enc2", Window{C: 32, H: 14, W: 14, KH: 3, KW: 3, SH: 1, SW: 1, Top: 1, Left: 1, Ho: 14, Wo: 14}, 32, 32},
	{"ConvDAE_dec2", Window{C: 32, H: 28, W: 28, KH: 3, KW: 3, SH: 1, SW: 1, Top: 1, Left: 1, Ho: 28, Wo: 28}, 1, 32},
	{"strided", Window{C: 16, H: 28, W: 28, KH: 3, KW: 3, SH: 2, SW: 2, Ho: 13, Wo: 13}, 16, 32},
}

func BenchmarkConv(b *testing.B) {
	for _, c := range benchConvs {
		g, o, n := c.g, c.o, c.n
		x, w, y := filled(n*g.C*g.H*g.W, 1), filled(o*g.Rows(), 2), filled(n*o*g.Ho*g.Wo, 3)
		s := make([]float32, max(Conv2DScratch(g, o, n), Conv2DFilterGradScratch(g, o, n), Conv2DTransposeScratch(g, o, n)))
		flops := float64(2 * n * o * g.Rows() * g.Ho * g.Wo)
		for _, op := range []struct {
			name string
			f    func()
		}{
			{"forward", func() { Conv2D(g, o, n, x, w, y, s) }},
			// forward without the direct path: the rows, wide or gather path.
			{"forward_columns", func() {
				defer func(d bool) { directConv = d }(directConv)
				directConv = false
				Conv2D(g, o, n, x, w, y, s)
			}},
			{"filter_grad", func() { Conv2DFilterGrad(g, o, n, x, y, w, s) }},
			{"input_grad", func() { Conv2DTranspose(g, o, n, y, w, x, s) }},
		} {
			b.Run(c.name+"/"+op.name, func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					op.f()
				}
				b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
		}
	}
}

// The products of a convolution split across a Pool's threads give Conv2D's bits
// exactly, on every path (the windows below take the rows, wide, gather and
// pointwise plans), and a Pool adds no allocation.
func TestConvolutionsOnAPoolEqualOneThreadBitForBit(t *testing.T) {
	windows := []struct {
		name string
		g    Window
	}{
		{"3×3 same over 8×16×16", Window{C: 8, H: 16, W: 16, KH: 3, KW: 3, SH: 1, SW: 1, Top: 1, Left: 1, Ho: 16, Wo: 16}},
		{"5×5 valid over 1×28×28", Window{C: 1, H: 28, W: 28, KH: 5, KW: 5, SH: 1, SW: 1, Ho: 24, Wo: 24}},
		{"3×3 stride 2 over 4×17×17", Window{C: 4, H: 17, W: 17, KH: 3, KW: 3, SH: 2, SW: 2, Ho: 8, Wo: 8}},
		{"1×1 over 16×12×12", Window{C: 16, H: 12, W: 12, KH: 1, KW: 1, SH: 1, SW: 1, Ho: 12, Wo: 12}},
		{"3×3 dilated by 2, same, over 8×13×13", Window{C: 8, H: 13, W: 13, KH: 3, KW: 3, SH: 1, SW: 1, Top: 2, Left: 2, Ho: 13, Wo: 13, DH: 2, DW: 2}},
	}
	const o, n = 16, 8
	for _, threads := range []int{2, 3} {
		pool := NewPool(threads)
		defer pool.Close()
		for _, c := range windows {
			t.Run(fmt.Sprintf("%s on %d threads", c.name, threads), func(t *testing.T) {
				g := c.g
				x, w, dy := filled(n*g.C*g.H*g.W, 1), filled(o*g.Rows(), 2), filled(n*o*g.Ho*g.Wo, 3)
				s := nans(max(Conv2DScratch(g, o, n), Conv2DFilterGradScratch(g, o, n), Conv2DTransposeScratch(g, o, n)))
				for _, k := range []struct {
					name string
					f    func(p *Pool, out []float32)
					size int
				}{
					{"Conv2D", func(p *Pool, out []float32) { Conv2DP(p, g, o, n, x, w, out, s) }, len(dy)},
					{"Conv2DFilterGrad", func(p *Pool, out []float32) { Conv2DFilterGradP(p, g, o, n, x, dy, out, s) }, len(w)},
					{"Conv2DTranspose", func(p *Pool, out []float32) { Conv2DTransposeP(p, g, o, n, dy, w, out, s) }, len(x)},
				} {
					want, got := nans(k.size), nans(k.size)
					k.f(nil, want)
					k.f(pool, got)
					for i := range want {
						require.Equal(t, math.Float32bits(want[i]), math.Float32bits(got[i]), "%s element %d", k.name, i)
					}
					assert.Zero(t, testing.AllocsPerRun(3, func() { k.f(pool, got) }), "%s allocates", k.name)
				}
			})
		}
	}
}
