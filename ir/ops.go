package ir

import (
	"fmt"
	"math"
	"sort"
)

// Kind classifies ops by what the rest of the compiler must provide for them.
type Kind int

const (
	// Source ops (Input, Param, Fill, DropoutMask) have no tensor inputs.
	Source Kind = iota
	// Primitive ops need a reference kernel, a gradient rule and a code emitter.
	Primitive
	// GradOnly ops appear only in gradient graphs (ReluGrad, MaxPool2DGrad, loss
	// gradients...). They need a kernel and an emitter; differentiating them
	// (second-order derivatives) is not supported and autodiff says so by name.
	GradOnly
	// Macro ops (BatchNorm, Dropout, and the recurrent layers) are what users
	// write; the lowering pass replaces them with primitives for training or inference.
	Macro
)

func (k Kind) String() string {
	return [...]string{"source", "primitive", "grad-only", "macro"}[k]
}

// OpDef is one row of the op table.
type OpDef struct {
	Name      string
	Kind      Kind
	Doc       string   // the exact semantics, with the framework they follow
	MinInputs int      //
	MaxInputs int      // -1: variadic
	Attrs     []string // the Attrs fields the op reads (JSON names), for docs and the verifier
	// Effect marks ops that update state (RunningUpdate); passes never remove them.
	Effect bool
	// IntInputs lists the inputs that must be Input nodes of dtype int (an
	// Embedding's ids); Graph.Infer checks it, as the shape rule sees shapes only.
	IntInputs []int
	// Infer computes the output shape. It returns a plain error; Graph.Infer wraps it
	// with the layer, op and input shapes.
	Infer func(n *Node, in []Shape) (Shape, error)
}

func (d *OpDef) arity() string {
	switch {
	case d.MaxInputs < 0:
		return fmt.Sprintf("at least %d", d.MinInputs)
	case d.MinInputs == d.MaxInputs:
		return fmt.Sprint(d.MinInputs)
	default:
		return fmt.Sprintf("%d to %d", d.MinInputs, d.MaxInputs)
	}
}

// Op names. Layouts follow PyTorch and ONNX: activations NCHW, convolution weights
// OIHW, transposed-convolution weights (in, out, kh, kw), dense weights (out, in).
const (
	OpInput       = "Input"
	OpParam       = "Param"
	OpFill        = "Fill"
	OpDropoutMask = "DropoutMask"

	OpIdentity    = "Identity"
	OpMatMul      = "MatMul"
	OpBiasAdd     = "BiasAdd"
	OpBiasAddLast = "BiasAddLast"

	OpChannelMul       = "ChannelMul"
	OpChannelSum       = "ChannelSum"
	OpChannelMean      = "ChannelMean"
	OpChannelBroadcast = "ChannelBroadcast"
	OpRunningUpdate    = "RunningUpdate"

	OpAdd       = "Add"
	OpSub       = "Sub"
	OpMul       = "Mul"
	OpDiv       = "Div"
	OpScale     = "Scale"
	OpAddScalar = "AddScalar"

	OpSigmoid   = "Sigmoid"
	OpTanh      = "Tanh"
	OpRelu      = "Relu"
	OpLeakyRelu = "LeakyRelu"
	OpReluMax   = "ReluMax"
	OpExp       = "Exp"
	OpLog       = "Log"
	OpSquare    = "Square"
	OpRsqrt     = "Rsqrt"
	OpSoftmax   = "Softmax"

	OpReshape = "Reshape"
	OpConcat  = "Concat"
	OpSlice   = "Slice"

	OpConv2D          = "Conv2D"
	OpConv2DTranspose = "Conv2DTranspose"
	OpMaxPool2D       = "MaxPool2D"
	OpAvgPool2D       = "AvgPool2D"
	OpGlobalAvgPool2D = "GlobalAvgPool2D"
	OpUpSample2D      = "UpSample2D"

	OpReduceSum  = "ReduceSum"
	OpReduceMean = "ReduceMean"
	OpBroadcast  = "Broadcast"

	// Autoencoder building blocks: regularizers, noise sources, their gradients and
	// the noise and sampling layers (see the "autoencoders" section of init).
	OpAbs                     = "Abs"
	OpKLSparsity              = "KLSparsity"
	OpContractivePenalty      = "ContractivePenalty"
	OpRandomNormal            = "RandomNormal"
	OpKeepMask                = "KeepMask"
	OpAbsGrad                 = "AbsGrad"
	OpKLSparsityGrad          = "KLSparsityGrad"
	OpContractivePenaltyGradH = "ContractivePenaltyGradH"
	OpContractivePenaltyGradW = "ContractivePenaltyGradW"
	OpGaussianNoise           = "GaussianNoise"
	OpMaskingNoise            = "MaskingNoise"
	OpSampleNormal            = "SampleNormal"

	// SampleAtInference is the sub of a SampleNormal that samples at inference too.
	SampleAtInference = "sample"

	OpMSELoss             = "MSELoss"
	OpMAELoss             = "MAELoss"
	OpHuberLoss           = "HuberLoss"
	OpBCELoss             = "BCELoss"
	OpBCEWithLogitsLoss   = "BCEWithLogitsLoss"
	OpSoftmaxCELoss       = "SoftmaxCELoss"
	OpSparseSoftmaxCELoss = "SparseSoftmaxCELoss"
	OpCategoricalCELoss   = "CategoricalCELoss"
	OpOneHot              = "OneHot"

	// Gradient-only ops.
	OpSigmoidGrad         = "SigmoidGrad"
	OpTanhGrad            = "TanhGrad"
	OpReluGrad            = "ReluGrad"
	OpLeakyReluGrad       = "LeakyReluGrad"
	OpReluMaxGrad         = "ReluMaxGrad"
	OpSoftmaxGrad         = "SoftmaxGrad"
	OpSliceGrad           = "SliceGrad"
	OpConv2DFilterGrad    = "Conv2DFilterGrad"
	OpMaxPool2DGrad       = "MaxPool2DGrad"
	OpAvgPool2DGrad       = "AvgPool2DGrad"
	OpGlobalAvgPool2DGrad = "GlobalAvgPool2DGrad"
	OpUpSample2DGrad      = "UpSample2DGrad"
	OpLossGrad            = "LossGrad"
	OpBiasAddLastGrad     = "BiasAddLastGrad"

	// Macro ops.
	OpBatchNorm = "BatchNorm"
	OpDropout   = "Dropout"
	OpSimpleRNN = "SimpleRNN"
	OpLSTM      = "LSTM"
	OpGRU       = "GRU"
)

// Bilinear upsampling by integer factors with half-pixel centres (PyTorch's
// align_corners=False, Keras' UpSampling2D with interpolation "bilinear") and its
// gradient-only op; docs/decisions.md says why it is an op of its own rather than an
// attribute of UpSample2D.
const (
	OpUpSampleBilinear2D     = "UpSampleBilinear2D"
	OpUpSampleBilinear2DGrad = "UpSampleBilinear2DGrad"
)

// The smooth activations of PyTorch and Keras (ELU, SELU, softplus, GELU, SiLU or
// swish) and their gradient-only ops, which read the activation's input x.
const (
	OpElu      = "Elu"
	OpSelu     = "Selu"
	OpSoftplus = "Softplus"
	OpGelu     = "Gelu"
	OpSilu     = "Silu"

	OpEluGrad      = "EluGrad"
	OpSeluGrad     = "SeluGrad"
	OpSoftplusGrad = "SoftplusGrad"
	OpGeluGrad     = "GeluGrad"
	OpSiluGrad     = "SiluGrad"

	// GeluTanh is the sub of a Gelu (and GeluGrad) that uses the tanh
	// approximation (PyTorch approximate='tanh'); the empty sub is the exact form.
	GeluTanh = "tanh"

	// The Dropout macro's variants (attribute sub) that share one mask value:
	// DropoutChannels over all of an item's channel (axis 1), DropoutFeatures over
	// all the steps of an (N, T, F) item's feature.
	DropoutChannels = "channels"
	DropoutFeatures = "features"

	// SeluAlpha and SeluScale are SELU's constants as torch.nn.SELU writes them.
	SeluAlpha = 1.6732632423543772848170429916717
	SeluScale = 1.0507009873554804934193349852946
	// SoftplusThreshold is torch.nn.Softplus' default threshold (with beta = 1):
	// above it softplus(x) is x.
	SoftplusThreshold = 20
)

// Embedding lookup (PyTorch's nn.Embedding, Keras' Embedding) and its weight
// gradient.
const (
	OpEmbedding     = "Embedding"
	OpEmbeddingGrad = "EmbeddingGrad"
)

// EmbeddingPad returns the padding index of an Embedding or EmbeddingGrad (PyTorch's
// padding_idx, kept in extra[0]) and whether it has one.
func EmbeddingPad(a Attrs) (int, bool) {
	if len(a.Extra) == 0 {
		return 0, false
	}
	return a.Extra[0], true
}

// LossIgnore returns the ignore index of a SparseSoftmaxCELoss or NLLLoss, or of the
// LossGrad of one (PyTorch's ignore_index, kept in extra[0]), and whether it has
// one. A row whose label is the ignore index counts neither in the loss nor in the
// number of rows it is the mean over, and gets no gradient.
func LossIgnore(a Attrs) (int, bool) {
	if len(a.Extra) == 0 {
		return 0, false
	}
	return a.Extra[0], true
}

// checkIgnore checks a sparse loss's extra: empty, or [ignore_index]. Any int is
// a valid ignore index, a class too (PyTorch's ignore_index=0 for a padding class 0:
// rows of that class then never count).
func checkIgnore(a Attrs) error {
	if len(a.Extra) > 1 {
		return fmt.Errorf("extra %v holds more than the ignore index", a.Extra)
	}
	return nil
}

// The recurrent macro ops (SimpleRNN, LSTM, GRU) read their switches from
// Attrs.Extra, one entry of 0 or 1 per switch at these indices; a missing entry is 0.
const (
	RNNReturnSequences = iota // output every step's state (N,T,H) rather than the last one (N,H)
	RNNReverse                // read the sequence from t = T-1 down to 0 (the backward half of a Bidirectional)
	RNNVariational            // input dropout: one mask for every step (Gal and Ghahramani, 2016)
	RNNResetBefore            // GRU only: r multiplies h before W_hn (Keras reset_after=False)
	RNNMasked                 // the last input is a step mask (N,T,H) (Keras mask_zero)
	RNNZeroMasked             // with RNNMasked and RNNReturnSequences: a masked step outputs zeros (Keras zero_output_for_mask)
	rnnSwitches
)

// RNNFlag reports whether switch i (RNNReturnSequences, ...) of a recurrent op is on.
func RNNFlag(a Attrs, i int) bool { return i < len(a.Extra) && a.Extra[i] == 1 }

// RNNGates is the number G of gate blocks of a recurrent op (1, 4 for LSTM, 3 for
// GRU): its weights have G·H rows, in PyTorch's gate order.
func RNNGates(op string) int {
	switch op {
	case OpLSTM:
		return 4
	case OpGRU:
		return 3
	}
	return 1
}

