// Package models holds dlgen's example and benchmark models, written with package nn.
// MLP, LeNet and ConvDAE are the workloads W1, W2 and W4 of the benchmark
// (shared/WORKLOADS.md), defined exactly as there so that dlgen and its peers run
// the same networks. AllOps is not a useful network: it exercises every layer,
// activation, padding mode and loss the builder has, so that generated code can be
// checked against the interpreter on every op.
//
// Each constructor is marked with a //dlgen:model line, which is how `dlgen
// generate` finds it.
package models

import "github.com/dlgen/dlgen/nn"

// MLP is workload W1: a 784-pixel MNIST image → Dense 128 ReLU → Dense 10, trained
// with softmax cross-entropy on class labels. Predict returns class probabilities.
//
//dlgen:model
func MLP() *nn.Model {
	m := nn.New("mlp")
	x := m.Input("image", 784)
	y := m.Labels("label")
	logits := x.Dense("fc1", 128, nn.Act("relu")).Dense("fc2", 10)
	m.Output("probs", logits.Softmax("probs"))
	m.Loss(nn.SparseCategoricalCrossEntropy("loss", logits, y, nn.FromLogits))
	return m
}

// Regressor is a regression MLP in the shape of the Boston-housing examples of Keras
// courses: 13 features → Dense 64 ReLU → Dense 64 ReLU → Dense 1, trained with mean
// squared error on a float target. Predict returns the estimate.
//
//dlgen:model
func Regressor() *nn.Model {
	m := nn.New("regressor")
	x := m.Input("features", 13)
	y := m.Target("value", 1)
	out := x.Dense("fc1", 64, nn.Act("relu")).Dense("fc2", 64, nn.Act("relu")).Dense("fc3", 1)
	m.Output("estimate", out)
	m.Loss(nn.MSE("loss", out, y))
	return m
}

// Tagger is a sequence tagger in the shape of the part-of-speech examples of Keras and
// PyTorch courses: 20 steps of 8 features → LSTM with 16 units at every step →
// per-step Dense 5, trained with softmax cross-entropy on a class label per step
// (averaged over all steps). Predict returns (N, 20, 5) class probabilities.
//
//dlgen:model
func Tagger() *nn.Model {
	m := nn.New("tagger")
	seq := m.Input("seq", 20, 8)
	tags := m.Labels("tags", 20)
	logits := seq.LSTM("lstm", 16, nn.ReturnSequences).Dense("out", 5)
	m.Output("probs", logits.Softmax("probs"))
	m.Loss(nn.SparseCategoricalCrossEntropy("loss", logits, tags, nn.FromLogits))
	return m
}

// PadTagger tags padded sentences: 12 token ids from a 50-word vocabulary, id 0
// padding the end of short sentences → Embedding(50, 16) with padding row 0 → LSTM
// with 16 units at every step → per-step Dense 5, trained with softmax
// cross-entropy whose pad steps are labelled -100 and ignored (PyTorch's
// ignore_index=-100, nn.IgnoreIndex): the loss is the mean over the real words
// only. The LSTM reads left to right, so the padding after a sentence does not
// change its tags. Predict returns (N, 12, 5) class probabilities. (PyTorch:
// nn.Embedding(50, 16, padding_idx=0), nn.LSTM(16, 16, batch_first=True),
// nn.Linear(16, 5), nn.CrossEntropyLoss(ignore_index=-100) on the logits moved to
// (N, 5, 12).)
//
//dlgen:model
func PadTagger() *nn.Model {
	m := nn.New("padtagger")
	tokens := m.Indices("tokens", 12)
	tags := m.Labels("tags", 12)
	h := tokens.Embedding("embed", 50, 16, nn.PaddingIdx(0)) // (N, 12, 16)
	logits := h.LSTM("lstm", 16, nn.ReturnSequences).Dense("out", 5)
	m.Output("probs", logits.Softmax("probs"))
	m.Loss(nn.SparseCategoricalCrossEntropy("loss", logits, tags, nn.FromLogits, nn.IgnoreIndex(-100)))
	return m
}

