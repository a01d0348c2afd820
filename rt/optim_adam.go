package rt

import "math"

// The Adam family: Adam (and AMSGrad), AdamW, Adamax and NAdam. Conventions are in
// optim_adaptive.go.

// Adam is torch.optim.Adam (Kingma & Ba, "Adam: A Method for Stochastic
// Optimization", ICLR 2015, Algorithm 1; Ruder 2016 §4.6), with t = step+1:
//
//	d  = g + WeightDecay·p
//	m  = Beta1·m + (1-Beta1)·d
//	v  = Beta2·v + (1-Beta2)·d²
//	v' = max(v', v) with AMSGrad, else v' = v
//	p  = p - LR/(1-Beta1ᵗ) · m / (√v' / √(1-Beta2ᵗ) + Eps)
//
// Eps is added to the bias-corrected √v̂, as in PyTorch and the paper (some
// implementations add it before the correction). AMSGrad is Reddi, Kale & Kumar, "On
// the Convergence of Adam and Beyond", ICLR 2018, as PyTorch 1.13 implements it: the
// running maximum is taken of the uncorrected v and then divided by the same
// √(1-Beta2ᵗ) (the paper itself uses no bias correction).
//
// Defaults (NewAdam, PyTorch 1.13): LR 1e-3, Beta1 0.9, Beta2 0.999, Eps 1e-8,
// WeightDecay 0, AMSGrad false. State: "exp_avg" (m), "exp_avg_sq" (v), and
// "max_exp_avg_sq" (v') with AMSGrad.
type Adam struct {
	LR          float64
	Beta1       float64
	Beta2       float64
	Eps         float64
	WeightDecay float64
	AMSGrad     bool
}

// NewAdam returns Adam with PyTorch 1.13's defaults.
func NewAdam() *Adam { return &Adam{LR: 1e-3, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8} }

var (
	adamSlots        = []string{"exp_avg", "exp_avg_sq"}
	adamAMSGradSlots = []string{"exp_avg", "exp_avg_sq", "max_exp_avg_sq"}
)

// Slots is "exp_avg", "exp_avg_sq", and "max_exp_avg_sq" with AMSGrad.
func (o Adam) Slots() []string {
	if o.AMSGrad {
		return adamAMSGradSlots
	}
	return adamSlots
}

// Update applies one Adam step.
func (o Adam) Update(step uint64, p, g, state []float32) {
	adamUpdate(step, o.LR, o.Beta1, o.Beta2, o.Eps, o.WeightDecay, 0, o.AMSGrad, p, g, state, 0, len(p))
}

// updateRange is Update on p[lo:hi] alone (UpdateP).
func (o Adam) updateRange(step uint64, p, g, state []float32, lo, hi int) {
	adamUpdate(step, o.LR, o.Beta1, o.Beta2, o.Eps, o.WeightDecay, 0, o.AMSGrad, p, g, state, lo, hi)
}

// AdamW is torch.optim.AdamW: Adam with decoupled weight decay (Loshchilov & Hutter,
// "Decoupled Weight Decay Regularization", ICLR 2019, Algorithm 2 with the schedule
// multiplier η fixed at 1). The weights shrink before the Adam step instead of
// the decay entering the gradient:
//
//	p = p·(1 - LR·WeightDecay)
//	then Adam's step with the raw gradient g (see Adam)
//
// Defaults (NewAdamW, PyTorch 1.13): LR 1e-3, Beta1 0.9, Beta2 0.999, Eps 1e-8,
// WeightDecay 1e-2, AMSGrad false. State as Adam's.
type AdamW struct {
	LR          float64
	Beta1       float64
	Beta2       float64
	Eps         float64
	WeightDecay float64
	AMSGrad     bool
}

// NewAdamW returns AdamW with PyTorch 1.13's defaults.
func NewAdamW() *AdamW {
	return &AdamW{LR: 1e-3, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, WeightDecay: 1e-2}
}

// Slots is "exp_avg", "exp_avg_sq", and "max_exp_avg_sq" with AMSGrad.
func (o AdamW) Slots() []string { return Adam{AMSGrad: o.AMSGrad}.Slots() }

// Update applies one AdamW step.
func (o AdamW) Update(step uint64, p, g, state []float32) {
	adamUpdate(step, o.LR, o.Beta1, o.Beta2, o.Eps, 0, o.WeightDecay, o.AMSGrad, p, g, state, 0, len(p))
}

