package codegen

import (
	"fmt"

	"github.com/dlgen/dlgen/ir"
)

// gb builds test graphs directly with ir.Graph.Add, in the shapes and names package
// nn gives them, so these tests do not depend on the builder.
type gb struct {
	g   *ir.Graph
	err error
}

func newGB(name string) *gb { return &gb{g: ir.NewGraph(name)} }

func (b *gb) add(op, name, layer string, a ir.Attrs, in ...int) int {
	if b.err != nil {
		return -1
	}
	id, err := b.g.Add(op, name, layer, a, in...)
	if err != nil {
		b.err = fmt.Errorf("%s: %w", name, err)
	}
	return id
}

func (b *gb) input(name string, role ir.Role, dt ir.DType, dims ...int) int {
	return b.add(ir.OpInput, name, name, ir.Attrs{Shape: append(ir.Shape{ir.Batch}, dims...), Role: role, DType: dt})
}

func (b *gb) param(name, layer string, role ir.Role, init ir.Init, dims ...int) int {
	return b.add(ir.OpParam, name, layer, ir.Attrs{Shape: ir.Shape(dims), Role: role, Init: &init})
}

// dense is x·Wᵀ + b with PyTorch's (out, in) weight.
func (b *gb) dense(name string, x, in, out int) int {
	w := b.param(name+".weight", name, ir.RoleWeight, ir.Init{Kind: ir.InitHeUniform, FanIn: in, FanOut: out}, out, in)
	bias := b.param(name+".bias", name, ir.RoleWeight, ir.Init{Kind: ir.InitUniform, Value: 0.1}, out)
	y := b.add(ir.OpMatMul, name+"/matmul", name, ir.Attrs{TransB: true}, x, w)
	return b.add(ir.OpBiasAdd, name+"/bias", name, ir.Attrs{}, y, bias)
}

func (b *gb) build() (*ir.Graph, error) {
	if b.err != nil {
		return nil, b.err
	}
	return b.g, ir.Verify(b.g)
}

// mlpGraph is workload W1: 784 → Dense 128 ReLU → Dense 10, sparse softmax CE.
func mlpGraph() (*ir.Graph, error) {
	b := newGB("mlp")
	x := b.input("image", ir.RoleData, "", 784)
	label := b.input("label", ir.RoleTarget, ir.Int)
	h := b.add(ir.OpRelu, "fc1/relu", "fc1", ir.Attrs{}, b.dense("fc1", x, 784, 128))
	logits := b.dense("fc2", h, 128, 10)
	probs := b.add(ir.OpSoftmax, "probs", "probs", ir.Attrs{}, logits)
	b.g.Outputs = []ir.Output{{Name: "probs", ID: probs}}
	b.g.Loss = b.add(ir.OpSparseSoftmaxCELoss, "loss", "loss", ir.Attrs{}, logits, label)
	return b.build()
}