// RNNActivations are the activations the recurrent ops take in act and sub.
var RNNActivations = map[string]bool{"tanh": true, "sigmoid": true, "relu": true, "linear": true}

// Ops is the op table: the single source of truth for what ops exist. The
// interpreter's kernels, the gradient rules and the code emitters are each checked
// against it by a test that walks it.
var Ops = map[string]*OpDef{}

// OpNames returns the names in the op table, sorted.
func OpNames() []string {
	names := make([]string, 0, len(Ops))
	for k := range Ops {
		names = append(names, k)
	}
	sort.Strings(names)
	return names
}

func def(d *OpDef) {
	if _, dup := Ops[d.Name]; dup {
		panic("ir: op defined twice: " + d.Name) // programming error in this file, caught by any test
	}
	Ops[d.Name] = d
}

func init() {
	// ---- sources ----
	def(&OpDef{Name: OpInput, Kind: Source, Attrs: []string{"shape", "role", "dtype"},
		Doc: "A model input (role data or target). Shape is the full shape; a leading N is the batch. dtype int holds class indices.",
		Infer: func(n *Node, _ []Shape) (Shape, error) {
			if err := validShape(n.Attrs.Shape, true); err != nil {
				return nil, err
			}
			if n.Attrs.DType != "" && n.Attrs.DType != Float && n.Attrs.DType != Int {
				return nil, fmt.Errorf("unknown dtype %q", n.Attrs.DType)
			}
			return n.Attrs.Shape.Clone(), nil
		}})
	def(&OpDef{Name: OpParam, Kind: Source, Attrs: []string{"shape", "role", "init"},
		Doc: "A parameter: a trainable weight, or state (batch-norm running statistics) updated by its op. No batch dimension.",
		Infer: func(n *Node, _ []Shape) (Shape, error) {
			if err := validShape(n.Attrs.Shape, false); err != nil {
				return nil, err
			}
			if n.Attrs.Role != RoleWeight && n.Attrs.Role != RoleState {
				return nil, fmt.Errorf("parameter role must be %q or %q, not %q", RoleWeight, RoleState, n.Attrs.Role)
			}
			if n.Attrs.Init == nil {
				return nil, fmt.Errorf("parameter has no initializer")
			}
			for _, r := range n.Attrs.Init.ZeroRows {
				if n.Attrs.Shape.Rank() == 0 || r < 0 || r >= n.Attrs.Shape[0] {
					return nil, fmt.Errorf("zero row %d of the initializer is not a row of %s", r, n.Attrs.Shape)
				}
			}
			return n.Attrs.Shape.Clone(), nil
		}})
	def(&OpDef{Name: OpFill, Kind: Source, Attrs: []string{"shape", "alpha"},
		Doc: "A constant tensor (shape may be batched) with every element equal to alpha.",
		Infer: func(n *Node, _ []Shape) (Shape, error) {
			if err := validShape(n.Attrs.Shape, true); err != nil {
				return nil, err
			}
			return n.Attrs.Shape.Clone(), nil
		}})
	def(&OpDef{Name: OpDropoutMask, Kind: Source, Attrs: []string{"shape", "rate", "seed"},
		Doc: "Inverted-dropout mask: each element is 0 with probability rate, else 1/(1-rate), kept where rt.Keep(seed, step, index, rt.KeepThreshold(rate)) holds (index runs over the whole batched tensor in row-major order); a new mask every training step.",
		Infer: func(n *Node, _ []Shape) (Shape, error) {
			if err := validShape(n.Attrs.Shape, true); err != nil {
				return nil, err
			}
			if !(n.Attrs.Rate >= 0 && n.Attrs.Rate < 1) {
				return nil, fmt.Errorf("dropout rate %g must be in [0, 1)", n.Attrs.Rate)
			}
			return n.Attrs.Shape.Clone(), nil
		}})

	// ---- dense algebra ----
	def(&OpDef{Name: OpIdentity, Kind: Primitive, MinInputs: 1, MaxInputs: 1, Doc: "y = x.", Infer: same})
	def(&OpDef{Name: OpMatMul, Kind: Primitive, MinInputs: 2, MaxInputs: 2, Attrs: []string{"trans_a", "trans_b"},
		Doc: "C = op(A)·op(B), op transposing when trans_a/trans_b. For 2-D operands the contracted dimension may be the batch (weight gradients), which gives an unbatched result. " +
			"A of rank ≥ 3, (d0, …, dk, K), is the matrix of its leading axes flattened into rows, (d0·…·dk)×K in row-major order, which is its memory layout: " +
			"without trans_a, B is a 2-D matrix and C = A·op(B) has shape (d0, …, dk, M), the product applied to the last axis (PyTorch's Linear on (N, T, F)); " +
			"with trans_a, B (d0, …, dk, M) has the same leading axes, trans_b is not allowed, and C = Aᵀ·B of shape (K, M) contracts over all of them, batch included (that product's weight gradient). " +
			"Dense is MatMul(x, W, trans_b) with W of shape (out, in) as in PyTorch's Linear.",
		Infer: inferMatMul})
	def(&OpDef{Name: OpBiasAdd, Kind: Primitive, MinInputs: 2, MaxInputs: 2,
		Doc:   "y[n,c,...] = x[n,c,...] + b[c]: adds a per-channel vector along axis 1.",
		Infer: inferChannelVec})
	def(&OpDef{Name: OpBiasAddLast, Kind: Primitive, MinInputs: 2, MaxInputs: 2,
		Doc:   "y[..., c] = x[..., c] + b[c]: adds a vector along the last axis, the bias of PyTorch's Linear (and of Dense) on an input of rank ≥ 3 such as (N, T, F). On (N, C) it equals BiasAdd, which Dense uses there.",
		Infer: inferLastVec})
	def(&OpDef{Name: OpChannelMul, Kind: Primitive, MinInputs: 2, MaxInputs: 2,
		Doc:   "y[n,c,...] = x[n,c,...] · s[c]: scales each channel along axis 1.",
		Infer: inferChannelVec})
	def(&OpDef{Name: OpChannelSum, Kind: Primitive, MinInputs: 1, MaxInputs: 1,
		Doc:   "s[c] = Σ over every axis but 1 of x (batch included).",
		Infer: inferChannelReduce})
	def(&OpDef{Name: OpChannelMean, Kind: Primitive, MinInputs: 1, MaxInputs: 1,
		Doc:   "s[c] = mean over every axis but 1 of x (batch included): the batch-norm statistic.",
		Infer: inferChannelReduce})
	def(&OpDef{Name: OpChannelBroadcast, Kind: Primitive, MinInputs: 1, MaxInputs: 1, Attrs: []string{"shape", "mean"},
		Doc: "y[n,c,...] = v[c], or v[c]/m with mean set, m being the number of elements per channel (batch included): the adjoint of ChannelSum (ChannelMean). shape is y's full shape.",
		Infer: func(n *Node, in []Shape) (Shape, error) {
			s := n.Attrs.Shape
			if err := validShape(s, true); err != nil {
				return nil, err
			}
			if len(s) < 2 || in[0].Rank() != 1 || in[0][0] != s[1] {
				return nil, fmt.Errorf("cannot broadcast a %s vector over channels of %s", in[0], s)
			}
			return s.Clone(), nil
		}})
	def(&OpDef{Name: OpRunningUpdate, Kind: Primitive, MinInputs: 3, MaxInputs: 3, Effect: true, Attrs: []string{"momentum", "unbiased"},
		Doc: "Inputs (state, stat, x). Updates state in place, PyTorch style: state ← (1-momentum)·state + momentum·stat', where stat' = stat·m/(m-1) with unbiased (m = elements per channel of x), and returns the new state. It has no gradient: its output feeds nothing differentiable.",
		Infer: func(n *Node, in []Shape) (Shape, error) {
			if !in[0].Equal(in[1]) || in[0].Rank() != 1 {
				return nil, fmt.Errorf("state and statistic must be equal vectors")
			}
			if in[2].Rank() < 2 || in[2][1] != in[0][0] {
				return nil, fmt.Errorf("x must have %d channels", in[0][0])
			}
			return in[0].Clone(), nil
		}})

	// ---- element-wise ----
	for _, op := range []string{OpAdd, OpSub, OpMul, OpDiv} {
		def(&OpDef{Name: op, Kind: Primitive, MinInputs: 2, MaxInputs: 2,
			Doc: "Element-wise " + map[string]string{OpAdd: "a + b", OpSub: "a - b", OpMul: "a · b", OpDiv: "a / b"}[op] + " on equal shapes (no broadcasting).",
			Infer: func(n *Node, in []Shape) (Shape, error) {
				if !in[0].Equal(in[1]) {
					return nil, fmt.Errorf("shapes %s and %s differ", in[0], in[1])
				}
				return in[0].Clone(), nil
			}})
	}
	def(&OpDef{Name: OpScale, Kind: Primitive, MinInputs: 1, MaxInputs: 1, Attrs: []string{"alpha"}, Doc: "y = alpha · x.", Infer: same})
	def(&OpDef{Name: OpAddScalar, Kind: Primitive, MinInputs: 1, MaxInputs: 1, Attrs: []string{"alpha"}, Doc: "y = x + alpha.", Infer: same})
	unary := map[string]string{
		OpSigmoid: "y = 1/(1+exp(-x)).",
		OpTanh:    "y = tanh(x).",
		OpRelu:    "y = max(x, 0); the gradient at 0 is 0, as in PyTorch and TensorFlow.",
		OpExp:     "y = exp(x).",
		OpLog:     "y = ln(x).",
		OpSquare:  "y = x².",
		OpRsqrt:   "y = 1/sqrt(x).",
	}
	for op, doc := range unary {
		def(&OpDef{Name: op, Kind: Primitive, MinInputs: 1, MaxInputs: 1, Doc: doc, Infer: same})
	}
	def(&OpDef{Name: OpLeakyRelu, Kind: Primitive, MinInputs: 1, MaxInputs: 1, Attrs: []string{"alpha"},
		Doc: "y = x for x > 0, alpha·x otherwise (PyTorch negative_slope, Keras alpha).", Infer: same})
	def(&OpDef{Name: OpReluMax, Kind: Primitive, MinInputs: 1, MaxInputs: 1, Attrs: []string{"alpha"},
		Doc: "y = min(max(x, 0), alpha), alpha > 0: ReLU capped at alpha (PyTorch's ReLU6 and hardtanh(x, 0, alpha), Keras' ReLU(max_value=alpha) and relu6).",
		Infer: func(n *Node, in []Shape) (Shape, error) {
			if !(n.Attrs.Alpha > 0) {
				return nil, fmt.Errorf("cap alpha %g must be positive", n.Attrs.Alpha)
			}
			return in[0].Clone(), nil
		}})
	defSmoothActivations()
	defEmbedding()
	defPad2D()
	defLogSoftmax()
	def(&OpDef{Name: OpSoftmax, Kind: Primitive, MinInputs: 1, MaxInputs: 1,
		Doc: "Softmax over the last axis, computed as exp(x - max)/Σ exp(x - max).",
		Infer: func(n *Node, in []Shape) (Shape, error) {
			if in[0].Rank() < 1 || (in[0].Batched() && in[0].Rank() < 2) {
				return nil, fmt.Errorf("softmax needs a class axis after the batch")
			}
			return in[0].Clone(), nil
		}})

	// ---- shape ops ----
	def(&OpDef{Name: OpReshape, Kind: Primitive, MinInputs: 1, MaxInputs: 1, Attrs: []string{"shape"},
		Doc: "Reinterprets x with the same elements in row-major order. shape is the target without the batch dimension, which is kept. Flatten is Reshape to {elements}.",
		Infer: func(n *Node, in []Shape) (Shape, error) {
			if err := validShape(n.Attrs.Shape, false); err != nil {
				return nil, err
			}
			if n.Attrs.Shape.Elems() != in[0].Elems() {
				return nil, fmt.Errorf("cannot reshape %d elements to %s", in[0].Elems(), n.Attrs.Shape)
			}
			if in[0].Batched() {
				return append(Shape{Batch}, n.Attrs.Shape...), nil
			}
			return n.Attrs.Shape.Clone(), nil
		}})
	def(&OpDef{Name: OpConcat, Kind: Primitive, MinInputs: 1, MaxInputs: -1, Attrs: []string{"axis"},
		Doc: "Joins inputs along axis (channels are axis 1 in NCHW); every other dimension must match.",
		Infer: func(n *Node, in []Shape) (Shape, error) {
			ax := n.Attrs.Axis
			out := in[0].Clone()
			if ax < 0 || ax >= out.Rank() || (out.Batched() && ax == 0) {
				return nil, fmt.Errorf("axis %d is not a non-batch axis of %s", ax, out)
			}
			for _, s := range in[1:] {
				if s.Rank() != out.Rank() {
					return nil, fmt.Errorf("ranks differ: %s and %s", in[0], s)
				}
				if s.Batched() != out.Batched() { // along axis 0 the batch would be added to a size
					return nil, fmt.Errorf("cannot join batched and unbatched tensors: %s and %s", in[0], s)
				}
				for i := range s {
					if i != ax && s[i] != out[i] {
						return nil, fmt.Errorf("dimension %d differs: %s and %s", i, in[0], s)
					}
				}
				out[ax] += s[ax]
			}
			return out, nil
		}})
	def(&OpDef{Name: OpSlice, Kind: Primitive, MinInputs: 1, MaxInputs: 1, Attrs: []string{"axis", "start", "end"},
		Doc: "y = x[..., start:end, ...] along axis.",
		Infer: func(n *Node, in []Shape) (Shape, error) {
			a := n.Attrs
			s := in[0]
			if a.Axis < 0 || a.Axis >= s.Rank() || (s.Batched() && a.Axis == 0) {
				return nil, fmt.Errorf("axis %d is not a non-batch axis of %s", a.Axis, s)
			}
			if a.Start < 0 || a.End > s[a.Axis] || a.Start >= a.End {
				return nil, fmt.Errorf("slice [%d:%d] is outside axis %d of size %d", a.Start, a.End, a.Axis, s[a.Axis])
			}
			out := s.Clone()
			out[a.Axis] = a.End - a.Start
			return out, nil
		}})

	// ---- convolution and pooling (NCHW) ----
	def(&OpDef{Name: OpConv2D, Kind: Primitive, MinInputs: 2, MaxInputs: 2, Attrs: []string{"strides", "pads", "dilations"},
		Doc: "Cross-correlation as in PyTorch/ONNX Conv: x (N,C,H,W), w (O,C,KH,KW), zero pads {top,left,bottom,right}, strides {sh,sw}, dilations {dh,dw} (default {1,1}); y[n,o,p,q] = Σ_c,i,j x[n,c,p·sh+i·dh-top,q·sw+j·dw-left]·w[o,c,i,j]; Ho = floor((H+top+bottom-((KH-1)·dh+1))/sh)+1. No bias (BiasAdd follows).",
		Infer: func(n *Node, in []Shape) (Shape, error) {
			x, w := in[0], in[1]
			if x.Rank() != 4 || w.Rank() != 4 || w.Batched() {
				return nil, fmt.Errorf("needs input (N,C,H,W) and weights (O,C,KH,KW)")
			}
			if w[1] != x[1] {
				return nil, fmt.Errorf("input has %d channels, weights expect %d", x[1], w[1])
			}
			h, wd, err := convWindow(n.Attrs, x[2], x[3], w[2], w[3])
			if err != nil {
				return nil, err
			}
			return Shape{x[0], w[0], h, wd}, nil
		}})
	def(&OpDef{Name: OpConv2DTranspose, Kind: Primitive, MinInputs: 2, MaxInputs: 2, Attrs: []string{"strides", "pads", "out_pad", "dilations"},
		Doc: "Transposed convolution as in PyTorch ConvTranspose2d: x (N,C,H,W), w (C,O,KH,KW); Ho = (H-1)·sh - top - bottom + (KH-1)·dh + 1 + out_pad[0], with dilations {dh,dw} (default {1,1}). It is the adjoint of Conv2D with the same w, strides, pads and dilations. out_pad must be below the strides (PyTorch also allows it below the dilation; not supported).",
		Infer: func(n *Node, in []Shape) (Shape, error) {
			x, w := in[0], in[1]
			if x.Rank() != 4 || w.Rank() != 4 || w.Batched() {
				return nil, fmt.Errorf("needs input (N,C,H,W) and weights (C,O,KH,KW)")
			}
			if w[0] != x[1] {
				return nil, fmt.Errorf("input has %d channels, weights expect %d", x[1], w[0])
			}
			a := n.Attrs
			if err := checkWindowAttrs(a); err != nil {
				return nil, err
			}
			if err := checkDilations(a); err != nil {
				return nil, err
			}
			dh, dw := Dilation(a)
			op := a.OutPad
			if op == nil {
				op = []int{0, 0}
			}
			if len(op) != 2 || op[0] < 0 || op[1] < 0 || op[0] >= a.Strides[0] || op[1] >= a.Strides[1] {
				return nil, fmt.Errorf("out_pad %v must be two values below the strides %v", op, a.Strides)
			}
			h := (x[2]-1)*a.Strides[0] - a.Pads[0] - a.Pads[2] + DilatedKernel(w[2], dh) + op[0]
			wd := (x[3]-1)*a.Strides[1] - a.Pads[1] - a.Pads[3] + DilatedKernel(w[3], dw) + op[1]
			if h <= 0 || wd <= 0 {
				return nil, fmt.Errorf("output would be %dx%d", h, wd)
			}
			return Shape{x[0], w[1], h, wd}, nil
		}})
	def(&OpDef{Name: OpMaxPool2D, Kind: Primitive, MinInputs: 1, MaxInputs: 1, Attrs: []string{"kernel", "strides", "pads"},
		Doc:   "Max over each KH×KW window; padding never wins (it is -∞). Ho = floor((H+top+bottom-KH)/sh)+1; every window must overlap the input.",
		Infer: inferPool})
	def(&OpDef{Name: OpAvgPool2D, Kind: Primitive, MinInputs: 1, MaxInputs: 1, Attrs: []string{"kernel", "strides", "pads", "exclude"},
		Doc:   "Mean over each window. Padding counts in the divisor (PyTorch count_include_pad=True) unless exclude is set (Keras/TensorFlow 'same').",
		Infer: inferPool})
	def(&OpDef{Name: OpGlobalAvgPool2D, Kind: Primitive, MinInputs: 1, MaxInputs: 1,
		Doc: "y[n,c] = mean over h,w of x[n,c,h,w].",
		Infer: func(n *Node, in []Shape) (Shape, error) {
			if in[0].Rank() != 4 {
				return nil, fmt.Errorf("needs input (N,C,H,W)")
			}
			return Shape{in[0][0], in[0][1]}, nil
		}})
	def(&OpDef{Name: OpUpSample2D, Kind: Primitive, MinInputs: 1, MaxInputs: 1, Attrs: []string{"scale"},
		Doc:   "Nearest-neighbour upsampling: y[n,c,h,w] = x[n,c,h/sh,w/sw] (Keras UpSampling2D, PyTorch Upsample mode nearest).",
		Infer: inferUpSample})
	def(&OpDef{Name: OpUpSampleBilinear2D, Kind: Primitive, MinInputs: 1, MaxInputs: 1, Attrs: []string{"scale"},
		Doc: "Bilinear upsampling by integer factors {sh, sw} with half-pixel centres, as PyTorch's interpolate(mode='bilinear', align_corners=False) and Keras' UpSampling2D(interpolation='bilinear') (TensorFlow 2's resize with half_pixel_centers) compute it. " +
			"Along each axis of input size n and factor s, output index o reads src = (o + 0.5)/s - 0.5, clamped below at 0 (PyTorch's clamp), from i0 = floor(src) and i1 = min(i0 + 1, n - 1) with weights l0 = 1 - l1 and l1 = src - i0 (an axis with factor 1 reads input o twice, with weights 1 and 0, as PyTorch does for equal sizes); " +
			"y[n,c,h,w] = lh0·(lw0·x[h0,w0] + lw1·x[h0,w1]) + lh1·(lw0·x[h1,w0] + lw1·x[h1,w1]). Output (N, C, H·sh, W·sw).",
		Infer: inferUpSample})

	// ---- reductions ----
	def(&OpDef{Name: OpReduceSum, Kind: Primitive, MinInputs: 1, MaxInputs: 1, Doc: "Scalar sum of every element, batch included.", Infer: scalar})
	def(&OpDef{Name: OpReduceMean, Kind: Primitive, MinInputs: 1, MaxInputs: 1, Doc: "Scalar mean of every element, batch included.", Infer: scalar})
	def(&OpDef{Name: OpBroadcast, Kind: Primitive, MinInputs: 1, MaxInputs: 1, Attrs: []string{"shape", "mean"},
		Doc: "Fills shape with the scalar input, divided by the element count (batch included) when mean is set: the adjoint of ReduceSum (ReduceMean).",
		Infer: func(n *Node, in []Shape) (Shape, error) {
			if in[0].Rank() != 0 {
				return nil, fmt.Errorf("input must be a scalar")
			}
			if err := validShape(n.Attrs.Shape, true); err != nil {
				return nil, err
			}
			return n.Attrs.Shape.Clone(), nil
		}})

	// ---- autoencoders: activity regularizers, noise and sampling ----
	def(&OpDef{Name: OpAbs, Kind: Primitive, MinInputs: 1, MaxInputs: 1,
		Doc: "y = |x|; the gradient (AbsGrad) is sign(x)·dy, 0 at x = 0 as in PyTorch. L1 activity regularization is built from it.", Infer: same})
	def(&OpDef{Name: OpKLSparsity, Kind: Primitive, MinInputs: 1, MaxInputs: 1, Attrs: []string{"alpha"},
		Doc: "Sparsity penalty of Ng's sparse-autoencoder notes (CS294A, 2011): h is (N, units...) of activations in (0, 1) (a sigmoid), ρ = alpha in (0, 1) the target activation, ρ̂_j = mean over the batch of h[:, j] clipped to [1e-7, 1-1e-7] (the clip passes no gradient outside it). Output: the scalar Σ_j ρ·ln(ρ/ρ̂_j) + (1-ρ)·ln((1-ρ)/(1-ρ̂_j)), summed over units, not averaged; the weight β is applied outside.",
		Infer: func(n *Node, in []Shape) (Shape, error) {
			if !in[0].Batched() || in[0].Rank() < 2 {
				return nil, fmt.Errorf("needs batched activations (N, units...)")
			}
			if !(n.Attrs.Alpha > 0 && n.Attrs.Alpha < 1) {
				return nil, fmt.Errorf("target activation %g must be in (0, 1)", n.Attrs.Alpha)
			}
			return Shape{}, nil
		}})
	def(&OpDef{Name: OpContractivePenalty, Kind: Primitive, MinInputs: 2, MaxInputs: 2,
		Doc: "Contractive penalty (Rifai et al., 2011) in closed form for a dense sigmoid encoder h = sigmoid(x·wᵀ + b): inputs (h (N,H), w (H,D)) with w in PyTorch's Linear layout (out, in). Since ∂h_i/∂x_j = h_i(1-h_i)·w_ij, ‖J_f(x)‖²_F = Σ_i (h_i(1-h_i))²·Σ_j w_ij²; the output is the mean over the batch of that sum. It is the Jacobian norm only when h is exactly that encoder's output; for another encoder it is just this formula.",
		Infer: func(n *Node, in []Shape) (Shape, error) {
			h, w := in[0], in[1]
			if h.Rank() != 2 || !h.Batched() {
				return nil, fmt.Errorf("h must be (N, units), not %s", h)
			}
			if w.Rank() != 2 || w.Batched() || w[0] != h[1] {
				return nil, fmt.Errorf("w must be the encoder weight (%d, inputs), not %s", h[1], w)
			}
			return Shape{}, nil
		}})
	def(&OpDef{Name: OpRandomNormal, Kind: Source, Attrs: []string{"shape", "alpha", "seed"},
		Doc: "Gaussian noise of standard deviation alpha: element i = alpha·rt.Normal(seed, step, i), i the flat index over the whole batched tensor in row-major order and step the training step, so each step draws afresh and batch item b gets the same numbers whatever the batch size.",
		Infer: func(n *Node, _ []Shape) (Shape, error) {
			if err := validShape(n.Attrs.Shape, true); err != nil {
				return nil, err
			}
			if !(n.Attrs.Alpha > 0) || math.IsInf(n.Attrs.Alpha, 0) {
				return nil, fmt.Errorf("standard deviation %g must be positive and finite", n.Attrs.Alpha)
			}
			return n.Attrs.Shape.Clone(), nil
		}})
	def(&OpDef{Name: OpKeepMask, Kind: Source, Attrs: []string{"shape", "rate", "seed"},
		Doc: "Masking-noise mask: element i is 1 where rt.Keep(seed, step, i, rt.KeepThreshold(rate)) holds, else 0 (probability rate): DropoutMask's draw without its 1/(1-rate) scaling (index and step as for DropoutMask).",
		Infer: func(n *Node, _ []Shape) (Shape, error) {
			if err := validShape(n.Attrs.Shape, true); err != nil {
				return nil, err
			}
			if !(n.Attrs.Rate >= 0 && n.Attrs.Rate < 1) {
				return nil, fmt.Errorf("masking rate %g must be in [0, 1)", n.Attrs.Rate)
			}
			return n.Attrs.Shape.Clone(), nil
		}})
	def(&OpDef{Name: OpAbsGrad, Kind: GradOnly, MinInputs: 2, MaxInputs: 2, Infer: sameTwo,
		Doc: "Inputs (x, dy): dx = sign(x)·dy, 0 where x = 0."})
	def(&OpDef{Name: OpKLSparsityGrad, Kind: GradOnly, MinInputs: 2, MaxInputs: 2, Attrs: []string{"alpha"},
		Doc: "Inputs (h, dloss) of a KLSparsity with ρ = alpha: dh[n,j] = dloss·((1-ρ)/(1-ρ̂_j) - ρ/ρ̂_j)/N, ρ̂_j as there, 0 where its clip is active.",
		Infer: func(n *Node, in []Shape) (Shape, error) {
			if in[1].Rank() != 0 {
				return nil, fmt.Errorf("dloss must be a scalar")
			}
			return in[0].Clone(), nil
		}})
	for op, doc := range map[string]string{
		OpContractivePenaltyGradH: "Inputs (h, w, dloss) of a ContractivePenalty: dh[n,i] = dloss·(2/N)·h(1-h)(1-2h)[n,i]·Σ_j w_ij², h treated as an independent input (autodiff carries it on through the sigmoid).",
		OpContractivePenaltyGradW: "Inputs (h, w, dloss) of a ContractivePenalty: dw[i,j] = dloss·(2/N)·w_ij·Σ_n (h_ni(1-h_ni))², the penalty's direct dependence on w (the path through h is added by autodiff).",
	} {
		def(&OpDef{Name: op, Kind: GradOnly, MinInputs: 3, MaxInputs: 3, Doc: doc,
			Infer: func(n *Node, in []Shape) (Shape, error) {
				h, w := in[0], in[1]
				if h.Rank() != 2 || !h.Batched() || w.Rank() != 2 || w[0] != h[1] || in[2].Rank() != 0 {
					return nil, fmt.Errorf("needs h (N,H), w (H,D) and a scalar dloss")
				}
				if n.Op == OpContractivePenaltyGradH {
					return h.Clone(), nil
				}
				return w.Clone(), nil
			}})
	}
	def(&OpDef{Name: OpGaussianNoise, Kind: Macro, MinInputs: 1, MaxInputs: 1, Attrs: []string{"alpha", "seed"},
		Doc: "Keras GaussianNoise: training adds RandomNormal noise of standard deviation alpha (stream seed) to x; inference is the identity.",
		Infer: func(n *Node, in []Shape) (Shape, error) {
			if !(n.Attrs.Alpha > 0) || math.IsInf(n.Attrs.Alpha, 0) {
				return nil, fmt.Errorf("standard deviation %g must be positive and finite", n.Attrs.Alpha)
			}
			if !in[0].Batched() {
				return nil, fmt.Errorf("needs a batched input")
			}
			return in[0].Clone(), nil
		}})
	def(&OpDef{Name: OpMaskingNoise, Kind: Macro, MinInputs: 1, MaxInputs: 1, Attrs: []string{"rate", "seed"},
		Doc: "Masking corruption of denoising autoencoders (Vincent et al., 2008): training multiplies x by a KeepMask, zeroing each element with probability rate and leaving the rest unscaled (unlike Dropout); inference is the identity.",
		Infer: func(n *Node, in []Shape) (Shape, error) {
			if !(n.Attrs.Rate >= 0 && n.Attrs.Rate < 1) {
				return nil, fmt.Errorf("masking rate %g must be in [0, 1)", n.Attrs.Rate)
			}
			if !in[0].Batched() {
				return nil, fmt.Errorf("needs a batched input")
			}
			return in[0].Clone(), nil
		}})
	def(&OpDef{Name: OpSampleNormal, Kind: Macro, MinInputs: 2, MaxInputs: 2, Attrs: []string{"seed", "sub"},
		Doc: "The reparameterised sample of a variational autoencoder (Kingma and Welling, 2014): inputs (mu, logvar) of equal batched shapes; z = mu + exp(½·logvar)·ε with ε a RandomNormal of standard deviation 1 (stream seed), fresh every step. Training samples; inference returns mu, or samples too when sub is \"sample\".",
		Infer: func(n *Node, in []Shape) (Shape, error) {
			if !in[0].Equal(in[1]) || !in[0].Batched() {
				return nil, fmt.Errorf("mu %s and logvar %s must be equal batched shapes", in[0], in[1])
			}
			if n.Attrs.Sub != "" && n.Attrs.Sub != SampleAtInference {
				return nil, fmt.Errorf("sub %q must be empty (mu at inference) or %q", n.Attrs.Sub, SampleAtInference)
			}
			return in[0].Clone(), nil
		}})

	// ---- losses: (prediction, target) → scalar, averaged as PyTorch's reduction='mean' ----
	lossDocs := map[string]string{
		OpMSELoss:           "mean over all elements of (p-t)².",
		OpMAELoss:           "mean over all elements of |p-t|; the gradient at p = t is 0.",
		OpHuberLoss:         "mean over all elements of 0.5·d² if |d| ≤ alpha else alpha·(|d| - 0.5·alpha), d = p-t (PyTorch HuberLoss, Keras Huber).",
		OpBCELoss:           "mean over all elements of -(t·ln p + (1-t)·ln(1-p)), each log clamped to ≥ -100 as in PyTorch BCELoss. The gradient is PyTorch's backward, (p-t)/max(p·(1-p), BCEEpsilon) per element: the derivative wherever p·(1-p) ≥ 1e-12, and smaller than it (not that of the clamped formula) nearer 0 or 1.",
		OpBCEWithLogitsLoss: "mean over all elements of max(z,0) - z·t + ln(1+exp(-|z|)) (PyTorch BCEWithLogitsLoss).",
		OpSoftmaxCELoss:     "mean over the rows of the last axis (the batch, for (N, C); N·T rows for (N, T, C), as PyTorch and Keras average) of -Σ_c t_c·log_softmax(z)_c; t one-hot or soft labels.",
		OpCategoricalCELoss: "Keras categorical_crossentropy on probabilities: p normalised to sum 1 over the last axis, clipped to [1e-7, 1-1e-7] (the clip passes no gradient outside it, as TensorFlow's clip_by_value); mean over the rows of the last axis (the batch, for (N, C)) of -Σ t·ln p.",
	}
	for op, doc := range lossDocs {
		def(&OpDef{Name: op, Kind: Primitive, MinInputs: 2, MaxInputs: 2, Attrs: lossAttrs(op), Doc: doc,
			Infer: func(n *Node, in []Shape) (Shape, error) {
				if !in[0].Equal(in[1]) {
					return nil, fmt.Errorf("prediction %s and target %s differ", in[0], in[1])
				}
				if !in[0].Batched() {
					return nil, fmt.Errorf("prediction must have a batch dimension")
				}
				if (n.Op == OpSoftmaxCELoss || n.Op == OpCategoricalCELoss) && in[0].Rank() < 2 {
					return nil, fmt.Errorf("prediction %s needs a class axis after the batch", in[0])
				}
				if n.Op == OpHuberLoss && n.Attrs.Alpha <= 0 {
					return nil, fmt.Errorf("huber delta %g must be positive", n.Attrs.Alpha)
				}
				return Shape{}, nil
			}})
	}
	def(&OpDef{Name: OpSparseSoftmaxCELoss, Kind: Primitive, MinInputs: 2, MaxInputs: 2, Attrs: []string{"extra"},
		Doc: "Inputs (logits (N, d..., C), labels (N, d...) of dtype int): mean over the N·d… rows of the last axis of -log_softmax(z)[label] (PyTorch CrossEntropyLoss, whose class axis is 1: the same number on the logits moved to (N, C, d...); Keras sparse_categorical_crossentropy from logits). A label outside [0,C) is an error at run time. extra, if not empty, is [ignore_index] (PyTorch's ignore_index; Keras has none): the rows whose label is ignore_index count neither in the sum nor in the number of rows R' it is the mean over, and get no gradient; the others get (softmax(z) - onehot(label))/R'. When every row is ignored the loss is NaN (0/0, as PyTorch 1.13) and the gradient 0 everywhere.",
		Infer: func(n *Node, in []Shape) (Shape, error) {
			if err := checkIgnore(n.Attrs); err != nil {
				return nil, err
			}
			z, y := in[0], in[1]
			if z.Rank() < 2 || !z.Batched() {
				return nil, fmt.Errorf("logits %s must be (N, ..., classes)", z)
			}
			if !y.Equal(z[:z.Rank()-1]) {
				return nil, fmt.Errorf("labels %s must be the logits %s without their class axis, %s", y, z, z[:z.Rank()-1])
			}
			return Shape{}, nil
		}})
	def(&OpDef{Name: OpOneHot, Kind: Primitive, MinInputs: 1, MaxInputs: 1, Attrs: []string{"shape"},
		Doc: "Input labels (N, d...) of dtype int; shape is the result (N, d..., C): y[..., c] = 1 where labels[...] = c, else 0. A label outside [0,C) is an error at run time. Its input has no gradient. CategoricalCELoss of probabilities against it is Keras' sparse_categorical_crossentropy on probabilities.",
		Infer: func(n *Node, in []Shape) (Shape, error) {
			y, s := in[0], n.Attrs.Shape
			if err := validShape(s, true); err != nil {
				return nil, err
			}
			if !y.Batched() || s.Rank() != y.Rank()+1 || !s[:y.Rank()].Equal(y) {
				return nil, fmt.Errorf("shape %s must be the batched labels %s and a class axis", s, y)
			}
			return s.Clone(), nil
		}})

	// ---- gradient-only ops ----
	for op, doc := range map[string]string{
		OpSigmoidGrad:   "Inputs (y, dy) with y = sigmoid(x): dx = dy·y·(1-y).",
		OpTanhGrad:      "Inputs (y, dy) with y = tanh(x): dx = dy·(1-y²).",
		OpReluGrad:      "Inputs (s, dy): dx = dy where s > 0, else 0. s is the ReLU's input or, as autodiff passes it, its output: both are positive at the same places.",
		OpLeakyReluGrad: "Inputs (s, dy): dx = dy where s > 0, else alpha·dy. s is the input x or, for alpha ≥ 0 as autodiff passes it, the output (positive exactly where x is).",
		OpReluMaxGrad:   "Inputs (s, dy): dx = dy where 0 < s < alpha, else 0 (PyTorch's hardtanh backward: no gradient at either bound). s is the input x or, as autodiff passes it, the output (inside (0, alpha) exactly where x is).",
		OpSoftmaxGrad:   "Inputs (y, dy) with y = softmax(x) over the last axis: dx = y·(dy - Σ dy·y).",
	} {
		d := &OpDef{Name: op, Kind: GradOnly, MinInputs: 2, MaxInputs: 2, Doc: doc, Infer: sameTwo}
		if op == OpLeakyReluGrad || op == OpReluMaxGrad {
			d.Attrs = []string{"alpha"}
		}
		def(d)
	}
	def(&OpDef{Name: OpSliceGrad, Kind: GradOnly, MinInputs: 1, MaxInputs: 1, Attrs: []string{"shape", "axis", "start"},
		Doc: "Zeros of shape with dy written at [start, start+len) along axis: the adjoint of Slice.",
		Infer: func(n *Node, in []Shape) (Shape, error) {
			a, s := n.Attrs, n.Attrs.Shape
			if err := validShape(s, true); err != nil {
				return nil, err
			}
			if in[0].Rank() != s.Rank() || a.Axis < 0 || (a.Axis == 0 && s.Batched()) || a.Axis >= s.Rank() || a.Start < 0 || a.Start+in[0][a.Axis] > s[a.Axis] {
				return nil, fmt.Errorf("cannot place %s at %d along axis %d of %s", in[0], a.Start, a.Axis, s)
			}
			return s.Clone(), nil
		}})
	def(&OpDef{Name: OpConv2DFilterGrad, Kind: GradOnly, MinInputs: 2, MaxInputs: 2, Attrs: []string{"kernel", "strides", "pads", "dilations"},
		Doc: "Inputs (x, dy) of a Conv2D with kernel {KH,KW} and dilations {dh,dw} (default {1,1}): dw[o,c,i,j] = Σ_n,h,w dy[n,o,h,w]·x[n,c,h·sh+i·dh-top,w·sw+j·dw-left]. Result (O,C,KH,KW).",
		Infer: func(n *Node, in []Shape) (Shape, error) {
			x, dy, a := in[0], in[1], n.Attrs
			if x.Rank() != 4 || dy.Rank() != 4 || len(a.Kernel) != 2 {
				return nil, fmt.Errorf("needs x and dy (N,C,H,W) and a kernel")
			}
			h, w, err := convWindow(a, x[2], x[3], a.Kernel[0], a.Kernel[1])
			if err != nil {
				return nil, err
			}
			if dy[2] != h || dy[3] != w {
				return nil, fmt.Errorf("dy is %dx%d, the convolution gives %dx%d", dy[2], dy[3], h, w)
			}
			return Shape{dy[1], x[1], a.Kernel[0], a.Kernel[1]}, nil
		}})
	def(&OpDef{Name: OpMaxPool2DGrad, Kind: GradOnly, MinInputs: 2, MaxInputs: 2, Attrs: []string{"kernel", "strides", "pads"},
		Doc: "Inputs (x, dy): routes each dy to the first maximum (row-major) of its window, as PyTorch does.",
		Infer: func(n *Node, in []Shape) (Shape, error) {
			y, err := inferPool(n, in[:1])
			if err != nil {
				return nil, err
			}
			if !y.Equal(in[1]) {
				return nil, fmt.Errorf("dy %s does not match the pooled shape %s", in[1], y)
			}
			return in[0].Clone(), nil
		}})
	def(&OpDef{Name: OpAvgPool2DGrad, Kind: GradOnly, MinInputs: 1, MaxInputs: 1, Attrs: []string{"shape", "kernel", "strides", "pads", "exclude"},
		Doc:   "Input dy: spreads each dy evenly over its window (same divisor as AvgPool2D). shape is x's full shape.",
		Infer: inferPoolGrad})
	def(&OpDef{Name: OpGlobalAvgPool2DGrad, Kind: GradOnly, MinInputs: 1, MaxInputs: 1, Attrs: []string{"shape"},
		Doc: "Input dy (N,C): dx[n,c,h,w] = dy[n,c]/(H·W). shape is x's full shape.",
		Infer: func(n *Node, in []Shape) (Shape, error) {
			s := n.Attrs.Shape
			if s.Rank() != 4 || in[0].Rank() != 2 || in[0][1] != s[1] {
				return nil, fmt.Errorf("cannot spread %s over %s", in[0], s)
			}
			return s.Clone(), nil
		}})
	def(&OpDef{Name: OpUpSample2DGrad, Kind: GradOnly, MinInputs: 1, MaxInputs: 1, Attrs: []string{"scale"},
		Doc:   "Input dy: dx[n,c,h,w] = Σ of dy over the sh×sw block that x[n,c,h,w] was copied to.",
		Infer: inferUpSampleGrad})
	def(&OpDef{Name: OpUpSampleBilinear2DGrad, Kind: GradOnly, MinInputs: 1, MaxInputs: 1, Attrs: []string{"scale"},
		Doc:   "Input dy: the adjoint of UpSampleBilinear2D, dx[n,c,i,j] = Σ over the outputs (h, w) that read x[n,c,i,j] of lh·lw·dy[n,c,h,w], each output's weights for that input as the forward op has them (both of an output's taps count where they are the same input, at the clamped borders).",
		Infer: inferUpSampleGrad})
	def(&OpDef{Name: OpBiasAddLastGrad, Kind: GradOnly, MinInputs: 1, MaxInputs: 1,
		Doc: "Input dy: db[c] = Σ of dy[..., c] over every axis but the last, batch included: the gradient of BiasAddLast's vector.",
		Infer: func(n *Node, in []Shape) (Shape, error) {
			if err := lastAxis(in[0]); err != nil {
				return nil, err
			}
			return Shape{in[0][in[0].Rank()-1]}, nil
		}})
	def(&OpDef{Name: OpLossGrad, Kind: GradOnly, MinInputs: 3, MaxInputs: 3, Attrs: []string{"sub", "alpha", "extra"},
		Doc: "Inputs (prediction, target, dloss): the gradient of the loss op named by sub with respect to its prediction, times the scalar dloss. alpha and extra are the loss's (Huber's delta; a sparse loss's [ignore_index]).",
		Infer: func(n *Node, in []Shape) (Shape, error) {
			if d, ok := Ops[n.Attrs.Sub]; !ok || d.Kind != Primitive || (len(lossDocs[n.Attrs.Sub]) == 0 && n.Attrs.Sub != OpSparseSoftmaxCELoss && n.Attrs.Sub != OpNLLLoss) {
				return nil, fmt.Errorf("%q is not a loss op", n.Attrs.Sub)
			}
			if len(n.Attrs.Extra) > 0 && n.Attrs.Sub != OpSparseSoftmaxCELoss && n.Attrs.Sub != OpNLLLoss {
				return nil, fmt.Errorf("extra %v: only a sparse loss has an ignore index", n.Attrs.Extra)
			}
			if err := checkIgnore(n.Attrs); err != nil {
				return nil, err
			}
			if in[2].Rank() != 0 {
				return nil, fmt.Errorf("dloss must be a scalar")
			}
			return in[0].Clone(), nil
		}})

	// ---- macro ops ----
	def(&OpDef{Name: OpBatchNorm, Kind: Macro, MinInputs: 5, MaxInputs: 5, Attrs: []string{"eps", "momentum"},
		Doc: "Inputs (x, gamma, beta, running_mean, running_var), per channel (axis 1), PyTorch BatchNorm semantics: training normalises with the batch mean and biased variance and updates the running statistics with momentum (running_var with the unbiased variance); inference uses the running statistics.",
		Infer: func(n *Node, in []Shape) (Shape, error) {
			x := in[0]
			if x.Rank() < 2 || !x.Batched() {
				return nil, fmt.Errorf("needs a batched input with channels on axis 1")
			}
			for i, s := range in[1:] {
				if s.Rank() != 1 || s[0] != x[1] {
					return nil, fmt.Errorf("%s must be a vector of %d, got %s", [...]string{"gamma", "beta", "running_mean", "running_var"}[i], x[1], s)
				}
			}
			if n.Attrs.Eps <= 0 || n.Attrs.Momentum < 0 || n.Attrs.Momentum > 1 {
				return nil, fmt.Errorf("eps %g must be positive and momentum %g in [0,1]", n.Attrs.Eps, n.Attrs.Momentum)
			}
			return x.Clone(), nil
		}})
	def(&OpDef{Name: OpDropout, Kind: Macro, MinInputs: 1, MaxInputs: 1, Attrs: []string{"rate", "seed", "sub"},
		Doc: "Inverted dropout: training multiplies by a DropoutMask (zero with probability rate, else 1/(1-rate)); inference is the identity. " +
			"Sub \"channels\" draws one mask value per item and channel (axis 1) for all the axes after it (PyTorch's Dropout1d/2d, Keras' SpatialDropout2D); " +
			"\"features\" one per item and last-axis feature for every step of (N, T, F) (Keras' SpatialDropout1D).",
		Infer: func(n *Node, in []Shape) (Shape, error) {
			if !(n.Attrs.Rate >= 0 && n.Attrs.Rate < 1) {
				return nil, fmt.Errorf("dropout rate %g must be in [0, 1)", n.Attrs.Rate)
			}
			if !in[0].Batched() {
				return nil, fmt.Errorf("needs a batched input")
			}
			switch n.Attrs.Sub {
			case "":
			case DropoutChannels:
				if in[0].Rank() < 3 {
					return nil, fmt.Errorf("channel dropout needs (N, C, ...) with axes after the channels, got %s", in[0])
				}
			case DropoutFeatures:
				if in[0].Rank() != 3 {
					return nil, fmt.Errorf("feature dropout needs (N, T, F), got %s", in[0])
				}
			default:
				return nil, fmt.Errorf("unknown dropout variant %q", n.Attrs.Sub)
			}
			return in[0].Clone(), nil
		}})

	// Recurrent layers: PyTorch's torch.nn.RNN/LSTM/GRU (batch_first=True, one layer,
	// one direction per op), with PyTorch's weight layout and gate order, so weights
	// load from a torch state_dict unchanged. x_t is x[:, t, :]; h_{-1} = h0.
	rnnTail := " Output: the state after the last step processed (N,H), or with extra[RNNReturnSequences] every h_t at its time position t (N,T,H); extra[RNNReverse] processes t = T-1 down to 0. Training with rate > 0 first multiplies x by an inverted-dropout mask (DropoutMask semantics, stream seed): fresh for every element, or with extra[RNNVariational] one (N,1,F) mask for all steps; the recurrent state is never dropped. Inference ignores rate. With extra[RNNMasked] the last input is a step mask m (N,T,H) of 0 and 1, every unit of a step equal (Keras' mask_zero, 0 at a padding step): the states become m_t⊙new + (1-m_t)⊙previous, so a masked step leaves h (and c) as they were, exactly, and passes no gradient through the cell; the output without return sequences is the state after the last unmasked step, and with them a masked step outputs the state it left unchanged, or zeros with extra[RNNZeroMasked] (what Keras' Bidirectional asks of its layers when it returns sequences)."
	rnnAttrs := []string{"act", "sub", "extra", "rate", "seed"}
	def(&OpDef{Name: OpSimpleRNN, Kind: Macro, MinInputs: 4, MaxInputs: 7, Attrs: rnnAttrs, Infer: inferRecurrent,
		Doc: "Elman RNN (PyTorch RNN, Keras SimpleRNN). Inputs (x (N,T,F), w_ih (H,F), w_hh (H,H), h0 (N,H)[, b_ih (H), b_hh (H)]): h_t = act(x_t·w_ihᵀ + b_ih + h_{t-1}·w_hhᵀ + b_hh), act one of tanh, relu, sigmoid, linear; sub is empty." + rnnTail})
	def(&OpDef{Name: OpLSTM, Kind: Macro, MinInputs: 5, MaxInputs: 8, Attrs: rnnAttrs, Infer: inferRecurrent,
		Doc: "LSTM (PyTorch LSTM; Keras LSTM with its kernels transposed to gate rows). Inputs (x (N,T,F), w_ih (4H,F), w_hh (4H,H), h0 (N,H), c0 (N,H)[, b_ih (4H), b_hh (4H)]), gate rows in PyTorch's order i, f, g, o: z = x_t·w_ihᵀ + b_ih + h_{t-1}·w_hhᵀ + b_hh = [z_i|z_f|z_g|z_o]; i = sub(z_i), f = sub(z_f), g = act(z_g), o = sub(z_o); c_t = f⊙c_{t-1} + i⊙g; h_t = o⊙act(c_t); c_{-1} = c0. act (Keras activation, tanh in PyTorch) and sub (Keras recurrent_activation, sigmoid in PyTorch) are each one of tanh, sigmoid, relu, linear." + rnnTail})
	def(&OpDef{Name: OpGRU, Kind: Macro, MinInputs: 4, MaxInputs: 7, Attrs: rnnAttrs, Infer: inferRecurrent,
		Doc: "GRU (PyTorch GRU = Keras GRU with reset_after=True). Inputs (x (N,T,F), w_ih (3H,F), w_hh (3H,H), h0 (N,H)[, b_ih (3H), b_hh (3H)]), gate rows in PyTorch's order r, z, n: r = sub(W_ir x_t + b_ir + W_hr h_{t-1} + b_hr), z = sub(W_iz x_t + b_iz + W_hz h_{t-1} + b_hz), n = act(W_in x_t + b_in + r⊙(W_hn h_{t-1} + b_hn)); with extra[RNNResetBefore] (Keras reset_after=False, its one bias split in two) n = act(W_in x_t + b_in + W_hn (r⊙h_{t-1}) + b_hn); h_t = (1-z)⊙n + z⊙h_{t-1}. act (tanh) and sub (sigmoid) as for LSTM." + rnnTail})
}

