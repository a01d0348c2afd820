package rt

import (
	"fmt"
	"math"
	"testing"

	"github.com/stretchr/testify/require"
)

// Independent float64 implementations of the update equations, written from the
// papers' formulations (Ruder 2016 and the original papers) rather than from
// PyTorch's code: where the two differ in form (Adam's ε̂ = ε·√(1-β₂ᵗ) with the
// step size α·√(1-β₂ᵗ)/(1-β₁ᵗ), Dozat's m̂ for NAdam with an explicit product of μ),
// they are algebraically equal and the float32 implementation must agree to
// rounding.

// refOptimizer is one float64 step: t is 1-based, st holds the state by PyTorch's
// name, created on first use.
type refOptimizer func(t int, p, g []float64, st map[string][]float64)

func refSlot(st map[string][]float64, name string, n int, init float64) []float64 {
	s, ok := st[name]
	if !ok {
		s = make([]float64, n)
		for i := range s {
			s[i] = init
		}
		st[name] = s
	}
	return s
}

func withL2(g []float64, p []float64, wd float64) []float64 {
	d := make([]float64, len(g))
	for i := range g {
		d[i] = g[i] + wd*p[i]
	}
	return d
}

// refAdagrad: Duchi et al. 2011 diagonal form, G ← G + g², θ ← θ - η/(√G + ε)·g,
// with PyTorch's η = lr/(1 + (t-1)·decay) and G₀ = initial accumulator.
func refAdagrad(o Adagrad) refOptimizer {
	return func(t int, p, g []float64, st map[string][]float64) {
		d := withL2(g, p, o.WeightDecay)
		G := refSlot(st, "sum", len(p), o.InitialAccumulatorValue)
		eta := o.LR / (1 + float64(t-1)*o.LRDecay)
		for i := range p {
			G[i] += d[i] * d[i]
			p[i] -= eta / (math.Sqrt(G[i]) + o.Eps) * d[i]
		}
	}
}

// refAdadelta: Zeiler 2012 Algorithm 1, Δx = -RMS[Δx]ₜ₋₁/RMS[g]ₜ · g with
// RMS[y] = √(E[y²] + ε), scaled by PyTorch's lr.
func refAdadelta(o Adadelta) refOptimizer {
	return func(t int, p, g []float64, st map[string][]float64) {
		d := withL2(g, p, o.WeightDecay)
		eg, ex := refSlot(st, "square_avg", len(p), 0), refSlot(st, "acc_delta", len(p), 0)
		for i := range p {
			eg[i] = o.Rho*eg[i] + (1-o.Rho)*d[i]*d[i]
			dx := -math.Sqrt(ex[i]+o.Eps) / math.Sqrt(eg[i]+o.Eps) * d[i]
			ex[i] = o.Rho*ex[i] + (1-o.Rho)*dx*dx
			p[i] += o.LR * dx
		}
	}
}

// refRMSprop: Hinton's E[g²] and, centered, Graves 2013's E[g²] - E[g]².
func refRMSprop(o RMSprop) refOptimizer {
	return func(t int, p, g []float64, st map[string][]float64) {
		d := withL2(g, p, o.WeightDecay)
		eg2 := refSlot(st, "square_avg", len(p), 0)
		for i := range p {
			eg2[i] = o.Alpha*eg2[i] + (1-o.Alpha)*d[i]*d[i]
			variance := eg2[i]
			if o.Centered {
				eg := refSlot(st, "grad_avg", len(p), 0)
				eg[i] = o.Alpha*eg[i] + (1-o.Alpha)*d[i]
				variance -= eg[i] * eg[i]
			}
			step := d[i] / (math.Sqrt(variance) + o.Eps)
			if o.Momentum > 0 {
				b := refSlot(st, "momentum_buffer", len(p), 0)
				b[i] = o.Momentum*b[i] + step
				step = b[i]
			}
			p[i] -= o.LR * step
		}
	}
}

// refAdam: Kingma & Ba 2015, the "more efficient" ordering of §2:
// αₜ = α·√(1-β₂ᵗ)/(1-β₁ᵗ), θ ← θ - αₜ·m/(√v + ε̂) with ε̂ = ε·√(1-β₂ᵗ), which is
// PyTorch's eps added to √v̂. AMSGrad (Reddi et al. 2018) replaces v by its running
// maximum. Decoupled decay (Loshchilov & Hutter 2019) subtracts lr·λ·θ from the
// weights before the Adam step.
func refAdam(lr, beta1, beta2, eps, l2wd, decoupled float64, amsgrad bool) refOptimizer {
	return func(t int, p, g []float64, st map[string][]float64) {
		for i := range p {
			p[i] -= lr * decoupled * p[i]
		}
		d := withL2(g, p, l2wd)
		m, v := refSlot(st, "exp_avg", len(p), 0), refSlot(st, "exp_avg_sq", len(p), 0)
		c2 := math.Sqrt(1 - math.Pow(beta2, float64(t)))
		alpha := lr * c2 / (1 - math.Pow(beta1, float64(t)))
		for i := range p {
			m[i] = beta1*m[i] + (1-beta1)*d[i]
			v[i] = beta2*v[i] + (1-beta2)*d[i]*d[i]
			vv := v[i]
			if amsgrad {
				vm := refSlot(st, "max_exp_avg_sq", len(p), 0)
				vm[i] = math.Max(vm[i], v[i])
				vv = vm[i]
			}
			p[i] -= alpha * m[i] / (math.Sqrt(vv) + eps*c2)
		}
	}
}

