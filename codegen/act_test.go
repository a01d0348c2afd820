package codegen

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dlgen/dlgen/internal/torchmodels"
	"github.com/dlgen/dlgen/ir"
	"github.com/dlgen/dlgen/nn"
)

// The smooth activations (ELU, SELU, softplus, GELU exact and tanh, SiLU/swish) in
// generated code.
//
// torchmodels.Act, which has each of them after a convolution and after a dense
// layer (and GELU's tanh form after a transposed convolution), joins the end-to-end
// cases: generated into testdata/act (TestGeneratedPackagesAreUpToDate), compared with
// the interpreter by its own model_test.go (TestGeneratedPackagesPassTheirTests:
// Predict, Loss, every gradient and three SGD-momentum steps at batch sizes 1, 7 and
// MaxBatch, the same bits on 2 and 3 threads as on one, zero allocations) and counted
// by TestTheModelsExerciseEveryEmitter for the ten ops.
func init() {
	cases = append(cases, struct {
		pkg      string
		graph    func() (*ir.Graph, error)
		maxBatch int
	}{"act", func() (*ir.Graph, error) { return torchmodels.Act().Build() }, 8})
}

// smoothOps are the smooth activations and their gradient ops.
var smoothOps = []string{ir.OpElu, ir.OpSelu, ir.OpSoftplus, ir.OpGelu, ir.OpSilu,
	ir.OpEluGrad, ir.OpSeluGrad, ir.OpSoftplusGrad, ir.OpGeluGrad, ir.OpSiluGrad}

// actSeq is a sequence tagger with every smooth activation in a Dense layer applied
// to each step of an LSTM's outputs: everything after the LSTM is computed item by
// item, so Predict runs by ranges of items (items.go).
func actSeq() *nn.Model {
	m := nn.New("actseq")
	seq := m.Input("seq", 5, 3)
	onehot := m.Target("onehot", 5, 3)
	h := seq.LSTM("enc", 6, nn.ReturnSequences)
	h = h.Dense("p_elu", 5, nn.Act("elu", 0.5)).Dense("p_selu", 5, nn.Act("selu"))
	h = h.Dense("p_softplus", 5, nn.Act("softplus")).Dense("p_gelu", 5, nn.Act("gelu"))
	h = h.Dense("p_gelu_tanh", 5, nn.Act("gelu_tanh")).Dense("p_swish", 5, nn.Act("swish"))
	logits := h.Dense("out", 3)
	m.Output("probs", logits.Softmax("probs"))
	m.Loss(nn.CategoricalCrossEntropy("loss", logits, onehot, nn.FromLogits))
	return m
}

// programGroups describes a program's order: each node as "name: op", a fused group
// as "name: op+op+…" (with " (conv)" for a convolution group).
func programGroups(p *program) []string {
	var out []string
	for _, id := range p.order {
		s := p.g.Nodes[id].Name + ": " + p.g.Nodes[id].Op
		if f := p.fused[id]; f != nil {
			s = p.g.Nodes[id].Name + ": " + f.ops()
			if f.conv {
				s += " (conv)"
			}
		}
		out = append(out, s)
	}
	return out
}