// inferRecurrent is the shape rule of SimpleRNN, LSTM and GRU.
func inferRecurrent(n *Node, in []Shape) (Shape, error) {
	g, states, what := RNNGates(n.Op), 1, "h0"
	if n.Op == OpLSTM {
		states, what = 2, "h0, c0"
	}
	a := n.Attrs
	masked, withMask, k := RNNFlag(a, RNNMasked), 0, 3+states
	if masked {
		withMask = 1
	} else if RNNFlag(a, RNNZeroMasked) {
		return nil, fmt.Errorf("extra[RNNZeroMasked] needs extra[RNNMasked]")
	}
	if len(in) != k+withMask && len(in) != k+2+withMask {
		mask := ""
		if masked {
			mask = " and the mask"
		}
		return nil, fmt.Errorf("takes (x, w_ih, w_hh, %s) and optionally (b_ih, b_hh)%s: %d or %d inputs, not %d", what, mask, k+withMask, k+2+withMask, len(in))
	}
	if masked {
		m := in[len(in)-1]
		in = in[:len(in)-1]
		if len(in[0]) == 3 && len(in[2]) == 2 && !m.Equal(Shape{Batch, in[0][1], in[2][1]}) {
			return nil, fmt.Errorf("the mask must be (N, %d, %d), a value per step and unit, not %s", in[0][1], in[2][1], m)
		}
	}
	x, wih, whh := in[0], in[1], in[2]
	if x.Rank() != 3 || !x.Batched() {
		return nil, fmt.Errorf("x must be (N, time, features), not %s", x)
	}
	if whh.Rank() != 2 || whh[0] != g*whh[1] {
		return nil, fmt.Errorf("w_hh must be (%d·H, H), not %s", g, whh)
	}
	h := whh[1]
	if !wih.Equal(Shape{g * h, x[2]}) {
		return nil, fmt.Errorf("w_ih must be (%d, %d) for %d features and %d units, not %s", g*h, x[2], x[2], h, wih)
	}
	for i, s := range in[3 : 3+states] {
		if !s.Equal(Shape{Batch, h}) {
			return nil, fmt.Errorf("initial state %s must be (N, %d), not %s", [...]string{"h0", "c0"}[i], h, s)
		}
	}
	for i, s := range in[3+states:] {
		if !s.Equal(Shape{g * h}) {
			return nil, fmt.Errorf("%s must be a vector of %d, not %s", [...]string{"b_ih", "b_hh"}[i], g*h, s)
		}
	}
	if !RNNActivations[a.Act] {
		return nil, fmt.Errorf("activation %q must be tanh, sigmoid, relu or linear", a.Act)
	}
	if n.Op == OpSimpleRNN && a.Sub != "" {
		return nil, fmt.Errorf("SimpleRNN has no recurrent activation, got %q", a.Sub)
	}
	if n.Op != OpSimpleRNN && !RNNActivations[a.Sub] {
		return nil, fmt.Errorf("recurrent activation %q must be tanh, sigmoid, relu or linear", a.Sub)
	}
	if len(a.Extra) > rnnSwitches {
		return nil, fmt.Errorf("extra %v has more than %d switches", a.Extra, rnnSwitches)
	}
	for _, e := range a.Extra {
		if e != 0 && e != 1 {
			return nil, fmt.Errorf("extra %v: switches are 0 or 1", a.Extra)
		}
	}
	if n.Op != OpGRU && RNNFlag(a, RNNResetBefore) {
		return nil, fmt.Errorf("reset_before applies to GRU only")
	}
	if !(a.Rate >= 0 && a.Rate < 1) {
		return nil, fmt.Errorf("dropout rate %g must be in [0, 1)", a.Rate)
	}
	if RNNFlag(a, RNNReturnSequences) {
		return Shape{Batch, x[1], h}, nil
	}
	return Shape{Batch, h}, nil
}