// updateRange is Update on p[lo:hi] alone (UpdateP).
func (o AdamW) updateRange(step uint64, p, g, state []float32, lo, hi int) {
	adamUpdate(step, o.LR, o.Beta1, o.Beta2, o.Eps, 0, o.WeightDecay, o.AMSGrad, p, g, state, lo, hi)
}

// adamUpdate is Adam with L2 weight decay l2 (added to the gradient) and decoupled
// decay dec (shrinking p first, AdamW); at most one is non-zero. It updates the
// elements lo … hi-1 of p (the state's slots are len(p) long).
func adamUpdate(step uint64, lr, beta1, beta2, eps, l2, dec float64, amsgrad bool, p, g, state []float32, lo, hi int) {
	n := len(p)
	g, m, v := g[lo:hi], state[lo:hi], state[n+lo:n+hi]
	var vmax []float32
	if amsgrad {
		vmax = state[2*n+lo : 2*n+hi]
	}
	p = p[lo:hi]
	t := float64(step) + 1
	stepSize := float32(-lr / (1 - math.Pow(beta1, t)))
	// 1/√(1-β₂ᵗ), multiplied rather than divided by: within an ulp of PyTorch's
	// division and a division cheaper per element.
	ibc2 := float32(1 / math.Sqrt(1-math.Pow(beta2, t)))
	b1, omb1 := float32(beta1), float32(1-beta1)
	b2, omb2 := float32(beta2), float32(1-beta2)
	wd, e := float32(l2), float32(eps)
	shrink := float32(1 - lr*dec)
	adamStep(p, g, m, v, vmax, adamArgs{stepSize: stepSize, ibc2: ibc2, b1: b1, omb1: omb1, b2: b2, omb2: omb2,
		wd: wd, eps: e, shrink: shrink, l2: wd != 0, decay: dec != 0})
}

// adamGo is adamUpdate's element loop (vmax is nil without AMSGrad); adamStep runs
// it or its AVX-512 form. The conversions round each added product (see optim_vec.go).
func adamGo(p, g, m, v, vmax []float32, k adamArgs) {
	g, m, v = g[:len(p)], m[:len(p)], v[:len(p)]
	if vmax != nil {
		vmax = vmax[:len(p)]
	}
	for i, w := range p {
		if k.decay {
			w *= k.shrink
		}
		d := g[i]
		if k.l2 {
			d += float32(k.wd * w)
		}
		m[i] = float32(k.b1*m[i]) + float32(k.omb1*d)
		v[i] = float32(k.b2*v[i]) + float32(k.omb2*d*d)
		vv := v[i]
		if vmax != nil {
			// !(a >= b) rather than b > a so that a NaN reaches the state, as
			// torch.maximum propagates it.
			if !(vmax[i] >= vv) {
				vmax[i] = vv
			}
			vv = vmax[i]
		}
		p[i] = w + float32(k.stepSize*(m[i]/(float32(sqrtF32(vv)*k.ibc2)+k.eps)))
	}
}

// Adamax is torch.optim.Adamax, the infinity-norm variant of Adam (Kingma & Ba 2015,
// §7.1, Algorithm 2; Ruder 2016 §4.7), with t = step+1:
//
//	d = g + WeightDecay·p
//	m = Beta1·m + (1-Beta1)·d
//	u = max(Beta2·u, |d| + Eps)
//	p = p - LR/(1-Beta1ᵗ) · m/u
//
// Eps sits inside the maximum, where PyTorch puts it (the paper has none); it keeps
// u > 0 when the gradient is 0 from the start.
//
// Defaults (NewAdamax, PyTorch 1.13): LR 2e-3, Beta1 0.9, Beta2 0.999, Eps 1e-8,
// WeightDecay 0. State: "exp_avg" (m), "exp_inf" (u).
type Adamax struct {
	LR          float64
	Beta1       float64
	Beta2       float64
	Eps         float64
	WeightDecay float64
}

// NewAdamax returns Adamax with PyTorch 1.13's defaults.
func NewAdamax() *Adamax { return &Adamax{LR: 2e-3, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8} }

var adamaxSlots = []string{"exp_avg", "exp_inf"}

// Slots is "exp_avg" then "exp_inf".
func (o Adamax) Slots() []string { return adamaxSlots }

