package nn_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dlgen/dlgen/ir"
	"github.com/dlgen/dlgen/nn"
	"github.com/dlgen/dlgen/rt"
)

const N = ir.Batch

// node returns the node called name, failing the test if there is none.
func node(t *testing.T, g *ir.Graph, name string) *ir.Node {
	t.Helper()
	n := g.ByName(name)
	require.NotNil(t, n, "no node %q", name)
	return n
}

// build builds m and fails the test on an error.
func build(t *testing.T, m *nn.Model) *ir.Graph {
	t.Helper()
	g, err := m.Build()
	require.NoError(t, err)
	return g
}

func lenet() *nn.Model {
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

func TestLeNetBuildsWithPyTorchNamesAndKerasShapes(t *testing.T) {
	g := build(t, lenet())

	shapes := map[string]ir.Shape{
		"image":      {N, 1, 28, 28},
		"label":      {N},
		"conv1":      {N, 6, 28, 28}, // same padding keeps 28
		"conv1/relu": {N, 6, 28, 28},
		"pool1":      {N, 6, 14, 14},
		"conv2":      {N, 16, 10, 10},
		"pool2":      {N, 16, 5, 5},
		"flat":       {N, 400},
		"fc1":        {N, 120},
		"fc3/bias":   {N, 10},
		"probs":      {N, 10},
		"loss":       {},
	}
	for name, want := range shapes {
		assert.Equal(t, want, node(t, g, name).Shape, name)
	}
	params := map[string]ir.Shape{
		"conv1.weight": {6, 1, 5, 5}, "conv1.bias": {6},
		"conv2.weight": {16, 6, 5, 5}, "conv2.bias": {16},
		"fc1.weight": {120, 400}, "fc1.bias": {120},
		"fc2.weight": {84, 120}, "fc2.bias": {84},
		"fc3.weight": {10, 84}, "fc3.bias": {10},
	}
	require.Len(t, g.Params(), len(params))
	for _, p := range g.Params() {
		assert.Equal(t, params[p.Name], p.Shape, p.Name)
		assert.Equal(t, ir.RoleWeight, p.Attrs.Role, p.Name)
	}

	assert.Equal(t, []ir.Output{{Name: "probs", ID: node(t, g, "probs").ID}}, g.Outputs)
	loss := node(t, g, "loss")
	assert.Equal(t, loss.ID, g.Loss)
	assert.Equal(t, ir.OpSparseSoftmaxCELoss, loss.Op)
	assert.Equal(t, []int{node(t, g, "fc3/bias").ID, node(t, g, "label").ID}, loss.Inputs)
	assert.Equal(t, ir.Int, node(t, g, "label").Attrs.DType)
	assert.Equal(t, ir.RoleTarget, node(t, g, "label").Attrs.Role)
	assert.Equal(t, ir.RoleData, node(t, g, "image").Attrs.Role)
	for _, n := range g.Nodes {
		assert.NotEmpty(t, n.Layer, "node %q has no layer", n.Name)
	}
	assert.Equal(t, "conv2", node(t, g, "conv2/relu").Layer)
}

func TestDenseIsMatMulWithTransposedWeightThenBiasThenActivation(t *testing.T) {
	m := nn.New("m")
	x := m.Input("x", 20)
	y := x.Dense("fc", 7, nn.Act("tanh"))
	m.Output("y", y)
	g := build(t, m)

	w, b := node(t, g, "fc.weight"), node(t, g, "fc.bias")
	mm, ba, act := node(t, g, "fc"), node(t, g, "fc/bias"), node(t, g, "fc/tanh")
	assert.Equal(t, ir.OpMatMul, mm.Op)
	assert.True(t, mm.Attrs.TransB)
	assert.Equal(t, []int{node(t, g, "x").ID, w.ID}, mm.Inputs)
	assert.Equal(t, ir.OpBiasAdd, ba.Op)
	assert.Equal(t, []int{mm.ID, b.ID}, ba.Inputs)
	assert.Equal(t, ir.OpTanh, act.Op)
	assert.Equal(t, act.ID, g.Outputs[0].ID)
	assert.Equal(t, y.Name(), "fc/tanh")
	assert.Equal(t, ir.Shape{N, 7}, y.Shape())
	// Linear(20, 7): weight (7, 20), fan_in 20, fan_out 7 (testdata/torch_reference.py).
	assert.Equal(t, &ir.Init{Kind: ir.InitGlorotUniform, FanIn: 20, FanOut: 7}, w.Attrs.Init)
	assert.Equal(t, &ir.Init{Kind: ir.InitZeros}, b.Attrs.Init)
}

// Dense on (N, T, F) and (N, A, B, F) is torch.nn.Linear on the last axis: the same
// parameters, layouts and fans as on (N, F), a MatMul of the stacked rows and the
// bias added along the last axis, and every option applies.
func TestDenseAppliesToTheLastAxisOfAnyRank(t *testing.T) {
	m := nn.New("m")
	seq := m.Input("seq", 5, 3)
	img := m.Input("img", 2, 4, 6)
	y := seq.Dense("step", 7, nn.Act("softmax"), nn.KernelInit("he_normal"), nn.BiasInit("const", 0.5))
	z := img.Dense("grid", 4, nn.NoBias, nn.Act("relu")).Dense("head", 3)
	m.Output("y", y)
	m.Output("z", z)
	g := build(t, m)

	assert.Equal(t, ir.Shape{N, 5, 7}, y.Shape())
	assert.Equal(t, ir.Shape{N, 2, 4, 3}, z.Shape())
	w, b := node(t, g, "step.weight"), node(t, g, "step.bias")
	assert.Equal(t, ir.Shape{7, 3}, w.Shape, "(units, features) as torch.nn.Linear(3, 7)")
	assert.Equal(t, ir.Shape{7}, b.Shape)
	assert.Equal(t, &ir.Init{Kind: ir.InitHeNormal, FanIn: 3, FanOut: 7}, w.Attrs.Init)
	assert.Equal(t, &ir.Init{Kind: ir.InitConst, Value: 0.5}, b.Attrs.Init)
	mm, ba, act := node(t, g, "step"), node(t, g, "step/bias"), node(t, g, "step/softmax")
	assert.Equal(t, ir.OpMatMul, mm.Op)
	assert.True(t, mm.Attrs.TransB)
	assert.False(t, mm.Attrs.TransA)
	assert.Equal(t, []int{node(t, g, "seq").ID, w.ID}, mm.Inputs)
	assert.Equal(t, ir.Shape{N, 5, 7}, mm.Shape)
	assert.Equal(t, ir.OpBiasAddLast, ba.Op, "the bias is along the last axis, not axis 1")
	assert.Equal(t, []int{mm.ID, b.ID}, ba.Inputs)
	assert.Equal(t, ir.OpSoftmax, act.Op, "softmax over the units")

	assert.Nil(t, g.ByName("grid.bias"))
	assert.Equal(t, ir.Shape{4, 6}, node(t, g, "grid.weight").Shape)
	assert.Equal(t, ir.OpRelu, node(t, g, "grid/relu").Op)
	assert.Equal(t, ir.Shape{N, 2, 4, 4}, node(t, g, "grid").Shape)
	assert.Equal(t, &ir.Init{Kind: ir.InitGlorotUniform, FanIn: 4, FanOut: 3}, node(t, g, "head.weight").Attrs.Init)
	assert.Equal(t, ir.OpBiasAddLast, node(t, g, "head/bias").Op)
}

func TestNoBiasLeavesOutTheBias(t *testing.T) {
	m := nn.New("m")
	x := m.Input("x", 3, 8, 8)
	m.Output("y", x.Conv2D("c", 4, nn.K(3), nn.NoBias).Flatten("f").Dense("d", 2, nn.NoBias))
	g := build(t, m)
	assert.Nil(t, g.ByName("c.bias"))
	assert.Nil(t, g.ByName("d.bias"))
	assert.Nil(t, g.ByName("c/bias"))
	assert.Len(t, g.Params(), 2)
}

func TestConvPaddingFollowsKeras(t *testing.T) {
	for _, tc := range []struct {
		name       string
		h, w       int
		opts       []nn.Option
		pads       []int
		strides    []int
		outH, outW int
	}{
		{"valid is the default", 28, 28, []nn.Option{nn.K(5)}, []int{0, 0, 0, 0}, []int{1, 1}, 24, 24},
		{"same keeps the size at stride 1", 28, 28, []nn.Option{nn.K(5), nn.Same}, []int{2, 2, 2, 2}, []int{1, 1}, 28, 28},
		{"same with an even kernel puts the odd pad at the end", 8, 8, []nn.Option{nn.K(4), nn.Same}, []int{1, 1, 2, 2}, []int{1, 1}, 8, 8},
		{"same with stride 2 gives ceil(in/2)", 7, 7, []nn.Option{nn.K(3), nn.Strides(2), nn.Same}, []int{1, 1, 1, 1}, []int{2, 2}, 4, 4},
		{"same with different strides per axis", 10, 9, []nn.Option{nn.K(3, 2), nn.Strides(2, 3), nn.Same}, []int{0, 0, 1, 0}, []int{2, 3}, 5, 3},
		{"full pads kernel-1 on each side", 5, 6, []nn.Option{nn.K(3, 2), nn.Full}, []int{2, 1, 2, 1}, []int{1, 1}, 7, 7},
		{"explicit pads on each side", 5, 5, []nn.Option{nn.K(3), nn.Pads(1, 0, 2, 3)}, []int{1, 0, 2, 3}, []int{1, 1}, 6, 6},
		{"two pads are PyTorch's (ph, pw)", 5, 5, []nn.Option{nn.K(3), nn.Pads(1, 2)}, []int{1, 2, 1, 2}, []int{1, 1}, 5, 7},
		{"one pad on every side", 5, 5, []nn.Option{nn.K(3), nn.Pads(1)}, []int{1, 1, 1, 1}, []int{1, 1}, 5, 5},
		{"valid with stride drops the remainder", 10, 10, []nn.Option{nn.K(3), nn.Strides(3)}, []int{0, 0, 0, 0}, []int{3, 3}, 3, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := nn.New("m")
			y := m.Input("x", 2, tc.h, tc.w).Conv2D("conv", 5, tc.opts...)
			m.Output("y", y)
			g := build(t, m)
			c := node(t, g, "conv")
			assert.Equal(t, ir.OpConv2D, c.Op)
			assert.Equal(t, tc.pads, c.Attrs.Pads)
			assert.Equal(t, tc.strides, c.Attrs.Strides)
			assert.Equal(t, ir.Shape{N, 5, tc.outH, tc.outW}, y.Shape())
		})
	}
}

