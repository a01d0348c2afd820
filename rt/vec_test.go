package rt

import (
	"fmt"
	"math"
	"testing"

	"github.com/stretchr/testify/require"
)

// vecLengths are the lengths the element-wise kernels are checked at: every length
// up to three 32-value blocks and a partial one, the odd sizes of the GEMM tests,
// and a weight's size.
var vecLengths = func() []int {
	var ns []int
	for n := 0; n <= 100; n++ {
		ns = append(ns, n)
	}
	return append(ns, 257, 1000, 100352)
}()

// withSpecials puts NaN, infinities, zeros of both signs and subnormals at some
// places of x (every 13th value from start).
func withSpecials(x []float32, start int) []float32 {
	special := []float32{float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1)), 0,
		float32(math.Copysign(0, -1)), math.SmallestNonzeroFloat32, -1e-39}
	for i := start; i < len(x); i += 13 {
		x[i] = special[(i/13)%len(special)]
	}
	return x
}

// sameBits requires got and want to be equal bit for bit, NaN standing for NaN.
func sameBits(t *testing.T, want, got []float32, what string) {
	t.Helper()
	for i := range want {
		if want[i] != want[i] {
			require.True(t, got[i] != got[i], "%s[%d] = %v, want NaN", what, i, got[i])
			continue
		}
		require.Equal(t, math.Float32bits(want[i]), math.Float32bits(got[i]), "%s[%d] = %v, want %v", what, i, got[i], want[i])
	}
}

// The sum of squares behind the gradient norm is the float64 sum of the squares to
// within the rounding of a float64 sum (checked against a plain loop), gives the
// same bits with and without AVX-512, is NaN when a value is NaN and +Inf when one
// is infinite, and reads nothing past the slice (the next value is a NaN).
func TestSumOfSquares(t *testing.T) {
	for _, n := range vecLengths {
		t.Run(fmt.Sprintf("%d values", n), func(t *testing.T) {
			buf := filled(n+1, uint64(n)+7)
			buf[n] = float32(math.NaN())
			x := buf[:n]
			want := 0.0
			for _, v := range x {
				want += float64(v) * float64(v)
			}
			got := sumSquares(x)
			require.Equal(t, math.Float64bits(sumSquaresGo(x)), math.Float64bits(got), "vector and portable sums differ")
			require.InDelta(t, want, got, 1e-14*want*float64(n+1))
			if n == 0 {
				require.Equal(t, 0.0, got)
				return
			}
			x[n/2] = float32(math.Inf(-1))
			require.True(t, math.IsInf(sumSquares(x), 1), "an infinite value gives %v", sumSquares(x))
			x[n-1] = float32(math.NaN())
			require.True(t, math.IsNaN(sumSquares(x)), "a NaN gives %v", sumSquares(x))
		})
	}
}

// The vector SGD step gives, bit for bit, what the portable loop gives, and the
// portable loop computes PyTorch's p - lr·(g + wd·p) in float32 operation by
// operation; both with and without weight decay, on values with NaNs, infinities,
// signed zeros and subnormals, touching nothing past the slices.
func TestSGDStepEqualsTheFormula(t *testing.T) {
	for _, n := range vecLengths {
		for _, wd := range []float32{0, 0.01} {
			t.Run(fmt.Sprintf("%d values, weight decay %v", n, wd), func(t *testing.T) {
				const lr = 0.03
				p0 := withSpecials(filled(n, uint64(n)+1), 5)
				g := withSpecials(filled(n+1, uint64(n)+2), 8)
				g[n] = 42
				want := make([]float32, n)
				for i, v := range p0 {
					d := g[i] + float32(wd*v)
					want[i] = v - float32(lr*d)
				}
				p := append(make([]float32, 0, n+1), p0...)
				p = append(p, 42)
				sgdStep(p[:n], g[:n], lr, wd)
				sameBits(t, want, p[:n], "p")
				require.Equal(t, float32(42), p[n], "wrote past p")
				portable := append([]float32(nil), p0...)
				sgdGo(portable, g[:n], lr, wd)
				sameBits(t, want, portable, "portable p")
			})
		}
	}
}

// The vector SGD step with momentum gives, bit for bit, what the portable loop
// gives, for the first and a later step, with and without Nesterov, dampening and
// weight decay; and the portable loop is torch.optim.SGD's equations in float32.
func TestSGDMomentumStepEqualsTheFormula(t *testing.T) {
	for _, n := range []int{0, 1, 3, 15, 16, 17, 31, 33, 63, 65, 257, 1000} {
		for _, c := range []struct {
			first, nesterov bool
			wd, damp        float32
		}{{true, false, 0, 1}, {false, false, 0, 1}, {false, true, 0.01, 1}, {true, true, 0.01, 1}, {false, false, 0.001, 0.9}} {
			t.Run(fmt.Sprintf("%d values, %+v", n, c), func(t *testing.T) {
				const lr, mu = 0.05, 0.9
				p0 := withSpecials(filled(n, uint64(n)+3), 2)
				g := withSpecials(filled(n, uint64(n)+4), 6)
				b0 := filled(n, uint64(n)+5)
				wantP, wantB := make([]float32, n), make([]float32, n)
				for i, v := range p0 {
					// The conversions round each product, as the kernels do.
					d := g[i] + float32(c.wd*v)
					b := d
					if !c.first {
						b = float32(mu*b0[i]) + float32(c.damp*d)
					}
					if c.nesterov {
						d += float32(mu * b)
					} else {
						d = b
					}
					wantP[i], wantB[i] = v-float32(lr*d), b
				}
				p, b := append([]float32(nil), p0...), append([]float32(nil), b0...)
				sgdMomentumStep(p, g, b, lr, c.wd, mu, c.damp, c.first, c.nesterov)
				sameBits(t, wantP, p, "p")
				sameBits(t, wantB, b, "momentum")
				p, b = append([]float32(nil), p0...), append([]float32(nil), b0...)
				sgdMomentumGo(p, g, b, lr, c.wd, mu, c.damp, c.first, c.nesterov)
				sameBits(t, wantP, p, "portable p")
				sameBits(t, wantB, b, "portable momentum")
			})
		}
	}
}

