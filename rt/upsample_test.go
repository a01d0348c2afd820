package rt

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// refTap is the reference tap of output o of an axis of n inputs upsampled by s,
// written from PyTorch's definition in float64 and independently of the kernels'
// phases: src = (o + 0.5)/s - 0.5 clamped below at 0, inputs floor(src) and
// min(floor(src)+1, n-1), weights 1-frac and frac.
func refTap(o, s, n int) (i0, i1 int, l0, l1 float64) {
	src := math.Max((float64(o)+0.5)/float64(s)-0.5, 0)
	i0 = int(math.Floor(src))
	i1 = min(i0+1, n-1)
	l1 = src - float64(i0)
	return i0, i1, 1 - l1, l1
}

// refUpSample returns, for every output of a plane upsampled by (sh, sw), the
// float64 value and the sum of the magnitudes of its four terms (a bound on what
// float32 rounding can do to it).
func refUpSample(x []float64, h, w, sh, sw int) (y, mag []float64) {
	ho, wo := h*sh, w*sw
	y, mag = make([]float64, ho*wo), make([]float64, ho*wo)
	for r := range ho {
		h0, h1, a0, a1 := refTap(r, sh, h)
		for o := range wo {
			w0, w1, b0, b1 := refTap(o, sw, w)
			for _, t := range [4]float64{a0 * b0 * x[h0*w+w0], a0 * b1 * x[h0*w+w1], a1 * b0 * x[h1*w+w0], a1 * b1 * x[h1*w+w1]} {
				y[r*wo+o] += t
				mag[r*wo+o] += math.Abs(t)
			}
		}
	}
	return y, mag
}

// refUpSampleGrad is the adjoint of refUpSample, with the sum of the magnitudes of
// each input's terms and their count.
func refUpSampleGrad(g []float64, h, w, sh, sw int) (dx, mag []float64, terms []int) {
	ho, wo := h*sh, w*sw
	dx, mag, terms = make([]float64, h*w), make([]float64, h*w), make([]int, h*w)
	for r := range ho {
		h0, h1, a0, a1 := refTap(r, sh, h)
		for o := range wo {
			w0, w1, b0, b1 := refTap(o, sw, w)
			for _, t := range [4]struct {
				i int
				v float64
			}{{h0*w + w0, a0 * b0}, {h0*w + w1, a0 * b1}, {h1*w + w0, a1 * b0}, {h1*w + w1, a1 * b1}} {
				dx[t.i] += t.v * g[r*wo+o]
				mag[t.i] += math.Abs(t.v * g[r*wo+o])
				terms[t.i]++
			}
		}
	}
	return dx, mag, terms
}

// upsampleShapes are the input sizes and factors the kernels are checked on: a 1×1
// input (every output its one pixel), single rows and columns, odd sizes; factors
// even and odd, 1 on one axis or both, and large.
var upsampleShapes = []struct{ h, w, sh, sw int }{
	{1, 1, 2, 2}, {1, 1, 3, 5}, {3, 5, 2, 2}, {3, 5, 3, 2}, {3, 5, 1, 4}, {7, 4, 2, 2}, {7, 4, 3, 2},
	{7, 4, 1, 4}, {1, 6, 4, 3}, {5, 1, 3, 4}, {3, 5, 5, 3}, {4, 3, 1, 1}, {2, 9, 7, 6}, {6, 2, 4, 1},
}

func randPlanes(rng *rand.Rand, n int) []float32 {
	x := make([]float32, n)
	for i := range x {
		x[i] = float32(rng.NormFloat64())
	}
	return x
}

// UpSampleBilinear matches the float64 reference within the rounding of its terms:
// the weights (rounded to float32 from the exact fractions), the products and the
// sums, each at most half a unit in the last place, of at most the sum of the terms'
// magnitudes. It writes exactly its planes and nothing after them.
func TestUpSampleBilinearMatchesTheReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	const planes = 3
	for _, c := range upsampleShapes {
		t.Run(fmt.Sprintf("%d×%d by (%d, %d)", c.h, c.w, c.sh, c.sw), func(t *testing.T) {
			hw, hwo := c.h*c.w, c.h*c.sh*c.w*c.sw
			x := randPlanes(rng, planes*hw)
			y := make([]float32, planes*hwo+5)
			for i := range y {
				y[i] = float32(math.NaN())
			}
			UpSampleBilinear(y, x, planes, c.h, c.w, c.sh, c.sw)
			for pl := range planes {
				want, mag := refUpSample(f64s(x[pl*hw:][:hw]), c.h, c.w, c.sh, c.sw)
				for i, v := range want {
					got := float64(y[pl*hwo+i])
					require.LessOrEqual(t, math.Abs(got-v), 8*0x1p-24*mag[i], "plane %d, output %d: got %g, want %g", pl, i, got, v)
				}
			}
			for _, v := range y[planes*hwo:] {
				require.True(t, math.IsNaN(float64(v)), "a value after the planes was written")
			}
		})
	}
}