func TestConvWeightsAreOIHWWithTorchFans(t *testing.T) {
	m := nn.New("m")
	m.Output("y", m.Input("x", 3, 9, 9).Conv2D("conv", 8, nn.K(5, 3), nn.KernelInit("he_normal")))
	g := build(t, m)
	w := node(t, g, "conv.weight")
	// Conv2d(3, 8, (5, 3)): weight (8, 3, 5, 3), fan_in 45, fan_out 120.
	assert.Equal(t, ir.Shape{8, 3, 5, 3}, w.Shape)
	assert.Equal(t, &ir.Init{Kind: ir.InitHeNormal, FanIn: 45, FanOut: 120}, w.Attrs.Init)
}

func TestConv2DTranspose(t *testing.T) {
	for _, tc := range []struct {
		name         string
		h, w         int
		opts         []nn.Option
		pads, outPad []int
		outH, outW   int
	}{
		// Keras: same gives in·stride.
		{"same doubles at stride 2 with a 3x3 kernel", 5, 7, []nn.Option{nn.K(3), nn.Strides(2), nn.Same}, []int{0, 0, 1, 1}, []int{0, 0}, 10, 14},
		{"same with a kernel equal to the stride", 4, 4, []nn.Option{nn.K(2), nn.Strides(2), nn.Same}, []int{0, 0, 0, 0}, []int{0, 0}, 8, 8},
		{"same with a kernel smaller than the stride pads the output", 4, 4, []nn.Option{nn.K(2), nn.Strides(3), nn.Same}, []int{0, 0, 0, 0}, []int{1, 1}, 12, 12},
		{"same at stride 1 keeps the size", 6, 6, []nn.Option{nn.K(5), nn.Same}, []int{2, 2, 2, 2}, []int{0, 0}, 6, 6},
		{"same with a 4x4 kernel at stride 2", 5, 5, []nn.Option{nn.K(4), nn.Strides(2), nn.Same}, []int{1, 1, 1, 1}, []int{0, 0}, 10, 10},
		// Keras: valid gives in·stride + max(k - stride, 0).
		{"valid is the default and grows by k-1", 5, 7, []nn.Option{nn.K(3)}, []int{0, 0, 0, 0}, []int{0, 0}, 7, 9},
		{"valid at stride 2", 5, 7, []nn.Option{nn.K(3), nn.Strides(2)}, []int{0, 0, 0, 0}, []int{0, 0}, 11, 15},
		{"valid with a kernel smaller than the stride", 5, 7, []nn.Option{nn.K(2, 3), nn.Strides(3, 2)}, []int{0, 0, 0, 0}, []int{1, 0}, 15, 15},
		// PyTorch: ConvTranspose2d(k=3, s=2, p=1, output_padding=1) on 5x7 gives 10x14,
		// k=(4,2), s=(3,1), p=0, output_padding=(2,0) gives 18x8 (testdata/torch_reference.py).
		{"explicit pads and out pad as PyTorch", 5, 7, []nn.Option{nn.K(3), nn.Strides(2), nn.Pads(1), nn.OutPad(1)}, []int{1, 1, 1, 1}, []int{1, 1}, 10, 14},
		{"explicit out pad per axis as PyTorch", 5, 7, []nn.Option{nn.K(4, 2), nn.Strides(3, 1), nn.Pads(0), nn.OutPad(2, 0)}, []int{0, 0, 0, 0}, []int{2, 0}, 18, 8},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := nn.New("m")
			y := m.Input("x", 3, tc.h, tc.w).Conv2DTranspose("up", 2, tc.opts...)
			m.Output("y", y)
			g := build(t, m)
			c := node(t, g, "up")
			assert.Equal(t, ir.OpConv2DTranspose, c.Op)
			assert.Equal(t, tc.pads, c.Attrs.Pads)
			assert.Equal(t, tc.outPad, c.Attrs.OutPad)
			assert.Equal(t, ir.Shape{N, 2, tc.outH, tc.outW}, y.Shape())
		})
	}

	t.Run("weights are (C_in, C_out, kh, kw) with torch's fans", func(t *testing.T) {
		m := nn.New("m")
		m.Output("y", m.Input("x", 3, 4, 4).Conv2DTranspose("up", 8, nn.K(5, 3)))
		g := build(t, m)
		w := node(t, g, "up.weight")
		// ConvTranspose2d(3, 8, (5, 3)): weight (3, 8, 5, 3), fan_in 120, fan_out 45.
		assert.Equal(t, ir.Shape{3, 8, 5, 3}, w.Shape)
		assert.Equal(t, &ir.Init{Kind: ir.InitGlorotUniform, FanIn: 120, FanOut: 45}, w.Attrs.Init)
		assert.Equal(t, ir.Shape{8}, node(t, g, "up.bias").Shape)
	})
}