// Update applies one Adamax step.
func (o Adamax) Update(step uint64, p, g, state []float32) {
	n := len(p)
	g, m, u := g[:n], state[:n], state[n:2*n]
	clr := float32(-o.LR / (1 - math.Pow(o.Beta1, float64(step)+1)))
	b1, omb1, b2 := float32(o.Beta1), float32(1-o.Beta1), float32(o.Beta2)
	wd, eps := float32(o.WeightDecay), float32(o.Eps)
	adamaxStep(p, g, m, u, adamaxArgs{clr: clr, b1: b1, omb1: omb1, b2: b2, wd: wd, eps: eps, l2: wd != 0})
}

// adamaxGo is Adamax.Update's element loop; adamaxStep runs it or its AVX-512 form.
func adamaxGo(p, g, m, u []float32, k adamaxArgs) {
	g, m, u = g[:len(p)], m[:len(p)], u[:len(p)]
	for i, w := range p {
		d := g[i]
		if k.l2 {
			d += float32(k.wd * w)
		}
		m[i] = float32(k.b1*m[i]) + float32(k.omb1*d)
		// A NaN in either operand propagates, as in torch.amax.
		a, b := k.b2*u[i], float32(math.Abs(float64(d)))+k.eps
		if !(a >= b) {
			a = b
		}
		u[i] = a
		p[i] = w + float32(k.clr*(m[i]/a))
	}
}

// NAdam is torch.optim.NAdam: Adam with Nesterov momentum (Dozat, "Incorporating
// Nesterov Momentum into Adam", ICLR 2016 workshop, Algorithm 2; Ruder 2016 §4.9),
// with the momentum schedule of Sutskever et al. (2013) that PyTorch uses. With
// t = step+1 and ψ = MomentumDecay:
//
//	μₜ  = Beta1·(1 - ½·0.96^(t·ψ))
//	Πₜ  = μ₁·μ₂·…·μₜ                          (PyTorch's "mu_product" state)
//	d   = g + WeightDecay·p
//	m   = Beta1·m + (1-Beta1)·d
//	v   = Beta2·v + (1-Beta2)·d²
//	den = √(v/(1-Beta2ᵗ)) + Eps
//	p   = p - LR·(1-μₜ)/(1-Πₜ) · d/den - LR·μₜ₊₁/(1-Πₜ·μₜ₊₁) · m/den
//
// These are the equations of PyTorch's NAdam documentation, of its foreach
// implementation and of PyTorch 2; PyTorch 1.13's default single-tensor path
// instead divides the last term by 1-Πₜ·μₜ·μₜ₊₁ (an extra μₜ, a bug fixed later),
// which changes the first few hundred steps.
//
// PyTorch keeps Πₜ as a float32 scalar updated each step; here it is a function of
// step alone (nadamMuProduct, float64), so the model's step counter is all the
// scalar state there is.
//
// Defaults (NewNAdam, PyTorch 1.13): LR 2e-3, Beta1 0.9, Beta2 0.999, Eps 1e-8,
// WeightDecay 0, MomentumDecay 4e-3. State: "exp_avg" (m), "exp_avg_sq" (v).
type NAdam struct {
	LR            float64
	Beta1         float64
	Beta2         float64
	Eps           float64
	WeightDecay   float64
	MomentumDecay float64
}

// NewNAdam returns NAdam with PyTorch 1.13's defaults.
func NewNAdam() *NAdam {
	return &NAdam{LR: 2e-3, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, MomentumDecay: 4e-3}
}

// Slots is "exp_avg" then "exp_avg_sq".
func (o NAdam) Slots() []string { return adamSlots }

// Update applies one NAdam step.
func (o NAdam) Update(step uint64, p, g, state []float32) {
	n := len(p)
	g, m, v := g[:n], state[:n], state[n:2*n]
	t := float64(step) + 1
	mu := nadamMu(o.Beta1, o.MomentumDecay, t)
	muNext := nadamMu(o.Beta1, o.MomentumDecay, t+1)
	prod := nadamMuProduct(o.Beta1, o.MomentumDecay, t)
	cg := float32(-o.LR * (1 - mu) / (1 - prod))
	cm := float32(-o.LR * muNext / (1 - prod*muNext))
	ibc2 := float32(1 / (1 - math.Pow(o.Beta2, t)))
	b1, omb1 := float32(o.Beta1), float32(1-o.Beta1)
	b2, omb2 := float32(o.Beta2), float32(1-o.Beta2)
	wd, eps := float32(o.WeightDecay), float32(o.Eps)
	nadamStep(p, g, m, v, nadamArgs{cg: cg, cm: cm, ibc2: ibc2, b1: b1, omb1: omb1, b2: b2, omb2: omb2,
		wd: wd, eps: eps, l2: wd != 0})
}

