// Package nn is the Go API users write dlgen models with. It reads like Keras'
// functional API, computes what PyTorch computes, and names parameters as PyTorch's
// state_dict does, so weights move between the two without renaming or transposing:
//
//	m := nn.New("lenet")
//	x := m.Input("image", 1, 28, 28)          // (N, 1, 28, 28); N is the batch
//	y := m.Labels("label")                    // (N) int class indices; Labels("tags", T): (N, T)
//	h := x.Conv2D("conv1", 6, nn.K(5), nn.Same, nn.Act("relu"))
//	h = h.MaxPool2D("pool1", nn.K(2))         // stride defaults to the pool size
//	h = h.Conv2D("conv2", 16, nn.K(5), nn.Act("relu")).MaxPool2D("pool2", nn.K(2))
//	h = h.Flatten("flat").Dense("fc1", 120, nn.Act("relu")).Dense("fc2", 84, nn.Act("relu"))
//	logits := h.Dense("fc3", 10)
//	m.Output("probs", logits.Softmax("probs"))
//	m.Loss(nn.SparseCategoricalCrossEntropy("loss", logits, y, nn.FromLogits))
//	g, err := m.Build()                       // *ir.Graph, verified
//
// # Design
//
// A Model wraps one ir.Graph and appends nodes as layers are called; a T is one node
// of it. Layers are methods on T (a chain reads top to bottom, as a Keras
// Sequential); layers with several inputs (Add, Sub, Mul, Concat) and losses are
// package functions. Every layer takes a name, which is mandatory: it names the
// layer's parameters "<name>.weight", "<name>.bias" (and for BatchNorm
// "<name>.running_mean", "<name>.running_var"), its main op node "<name>" and its
// helper nodes "<name>/bias", "<name>/relu", and errors, dumps and generated code
// speak in it. Names are unique in a model and may contain '.' (for PyTorch-style
// nested names such as "block1.conv1") but not '/'.
//
// Optional settings are Option values (K, Strides, Same, Act, NoBias, KernelInit,
// FromLogits, ...), so a call lists only what differs from the defaults, as keyword
// arguments do in Python. Required sizes (units, filters, rates) are ordinary
// arguments. A layer rejects options it does not take.
//
// Errors do not interrupt the chain: the first error (an *ir.Error naming the layer,
// its type and its input shapes) is recorded, every later call does nothing, and
// Build returns it. No builder call panics on bad input, so a model constructor
// needs no error handling until Build.
//
// Semantics, where Keras and PyTorch differ: layout is NCHW with OIHW convolution
// weights, Dense weights are (out, in), Flatten is row-major over C, H, W, and
// losses average as reduction='mean' (all PyTorch). Padding names and their sizes
// follow Keras (Same puts an odd pad at the end; Conv2DTranspose with Same outputs
// in·stride), default initializers are Keras' (Glorot uniform kernels, zero biases)
// with fans computed as torch.nn.init does, and pooling strides default to the pool
// size. UpSampling2D with Bilinear uses half-pixel centres, PyTorch's
// align_corners=False, which is also Keras' in TensorFlow 2. BatchNorm uses PyTorch's eps, momentum convention and state names;
// LeakyReLU's default slope is PyTorch's 0.01; PReLU's α starts at PyTorch's 0.25,
// one for the whole input unless PerChannel or SharedAxes (Keras' shared_axes, in
// dlgen's channels-first axes) says otherwise. The smooth activations (Act: elu,
// selu, softplus, gelu, gelu_tanh, swish or silu) are PyTorch's: ELU's alpha is 1 in
// both frameworks, softplus is x above PyTorch's threshold of 20 (equal to Keras'
// in float32), and "gelu" is the exact erf form, the default of both, with
// "gelu_tanh" its approximation. Dense, Softmax and the categorical
// losses work on the last axis: Dense on an (N, T, F) sequence is the same layer
// applied at every step, (N, T, units), as torch.nn.Linear and Keras' Dense are, and
// CategoricalCrossEntropy on (N, T, C) averages over all N·T steps, as does
// SparseCategoricalCrossEntropy with (N, T) labels from Labels("tags", T), one class
// per step (PyTorch's CrossEntropyLoss on (N, C, T)). The categorical losses take
// logits with FromLogits and otherwise probabilities, with Keras' semantics: the
// sparse one on probabilities (Keras' default for Dense(10, activation="softmax")) is
// CategoricalCrossEntropy against one-hot targets, each row renormalised and clipped
// to [1e-7, 1-1e-7]. Embedding is PyTorch's nn.Embedding on int ids from Indices,
// with Keras' initializer (uniform in ±0.05) unless TorchInit, and PaddingIdx for
// PyTorch's padding_idx, and MaskZero for Keras' mask_zero (honoured by the
// recurrent layers, passed on by Dense, Activation and Dropout, refused elsewhere).
// LogSoftmax (Act
// "log_softmax") and NLLLoss are PyTorch's log_softmax over the last axis and
// nll_loss, labels as for SparseCategoricalCrossEntropy; NLLLoss has no weight.
// IgnoreIndex is PyTorch's ignore_index on NLLLoss and on
// SparseCategoricalCrossEntropy with FromLogits. LayerNorm is PyTorch's LayerNorm
// (eps 1e-5, the last axis or the NormShape axes, "<name>.weight" and "<name>.bias")
// with Keras' center and scale switches as NoCenter and NoScale. Groups is PyTorch's
// groups on Conv2D and Conv1D; DepthwiseConv2D and SeparableConv2D are Keras' layers,
// with PyTorch-layout weights. Permute is Keras' Permute (dims from 1 after the
// batch), the bridge between channels-last data such as an Embedding's (N, T, E)
// output and the channels-first layers. AdaptiveAvgPool2D and AdaptiveMaxPool2D are
// PyTorch's adaptive pools; SpatialDropout2D drops whole channels (PyTorch's
// Dropout2d) and SpatialDropout1D whole features of a sequence (Keras'); Act
// "relu6", "hard_sigmoid" and "hard_swish" are PyTorch's ReLU6, Hardsigmoid and
// Hardswish.
package nn
