package codegen

import (
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dlgen/dlgen/ir"
	"github.com/dlgen/dlgen/models"
	"github.com/dlgen/dlgen/nn"
)

// The convolution-fusion package joins the generated test cases: its model_test.go
// compares every fused group, inference and training, with the interpreter.
func init() {
	cases = append(cases, struct {
		pkg      string
		graph    func() (*ir.Graph, error)
		maxBatch int
	}{"convfuse", convFuseGraph, 5})
}

// convFuseGraph has one convolution group of each kind the epilogue computes, and
// convolutions that must not fuse:
//
//   - a: strided conv, bias, leaky ReLU, average pool excluding its padding;
//   - b: conv without bias, ReLU, overlapping padded average pool counting the padding;
//   - c: 1×1 conv, bias, 3×3 max pool with padding and no activation;
//   - d: conv, bias, leaky ReLU with a negative slope, 2×2 max pool;
//   - e: conv whose output is also an output of the model: Predict stores it, and its
//     bias and ReLU fuse as an element-wise loop instead;
//   - f: conv, bias, leaky ReLU, overlapping padded 3×3 max pool, which in training
//     keeps its winners (as c does, without activation).
func convFuseGraph() (*ir.Graph, error) {
	b := newGB("convfuse")
	x := b.input("image", ir.RoleData, "", 2, 12, 11)
	label := b.input("label", ir.RoleTarget, ir.Int)
	conv := func(name string, x, c, o, k int, strides, pads []int) int {
		w := b.param(name+".weight", name, ir.RoleWeight, ir.Init{Kind: ir.InitHeUniform, FanIn: c * k * k, FanOut: o * k * k}, o, c, k, k)
		return b.add(ir.OpConv2D, name, name, ir.Attrs{Strides: strides, Pads: pads}, x, w)
	}
	bias := func(name string, x, c int) int {
		v := b.param(name+".bias", name, ir.RoleWeight, ir.Init{Kind: ir.InitUniform, Value: 0.3}, c)
		return b.add(ir.OpBiasAdd, name+"/bias", name, ir.Attrs{}, x, v)
	}
	pool := func(op, name string, x, k, s int, pads []int, exclude bool) int {
		return b.add(op, name, name, ir.Attrs{Kernel: []int{k, k}, Strides: []int{s, s}, Pads: pads, Exclude: exclude}, x)
	}
	// a: 2×12×11 → 4×6×6 (stride 2, pads 1) → avg 3×3/2 pads {0,0,1,1} excluded → 4×3×3
	a := b.add(ir.OpLeakyRelu, "a/act", "a", ir.Attrs{Alpha: 0.1}, bias("a", conv("a", x, 2, 4, 3, []int{2, 2}, []int{1, 1, 1, 1}), 4))
	a = pool(ir.OpAvgPool2D, "a/pool", a, 3, 2, []int{0, 0, 1, 1}, true)
	// b: 4×3×3 → 3×3×3 (same) → avg 2×2/1 pads {1,1,0,0} counted → 3×3×3
	bb := b.add(ir.OpRelu, "b/act", "b", ir.Attrs{}, conv("b", a, 4, 3, 3, []int{1, 1}, []int{1, 1, 1, 1}))
	bb = pool(ir.OpAvgPool2D, "b/pool", bb, 2, 1, []int{1, 1, 0, 0}, false)
	// c: 3×3×3 → 5×3×3 (1×1) → max 3×3/1 pads 1 → 5×3×3
	c := pool(ir.OpMaxPool2D, "c/pool", bias("c", conv("c", bb, 3, 5, 1, []int{1, 1}, []int{0, 0, 0, 0}), 5), 3, 1, []int{1, 1, 1, 1}, false)
	// d: 5×3×3 → 4×4×4 (full) → max 2×2/2 → 4×2×2
	d := b.add(ir.OpLeakyRelu, "d/act", "d", ir.Attrs{Alpha: -0.4}, bias("d", conv("d", c, 5, 4, 2, []int{1, 1}, []int{1, 1, 1, 1}), 4))
	d = pool(ir.OpMaxPool2D, "d/pool", d, 2, 2, []int{0, 0, 0, 0}, false)
	// e: 4×2×2 → 3×2×2, stored as an output
	eConv := conv("e", d, 4, 3, 3, []int{1, 1}, []int{1, 1, 1, 1})
	e := b.add(ir.OpRelu, "e/act", "e", ir.Attrs{}, bias("e", eConv, 3))
	// f: from b's output 3×3×3 → 4×3×3 (same), bias, leaky ReLU, overlapping padded
	// 3×3 max pool, stride 2 → 4×2×2: in training it keeps its winners.
	f := b.add(ir.OpLeakyRelu, "f/act", "f", ir.Attrs{Alpha: 0.2}, bias("f", conv("f", bb, 3, 4, 3, []int{1, 1}, []int{1, 1, 1, 1}), 4))
	f = pool(ir.OpMaxPool2D, "f/pool", f, 3, 2, []int{1, 1, 1, 1}, false)
	flat := b.add(ir.OpConcat, "flat", "flat", ir.Attrs{Axis: 1},
		b.add(ir.OpReshape, "flat/e", "flat", ir.Attrs{Shape: ir.Shape{12}}, e),
		b.add(ir.OpReshape, "flat/f", "flat", ir.Attrs{Shape: ir.Shape{16}}, f))
	logits := b.dense("fc", flat, 28, 3)
	b.g.Outputs = []ir.Output{{Name: "probs", ID: b.add(ir.OpSoftmax, "probs", "probs", ir.Attrs{}, logits)}, {Name: "e_conv", ID: eConv}}
	b.g.Loss = b.add(ir.OpSparseSoftmaxCELoss, "loss", "loss", ir.Attrs{}, logits, label)
	return b.build()
}

