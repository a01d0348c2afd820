package nn

import (
	"fmt"
	"strings"

	"github.com/dlgen/dlgen/ir"
)

// Options each layer family accepts.
const (
	denseOpts  = optAct | optBias | optKernelInit | optBiasInit
	convOpts   = optKernel | optStrides | optPadding | denseOpts | optDilation
	deconvOpts = convOpts | optOutPad
	poolOpts   = optKernel | optStrides | optPadding
)

// Dense is a fully connected layer, PyTorch's Linear: y = x·Wᵀ + b with W of shape
// (units, features) named "<name>.weight" and b "<name>.bias". Like torch.nn.Linear
// and Keras' Dense it applies to the last axis of x: (N, features) gives (N, units),
// (N, T, features) gives (N, T, units), the same weights at every step of a sequence
// (a per-step classifier after an LSTM with ReturnSequences), and any (N, ...,
// features) gives (N, ..., units). An image (N, C, H, W) is therefore transformed
// along W: flatten it first (Flatten or GlobalAvgPool2D) for a layer over whole
// images. Options: Act, NoBias, KernelInit, BiasInit.
func (t *T) Dense(name string, units int, opts ...Option) *T {
	l := t.begin(name, "Dense", opts, denseOpts)
	if l == nil {
		return t.failed()
	}
	x := l.shapes()[0]
	if units <= 0 {
		return l.fail("units %d must be positive", units)
	}
	if x.Rank() < 2 {
		return l.fail("needs a feature axis after the batch, (N, features) or (N, ..., features)")
	}
	in := x[x.Rank()-1]
	// torch.nn.init._calculate_fan_in_and_fan_out on a (out, in) weight, whatever the
	// rank of x.
	w := l.param("weight", ir.Shape{units, in}, ir.RoleWeight, irInit(l.c.kernelInit, ir.InitGlorotUniform, in, units))
	// On (N, ..., features) the product is on the last axis (a MatMul of a stack of
	// rows) and so is the bias (BiasAddLast); on (N, features) BiasAdd, whose axis 1
	// is the last, keeps the graph every pass and fusion already knows.
	y := l.op(ir.OpMatMul, "", ir.Attrs{TransB: true}, l.x(0), w)
	if x.Rank() > 2 {
		return l.result(l.activate(l.biasOn(ir.OpBiasAddLast, y, units)))
	}
	return l.result(l.activate(l.bias(y, units)))
}

// Conv2D is a 2-D convolution (cross-correlation, as PyTorch's Conv2d) of an (N, C,
// H, W) input with filters kernels of (C, kh, kw), weight "<name>.weight" of shape
// (filters, C, kh, kw) and bias "<name>.bias". Options: K (required), Strides (1),
// Dilation (1), Valid (default), Same, Full or Pads, Act, NoBias, KernelInit,
// BiasInit. Same and Full pad for the dilated kernel's span.
func (t *T) Conv2D(name string, filters int, opts ...Option) *T {
	l := t.begin(name, "Conv2D", opts, convOpts|optGroups)
	if l == nil {
		return t.failed()
	}
	x, k, a, ok := l.convWindow(filters, "filters")
	if !ok {
		return l.m.failed()
	}
	g, ok := l.groups(x[1], filters)
	if !ok {
		return l.m.failed()
	}
	rf := k[0] * k[1]
	w := l.param("weight", ir.Shape{filters, x[1] / g, k[0], k[1]}, ir.RoleWeight, irInit(l.c.kernelInit, ir.InitGlorotUniform, x[1]/g*rf, filters*rf))
	y := l.conv(l.x(0), w, x[1], filters, g, a)
	return l.result(l.activate(l.bias(y, filters)))
}

// convWindow checks a 2-D convolution layer's input (count, named what, must be
// positive) and returns the input's shape, the kernel and the Conv2D attributes
// (strides, pads for the padding option, dilations), or false after recording an
// error.
func (l *builder) convWindow(count int, what string) (ir.Shape, []int, ir.Attrs, bool) {
	x, ok := l.image(count, what, true)
	if !ok {
		return nil, nil, ir.Attrs{}, false
	}
	k, s := l.c.kernel, l.strides([]int{1, 1})
	pads := l.pads(x, l.span(k), s, true)
	if pads == nil {
		return nil, nil, ir.Attrs{}, false
	}
	return x, k, ir.Attrs{Strides: s, Pads: pads, Dilations: l.dilations()}, true
}

