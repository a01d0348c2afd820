package rt

import (
	"fmt"
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The direct path computes the defining sums for every number of output channels
// from 1 to 33 (every way of cutting them into equal blocks of at most a tile, and
// every block height), on planes whose Ho·Wp wide positions end in a full strip of
// 32, a 16-wide one, and a masked one of each width; with scratch and output full of
// NaN (a value read before it is written shows), through Conv2D, Conv2DFused without
// an epilogue step, and with the weights arranged once (Epilogue.Arranged).
func TestDirectPathComputesTheDefiningSums(t *testing.T) {
	if !haveDirect() {
		t.Skip("no direct path on this CPU")
	}
	defer func(d bool) { directConv = d }(directConv)
	directConv = true
	cases := []struct {
		name                                              string
		c, h, w, kh, kw, sh, sw, top, left, bottom, right int
	}{
		{"a 5×5 same window over 28×28 (Wp = 32: full strips)", 1, 28, 28, 5, 5, 1, 1, 2, 2, 2, 2},
		{"a 5×5 valid window over 6×14×14 (140 positions: a 12-wide strip)", 6, 14, 14, 5, 5, 1, 1, 0, 0, 0, 0},
		{"a 3×3 same window over 3×7×9 (77 positions: a 13-wide strip)", 3, 7, 9, 3, 3, 1, 1, 1, 1, 1, 1},
		{"a 1×3 window with asymmetric pads (a 24-wide last strip)", 2, 8, 9, 1, 3, 1, 1, 0, 2, 0, 1},
		{"a 3×1 full window", 4, 5, 6, 3, 1, 1, 1, 2, 0, 2, 0},
		{"a 7×7 same window over one 4×4 plane (the kernel reaches past it)", 1, 4, 4, 7, 7, 1, 1, 3, 3, 3, 3},
	}
	for _, c := range cases {
		for o := 1; o <= 33; o++ {
			t.Run(fmt.Sprintf("%s, %d output channels", c.name, o), func(t *testing.T) {
				const n = 2
				g := windowOf(t, c.c, c.h, c.w, c.kh, c.kw, c.sh, c.sw, c.top, c.left, c.bottom, c.right)
				require.Equal(t, modeDirect, newPlan(g, o, n, false).mode)
				x, w := filled(n*g.C*g.H*g.W, 1), filled(o*g.Rows(), 2)
				want := make([]float64, n*o*g.Ho*g.Wo)
				g.terms(o, n, func(xi, wi, yi int) { want[yi] += float64(x[xi]) * float64(w[wi]) })

				got := nans(len(want))
				Conv2D(g, o, n, x, w, got, nans(Conv2DScratch(g, o, n)))
				requireConvClose(t, "Conv2D", got, want)

				arranged := nans(ConvArrangedSize(g, o))
				require.Len(t, arranged, o*g.Rows())
				ArrangeConvWeights(g, o, w, arranged)
				fused := nans(len(want))
				Conv2DFused(g, o, n, x, w, fused, nans(Conv2DFusedScratch(g, o, n)), Epilogue{Arranged: arranged})
				for i := range got {
					require.Equal(t, math.Float32bits(got[i]), math.Float32bits(fused[i]), "with arranged weights, value %d", i)
				}
			})
		}
	}
}

// A NaN in the input reaches exactly the outputs whose windows cover it (and an
// infinity makes them infinite or NaN), on the direct path: the zero padding and
// the discarded wide positions must not spread it.
func TestDirectPathSpreadsANaNOnlyToItsWindows(t *testing.T) {
	if !haveDirect() {
		t.Skip("no direct path on this CPU")
	}
	defer func(d bool) { directConv = d }(directConv)
	directConv = true
	g := windowOf(t, 2, 6, 7, 3, 3, 1, 1, 1, 1, 1, 1)
	const o, n = 5, 2
	for _, at := range []int{0, 6, 41, 42, 83, 2*g.C*g.H*g.W - 1} {
		t.Run(fmt.Sprintf("NaN at input %d", at), func(t *testing.T) {
			x, w := filled(n*g.C*g.H*g.W, 1), filled(o*g.Rows(), 2)
			x[at] = float32(math.NaN())
			reached := make([]bool, n*o*g.Ho*g.Wo)
			g.terms(o, n, func(xi, wi, yi int) {
				if xi == at {
					reached[yi] = true
				}
			})
			got := nans(len(reached))
			Conv2D(g, o, n, x, w, got, nans(Conv2DScratch(g, o, n)))
			for i, r := range reached {
				require.Equal(t, r, math.IsNaN(float64(got[i])), "output %d", i)
			}
		})
	}
}

// The scatter path's adjoint of a valid stride-1 convolution computes the defining
// sums for input channels 1 to 33 (every block height scatterRows gives, and blocks
// of one row and of a tile), several output channel counts, windows whose wide dy
// ends in strips of every kind, and kernels as large as the input; with scratch and
// output full of NaN, in batches of 3 on one thread and on a pool of 2.
func TestScatterPathComputesTheAdjointsDefiningSums(t *testing.T) {
	if !haveDirect() {
		t.Skip("no direct path on this CPU")
	}
	defer func(d bool, s func(int) int) { directConv, scatterRows = d, s }(directConv, scatterRows)
	directConv = true
	pool := NewPool(2)
	defer pool.Close()
	heights := map[string]func(int) int{
		"default blocks": scatterRows,
		"one row a call": func(int) int { return 1 },
		"a tile a call":  func(int) int { return 14 },
	}
	cases := []struct {
		name       string
		h, w, k, l int
	}{
		{"5×5 over 14×14 (LeNet conv2)", 14, 14, 5, 5},
		{"3×3 over 7×9", 7, 9, 3, 3},
		{"1×4 over 3×40 (strips of 32 and a partial one)", 3, 40, 1, 4},
		{"3×2 over 4×3", 4, 3, 3, 2},
		{"a kernel as large as the input", 5, 6, 5, 6},
	}
	for hname, height := range heights {
		for _, c := range cases {
			for _, ch := range []int{1, 2, 5, 6, 7, 13, 14, 15, 16, 27, 33} {
				for _, o := range []int{1, 3, 16} {
					t.Run(fmt.Sprintf("%s, %d input and %d output channels, %s", c.name, ch, o, hname), func(t *testing.T) {
						scatterRows = height
						const n = 3
						g := windowOf(t, ch, c.h, c.w, c.k, c.l, 1, 1, 0, 0, 0, 0)
						require.True(t, g.validStride1())
						w, dy := filled(o*g.Rows(), 2), filled(n*o*g.Ho*g.Wo, 3)
						want := make([]float64, n*g.C*g.H*g.W)
						g.terms(o, n, func(xi, wi, yi int) { want[xi] += float64(dy[yi]) * float64(w[wi]) })
						for _, p := range []*Pool{nil, pool} {
							got := nans(len(want))
							Conv2DTransposeP(p, g, o, n, dy, w, got, nans(Conv2DTransposeScratch(g, o, n)))
							requireConvClose(t, "Conv2DTranspose", got, want)
						}
					})
				}
			}
		}
	}
}

// TestOneItemOnThePoolSplitsTheDirectPathBitForBit runs batches of one item, which
// Pool.convItems cannot split, through the direct path on pools of 2 and 3 threads:
// the strips of positions are shared out (Pool.direct), and every output must have
// the bits of one thread, for Conv2D and for a fused convolution, with strip
// counts that split evenly and not, and a last strip of each width.
func TestOneItemOnThePoolSplitsTheDirectPathBitForBit(t *testing.T) {
	if !haveDirect() {
		t.Skip("no direct path on this CPU")
	}
	defer func(d bool) { directConv = d }(directConv)
	directConv = true
	windows := []struct {
		name string
		g    Window
		o    int
	}{
		{"3×3 same over 32×14×14 (ConvDAE's enc2, dec1)", Window{C: 32, H: 14, W: 14, KH: 3, KW: 3, SH: 1, SW: 1, Top: 1, Left: 1, Ho: 14, Wo: 14}, 32},
		{"3×3 same over 32×28×28, 8 filters", Window{C: 32, H: 28, W: 28, KH: 3, KW: 3, SH: 1, SW: 1, Top: 1, Left: 1, Ho: 28, Wo: 28}, 8},
		{"5×5 valid over 6×30×21, 17 filters", Window{C: 6, H: 30, W: 21, KH: 5, KW: 5, SH: 1, SW: 1, Ho: 26, Wo: 17}, 17},
	}
	for _, threads := range []int{2, 3} {
		pool := NewPool(threads)
		for _, c := range windows {
			t.Run(fmt.Sprintf("%s on %d threads", c.name, threads), func(t *testing.T) {
				g, o := c.g, c.o
				p := newPlan(g, o, 1, false)
				require.Equal(t, modeDirect, p.mode)
				require.GreaterOrEqual(t, min(p.strips(), p.o*p.k*p.per/minFlopsPerPart), 2, "too small to split")
				x, w := filled(g.C*g.H*g.W, 1), filled(o*g.Rows(), 2)
				e := Epilogue{Bias: filled(o, 4), Act: ActReLU}
				s := nans(max(Conv2DScratch(g, o, 1), Conv2DFusedScratch(g, o, 1)))
				for _, k := range []struct {
					name string
					f    func(p *Pool, out []float32)
				}{
					{"Conv2D", func(p *Pool, out []float32) { Conv2DP(p, g, o, 1, x, w, out, s) }},
					{"Conv2DFused", func(p *Pool, out []float32) { Conv2DFusedP(p, g, o, 1, x, w, out, s, e) }},
				} {
					want, got := nans(o*g.Ho*g.Wo), nans(o*g.Ho*g.Wo)
					k.f(nil, want)
					copy(s, nans(len(s))) // nothing left over from the first call
					k.f(pool, got)
					for i := range want {
						require.Equal(t, math.Float32bits(want[i]), math.Float32bits(got[i]), "%s element %d", k.name, i)
					}
					assert.Zero(t, testing.AllocsPerRun(3, func() { k.f(pool, got) }), "%s allocates", k.name)
				}
				// The pool really runs the item: a closed one refuses the job.
				closed := NewPool(threads)
				closed.Close()
				assert.Panics(t, func() { Conv2DP(closed, g, o, 1, x, w, nans(o*g.Ho*g.Wo), s) }, "one item on a closed pool")
			})
		}
		pool.Close()
	}
}
