package nn

import (
	"fmt"
	"math"
	"strings"

	"github.com/dlgen/dlgen/ir"
)

// Option configures one layer (or, for Seed, the model). Options are values, so a
// layer call reads like a Keras one: x.Conv2D("conv1", 6, nn.K(5), nn.Same,
// nn.Act("relu")). An option a layer does not take, or one given twice, is an error
// naming the layer.
type Option interface {
	// String prints the option as the user wrote it, for error messages.
	String() string
	apply(c *config) optKind
}

// optKind is the bit an option sets; each layer lists the kinds it accepts.
type optKind uint

const (
	optKernel optKind = 1 << iota
	optStrides
	optPadding
	optOutPad
	optBias
	optAct
	optKernelInit
	optBiasInit
	optEps
	optMomentum
	optSeed
	optFromLogits
	// The recurrent layers' own options (nn/rnn.go).
	optReturnSeq
	optRecAct
	optRecInit
	optInDropout
	optInitState
	optResetBefore
	optTorchInit
	// Sample's option (nn/vae.go).
	optSampleAtInference
	// Embedding's option (nn/embedding.go).
	optPaddingIdx
	// UpSampling2D's option.
	optInterp

	// Not options but properties of a layer, set in its allowed kinds: opt1D makes
	// K, Strides, Pads and OutPad take their 1-D forms (nn/layers1d.go); optCausal
	// admits the Causal padding.
	opt1D
	optCausal

	// Dilation's option, on the convolutions.
	optDilation

	// IgnoreIndex's option, on the sparse losses (nn/ignore.go).
	optIgnoreIndex

	// LayerNorm's options (nn/layernorm.go): the normalised shape, and leaving out
	// β (NoCenter) or γ (NoScale); NoAffine sets both.
	optNormShape
	optNoCenter
	optNoScale

	// MaskZero, on Embedding (nn/embedding.go).
	optMaskZero

	// Groups, on Conv2D and Conv1D (nn/groups.go).
	optGroups

	// PReLU's α layout (nn/prelu.go): PerChannel or SharedAxes.
	optPReLUAlpha
)

// config collects a layer's options. It is filled by the options exactly as given and
// then checked and normalised by check.
type config struct {
	kernel     []int // {kh, kw}; {1, k} for a 1-D layer
	strides    []int // {sh, sw}; {1, s} for a 1-D layer
	padding    Padding
	pads       []int // {top, left, bottom, right} when padding is padExplicit; {0, left, 0, right} for 1-D
	outPad     []int // {h, w}; {0, p} for 1-D
	noBias     bool
	act        string
	actArgs    []float64
	kernelInit *initSpec
	biasInit   *initSpec
	eps        float64
	momentum   float64
	seed       uint64
	fromLogits bool
	interp     Interpolation
	rnn        rnnConfig // recurrent layers (nn/rnn.go)
	paddingIdx int       // Embedding (nn/embedding.go)
	ignoreIdx  int       // the sparse losses (nn/ignore.go)
	dilation   []int     // {dh, dw}; {1, d} for a 1-D layer
	normShape  []int     // LayerNorm (nn/layernorm.go)
	groups     int       // Conv2D and Conv1D (nn/groups.go); 0 when not given
	prelu      preluOpt  // PReLU's α layout (nn/prelu.go)
	seen       optKind
}

// Padding chooses how a convolution or pooling window treats the borders.
type Padding int

const (
	// Valid uses no padding: windows stay inside the input (the default).
	Valid Padding = iota + 1
	// Same pads so that the output has ceil(in/stride) elements, with any odd pad at
	// the end (bottom, right), as Keras and TensorFlow do. For Conv2DTranspose the
	// output is in·stride, as in Keras.
	Same
	// Full pads kernel-1 on every side: every overlap of kernel and input is an output.
	Full
	// Causal pads kernel-1 at the start of a sequence and nothing at its end, so
	// that output t sees inputs up to t only and (with stride 1) the output is as
	// long as the input: Keras' Conv1D padding="causal". Conv1D only.
	Causal
	padExplicit // set by Pads
)

func (p Padding) String() string {
	switch p {
	case Valid:
		return "nn.Valid"
	case Same:
		return "nn.Same"
	case Full:
		return "nn.Full"
	case Causal:
		return "nn.Causal"
	}
	return fmt.Sprintf("nn.Padding(%d)", int(p))
}

func (p Padding) apply(c *config) optKind { c.padding = p; return optPadding }

