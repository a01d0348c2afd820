package models_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"reflect"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dlgen/dlgen/ir"
	"github.com/dlgen/dlgen/models"
	"github.com/dlgen/dlgen/nn"
)

const N = ir.Batch

var all = []struct {
	name  string
	model func() *nn.Model
}{
	{"mlp", models.MLP},
	{"regressor", models.Regressor},
	{"tagger", models.Tagger},
	{"padtagger", models.PadTagger},
	{"lenet", models.LeNet},
	{"convdae", models.ConvDAE},
	{"allops", models.AllOps},
}

func build(t *testing.T, f func() *nn.Model) *ir.Graph {
	t.Helper()
	g, err := f().Build()
	require.NoError(t, err)
	return g
}

func TestEveryModelSurvivesAJSONRoundTrip(t *testing.T) {
	for _, tc := range all {
		t.Run(tc.name, func(t *testing.T) {
			g := build(t, tc.model)
			assert.Equal(t, tc.name, g.Name)
			data, err := ir.Encode(g)
			require.NoError(t, err)
			back, err := ir.Decode(data)
			require.NoError(t, err)
			require.True(t, reflect.DeepEqual(g, back), "the decoded graph differs from the built one")
			again, err := ir.Encode(back)
			require.NoError(t, err)
			assert.Equal(t, string(data), string(again))
		})
	}
}

func TestConstructorsAreDeterministic(t *testing.T) {
	for _, tc := range all {
		t.Run(tc.name, func(t *testing.T) {
			assert.True(t, reflect.DeepEqual(build(t, tc.model), build(t, tc.model)))
		})
	}
}

// paramCount is the number of trainable values, as torch's
// sum(p.numel() for p in model.parameters()) counts them.
func paramCount(g *ir.Graph) int {
	n := 0
	for _, p := range g.Weights() {
		n += p.Shape.Elems()
	}
	return n
}

func shapes(t *testing.T, g *ir.Graph, want map[string]ir.Shape) {
	t.Helper()
	for name, s := range want {
		n := g.ByName(name)
		require.NotNil(t, n, "no node %q", name)
		assert.Equal(t, s, n.Shape, name)
	}
}

func TestWorkloadsAreTheBenchmarkDefinitions(t *testing.T) {
	t.Run("W1 MLP is 784-128-10", func(t *testing.T) {
		g := build(t, models.MLP)
		shapes(t, g, map[string]ir.Shape{
			"image": {N, 784}, "label": {N}, "fc1.weight": {128, 784}, "fc1/relu": {N, 128},
			"fc2.weight": {10, 128}, "probs": {N, 10}, "loss": {},
		})
		assert.Equal(t, 784*128+128+128*10+10, paramCount(g))
		assert.Equal(t, ir.OpSparseSoftmaxCELoss, g.Nodes[g.Loss].Op)
	})
	t.Run("W2 LeNet has LeNet-5's sizes", func(t *testing.T) {
		g := build(t, models.LeNet)
		shapes(t, g, map[string]ir.Shape{
			"image": {N, 1, 28, 28}, "conv1/relu": {N, 6, 28, 28}, "pool1": {N, 6, 14, 14},
			"conv2/relu": {N, 16, 10, 10}, "pool2": {N, 16, 5, 5}, "flat": {N, 400},
			"fc1/relu": {N, 120}, "fc2/relu": {N, 84}, "fc3/bias": {N, 10}, "probs": {N, 10},
		})
		// torch: Conv2d(1,6,5), Conv2d(6,16,5), Linear(400,120), Linear(120,84), Linear(84,10).
		assert.Equal(t, 156+2416+48120+10164+850, paramCount(g))
		assert.Equal(t, ir.OpSparseSoftmaxCELoss, g.Nodes[g.Loss].Op)
	})
	t.Run("W4 ConvDAE maps 28x28 to 28x28 through 7x7", func(t *testing.T) {
		g := build(t, models.ConvDAE)
		shapes(t, g, map[string]ir.Shape{
			"noisy": {N, 1, 28, 28}, "clean": {N, 1, 28, 28},
			"enc1/relu": {N, 32, 28, 28}, "pool1": {N, 32, 14, 14},
			"enc2/relu": {N, 32, 14, 14}, "pool2": {N, 32, 7, 7},
			"bottleneck/relu": {N, 32, 7, 7}, "up1": {N, 32, 14, 14},
			"dec1/relu": {N, 32, 14, 14}, "up2": {N, 32, 28, 28},
			"dec2/sigmoid": {N, 1, 28, 28},
		})
		assert.Equal(t, 320+3*9248+289, paramCount(g))
		loss := g.Nodes[g.Loss]
		assert.Equal(t, ir.OpBCELoss, loss.Op)
		assert.Equal(t, []int{g.ByName("dec2/sigmoid").ID, g.ByName("clean").ID}, loss.Inputs)
		assert.Equal(t, ir.RoleTarget, g.ByName("clean").Attrs.Role)
		assert.Equal(t, []ir.Output{{Name: "denoised", ID: g.ByName("dec2/sigmoid").ID}}, g.Outputs)
		for _, n := range g.Nodes {
			if n.Op == ir.OpConv2D {
				assert.Equal(t, []int{1, 1, 1, 1}, n.Attrs.Pads, "%s: 3x3 same pads 1 on each side", n.Name)
			}
		}
	})
}

