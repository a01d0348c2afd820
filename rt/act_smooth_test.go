package rt

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
)

// Float64 references for the smooth activations, written to be accurate (not as
// PyTorch's float32 kernels compute them): the tests measure the float32 versions
// against them.
func refSigmoid(x float64) float64 {
	if x >= 0 {
		return 1 / (1 + math.Exp(-x))
	}
	e := math.Exp(x)
	return e / (1 + e)
}

func refElu(x, alpha float64) float64 {
	if x > 0 {
		return x
	}
	return alpha * math.Expm1(x)
}

func refEluGrad(x, alpha float64) float64 {
	if x > 0 {
		return 1
	}
	return alpha * math.Exp(x)
}

func refSoftplus(x float64) float64 {
	if x > SoftplusThreshold {
		return x
	}
	return math.Max(x, 0) + math.Log1p(math.Exp(-math.Abs(x)))
}

func refSoftplusGrad(x float64) float64 {
	if x > SoftplusThreshold {
		return 1
	}
	return refSigmoid(x)
}

func refGelu(x float64) float64 { return x * 0.5 * math.Erfc(-x/math.Sqrt2) }

func refGeluGrad(x float64) float64 {
	return 0.5*math.Erfc(-x/math.Sqrt2) + x*math.Exp(-x*x/2)/math.Sqrt(2*math.Pi)
}

func refGeluTanhArg(x float64) float64 { return 2 * math.Sqrt(2/math.Pi) * (x + 0.044715*x*x*x) }

func refGeluTanh(x float64) float64 { return x * refSigmoid(refGeluTanhArg(x)) }

func refGeluTanhGrad(x float64) float64 {
	s := refGeluTanhArg(x)
	sig, sigNeg := refSigmoid(s), refSigmoid(-s)
	return sig + 2*x*sig*sigNeg*math.Sqrt(2/math.Pi)*(1+3*0.044715*x*x)
}

func refSilu(x float64) float64 { return x * refSigmoid(x) }

func refSiluGrad(x float64) float64 { return refSigmoid(x) * (1 + x*refSigmoid(-x)) }

// smoothCase is one float32 function against its float64 reference on [lo, hi]:
// every result must satisfy |got - want| ≤ rel·max(|want|, floor) + 2^-147 (a few
// subnormal units, for results that underflow). rel is the bound each function's
// doc comment states, about 1.2 times the largest error measured; floor is the
// smallest normal float32, or 0.1 for the derivatives that cross 0 (GELU's and
// SiLU's), whose error is then absolute near the crossing.
type smoothCase struct {
	name       string
	f          func(float32) float32
	ref        func(float64) float64
	lo, hi     float64
	rel, floor float64
}

const minNormal32 = 0x1p-126

var smoothCases = []smoothCase{
	{"Erf32", Erf32, math.Erf, -6, 6, 1e-7, minNormal32},
	{"Erfc32", Erfc32, math.Erfc, -6, 13, 4.5e-7, minNormal32},
	{"expm1Neg32", expm1Neg32, math.Expm1, -100, 0, 1.5e-7, minNormal32},
	{"log1p32", log1p32, math.Log1p, 0, 1, 1.5e-7, minNormal32},
	{"Elu32 (alpha 1)", func(x float32) float32 { return Elu32(x, 1) }, func(x float64) float64 { return refElu(x, 1) }, -120, 30, 1.5e-7, minNormal32},
	{"EluGrad32 (alpha 0.7)", func(x float32) float32 { return EluGrad32(x, 1, 0.7) }, func(x float64) float64 { return refEluGrad(x, float64(float32(0.7))) }, -120, 30, 2e-7, minNormal32},
	{"Selu32", Selu32, func(x float64) float64 { return SeluScale * refElu(x, SeluAlpha) }, -120, 30, 2e-7, minNormal32},
	{"SeluGrad32", func(x float32) float32 { return SeluGrad32(x, 1) }, func(x float64) float64 { return SeluScale * refEluGrad(x, SeluAlpha) }, -120, 30, 2e-7, minNormal32},
	{"Softplus32", Softplus32, refSoftplus, -120, 30, 2e-7, minNormal32},
	{"SoftplusGrad32", func(x float32) float32 { return SoftplusGrad32(x, 1) }, refSoftplusGrad, -120, 30, 2e-7, minNormal32},
	{"Gelu32", Gelu32, refGelu, -20, 20, 4.5e-7, minNormal32},
	{"GeluGrad32", func(x float32) float32 { return GeluGrad32(x, 1) }, refGeluGrad, -20, 20, 7.5e-7, 0.1},
	{"GeluTanh32", GeluTanh32, refGeluTanh, -25, 25, 2.5e-7, minNormal32},
	{"GeluTanhGrad32", func(x float32) float32 { return GeluTanhGrad32(x, 1) }, refGeluTanhGrad, -25, 25, 7e-7, 0.1},
	{"Silu32", Silu32, refSilu, -160, 60, 2e-7, minNormal32},
	{"SiluGrad32", func(x float32) float32 { return SiluGrad32(x, 1) }, refSiluGrad, -160, 60, 4.5e-7, 0.1},
}

