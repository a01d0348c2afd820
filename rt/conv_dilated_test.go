package rt

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Dilated windows run on the im2col paths only: the wide, rows, direct and
// scatter paths, the dot-product filter gradient and the flipped adjoint all read
// the padded image as runs of adjacent taps. Every plan a dilated window can get,
// with or without the direct path on any CPU, is the gather plan, and the adjoint
// is the product and col2im; no arranged weights are asked for.
func TestDilatedWindowsTakeOnlyTheColumnPaths(t *testing.T) {
	// The dot path's plan as an AVX-512 CPU would make it, on any CPU.
	defer func(o bool, m int) { dotFilterGradOn, dotMinItems = o, m }(dotFilterGradOn, dotMinItems)
	dotFilterGradOn, dotMinItems = true, 1
	for _, c := range windows {
		if c.dh == 1 && c.dw == 1 {
			continue
		}
		g := c.window(t)
		for _, o := range []int{1, 3, 16} {
			for _, n := range []int{1, 4, 32} {
				for _, direct := range []bool{false, true} {
					for _, fg := range []bool{false, true} {
						p := newPlanWith(g, o, n, fg, direct)
						require.Equal(t, modeGather, p.mode, "%s: %d channels, batch %d, direct %v, filter gradient %v", c.name, o, n, direct, fg)
					}
				}
				_, ok := newDotPlan(g, o, n, 1<<30)
				assert.False(t, ok, "%s: the dot-product filter gradient", c.name)
			}
			_, flip := g.flipped(o)
			assert.False(t, flip, "%s: the flipped adjoint", c.name)
			assert.False(t, g.validStride1(), "%s: the valid stride-1 adjoint (wide or scatter)", c.name)
			assert.Zero(t, ConvArrangedSize(g, o), "%s: arranged weights", c.name)
		}
	}
}

// An undilated window written with DH = DW = 1 is the zero-valued one: the same
// plan and the same bits on every path.
func TestDilationOneIsTheUndilatedWindow(t *testing.T) {
	for _, c := range windows {
		if c.dh != 1 || c.dw != 1 {
			continue
		}
		t.Run(c.name, func(t *testing.T) {
			g := c.window(t)
			z := g
			z.DH, z.DW = 0, 0
			const o, n = 3, 3
			for _, fg := range []bool{false, true} {
				require.Equal(t, newPlanWith(z, o, n, fg, directConv).mode, newPlanWith(g, o, n, fg, directConv).mode)
			}
			x, w, dy := filled(n*g.C*g.H*g.W, 1), filled(o*g.Rows(), 2), filled(n*o*g.Ho*g.Wo, 3)
			s := nans(max(Conv2DScratch(g, o, n), Conv2DFilterGradScratch(g, o, n), Conv2DTransposeScratch(g, o, n)))
			for _, k := range []struct {
				name string
				f    func(g Window, out []float32)
				size int
			}{
				{"Conv2D", func(g Window, out []float32) { Conv2D(g, o, n, x, w, out, s) }, len(dy)},
				{"Conv2DFilterGrad", func(g Window, out []float32) { Conv2DFilterGrad(g, o, n, x, dy, out, s) }, len(w)},
				{"Conv2DTranspose", func(g Window, out []float32) { Conv2DTranspose(g, o, n, dy, w, out, s) }, len(x)},
			} {
				want, got := nans(k.size), nans(k.size)
				k.f(z, want)
				k.f(g, got)
				require.Equal(t, want, got, k.name)
			}
		})
	}
}

func TestDilatedConvolutionsDoNotAllocate(t *testing.T) {
	g := Window{C: 3, H: 11, W: 11, KH: 3, KW: 3, SH: 1, SW: 1, Top: 2, Left: 2, Ho: 11, Wo: 11, DH: 2, DW: 2}
	const o, n = 4, 5
	x, w, y := make([]float32, n*g.C*g.H*g.W), make([]float32, o*g.Rows()), make([]float32, n*o*g.Ho*g.Wo)
	s := make([]float32, max(Conv2DScratch(g, o, n), Conv2DFilterGradScratch(g, o, n), Conv2DTransposeScratch(g, o, n)))
	Conv2D(g, o, n, x, w, y, s)
	assert.Zero(t, testing.AllocsPerRun(10, func() {
		Conv2D(g, o, n, x, w, y, s)
		Conv2DFilterGrad(g, o, n, x, y, w, s)
		Conv2DTranspose(g, o, n, y, w, x, s)
	}))
}

func TestANegativeDilationPanics(t *testing.T) {
	g := Window{C: 1, H: 5, W: 5, KH: 3, KW: 3, SH: 1, SW: 1, Ho: 3, Wo: 3, DH: -1}
	for i, f := range []func(){
		func() {
			Conv2D(g, 1, 1, make([]float32, 25), make([]float32, 9), make([]float32, 9), make([]float32, 1000))
		},
		func() {
			Conv2DFilterGrad(g, 1, 1, make([]float32, 25), make([]float32, 9), make([]float32, 9), make([]float32, 1000))
		},
		func() {
			Conv2DTranspose(g, 1, 1, make([]float32, 9), make([]float32, 9), make([]float32, 25), make([]float32, 1000))
		},
	} {
		assert.Panics(t, f, fmt.Sprint("kernel ", i))
	}
}

// The dilated windows against their defining sums with every Gemm kernel this CPU
// runs (the assembly ones and the portable Go one, each also with tiny cache
// blocks), since their products are the only part that is not plain Go.
func TestDilatedConvolutionsOnEveryGemmKernel(t *testing.T) {
	const o, n = 3, 2
	for _, kern := range testKernels(t) {
		for _, c := range windows {
			if c.dh == 1 && c.dw == 1 {
				continue
			}
			t.Run(fmt.Sprintf("%s, kernel %s", c.name, kern.name), func(t *testing.T) {
				withKernel(t, kern)
				g := c.window(t)
				x, w, dy := filled(n*g.C*g.H*g.W, 1), filled(o*g.Rows(), 2), filled(n*o*g.Ho*g.Wo, 3)
				y, dw, dx := make([]float64, len(dy)), make([]float64, len(w)), make([]float64, len(x))
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