// refAdamax: Kingma & Ba 2015 Algorithm 2, with PyTorch's ε inside the maximum.
func refAdamax(o Adamax) refOptimizer {
	return func(t int, p, g []float64, st map[string][]float64) {
		d := withL2(g, p, o.WeightDecay)
		m, u := refSlot(st, "exp_avg", len(p), 0), refSlot(st, "exp_inf", len(p), 0)
		for i := range p {
			m[i] = o.Beta1*m[i] + (1-o.Beta1)*d[i]
			u[i] = math.Max(o.Beta2*u[i], math.Abs(d[i])+o.Eps)
			p[i] -= o.LR / (1 - math.Pow(o.Beta1, float64(t))) * m[i] / u[i]
		}
	}
}

// refNAdam: Dozat 2016 Algorithm 2 with the μ schedule, products taken explicitly:
// m̂ = μₜ₊₁·m/(1-∏ᵢ≤ₜ₊₁ μᵢ) + (1-μₜ)·g/(1-∏ᵢ≤ₜ μᵢ), θ ← θ - lr·m̂/(√v̂ + ε).
func refNAdam(o NAdam) refOptimizer {
	mu := func(t int) float64 { return o.Beta1 * (1 - 0.5*math.Pow(0.96, float64(t)*o.MomentumDecay)) }
	return func(t int, p, g []float64, st map[string][]float64) {
		d := withL2(g, p, o.WeightDecay)
		m, v := refSlot(st, "exp_avg", len(p), 0), refSlot(st, "exp_avg_sq", len(p), 0)
		prod := 1.0
		for i := 1; i <= t; i++ {
			prod *= mu(i)
		}
		for i := range p {
			m[i] = o.Beta1*m[i] + (1-o.Beta1)*d[i]
			v[i] = o.Beta2*v[i] + (1-o.Beta2)*d[i]*d[i]
			mhat := mu(t+1)*m[i]/(1-prod*mu(t+1)) + (1-mu(t))*d[i]/(1-prod)
			vhat := v[i] / (1 - math.Pow(o.Beta2, float64(t)))
			p[i] -= o.LR * mhat / (math.Sqrt(vhat) + o.Eps)
		}
	}
}

// refCases are every optimizer with default and non-default hyper-parameters.
func refCases() []struct {
	opt Optimizer
	ref refOptimizer
} {
	type c = struct {
		opt Optimizer
		ref refOptimizer
	}
	var cs []c
	for _, o := range []Adagrad{*NewAdagrad(), {LR: 0.1, LRDecay: 0.05, WeightDecay: 0.1, InitialAccumulatorValue: 0.5, Eps: 1e-3}} {
		cs = append(cs, c{o, refAdagrad(o)})
	}
	for _, o := range []Adadelta{*NewAdadelta(), {LR: 0.5, Rho: 0.8, Eps: 1e-4, WeightDecay: 0.05}} {
		cs = append(cs, c{o, refAdadelta(o)})
	}
	for _, o := range []RMSprop{*NewRMSprop(), {LR: 0.01, Alpha: 0.99, Eps: 1e-8, Momentum: 0.9},
		{LR: 0.01, Alpha: 0.9, Eps: 1e-8, Centered: true}, {LR: 0.02, Alpha: 0.99, Eps: 1e-3, Momentum: 0.5, Centered: true, WeightDecay: 0.1}} {
		cs = append(cs, c{o, refRMSprop(o)})
	}
	for _, o := range []Adam{*NewAdam(), {LR: 0.05, Beta1: 0.8, Beta2: 0.99, Eps: 1e-3, WeightDecay: 0.1},
		{LR: 0.05, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, AMSGrad: true}, {LR: 0.05, Beta1: 0.5, Beta2: 0.9, Eps: 1e-8, AMSGrad: true, WeightDecay: 0.05}} {
		cs = append(cs, c{o, refAdam(o.LR, o.Beta1, o.Beta2, o.Eps, o.WeightDecay, 0, o.AMSGrad)})
	}
	for _, o := range []AdamW{*NewAdamW(), {LR: 0.05, Beta1: 0.8, Beta2: 0.99, Eps: 1e-8, WeightDecay: 0.3, AMSGrad: true}} {
		cs = append(cs, c{o, refAdam(o.LR, o.Beta1, o.Beta2, o.Eps, 0, o.WeightDecay, o.AMSGrad)})
	}
	for _, o := range []Adamax{*NewAdamax(), {LR: 0.05, Beta1: 0.7, Beta2: 0.9, Eps: 1e-2, WeightDecay: 0.1}} {
		cs = append(cs, c{o, refAdamax(o)})
	}
	for _, o := range []NAdam{*NewNAdam(), {LR: 0.05, Beta1: 0.8, Beta2: 0.99, Eps: 1e-8, WeightDecay: 0.1, MomentumDecay: 0.05},
		{LR: 0.05, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8}} {
		cs = append(cs, c{o, refNAdam(o)})
	}
	return cs
}