// Conv2DTranspose is a transposed convolution, PyTorch's ConvTranspose2d, with
// weight "<name>.weight" of shape (C, filters, kh, kw) as PyTorch stores it. Padding
// follows Keras: Same gives an output of in·stride, Valid one of in·stride +
// max(kh-stride, 0) (PyTorch's (in-1)·stride + kh when kh ≥ stride). Pads with
// OutPad give PyTorch's padding and output_padding. Options as Conv2D, plus OutPad;
// Full does not apply. With Dilation, kh above is the dilated kernel's span
// (kh-1)·dh+1, as in both frameworks; OutPad must stay below the stride (PyTorch
// also accepts it below the dilation).
func (t *T) Conv2DTranspose(name string, filters int, opts ...Option) *T {
	l := t.begin(name, "Conv2DTranspose", opts, deconvOpts)
	if l == nil {
		return t.failed()
	}
	x, ok := l.image(filters, "filters", true)
	if !ok {
		return l.m.failed()
	}
	k, s := l.c.kernel, l.strides([]int{1, 1})
	pads, outPad, ok := l.deconvPads(x, l.span(k), s, "Conv2DTranspose")
	if !ok {
		return l.m.failed()
	}
	rf := k[0] * k[1]
	// torch.nn.init._calculate_fan_in_and_fan_out reads dimension 1 of the weight as
	// the inputs and 0 as the outputs whatever the layer, so for a (C, filters, kh,
	// kw) weight fan_in is filters·kh·kw and fan_out C·kh·kw.
	w := l.param("weight", ir.Shape{x[1], filters, k[0], k[1]}, ir.RoleWeight, irInit(l.c.kernelInit, ir.InitGlorotUniform, filters*rf, x[1]*rf))
	y := l.op(ir.OpConv2DTranspose, "", ir.Attrs{Strides: s, Pads: pads, OutPad: outPad, Dilations: l.dilations()}, l.x(0), w)
	return l.result(l.activate(l.bias(y, filters)))
}

// deconvPads returns the pads and output padding of a transposed convolution
// (kind names it in errors) over input x (N, C, H, W) for the layer's padding option,
// or false after recording an error.
func (l *builder) deconvPads(x ir.Shape, k, s []int, kind string) (pads, outPad []int, ok bool) {
	switch l.c.padding {
	case 0, Valid, Same:
		if l.c.outPad != nil {
			l.fail("%s chooses the output padding itself; use nn.OutPad with nn.Pads", l.padding())
			return nil, nil, false
		}
		// Keras computes these sizes as the adjoint of a convolution from an
		// in·stride (Same) or in·stride + max(k-s, 0) (Valid) input: the pads are
		// that convolution's, and rows the convolution never reads come back as
		// output padding at the end.
		pads, outPad = make([]int, 4), make([]int, 2)
		for a := range 2 {
			if l.c.padding == Same {
				pads[a], pads[a+2] = ir.SamePads(x[2+a]*s[a], k[a], s[a])
			}
			outPad[a] = max(s[a]-k[a], 0)
		}
	case Full:
		l.fail("nn.Full does not apply to %s (use nn.Valid, nn.Same or nn.Pads)", kind)
		return nil, nil, false
	case padExplicit:
		pads, outPad = l.c.pads, l.c.outPad
		if outPad == nil {
			outPad = []int{0, 0}
		}
	}
	return pads, outPad, true
}

// MaxPool2D takes the maximum of each window. Options: K (required), Strides (the
// pool size by default, as Keras and PyTorch), Valid (default), Same or Pads.
func (t *T) MaxPool2D(name string, opts ...Option) *T {
	return t.pool(name, "MaxPool2D", ir.OpMaxPool2D, opts)
}

// AvgPool2D takes the mean of each window. With Same the padding is left out of the
// divisor (Keras); with explicit Pads it counts (PyTorch's count_include_pad).
// Options as MaxPool2D.
func (t *T) AvgPool2D(name string, opts ...Option) *T {
	return t.pool(name, "AvgPool2D", ir.OpAvgPool2D, opts)
}