// Interpolation chooses how UpSampling2D fills the rows and columns it adds.
type Interpolation int

const (
	// Nearest repeats each pixel (the default, as in Keras and PyTorch).
	Nearest Interpolation = iota + 1
	// Bilinear weighs the four nearest pixels with half-pixel centres: PyTorch's
	// Upsample(mode="bilinear") with align_corners=False, Keras' UpSampling2D with
	// interpolation="bilinear" (TensorFlow 2). Pixels beyond the border repeat the
	// border's.
	Bilinear
)

func (i Interpolation) String() string {
	switch i {
	case Nearest:
		return "nn.Nearest"
	case Bilinear:
		return "nn.Bilinear"
	}
	return fmt.Sprintf("nn.Interpolation(%d)", int(i))
}

func (i Interpolation) apply(c *config) optKind { c.interp = i; return optInterp }

type padsOpt []int

// Pads gives explicit zero padding: Pads(p) pads p on every side, Pads(ph, pw) pads
// ph rows above and below and pw columns left and right (PyTorch's padding=(ph, pw)),
// and Pads(top, left, bottom, right) pads each side separately (the ONNX order is
// top, left, bottom, right here; ONNX writes all begins then all ends). On the 1-D
// layers Pads(p) pads p at both ends (PyTorch's padding=p) and Pads(left, right)
// each end separately.
func Pads(p ...int) Option { return padsOpt(append([]int(nil), p...)) }

func (p padsOpt) String() string { return "nn.Pads" + ints(p) }
func (p padsOpt) apply(c *config) optKind {
	c.padding, c.pads = padExplicit, p
	return optPadding
}

type kernelOpt []int

// K sets the window size: K(k) is k×k, K(kh, kw) is kh×kw; on the 1-D layers K(k)
// is the window length.
func K(k ...int) Option { return kernelOpt(append([]int(nil), k...)) }

func (k kernelOpt) String() string          { return "nn.K" + ints(k) }
func (k kernelOpt) apply(c *config) optKind { c.kernel = k; return optKernel }

type stridesOpt []int

// Strides sets the window step: Strides(s) for both axes, Strides(sh, sw) per axis
// (one value on the 1-D layers). Convolutions default to 1; pooling defaults to the
// pool size, as in Keras and PyTorch.
func Strides(s ...int) Option { return stridesOpt(append([]int(nil), s...)) }

func (s stridesOpt) String() string          { return "nn.Strides" + ints(s) }
func (s stridesOpt) apply(c *config) optKind { c.strides = s; return optStrides }

type dilationOpt []int

// Dilation spreads a convolution's kernel taps apart (PyTorch's dilation, Keras'
// dilation_rate): Dilation(d) for both axes, Dilation(dh, dw) per axis, one value
// on the 1-D layers; 1 by default. Tap i reads the input i·d steps from the
// window's start, so a kernel of k taps spans (k-1)·d+1, and Same, Full, Causal and
// the output sizes are those of an undilated kernel of that span (Keras'; PyTorch's
// padding="same", for stride 1, pads the same). Strides above 1 may be combined with
// it, as PyTorch allows (Keras does not).
func Dilation(d ...int) Option { return dilationOpt(append([]int(nil), d...)) }

func (d dilationOpt) String() string          { return "nn.Dilation" + ints(d) }
func (d dilationOpt) apply(c *config) optKind { c.dilation = d; return optDilation }

type outPadOpt []int

// OutPad sets the extra output rows and columns of a Conv2DTranspose with explicit
// Pads (PyTorch's output_padding): OutPad(p) or OutPad(ph, pw); on Conv1DTranspose
// OutPad(p), the extra steps at the end. Valid and Same choose it themselves.
func OutPad(p ...int) Option { return outPadOpt(append([]int(nil), p...)) }

func (p outPadOpt) String() string          { return "nn.OutPad" + ints(p) }
func (p outPadOpt) apply(c *config) optKind { c.outPad = p; return optOutPad }

// Flag is an option without arguments.
type Flag int

const (
	// NoBias leaves out the bias of Dense and of the convolutions (as before a
	// BatchNorm, which has its own shift).
	NoBias Flag = iota + 1
	// FromLogits tells a cross-entropy loss that its prediction is raw scores, not
	// probabilities, so it can use the numerically stable fused form.
	FromLogits
	// MaskZero is Keras' Embedding(mask_zero=True): id 0 pads, and the recurrent
	// layers that read the embedding skip its steps (see Embedding).
	MaskZero
)