// groupsOf compiles g and returns each method's convolution groups as
// "first node:op+op+…", marked when the group keeps its max pool's winners.
func groupsOf(t *testing.T, g *ir.Graph, opts Options) map[string][]string {
	t.Helper()
	_, predict, _, train, err := compile(g, opts)
	require.NoError(t, err)
	out := map[string][]string{}
	for _, p := range []*program{predict, train} {
		if p == nil {
			continue
		}
		for _, id := range p.order {
			if f := p.fused[id]; f != nil && f.conv {
				s := f.nodes[0].Name + ":" + f.ops()
				if f.winners != 0 {
					s += " keeping winners"
				}
				out[p.method] = append(out[p.method], s)
			}
		}
	}
	return out
}

func TestConvolutionGroups(t *testing.T) {
	g, err := convFuseGraph()
	require.NoError(t, err)
	got := groupsOf(t, g, Options{Package: "convfuse", MaxBatch: 5, Train: true})
	assert.Equal(t, []string{
		"a:Conv2D+BiasAdd+LeakyRelu+AvgPool2D",
		"b:Conv2D+Relu+AvgPool2D",
		"c:Conv2D+BiasAdd+MaxPool2D",
		"d:Conv2D+BiasAdd+LeakyRelu+MaxPool2D",
		"f:Conv2D+BiasAdd+LeakyRelu+MaxPool2D",
	}, got["Predict"], "inference: whole blocks fuse; e's convolution is an output and is stored")
	assert.Equal(t, []string{
		"a:Conv2D+BiasAdd+LeakyRelu",
		"b:Conv2D+Relu",
		"c:Conv2D+BiasAdd+MaxPool2D keeping winners",
		"d:Conv2D+BiasAdd",
		"e:Conv2D+BiasAdd+Relu",
		"f:Conv2D+BiasAdd+LeakyRelu+MaxPool2D keeping winners",
	}, got["TrainStep"], "training: a group ends at the value the backward pass reads "+
		"(the activation before an average pool; with a negative slope the pre-activation, whose sign the gradient needs), "+
		"or at a max pool that keeps its winners for it; TrainStep returns no outputs, so e's convolution fuses")

	none := groupsOf(t, g, Options{Package: "convfuse", MaxBatch: 5, Train: true, NoFusion: true})
	assert.Empty(t, none, "NoFusion turns convolution fusion off too")
}