func (t *T) pool(name, kind, op string, opts []Option) *T {
	l := t.begin(name, kind, opts, poolOpts)
	if l == nil {
		return t.failed()
	}
	x, ok := l.image(1, "", true)
	if !ok {
		return l.m.failed()
	}
	k := l.c.kernel
	s := l.strides(k)
	pads := l.pads(x, k, s, false)
	if pads == nil {
		return l.m.failed()
	}
	a := ir.Attrs{Kernel: k, Strides: s, Pads: pads}
	if op == ir.OpAvgPool2D && l.c.padding == Same {
		a.Exclude = true
	}
	return l.result(l.op(op, "", a, l.x(0)))
}

// GlobalAvgPool2D averages each channel of an (N, C, H, W) input to (N, C).
func (t *T) GlobalAvgPool2D(name string) *T {
	l := t.begin(name, "GlobalAvgPool2D", nil, 0)
	if l == nil {
		return t.failed()
	}
	if _, ok := l.image(1, "", false); !ok {
		return l.m.failed()
	}
	return l.result(l.op(ir.OpGlobalAvgPool2D, "", ir.Attrs{}, l.x(0)))
}

// Flatten reshapes (N, d1, d2, ...) to (N, d1·d2·...) in row-major (NCHW) order, as
// PyTorch's Flatten does. (Keras flattens NHWC, so Dense weights after a Flatten are
// laid out differently there.)
func (t *T) Flatten(name string) *T {
	l := t.begin(name, "Flatten", nil, 0)
	if l == nil {
		return t.failed()
	}
	return l.result(l.op(ir.OpReshape, "", ir.Attrs{Shape: ir.Shape{l.shapes()[0].Elems()}}, l.x(0)))
}

// Reshape keeps the batch and reinterprets each example as dims (row-major); one
// dim may be -1 and is then inferred, as in PyTorch's view and Keras' Reshape.
func (t *T) Reshape(name string, dims ...int) *T {
	l := t.begin(name, "Reshape", nil, 0)
	if l == nil {
		return t.failed()
	}
	elems := l.shapes()[0].Elems()
	shape, infer, known := make(ir.Shape, len(dims)), -1, 1
	for i, d := range dims {
		switch {
		case d == -1 && infer < 0:
			infer = i
		case d <= 0:
			return l.fail("sizes %s must be positive, with at most one -1", ints(dims))
		default:
			known *= d
		}
		shape[i] = d
	}
	if len(dims) == 0 {
		return l.fail("needs the new size of each example")
	}
	if infer >= 0 {
		if elems%known != 0 {
			return l.fail("cannot reshape %d elements to %s", elems, ints(dims))
		}
		shape[infer] = elems / known
	}
	if shape.Elems() != elems {
		return l.fail("cannot reshape %d elements to %s", elems, ints(dims))
	}
	return l.result(l.op(ir.OpReshape, "", ir.Attrs{Shape: shape}, l.x(0)))
}

// UpSampling2D enlarges an (N, C, H, W) input by integer factors, as Keras'
// UpSampling2D and PyTorch's Upsample(scale_factor) do. Its arguments after the name
// are the factors, then options: UpSampling2D(name) doubles both axes, (name, s)
// multiplies both by s, (name, sh, sw) each by its own factor. By default it repeats
// rows and columns (nearest neighbour, or the option Nearest); with Bilinear it
// interpolates, with half-pixel centres:
//
//	h = h.UpSampling2D("up", 2, nn.Bilinear) // PyTorch mode="bilinear", align_corners=False
//
// (The factors are plain ints, so the arguments are of type any, as slog's are:
// anything but ints and options is an error naming the layer.)
func (t *T) UpSampling2D(name string, args ...any) *T {
	var size []int
	var opts []Option
	var bad []string
	for i, a := range args {
		switch v := a.(type) {
		case int:
			size = append(size, v)
		case Option:
			opts = append(opts, v)
		default:
			bad = append(bad, fmt.Sprintf("argument %d (%v, of type %T)", i+1, a, a))
		}
	}
	l := t.begin(name, "UpSampling2D", opts, optInterp)
	if l == nil {
		return t.failed()
	}
	if len(bad) > 0 {
		return l.fail("takes factors (ints) and options; %s is neither", bad[0])
	}
	if len(size) == 0 {
		size = []int{2}
	}
	sc, err := pair("UpSampling2D size", size, 1)
	if err != nil {
		return l.fail("%v", err)
	}
	if _, ok := l.image(1, "", false); !ok {
		return l.m.failed()
	}
	op := ir.OpUpSample2D
	if l.c.interp == Bilinear {
		op = ir.OpUpSampleBilinear2D
	}
	return l.result(l.op(op, "", ir.Attrs{Scale: sc}, l.x(0)))
}