func TestPooling(t *testing.T) {
	for _, tc := range []struct {
		name       string
		avg        bool
		h, w       int
		opts       []nn.Option
		kernel     []int
		strides    []int
		pads       []int
		exclude    bool
		outH, outW int
	}{
		{"max pool stride defaults to the pool size", false, 28, 28, []nn.Option{nn.K(2)}, []int{2, 2}, []int{2, 2}, []int{0, 0, 0, 0}, false, 14, 14},
		{"max pool valid drops the odd row", false, 7, 9, []nn.Option{nn.K(2, 3)}, []int{2, 3}, []int{2, 3}, []int{0, 0, 0, 0}, false, 3, 3},
		{"max pool same gives ceil(in/stride)", false, 7, 7, []nn.Option{nn.K(2), nn.Same}, []int{2, 2}, []int{2, 2}, []int{0, 0, 1, 1}, false, 4, 4},
		{"max pool with explicit strides", false, 8, 8, []nn.Option{nn.K(3), nn.Strides(1)}, []int{3, 3}, []int{1, 1}, []int{0, 0, 0, 0}, false, 6, 6},
		{"avg pool valid", true, 8, 8, []nn.Option{nn.K(3), nn.Strides(1)}, []int{3, 3}, []int{1, 1}, []int{0, 0, 0, 0}, false, 6, 6},
		{"avg pool same excludes the padding like Keras", true, 8, 8, []nn.Option{nn.K(3), nn.Strides(2), nn.Same}, []int{3, 3}, []int{2, 2}, []int{0, 0, 1, 1}, true, 4, 4},
		{"avg pool explicit pads count like PyTorch", true, 8, 8, []nn.Option{nn.K(3), nn.Strides(2), nn.Pads(1)}, []int{3, 3}, []int{2, 2}, []int{1, 1, 1, 1}, false, 4, 4},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := nn.New("m")
			x := m.Input("x", 2, tc.h, tc.w)
			var y *nn.T
			op := ir.OpMaxPool2D
			if tc.avg {
				y, op = x.AvgPool2D("pool", tc.opts...), ir.OpAvgPool2D
			} else {
				y = x.MaxPool2D("pool", tc.opts...)
			}
			m.Output("y", y)
			g := build(t, m)
			p := node(t, g, "pool")
			assert.Equal(t, op, p.Op)
			assert.Equal(t, tc.kernel, p.Attrs.Kernel)
			assert.Equal(t, tc.strides, p.Attrs.Strides)
			assert.Equal(t, tc.pads, p.Attrs.Pads)
			assert.Equal(t, tc.exclude, p.Attrs.Exclude)
			assert.Equal(t, ir.Shape{N, 2, tc.outH, tc.outW}, y.Shape())
			assert.Empty(t, g.Params())
		})
	}
}

