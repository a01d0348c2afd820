package nn

import (
	"strings"

	"github.com/dlgen/dlgen/ir"
)

// The 1-D layers work on (N, C, L) sequences, PyTorch's layout (Keras' with
// data_format="channels_first"). Each is the 2-D op of the same name on the view
// (N, C, 1, L) of its input, with a window of 1×k: Reshape is a view in generated
// code (no copy), and a convolution weight (O, I, k), PyTorch's Conv1d layout, is
// passed to Conv2D as its (O, I, 1, k) view, so the parameter keeps PyTorch's shape
// and name. See docs/decisions.md, "1-D layers as views of the 2-D ops".

// Options the 1-D layers accept (K, Strides, Pads and OutPad in their 1-D forms).
const (
	conv1DOpts   = convOpts | opt1D | optCausal
	deconv1DOpts = deconvOpts | opt1D
	pool1DOpts   = poolOpts | opt1D
)

// Conv1D is a 1-D convolution (cross-correlation, as PyTorch's Conv1d) of an (N, C,
// L) input with filters kernels of (C, k): weight "<name>.weight" of shape
// (filters, C, k) and bias "<name>.bias". Options: K (required, the window length),
// Strides (1), Valid (default), Same (Keras: output ceil(L/stride), any odd pad at
// the end), Full, Causal (Keras' padding="causal": k-1 before the sequence, none
// after, so output t sees inputs up to t), Pads(p) or Pads(left, right), Act,
// NoBias, KernelInit, BiasInit, Dilation(d) (1 by default; a kernel of k taps d
// apart spans (k-1)·d+1, which Same, Full and Causal pad for: Causal pads (k-1)·d,
// as Keras' dilated causal convolutions of WaveNet and TCN stacks). The default
// initializers are Conv2D's (Glorot uniform with fans C·k and filters·k, as Keras
// and torch.nn.init compute them).
func (t *T) Conv1D(name string, filters int, opts ...Option) *T {
	l := t.begin(name, "Conv1D", opts, conv1DOpts|optGroups)
	if l == nil {
		return t.failed()
	}
	x, ok := l.sequence(filters, "filters", true)
	if !ok {
		return l.m.failed()
	}
	x4 := view2D(x)
	k, s := l.c.kernel, l.strides([]int{1, 1})
	span := l.span(k)
	pads := l.pads(x4, span, s, true)
	if pads == nil || !l.dilated1D(x[2], k[1], span[1], pads[1], pads[3]) || !l.window1D(x[2], span[1], s[1], pads[1], pads[3], false) {
		return l.m.failed()
	}
	g, ok := l.groups(x[1], filters)
	if !ok {
		return l.m.failed()
	}
	w := l.param("weight", ir.Shape{filters, x[1] / g, k[1]}, ir.RoleWeight, irInit(l.c.kernelInit, ir.InitGlorotUniform, x[1]/g*k[1], filters*k[1]))
	w4 := l.op(ir.OpReshape, "weight_2d", ir.Attrs{Shape: ir.Shape{filters, x[1] / g, 1, k[1]}}, w)
	y := l.conv(l.in2D(x4), w4, x[1], filters, g, ir.Attrs{Strides: s, Pads: pads, Dilations: l.dilations()})
	return l.result(l.out1D(l.activate(l.bias(y, filters))))
}

// Conv1DTranspose is a 1-D transposed convolution, PyTorch's ConvTranspose1d, with
// weight "<name>.weight" of shape (C, filters, k) as PyTorch stores it. Padding
// follows Keras' Conv1DTranspose: Same gives an output of L·stride, Valid one of
// L·stride + max(k-stride, 0); Pads(p) or Pads(left, right) with OutPad(p) give
// PyTorch's padding and output_padding. Options as Conv1D without Full and Causal,
// plus OutPad; with Dilation(d), k above is the span (k-1)·d+1.
func (t *T) Conv1DTranspose(name string, filters int, opts ...Option) *T {
	l := t.begin(name, "Conv1DTranspose", opts, deconv1DOpts)
	if l == nil {
		return t.failed()
	}
	x, ok := l.sequence(filters, "filters", true)
	if !ok {
		return l.m.failed()
	}
	x4 := view2D(x)
	k, s := l.c.kernel, l.strides([]int{1, 1})
	span := l.span(k)
	pads, outPad, ok := l.deconvPads(x4, span, s, "Conv1DTranspose")
	if !ok {
		return l.m.failed()
	}
	if outPad[1] >= s[1] {
		return l.fail("nn.OutPad(%d) must be smaller than the stride %d", outPad[1], s[1])
	}
	if out := (x[2]-1)*s[1] - pads[1] - pads[3] + span[1] + outPad[1]; out < 1 {
		return l.fail("pads (%d, %d) leave an output of length %d", pads[1], pads[3], out)
	}
	// fan_in = filters·k, fan_out = C·k, as Conv2DTranspose reads its weight.
	w := l.param("weight", ir.Shape{x[1], filters, k[1]}, ir.RoleWeight, irInit(l.c.kernelInit, ir.InitGlorotUniform, filters*k[1], x[1]*k[1]))
	w4 := l.op(ir.OpReshape, "weight_2d", ir.Attrs{Shape: ir.Shape{x[1], filters, 1, k[1]}}, w)
	y := l.op(ir.OpConv2DTranspose, "", ir.Attrs{Strides: s, Pads: pads, OutPad: outPad, Dilations: l.dilations()}, l.in2D(x4), w4)
	return l.result(l.out1D(l.activate(l.bias(y, filters))))
}