// allFinite is true exactly when no value is NaN or infinite, wherever the bad
// value sits (every position, so every lane and the masked tail), with and without
// AVX-512; it does not read past the slice (the value after it is NaN).
func TestAllFiniteFindsEveryNonFiniteValue(t *testing.T) {
	for _, n := range []int{0, 1, 3, 15, 16, 17, 63, 64, 65, 127, 129, 257} {
		t.Run(fmt.Sprintf("%d values", n), func(t *testing.T) {
			buf := filled(n+1, uint64(n)+9)
			buf[n] = float32(math.NaN())
			x := buf[:n]
			if n > 0 {
				x[n/3] = math.MaxFloat32
			}
			require.True(t, allFinite(x))
			require.True(t, allFiniteGo(x))
			for i := range x {
				for _, bad := range []float32{float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1))} {
					v := x[i]
					x[i] = bad
					require.False(t, allFinite(x), "%v at %d", bad, i)
					require.False(t, allFiniteGo(x), "portable: %v at %d", bad, i)
					x[i] = v
				}
			}
		})
	}
}

// ReluGrad equals ReluGrad32 element by element, bit for bit (NaN for NaN), with
// NaN, infinities and zeros of both signs in x and dy, at lengths around the
// vector width; it writes nothing past len(dy) and allows y to be dy or x.
func TestReluGradEqualsReluGrad32(t *testing.T) {
	for _, n := range []int{0, 1, 3, 15, 16, 17, 31, 33, 63, 65, 257} {
		t.Run(fmt.Sprintf("%d values", n), func(t *testing.T) {
			x := withSpecials(filled(n, uint64(n)+11), 3)
			dy := withSpecials(filled(n, uint64(n)+12), 7)
			for i := range x {
				if i%5 == 0 {
					x[i] = -x[i]
				}
			}
			want := make([]float32, n)
			for i := range want {
				want[i] = ReluGrad32(x[i], dy[i])
			}
			y := nans(n + 1)
			y[n] = 42
			ReluGrad(y, x, dy)
			sameBits(t, want, y[:n], "y")
			require.Equal(t, float32(42), y[n], "wrote past y")
			inPlace := append([]float32(nil), dy...)
			ReluGrad(inPlace, x, inPlace)
			sameBits(t, want, inPlace, "y in place of dy")
			portable := nans(n)
			reluGradGo(portable, x, dy)
			sameBits(t, want, portable, "portable y")
		})
	}
}

// ColSums64 adds every column of a strided matrix into its accumulator, bit for
// bit as the row-by-row loop does, for widths around every block and mask
// boundary, with NaN and infinities in some columns; it leaves the accumulators
// past cols and reads no value past the last row's cols (the row stride's gap
// holds NaN, which must not reach any sum).
func TestColSums64EqualsTheRowLoop(t *testing.T) {
	for _, cols := range []int{1, 7, 8, 9, 31, 32, 33, 64, 65, 100, 256, 257} {
		for _, rows := range []int{0, 1, 3, 16, 64} {
			t.Run(fmt.Sprintf("%d rows of %d", rows, cols), func(t *testing.T) {
				ldx := cols + 5
				x := withSpecials(filled(max(rows*ldx, 1), uint64(cols*100+rows)), 11)
				for r := range rows {
					for c := cols; c < ldx; c++ {
						x[r*ldx+c] = float32(math.NaN())
					}
				}
				init := make([]float64, cols+1)
				for c := range init {
					init[c] = float64(c) * 0.25
				}
				want := append([]float64(nil), init...)
				for r := range rows {
					for c := range cols {
						want[c] += float64(x[r*ldx+c])
					}
				}
				got := append([]float64(nil), init...)
				ColSums64(got, x, rows, cols, ldx)
				portable := append([]float64(nil), init...)
				if rows > 0 {
					colSums64Go(portable, x, rows, cols, ldx)
				}
				for c := range want {
					if math.IsNaN(want[c]) {
						require.True(t, math.IsNaN(got[c]) && math.IsNaN(portable[c]), "column %d", c)
						continue
					}
					require.Equal(t, math.Float64bits(want[c]), math.Float64bits(got[c]), "column %d", c)
					require.Equal(t, math.Float64bits(want[c]), math.Float64bits(portable[c]), "portable, column %d", c)
				}
			})
		}
	}
}
