package rt

import (
	"fmt"
	"math"
	"testing"

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