func TestBatchNormHasPyTorchParametersAndDefaults(t *testing.T) {
	m := nn.New("m")
	x := m.Input("x", 4, 5, 5)
	a := x.BatchNorm("bn1")
	b := a.Flatten("f").Dense("d", 3).BatchNorm("bn2", nn.Eps(1e-3), nn.Momentum(0.01))
	m.Output("y", b)
	g := build(t, m)

	want := []struct {
		name string
		role ir.Role
		init string
	}{
		{"bn1.weight", ir.RoleWeight, ir.InitOnes},
		{"bn1.bias", ir.RoleWeight, ir.InitZeros},
		{"bn1.running_mean", ir.RoleState, ir.InitZeros},
		{"bn1.running_var", ir.RoleState, ir.InitOnes},
	}
	bn := node(t, g, "bn1")
	require.Equal(t, ir.OpBatchNorm, bn.Op)
	require.Len(t, bn.Inputs, 5)
	assert.Equal(t, node(t, g, "x").ID, bn.Inputs[0])
	for i, w := range want {
		p := node(t, g, w.name)
		assert.Equal(t, p.ID, bn.Inputs[i+1], w.name)
		assert.Equal(t, ir.Shape{4}, p.Shape, w.name)
		assert.Equal(t, w.role, p.Attrs.Role, w.name)
		assert.Equal(t, &ir.Init{Kind: w.init}, p.Attrs.Init, w.name)
	}
	// torch.nn.BatchNorm2d: eps 1e-05, momentum 0.1 (testdata/torch_reference.py).
	assert.Equal(t, 1e-5, bn.Attrs.Eps)
	assert.Equal(t, 0.1, bn.Attrs.Momentum)
	bn2 := node(t, g, "bn2")
	assert.Equal(t, 1e-3, bn2.Attrs.Eps)
	assert.Equal(t, 0.01, bn2.Attrs.Momentum)
	assert.Equal(t, ir.Shape{3}, node(t, g, "bn2.running_var").Shape)
	assert.Equal(t, ir.Shape{N, 3}, b.Shape())
	assert.Len(t, g.Weights(), 6) // bn1 γ, β; d weight, bias; bn2 γ, β
}