// MaxPool1D takes the maximum of each window of an (N, C, L) input. Options: K
// (required), Strides (the pool size by default, as Keras and PyTorch), Valid
// (default), Same (padding that never wins) or Pads.
func (t *T) MaxPool1D(name string, opts ...Option) *T {
	return t.pool1D(name, "MaxPool1D", ir.OpMaxPool2D, opts)
}

// AvgPool1D takes the mean of each window of an (N, C, L) input. As AvgPool2D,
// with Same the padding is left out of the divisor (Keras); with explicit Pads it
// counts (PyTorch's count_include_pad). Options as MaxPool1D.
func (t *T) AvgPool1D(name string, opts ...Option) *T {
	return t.pool1D(name, "AvgPool1D", ir.OpAvgPool2D, opts)
}

func (t *T) pool1D(name, kind, op string, opts []Option) *T {
	l := t.begin(name, kind, opts, pool1DOpts)
	if l == nil {
		return t.failed()
	}
	x, ok := l.sequence(1, "", true)
	if !ok {
		return l.m.failed()
	}
	x4 := view2D(x)
	k := l.c.kernel
	s := l.strides(k)
	pads := l.pads(x4, k, s, false)
	if pads == nil || !l.window1D(x[2], k[1], s[1], pads[1], pads[3], true) {
		return l.m.failed()
	}
	a := ir.Attrs{Kernel: k, Strides: s, Pads: pads}
	if op == ir.OpAvgPool2D && l.c.padding == Same {
		a.Exclude = true
	}
	return l.result(l.out1D(l.op(op, "", a, l.in2D(x4))))
}

// GlobalAvgPool1D averages each channel of an (N, C, L) input to (N, C) (Keras'
// GlobalAveragePooling1D, PyTorch's AdaptiveAvgPool1d(1) flattened).
func (t *T) GlobalAvgPool1D(name string) *T {
	l := t.begin(name, "GlobalAvgPool1D", nil, 0)
	if l == nil {
		return t.failed()
	}
	x, ok := l.sequence(1, "", false)
	if !ok {
		return l.m.failed()
	}
	return l.result(l.op(ir.OpGlobalAvgPool2D, "", ir.Attrs{}, l.in2D(view2D(x))))
}

// GlobalMaxPool1D takes the maximum of each channel of an (N, C, L) input, (N, C)
// (Keras' GlobalMaxPooling1D, PyTorch's AdaptiveMaxPool1d(1) flattened). The
// gradient goes to the first maximum, as PyTorch's max pooling sends it (Keras'
// reduce_max splits it evenly between equal maxima).
func (t *T) GlobalMaxPool1D(name string) *T {
	l := t.begin(name, "GlobalMaxPool1D", nil, 0)
	if l == nil {
		return t.failed()
	}
	x, ok := l.sequence(1, "", false)
	if !ok {
		return l.m.failed()
	}
	return l.result(l.globalMax(l.in2D(view2D(x)), 1, x[2]))
}

// GlobalMaxPool2D takes the maximum of each channel of an (N, C, H, W) input, (N,
// C) (Keras' GlobalMaxPooling2D, PyTorch's AdaptiveMaxPool2d(1) flattened). The
// gradient goes to the first maximum in row-major order, as PyTorch's max pooling
// and MaxPool2D send it (Keras' reduce_max splits it evenly between equal maxima).
func (t *T) GlobalMaxPool2D(name string) *T {
	l := t.begin(name, "GlobalMaxPool2D", nil, 0)
	if l == nil {
		return t.failed()
	}
	x, ok := l.image(1, "", false)
	if !ok {
		return l.m.failed()
	}
	return l.result(l.globalMax(l.x(0), x[2], x[3]))
}