// LeNet is workload W2, a LeNet-5-like network on 1×28×28 images: Conv 6@5×5 same
// ReLU, MaxPool 2, Conv 16@5×5 valid ReLU, MaxPool 2, Flatten, Dense 120 ReLU, Dense
// 84 ReLU, Dense 10, softmax cross-entropy.
//
//dlgen:model
func LeNet() *nn.Model {
	m := nn.New("lenet")
	x := m.Input("image", 1, 28, 28)
	y := m.Labels("label")
	h := x.Conv2D("conv1", 6, nn.K(5), nn.Same, nn.Act("relu"))
	h = h.MaxPool2D("pool1", nn.K(2))
	h = h.Conv2D("conv2", 16, nn.K(5), nn.Act("relu")).MaxPool2D("pool2", nn.K(2))
	h = h.Flatten("flat").Dense("fc1", 120, nn.Act("relu")).Dense("fc2", 84, nn.Act("relu"))
	logits := h.Dense("fc3", 10)
	m.Output("probs", logits.Softmax("probs"))
	m.Loss(nn.SparseCategoricalCrossEntropy("loss", logits, y, nn.FromLogits))
	return m
}

// ConvDAE is workload W4, a convolutional denoising autoencoder: it maps a noisy
// 1×28×28 image to a clean one through Conv 32@3×3 same ReLU, MaxPool 2, Conv 32 ReLU,
// MaxPool 2, Conv 32 ReLU, UpSample ×2, Conv 32 ReLU, UpSample ×2 and Conv 1 sigmoid,
// trained with binary cross-entropy against the clean image.
//
//dlgen:model
func ConvDAE() *nn.Model {
	m := nn.New("convdae")
	noisy := m.Input("noisy", 1, 28, 28)
	clean := m.Target("clean", 1, 28, 28)
	relu := nn.Act("relu")
	h := noisy.Conv2D("enc1", 32, nn.K(3), nn.Same, relu).MaxPool2D("pool1", nn.K(2)) // 32×14×14
	h = h.Conv2D("enc2", 32, nn.K(3), nn.Same, relu).MaxPool2D("pool2", nn.K(2))      // 32×7×7
	h = h.Conv2D("bottleneck", 32, nn.K(3), nn.Same, relu).UpSampling2D("up1", 2)     // 32×14×14
	h = h.Conv2D("dec1", 32, nn.K(3), nn.Same, relu).UpSampling2D("up2", 2)           // 32×28×28
	denoised := h.Conv2D("dec2", 1, nn.K(3), nn.Same, nn.Act("sigmoid"))              // 1×28×28
	m.Output("denoised", denoised)
	m.Loss(nn.BinaryCrossEntropy("loss", denoised, clean))
	return m
}