func TestDropoutSeeds(t *testing.T) {
	seedOf := func(modelSeed uint64, name string, opts ...nn.Option) uint64 {
		m := nn.New("m", nn.Seed(modelSeed))
		m.Output("y", m.Input("x", 4).Dropout(name, 0.5, opts...))
		g := build(t, m)
		d := node(t, g, name)
		require.Equal(t, ir.OpDropout, d.Op)
		require.Equal(t, 0.5, d.Attrs.Rate)
		return d.Attrs.Seed
	}
	t.Run("the seed comes from the model seed and the layer name", func(t *testing.T) {
		assert.Equal(t, rt.Bits(7, rt.NameStream("drop"), 0), seedOf(7, "drop"))
		assert.Equal(t, seedOf(7, "drop"), seedOf(7, "drop"))
		assert.NotEqual(t, seedOf(7, "drop"), seedOf(8, "drop"))
		assert.NotEqual(t, seedOf(7, "drop"), seedOf(7, "drop2"))
	})
	t.Run("an explicit seed wins", func(t *testing.T) {
		assert.Equal(t, uint64(42), seedOf(7, "drop", nn.Seed(42)))
	})
	t.Run("a model without a seed uses seed 0", func(t *testing.T) {
		m := nn.New("m")
		m.Output("y", m.Input("x", 4).Dropout("drop", 0.1))
		assert.Equal(t, rt.Bits(0, rt.NameStream("drop"), 0), node(t, build(t, m), "drop").Attrs.Seed)
	})
}