func (f Flag) String() string {
	switch f {
	case NoBias:
		return "nn.NoBias"
	case FromLogits:
		return "nn.FromLogits"
	case MaskZero:
		return "nn.MaskZero"
	}
	return fmt.Sprintf("nn.Flag(%d)", int(f))
}

func (f Flag) apply(c *config) optKind {
	switch f {
	case NoBias:
		c.noBias = true
		return optBias
	case FromLogits:
		c.fromLogits = true
		return optFromLogits
	case MaskZero:
		return optMaskZero
	}
	return 0 // not an option any layer takes: reported by check
}

type actOpt struct {
	name string
	args []float64
}

// Act sets the activation applied after a layer: "linear" (none, the default),
// "relu", "sigmoid", "tanh", "softmax" (over the last axis), "leaky_relu" with an
// optional slope (Act("leaky_relu", 0.2); 0.01 by default, as PyTorch's LeakyReLU),
// or one of the smooth activations, each as PyTorch 1.13 computes it (ir/ops.go):
//
//	"elu"        x for x > 0, alpha·(e^x - 1) otherwise, with an optional alpha
//	             (Act("elu", 0.5); 1 by default, as PyTorch's ELU and Keras' elu)
//	"selu"       SELU, scale·elu(x, alpha) with PyTorch's constants
//	"softplus"   ln(1 + e^x), and x above 20 (PyTorch's threshold; equal to Keras'
//	             softplus in float32)
//	"gelu"       the exact GELU, x·Φ(x) = x·(1 + erf(x/√2))/2 (PyTorch's default,
//	             Keras' approximate=False)
//	"gelu_tanh"  GELU's tanh approximation (PyTorch approximate='tanh', Keras
//	             approximate=True)
//	"swish", "silu"  x·sigmoid(x), two names of one function (PyTorch's SiLU)
//
// "log_softmax", log(softmax(x)) over the last axis computed stably as
// x - max - ln Σ exp(x - max) (PyTorch's log_softmax(x, dim=-1), Keras'
// log_softmax), the input NLLLoss expects, and the piecewise-linear ones of
// MobileNet:
//
//	"relu6"         min(max(x, 0), 6) (PyTorch's ReLU6, Keras' relu6); no gradient
//	                at 0 or 6, as PyTorch's
//	"hard_sigmoid"  relu6(x + 3)/6 (PyTorch's Hardsigmoid, Keras 3's hard_sigmoid;
//	                Keras 2's was clip(0.2·x + 0.5, 0, 1))
//	"hard_swish"    x·relu6(x + 3)/6 (PyTorch's Hardswish, Keras 3's hard_swish);
//	                its gradient at exactly x = ±3 is the one-sided 1 and 0 where
//	                PyTorch's backward gives 1.5 and 0
//
// The recurrent layers take tanh, sigmoid, relu and linear only.
func Act(name string, args ...float64) Option {
	return actOpt{name, append([]float64(nil), args...)}
}

func (a actOpt) String() string {
	if len(a.args) == 0 {
		return fmt.Sprintf("nn.Act(%q)", a.name)
	}
	return fmt.Sprintf("nn.Act(%q, %s)", a.name, strings.Trim(fmt.Sprint(a.args), "[]"))
}

func (a actOpt) apply(c *config) optKind {
	c.act, c.actArgs = a.name, a.args
	return optAct
}

// initSpec is an initializer as the user named it.
type initSpec struct {
	kind string
	args []float64
}

type kernelInitOpt initSpec

// KernelInit sets the initializer of a layer's weight: "glorot_uniform" (the
// default, as in Keras), "glorot_normal", "he_uniform", "he_normal",
// "lecun_uniform", "lecun_normal", "zeros", "ones", "const" with a value,
// "uniform" with a bound, or "normal" with a standard deviation (KernelInit("normal",
// 1) is PyTorch's nn.Embedding default, N(0, 1); Keras' RandomNormal uses 0.05).
// PyTorch's names "xavier_uniform", "xavier_normal", "kaiming_uniform" and
// "kaiming_normal" (fan_in mode, ReLU gain) are accepted too.
func KernelInit(kind string, value ...float64) Option {
	return kernelInitOpt{kind, append([]float64(nil), value...)}
}

func (k kernelInitOpt) String() string { return "nn.KernelInit" + initStr(initSpec(k)) }
func (k kernelInitOpt) apply(c *config) optKind {
	s := initSpec(k)
	c.kernelInit = &s
	return optKernelInit
}