// nadamGo is NAdam.Update's element loop; nadamStep runs it or its AVX-512 form.
func nadamGo(p, g, m, v []float32, k nadamArgs) {
	g, m, v = g[:len(p)], m[:len(p)], v[:len(p)]
	for i, w := range p {
		d := g[i]
		if k.l2 {
			d += float32(k.wd * w)
		}
		m[i] = float32(k.b1*m[i]) + float32(k.omb1*d)
		v[i] = float32(k.b2*v[i]) + float32(k.omb2*d*d)
		// One division for both terms; PyTorch divides twice, which differs by an ulp.
		r := 1 / (sqrtF32(v[i]*k.ibc2) + k.eps)
		w += float32(k.cg * (d * r))
		p[i] = w + float32(k.cm*(m[i]*r))
	}
}

// nadamMu is the momentum coefficient μₜ = β₁·(1 - ½·0.96^(t·ψ)).
func nadamMu(beta1, psi, t float64) float64 {
	return beta1 * (1 - 0.5*math.Pow(0.96, t*psi))
}

// nadamMuProduct is Πₜ = μ₁·…·μₜ in closed form, so that a step costs the same at
// step 10 and step 10⁶. With r = 0.96^ψ, Πₜ = β₁ᵗ·∏ᵢ(1 - ½rⁱ) and, expanding each
// log(1 - ½rⁱ) as -Σⱼ (½rⁱ)ʲ/j and summing the geometric series over i,
//
//	log ∏ᵢ₌₁..ₜ (1 - ½rⁱ) = -Σⱼ≥₁ (½)ʲ/j · rʲ(1 - rʲᵗ)/(1 - rʲ),
//
// whose terms are positive and fall at least as fast as 2⁻ʲ. The ratio is evaluated
// with expm1 so that it stays exact for r close to 1 (ψ = 4e-3 gives r ≈ 0.99984).
func nadamMuProduct(beta1, psi, t float64) float64 {
	logBeta := t * math.Log(beta1)
	if psi == 0 { // every μ is β₁/2
		return math.Exp(logBeta + t*math.Log(0.5))
	}
	l := psi * math.Log(0.96) // log r < 0
	sum, half := 0.0, 1.0
	for j := 1.0; j <= 200; j++ {
		half *= 0.5
		// rʲ(1-rʲᵗ)/(1-rʲ) = e^{jl}·expm1(jlt)/expm1(jl)
		term := half / j * math.Exp(j*l) * (math.Expm1(j*l*t) / math.Expm1(j*l))
		sum += term
		if term <= sum*1e-18 {
			break
		}
	}
	return math.Exp(logBeta - sum)
}

// Validate reports hyper-parameters PyTorch rejects.
func (o Adam) Validate() error {
	return firstErr("Adam", adamChecks(o.LR, o.Beta1, o.Beta2, o.Eps, o.WeightDecay)...)
}

// Validate reports hyper-parameters PyTorch rejects.
func (o AdamW) Validate() error {
	return firstErr("AdamW", adamChecks(o.LR, o.Beta1, o.Beta2, o.Eps, o.WeightDecay)...)
}

// Validate reports hyper-parameters PyTorch rejects.
func (o Adamax) Validate() error {
	return firstErr("Adamax", adamChecks(o.LR, o.Beta1, o.Beta2, o.Eps, o.WeightDecay)...)
}

// Validate reports hyper-parameters PyTorch rejects.
func (o NAdam) Validate() error {
	return firstErr("NAdam", append(adamChecks(o.LR, o.Beta1, o.Beta2, o.Eps, o.WeightDecay),
		nonNegative("MomentumDecay", o.MomentumDecay))...)
}

func adamChecks(lr, beta1, beta2, eps, wd float64) []*fieldErr {
	return []*fieldErr{nonNegative("LR", lr), inRange("Beta1", beta1, 0, 1, false),
		inRange("Beta2", beta2, 0, 1, false), nonNegative("Eps", eps), nonNegative("WeightDecay", wd)}
}