// The ops package nn emits. AllOps must contain each of them; the test below also
// checks that the list keeps up with the op table's macro and loss ops.
var builderOps = []string{
	ir.OpInput, ir.OpParam, ir.OpFill, ir.OpIdentity, ir.OpMatMul, ir.OpBiasAdd, ir.OpBiasAddLast,
	ir.OpAdd, ir.OpSub, ir.OpMul, ir.OpScale,
	ir.OpRelu, ir.OpLeakyRelu, ir.OpSigmoid, ir.OpTanh, ir.OpSoftmax,
	ir.OpReshape, ir.OpConcat,
	ir.OpConv2D, ir.OpConv2DTranspose, ir.OpMaxPool2D, ir.OpAvgPool2D, ir.OpGlobalAvgPool2D, ir.OpUpSample2D, ir.OpUpSampleBilinear2D,
	ir.OpBatchNorm, ir.OpDropout, ir.OpSimpleRNN, ir.OpLSTM, ir.OpGRU,
	ir.OpMSELoss, ir.OpMAELoss, ir.OpHuberLoss, ir.OpBCELoss, ir.OpBCEWithLogitsLoss,
	ir.OpSoftmaxCELoss, ir.OpSparseSoftmaxCELoss, ir.OpCategoricalCELoss, ir.OpOneHot,
	// The autoencoder builders (nn/regularize.go, noise.go, vae.go).
	ir.OpAbs, ir.OpReduceMean, ir.OpKLSparsity, ir.OpContractivePenalty, ir.OpSquare, ir.OpExp, ir.OpAddScalar,
	ir.OpGaussianNoise, ir.OpMaskingNoise, ir.OpSampleNormal,
	// Element-wise math and reductions for custom terms (nn/math.go).
	ir.OpDiv, ir.OpLog, ir.OpReduceSum,
	// The smooth activations (nn.Act and their layers).
	ir.OpElu, ir.OpSelu, ir.OpSoftplus, ir.OpGelu, ir.OpSilu,
	// Log-softmax and the negative log-likelihood (nn/loss.go).
	ir.OpLogSoftmax, ir.OpNLLLoss,
	// Embedding (nn/embedding.go).
	ir.OpEmbedding,
	// RepeatVector (nn/repeat.go).
	ir.OpRepeat,
	// ZeroPadding2D and Cropping2D (nn/padcrop.go).
	ir.OpPad2D,
	// LayerNorm (nn/layernorm.go).
	ir.OpLayerNorm,
	// PReLU (nn/prelu.go).
	ir.OpPReLU,
}