// UpSampleBilinearGrad matches the float64 adjoint within the rounding of a sum of
// its terms (count + 4 half-units of the sum of their magnitudes), whatever dx held
// before, and writes nothing after its planes.
func TestUpSampleBilinearGradMatchesTheReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	const planes = 3
	for _, c := range upsampleShapes {
		t.Run(fmt.Sprintf("%d×%d by (%d, %d)", c.h, c.w, c.sh, c.sw), func(t *testing.T) {
			hw, hwo := c.h*c.w, c.h*c.sh*c.w*c.sw
			g := randPlanes(rng, planes*hwo)
			dx := randPlanes(rng, planes*hw+5) // stale values, which the kernel must clear
			tail := append([]float32(nil), dx[planes*hw:]...)
			UpSampleBilinearGrad(dx, g, planes, c.h, c.w, c.sh, c.sw)
			for pl := range planes {
				want, mag, terms := refUpSampleGrad(f64s(g[pl*hwo:][:hwo]), c.h, c.w, c.sh, c.sw)
				for i, v := range want {
					got := float64(dx[pl*hw+i])
					require.LessOrEqual(t, math.Abs(got-v), float64(terms[i]+4)*0x1p-24*mag[i], "plane %d, input %d: got %g, want %g", pl, i, got, v)
				}
			}
			assert.Equal(t, tail, dx[planes*hw:], "values after the planes")
		})
	}
}

// With factors that are powers of two the weights are exact (multiples of 1/2s),
// and so are the results on small integers: the kernels then give the reference's
// values bit for bit, the gradient's sums included.
func TestUpSampleBilinearIsExactForDyadicWeights(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, c := range []struct{ h, w, sh, sw int }{{3, 5, 2, 2}, {7, 4, 4, 2}, {1, 6, 2, 8}, {5, 3, 1, 2}} {
		hw, hwo := c.h*c.w, c.h*c.sh*c.w*c.sw
		x, g := make([]float32, hw), make([]float32, hwo)
		for i := range x {
			x[i] = float32(rng.IntN(201) - 100)
		}
		for i := range g {
			g[i] = float32(rng.IntN(201) - 100)
		}
		y, dx := make([]float32, hwo), make([]float32, hw)
		UpSampleBilinear(y, x, 1, c.h, c.w, c.sh, c.sw)
		UpSampleBilinearGrad(dx, g, 1, c.h, c.w, c.sh, c.sw)
		want, _ := refUpSample(f64s(x), c.h, c.w, c.sh, c.sw)
		wantDx, _, _ := refUpSampleGrad(f64s(g), c.h, c.w, c.sh, c.sw)
		assert.Equal(t, want, f64s(y), "%v forward", c)
		assert.Equal(t, wantDx, f64s(dx), "%v gradient", c)
	}
}

// The phases' weights are the exact fractions rounded once to float32, and the taps
// those of the reference: the input pairs, and one input at the clamped borders and
// in the middle phase of an odd factor.
func TestBilinearTapsAreTheReferences(t *testing.T) {
	for _, s := range []int{1, 2, 3, 4, 5, 7, 10} {
		for _, n := range []int{1, 2, 5} {
			for o := range n * s {
				i0, w0, w1, one := bilinearTap(o, s, n)
				r0, r1, l0, l1 := refTap(o, s, n)
				if one {
					assert.True(t, r0 == r1 || l1 == 0, "s=%d n=%d o=%d: one input where the reference reads two", s, n, o)
					assert.Equal(t, r0, i0, "s=%d n=%d o=%d", s, n, o)
					continue
				}
				assert.Equal(t, []int{r0, r1}, []int{i0, i0 + 1}, "s=%d n=%d o=%d", s, n, o)
				assert.Equal(t, float32(l0), w0, "s=%d n=%d o=%d", s, n, o)
				assert.Equal(t, float32(l1), w1, "s=%d n=%d o=%d", s, n, o)
			}
		}
	}
}