// inferUpSample is the shape rule of the upsampling ops: (N, C, H·sh, W·sw).
func inferUpSample(n *Node, in []Shape) (Shape, error) {
	x, sc := in[0], n.Attrs.Scale
	if x.Rank() != 4 {
		return nil, fmt.Errorf("needs input (N,C,H,W)")
	}
	if len(sc) != 2 || sc[0] < 1 || sc[1] < 1 {
		return nil, fmt.Errorf("scale %v must be two positive factors", sc)
	}
	return Shape{x[0], x[1], x[2] * sc[0], x[3] * sc[1]}, nil
}

// inferUpSampleGrad is the shape rule of the upsampling gradients: dy's H and W
// divided by the factors.
func inferUpSampleGrad(n *Node, in []Shape) (Shape, error) {
	dy, sc := in[0], n.Attrs.Scale
	if dy.Rank() != 4 || len(sc) != 2 || sc[0] < 1 || sc[1] < 1 || dy[2]%sc[0] != 0 || dy[3]%sc[1] != 0 {
		return nil, fmt.Errorf("%s is not a multiple of scale %v", dy, sc)
	}
	return Shape{dy[0], dy[1], dy[2] / sc[0], dy[3] / sc[1]}, nil
}

func lossAttrs(op string) []string {
	if op == OpHuberLoss {
		return []string{"alpha"}
	}
	return nil
}