// The smooth activations compile as docs/decisions.md says: a convolution's group
// ends at its bias (the epilogue applies ReLU and leaky ReLU only), the activation
// is a loop of its own and a max pool after it a kernel of its own; after a dense
// layer (or a transposed convolution) the bias and the activation are one loop in
// inference; in training the pre-activation is stored, since each gradient op reads
// it, so nothing fuses with the activation; and the kernels call rt's float32
// functions with the op's attributes: the whole-tensor ones (rt.Gelu(y, x), …) in
// the kernel of an activation or gradient alone, those of one element (rt.Gelu32)
// in fused loops. The sequence tagger's Predict, smooth
// activations included, runs by ranges of items.
func TestSmoothActivationsCompileAsDesigned(t *testing.T) {
	g, err := torchmodels.Act().Build()
	require.NoError(t, err)
	_, predict, _, train, err := compile(g, Options{Package: "act", MaxBatch: 8, Train: true})
	require.NoError(t, err)
	assert.Equal(t, []string{
		"c_elu/bias: Conv2D+BiasAdd (conv)", "c_elu/elu: Elu",
		"c_selu/bias: Conv2D+BiasAdd (conv)", "c_selu/selu: Selu", "pool: MaxPool2D",
		"c_softplus/bias: Conv2D+BiasAdd (conv)", "c_softplus/softplus: Softplus",
		"c_gelu/bias: Conv2D+BiasAdd (conv)", "c_gelu/gelu: Gelu",
		"c_gelu_tanh: Conv2DTranspose", "c_gelu_tanh/bias: BiasAdd", "c_gelu_tanh/gelu_tanh: Gelu",
		"c_swish/bias: Conv2D+BiasAdd (conv)", "c_swish/swish: Silu",
		"flat: Reshape", "elu_layer: Elu",
		"d_elu: MatMul", "d_elu/bias: BiasAdd", "d_elu/elu: Elu",
		"d_selu: MatMul", "d_selu/bias: BiasAdd", "d_selu/selu: Selu",
		"d_softplus: MatMul", "d_softplus/bias: BiasAdd", "d_softplus/softplus: Softplus",
		"d_gelu: MatMul", "d_gelu/bias: BiasAdd", "d_gelu/gelu: Gelu",
		"d_gelu_tanh: MatMul", "d_gelu_tanh/bias: BiasAdd", "d_gelu_tanh/gelu_tanh: Gelu",
		"d_silu: MatMul", "d_silu/bias: BiasAdd", "d_silu/silu: Silu",
		"out: MatMul", "out/bias: BiasAdd", "probs: Softmax",
	}, programGroups(predict))

	grads := 0
	for _, id := range train.order {
		n := train.g.Nodes[id]
		if f := train.fused[id]; f != nil {
			for _, fn := range f.nodes {
				assert.NotContains(t, smoothOps, fn.Op, "TrainStep fused %s into %s", fn.Name, f.ops())
			}
		}
		if !slices.Contains(smoothOps, n.Op) || !strings.HasSuffix(n.Op, "Grad") {
			continue
		}
		grads++
		// d.<layer>/<act>.1 reads the input of <layer>/<act>.
		fwd := train.g.ByName(strings.TrimSuffix(strings.TrimPrefix(n.Name, "d."), ".1"))
		require.NotNil(t, fwd, n.Name)
		assert.Equal(t, fwd.Inputs[0], n.Inputs[0], "%s reads the pre-activation", n.Name)
		assert.Equal(t, fwd.Attrs.Alpha, n.Attrs.Alpha, n.Name)
		assert.Equal(t, fwd.Attrs.Sub, n.Attrs.Sub, n.Name)
	}
	assert.Equal(t, 13, grads, "a gradient op for each of the 13 activations")

	files, err := Generate(g, Options{Package: "act", MaxBatch: 8, Train: true})
	require.NoError(t, err)
	var kernels string
	for _, f := range files {
		if f.Name == "kernels.go" {
			kernels = string(f.Data)
		}
	}
	// Every activation and gradient is a kernel of its own (ownLoop keeps them out of
	// fused loops) that calls the whole-tensor function, never the one of one element.
	for _, call := range []string{
		"rt.Elu(y, x, 1.0)", "rt.Elu(y, x, 0.7)", "rt.Elu(y, x, 0.5)", "rt.Selu(y, x)", "rt.Softplus(y, x)",
		"rt.Gelu(y, x)", "rt.GeluTanh(y, x)", "rt.Silu(y, x)",
		"rt.EluGrad(y, a, b, 1.0)", "rt.EluGrad(y, a, b, 0.7)", "rt.EluGrad(y, a, b, 0.5)", "rt.SeluGrad(y, a, b)",
		"rt.SoftplusGrad(y, a, b)", "rt.GeluGrad(y, a, b)", "rt.GeluTanhGrad(y, a, b)", "rt.SiluGrad(y, a, b)",
	} {
		assert.Contains(t, kernels, call)
	}
	for _, scalar := range []string{"rt.Elu32(", "rt.Selu32(", "rt.Softplus32(", "rt.Gelu32(", "rt.GeluTanh32(", "rt.Silu32("} {
		assert.NotContains(t, kernels, scalar)
	}

	seq, err := actSeq().Build()
	require.NoError(t, err)
	_, predict, _, _, err = compile(seq, Options{Package: "actseq", MaxBatch: 8, Train: true})
	require.NoError(t, err)
	assert.True(t, predict.itemSplit, "Predict of the tagger runs by ranges of items (items.go's itemOps)")
}

// TestSmoothActivationsInGeneratedCode generates, into a temporary directory inside
// the module, torchmodels.Act with a test that compares it with PyTorch's numbers
// (torchmodels.CheckGenerated: Predict, Loss, one TrainStep's loss, gradients and SGD
// update against testdata/torch/act_golden.json), the same model without fusion
// (every element-wise node its own loop) and the sequence tagger, and runs the
// PyTorch comparison of the first and the whole generated tests of the other two
// (the interpreter, on 1, 2 and 3 threads).
func TestSmoothActivationsInGeneratedCode(t *testing.T) {
	if testing.Short() {
		t.Skip("generates and tests three packages")
	}
	root, err := os.MkdirTemp("testdata", "_act")
	require.NoError(t, err)
	t.Cleanup(func() { os.RemoveAll(root) })

	act, err := torchmodels.Act().Build()
	require.NoError(t, err)
	torchPkg := writePackage(t, root, "acttorch", act)
	src := `package acttorch

import (
	"testing"

	"github.com/dlgen/dlgen/internal/torchmodels"
)

// TestMatchesPyTorch compares the package with PyTorch's values for model "act".
func TestMatchesPyTorch(t *testing.T) {
	torchmodels.CheckGenerated(t, config, "act")
}
`
	require.NoError(t, os.WriteFile(filepath.Join(torchPkg, "torch_test.go"), []byte(src), 0o644))

	files, err := Generate(act, Options{Package: "actnofusion", MaxBatch: 16, Train: true, Tests: true, NoFusion: true})
	require.NoError(t, err)
	noFusion := filepath.Join(root, "actnofusion")
	require.NoError(t, os.MkdirAll(noFusion, 0o755))
	for _, f := range files {
		require.NoError(t, os.WriteFile(filepath.Join(noFusion, f.Name), f.Data, 0o644))
	}
	seq, err := actSeq().Build()
	require.NoError(t, err)
	seqPkg := writePackage(t, root, "actseq", seq)

	pkgs := []string{torchPkg, "./" + noFusion, seqPkg}
	goCommand(t, append([]string{"vet"}, pkgs...)...)
	out := goCommand(t, "test", "-count=1", "-v", "-run", "^TestMatchesPyTorch$", torchPkg)
	for _, line := range strings.Split(out, "\n") {
		if strings.Contains(line, "largest error") {
			t.Log(strings.TrimSpace(line))
		}
	}
	goCommand(t, append([]string{"test", "-count=1"}, pkgs[1:]...)...)
}