func TestActivations(t *testing.T) {
	for _, tc := range []struct {
		name  string
		act   nn.Option
		op    string
		node  string
		alpha float64
	}{
		{"relu", nn.Act("relu"), ir.OpRelu, "d/relu", 0},
		{"sigmoid", nn.Act("sigmoid"), ir.OpSigmoid, "d/sigmoid", 0},
		{"tanh", nn.Act("tanh"), ir.OpTanh, "d/tanh", 0},
		{"softmax", nn.Act("softmax"), ir.OpSoftmax, "d/softmax", 0},
		{"log_softmax", nn.Act("log_softmax"), ir.OpLogSoftmax, "d/log_softmax", 0},
		{"leaky relu has PyTorch's default slope", nn.Act("leaky_relu"), ir.OpLeakyRelu, "d/leaky_relu", 0.01},
		{"leaky relu with a slope", nn.Act("leaky_relu", 0.2), ir.OpLeakyRelu, "d/leaky_relu", 0.2},
		{"linear adds no node", nn.Act("linear"), ir.OpBiasAdd, "d/bias", 0},
		{"elu has PyTorch's and Keras' default alpha", nn.Act("elu"), ir.OpElu, "d/elu", 1},
		{"elu with an alpha", nn.Act("elu", 0.3), ir.OpElu, "d/elu", 0.3},
		{"selu", nn.Act("selu"), ir.OpSelu, "d/selu", 0},
		{"softplus", nn.Act("softplus"), ir.OpSoftplus, "d/softplus", 0},
		{"gelu is the exact form", nn.Act("gelu"), ir.OpGelu, "d/gelu", 0},
		{"gelu_tanh is the tanh approximation", nn.Act("gelu_tanh"), ir.OpGelu, "d/gelu_tanh", 0},
		{"swish", nn.Act("swish"), ir.OpSilu, "d/swish", 0},
		{"silu is swish", nn.Act("silu"), ir.OpSilu, "d/silu", 0},
	} {
		t.Run("option "+tc.name, func(t *testing.T) {
			m := nn.New("m")
			y := m.Input("x", 4).Dense("d", 3, tc.act)
			m.Output("y", y)
			g := build(t, m)
			n := node(t, g, tc.node)
			assert.Equal(t, tc.op, n.Op)
			assert.Equal(t, tc.alpha, n.Attrs.Alpha)
			if tc.node == "d/gelu_tanh" {
				assert.Equal(t, ir.GeluTanh, n.Attrs.Sub)
			} else {
				assert.Empty(t, n.Attrs.Sub)
			}
			assert.Equal(t, n.ID, g.Outputs[0].ID)
			// x, weight, matmul, bias, bias add, and the activation unless linear.
			want := 6
			if tc.op == ir.OpBiasAdd {
				want = 5
			}
			assert.Len(t, g.Nodes, want)
		})
	}

	for _, tc := range []struct {
		name  string
		layer func(x *nn.T) *nn.T
		op    string
		alpha float64
	}{
		{"Relu", func(x *nn.T) *nn.T { return x.Relu("a") }, ir.OpRelu, 0},
		{"Sigmoid", func(x *nn.T) *nn.T { return x.Sigmoid("a") }, ir.OpSigmoid, 0},
		{"Tanh", func(x *nn.T) *nn.T { return x.Tanh("a") }, ir.OpTanh, 0},
		{"Softmax", func(x *nn.T) *nn.T { return x.Softmax("a") }, ir.OpSoftmax, 0},
		{"LogSoftmax", func(x *nn.T) *nn.T { return x.LogSoftmax("a") }, ir.OpLogSoftmax, 0},
		{"LeakyReLU", func(x *nn.T) *nn.T { return x.LeakyReLU("a") }, ir.OpLeakyRelu, 0.01},
		{"LeakyReLU with a slope", func(x *nn.T) *nn.T { return x.LeakyReLU("a", 0.3) }, ir.OpLeakyRelu, 0.3},
		{"Activation by name", func(x *nn.T) *nn.T { return x.Activation("a", "leaky_relu", 0.2) }, ir.OpLeakyRelu, 0.2},
		{"linear Activation is an identity node", func(x *nn.T) *nn.T { return x.Activation("a", "linear") }, ir.OpIdentity, 0},
		{"ELU", func(x *nn.T) *nn.T { return x.ELU("a") }, ir.OpElu, 1},
		{"ELU with an alpha", func(x *nn.T) *nn.T { return x.ELU("a", 0.5) }, ir.OpElu, 0.5},
		{"SELU", func(x *nn.T) *nn.T { return x.SELU("a") }, ir.OpSelu, 0},
		{"Softplus", func(x *nn.T) *nn.T { return x.Softplus("a") }, ir.OpSoftplus, 0},
		{"GELU", func(x *nn.T) *nn.T { return x.GELU("a") }, ir.OpGelu, 0},
		{"SiLU", func(x *nn.T) *nn.T { return x.SiLU("a") }, ir.OpSilu, 0},
		{"Activation gelu_tanh", func(x *nn.T) *nn.T { return x.Activation("a", "gelu_tanh") }, ir.OpGelu, 0},
		{"Activation swish", func(x *nn.T) *nn.T { return x.Activation("a", "swish") }, ir.OpSilu, 0},
	} {
		t.Run("layer "+tc.name, func(t *testing.T) {
			m := nn.New("m")
			x := m.Input("x", 4)
			m.Output("y", tc.layer(x))
			g := build(t, m)
			n := node(t, g, "a")
			assert.Equal(t, tc.op, n.Op)
			assert.Equal(t, tc.alpha, n.Attrs.Alpha)
			assert.Equal(t, "a", n.Layer)
			assert.Equal(t, []int{node(t, g, "x").ID}, n.Inputs)
		})
	}
}
