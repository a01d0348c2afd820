package codegen

import (
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dlgen/dlgen/ir"
	"github.com/dlgen/dlgen/passes"
)

// The batch-norm package joins the end-to-end cases: generated into testdata/bnconv,
// its model_test.go compares Predict and Loss with the interpreter's unfolded
// inference graph before and after three training steps, which move every batch
// norm's γ, β and running statistics.
func init() {
	cases = append(cases, struct {
		pkg      string
		graph    func() (*ir.Graph, error)
		maxBatch int
	}{"bnconv", bnconvGraph, 8})
}

// bnconvGraph has a batch norm after a convolution without bias, after a strided
// convolution with bias, after a transposed convolution and after a dense layer
// (all foldable), and one after a ReLU (not foldable: its scale and shift are still
// computed from parameters alone). Batch-norm parameters start away from 1, 0, 0, 1
// so that folding them is not the identity even before training.
func bnconvGraph() (*ir.Graph, error) {
	b := newGB("bnconv")
	x := b.input("image", ir.RoleData, "", 2, 6, 6)
	label := b.input("label", ir.RoleTarget, ir.Int)
	conv := func(name string, x, c, o, k, stride, pad int, bias bool) int {
		w := b.param(name+".weight", name, ir.RoleWeight, ir.Init{Kind: ir.InitHeUniform, FanIn: c * k * k, FanOut: o * k * k}, o, c, k, k)
		y := b.add(ir.OpConv2D, name+"/conv", name, ir.Attrs{Strides: []int{stride, stride}, Pads: []int{pad, pad, pad, pad}}, x, w)
		if !bias {
			return y
		}
		v := b.param(name+".bias", name, ir.RoleWeight, ir.Init{Kind: ir.InitUniform, Value: 0.2}, o)
		return b.add(ir.OpBiasAdd, name+"/bias", name, ir.Attrs{}, y, v)
	}
	bn := func(name string, x, c int) int {
		p := func(what string, role ir.Role, init ir.Init) int {
			return b.param(name+"."+what, name, role, init, c)
		}
		return b.add(ir.OpBatchNorm, name, name, ir.Attrs{Eps: 1e-5, Momentum: 0.3}, x,
			p("weight", ir.RoleWeight, ir.Init{Kind: ir.InitConst, Value: 1.2}),
			p("bias", ir.RoleWeight, ir.Init{Kind: ir.InitUniform, Value: 0.2}),
			p("running_mean", ir.RoleState, ir.Init{Kind: ir.InitUniform, Value: 0.3}),
			p("running_var", ir.RoleState, ir.Init{Kind: ir.InitConst, Value: 1.5}))
	}
	relu := func(name string, x int) int { return b.add(ir.OpRelu, name, name, ir.Attrs{}, x) }
	h := relu("relu1", bn("bn1", conv("conv1", x, 2, 4, 3, 1, 1, false), 4)) // 4×6×6
	h = relu("relu2", bn("bn2", conv("conv2", h, 4, 3, 3, 2, 1, true), 3))   // 3×3×3
	h = bn("bn3", relu("relu3", conv("conv3", h, 3, 3, 1, 1, 0, true)), 3)   // after the ReLU: does not fold
	w := b.param("deconv.weight", "deconv", ir.RoleWeight, ir.Init{Kind: ir.InitGlorotUniform, FanIn: 8, FanOut: 12}, 3, 2, 2, 2)
	h = b.add(ir.OpConv2DTranspose, "deconv/convT", "deconv", ir.Attrs{Strides: []int{2, 2}, Pads: []int{0, 0, 0, 0}}, h, w)
	h = relu("relu4", bn("bn4", h, 2))                                                                                         // 2×6×6
	h = b.add(ir.OpMaxPool2D, "pool", "pool", ir.Attrs{Kernel: []int{2, 2}, Strides: []int{2, 2}, Pads: []int{0, 0, 0, 0}}, h) // 2×3×3
	h = b.add(ir.OpReshape, "flat", "flat", ir.Attrs{Shape: ir.Shape{18}}, h)
	h = relu("relu5", bn("bn5", b.dense("fc1", h, 18, 8), 8))
	logits := b.dense("fc2", h, 8, 3)
	probs := b.add(ir.OpSoftmax, "probs", "probs", ir.Attrs{}, logits)
	b.g.Outputs = []ir.Output{{Name: "probs", ID: probs}}
	b.g.Loss = b.add(ir.OpSparseSoftmaxCELoss, "loss", "loss", ir.Attrs{}, logits, label)
	return b.build()
}