// globalMax is MaxPool2D with one window of h×w over node x (N, C, h, w), viewed
// as (N, C).
func (l *builder) globalMax(x, h, w int) int {
	y := l.op(ir.OpMaxPool2D, "", ir.Attrs{Kernel: []int{h, w}, Strides: []int{h, w}, Pads: []int{0, 0, 0, 0}}, x)
	if y < 0 {
		return y
	}
	return l.op(ir.OpReshape, "out", ir.Attrs{Shape: ir.Shape{l.m.g.Nodes[y].Shape[1]}}, y)
}

// UpSampling1D repeats each step of an (N, C, L) input size times (2 by default),
// (N, C, L·size), as Keras' UpSampling1D and PyTorch's Upsample(scale_factor=size)
// in mode "nearest".
func (t *T) UpSampling1D(name string, size ...int) *T {
	l := t.begin(name, "UpSampling1D", nil, 0)
	if l == nil {
		return t.failed()
	}
	if len(size) == 0 {
		size = []int{2}
	}
	if len(size) != 1 {
		return l.fail("UpSampling1D size takes one value, got %d", len(size))
	}
	if size[0] < 1 {
		return l.fail("UpSampling1D size %d must be positive", size[0])
	}
	x, ok := l.sequence(1, "", false)
	if !ok {
		return l.m.failed()
	}
	return l.result(l.out1D(l.op(ir.OpUpSample2D, "", ir.Attrs{Scale: []int{1, size[0]}}, l.in2D(view2D(x)))))
}

// sequence checks that input 0 is (N, C, L) and that count (of filters) is
// positive, and, when kernel is set, that the layer was given a window length.
func (l *builder) sequence(count int, what string, kernel bool) (ir.Shape, bool) {
	l.oneD = true
	x := l.shapes()[0]
	if count <= 0 {
		l.fail("%s %d must be positive", what, count)
		return nil, false
	}
	if x.Rank() != 3 {
		if x.Rank() == 4 {
			l.fail("needs an (N, C, L) input; for (N, C, H, W) images use %s", strings.Replace(l.kind, "1D", "2D", 1))
		} else {
			l.fail("needs an (N, C, L) input")
		}
		return nil, false
	}
	if kernel && l.c.kernel == nil {
		l.fail("needs a window length: nn.K(k)")
		return nil, false
	}
	return x, true
}

// view2D is the shape (N, C, 1, L) of an (N, C, L) sequence seen as an image.
func view2D(x ir.Shape) ir.Shape { return ir.Shape{x[0], x[1], 1, x[2]} }

// in2D appends "<layer>/in_2d", the view x4 of the layer's input.
func (l *builder) in2D(x4 ir.Shape) int {
	return l.op(ir.OpReshape, "in_2d", ir.Attrs{Shape: x4.Inner().Clone()}, l.x(0))
}

// out1D appends "<layer>/out", the view (N, C, L) of y (N, C, 1, L).
func (l *builder) out1D(y int) int {
	if y < 0 {
		return y
	}
	s := l.m.g.Nodes[y].Shape
	return l.op(ir.OpReshape, "out", ir.Attrs{Shape: ir.Shape{s[1], s[3]}}, y)
}

// dilated1D checks, in the layer's 1-D terms, that a kernel of k taps dilated to
// span steps fits n steps padded by lo and hi (window1D then checks the rest).
func (l *builder) dilated1D(n, k, span, lo, hi int) bool {
	if span != k && n+lo+hi < span {
		l.fail("kernel %d dilated by %d spans %d, longer than the padded input %d (length %d, pads (%d, %d))", k, l.c.dilation[1], span, n+lo+hi, n, lo, hi)
		return false
	}
	return true
}

// window1D checks, in the layer's 1-D terms, that a window of k with stride s fits
// n steps padded by lo and hi, and for pooling that every window sees an input
// step (the 2-D op would refuse the same in 2-D terms).
func (l *builder) window1D(n, k, s, lo, hi int, pool bool) bool {
	switch {
	case n+lo+hi < k:
		l.fail("kernel %d is longer than the padded input %d (length %d, pads (%d, %d))", k, n+lo+hi, n, lo, hi)
		return false
	case pool && (lo >= k || (ir.ConvOut(n, k, s, lo, hi)-1)*s-lo >= n):
		l.fail("pads (%d, %d) leave a window of %d with no input", lo, hi, k)
		return false
	}
	return true
}
