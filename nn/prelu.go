package nn

import (
	"slices"

	"github.com/dlgen/dlgen/ir"
)

// preluOpt is PReLU's α layout: one α per channel, or Keras' α per element with
// some axes shared.
type preluOpt struct {
	perChannel bool
	shared     []int // Keras' shared_axes, counted from 1 after the batch
}

func (o preluOpt) String() string {
	if o.perChannel {
		return "nn.PerChannel"
	}
	return "nn.SharedAxes" + ints(o.shared)
}

func (o preluOpt) apply(c *config) optKind { c.prelu = o; return optPReLUAlpha }

// PerChannel gives PReLU one α per channel, axis 1 of the input (the C of
// (N, C, H, W), (N, C, L) or (N, C)): PyTorch's nn.PReLU(num_parameters=C).
var PerChannel Option = preluOpt{perChannel: true}

// SharedAxes gives PReLU Keras' α: one per element of the input after the batch,
// except along the axes listed, which share one α (Keras' shared_axes, counted as
// Keras counts them, from 1 for the first axis after the batch). SharedAxes() with no
// axis is Keras' shared_axes=None, an α per element. The axes are dlgen's, which are
// channels-first on images: a Keras image (N, H, W, C) with shared_axes=[1, 2] (one α
// per channel) is SharedAxes(2, 3) on dlgen's (N, C, H, W), the same as PerChannel.
// On (N, F) and (N, T, F) the layouts agree and Keras' axes carry over unchanged.
func SharedAxes(axes ...int) Option { return preluOpt{shared: append([]int{}, axes...)} }

// defaultPReLUInit is PyTorch's nn.PReLU init (Keras' alpha_initializer is "zeros":
// pass nn.KernelInit("zeros") for it).
const defaultPReLUInit = 0.25

// PReLU is the parametric ReLU, torch.nn.PReLU and Keras' PReLU: y = x where x > 0,
// else α·x, with α learned. By default there is one α for the whole input (PyTorch's
// num_parameters=1); PerChannel gives one per channel (axis 1), SharedAxes Keras'
// layout. The parameter is "<name>.weight", PyTorch's name: shape (1) for the one
// α and (C) for PerChannel, as PyTorch's, and for SharedAxes the input's shape after
// the batch with 1 along the shared axes, as Keras' alpha. It
// starts at 0.25 (PyTorch's init); KernelInit sets another initializer
// (KernelInit("zeros") is Keras' default, KernelInit("const", 0.1) PyTorch's
// init=0.1).
//
//	h := x.Conv2D("c1", 16, nn.K(3)).PReLU("act1", nn.PerChannel) // 16 α, one per channel
//	h = h.Flatten("flat").Dense("fc", 32).PReLU("act2")           // one α
//	s := seq.Dense("proj", 8).PReLU("act3", nn.SharedAxes(1), nn.KernelInit("zeros")) // Keras' PReLU(shared_axes=[1]): α per feature
func (t *T) PReLU(name string, opts ...Option) *T {
	l := t.begin(name, "PReLU", opts, optPReLUAlpha|optKernelInit)
	if l == nil {
		return t.failed()
	}
	x := l.shapes()[0]
	item := x.Inner()
	if len(item) == 0 {
		return l.fail("needs an input with an axis after the batch")
	}
	// α has PyTorch's weight shape for PyTorch's forms, (1) for one α and (C) per
	// channel (PReLU broadcasts it over x's axes past its last), and for Keras' form
	// x's shape after the batch with the shared axes of size 1, Keras' alpha.
	o := l.c.prelu
	var shape ir.Shape
	switch {
	case l.c.seen&optPReLUAlpha == 0:
		shape = ir.Shape{1}
	case o.perChannel:
		shape = ir.Shape{item[0]}
	default:
		shape = item.Clone()
		for i, a := range o.shared {
			if a < 1 || a > len(item) {
				return l.fail("%s: shared axis %d is not an axis of the input %s after the batch (1 to %d)", o, a, x, len(item))
			}
			if slices.Contains(o.shared[:i], a) {
				return l.fail("%s lists axis %d twice", o, a)
			}
			shape[a-1] = 1
		}
	}
	init := &ir.Init{Kind: ir.InitConst, Value: defaultPReLUInit}
	if l.c.kernelInit != nil {
		f := shape.Elems()
		init = irInit(l.c.kernelInit, ir.InitConst, f, f)
	}
	alpha := l.param("weight", shape, ir.RoleWeight, init)
	return l.result(l.op(ir.OpPReLU, "", ir.Attrs{}, l.x(0), alpha))
}