// image checks that input 0 is (N, C, H, W) and that count (of filters) is positive,
// and, when kernel is set, that the layer was given a window size.
func (l *builder) image(count int, what string, kernel bool) (ir.Shape, bool) {
	x := l.shapes()[0]
	if count <= 0 {
		l.fail("%s %d must be positive", what, count)
		return nil, false
	}
	if x.Rank() != 4 {
		if x.Rank() == 3 {
			l.fail("needs an (N, C, H, W) input; for (N, C, L) sequences use %s", strings.Replace(l.kind, "2D", "1D", 1))
		} else {
			l.fail("needs an (N, C, H, W) input")
		}
		return nil, false
	}
	if kernel && l.c.kernel == nil {
		l.fail("needs a window size: nn.K(k) or nn.K(kh, kw)")
		return nil, false
	}
	return x, true
}

func (l *builder) strides(def []int) []int {
	if l.c.strides != nil {
		return l.c.strides
	}
	return append([]int(nil), def...)
}

// dilations is the layer's Dilation as the ir attribute: nil when it is 1 along
// both axes, so that an undilated layer's graph is the one it was without it.
func (l *builder) dilations() []int {
	d := l.c.dilation
	if d == nil || d[0] == 1 && d[1] == 1 {
		return nil
	}
	return append([]int(nil), d...)
}

// span is the extent of kernel k (kh, kw) with the layer's dilation: (k-1)·d+1 per
// axis, the window the padding and output sizes are computed for.
func (l *builder) span(k []int) []int {
	d := l.c.dilation
	if d == nil {
		return k
	}
	return []int{ir.DilatedKernel(k[0], d[0]), ir.DilatedKernel(k[1], d[1])}
}

func (l *builder) padding() Padding {
	if l.c.padding == 0 {
		return Valid
	}
	return l.c.padding
}

// pads returns {top, left, bottom, right} for the layer's padding option over input
// x, or nil after recording an error. Full applies to convolutions only.
func (l *builder) pads(x ir.Shape, k, s []int, conv bool) []int {
	switch l.padding() {
	case Same:
		t, b := ir.SamePads(x[2], k[0], s[0])
		le, r := ir.SamePads(x[3], k[1], s[1])
		return []int{t, le, b, r}
	case Full:
		if !conv {
			l.fail("nn.Full does not apply to pooling (use nn.Valid, nn.Same or nn.Pads)")
			return nil
		}
		return []int{k[0] - 1, k[1] - 1, k[0] - 1, k[1] - 1}
	case Causal:
		// Only Conv1D admits it (optCausal): all of it before the sequence.
		return []int{0, k[1] - 1, 0, 0}
	case padExplicit:
		return l.c.pads
	}
	return []int{0, 0, 0, 0}
}

// bias adds "<layer>.bias" of length n to the channels (axis 1) of node y unless
// the layer has NoBias.
func (l *builder) bias(y, n int) int { return l.biasOn(ir.OpBiasAdd, y, n) }

// biasOn is bias with op adding it: BiasAdd (axis 1) or BiasAddLast (the last axis).
func (l *builder) biasOn(op string, y, n int) int {
	if l.c.noBias {
		return y
	}
	b := l.param("bias", ir.Shape{n}, ir.RoleWeight, irInit(l.c.biasInit, ir.InitZeros, n, n))
	return l.op(op, "bias", ir.Attrs{}, y, b)
}

// activate applies the layer's Act option to y as node "<layer>/<activation>".
func (l *builder) activate(y int) int {
	if l.c.seen&optAct == 0 {
		return y
	}
	return l.applyAct(y, l.c.act, l.c.actArgs, l.c.act)
}

