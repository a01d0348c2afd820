package rt

import "math"

// The error function in float32, for the exact GELU (act_smooth.go). Two
// approximations, fitted for dlgen by rt/testdata/erf_fit.py (minimax relative error,
// coefficients rounded to float32):
//
//	erf(x)  = x + x·q(x²)                   for |x| < 1, q of degree 6
//	erfc(a) = exp(-a²)·R(a),  R(a) = t·P(t - 1/2), t = 1/(1 + a/2)   for a in [1/2, 12.5]
//
// R is erfcx, the scaled complementary error function, smooth and between 0.045
// and 0.62 on that interval; P has degree 8. exp(-a²) is computed from a split of
// a (expNegSq), so that the rounding of a² does not cost relative accuracy where
// a² is large. erf(a) for a ≥ 1 is 1 - erfc(a) (erfc(1) = 0.16, so erfc's error
// shrinks in it); erfc(a) for |a| < 1/2 is 1 - erf(a) (at least 0.48); and
// erfc(-a) = 2 - erfc(a).
// The errors measured against math.Erf and math.Erfc are in act_smooth_test.go:
// 1.4 ulp for erf, 6.3 ulp (3.8e-7) for erfc.

// Coefficients of q (erf near 0).
const (
	erfQ0 = 1.2837917e-01
	erfQ1 = -3.7612626e-01
	erfQ2 = 1.12835854e-01
	erfQ3 = -2.6853813e-02
	erfQ4 = 5.1883277e-03
	erfQ5 = -8.0101937e-04
	erfQ6 = 7.8538615e-05
)

// Coefficients of P (erfcx on [1/2, 12.5], in t - 1/2).
const (
	erfcP0 = 5.1079136e-01
	erfcP1 = 6.871607e-01
	erfcP2 = 5.589412e-01
	erfcP3 = 1.4577074e-01
	erfcP4 = -1.7190403e-01
	erfcP5 = -1.0363977e-01
	erfcP6 = 9.517887e-02
	erfcP7 = 5.2116416e-02
	erfcP8 = -5.5582546e-02
)

const (
	// erfNear0 serves |x| < erfNear0Max; erfcx32 serves a ≥ erfcMin.
	erfNear0Max = 1
	erfcMin     = 0.5
	// erfcMax: above it erfc is below half the smallest float32 (1.4e-45).
	erfcMax = 12.5
	// expTailScale is e^-64: expNegSq and expScaled compute e^v for v below expMin
	// as e^(v+64)·e^-64, so that results in float32's subnormal range keep what
	// precision they can instead of being clamped.
	expTailScale = 1.6038109e-28
	// expTailMin: below it, e^v is below half the smallest subnormal float32.
	expTailMin = -151
)

// erfNear0 is erf(x) for |x| < 1, within 1.5 ulp.
func erfNear0(x float32) float32 {
	s := float32(x * x)
	q := float32(erfQ6*s) + erfQ5
	q = float32(q*s) + erfQ4
	q = float32(q*s) + erfQ3
	q = float32(q*s) + erfQ2
	q = float32(q*s) + erfQ1
	q = float32(q*s) + erfQ0
	return x + float32(x*q)
}

// erfcx32 is e^(a²)·erfc(a) for a in [1/2, 12.5], within 4.3 ulp (erf_fit.py).
func erfcx32(a float32) float32 {
	t := 1 / (1 + float32(0.5*a))
	u := t - 0.5
	p := float32(erfcP8*u) + erfcP7
	p = float32(p*u) + erfcP6
	p = float32(p*u) + erfcP5
	p = float32(p*u) + erfcP4
	p = float32(p*u) + erfcP3
	p = float32(p*u) + erfcP2
	p = float32(p*u) + erfcP1
	p = float32(p*u) + erfcP0
	return float32(t * p)
}

// expNegSq returns c·e^(-k·v²) for k = 1 or 1/2. v is split as hi + (v - hi), hi
// keeping the top 12 bits of v's significand, so that hi² is exact and
// e^(-k·v²) = e^(-k·hi²)·e^(k·(hi-v)(hi+v)) loses no accuracy to the rounding of v²,
// which would cost up to 2·k·v²·2^-24 relative (1e-5 near v² = 87). c is applied
// before the smaller factor, so that a result in float32's subnormal range rounds
// once; below e^-151 the result is c·0.
func expNegSq(v, k, c float32) float32 {
	hi := math.Float32frombits(math.Float32bits(v) &^ 0xfff)
	h := float32(hi*hi) * k // exact
	d := float32(float32(hi-v)*(hi+v)) * k
	c = float32(c * Exp32(d))
	switch {
	case h <= -expMin:
		return float32(c * Exp32(-h))
	case h <= -expTailMin:
		return float32(float32(c*Exp32(64-h)) * expTailScale)
	}
	return c * 0
}

// Erf32 is the error function erf(x), within 1e-7 of math.Erf relative to the
// result (act_smooth_test.go). It is ±1 for |x| ≥ 4 (erf(4) rounds to 1) and NaN for NaN.
func Erf32(x float32) float32 {
	a := x
	if a < 0 {
		a = -a
	}
	switch {
	case a < erfNear0Max:
		return erfNear0(x)
	case a < 4:
		y := 1 - expNegSq(a, 1, erfcx32(a))
		if x < 0 {
			return -y
		}
		return y
	case a != a:
		return x
	case x < 0:
		return -1
	}
	return 1
}

// Erfc32 is the complementary error function erfc(x) = 1 - erf(x), within 4.5e-7
// of math.Erfc relative to the result where that is a normal float32
// (act_smooth_test.go);
// it is 0 for x ≥ 12.5, 2 for x ≤ -4 and NaN for NaN.
func Erfc32(x float32) float32 {
	switch {
	case x > -erfcMin && x < erfcMin:
		return 1 - erfNear0(x)
	case x >= erfcMin && x < erfcMax:
		return expNegSq(x, 1, erfcx32(x))
	case x <= -erfcMin && x > -4:
		return 2 - expNegSq(-x, 1, erfcx32(-x))
	case x != x:
		return x
	case x < 0:
		return 2
	}
	return 0
}