func same(_ *Node, in []Shape) (Shape, error) { return in[0].Clone(), nil }

func sameTwo(_ *Node, in []Shape) (Shape, error) {
	if !in[0].Equal(in[1]) {
		return nil, fmt.Errorf("shapes %s and %s differ", in[0], in[1])
	}
	return in[0].Clone(), nil
}

func scalar(_ *Node, in []Shape) (Shape, error) { return Shape{}, nil }

func validShape(s Shape, batchOK bool) error {
	for i, d := range s {
		if d == Batch && i == 0 && batchOK {
			continue
		}
		if d <= 0 {
			return fmt.Errorf("shape %s has a zero or negative size", s)
		}
	}
	return nil
}

func inferMatMul(n *Node, in []Shape) (Shape, error) {
	a, b := in[0], in[1]
	if a.Rank() < 2 || b.Rank() < 2 {
		return nil, fmt.Errorf("needs two matrices, or a stack of rows of rank ≥ 3 and a matrix")
	}
	if a.Rank() > 2 || b.Rank() > 2 {
		return inferStackedMatMul(n, a, b)
	}
	ar, ac := a[0], a[1]
	if n.Attrs.TransA {
		ar, ac = ac, ar
	}
	br, bc := b[0], b[1]
	if n.Attrs.TransB {
		br, bc = bc, br
	}
	if ac != br {
		return nil, fmt.Errorf("inner dimensions differ: %s·%s", dimStr(ac), dimStr(br))
	}
	if bc == Batch {
		return nil, fmt.Errorf("the batch dimension can only be the rows of the result")
	}
	return Shape{ar, bc}, nil
}