func TestAllOpsUsesEveryOpTheBuilderEmits(t *testing.T) {
	g := build(t, models.AllOps)
	used := map[string]bool{}
	for _, n := range g.Nodes {
		used[n.Op] = true
	}
	listed := map[string]bool{}
	for _, op := range builderOps {
		listed[op] = true
		assert.True(t, used[op], "AllOps has no %s node", op)
	}
	for _, op := range ir.OpNames() {
		d := ir.Ops[op]
		if d.Kind == ir.Macro || (d.Kind == ir.Primitive && strings.HasSuffix(op, "Loss")) {
			assert.True(t, listed[op], "%s (a user-level %s op) is missing from builderOps and probably from AllOps", op, d.Kind)
		}
	}
	for op := range used {
		assert.True(t, listed[op], "AllOps uses %s, which builderOps does not list", op)
	}

	t.Run("with both pooling divisors and every padding mode", func(t *testing.T) {
		var excl, incl bool
		for _, n := range g.Nodes {
			if n.Op == ir.OpAvgPool2D {
				excl = excl || n.Attrs.Exclude
				incl = incl || !n.Attrs.Exclude
			}
		}
		assert.True(t, excl && incl, "AllOps needs an AvgPool2D with and one without Exclude")
		assert.Equal(t, []int{1, 1, 1, 1}, g.ByName("conv_same").Attrs.Pads)
		assert.Equal(t, []int{2, 2, 2, 2}, g.ByName("conv_full").Attrs.Pads)
		assert.Equal(t, []int{1, 0, 1, 1}, g.ByName("conv_strided").Attrs.Pads)
		assert.Equal(t, []int{2, 1}, g.ByName("conv_strided").Attrs.Strides)
		assert.Equal(t, []int{1, 0}, g.ByName("deconv_valid").Attrs.OutPad)
		assert.Equal(t, []int{1, 1}, g.ByName("deconv_pads").Attrs.OutPad)
	})
	t.Run("with layer norms over one axis, three, two without a weight, and none without affine parameters", func(t *testing.T) {
		for _, c := range []struct {
			name   string
			axis   int
			inputs int
		}{{"ln_steps", 2, 3}, {"ln_image", 1, 3}, {"ln_plane", 2, 3}, {"ln_plain", 1, 1}} {
			n := g.ByName(c.name)
			require.NotNil(t, n, c.name)
			assert.Equal(t, ir.OpLayerNorm, n.Op, c.name)
			assert.Equal(t, c.axis, n.Attrs.Axis, c.name)
			assert.Len(t, n.Inputs, c.inputs, c.name)
		}
		assert.Equal(t, ir.OpFill, g.Nodes[g.ByName("ln_plane").Inputs[1]].Op, "NoScale's γ is a constant")
		assert.Equal(t, 1e-3, g.ByName("ln_image").Attrs.Eps)
	})
	t.Run("with a dilated convolution and a dilated transposed one", func(t *testing.T) {
		c, d := g.ByName("conv_dilated"), g.ByName("deconv_dilated")
		assert.Equal(t, []int{2, 2}, c.Attrs.Dilations)
		assert.Equal(t, []int{2, 1}, c.Attrs.Strides)
		assert.Equal(t, []int{1, 2, 2, 2}, c.Attrs.Pads, "Keras same for the 5×5 span at strides (2, 1)")
		assert.Equal(t, []int{1, 2}, d.Attrs.Dilations)
		assert.Equal(t, ir.Shape{ir.Batch, 2, 8, 17}, d.Shape)
	})
	t.Run("with a loss summed from weighted terms", func(t *testing.T) {
		loss := g.Nodes[g.Loss]
		assert.Equal(t, ir.OpAdd, loss.Op)
		assert.Equal(t, ir.Shape{}, loss.Shape)
		terms := 0
		for _, n := range g.Nodes {
			if strings.HasSuffix(n.Op, "Loss") {
				terms++
			}
		}
		assert.Equal(t, 13, terms)
	})
	t.Run("with batch-norm state and several outputs", func(t *testing.T) {
		state := 0
		for _, p := range g.Params() {
			if p.Attrs.Role == ir.RoleState {
				state++
			}
		}
		assert.Equal(t, 4, state) // running mean and variance of bn and bn_fc
		assert.Len(t, g.Outputs, 4)
	})
}

// dlgen generate finds constructors by the //dlgen:model line of their doc comment;
// every exported func() *nn.Model here must carry one.
func TestEveryConstructorIsMarked(t *testing.T) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "models.go", nil, parser.ParseComments)
	require.NoError(t, err)
	found := 0
	for _, d := range f.Decls {
		fn, ok := d.(*ast.FuncDecl)
		if !ok || !fn.Name.IsExported() || fn.Recv != nil {
			continue
		}
		found++
		marked := false
		if fn.Doc != nil {
			for _, c := range fn.Doc.List {
				marked = marked || c.Text == "//dlgen:model"
			}
		}
		assert.True(t, marked, "%s has no //dlgen:model line directly above it", fn.Name.Name)
	}
	assert.Equal(t, len(all), found)
}