func f64s(x []float32) []float64 {
	y := make([]float64, len(x))
	for i, v := range x {
		y[i] = float64(v)
	}
	return y
}

// A decoder's upsampling, 8 images of 32 channels from 14×14 by (2, 2) and (3, 3),
// with the kernels and with the naive loops below, which compute every output's taps
// from its source coordinate.
func BenchmarkUpSampleBilinear(b *testing.B) {
	type kernel func(dst, src []float32, planes, h, w, sh, sw int)
	for _, c := range []struct{ planes, h, w, s int }{{8 * 32, 14, 14, 2}, {8 * 32, 14, 14, 3}} {
		x := randPlanes(rand.New(rand.NewPCG(7, 8)), c.planes*c.h*c.w)
		y := make([]float32, len(x)*c.s*c.s)
		for _, k := range []struct {
			name      string
			fwd, back kernel
		}{{"", UpSampleBilinear, UpSampleBilinearGrad}, {", naive", naiveUpSample, naiveUpSampleGrad}} {
			b.Run(fmt.Sprintf("forward %d×%d by %d%s", c.h, c.w, c.s, k.name), func(b *testing.B) {
				b.SetBytes(int64(4 * len(y)))
				for b.Loop() {
					k.fwd(y, x, c.planes, c.h, c.w, c.s, c.s)
				}
			})
			b.Run(fmt.Sprintf("backward %d×%d by %d%s", c.h, c.w, c.s, k.name), func(b *testing.B) {
				b.SetBytes(int64(4 * len(y)))
				for b.Loop() {
					k.back(x, y, c.planes, c.h, c.w, c.s, c.s)
				}
			})
		}
	}
}

// naiveTap is PyTorch's tap computation in float32, for naiveUpSample.
func naiveTap(o, s, n int) (int, int, float32, float32) {
	src := (float32(o)+0.5)/float32(s) - 0.5
	if src < 0 {
		src = 0
	}
	i0 := int(src)
	l1 := src - float32(i0)
	return i0, min(i0+1, n-1), 1 - l1, l1
}

// naiveUpSample and naiveUpSampleGrad are PyTorch's CPU loops in float32.
func naiveUpSample(y, x []float32, planes, h, w, sh, sw int) {
	ho, wo := h*sh, w*sw
	for pl := range planes {
		xp, yp := x[pl*h*w:][:h*w], y[pl*ho*wo:][:ho*wo]
		for r := range ho {
			h0, h1, a0, a1 := naiveTap(r, sh, h)
			for o := range wo {
				w0, w1, b0, b1 := naiveTap(o, sw, w)
				yp[r*wo+o] = a0*(b0*xp[h0*w+w0]+b1*xp[h0*w+w1]) + a1*(b0*xp[h1*w+w0]+b1*xp[h1*w+w1])
			}
		}
	}
}

func naiveUpSampleGrad(dx, dy []float32, planes, h, w, sh, sw int) {
	ho, wo := h*sh, w*sw
	clear(dx[:planes*h*w])
	for pl := range planes {
		dp, gp := dx[pl*h*w:][:h*w], dy[pl*ho*wo:][:ho*wo]
		for r := range ho {
			h0, h1, a0, a1 := naiveTap(r, sh, h)
			for o := range wo {
				w0, w1, b0, b1 := naiveTap(o, sw, w)
				g := gp[r*wo+o]
				dp[h0*w+w0] += a0 * b0 * g
				dp[h0*w+w1] += a0 * b1 * g
				dp[h1*w+w0] += a1 * b0 * g
				dp[h1*w+w1] += a1 * b1 * g
			}
		}
	}
}

func TestUpSampleBilinearAllocatesNothing(t *testing.T) {
	x, y := make([]float32, 2*3*5), make([]float32, 2*9*10)
	assert.Zero(t, testing.AllocsPerRun(10, func() { UpSampleBilinear(y, x, 2, 3, 5, 3, 2) }))
	assert.Zero(t, testing.AllocsPerRun(10, func() { UpSampleBilinearGrad(x, y, 2, 3, 5, 3, 2) }))
}