// applyAct appends activation act (already checked) of y as node suffix.
func (l *builder) applyAct(y int, act string, args []float64, suffix string) int {
	op := activations[act]
	if op == "" || y < 0 {
		return y
	}
	a := ir.Attrs{}
	switch {
	case op == ir.OpLeakyRelu:
		a.Alpha = defaultLeakySlope
	case op == ir.OpElu:
		a.Alpha = defaultEluAlpha
	case act == "gelu_tanh":
		a.Sub = ir.GeluTanh
	}
	if len(args) == 1 {
		a.Alpha = args[0]
	}
	// A Dense layer's last axis is its units, whatever the rank.
	if (op == ir.OpSoftmax || op == ir.OpLogSoftmax) && l.m.g.Nodes[y].Shape.Rank() == 4 && l.kind != "Dense" {
		if l.oneD { // a 1-D layer activates its (N, C, 1, L) view
			l.fail("%s is over the last axis, which for (N, C, L) is L and not the channels; reshape or flatten first", act)
		} else {
			l.fail("%s is over the last axis, which for (N, C, H, W) is W and not the channels; reshape or flatten first", act)
		}
		return -1
	}
	// ReLU6 and the hard sigmoid and swish built on it, as PyTorch computes them.
	sub := func(s string) string {
		if suffix == "" {
			return s
		}
		return suffix + "/" + s
	}
	switch act {
	case "relu6":
		a.Alpha = 6
	case "hard_sigmoid", "hard_swish":
		s := l.op(ir.OpAddScalar, sub("shift"), ir.Attrs{Alpha: 3}, y)
		c := l.op(ir.OpReluMax, sub("clip"), ir.Attrs{Alpha: 6}, s)
		if act == "hard_sigmoid" {
			return l.op(ir.OpScale, suffix, ir.Attrs{Alpha: 1.0 / 6}, c)
		}
		return l.op(ir.OpMul, suffix, ir.Attrs{}, y, l.op(ir.OpScale, sub("gate"), ir.Attrs{Alpha: 1.0 / 6}, c))
	}
	return l.op(op, suffix, a, y)
}

// Activation applies a named activation (see Act) as its own layer, the node named
// after the layer: x.Activation("act3", "leaky_relu", 0.2), x.Activation("g",
// "gelu_tanh").
func (t *T) Activation(name, act string, args ...float64) *T {
	l := t.begin(name, "Activation", nil, 0)
	if l == nil {
		return t.failed()
	}
	if err := checkAct(act, args); err != nil {
		return l.fail("%v", err)
	}
	if act == "linear" {
		// Keep the layer visible in the graph, and its name usable as an output.
		return l.result(l.op(ir.OpIdentity, "", ir.Attrs{}, l.x(0)))
	}
	return l.result(l.applyAct(l.x(0), act, args, ""))
}

// Relu is the Activation "relu".
func (t *T) Relu(name string) *T { return t.Activation(name, "relu") }

// Sigmoid is the Activation "sigmoid".
func (t *T) Sigmoid(name string) *T { return t.Activation(name, "sigmoid") }

// Tanh is the Activation "tanh".
func (t *T) Tanh(name string) *T { return t.Activation(name, "tanh") }

// Softmax is the Activation "softmax", over the last axis: class probabilities from
// (N, classes) logits.
func (t *T) Softmax(name string) *T { return t.Activation(name, "softmax") }

// LogSoftmax is the Activation "log_softmax", over the last axis: log-probabilities
// from (N, classes) logits, as PyTorch's F.log_softmax(x, dim=1) on them, computed
// stably (a class far below the others gets a large negative value, not -inf as
// the log of its softmax would). NLLLoss reads it.
func (t *T) LogSoftmax(name string) *T { return t.Activation(name, "log_softmax") }

// LeakyReLU is the Activation "leaky_relu" with an optional slope (0.01 by default).
func (t *T) LeakyReLU(name string, slope ...float64) *T {
	return t.Activation(name, "leaky_relu", slope...)
}

// ELU is the Activation "elu" with an optional alpha (1 by default, as PyTorch's
// ELU and Keras' elu).
func (t *T) ELU(name string, alpha ...float64) *T { return t.Activation(name, "elu", alpha...) }

// SELU is the Activation "selu", with PyTorch's constants.
func (t *T) SELU(name string) *T { return t.Activation(name, "selu") }

// Softplus is the Activation "softplus", ln(1 + e^x), and x above PyTorch's
// threshold of 20.
func (t *T) Softplus(name string) *T { return t.Activation(name, "softplus") }

// GELU is the Activation "gelu", the exact GELU x·Φ(x); its tanh approximation is
// the Activation "gelu_tanh".
func (t *T) GELU(name string) *T { return t.Activation(name, "gelu") }

// SiLU is the Activation "silu", x·sigmoid(x), also called swish.
func (t *T) SiLU(name string) *T { return t.Activation(name, "silu") }