// zooGraph uses every op codegen emits (all but the convolution family) on small
// shapes: batch norm over a 3-D value (so that n = 1 still gives it four values per
// channel), dropout, every activation, shape op, reduction and all eight losses.
func zooGraph() (*ir.Graph, error) {
	b := newGB("zoo")
	x := b.input("x", ir.RoleData, "", 12)
	y := b.input("y", ir.RoleTarget, "", 4)
	z := b.input("z", ir.RoleTarget, "", 3)
	c := b.input("c", ir.RoleTarget, ir.Int)

	h := b.dense("fc1", x, 12, 32)
	r := b.add(ir.OpReshape, "unflatten", "unflatten", ir.Attrs{Shape: ir.Shape{8, 4}}, h)
	gamma := b.param("bn.weight", "bn", ir.RoleWeight, ir.Init{Kind: ir.InitUniform, Value: 1}, 8)
	beta := b.param("bn.bias", "bn", ir.RoleWeight, ir.Init{Kind: ir.InitUniform, Value: 0.2}, 8)
	rmean := b.param("bn.running_mean", "bn", ir.RoleState, ir.Init{Kind: ir.InitUniform, Value: 0.1}, 8)
	rvar := b.param("bn.running_var", "bn", ir.RoleState, ir.Init{Kind: ir.InitOnes}, 8)
	bn := b.add(ir.OpBatchNorm, "bn", "bn", ir.Attrs{Eps: 1e-5, Momentum: 0.1}, r, gamma, beta, rmean, rvar)
	f := b.add(ir.OpReshape, "flatten", "flatten", ir.Attrs{Shape: ir.Shape{32}}, bn)
	a := b.add(ir.OpLeakyRelu, "leaky", "leaky", ir.Attrs{Alpha: 0.1}, f)
	d := b.add(ir.OpDropout, "dropout", "dropout", ir.Attrs{Rate: 0.25, Seed: 5}, a)

	h2 := b.dense("fc2", d, 32, 16)
	t2 := b.add(ir.OpTanh, "fc2/tanh", "fc2", ir.Attrs{}, h2)
	s2 := b.add(ir.OpSigmoid, "fc2/sigmoid", "fc2", ir.Attrs{}, h2)
	cat := b.add(ir.OpConcat, "concat", "concat", ir.Attrs{Axis: 1}, t2, s2)
	sl := b.add(ir.OpSlice, "slice", "slice", ir.Attrs{Axis: 1, Start: 4, End: 28}, cat)

	paLogit := b.dense("head_a", sl, 24, 4)
	pa := b.add(ir.OpSigmoid, "head_a/sigmoid", "head_a", ir.Attrs{}, paLogit)
	lb := b.dense("head_b", sl, 24, 3)
	pb := b.add(ir.OpSoftmax, "head_b/softmax", "head_b", ir.Attrs{}, lb)
	lc := b.dense("head_c", sl, 24, 5)

	// Regularizers: mean(softplus(t/2) / (1+t²)) and Σ rsqrt(1+t²)·(t - relu(h2)).
	sp := b.add(ir.OpLog, "reg/softplus", "reg", ir.Attrs{},
		b.add(ir.OpAddScalar, "reg/one_plus_exp", "reg", ir.Attrs{Alpha: 1},
			b.add(ir.OpExp, "reg/exp", "reg", ir.Attrs{},
				b.add(ir.OpScale, "reg/half", "reg", ir.Attrs{Alpha: 0.5}, t2))))
	den := b.add(ir.OpAddScalar, "reg/den", "reg", ir.Attrs{Alpha: 1}, b.add(ir.OpSquare, "reg/sq", "reg", ir.Attrs{}, t2))
	reg := b.add(ir.OpReduceMean, "reg/mean", "reg", ir.Attrs{}, b.add(ir.OpDiv, "reg/div", "reg", ir.Attrs{}, sp, den))
	diff := b.add(ir.OpSub, "reg2/diff", "reg2", ir.Attrs{}, t2,
		b.add(ir.OpIdentity, "reg2/id", "reg2", ir.Attrs{}, b.add(ir.OpRelu, "reg2/relu", "reg2", ir.Attrs{}, h2)))
	reg2 := b.add(ir.OpReduceSum, "reg2/sum", "reg2", ir.Attrs{},
		b.add(ir.OpMul, "reg2/mul", "reg2", ir.Attrs{}, b.add(ir.OpRsqrt, "reg2/rsqrt", "reg2", ir.Attrs{}, den), diff))

	terms := []struct {
		id     int
		weight float64
	}{
		{b.add(ir.OpMSELoss, "mse", "mse", ir.Attrs{}, pa, y), 1},
		{b.add(ir.OpMAELoss, "mae", "mae", ir.Attrs{}, pa, y), 0.5},
		{b.add(ir.OpHuberLoss, "huber", "huber", ir.Attrs{Alpha: 0.3}, pa, y), 2},
		{b.add(ir.OpBCELoss, "bce", "bce", ir.Attrs{}, pa, y), 0.3},
		{b.add(ir.OpBCEWithLogitsLoss, "bce_logits", "bce_logits", ir.Attrs{}, paLogit, y), 0.2},
		{b.add(ir.OpSoftmaxCELoss, "softmax_ce", "softmax_ce", ir.Attrs{}, lb, z), 0.7},
		{b.add(ir.OpCategoricalCELoss, "cce", "cce", ir.Attrs{}, pb, z), 0.4},
		{b.add(ir.OpSparseSoftmaxCELoss, "sparse_ce", "sparse_ce", ir.Attrs{}, lc, c), 1},
		{reg, 0.05},
		{reg2, 0.01},
	}
	total := -1
	for i, t := range terms {
		w := b.add(ir.OpScale, fmt.Sprintf("loss/term%d", i), "loss", ir.Attrs{Alpha: t.weight}, t.id)
		if total < 0 {
			total = w
		} else {
			total = b.add(ir.OpAdd, fmt.Sprintf("loss/sum%d", i), "loss", ir.Attrs{}, total, w)
		}
	}
	b.g.Loss = total
	b.g.Outputs = []ir.Output{{Name: "pa", ID: pa}, {Name: "pb", ID: pb}, {Name: "scores", ID: lc}}
	return b.build()
}

