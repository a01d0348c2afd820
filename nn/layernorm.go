package nn

import (
	"fmt"

	"github.com/dlgen/dlgen/ir"
)

type normShapeOpt []int

// NormShape sets the axes LayerNorm normalises over by their sizes, PyTorch's
// normalized_shape: NormShape(C, H, W) on an (N, C, H, W) image normalises each
// item over all three (Keras' LayerNormalization(axis=[1, 2, 3])), NormShape(H, W)
// each channel's plane. The sizes must be the input's last ones. By default LayerNorm
// normalises over the last axis alone.
func NormShape(dims ...int) Option { return normShapeOpt(append([]int(nil), dims...)) }

func (s normShapeOpt) String() string          { return "nn.NormShape" + ints(s) }
func (s normShapeOpt) apply(c *config) optKind { c.normShape = s; return optNormShape }

// affineOpt leaves out LayerNorm's bias β (center), its weight γ (scale) or both.
type affineOpt int

const (
	// NoAffine leaves out LayerNorm's weight and bias: y is the normalised x
	// (PyTorch's elementwise_affine=False, Keras' center=False, scale=False).
	NoAffine affineOpt = iota + 1
	// NoCenter leaves out LayerNorm's bias β (Keras' center=False).
	NoCenter
	// NoScale leaves out LayerNorm's weight γ (Keras' scale=False).
	NoScale
)

func (a affineOpt) String() string {
	switch a {
	case NoAffine:
		return "nn.NoAffine"
	case NoCenter:
		return "nn.NoCenter"
	case NoScale:
		return "nn.NoScale"
	}
	return fmt.Sprintf("nn.affineOpt(%d)", int(a))
}

func (a affineOpt) apply(c *config) optKind {
	switch a {
	case NoAffine:
		return optNoCenter | optNoScale
	case NoCenter:
		return optNoCenter
	case NoScale:
		return optNoScale
	}
	return 0
}

// LayerNorm normalises each item over its last axis (or the last axes NormShape
// names), as torch.nn.LayerNorm and Keras' LayerNormalization do: every row of
// those axes gets y = (x - mean)/sqrt(var + eps)·γ + β with the row's mean and
// biased variance, the same in training and inference (no running statistics, so
// unlike BatchNorm it does not depend on the batch). γ ("<name>.weight", ones) and β
// ("<name>.bias", zeros) have the normalised shape, PyTorch's parameter names.
//
//	h := x.Dense("fc1", 64).LayerNorm("ln1").Relu("act1")        // (N, 64): over the 64 features
//	s := seq.LSTM("enc", 32, nn.ReturnSequences).LayerNorm("ln") // (N, T, 32): each step
//	c := img.Conv2D("c1", 16, nn.K(3)).LayerNorm("ln_c", nn.NormShape(16, 26, 26)) // (N, 1, 28, 28) in: each item
//
// Options: Eps (1e-5, PyTorch's; Keras' is 1e-3), NormShape, NoAffine (PyTorch's
// elementwise_affine=False), NoCenter and NoScale (Keras' center=False,
// scale=False), and KernelInit and BiasInit for γ and β (Keras' gamma_initializer
// and beta_initializer; fans are the normalised size).
func (t *T) LayerNorm(name string, opts ...Option) *T {
	l := t.begin(name, "LayerNorm", opts, optEps|optNormShape|optNoCenter|optNoScale|optKernelInit|optBiasInit)
	if l == nil {
		return t.failed()
	}
	x := l.shapes()[0]
	features := x.Inner()
	if len(features) == 0 {
		return l.fail("needs an input with features after the batch")
	}
	eps := defaultEps
	if l.c.seen&optEps != 0 {
		eps = l.c.eps
	}
	k := 1
	if l.c.seen&optNormShape != 0 {
		ns := l.c.normShape
		if len(ns) == 0 {
			return l.fail("nn.NormShape() names no axis; give the sizes of the last axes to normalise over")
		}
		if len(ns) > len(features) {
			return l.fail("%s has %d axes but the input has %d after the batch", normShapeOpt(ns), len(ns), len(features))
		}
		if !ir.Shape(ns).Equal(x[x.Rank()-len(ns):]) {
			return l.fail("%s is not the input's last %d sizes %s", normShapeOpt(ns), len(ns), ints(x[x.Rank()-len(ns):]))
		}
		k = len(ns)
	}
	axis := x.Rank() - k
	shape := x[axis:].Clone()
	f := shape.Elems()
	in := []int{l.x(0)}
	scale, center := l.c.seen&optNoScale == 0, l.c.seen&optNoCenter == 0
	if !scale && l.c.kernelInit != nil {
		return l.fail("nn.KernelInit initialises γ, which nn.NoScale (or nn.NoAffine) leaves out")
	}
	if !center && l.c.biasInit != nil {
		return l.fail("nn.BiasInit initialises β, which nn.NoCenter (or nn.NoAffine) leaves out")
	}
	switch {
	case scale:
		in = append(in, l.param("weight", shape, ir.RoleWeight, irInit(l.c.kernelInit, ir.InitOnes, f, f)))
	case center:
		// β without γ: γ is a constant 1, not a parameter (it gets no gradient).
		in = append(in, l.op(ir.OpFill, "one", ir.Attrs{Shape: shape, Alpha: 1}))
	}
	if center {
		in = append(in, l.param("bias", shape.Clone(), ir.RoleWeight, irInit(l.c.biasInit, ir.InitZeros, f, f)))
	}
	return l.result(l.op(ir.OpLayerNorm, "", ir.Attrs{Axis: axis, Eps: eps}, in...))
}
