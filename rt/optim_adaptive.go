package rt

import (
	"fmt"
	"math"
)

// Adaptive per-element learning-rate optimizers: Adagrad, Adadelta and RMSprop.
// The Adam family is in optim_adam.go.
//
// Conventions shared by every optimizer in this package:
//   - Hyper-parameters are float64 as in PyTorch, where they are Python floats: the
//     scalar factors of a step (bias corrections, decayed learning rates) are computed
//     in float64 and rounded to float32 once per Update; the per-element state and
//     arithmetic are float32, as torch's float32 tensors are.
//   - step in Update is the number of steps taken before this one, so PyTorch's
//     1-based step counter t is step+1.
//   - The state slots are zero before the first step (see Optimizer). Where PyTorch
//     starts a slot at another value (Adagrad's initial_accumulator_value), Update
//     adds it on step 0.
//   - WeightDecay is an L2 penalty added to the gradient, d = g + WeightDecay·p, as in
//     torch.optim; AdamW is the decoupled form.
//   - Update never allocates; New<Name>() returns a pointer holding PyTorch 1.13's
//     defaults, and pointers also implement LRSetter (schedule.go).
//
// References: S. Ruder, "An overview of gradient descent optimization algorithms",
// arXiv:1609.04747 (2016), and the paper named for each optimizer.

func sqrtF32(x float32) float32 { return float32(math.Sqrt(float64(x))) }

// Adagrad is torch.optim.Adagrad (Duchi, Hazan & Singer, "Adaptive Subgradient Methods
// for Online Learning and Stochastic Optimization", JMLR 2011; Ruder 2016 §4.3):
//
//	d   = g + WeightDecay·p
//	lr' = LR / (1 + step·LRDecay)                     (step counted from 0)
//	s   = s + d²                                       (s starts at InitialAccumulatorValue)
//	p   = p - lr'·d / (√s + Eps)
//
// Defaults (NewAdagrad, PyTorch 1.13): LR 0.01, LRDecay 0, WeightDecay 0,
// InitialAccumulatorValue 0, Eps 1e-10. State: "sum".
type Adagrad struct {
	LR                      float64
	LRDecay                 float64
	WeightDecay             float64
	InitialAccumulatorValue float64
	Eps                     float64
}

// NewAdagrad returns Adagrad with PyTorch 1.13's defaults.
func NewAdagrad() *Adagrad { return &Adagrad{LR: 1e-2, Eps: 1e-10} }

var adagradSlots = []string{"sum"}

// Slots is "sum", the accumulated squared gradients.
func (o Adagrad) Slots() []string { return adagradSlots }

// Update applies one Adagrad step.
func (o Adagrad) Update(step uint64, p, g, state []float32) {
	n := len(p)
	g, s := g[:n], state[:n]
	clr := float32(-o.LR / (1 + float64(step)*o.LRDecay))
	wd, eps := float32(o.WeightDecay), float32(o.Eps)
	init := float32(0)
	if step == 0 {
		init = float32(o.InitialAccumulatorValue)
	}
	adagradStep(p, g, s, adagradArgs{clr: clr, wd: wd, eps: eps, init: init, l2: wd != 0})
}

// adagradGo is Adagrad.Update's element loop; adagradStep runs it or its AVX-512
// form. The conversions round each added product (see optim_vec.go).
func adagradGo(p, g, s []float32, k adagradArgs) {
	g, s = g[:len(p)], s[:len(p)]
	for i, v := range p {
		d := g[i]
		if k.l2 {
			d += float32(k.wd * v)
		}
		s[i] += k.init
		s[i] += float32(d * d)
		p[i] = v + float32(k.clr*(d/(sqrtF32(s[i])+k.eps)))
	}
}

// Adadelta is torch.optim.Adadelta (Zeiler, "ADADELTA: An Adaptive Learning Rate
// Method", arXiv:1212.5701, 2012, Algorithm 1; Ruder 2016 §4.4), with PyTorch's extra
// learning rate scaling the step:
//
//	d  = g + WeightDecay·p
//	s  = Rho·s + (1-Rho)·d²                    (E[g²])
//	Δ  = √(a + Eps) / √(s + Eps) · d
//	a  = Rho·a + (1-Rho)·Δ²                    (E[Δx²])
//	p  = p - LR·Δ
//
// Defaults (NewAdadelta, PyTorch 1.13): LR 1.0, Rho 0.9, Eps 1e-6, WeightDecay 0.
// State: "square_avg" (s), "acc_delta" (a).
type Adadelta struct {
	LR          float64
	Rho         float64
	Eps         float64
	WeightDecay float64
}