// inferStackedMatMul is the shape rule of a MatMul with an operand of rank ≥ 3: A's
// leading axes are rows, so A·op(B) keeps them and Aᵀ·B contracts over them.
func inferStackedMatMul(n *Node, a, b Shape) (Shape, error) {
	last := a.Rank() - 1
	if !n.Attrs.TransA {
		if a.Rank() < 3 || b.Rank() != 2 {
			return nil, fmt.Errorf("a product on the last axis needs A of rank ≥ 3 and a matrix B, not %s and %s", a, b)
		}
		br, bc := b[0], b[1]
		if n.Attrs.TransB {
			br, bc = bc, br
		}
		if a[last] != br {
			return nil, fmt.Errorf("inner dimensions differ: %s·%s", dimStr(a[last]), dimStr(br))
		}
		if bc == Batch {
			return nil, fmt.Errorf("the batch dimension can only be the rows of the result")
		}
		return append(a[:last].Clone(), bc), nil
	}
	if n.Attrs.TransB {
		return nil, fmt.Errorf("Aᵀ·Bᵀ is not defined for operands of rank ≥ 3")
	}
	if a.Rank() != b.Rank() || !a[:last].Equal(b[:last]) {
		return nil, fmt.Errorf("Aᵀ·B contracts over the leading axes, which differ: %s and %s", a, b)
	}
	return Shape{a[last], b[last]}, nil
}

