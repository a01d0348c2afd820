package nn

import (
	"fmt"

	"github.com/dlgen/dlgen/ir"
)

// Grouped and depthwise convolutions. A convolution with g groups (PyTorch's
// groups=g) splits the C input channels and the filters into g equal parts and
// convolves part i of the input with part i of the filters only: the weight is
// (filters, C/g, kh, kw), PyTorch's layout, and output channel o belongs to group
// o / (filters/g). Keras' DepthwiseConv2D is the case g = C with C·multiplier
// filters; its SeparableConv2D is that followed by a 1×1 Conv2D.
//
// The graph holds one Conv2D per group, on a Slice of the input's channels and a
// Slice of the weight's filters, and one Concat of their outputs along the
// channels, so every pass, kernel and gradient of the plain convolution applies
// unchanged (docs/decisions.md, "Grouped convolutions").

type groupsOpt int

// Groups splits a Conv2D's or Conv1D's input channels and filters into g groups,
// each convolved with its own (PyTorch's groups, Keras' Conv2D groups): g must
// divide both. The weight is (filters, C/g, kh, kw). Groups(1) is the plain
// convolution.
func Groups(g int) Option { return groupsOpt(g) }

func (g groupsOpt) String() string          { return fmt.Sprintf("nn.Groups(%d)", int(g)) }
func (g groupsOpt) apply(c *config) optKind { c.groups = int(g); return optGroups }

// groups is the layer's group count for an input of c channels and filters
// outputs, or false after recording an error.
func (l *builder) groups(c, filters int) (int, bool) {
	g := l.c.groups
	if l.c.seen&optGroups == 0 {
		g = 1
	}
	switch {
	case g < 1:
		l.fail("nn.Groups(%d) must be positive", g)
		return 0, false
	case c%g != 0:
		l.fail("nn.Groups(%d) must divide the %d input channels", g, c)
		return 0, false
	case filters%g != 0:
		l.fail("nn.Groups(%d) must divide the %d filters", g, filters)
		return 0, false
	}
	return g, true
}

// conv is the convolution of node x (N, C, H, W) by node w (filters, C/groups, kh,
// kw) with attributes a: one Conv2D, or with groups above 1 one Conv2D per group,
// named <layer>/group<i>, on <layer>/group<i>/x and <layer>/group<i>/weight, and the
// Concat of their outputs, named after the layer.
func (l *builder) conv(x, w, c, filters, groups int, a ir.Attrs) int {
	if groups == 1 {
		return l.op(ir.OpConv2D, "", a, x, w)
	}
	ci, fo := c/groups, filters/groups
	ys := make([]int, groups)
	for g := range groups {
		name := fmt.Sprintf("group%d", g)
		xg := l.op(ir.OpSlice, name+"/x", ir.Attrs{Axis: 1, Start: g * ci, End: (g + 1) * ci}, x)
		wg := l.op(ir.OpSlice, name+"/weight", ir.Attrs{Axis: 0, Start: g * fo, End: (g + 1) * fo}, w)
		ys[g] = l.op(ir.OpConv2D, name, a, xg, wg)
	}
	return l.op(ir.OpConcat, "", ir.Attrs{Axis: 1}, ys...)
}

// DepthwiseConv2D is Keras' DepthwiseConv2D: each of the C input channels convolved
// with its own multiplier kernels, C·multiplier output channels, channel c's outputs
// at c·multiplier … c·multiplier+multiplier-1 (PyTorch: Conv2d(C, C·multiplier, k,
// groups=C)). The weight "<name>.weight" is PyTorch's (C·multiplier, 1, kh, kw);
// Keras' depthwise_kernel (kh, kw, C, multiplier) holds the same numbers, with
// element [i, j, c, m] at [c·multiplier+m, 0, i, j]. Options as Conv2D without Groups;
// the default initializer is Keras' Glorot uniform for the depthwise kernel (fans
// C·kh·kw and multiplier·kh·kw).
func (t *T) DepthwiseConv2D(name string, multiplier int, opts ...Option) *T {
	l := t.begin(name, "DepthwiseConv2D", opts, convOpts)
	if l == nil {
		return t.failed()
	}
	x, k, a, ok := l.convWindow(multiplier, "depth multiplier")
	if !ok {
		return l.m.failed()
	}
	c, rf := x[1], k[0]*k[1]
	filters := c * multiplier
	w := l.param("weight", ir.Shape{filters, 1, k[0], k[1]}, ir.RoleWeight, irInit(l.c.kernelInit, ir.InitGlorotUniform, c*rf, multiplier*rf))
	y := l.conv(l.x(0), w, c, filters, c, a)
	return l.result(l.activate(l.bias(y, filters)))
}

// SeparableConv2D is Keras' SeparableConv2D with depth_multiplier 1: a depthwise
// convolution of each input channel with its own kh×kw kernel (the layer's window,
// strides, padding and dilation), then a 1×1 convolution to filters channels, then
// the bias and the activation. Weights: "<name>.depthwise_weight" (C, 1, kh, kw) and
// "<name>.pointwise_weight" (filters, C, 1, 1) in PyTorch's layout (Keras'
// depthwise_kernel (kh, kw, C, 1) and pointwise_kernel (1, 1, C, filters) hold the
// same numbers), and "<name>.bias". In PyTorch it is Conv2d(C, C, k, groups=C,
// bias=False) followed by Conv2d(C, filters, 1). Options as Conv2D without Groups;
// KernelInit applies to both kernels; the default is Keras' Glorot uniform with the
// fans Keras computes for each. A depth multiplier above 1 is DepthwiseConv2D then a
// 1×1 Conv2D.
func (t *T) SeparableConv2D(name string, filters int, opts ...Option) *T {
	l := t.begin(name, "SeparableConv2D", opts, convOpts)
	if l == nil {
		return t.failed()
	}
	x, k, a, ok := l.convWindow(filters, "filters")
	if !ok {
		return l.m.failed()
	}
	c, rf := x[1], k[0]*k[1]
	dw := l.param("depthwise_weight", ir.Shape{c, 1, k[0], k[1]}, ir.RoleWeight, irInit(l.c.kernelInit, ir.InitGlorotUniform, c*rf, rf))
	pw := l.param("pointwise_weight", ir.Shape{filters, c, 1, 1}, ir.RoleWeight, irInit(l.c.kernelInit, ir.InitGlorotUniform, c, filters))
	d := l.conv(l.x(0), dw, c, c, c, a)
	y := l.op(ir.OpConv2D, "pointwise", ir.Attrs{Strides: []int{1, 1}, Pads: []int{0, 0, 0, 0}}, d, pw)
	return l.result(l.activate(l.bias(y, filters)))
}
