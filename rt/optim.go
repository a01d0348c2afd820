package rt

// Optimizer updates parameters from their gradients in a generated model's
// TrainStep. The model owns the optimizer state: for each parameter it keeps
// len(Slots()) arrays of len(p) values, zero before the first step, and passes them
// to Update concatenated (slot s is state[s·len(p):(s+1)·len(p)]).
//
// Implementations are values whose methods neither allocate nor keep references to
// their arguments, so TrainStep stays allocation-free.
type Optimizer interface {
	// Slots names the per-element state the optimizer keeps for every parameter,
	// as PyTorch's optimizer state_dict keys ("momentum_buffer", "exp_avg"). The
	// result must not be modified.
	Slots() []string
	// Update applies one step to parameter p with gradient g. step is the number of
	// steps taken before this one (0 on the first).
	Update(step uint64, p, g, state []float32)
}

// SGD is stochastic gradient descent with optional momentum, dampening, Nesterov
// momentum and L2 weight decay, with the update equations of PyTorch's torch.optim.SGD
// (which follow Sutskever et al., 2013, with the learning rate applied outside the
// velocity):
//
//	d = g + WeightDecay·p
//	b = d on the first step, else Momentum·b + (1-Dampening)·d
//	d = d + Momentum·b with Nesterov, else b          (only when Momentum ≠ 0)
//	p = p - LR·d
type SGD struct {
	LR          float32
	Momentum    float32
	Dampening   float32
	WeightDecay float32
	Nesterov    bool
}

var (
	noSlots       = []string{}
	momentumSlots = []string{"momentum_buffer"}
)

// Slots is "momentum_buffer" with momentum, else nothing.
func (o SGD) Slots() []string {
	if o.Momentum == 0 {
		return noSlots
	}
	return momentumSlots
}

// Update applies one SGD step.
func (o SGD) Update(step uint64, p, g, state []float32) {
	if o.Momentum == 0 {
		sgdStep(p, g, o.LR, o.WeightDecay)
		return
	}
	sgdMomentumStep(p, g, state[:len(p)], o.LR, o.WeightDecay, o.Momentum, 1-o.Dampening, step == 0, o.Nesterov)
}

// updateRange is Update on p[lo:hi] alone (UpdateP).
func (o SGD) updateRange(step uint64, p, g, state []float32, lo, hi int) {
	if o.Momentum == 0 {
		sgdStep(p[lo:hi], g[lo:hi], o.LR, o.WeightDecay)
		return
	}
	sgdMomentumStep(p[lo:hi], g[lo:hi], state[lo:hi], o.LR, o.WeightDecay, o.Momentum, 1-o.Dampening, step == 0, o.Nesterov)
}