func dimStr(d int) string {
	if d == Batch {
		return "N"
	}
	return fmt.Sprint(d)
}

func inferChannelVec(n *Node, in []Shape) (Shape, error) {
	x, v := in[0], in[1]
	if x.Rank() < 2 {
		return nil, fmt.Errorf("needs channels on axis 1")
	}
	if v.Rank() != 1 || v[0] != x[1] {
		return nil, fmt.Errorf("vector %s does not match %d channels", v, x[1])
	}
	return x.Clone(), nil
}

// lastAxis checks that s has a last axis that is not the batch.
func lastAxis(s Shape) error {
	if s.Rank() < 2 && (s.Rank() == 0 || s.Batched()) {
		return fmt.Errorf("needs a last axis after the batch, not %s", s)
	}
	return nil
}

func inferLastVec(n *Node, in []Shape) (Shape, error) {
	x, v := in[0], in[1]
	if err := lastAxis(x); err != nil {
		return nil, err
	}
	if v.Rank() != 1 || v[0] != x[x.Rank()-1] {
		return nil, fmt.Errorf("vector %s does not match the last axis of %s", v, x)
	}
	return x.Clone(), nil
}

func inferChannelReduce(n *Node, in []Shape) (Shape, error) {
	if in[0].Rank() < 2 {
		return nil, fmt.Errorf("needs channels on axis 1")
	}
	return Shape{in[0][1]}, nil
}

func checkWindowAttrs(a Attrs) error {
	if len(a.Strides) != 2 || a.Strides[0] < 1 || a.Strides[1] < 1 {
		return fmt.Errorf("strides %v must be two positive values", a.Strides)
	}
	if len(a.Pads) != 4 {
		return fmt.Errorf("pads %v must be {top, left, bottom, right}", a.Pads)
	}
	for _, p := range a.Pads {
		if p < 0 {
			return fmt.Errorf("pads %v must not be negative", a.Pads)
		}
	}
	return nil
}

// window returns the output size of a sliding window of kh×kw over h×w.
func window(a Attrs, h, w, kh, kw int, pool bool) (int, int, error) {
	if err := checkWindowAttrs(a); err != nil {
		return 0, 0, err
	}
	if kh < 1 || kw < 1 {
		return 0, 0, fmt.Errorf("kernel %dx%d must be positive", kh, kw)
	}
	ph, pw := h+a.Pads[0]+a.Pads[2], w+a.Pads[1]+a.Pads[3]
	if kh > ph || kw > pw {
		return 0, 0, fmt.Errorf("kernel %dx%d is larger than the padded input %dx%d", kh, kw, ph, pw)
	}
	oh, ow := (ph-kh)/a.Strides[0]+1, (pw-kw)/a.Strides[1]+1
	if pool {
		// Every window must see at least one real element, or its max is -∞.
		if a.Pads[0] >= kh || a.Pads[1] >= kw || (oh-1)*a.Strides[0]-a.Pads[0] >= h || (ow-1)*a.Strides[1]-a.Pads[1] >= w {
			return 0, 0, fmt.Errorf("padding %v leaves a %dx%d window with no input", a.Pads, kh, kw)
		}
	}
	return oh, ow, nil
}

// Dilation returns the {dh, dw} dilation of a convolution's attributes: {1, 1} when
// the attribute is empty.
func Dilation(a Attrs) (int, int) {
	if len(a.Dilations) != 2 {
		return 1, 1
	}
	return a.Dilations[0], a.Dilations[1]
}

// DilatedKernel is the extent of k kernel taps d apart, (k-1)·d+1: the window a
// dilated kernel slides, which sizes and pads the convolution as an undilated kernel
// of that size would.
func DilatedKernel(k, d int) int { return (k-1)*d + 1 }

// checkDilations checks the dilations attribute: empty, or two positive values.
func checkDilations(a Attrs) error {
	if a.Dilations != nil && (len(a.Dilations) != 2 || a.Dilations[0] < 1 || a.Dilations[1] < 1) {
		return fmt.Errorf("dilations %v must be two positive values {dh, dw}", a.Dilations)
	}
	return nil
}

// convWindow is window for a convolution, whose kernel of kh×kw taps may be dilated:
// the window it slides is DilatedKernel's.
func convWindow(a Attrs, h, w, kh, kw int) (int, int, error) {
	if err := checkDilations(a); err != nil {
		return 0, 0, err
	}
	dh, dw := Dilation(a)
	if dh == 1 && dw == 1 || kh < 1 || kw < 1 {
		return window(a, h, w, kh, kw, false)
	}
	oh, ow, err := window(a, h, w, DilatedKernel(kh, dh), DilatedKernel(kw, dw), false)
	if err != nil {
		return 0, 0, fmt.Errorf("kernel %dx%d dilated by %dx%d: %w", kh, kw, dh, dw, err)
	}
	return oh, ow, nil
}

func inferPool(n *Node, in []Shape) (Shape, error) {
	x, a := in[0], n.Attrs
	if x.Rank() != 4 {
		return nil, fmt.Errorf("needs input (N,C,H,W)")
	}
	if len(a.Kernel) != 2 {
		return nil, fmt.Errorf("kernel %v must be {kh, kw}", a.Kernel)
	}
	h, w, err := window(a, x[2], x[3], a.Kernel[0], a.Kernel[1], true)
	if err != nil {
		return nil, err
	}
	return Shape{x[0], x[1], h, w}, nil
}

func inferPoolGrad(n *Node, in []Shape) (Shape, error) {
	s := n.Attrs.Shape
	if s.Rank() != 4 {
		return nil, fmt.Errorf("shape %s must be (N,C,H,W)", s)
	}
	y, err := inferPool(n, []Shape{s})
	if err != nil {
		return nil, err
	}
	if !y.Equal(in[0]) {
		return nil, fmt.Errorf("dy %s does not match the pooled shape %s", in[0], y)
	}
	return s.Clone(), nil
}

// BCEEpsilon floors p·(1-p) in BCELoss's gradient: PyTorch's EPSILON in
// binary_cross_entropy_backward, a float 1e-12, which a float64 computation reads
// as 9.99999996e-13.
const BCEEpsilon = float64(float32(1e-12))

// ConvOut is the output length of a window of size k with stride s over n elements
// padded by lo and hi.
func ConvOut(n, k, s, lo, hi int) int { return (n+lo+hi-k)/s + 1 }

// SamePads returns the {before, after} padding of Keras/TensorFlow "same": the output
// has ceil(n/s) elements and any odd pad goes at the end.
func SamePads(n, k, s int) (int, int) {
	out := (n + s - 1) / s
	total := (out-1)*s + k - n
	if total < 0 {
		total = 0
	}
	return total / 2, total - total/2
}