// NewAdadelta returns Adadelta with PyTorch 1.13's defaults.
func NewAdadelta() *Adadelta { return &Adadelta{LR: 1, Rho: 0.9, Eps: 1e-6} }

var adadeltaSlots = []string{"square_avg", "acc_delta"}

// Slots is "square_avg" then "acc_delta".
func (o Adadelta) Slots() []string { return adadeltaSlots }

// Update applies one Adadelta step.
func (o Adadelta) Update(step uint64, p, g, state []float32) {
	n := len(p)
	g, s, a := g[:n], state[:n], state[n:2*n]
	rho, omr := float32(o.Rho), float32(1-o.Rho)
	lr, wd, eps := float32(-o.LR), float32(o.WeightDecay), float32(o.Eps)
	adadeltaStep(p, g, s, a, adadeltaArgs{lr: lr, rho: rho, omr: omr, wd: wd, eps: eps, l2: wd != 0})
}

// adadeltaGo is Adadelta.Update's element loop; adadeltaStep runs it or its AVX-512
// form.
func adadeltaGo(p, g, s, a []float32, k adadeltaArgs) {
	g, s, a = g[:len(p)], s[:len(p)], a[:len(p)]
	for i, v := range p {
		d := g[i]
		if k.l2 {
			d += float32(k.wd * v)
		}
		s[i] = float32(k.rho*s[i]) + float32(k.omr*d*d)
		delta := sqrtF32(a[i]+k.eps) / sqrtF32(s[i]+k.eps) * d
		a[i] = float32(k.rho*a[i]) + float32(k.omr*delta*delta)
		p[i] = v + float32(k.lr*delta)
	}
}

// RMSprop is torch.optim.RMSprop (Hinton, Neural Networks for Machine Learning,
// lecture 6e, 2012; Ruder 2016 §4.5; the centered variant is Graves, "Generating
// Sequences With Recurrent Neural Networks", arXiv:1308.0850, eq. 38-45):
//
//	d   = g + WeightDecay·p
//	s   = Alpha·s + (1-Alpha)·d²
//	m   = Alpha·m + (1-Alpha)·d                (Centered only)
//	den = √(s - m²) + Eps if Centered, else √s + Eps
//	b   = Momentum·b + d/den; p = p - LR·b     (Momentum > 0)
//	p   = p - LR·d/den                         (Momentum = 0)
//
// Note Eps is added outside the square root, as PyTorch does (Keras adds it inside).
// Defaults (NewRMSprop, PyTorch 1.13): LR 0.01, Alpha 0.99, Eps 1e-8, WeightDecay 0,
// Momentum 0, Centered false. State: "square_avg" (s), then "momentum_buffer" (b)
// with Momentum > 0, then "grad_avg" (m) when Centered.
type RMSprop struct {
	LR          float64
	Alpha       float64
	Eps         float64
	WeightDecay float64
	Momentum    float64
	Centered    bool
}

// NewRMSprop returns RMSprop with PyTorch 1.13's defaults.
func NewRMSprop() *RMSprop { return &RMSprop{LR: 1e-2, Alpha: 0.99, Eps: 1e-8} }

var (
	rmspropSlots                 = []string{"square_avg"}
	rmspropMomentumSlots         = []string{"square_avg", "momentum_buffer"}
	rmspropCenteredSlots         = []string{"square_avg", "grad_avg"}
	rmspropMomentumCenteredSlots = []string{"square_avg", "momentum_buffer", "grad_avg"}
)

// Slots is "square_avg", then "momentum_buffer" with Momentum > 0, then "grad_avg"
// when Centered (the order of PyTorch's state_dict).
func (o RMSprop) Slots() []string {
	switch {
	case o.Momentum > 0 && o.Centered:
		return rmspropMomentumCenteredSlots
	case o.Momentum > 0:
		return rmspropMomentumSlots
	case o.Centered:
		return rmspropCenteredSlots
	}
	return rmspropSlots
}