// bn1dGraph has batch norm over features, which training refuses for a batch of one
// (one value per channel), as PyTorch does.
func bn1dGraph() (*ir.Graph, error) {
	b := newGB("bn1d")
	x := b.input("x", ir.RoleData, "", 6)
	t := b.input("target", ir.RoleTarget, "", 2)
	h := b.dense("fc1", x, 6, 5)
	gamma := b.param("bn.weight", "bn", ir.RoleWeight, ir.Init{Kind: ir.InitOnes}, 5)
	beta := b.param("bn.bias", "bn", ir.RoleWeight, ir.Init{Kind: ir.InitZeros}, 5)
	rmean := b.param("bn.running_mean", "bn", ir.RoleState, ir.Init{Kind: ir.InitZeros}, 5)
	rvar := b.param("bn.running_var", "bn", ir.RoleState, ir.Init{Kind: ir.InitOnes}, 5)
	bn := b.add(ir.OpBatchNorm, "bn", "bn", ir.Attrs{Eps: 1e-3, Momentum: 0.2}, h, gamma, beta, rmean, rvar)
	a := b.add(ir.OpRelu, "relu", "relu", ir.Attrs{}, bn)
	y := b.dense("fc2", a, 5, 2)
	b.g.Outputs = []ir.Output{{Name: "y", ID: y}}
	b.g.Loss = b.add(ir.OpMSELoss, "loss", "loss", ir.Attrs{}, y, t)
	return b.build()
}