type biasInitOpt initSpec

// BiasInit sets the initializer of a layer's bias ("zeros" by default); it takes the
// names KernelInit does. Fan-based initializers see fan_in = fan_out = the bias
// length, as Keras computes fans for a vector.
func BiasInit(kind string, value ...float64) Option {
	return biasInitOpt{kind, append([]float64(nil), value...)}
}

func (b biasInitOpt) String() string { return "nn.BiasInit" + initStr(initSpec(b)) }
func (b biasInitOpt) apply(c *config) optKind {
	s := initSpec(b)
	c.biasInit = &s
	return optBiasInit
}

type epsOpt float64

// Eps sets the epsilon BatchNorm and LayerNorm add to the variance (1e-5 by
// default, as PyTorch; Keras uses 1e-3).
func Eps(e float64) Option { return epsOpt(e) }

func (e epsOpt) String() string          { return fmt.Sprintf("nn.Eps(%g)", float64(e)) }
func (e epsOpt) apply(c *config) optKind { c.eps = float64(e); return optEps }

type momentumOpt float64

// Momentum sets the batch-norm running-average momentum in PyTorch's convention:
// running ← (1-momentum)·running + momentum·batch statistic, 0.1 by default. (Keras'
// momentum m is PyTorch's 1-m.)
func Momentum(m float64) Option { return momentumOpt(m) }

func (m momentumOpt) String() string          { return fmt.Sprintf("nn.Momentum(%g)", float64(m)) }
func (m momentumOpt) apply(c *config) optKind { c.momentum = float64(m); return optMomentum }

type seedOpt uint64

// Seed sets the model's seed (in New), from which every Dropout derives its random
// stream, or one Dropout layer's own stream seed.
func Seed(s uint64) Option { return seedOpt(s) }

func (s seedOpt) String() string          { return fmt.Sprintf("nn.Seed(%d)", uint64(s)) }
func (s seedOpt) apply(c *config) optKind { c.seed = uint64(s); return optSeed }

// parseOptions applies opts, rejecting nil options, options the layer does not take
// and options given twice, then checks and normalises the arguments.
func parseOptions(opts []Option, allowed optKind) (config, error) {
	var c config
	for _, o := range opts {
		if o == nil {
			return c, fmt.Errorf("option is nil")
		}
		k := o.apply(&c)
		if k == 0 || k&allowed == 0 {
			return c, fmt.Errorf("option %s does not apply to this layer", o)
		}
		if c.seen&k != 0 {
			return c, fmt.Errorf("option %s is given twice (or with another padding)", o)
		}
		c.seen |= k
	}
	if c.padding == Causal && allowed&optCausal == 0 {
		return c, fmt.Errorf("nn.Causal applies to Conv1D only (Keras' padding=\"causal\")")
	}
	if allowed&opt1D != 0 {
		return c, c.check1D()
	}
	return c, c.check()
}

// check1D validates the options of a 1-D layer and puts them in the form of the
// 2-D ones over a (N, C, 1, L) view: a window of 1×k, strides 1×s, no padding
// above or below.
func (c *config) check1D() error {
	one := func(what string, v []int, min int) ([]int, error) {
		if len(v) != 1 {
			return nil, fmt.Errorf("%s takes one value on a 1-D layer, got %d", what, len(v))
		}
		if v[0] < min {
			if min == 0 {
				return nil, fmt.Errorf("%s%s must not be negative", what, ints(v))
			}
			return nil, fmt.Errorf("%s%s must be positive", what, ints(v))
		}
		return []int{min, v[0]}, nil
	}
	var err error
	if c.kernel != nil {
		if c.kernel, err = one("nn.K", c.kernel, 1); err != nil {
			return err
		}
	}
	if c.strides != nil {
		if c.strides, err = one("nn.Strides", c.strides, 1); err != nil {
			return err
		}
	}
	if c.outPad != nil {
		if c.outPad, err = one("nn.OutPad", c.outPad, 0); err != nil {
			return err
		}
	}
	if c.dilation != nil {
		if c.dilation, err = one("nn.Dilation", c.dilation, 1); err != nil {
			return err
		}
	}
	if c.padding == padExplicit {
		p := c.pads
		switch len(p) {
		case 1:
			p = []int{p[0], p[0]}
		case 2:
		default:
			return fmt.Errorf("nn.Pads takes 1 or 2 values (left, right) on a 1-D layer, got %d", len(p))
		}
		if p[0] < 0 || p[1] < 0 {
			return fmt.Errorf("nn.Pads%s must not be negative", ints(c.pads))
		}
		c.pads = []int{0, p[0], 0, p[1]}
	}
	// Nothing left for check to expand: it validates the rest.
	pads := c.padding
	if pads == padExplicit {
		c.padding = Valid
	}
	err = c.check()
	c.padding = pads
	return err
}