// W2's inference code has one fused loop nest per conv+ReLU+pool block: Predict
// calls two kernels for the two blocks, each one rt.Conv2DFusedP with the bias,
// the ReLU and the 2×2 max pool in its epilogue, and nothing else touches the
// convolutions' outputs (no bias, ReLU or pooling loop of their shapes).
func TestLeNetInferenceHasOneFusedKernelPerConvReluPoolBlock(t *testing.T) {
	files := generateModel(t, models.LeNet, Options{Package: "lenet", MaxBatch: 64, Train: true})
	predict, kernels := files["predict.go"], files["kernels.go"]
	predictBody := regexp.MustCompile(`(?s)func \(m \*Model\) Predict\(.*?\n}\n`).FindString(predict)
	require.NotEmpty(t, predictBody)

	calls := regexp.MustCompile(`m\.(\w+)\(`).FindAllStringSubmatch(predictBody, -1)
	var convCalls []string
	for _, c := range calls {
		body := regexp.MustCompile(`(?s)func \(m \*Model\) ` + c[1] + `\(.*?\n}\n`).FindString(kernels)
		if strings.Contains(body, "rt.Conv2D") {
			convCalls = append(convCalls, c[1])
			assert.Equal(t, 1, strings.Count(body, "rt.Conv2DFusedP("), "%s is one fused call", c[1])
			assert.Contains(t, body, "Act: rt.ActReLU")
			assert.Contains(t, body, "Pool: rt.PoolMax")
			assert.Contains(t, body, "Bias: bias[:]")
		}
	}
	assert.Len(t, convCalls, 2, "two conv+ReLU+pool blocks, two kernels")
	for _, shape := range []string{"N×6×28×28", "N×16×10×10"} {
		assert.NotContains(t, predictBody, shape, "no value of a convolution's output shape is computed or stored in Predict")
	}
	assert.NotContains(t, predictBody, "maxPool2D(", "no separate pooling kernel")
}

// generateModel generates a model of package models and returns its files by name.
func generateModel(t *testing.T, build func() *nn.Model, opts Options) map[string]string {
	t.Helper()
	g, err := build().Build()
	require.NoError(t, err)
	files, err := Generate(g, opts)
	require.NoError(t, err)
	out := map[string]string{}
	for _, f := range files {
		out[f.Name] = string(f.Data)
	}
	return out
}

// In training each conv → bias → ReLU → max pool block is one kernel too, which
// stores the pooled values and, for the backward pass, each window's winner: no
// forward value of a convolution's output size is stored (the only values of that
// size in TrainStep are gradients), and MaxPool2DGrad with the ReLU's gradient is
// one rt.MaxUnpool2D from the winners.
func TestLeNetTrainingKeepsOnlyPooledValuesAndWinners(t *testing.T) {
	g, err := models.LeNet().Build()
	require.NoError(t, err)
	_, _, _, train, err := compile(g, Options{Package: "lenet", MaxBatch: 64, Train: true})
	require.NoError(t, err)
	byName := map[string]int{}
	for _, id := range train.order {
		n := train.g.Nodes[id]
		byName[n.Name] = id
		if s := n.Shape.String(); s == "N×6×28×28" || s == "N×16×10×10" {
			assert.True(t, strings.HasPrefix(n.Name, "d."), "%s (%s %s) is stored in TrainStep", n.Name, n.Op, s)
		}
	}
	for _, c := range []struct{ conv, pool, pooled string }{{"conv1", "pool1", "N×6×14×14"}, {"conv2", "pool2", "N×16×5×5"}} {
		f := train.fused[byName[c.pool]]
		require.NotNil(t, f, "%s roots a group", c.pool)
		assert.True(t, f.conv)
		assert.Equal(t, "Conv2D+BiasAdd+Relu+MaxPool2D", f.ops())
		require.NotZero(t, f.winners)
		assert.Equal(t, c.conv+"/relu", train.g.Nodes[f.winners].Name, "the activation's node holds the winners")
		assert.Equal(t, c.pooled, train.g.Nodes[f.winners].Shape.String(), "one winner per pooled value")
		u := train.fused[byName["d."+c.conv+"/relu.1"]]
		require.NotNil(t, u)
		assert.True(t, u.unpool)
		assert.Equal(t, "MaxPool2DGrad+ReluGrad", u.ops())
	}
}
