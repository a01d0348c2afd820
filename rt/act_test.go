package rt

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestActivationsMatchMath compares the float32 activations with math's float64
// functions on a fine grid and at the ends of their ranges.
func TestActivationsMatchMath(t *testing.T) {
	for _, tc := range []struct {
		name   string
		f      func(float32) float32
		ref    func(float64) float64
		lo, hi float64
		// error bound: |got - want| ≤ rel·|want| + abs
		rel, abs float64
	}{
		{"Exp32", Exp32, math.Exp, -87, 88, 4e-7, 0},
		{"Sigmoid32", Sigmoid32, func(x float64) float64 { return 1 / (1 + math.Exp(-x)) }, -88, 120, 4e-7, 1e-38},
		{"Tanh32", Tanh32, math.Tanh, -20, 20, 4e-7, 0},
	} {
		t.Run(tc.name+" is within a few ulp of math's", func(t *testing.T) {
			worst := 0.0
			for i := 0; i <= 400000; i++ {
				x := float32(tc.lo + (tc.hi-tc.lo)*float64(i)/400000)
				got, want := float64(tc.f(x)), tc.ref(float64(x))
				err := math.Abs(got - want)
				if err > tc.rel*math.Abs(want)+tc.abs {
					t.Fatalf("%s(%g) = %g, want %g", tc.name, x, got, want)
				}
				if want != 0 {
					worst = max(worst, err/math.Abs(want))
				}
			}
			t.Logf("largest relative error %.2g", worst)
		})
	}
	t.Run("the ends and special values", func(t *testing.T) {
		inf := float32(math.Inf(1))
		assert.Equal(t, float32(1), Sigmoid32(inf))
		assert.Equal(t, float32(1), Sigmoid32(100))
		assert.InDelta(t, 0, Sigmoid32(-inf), 1e-37)
		assert.Equal(t, float32(0.5), Sigmoid32(0))
		assert.Equal(t, float32(1), Tanh32(inf))
		assert.Equal(t, float32(-1), Tanh32(-inf))
		assert.Equal(t, float32(0), Tanh32(0))
		assert.Equal(t, float32(1e-30), Tanh32(1e-30))
		for _, f := range []func(float32) float32{Exp32, Sigmoid32, Tanh32} {
			assert.True(t, math.IsNaN(float64(f(float32(math.NaN())))))
		}
	})
	t.Run("the slice versions apply them to every element", func(t *testing.T) {
		x := []float32{-3, -0.5, 0, 0.25, 7}
		y, z := make([]float32, 5), make([]float32, 5)
		Sigmoid(y, x)
		Tanh(z, x)
		for i, v := range x {
			assert.Equal(t, Sigmoid32(v), y[i])
			assert.Equal(t, Tanh32(v), z[i])
		}
	})
}

// TestVectorActivationsAreTheScalarOnes checks that Sigmoid and Tanh, eight lanes
// at a time in assembly where the CPU has AVX2, give exactly Sigmoid32's and
// Tanh32's bits, on every length (the tail is done in Go) and special values.
func TestVectorActivationsAreTheScalarOnes(t *testing.T) {
	x := make([]float32, 0, 1<<16)
	for _, v := range []float64{0, math.Copysign(0, -1), 1e-30, -1e-30, 0.625, -0.625, 0.62499994, 88, -87, 89, -90, 1e30, -1e30,
		math.Inf(1), math.Inf(-1), math.NaN(), 1.5e-45} {
		x = append(x, float32(v))
	}
	s := uint32(7)
	for len(x) < cap(x) {
		s = s*1664525 + 1013904223
		// Random bits cover every exponent; the second half is in [-12, 12].
		v := math.Float32frombits(s)
		if len(x)%2 == 1 {
			v = float32(s>>8)/(1<<24)*24 - 12
		}
		x = append(x, v)
	}
	same := func(a, b float32) bool {
		return math.Float32bits(a) == math.Float32bits(b) || (a != a && b != b)
	}
	for _, n := range []int{0, 1, 7, 8, 9, 16, 23, len(x)} {
		y, z := make([]float32, n), make([]float32, n)
		Sigmoid(y, x[:n])
		Tanh(z, x[:n])
		for i, v := range x[:n] {
			if !same(y[i], Sigmoid32(v)) || !same(z[i], Tanh32(v)) {
				t.Fatalf("n=%d, x[%d] = %g: Sigmoid %g, Sigmoid32 %g; Tanh %g, Tanh32 %g", n, i, v, y[i], Sigmoid32(v), z[i], Tanh32(v))
			}
		}
	}
}

func BenchmarkActivations(b *testing.B) {
	x := make([]float32, 1024)
	for i := range x {
		x[i] = float32(i-512) / 100
	}
	y := make([]float32, len(x))
	b.Run("Sigmoid", func(b *testing.B) {
		for range b.N {
			Sigmoid(y, x)
		}
	})
	b.Run("Tanh", func(b *testing.B) {
		for range b.N {
			Tanh(y, x)
		}
	})
	b.Run("math sigmoid", func(b *testing.B) {
		for range b.N {
			for i, v := range x {
				y[i] = float32(1 / (1 + math.Exp(-float64(v))))
			}
		}
	})
	b.Run("math tanh", func(b *testing.B) {
		for range b.N {
			for i, v := range x {
				y[i] = float32(math.Tanh(float64(v)))
			}
		}
	})
}

func TestReluGrad32IsTheBranchingFormBitForBit(t *testing.T) {
	nan := float32(math.NaN())
	inf := float32(math.Inf(1))
	negZero := float32(math.Copysign(0, -1))
	values := []float32{0, negZero, 1e-45, -1e-45, 0.5, -0.5, 3, -3, inf, -inf, nan, math.MaxFloat32}
	for _, x := range values {
		for _, dy := range values {
			want := float32(0)
			if x > 0 {
				want = dy
			}
			assert.Equal(t, math.Float32bits(want), math.Float32bits(ReluGrad32(x, dy)), "x=%v dy=%v", x, dy)
		}
	}
}