// defSmoothActivations defines ELU, SELU, softplus, GELU and SiLU and their
// gradient-only ops. Each gradient op takes (x, dy), x the activation's input, and
// computes dy times the derivative at x as PyTorch 1.13's backward does, including
// at the points where the formula changes.
func defSmoothActivations() {
	geluSub := func(n *Node) error {
		if n.Attrs.Sub != "" && n.Attrs.Sub != GeluTanh {
			return fmt.Errorf("sub %q must be empty (the exact GELU) or %q (its tanh approximation)", n.Attrs.Sub, GeluTanh)
		}
		return nil
	}
	finiteAlpha := func(n *Node) error {
		if math.IsNaN(n.Attrs.Alpha) || math.IsInf(n.Attrs.Alpha, 0) {
			return fmt.Errorf("alpha %g must be finite", n.Attrs.Alpha)
		}
		return nil
	}
	checked := func(check func(*Node) error, infer func(*Node, []Shape) (Shape, error)) func(*Node, []Shape) (Shape, error) {
		return func(n *Node, in []Shape) (Shape, error) {
			if err := check(n); err != nil {
				return nil, err
			}
			return infer(n, in)
		}
	}
	def(&OpDef{Name: OpElu, Kind: Primitive, MinInputs: 1, MaxInputs: 1, Attrs: []string{"alpha"}, Infer: checked(finiteAlpha, same),
		Doc: "y = x for x > 0, alpha·(exp(x) - 1) otherwise (PyTorch ELU, Keras elu; package nn's default alpha is their 1)."})
	def(&OpDef{Name: OpSelu, Kind: Primitive, MinInputs: 1, MaxInputs: 1, Infer: same,
		Doc: "y = λ·x for x > 0, λ·α·(exp(x) - 1) otherwise, with PyTorch's constants α = SeluAlpha = 1.6732632423543772848170429916717 and λ = SeluScale = 1.0507009873554804934193349852946 (torch.nn.SELU, Keras selu)."})
	def(&OpDef{Name: OpSoftplus, Kind: Primitive, MinInputs: 1, MaxInputs: 1, Infer: same,
		Doc: "y = x for x > 20, ln(1 + exp(x)) otherwise: PyTorch's Softplus with its defaults beta = 1 and threshold = 20. Keras' softplus has no threshold; above 20 the two differ by ln(1 + exp(-x)) < 2.1e-9, less than half a float32 ulp of x, so they agree in float32."})
	def(&OpDef{Name: OpGelu, Kind: Primitive, MinInputs: 1, MaxInputs: 1, Attrs: []string{"sub"}, Infer: checked(geluSub, same),
		Doc: "With sub empty the exact GELU, y = x·Φ(x) = x·(1 + erf(x/√2))/2 with Φ the standard normal CDF (PyTorch approximate='none', Keras approximate=False); with sub \"tanh\" its tanh approximation, y = x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))/2 (PyTorch approximate='tanh', Keras approximate=True)."})
	def(&OpDef{Name: OpSilu, Kind: Primitive, MinInputs: 1, MaxInputs: 1, Infer: same,
		Doc: "y = x·sigmoid(x) = x/(1 + exp(-x)): SiLU, also called swish (PyTorch SiLU, Keras swish and silu)."})
	def(&OpDef{Name: OpEluGrad, Kind: GradOnly, MinInputs: 2, MaxInputs: 2, Attrs: []string{"alpha"}, Infer: checked(finiteAlpha, sameTwo),
		Doc: "Inputs (x, dy) of an Elu: dx = dy for x > 0, alpha·exp(x)·dy otherwise (alpha·dy at x = 0, as PyTorch)."})
	def(&OpDef{Name: OpSeluGrad, Kind: GradOnly, MinInputs: 2, MaxInputs: 2, Infer: sameTwo,
		Doc: "Inputs (x, dy) of a Selu: dx = λ·dy for x > 0, λ·α·exp(x)·dy otherwise (λ·α·dy at x = 0, as PyTorch)."})
	def(&OpDef{Name: OpSoftplusGrad, Kind: GradOnly, MinInputs: 2, MaxInputs: 2, Infer: sameTwo,
		Doc: "Inputs (x, dy) of a Softplus: dx = dy for x > 20, dy·exp(x)/(1 + exp(x)) otherwise (PyTorch's threshold branch)."})
	def(&OpDef{Name: OpGeluGrad, Kind: GradOnly, MinInputs: 2, MaxInputs: 2, Attrs: []string{"sub"}, Infer: checked(geluSub, sameTwo),
		Doc: "Inputs (x, dy) of a Gelu with the same sub. Exact: dx = dy·(Φ(x) + x·φ(x)), φ(x) = exp(-x²/2)/√(2π). Tanh: with u = √(2/π)·(x + 0.044715·x³), dx = dy·((1 + tanh u)/2 + (x/2)·(1 - tanh² u)·√(2/π)·(1 + 3·0.044715·x²)), as PyTorch's gelu_backward."})
	def(&OpDef{Name: OpSiluGrad, Kind: GradOnly, MinInputs: 2, MaxInputs: 2, Infer: sameTwo,
		Doc: "Inputs (x, dy) of a Silu: dx = dy·σ(x)·(1 + x·(1 - σ(x))), σ the sigmoid."})
}

// defEmbedding defines Embedding and EmbeddingGrad. The ids are int class-index
// style inputs, read as row numbers of the weight; an id outside [0, vocab) is an
// error at run time, as for labels.
func defEmbedding() {
	// checkPad checks extra: empty, or [padding_idx] with 0 ≤ padding_idx < vocab.
	checkPad := func(n *Node, vocab int) error {
		if len(n.Attrs.Extra) > 1 {
			return fmt.Errorf("extra %v holds more than the padding index", n.Attrs.Extra)
		}
		if p, ok := EmbeddingPad(n.Attrs); ok && (p < 0 || p >= vocab) {
			return fmt.Errorf("padding index %d is not a row of the %d-row weight", p, vocab)
		}
		return nil
	}
	ids := func(s Shape) error {
		if !s.Batched() {
			return fmt.Errorf("ids %s must be batched, (N, ...)", s)
		}
		return nil
	}
	def(&OpDef{Name: OpEmbedding, Kind: Primitive, MinInputs: 2, MaxInputs: 2, Attrs: []string{"extra"}, IntInputs: []int{0},
		Doc: "Inputs (ids (N, d...) of dtype int, weight (V, D)): y[..., :] = weight[ids[...], :], of shape (N, d..., D): each id selects a row of the weight (PyTorch's nn.Embedding with weight (num_embeddings, embedding_dim), Keras' Embedding). An id outside [0, V) is an error at run time. extra, if not empty, is [padding_idx] (0 ≤ padding_idx < V): that row gets no gradient (PyTorch's padding_idx); the forward reads it like any other. The ids have no gradient.",
		Infer: func(n *Node, in []Shape) (Shape, error) {
			x, w := in[0], in[1]
			if err := ids(x); err != nil {
				return nil, err
			}
			if w.Rank() != 2 || w.Batched() {
				return nil, fmt.Errorf("weight %s must be a (vocabulary, dimension) matrix", w)
			}
			if err := checkPad(n, w[0]); err != nil {
				return nil, err
			}
			return append(x.Clone(), w[1]), nil
		}})
	def(&OpDef{Name: OpEmbeddingGrad, Kind: GradOnly, MinInputs: 2, MaxInputs: 2, Attrs: []string{"shape", "extra"}, IntInputs: []int{0},
		Doc: "Inputs (ids (N, d...), dy (N, d..., D)) of an Embedding whose weight has shape (V, D) (attribute shape): dw[v, :] = Σ of dy[p, :] over the positions p (batch included) whose id is v, so a repeated id adds up its rows; rows no id selects are 0, and so is the row of the padding index in extra, if any (PyTorch's dense embedding_backward). The sum runs over the positions in row-major order, batch first, starting from 0.",
		Infer: func(n *Node, in []Shape) (Shape, error) {
			x, dy, s := in[0], in[1], n.Attrs.Shape
			if err := ids(x); err != nil {
				return nil, err
			}
			if s.Rank() != 2 || validShape(s, false) != nil {
				return nil, fmt.Errorf("shape %s must be the weight's (vocabulary, dimension)", s)
			}
			if !dy.Equal(append(x.Clone(), s[1])) {
				return nil, fmt.Errorf("dy %s must be the ids %s with a last axis of %d", dy, x, s[1])
			}
			if err := checkPad(n, s[0]); err != nil {
				return nil, err
			}
			return s.Clone(), nil
		}})
}

// OpPad2D is zero padding and cropping of an image's rows and columns (PyTorch's
// F.pad with constant 0 on the last two axes, negative amounts included; Keras'
// ZeroPadding2D and Cropping2D). docs/decisions.md says why one op does both.
const OpPad2D = "Pad2D"

// defPad2D defines Pad2D. It is its own adjoint: the gradient of Pad2D with pads p
// is Pad2D of dy with pads -p, which crops what was added and pads back what was
// cropped.
func defPad2D() {
	def(&OpDef{Name: OpPad2D, Kind: Primitive, MinInputs: 1, MaxInputs: 1, Attrs: []string{"pads"},
		Doc: "Zero padding and cropping of the last two axes of x (N,C,H,W), as PyTorch's F.pad(x, (left, right, top, bottom)) with mode 'constant' and value 0 computes it: " +
			"pads {top, left, bottom, right} (Conv2D's order) are the rows added above and below and the columns added left and right, and a negative amount removes that many rows or columns instead (F.pad's negative padding, a crop). " +
			"y[n,c,h,w] = x[n,c,h-top,w-left] where that index is inside x, else 0; y is (N, C, H+top+bottom, W+left+right). At least one row and one column of x must remain. " +
			"Keras' ZeroPadding2D is the case of non-negative pads, Cropping2D that of non-positive ones. The gradient is Pad2D of dy with the pads negated.",
		Infer: func(n *Node, in []Shape) (Shape, error) {
			x, p := in[0], n.Attrs.Pads
			if x.Rank() != 4 {
				return nil, fmt.Errorf("needs input (N,C,H,W)")
			}
			if len(p) != 4 {
				return nil, fmt.Errorf("pads %v must be {top, left, bottom, right}", p)
			}
			for a, what := range []string{"rows", "columns"} {
				if kept := x[2+a] - max(0, -p[a]) - max(0, -p[a+2]); kept < 1 {
					return nil, fmt.Errorf("pads %v crop all %d %s of %s", p, x[2+a], what, x)
				}
			}
			return Shape{x[0], x[1], x[2] + p[0] + p[2], x[3] + p[1] + p[3]}, nil
		}})
}

// LogSoftmax over the last axis (PyTorch's log_softmax, Keras' log_softmax), its
// gradient-only op, and the negative log-likelihood loss (PyTorch's NLLLoss) that
// usually reads it.
const (
	OpLogSoftmax     = "LogSoftmax"
	OpLogSoftmaxGrad = "LogSoftmaxGrad"
	OpNLLLoss        = "NLLLoss"
)

// defLogSoftmax defines LogSoftmax, LogSoftmaxGrad and NLLLoss.
func defLogSoftmax() {
	def(&OpDef{Name: OpLogSoftmax, Kind: Primitive, MinInputs: 1, MaxInputs: 1,
		Doc: "Log-softmax over the last axis, y = x - m - ln Σ exp(x - m) with m the row's maximum (PyTorch's log_softmax(x, dim=-1), Keras' log_softmax): stable where ln(softmax(x)) underflows to -inf.",
		Infer: func(n *Node, in []Shape) (Shape, error) {
			if in[0].Rank() < 1 || (in[0].Batched() && in[0].Rank() < 2) {
				return nil, fmt.Errorf("log-softmax needs a class axis after the batch")
			}
			return in[0].Clone(), nil
		}})
	def(&OpDef{Name: OpLogSoftmaxGrad, Kind: GradOnly, MinInputs: 2, MaxInputs: 2, Infer: sameTwo,
		Doc: "Inputs (y, dy) with y = log_softmax(x) over the last axis: dx = dy - exp(y)·Σ dy, the sum over the row (PyTorch's log_softmax backward, which also reads the output)."})
	def(&OpDef{Name: OpNLLLoss, Kind: Primitive, MinInputs: 2, MaxInputs: 2, Attrs: []string{"extra"},
		Doc: "Inputs (x (N, d..., C), labels (N, d...) of dtype int): mean over the R = N·d… rows of the last axis of -x[label], PyTorch's NLLLoss (reduction 'mean', no weight; its class axis is 1: the same number on x moved to (N, C, d...)). x is normally log-probabilities (a LogSoftmax) but is not checked to be. The gradient is -1/R at each row's label and 0 elsewhere. A label outside [0,C) is an error at run time. extra, if not empty, is [ignore_index] (PyTorch's ignore_index): the rows whose label is ignore_index count neither in the sum nor in R, and get no gradient. When every row is ignored the loss is NaN (0/0, as PyTorch 1.13) and the gradient 0 everywhere.",
		Infer: func(n *Node, in []Shape) (Shape, error) {
			if err := checkIgnore(n.Attrs); err != nil {
				return nil, err
			}
			z, y := in[0], in[1]
			if z.Rank() < 2 || !z.Batched() {
				return nil, fmt.Errorf("log-probabilities %s must be (N, ..., classes)", z)
			}
			if !y.Equal(z[:z.Rank()-1]) {
				return nil, fmt.Errorf("labels %s must be the log-probabilities %s without their class axis, %s", y, z, z[:z.Rank()-1])
			}
			return Shape{}, nil
		}})
}