// check validates option arguments and expands the one-value forms.
func (c *config) check() error {
	var err error
	if c.kernel != nil {
		if c.kernel, err = pair("nn.K", c.kernel, 1); err != nil {
			return err
		}
	}
	if c.strides != nil {
		if c.strides, err = pair("nn.Strides", c.strides, 1); err != nil {
			return err
		}
	}
	if c.outPad != nil {
		if c.outPad, err = pair("nn.OutPad", c.outPad, 0); err != nil {
			return err
		}
	}
	if c.dilation != nil {
		if c.dilation, err = pair("nn.Dilation", c.dilation, 1); err != nil {
			return err
		}
	}
	if c.padding == padExplicit {
		p := c.pads
		switch len(p) {
		case 1:
			p = []int{p[0], p[0], p[0], p[0]}
		case 2:
			p = []int{p[0], p[1], p[0], p[1]}
		case 4:
		default:
			return fmt.Errorf("nn.Pads takes 1, 2 or 4 values, got %d", len(p))
		}
		for _, v := range p {
			if v < 0 {
				return fmt.Errorf("nn.Pads%s must not be negative", ints(c.pads))
			}
		}
		c.pads = p
	} else if c.padding != 0 && c.padding != Valid && c.padding != Same && c.padding != Full && c.padding != Causal {
		return fmt.Errorf("unknown padding %s", c.padding)
	}
	if c.seen&optInterp != 0 && c.interp != Nearest && c.interp != Bilinear {
		return fmt.Errorf("unknown interpolation %s: UpSampling2D takes nn.Nearest or nn.Bilinear", c.interp)
	}
	if c.seen&optAct != 0 {
		if err := checkAct(c.act, c.actArgs); err != nil {
			return err
		}
	}
	for _, s := range []*initSpec{c.kernelInit, c.biasInit} {
		if s == nil {
			continue
		}
		kind, err := initKind(s)
		if err != nil {
			return err
		}
		s.kind = kind
	}
	if c.seen&optEps != 0 && !(c.eps > 0 && !math.IsInf(c.eps, 1)) {
		return fmt.Errorf("nn.Eps(%g) must be positive", c.eps)
	}
	if c.seen&optMomentum != 0 && !(c.momentum >= 0 && c.momentum <= 1) {
		return fmt.Errorf("nn.Momentum(%g) must be in [0, 1]", c.momentum)
	}
	return nil
}

// pair expands one or two sizes to {a, b}, each at least min.
func pair(what string, v []int, min int) ([]int, error) {
	switch len(v) {
	case 1:
		v = []int{v[0], v[0]}
	case 2:
		v = []int{v[0], v[1]}
	default:
		return nil, fmt.Errorf("%s takes 1 or 2 values, got %d", what, len(v))
	}
	if v[0] < min || v[1] < min {
		if min == 0 {
			return nil, fmt.Errorf("%s%s must not be negative", what, ints(v))
		}
		return nil, fmt.Errorf("%s%s must be positive", what, ints(v))
	}
	return v, nil
}

// Activations the builder knows, with the ir op each becomes ("linear" adds none).
var activations = map[string]string{
	"linear":     "",
	"relu":       ir.OpRelu,
	"sigmoid":    ir.OpSigmoid,
	"tanh":       ir.OpTanh,
	"softmax":    ir.OpSoftmax,
	"leaky_relu": ir.OpLeakyRelu,
	// The smooth activations; swish and silu are two names of one function.
	"elu":       ir.OpElu,
	"selu":      ir.OpSelu,
	"softplus":  ir.OpSoftplus,
	"gelu":      ir.OpGelu,
	"gelu_tanh": ir.OpGelu,
	"swish":     ir.OpSilu,
	"silu":      ir.OpSilu,
	// Log-softmax, the input of NLLLoss.
	"log_softmax": ir.OpLogSoftmax,
	// The piecewise-linear ones: ReLU capped at 6, and the hard sigmoid and hard
	// swish built on it (nn/layers.go, applyAct).
	"relu6":        ir.OpReluMax,
	"hard_sigmoid": ir.OpReluMax,
	"hard_swish":   ir.OpReluMax,
}