// Update applies one RMSprop step.
func (o RMSprop) Update(step uint64, p, g, state []float32) {
	n := len(p)
	g, s := g[:n], state[:n]
	next := n
	var buf, avg []float32
	if o.Momentum > 0 {
		buf = state[next : next+n]
		next += n
	}
	if o.Centered {
		avg = state[next : next+n]
	}
	alpha, oma := float32(o.Alpha), float32(1-o.Alpha)
	lr, wd, eps, mom := float32(-o.LR), float32(o.WeightDecay), float32(o.Eps), float32(o.Momentum)
	rmspropStep(p, g, s, buf, avg, rmspropArgs{lr: lr, alpha: alpha, oma: oma, wd: wd, eps: eps, mom: mom, l2: wd != 0})
}

// rmspropGo is RMSprop.Update's element loop (buf is nil without momentum, avg
// unless centered); rmspropStep runs it or its AVX-512 form.
func rmspropGo(p, g, s, buf, avg []float32, k rmspropArgs) {
	g, s = g[:len(p)], s[:len(p)]
	if buf != nil {
		buf = buf[:len(p)]
	}
	if avg != nil {
		avg = avg[:len(p)]
	}
	for i, v := range p {
		d := g[i]
		if k.l2 {
			d += float32(k.wd * v)
		}
		s[i] = float32(k.alpha*s[i]) + float32(k.oma*d*d)
		var den float32
		if avg != nil {
			avg[i] = float32(k.alpha*avg[i]) + float32(k.oma*d)
			den = sqrtF32(s[i]-float32(avg[i]*avg[i])) + k.eps
		} else {
			den = sqrtF32(s[i]) + k.eps
		}
		if buf != nil {
			buf[i] = float32(k.mom*buf[i]) + d/den
			p[i] = v + float32(k.lr*buf[i])
		} else {
			p[i] = v + float32(k.lr*(d/den))
		}
	}
}

// Validate reports hyper-parameters PyTorch rejects.
func (o Adagrad) Validate() error {
	return firstErr("Adagrad",
		nonNegative("LR", o.LR), nonNegative("LRDecay", o.LRDecay), nonNegative("WeightDecay", o.WeightDecay),
		nonNegative("InitialAccumulatorValue", o.InitialAccumulatorValue), nonNegative("Eps", o.Eps))
}

// Validate reports hyper-parameters PyTorch rejects.
func (o Adadelta) Validate() error {
	return firstErr("Adadelta",
		nonNegative("LR", o.LR), inRange("Rho", o.Rho, 0, 1, true), nonNegative("Eps", o.Eps),
		nonNegative("WeightDecay", o.WeightDecay))
}

// Validate reports hyper-parameters PyTorch rejects.
func (o RMSprop) Validate() error {
	return firstErr("RMSprop",
		nonNegative("LR", o.LR), nonNegative("Alpha", o.Alpha), nonNegative("Eps", o.Eps),
		nonNegative("WeightDecay", o.WeightDecay), nonNegative("Momentum", o.Momentum))
}

// fieldErr is a failed hyper-parameter check: the field's name and what is wrong.
type fieldErr struct{ field, msg string }

func nonNegative(field string, v float64) *fieldErr {
	if v >= 0 && !math.IsInf(v, 1) {
		return nil
	}
	return &fieldErr{field, fmt.Sprintf("= %g, want a finite value ≥ 0", v)}
}

// inRange checks lo ≤ v < hi, or lo ≤ v ≤ hi when closed.
func inRange(field string, v, lo, hi float64, closed bool) *fieldErr {
	if v >= lo && (v < hi || closed && v == hi) {
		return nil
	}
	bracket := ")"
	if closed {
		bracket = "]"
	}
	return &fieldErr{field, fmt.Sprintf("= %g is outside [%g, %g%s", v, lo, hi, bracket)}
}

// firstErr turns the first failed check into an *ArgError naming the optimizer.
func firstErr(opt string, checks ...*fieldErr) error {
	for _, c := range checks {
		if c != nil {
			return &ArgError{Method: "rt." + opt, Arg: c.field, Msg: c.msg}
		}
	}
	return nil
}
