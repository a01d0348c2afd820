package rt

// Float32 versions of the smooth activations ELU, SELU, softplus, GELU (exact and
// tanh approximation) and SiLU (swish), and of their derivatives, for generated
// code: the ops Elu, Selu, Softplus, Gelu and Silu and their gradient ops (ir/ops.go
// states the exact semantics, PyTorch's). Each XGrad32(x, dy, ...) returns dy times
// the derivative at x.
//
// They follow the mathematical function, not PyTorch's float32 arithmetic: where
// PyTorch's float32 kernels lose the digits of a small result (exp(x)-1 near 0 in
// ELU, 1+erf(x/√2) for negative x in GELU), these compute it to full relative
// accuracy (expm1Neg32, erfc). Results below float32's normal range (1.2e-38) come
// out subnormal or 0 rather than clamped by Exp32's range (expScaled). The largest
// errors against float64 math, measured by act_smooth_test.go, are stated on each
// function. Like Exp32, every product is converted to float32 before it is added,
// so that the compiler fuses nothing and every platform gives the same bits.

const (
	// SeluAlpha and SeluScale are the constants of SELU (Klambauer et al., 2017)
	// as torch.nn.SELU and Keras write them.
	SeluAlpha = 1.6732632423543772848170429916717
	SeluScale = 1.0507009873554804934193349852946
	// SoftplusThreshold is PyTorch's Softplus threshold (with beta = 1): above it
	// softplus(x) is x, and its derivative 1.
	SoftplusThreshold = 20

	seluScale      = float32(SeluScale)
	seluScaleAlpha = float32(SeluScale * SeluAlpha)

	invSqrt2   = 0.70710678118654752440 // 1/√2
	invSqrt2Pi = 0.39894228040143267794 // 1/√(2π)
	geluBeta   = 0.79788456080286535588 // √(2/π)
	geluKappa  = 0.044715
	// geluMax: for |x| above it, x²/2 > 151 and the exact GELU is x or 0 to
	// float32 precision (and its derivative 1 or 0).
	geluMax = 17.3
	// siluMax: above it SiLU's derivative 1 + x·e^-x·(…) rounds to 1.
	siluMax = 40
	// geluTanhMax: beyond ±20 the tanh GELU's derivative is 1 or 0 in float32.
	geluTanhMax = 20
)

// expScaled is c·e^v for any v ≤ 88, |c| ≤ 1000: Exp32's for v ≥ -87, and below
// that e^(v+64)·e^-64 applied after c, so that a subnormal result rounds once;
// c·0 below e^-151.
func expScaled(v, c float32) float32 {
	switch {
	case v < expTailMin:
		return c * 0
	case v < expMin:
		return float32(float32(c*Exp32(v+64)) * expTailScale)
	}
	return float32(c * Exp32(v)) // and NaN for NaN
}

// expm1Neg32 is e^x - 1 for x ≤ 0, within 1.5e-7 relative: a Taylor polynomial of degree 8
// near 0 (truncation below 1e-9 relative for |x| < 0.35), where Exp32(x) - 1 would
// lose the digits, and Exp32(x) - 1 below (where e^x - 1 < -0.29). It is -1 for
// x ≤ -17.4.
func expm1Neg32(x float32) float32 {
	if x > -0.35 {
		p := float32(x*(1.0/40320)) + 1.0/5040
		p = float32(p*x) + 1.0/720
		p = float32(p*x) + 1.0/120
		p = float32(p*x) + 1.0/24
		p = float32(p*x) + 1.0/6
		p = float32(p*x) + 0.5
		return x + float32(float32(x*x)*p)
	}
	return Exp32(x) - 1
}

// log1p32 is ln(1 + t) for t in [0, 1], within 1.5e-7 relative: with u = 1 + t rounded,
// ln(1 + t) = k·ln 2 + ln(1 + f) + (t - (u - 1))/u where u = 2^k·(1 + f) with
// 1 + f in [√½, √2], and ln(1 + f) = 2·atanh(s), s = f/(2 + f), written as
// f - (f²/2 - s·(f²/2 + R)) with R = Σ_{j≥1} 2·s^{2j}/(2j+1) to s⁸ (|s| < 0.172,
// truncation below 1e-9 relative).
func log1p32(t float32) float32 {
	u := 1 + t
	c := (t - (u - 1)) / u // the rounding of 1 + t, exactly, relative to u
	m, k := u, float32(0)
	if u > 1.41421356 {
		m, k = 0.5*u, 1
	}
	f := m - 1
	s := f / (2 + f)
	z := float32(s * s)
	r := float32(z*(2.0/9)) + 2.0/7
	r = float32(r*z) + 2.0/5
	r = float32(r*z) + 2.0/3
	r = float32(r * z)
	hfsq := float32(0.5 * float32(f*f))
	lf := f - (hfsq - float32(s*(hfsq+r)))
	return float32(k*ln2Hi) + (lf + (float32(k*ln2Lo) + c))
}