// aeGraph is a small denoising, sparse, contractive, variational autoencoder: it uses
// the noise macros (masking, Gaussian, the reparameterised sample) and the KL
// sparsity, contractive and L1 activity penalties.
func aeGraph() (*ir.Graph, error) {
	b := newGB("ae")
	x := b.input("x", ir.RoleData, "", 10)
	clean := b.input("clean", ir.RoleTarget, "", 10)
	xn := b.add(ir.OpMaskingNoise, "mask_noise", "mask_noise", ir.Attrs{Rate: 0.2, Seed: 3}, x)
	xn = b.add(ir.OpGaussianNoise, "gauss_noise", "gauss_noise", ir.Attrs{Alpha: 0.1, Seed: 4}, xn)
	h := b.add(ir.OpSigmoid, "enc/sigmoid", "enc", ir.Attrs{}, b.dense("enc", xn, 10, 6))
	mu := b.dense("mu", h, 6, 3)
	logvar := b.dense("logvar", h, 6, 3)
	z := b.add(ir.OpSampleNormal, "sample", "sample", ir.Attrs{Seed: 9}, mu, logvar)
	recon := b.add(ir.OpSigmoid, "dec/sigmoid", "dec", ir.Attrs{}, b.dense("dec", z, 3, 10))
	encW := b.g.ByName("enc.weight").ID
	terms := []struct {
		id     int
		weight float64
	}{
		{b.add(ir.OpBCELoss, "bce", "bce", ir.Attrs{}, recon, clean), 1},
		{b.add(ir.OpKLSparsity, "sparsity", "sparsity", ir.Attrs{Alpha: 0.2}, h), 0.1},
		{b.add(ir.OpContractivePenalty, "contractive", "contractive", ir.Attrs{}, h, encW), 0.05},
		{b.add(ir.OpReduceMean, "l1/mean", "l1", ir.Attrs{}, b.add(ir.OpAbs, "l1/abs", "l1", ir.Attrs{}, b.add(ir.OpAddScalar, "l1/shift", "l1", ir.Attrs{Alpha: -0.5}, h))), 0.01},
	}
	total := -1
	for i, t := range terms {
		w := b.add(ir.OpScale, fmt.Sprintf("loss/term%d", i), "loss", ir.Attrs{Alpha: t.weight}, t.id)
		if total < 0 {
			total = w
		} else {
			total = b.add(ir.OpAdd, fmt.Sprintf("loss/sum%d", i), "loss", ir.Attrs{}, total, w)
		}
	}
	b.g.Loss = total
	b.g.Outputs = []ir.Output{{Name: "recon", ID: recon}, {Name: "code", ID: mu}}
	return b.build()
}

