package nn

import (
	"github.com/dlgen/dlgen/ir"
	"github.com/dlgen/dlgen/rt"
)

// PyTorch's BatchNorm defaults.
const (
	defaultEps      = 1e-5
	defaultMomentum = 0.1
)

// BatchNorm normalises each channel (axis 1) of an (N, C, ...) input, with PyTorch's
// semantics and state_dict names: trainable "<name>.weight" (γ, ones) and
// "<name>.bias" (β, zeros), and state "<name>.running_mean" (zeros) and
// "<name>.running_var" (ones). Training uses the batch statistics and updates the
// running ones; inference uses the running ones. Options: Eps (1e-5), Momentum (0.1,
// PyTorch's convention).
func (t *T) BatchNorm(name string, opts ...Option) *T {
	l := t.begin(name, "BatchNorm", opts, optEps|optMomentum)
	if l == nil {
		return t.failed()
	}
	x := l.shapes()[0]
	if x.Rank() < 2 {
		return l.fail("needs an (N, C, ...) input with channels on axis 1")
	}
	eps, momentum := defaultEps, defaultMomentum
	if l.c.seen&optEps != 0 {
		eps = l.c.eps
	}
	if l.c.seen&optMomentum != 0 {
		momentum = l.c.momentum
	}
	c := ir.Shape{x[1]}
	gamma := l.param("weight", c, ir.RoleWeight, &ir.Init{Kind: ir.InitOnes})
	beta := l.param("bias", c.Clone(), ir.RoleWeight, &ir.Init{Kind: ir.InitZeros})
	mean := l.param("running_mean", c.Clone(), ir.RoleState, &ir.Init{Kind: ir.InitZeros})
	variance := l.param("running_var", c.Clone(), ir.RoleState, &ir.Init{Kind: ir.InitOnes})
	return l.result(l.op(ir.OpBatchNorm, "", ir.Attrs{Eps: eps, Momentum: momentum}, l.x(0), gamma, beta, mean, variance))
}

// Dropout zeroes each element with probability rate while training and scales the
// rest by 1/(1-rate) (inverted dropout, as PyTorch and Keras); at inference it is the
// identity. Its random stream seed is derived from the model's Seed and the layer
// name, rt.Bits(model seed, rt.NameStream(name), 0), so adding a layer leaves the
// other layers' masks unchanged; the Seed option sets it directly.
func (t *T) Dropout(name string, rate float64, opts ...Option) *T {
	l := t.begin(name, "Dropout", opts, optSeed)
	if l == nil {
		return t.failed()
	}
	if !(rate >= 0 && rate < 1) {
		return l.fail("rate %g must be in [0, 1)", rate)
	}
	seed := rt.Bits(l.m.seed, rt.NameStream(name), 0)
	if l.c.seen&optSeed != 0 {
		seed = l.c.seed
	}
	return l.result(l.op(ir.OpDropout, "", ir.Attrs{Rate: rate, Seed: seed}, l.x(0)))
}

// SpatialDropout2D drops whole channels: during training each channel of each item
// of an (N, C, H, W) or (N, C, L) input is zeroed with probability rate, as one, and
// the kept ones are scaled by 1/(1-rate); at inference it is the identity. PyTorch's
// Dropout2d and Dropout1d, Keras' SpatialDropout2D (in dlgen's channels-first
// layout). Neighbouring pixels of a feature map are correlated, so dropping them one
// by one regularises little (Tompson et al., 2015). Options and streams as Dropout.
func (t *T) SpatialDropout2D(name string, rate float64, opts ...Option) *T {
	return t.spatialDropout(name, "SpatialDropout2D", ir.DropoutChannels, rate, opts)
}

// SpatialDropout1D drops whole features of a sequence: during training each of the F
// features of each item of an (N, T, F) input is zeroed at every step together, with
// probability rate, and the kept ones are scaled by 1/(1-rate); at inference it is the
// identity. Keras' SpatialDropout1D, as NLP models use it after an Embedding. (For
// PyTorch's Dropout1d on a Conv1D's (N, C, L) output, which drops channels, use
// SpatialDropout2D.) Options and streams as Dropout.
func (t *T) SpatialDropout1D(name string, rate float64, opts ...Option) *T {
	return t.spatialDropout(name, "SpatialDropout1D", ir.DropoutFeatures, rate, opts)
}

func (t *T) spatialDropout(name, kind, sub string, rate float64, opts []Option) *T {
	l := t.begin(name, kind, opts, optSeed)
	if l == nil {
		return t.failed()
	}
	if !(rate >= 0 && rate < 1) {
		return l.fail("rate %g must be in [0, 1)", rate)
	}
	x := l.shapes()[0]
	switch {
	case sub == ir.DropoutChannels && x.Rank() != 3 && x.Rank() != 4:
		return l.fail("needs an (N, C, H, W) or (N, C, L) input")
	case sub == ir.DropoutFeatures && x.Rank() != 3:
		return l.fail("needs an (N, T, F) sequence")
	}
	seed := rt.Bits(l.m.seed, rt.NameStream(name), 0)
	if l.c.seen&optSeed != 0 {
		seed = l.c.seed
	}
	return l.result(l.op(ir.OpDropout, "", ir.Attrs{Rate: rate, Seed: seed, Sub: sub}, l.x(0)))
}