// Elu32 is ELU: x for x > 0, alpha·(e^x - 1) otherwise; within 1.5e-7 relative
// (2.2e-7 with alpha's rounding).
func Elu32(x, alpha float32) float32 {
	if x > 0 {
		return x
	}
	return float32(alpha * expm1Neg32(x))
}

// EluGrad32 is dy·ELU'(x): dy for x > 0, dy·alpha·e^x otherwise (alpha·dy at 0,
// as PyTorch); within 2e-7 relative.
func EluGrad32(x, dy, alpha float32) float32 {
	if x > 0 {
		return dy
	}
	return float32(dy * expScaled(x, alpha))
}

// Selu32 is SELU: SeluScale·x for x > 0, SeluScale·SeluAlpha·(e^x - 1) otherwise;
// within 2e-7 relative.
func Selu32(x float32) float32 {
	if x > 0 {
		return float32(seluScale * x)
	}
	return float32(seluScaleAlpha * expm1Neg32(x))
}

// SeluGrad32 is dy·SELU'(x): dy·SeluScale for x > 0, dy·SeluScale·SeluAlpha·e^x
// otherwise (the latter at 0, as PyTorch); within 2e-7 relative.
func SeluGrad32(x, dy float32) float32 {
	if x > 0 {
		return float32(dy * seluScale)
	}
	return float32(dy * expScaled(x, seluScaleAlpha))
}

// Softplus32 is softplus with PyTorch's threshold: x for x > 20, ln(1 + e^x)
// otherwise, computed as max(x, 0) + ln(1 + e^-|x|); within 2e-7 relative.
func Softplus32(x float32) float32 {
	switch {
	case x > SoftplusThreshold:
		return x
	case x < expMin:
		return expScaled(x, 1) // ln(1 + e^x) = e^x to float32 precision
	case x > 0:
		return x + log1p32(Exp32(-x))
	}
	return log1p32(Exp32(x))
}

// SoftplusGrad32 is dy·softplus'(x): dy for x > 20, dy·σ(x) otherwise; within
// 2e-7 relative.
func SoftplusGrad32(x, dy float32) float32 {
	switch {
	case x > SoftplusThreshold:
		return dy
	case x < expMin:
		return float32(dy * expScaled(x, 1))
	}
	return float32(dy * Sigmoid32(x))
}

// Gelu32 is the exact GELU, x·Φ(x) = x·(1 + erf(x/√2))/2, with Φ(x) for x ≤ -1/√2
// computed as erfc(|x|/√2)/2 (erf.go), so that small results keep their digits;
// within 4.5e-7 relative where the result is a normal float32, x above 17.3 and
// 0 below -17.3.
func Gelu32(x float32) float32 {
	a := x
	if a < 0 {
		a = -a
	}
	switch {
	case x > -erfcMin/invSqrt2 && x < erfNear0Max/invSqrt2:
		// h rounds (a subnormal x loses its last bit) before it is added: without the
		// conversion GOAMD64=v3 fuses 0.5·x into the addition (-0 instead of +0 at
		// x = -2^-149).
		h := float32(0.5 * x)
		return h + float32(h*erfNear0(float32(x*invSqrt2)))
	case a > geluMax:
		if x > 0 {
			return x
		}
		return x * 0
	}
	// q = x·erfc(a/√2)/2 = x·Φ(-a), computed as expNegSq(x, ½, x·erfcx(a/√2)/2).
	c := float32(float32(0.5*x) * erfcx32(float32(a*invSqrt2)))
	if x < 0 {
		return expNegSq(x, 0.5, c)
	}
	return x - expNegSq(x, 0.5, c)
}