// refGrads are 10 steps of fixed gradients for 6 parameters, their scale swinging
// between 0.02 and 3 so that maxima, accumulators and momenta all matter; element 4
// gets a zero gradient at step 3.
func refGrads() (p0 []float32, grads [][]float32) {
	p0 = []float32{0.75, -1.5, 0.125, 2.5, -0.25, 1}
	scales := []float64{1, 3, 0.2, 0.02, 1.5, 0.05, 0.5, 2, 0.1, 1}
	for s, scale := range scales {
		g := make([]float32, len(p0))
		for i := range g {
			g[i] = float32(scale * math.Sin(float64(7*s+3*i+1)))
		}
		grads = append(grads, g)
	}
	grads[3][4] = 0
	return p0, grads
}

// TestOptimizersMatchFloat64Equations runs every optimizer for 10 steps and compares
// the float32 parameters and state with the float64 equations after every step, to
// |got-want| ≤ 1e-6·|want| + 1e-7 (float32 keeps 6e-8 relative per rounding; the
// absolute term covers values that pass near zero, see requireClose).
func TestOptimizersMatchFloat64Equations(t *testing.T) {
	p0, grads := refGrads()
	for _, c := range refCases() {
		t.Run(fmt.Sprintf("%T%+v follows its equations", c.opt, c.opt), func(t *testing.T) {
			n := len(p0)
			p := append([]float32(nil), p0...)
			state := make([]float32, len(c.opt.Slots())*n)
			ref := make([]float64, n)
			for i, v := range p0 {
				ref[i] = float64(v)
			}
			st := map[string][]float64{}
			for step, g := range grads {
				c.opt.Update(uint64(step), p, g, state)
				g64 := make([]float64, n)
				for i, v := range g {
					g64[i] = float64(v)
				}
				c.ref(step+1, ref, g64, st)
				requireClose(t, toF32(ref), p, 1e-6, 1e-7, "parameters after step ", step+1)
				require.Len(t, st, len(c.opt.Slots()))
				for s, name := range c.opt.Slots() {
					require.Contains(t, st, name)
					requireClose(t, toF32(st[name]), state[s*n:(s+1)*n], 1e-6, 1e-7, name, " after step ", step+1)
				}
			}
		})
	}
}

func toF32(x []float64) []float32 {
	y := make([]float32, len(x))
	for i, v := range x {
		y[i] = float32(v)
	}
	return y
}

// TestNAdamMuProductIsTheRunningProduct checks the closed form against the product
// PyTorch accumulates step by step, in float64, up to 10⁵ steps.
func TestNAdamMuProductIsTheRunningProduct(t *testing.T) {
	for _, c := range []struct{ beta1, psi float64 }{{0.9, 4e-3}, {0.8, 0.05}, {0.99, 1e-5}, {0.5, 2}, {0.9, 0}} {
		t.Run(fmt.Sprintf("beta1 %g momentum decay %g", c.beta1, c.psi), func(t *testing.T) {
			prod := 1.0
			for step := 1; step <= 100000; step++ {
				prod *= nadamMu(c.beta1, c.psi, float64(step))
				if step <= 1000 || step%997 == 0 {
					got := nadamMuProduct(c.beta1, c.psi, float64(step))
					// The running product itself carries ~step ulps of rounding. Below
					// 1e-300 it is subnormal, loses digits and no longer matters (the
					// optimizer uses 1-Πₜ).
					require.InDelta(t, prod, got, (1e-15*float64(step)+1e-14)*prod+1e-300, "step %d", step)
				}
			}
		})
	}
}

// TestNAdamLateStepsStayExact: at step 10⁶ the closed form still gives the limit
// coefficients (Πₜ → 0), without looping over the steps.
func TestNAdamLateStepsStayExact(t *testing.T) {
	require.Zero(t, nadamMuProduct(0.9, 4e-3, 1e6))
	o := NAdam{LR: 0.1, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, MomentumDecay: 4e-3}
	p, g, s := []float32{1}, []float32{0.5}, make([]float32, 2)
	require.Zero(t, testing.AllocsPerRun(5, func() { o.Update(1_000_000, p, g, s) }))
	require.False(t, math.IsNaN(float64(p[0])))
}