// ndGraph runs the per-channel, shape and row ops on 4-D and 3-D values, where the
// channel axis has elements after it and concatenation, slicing and softmax work on
// inner axes, and the sparse cross-entropies with a class label per row of an
// (N, 3, 4) value: (N, 3) int labels, from logits and (one-hot) on probabilities,
// and the negative log-likelihood of a 4-D log-softmax with (N, 2, 3) labels.
func ndGraph() (*ir.Graph, error) {
	b := newGB("nd")
	x := b.input("x", ir.RoleData, "", 2, 3, 4)
	t := b.input("t", ir.RoleTarget, "", 2, 3, 4)
	z := b.input("z", ir.RoleTarget, "", 3, 4)
	label := b.input("label", ir.RoleTarget, ir.Int)
	tags := b.input("tags", ir.RoleTarget, ir.Int, 3)
	cells := b.input("cells", ir.RoleTarget, ir.Int, 2, 3)
	cellScale := b.param("cells_scale.weight", "cells_scale", ir.RoleWeight, ir.Init{Kind: ir.InitUniform, Value: 3}, 2)

	bias := b.param("affine.bias", "affine", ir.RoleWeight, ir.Init{Kind: ir.InitUniform, Value: 0.5}, 2)
	scale := b.param("affine.scale", "affine", ir.RoleWeight, ir.Init{Kind: ir.InitUniform, Value: 2}, 2)
	s := b.add(ir.OpChannelMul, "affine/scale", "affine", ir.Attrs{}, b.add(ir.OpBiasAdd, "affine/bias", "affine", ir.Attrs{}, x, bias), scale)
	gamma := b.param("bn.weight", "bn", ir.RoleWeight, ir.Init{Kind: ir.InitUniform, Value: 1}, 2)
	beta := b.param("bn.bias", "bn", ir.RoleWeight, ir.Init{Kind: ir.InitUniform, Value: 0.3}, 2)
	rmean := b.param("bn.running_mean", "bn", ir.RoleState, ir.Init{Kind: ir.InitUniform, Value: 0.2}, 2)
	rvar := b.param("bn.running_var", "bn", ir.RoleState, ir.Init{Kind: ir.InitConst, Value: 1.5}, 2)
	bn := b.add(ir.OpBatchNorm, "bn", "bn", ir.Attrs{Eps: 1e-3, Momentum: 0.3}, s, gamma, beta, rmean, rvar)
	d := b.add(ir.OpDropout, "dropout", "dropout", ir.Attrs{Rate: 0.5, Seed: 11}, bn)

	tanhX := b.add(ir.OpTanh, "tanh", "tanh", ir.Attrs{}, x)
	c1 := b.add(ir.OpConcat, "cat_h", "cat_h", ir.Attrs{Axis: 2}, d, tanhX)                                                      // N×2×6×4
	c2 := b.add(ir.OpConcat, "cat_w", "cat_w", ir.Attrs{Axis: 3}, c1, b.add(ir.OpSigmoid, "sigmoid", "sigmoid", ir.Attrs{}, c1)) // N×2×6×8
	s1 := b.add(ir.OpSlice, "slice_w", "slice_w", ir.Attrs{Axis: 3, Start: 2, End: 6}, c2)                                       // N×2×6×4
	s2 := b.add(ir.OpSlice, "slice_h", "slice_h", ir.Attrs{Axis: 2, Start: 1, End: 4}, s1)                                       // N×2×3×4
	sm := b.add(ir.OpSoftmax, "softmax4d", "softmax4d", ir.Attrs{}, s2)
	r := b.add(ir.OpReshape, "rows", "rows", ir.Attrs{Shape: ir.Shape{3, 4}},
		b.add(ir.OpSlice, "slice_c", "slice_c", ir.Attrs{Axis: 1, Start: 1, End: 2}, s2)) // N×3×4
	flat := b.add(ir.OpReshape, "flat", "flat", ir.Attrs{Shape: ir.Shape{24}}, s2)
	logits := b.dense("fc", flat, 24, 5)
	rs := b.add(ir.OpSoftmax, "rows_softmax", "rows_softmax", ir.Attrs{}, r) // N×3×4

	terms := []int{
		b.add(ir.OpMSELoss, "mse", "mse", ir.Attrs{}, sm, t),
		b.add(ir.OpSoftmaxCELoss, "softmax_ce", "softmax_ce", ir.Attrs{}, r, z),
		b.add(ir.OpCategoricalCELoss, "cce", "cce", ir.Attrs{}, rs, z),
		b.add(ir.OpSparseSoftmaxCELoss, "sparse_ce", "sparse_ce", ir.Attrs{}, logits, label),
		b.add(ir.OpSparseSoftmaxCELoss, "sparse_ce_rows", "sparse_ce_rows", ir.Attrs{}, r, tags),
		b.add(ir.OpCategoricalCELoss, "sparse_cce_rows", "sparse_cce_rows", ir.Attrs{}, rs,
			b.add(ir.OpOneHot, "sparse_cce_rows/onehot", "sparse_cce_rows", ir.Attrs{Shape: ir.Shape{ir.Batch, 3, 4}}, tags)),
		// The negative log-likelihood of a log-softmax over the last axis of
		// (N, 2, 3, 4), a class label per (channel, row): (N, 2, 3) labels. Its own
		// per-channel scale on tanh(x), so that TrainStep's gradients check it.
		b.add(ir.OpNLLLoss, "nll_cells", "nll_cells", ir.Attrs{},
			b.add(ir.OpLogSoftmax, "cells_log_softmax", "cells_log_softmax", ir.Attrs{},
				b.add(ir.OpChannelMul, "cells_scale", "cells_scale", ir.Attrs{}, tanhX, cellScale)), cells),
	}
	total := terms[0]
	for i, id := range terms[1:] {
		total = b.add(ir.OpAdd, fmt.Sprintf("loss/sum%d", i), "loss", ir.Attrs{}, total, id)
	}
	b.g.Loss = total
	b.g.Outputs = []ir.Output{{Name: "probs4d", ID: sm}, {Name: "logits", ID: logits}}
	return b.build()
}