// funcBody returns the source of method name of the generated Model in src.
func funcBody(t *testing.T, src, name string) string {
	t.Helper()
	start := strings.Index(src, "func (m *Model) "+name+"(")
	require.GreaterOrEqual(t, start, 0, "no method %s", name)
	end := strings.Index(src[start:], "\n}\n")
	require.Greater(t, end, 0)
	return src[start : start+end]
}

func TestFoldedBatchNormsAreComputedOnlyWhenTheWeightsChange(t *testing.T) {
	g, err := bnconvGraph()
	require.NoError(t, err)
	infer, err := passes.Compile(g, ir.ModeInfer, passes.Config{})
	require.NoError(t, err)
	scalesActivations := 0
	for _, n := range infer.Nodes {
		if n.Op == ir.OpChannelMul && infer.Nodes[n.Inputs[0]].Shape.Batched() {
			scalesActivations++
		}
	}
	assert.Equal(t, 1, scalesActivations, "bn1, bn2, bn4 and bn5 fold; bn3, after a ReLU, does not")

	files := generate(t, bnconvGraph, "bnconv", 8)
	src := map[string]string{}
	for _, f := range files {
		src[f.Name] = string(f.Data)
	}
	methods := src["predict.go"]
	for _, method := range []string{"Predict", "Loss"} {
		body := funcBody(t, methods, method)
		t.Run(method+" computes no batch-norm factors and no folded weights", func(t *testing.T) {
			for _, bn := range []string{"bn1", "bn2", "bn4", "bn5"} {
				assert.NotRegexp(t, regexp.MustCompile(`// `+bn+`/`), body, "%s computes part of %s", method, bn)
			}
			assert.NotContains(t, body, "folded_weight")
			assert.NotContains(t, body, "inv_std", "even bn3's factors come from deriveParams")
			// bn3 is still applied to the activations, in one loop after the fused
			// convolution, bias and ReLU before it; its scale and shift are read
			// from the fields deriveParams fills.
			assert.Contains(t, body, "// relu3: Relu N×3×3×3, fused with conv3/conv (Conv2D), conv3/bias (BiasAdd)\n")
			assert.Contains(t, body, "// bn3/shifted: BiasAdd N×3×3×3, fused with bn3/scaled (ChannelMul)\n")
			assert.Contains(t, body, "&m.bn3Scale, &m.bn3Shift)")
			assert.Contains(t, body, "if !m.derived {\n\t\tm.deriveParams()\n\t}")
		})
	}
	derive := funcBody(t, methods, "deriveParams")
	for _, name := range []string{"conv1/conv/folded_weight/scaled", "conv2/conv/folded_bias", "deconv/convT/folded_weight", "fc1/matmul/folded_bias", "bn3/scale"} {
		assert.Contains(t, derive, "// "+name+":", "deriveParams computes %s", name)
	}
	assert.Contains(t, derive, "m.derived = true")
	// Everything that may change a parameter says the derived values are stale.
	for file, method := range map[string]string{"model.go": "Init", "train.go": "TrainStep"} {
		assert.Contains(t, funcBody(t, src[file], method), "m.derived = false", method)
	}
	assert.Regexp(t, `func \(m \*Model\) Params\(\) \[\]rt.Tensor \{\n\tm.derived = false\n`, src["model.go"])
}