// TestSmoothActivationsMatchMath measures every float32 function against its
// float64 reference on a fine grid of its range, at random float32 values in it,
// and at the float32 neighbours of every point where its formula changes.
func TestSmoothActivationsMatchMath(t *testing.T) {
	edges := []float64{0, 0.35, -0.35, 0.5, -0.5, 0.70710678, -0.70710678, 4, -4, 9.3, 12.5, 13.19, -13.19, 17.3, -17.3,
		20, -20, 40, -87, -88, -151, 1, -1, 1.41421356, 1e-30, -1e-30, 1e-5, -1e-5}
	for _, tc := range smoothCases {
		t.Run(tc.name, func(t *testing.T) {
			var xs []float32
			const n = 200000
			for i := 0; i <= n; i++ {
				xs = append(xs, float32(tc.lo+(tc.hi-tc.lo)*float64(i)/n))
			}
			rng := rand.New(rand.NewPCG(1, 2))
			for range 100000 {
				xs = append(xs, float32(tc.lo+(tc.hi-tc.lo)*rng.Float64()))
			}
			for _, e := range edges {
				v := float32(e)
				for _, w := range []float32{math.Nextafter32(v, -1e9), v, math.Nextafter32(v, 1e9)} {
					if float64(w) >= tc.lo && float64(w) <= tc.hi {
						xs = append(xs, w)
					}
				}
			}
			worst, at := 0.0, float32(0)
			for _, x := range xs {
				got, want := float64(tc.f(x)), tc.ref(float64(x))
				scale := math.Max(math.Abs(want), tc.floor)
				err := math.Abs(got - want)
				if err > tc.rel*scale+0x1p-147 {
					t.Fatalf("%s(%g) = %.9g, want %.9g (relative error %.3g)", tc.name, x, got, want, err/scale)
				}
				if math.Abs(want) >= minNormal32 && err/scale > worst {
					worst, at = err/scale, x
				}
			}
			t.Logf("largest relative error %.3g (%.2f ulp) at x = %g", worst, worst/0x1p-24, at)
		})
	}
}

// The values at and around 0, at the thresholds and at large |x|: no overflow and
// no NaN at ±100 and ±800, the limits reached exactly.
func TestSmoothActivationsAtTheEnds(t *testing.T) {
	inf := float32(math.Inf(1))
	for _, x := range []float32{-800, -100, 100, 800, 1e30, -1e30} {
		for _, tc := range smoothCases {
			if tc.name == "expm1Neg32" && x > 0 || tc.name == "log1p32" {
				continue
			}
			y := float64(tc.f(x))
			assert.False(t, math.IsNaN(y) || math.IsInf(y, 0), "%s(%g) = %g", tc.name, x, y)
		}
	}
	// Exactly the identity (or 0) far out, as in float64.
	for _, x := range []float32{21, 100, 800, 1e30} {
		assert.Equal(t, x, Softplus32(x))
		assert.Equal(t, x, Gelu32(x))
		assert.Equal(t, x, GeluTanh32(x))
		assert.Equal(t, x, Silu32(x))
		assert.Equal(t, x, Elu32(x, 0.5))
		assert.Equal(t, float32(1), SoftplusGrad32(x, 1))
		assert.Equal(t, float32(1), GeluGrad32(x, 1))
		assert.Equal(t, float32(1), GeluTanhGrad32(x, 1))
		assert.Equal(t, float32(1), SiluGrad32(x, 1))
		assert.Equal(t, float32(1), EluGrad32(x, 1, 0.5))
		assert.Equal(t, float32(SeluScale), SeluGrad32(x, 1))
		for _, v := range []float32{Gelu32(-x), GeluTanh32(-x), GeluGrad32(-x, 1), GeluTanhGrad32(-x, 1)} {
			assert.Zero(t, v, "at %g", -x)
		}
		if x >= 800 { // e^-x underflows
			for _, v := range []float32{Silu32(-x), Softplus32(-x), SiluGrad32(-x, 1), SoftplusGrad32(-x, 1), EluGrad32(-x, 1, 0.5)} {
				assert.Zero(t, v, "at %g", -x)
			}
		}
		assert.Equal(t, float32(-0.5), Elu32(-x, 0.5))
		assert.Equal(t, -float32(SeluScale*SeluAlpha), Selu32(-x))
	}
	assert.Equal(t, float32(20.000000002), Softplus32(20), "at the threshold softplus is ln(1+e^20)")
	// At 0: PyTorch's values and derivatives.
	assert.Equal(t, float32(0), Elu32(0, 1))
	assert.Equal(t, float32(0.7), EluGrad32(0, 1, 0.7), "ELU's derivative at 0 is alpha, as PyTorch's")
	assert.Equal(t, float32(SeluScale*SeluAlpha), SeluGrad32(0, 1), "SELU's derivative at 0 is scale·alpha, as PyTorch's")
	assert.Equal(t, float32(math.Ln2), Softplus32(0))
	assert.Equal(t, float32(0.5), SoftplusGrad32(0, 1))
	for _, f := range []func(float32) float32{Gelu32, GeluTanh32, Silu32} {
		assert.Equal(t, float32(0), f(0))
		assert.Equal(t, float32(1e-30)*0.5, f(1e-30))
	}
	for _, f := range []func(float32, float32) float32{GeluGrad32, GeluTanhGrad32, SiluGrad32} {
		assert.Equal(t, float32(0.5), f(0, 1))
	}
	assert.Equal(t, float32(0), Erf32(0))
	assert.Equal(t, float32(1), Erfc32(0))
	assert.Equal(t, float32(1), Erf32(inf))
	assert.Equal(t, float32(-1), Erf32(-inf))
	assert.Equal(t, float32(0), Erfc32(inf))
	assert.Equal(t, float32(2), Erfc32(-inf))
	// NaN in, NaN out.
	nan := float32(math.NaN())
	for _, tc := range smoothCases {
		assert.True(t, math.IsNaN(float64(tc.f(nan))), "%s(NaN)", tc.name)
	}
}