// GeluGrad32 is dy·GELU'(x), GELU'(x) = Φ(x) + x·φ(x) with φ(x) = e^(-x²/2)/√(2π)
// the normal density: for x ≥ √2, Φ(x) = 1 - erfc(x/√2)/2, and for x ≤ -1/√2,
// Φ(x) = erfc(|x|/√2)/2, both sharing φ's factor e^(-x²/2). Within 7.5e-7 of the
// derivative relative to max(|GELU'(x)|, 0.1) (it crosses 0 at x = -0.75); 1
// above 17.3 and 0 below -17.3.
func GeluGrad32(x, dy float32) float32 {
	a := x
	if a < 0 {
		a = -a
	}
	var d float32
	switch {
	case x > -erfcMin/invSqrt2 && x < erfNear0Max/invSqrt2:
		phi := float32(Exp32(float32(-0.5*float32(x*x))) * invSqrt2Pi)
		d = 0.5 + float32(0.5*erfNear0(float32(x*invSqrt2))) + float32(x*phi)
	case a > geluMax:
		if x > 0 {
			return dy
		}
		return dy * 0
	case x < 0:
		half := float32(0.5 * erfcx32(float32(a*invSqrt2)))
		d = expNegSq(x, 0.5, half+float32(x*invSqrt2Pi))
	default:
		half := float32(0.5 * erfcx32(float32(a*invSqrt2)))
		d = 1 + expNegSq(x, 0.5, float32(x*invSqrt2Pi)-half)
	}
	return float32(dy * d)
}

// geluTanhArg is s = 2·√(2/π)·(x + 0.044715·x³), the argument of the sigmoid in
// x·σ(s) = x·(1 + tanh(s/2))/2, for |x| ≤ 20, and the rounding error of s: it is
// computed in float64 and rounded once, and callers use e^(s+ds) = e^s·(1+ds), so
// that the exponential, whose relative error is |s| times that of its argument,
// stays within a few ulp even where |s| is large (87 at x = -10.3).
func geluTanhArg(x float32) (s, ds float32) {
	v := float64(x)
	s64 := float64(2*geluBeta*v) * (1 + float64(geluKappa*float64(v*v)))
	s = float32(s64)
	return s, float32(s64 - float64(s))
}

// GeluTanh32 is GELU's tanh approximation (PyTorch approximate='tanh'),
// x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))/2, computed as x·σ(2·√(2/π)·(…)), which
// keeps the digits of small results; within 2.5e-7 relative where the result is
// a normal float32. It is x above 20 and 0 below -20.
func GeluTanh32(x float32) float32 {
	switch {
	case x > geluTanhMax:
		return x
	case x < -geluTanhMax:
		return x * 0
	}
	s, ds := geluTanhArg(x)
	if s < expMin {
		return expScaled(s, float32(x*(1+ds))) // σ(s) = e^s to float32 precision
	}
	return x / (1 + float32(Exp32(-s)*(1-ds)))
}

// GeluTanhGrad32 is dy times the derivative of GeluTanh32 as PyTorch writes it,
// (1 + tanh u)/2 + (x/2)·(1 - tanh² u)·√(2/π)·(1 + 3·0.044715·x²), computed with
// σ = σ(2u) = (1 + tanh u)/2, 1 - tanh² u = 4σ(1-σ) and 1-σ = σ·e^(-2u). Within
// 7e-7 of the derivative relative to max(|derivative|, 0.1) (it crosses 0 at
// x = -0.75); 1 above 20 and 0 below -20.
func GeluTanhGrad32(x, dy float32) float32 {
	switch {
	case x > geluTanhMax:
		return dy
	case x < -geluTanhMax:
		return dy * 0
	}
	s, ds := geluTanhArg(x)
	w := float32(float32(2*geluBeta*x) * (1 + float32(3*geluKappa*float32(x*x))))
	if s < expMin {
		return float32(dy * expScaled(s, float32((1+w)*(1+ds)))) // σ = e^s, 1-σ = 1
	}
	e := float32(Exp32(-s) * (1 - ds))
	sig := 1 / (1 + e)
	return float32(dy * float32(sig*(1+float32(w*float32(e*sig)))))
}

// Silu32 is SiLU (swish), x·σ(x); within 2e-7 relative where the result is a
// normal float32.
func Silu32(x float32) float32 {
	if x < expMin {
		return expScaled(x, x) // σ(x) = e^x to float32 precision
	}
	return x / (1 + Exp32(-x))
}

// SiluGrad32 is dy·SiLU'(x), SiLU'(x) = σ(x)·(1 + x·(1 - σ(x))) as PyTorch writes
// it, with 1 - σ(x) = σ(x)·e^-x; within 4.5e-7 of the derivative relative to
// max(|SiLU'(x)|, 0.1) (it crosses 0 at x = -1.28); 1 above 40.
func SiluGrad32(x, dy float32) float32 {
	switch {
	case x > siluMax:
		return dy
	case x < expMin:
		return float32(dy * expScaled(x, 1+x)) // σ = e^x, 1-σ = 1
	}
	e := Exp32(-x)
	sig := 1 / (1 + e)
	return float32(dy * float32(sig*(1+float32(x*float32(e*sig)))))
}