// AllOps uses every layer, activation, padding mode, initializer family and loss of
// package nn on small shapes, with several weighted loss terms. The comments give
// each tensor's shape after the batch.
//
//dlgen:model
func AllOps() *nn.Model {
	m := nn.New("allops", nn.Seed(7))
	x := m.Input("image", 3, 8, 8)
	label := m.Labels("label")
	onehot := m.Target("onehot", 5)
	mask := m.Target("mask", 3, 8, 8)
	flag := m.Target("flag", 1)
	seq := m.Input("seq", 5, 3)      // (N, T=5, F=3)
	tokens := m.Indices("tokens", 4) // (N, 4) int ids
	tags := m.Labels("tags", 5)      // one class per step of seq

	// Two convolution branches joined by a residual sum.
	a := x.Conv2D("conv_same", 4, nn.K(3), nn.Same, nn.Act("relu")) // 4×8×8
	a = a.BatchNorm("bn")
	b := x.Conv2D("conv_full", 4, nn.K(3), nn.Full, nn.NoBias, nn.Act("tanh"), nn.KernelInit("glorot_normal")) // 4×10×10
	b = b.AvgPool2D("avg_valid", nn.K(3), nn.Strides(1))                                                       // 4×8×8
	sum := nn.Add("residual", a, b)                                                                            // 4×8×8

	// Pooling both ways, a gate, a difference and a channel concatenation.
	p := sum.MaxPool2D("max_pool", nn.K(2))                                  // 4×4×4
	q := sum.AvgPool2D("avg_same", nn.K(3), nn.Strides(2), nn.Same)          // 4×4×4, padding excluded
	gated := nn.Mul("gated", p, q.Sigmoid("gate"))                           // 4×4×4
	diff := nn.Sub("diff", p, q)                                             // 4×4×4
	cat := nn.Concat("concat", 1, gated, diff)                               // 8×4×4
	cat = cat.MaxPool2D("max_pool_pads", nn.K(3), nn.Strides(1), nn.Pads(1)) // 8×4×4

	// A strided, asymmetrically padded convolution with a leaky ReLU, then upsampling
	// and two transposed convolutions.
	u := cat.Conv2D("conv_strided", 6, nn.K(3, 2), nn.Strides(2, 1), nn.Pads(1, 0, 1, 1),
		nn.KernelInit("he_normal"), nn.BiasInit("const", 0.1), nn.Act("leaky_relu", 0.2)) // 6×2×4
	up := u.UpSampling2D("upsample", 2, 1) // 6×4×4
	// Bilinear upsampling by an odd and an even factor, under a convolution whose
	// mean is a loss term.
	bl := u.UpSampling2D("upsample_bilinear", 3, 2, nn.Bilinear) // 6×6×8
	bl = bl.Conv2D("conv_bilinear", 2, nn.K(3), nn.Act("tanh"))  // 2×4×6
	recon := up.Conv2DTranspose("deconv_same", 3, nn.K(3), nn.Strides(2), nn.Same,
		nn.Act("sigmoid"), nn.KernelInit("lecun_uniform")) // 3×8×8
	dv := u.Conv2DTranspose("deconv_valid", 2, nn.K(2, 3), nn.Strides(3, 2), nn.NoBias) // 2×6×9
	dp := u.Conv2DTranspose("deconv_pads", 2, nn.K(3), nn.Strides(2), nn.Pads(1), nn.OutPad(1),
		nn.KernelInit("he_uniform")) // 2×4×8
	gap := nn.Concat("gap_concat", 1, dv.GlobalAvgPool2D("gap_valid"), dp.GlobalAvgPool2D("gap_pads")) // 4

	// Recurrent layers of every kind over the sequence input, one of them started from
	// a state computed from the images, and a Dense applied to every step between two
	// of them.
	h0 := gap.Dense("h0", 4, nn.Act("tanh"))                                                           // 4
	r := seq.SimpleRNN("rnn", 4, nn.Act("relu"), nn.ReturnSequences)                                   // 5×4
	r = r.GRU("gru", 4, nn.ReturnSequences, nn.ResetBefore, nn.InputDropout(0.1), nn.InitialState(h0)) // 5×4
	r = r.Dense("per_step", 4, nn.Act("tanh")).LayerNorm("ln_steps")                                   // 5×4: Dense and LayerNorm on the last axis
	tagLogits := r.Dense("tag", 3)                                                                     // 5×3: a class per step
	r = r.Bidirectional("bilstm", nn.LSTMLayer(3, nn.TorchInit, nn.VariationalDropout(0.2)), "concat") // 6
	lstm := seq.LSTM("lstm", 4, nn.RecurrentAct("sigmoid"), nn.NoBias)                                 // 4
	rec := nn.Concat("rec_concat", 1, r, lstm)                                                         // 10

	// A dense head with dropout, batch norm over features and reshapes.
	f := u.Flatten("flatten").Dropout("dropout", 0.25)                                          // 48
	f = f.Dense("fc", 16, nn.KernelInit("lecun_normal"), nn.BiasInit("uniform", 0.05))          // 16
	f = nn.Concat("head_concat", -1, f, gap, rec)                                               // 30
	f = f.BatchNorm("bn_fc", nn.Eps(1e-3), nn.Momentum(0.01))                                   // 30
	f = f.Reshape("unflatten", 2, -1, 5).LeakyReLU("leaky").Flatten("flatten2")                 // 2×3×5 → 30
	f = f.Tanh("tanh").Relu("relu").Activation("linear", "linear")                              // 30
	logits := f.Dense("logits", 5, nn.Act("linear"), nn.KernelInit("xavier_uniform"))           // 5
	probs := logits.Softmax("probs")                                                            // 5
	flagLogit := gap.Dense("flag_logit", 1, nn.KernelInit("uniform", 0.5), nn.BiasInit("ones")) // 1
	flagProb := gap.Dense("flag_prob", 1, nn.Act("sigmoid"), nn.KernelInit("zeros"))            // 1

	// Autoencoder pieces: both corruptions of the image, a sigmoid code under every
	// code regularizer, and a variational sample drawn from it.
	noisy := x.GaussianNoise("gauss_noise", 0.1).MaskingNoise("mask_noise", 0.2).Flatten("noisy_flat") // 192
	code := noisy.Dense("code", 6, nn.Act("sigmoid"))                                                  // 6
	mu, logvar := code.Dense("z_mean", 2), code.Dense("z_log_var", 2)                                  // 2, 2
	z := nn.Sample("z", mu, logvar)                                                                    // 2

	// The smooth activations after convolutions (the second one pooled) and dense
	// layers and as layers of their own; their mean is a loss term.
	sm := x.Conv2D("conv_elu", 2, nn.K(3), nn.Same, nn.Act("elu"))                                  // 2×8×8
	sm = sm.Conv2D("conv_gelu", 2, nn.K(3), nn.Strides(2), nn.Same, nn.Act("gelu"))                 // 2×4×4
	sm = sm.MaxPool2D("pool_gelu", nn.K(2)).Flatten("smooth_flat")                                  // 8
	sm = sm.Dense("dense_selu", 6, nn.Act("selu")).ELU("elu_layer", 0.5)                            // 6
	sm = sm.Dense("dense_softplus", 6, nn.Act("softplus")).Dense("dense_swish", 6, nn.Act("swish")) // 6
	sm = sm.SiLU("silu_layer").Dense("dense_gelu_tanh", 5, nn.Act("gelu_tanh"))                     // 5
	m.AddLoss(nn.Mean("smooth_mean", sm), 0.5)
	m.AddLoss(nn.Mean("bilinear_mean", bl), 0.5)

	// An embedding of token ids with a padding row, through a per-step Dense; its
	// mean is a loss term.
	emb := tokens.Embedding("embed", 9, 3, nn.PaddingIdx(0)).Dense("embed_proj", 2, nn.Act("tanh")) // 4×2
	m.AddLoss(nn.Mean("embed_mean", emb), 0.5)

	// A sequence decoder: the variational code repeated over 3 steps (RepeatVector)
	// into an LSTM with every step; its mean is a loss term.
	rep := z.RepeatVector("repeat", 3).LSTM("repeat_lstm", 2, nn.ReturnSequences) // 3×2
	m.AddLoss(nn.Mean("repeat_mean", rep), 0.5)

	// Dilated convolutions: a 3×3 kernel dilated by 2 with strides (2, 1) and Keras
	// same padding, then a transposed one dilated by (1, 2); their mean is a loss term.
	dil := x.Conv2D("conv_dilated", 2, nn.K(3), nn.Dilation(2), nn.Strides(2, 1), nn.Same, nn.Act("tanh")) // 2×4×8
	dil = dil.Conv2DTranspose("deconv_dilated", 2, nn.K(2), nn.Dilation(1, 2), nn.Strides(2))              // 2×8×17
	m.AddLoss(nn.Mean("dilated_mean", dil), 0.5)

	// Zero padding and cropping around a convolution (a Pad2D each way, the crop
	// uneven); the mean is a loss term.
	pc := x.ZeroPadding2D("zero_pad", 1, 2, 0, 1)          // 3×9×11
	pc = pc.Conv2D("conv_pad", 2, nn.K(3), nn.Act("tanh")) // 2×7×9
	pc = pc.Cropping2D("crop", 1, 0, 2, 3)                 // 2×4×6
	m.AddLoss(nn.Mean("pad_crop_mean", pc), 0.5)

	// Layer norms of a convolution's output over (C, H, W) with Keras' eps, over each
	// channel's (H, W) with a bias and no weight, and over the features without
	// affine parameters, each under a tanh; their mean is a loss term.
	ln := x.Conv2D("conv_ln", 2, nn.K(3), nn.Same).LayerNorm("ln_image", nn.NormShape(2, 8, 8), nn.Eps(1e-3)) // 2×8×8
	ln = ln.Tanh("ln_tanh").LayerNorm("ln_plane", nn.NormShape(8, 8), nn.NoScale).Flatten("ln_flat")          // 128
	ln = ln.Dense("ln_dense", 5).LayerNorm("ln_plain", nn.NoAffine).Tanh("ln_plain_tanh")                     // 5
	m.AddLoss(nn.Mean("ln_mean", ln), 0.5)

	// Parametric ReLUs: one α per channel after a convolution, then Keras' α shared
	// over the rows (an α per channel and column, SharedAxes(2)), PyTorch's one α
	// after a dense layer, and Keras' α per feature shared over the steps of the
	// sequence (shared_axes=[1]); their means are loss terms.
	pr := x.Conv2D("conv_prelu", 2, nn.K(3), nn.Strides(2)).PReLU("prelu_channel", nn.PerChannel)      // 2×3×3
	pr = pr.PReLU("prelu_rows", nn.SharedAxes(2), nn.KernelInit("uniform", 0.5)).Flatten("prelu_flat") // 18
	pr = pr.Dense("dense_prelu", 4).PReLU("prelu_one")                                                 // 4
	m.AddLoss(nn.Mean("prelu_mean", pr), 0.5)
	ps := seq.Dense("seq_prelu", 3).PReLU("prelu_steps", nn.SharedAxes(1), nn.KernelInit("zeros")) // 5×3
	m.AddLoss(nn.Mean("prelu_steps_mean", ps), 0.5)

	m.Output("probs", probs)
	m.Output("recon", recon)
	m.Output("flag", flagProb)
	m.Output("tag_probs", tagLogits.Softmax("tag_probs")) // 5×3: per-step probabilities

	m.AddLoss(nn.SparseCategoricalCrossEntropy("sparse_ce", logits, label, nn.FromLogits), 1)
	m.AddLoss(nn.CategoricalCrossEntropy("cce_logits", logits, onehot, nn.FromLogits), 0.5)
	m.AddLoss(nn.CategoricalCrossEntropy("cce_probs", probs, onehot), 0.25)
	m.AddLoss(nn.SparseCategoricalCrossEntropy("sparse_ce_probs", probs, label), 0.25)                  // Keras' default, on probabilities
	m.AddLoss(nn.SparseCategoricalCrossEntropy("sparse_ce_steps", tagLogits, tags, nn.FromLogits), 0.5) // over N·T steps
	// PyTorch's MNIST pair, log-softmax under the negative log-likelihood: as a layer
	// on the logits, and as a per-step Dense's activation with a label per step.
	m.AddLoss(nn.NLLLoss("nll", logits.LogSoftmax("log_probs"), label), 0.5)
	m.AddLoss(nn.NLLLoss("nll_steps", seq.Dense("step_log_probs", 3, nn.Act("log_softmax")), tags), 0.5)
	m.AddLoss(nn.MSE("mse", recon, x), 2)
	m.AddLoss(nn.MAE("mae", recon, x), 0.1)
	m.AddLoss(nn.Huber("huber", recon, x, 0.5), 0.1)
	m.AddLoss(nn.BinaryCrossEntropy("bce", recon, mask), 0.3)
	m.AddLoss(nn.BinaryCrossEntropy("bce_logits", flagLogit, flag, nn.FromLogits), 0.2)
	m.AddLoss(nn.BinaryCrossEntropy("bce_probs", flagProb, flag), 0.2)
	m.AddLoss(nn.L1Activity("l1_code", code, 0.01), 1)
	// The element-wise math builders: Σ log(code / exp(code)), finite since the
	// sigmoid code is positive.
	m.AddLoss(nn.Sum("log_ratio", nn.Div("code_ratio", code, code.Exp("code_exp")).Log("code_log")), 0.001)
	m.AddLoss(nn.KLSparsity("kl_sparsity", code, 0.1, 0.5), 1)
	m.AddLoss(nn.ContractivePenalty("contractive", code, 0.01), 1)
	m.AddLoss(nn.KLNormal("kl_normal", mu, logvar), 0.1)
	m.AddLoss(nn.L1Activity("l1_z", z, 0.01), 1)
	return m
}