// activationNames lists the activations in the order errors name them.
var activationNames = []string{"linear", "relu", "sigmoid", "tanh", "softmax", "leaky_relu",
	"elu", "selu", "softplus", "gelu", "gelu_tanh", "swish", "silu", "log_softmax", "relu6", "hard_sigmoid", "hard_swish"}

// activationArgs names the one optional argument of the activations that take one.
var activationArgs = map[string]string{"leaky_relu": "slope", "elu": "alpha"}

// defaultLeakySlope is PyTorch's LeakyReLU negative_slope (Keras' LeakyReLU uses 0.3).
const defaultLeakySlope = 0.01

// defaultEluAlpha is ELU's alpha in PyTorch and Keras.
const defaultEluAlpha = 1.0

func checkAct(name string, args []float64) error {
	if _, ok := activations[name]; !ok {
		return fmt.Errorf("unknown activation %q (known: %s)", name, strings.Join(activationNames, ", "))
	}
	arg, takes := activationArgs[name]
	switch {
	case !takes && len(args) > 0:
		return fmt.Errorf("activation %q takes 0 arguments, got %d", name, len(args))
	case len(args) > 1:
		return fmt.Errorf("activation %q takes at most 1 argument (its %s), got %d", name, arg, len(args))
	}
	for _, a := range args {
		if math.IsNaN(a) || math.IsInf(a, 0) {
			return fmt.Errorf("activation %q: %s %g must be finite", name, arg, a)
		}
	}
	return nil
}

var initAliases = map[string]string{
	"xavier_uniform":  ir.InitGlorotUniform,
	"xavier_normal":   ir.InitGlorotNormal,
	"kaiming_uniform": ir.InitHeUniform,
	"kaiming_normal":  ir.InitHeNormal,
}

// fanInits are the initializers whose scale depends on the fans.
var fanInits = map[string]bool{
	ir.InitGlorotUniform: true, ir.InitGlorotNormal: true,
	ir.InitHeUniform: true, ir.InitHeNormal: true,
	ir.InitLeCunUniform: true, ir.InitLeCunNormal: true,
}

// initKind returns the ir initializer kind for s, checking its arguments.
func initKind(s *initSpec) (string, error) {
	kind := s.kind
	if a, ok := initAliases[kind]; ok {
		kind = a
	}
	switch {
	case fanInits[kind] || kind == ir.InitZeros || kind == ir.InitOnes:
		if len(s.args) != 0 {
			return "", fmt.Errorf("initializer %q takes no value, got %d", s.kind, len(s.args))
		}
	case kind == ir.InitConst || kind == ir.InitUniform || kind == ir.InitNormal:
		if len(s.args) != 1 || math.IsNaN(s.args[0]) || math.IsInf(s.args[0], 0) {
			return "", fmt.Errorf("initializer %q takes one finite value", s.kind)
		}
		if kind == ir.InitUniform && s.args[0] <= 0 {
			return "", fmt.Errorf("initializer %q: bound %g must be positive", s.kind, s.args[0])
		}
		if kind == ir.InitNormal && s.args[0] <= 0 {
			return "", fmt.Errorf("initializer %q: standard deviation %g must be positive", s.kind, s.args[0])
		}
	default:
		return "", fmt.Errorf("unknown initializer %q (known: glorot_uniform, glorot_normal, he_uniform, he_normal, lecun_uniform, lecun_normal, zeros, ones, const, uniform, normal)", s.kind)
	}
	return kind, nil
}

// irInit turns a checked spec (or the default kind) into an ir.Init with the fans.
func irInit(s *initSpec, def string, fanIn, fanOut int) *ir.Init {
	if s == nil {
		s = &initSpec{kind: def}
	}
	in := &ir.Init{Kind: s.kind}
	if fanInits[s.kind] {
		in.FanIn, in.FanOut = fanIn, fanOut
	}
	if len(s.args) == 1 {
		in.Value = s.args[0]
	}
	return in
}

func ints(v []int) string {
	return "(" + strings.Trim(strings.Join(strings.Fields(fmt.Sprint(v)), ", "), "[]") + ")"
}

func initStr(s initSpec) string {
	if len(s.args) == 0 {
		return fmt.Sprintf("(%q)", s.kind)
	}
	return fmt.Sprintf("(%q, %g)", s.kind, s.args[0])
}
