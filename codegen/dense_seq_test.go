package codegen

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dlgen/dlgen/ir"
	"github.com/dlgen/dlgen/nn"
	"github.com/dlgen/dlgen/passes"
)

// Dense on the last axis of (N, T, F) and (N, A, B, F) in generated code.
//
// The sequence tagger joins the end-to-end cases: generated into testdata/denseseq
// (TestGeneratedPackagesAreUpToDate), compared with the interpreter by its own
// model_test.go (TestGeneratedPackagesPassTheirTests: Predict, Loss, every gradient
// and three SGD-momentum steps at batch sizes 1, 7 and MaxBatch, the same bits on 2
// and 3 threads as on one, zero allocations) and counted by
// TestTheModelsExerciseEveryEmitter for BiasAddLast and BiasAddLastGrad.
func init() {
	cases = append(cases, struct {
		pkg      string
		graph    func() (*ir.Graph, error)
		maxBatch int
	}{"denseseq", func() (*ir.Graph, error) { return denseSeqTagger().Build() }, 8})
}

// denseSeqTagger is the Keras/PyTorch sequence tagger: an LSTM returning every
// step, a per-step Dense with an activation and a per-step classifier, trained by
// the categorical cross-entropy from logits over all N·T steps against one-hot
// targets; beside it a Dense on the raw sequence (its product reads the input
// argument), and a stack of Dense layers on an (N, A, B, F) input with a regression
// loss.
func denseSeqTagger() *nn.Model {
	bias := nn.BiasInit("uniform", 0.5) // not zero: a bias added along the wrong axis shows from the start
	m := nn.New("denseseq")
	seq := m.Input("seq", 6, 5)        // (N, T, F)
	onehot := m.Target("onehot", 6, 4) // one class per step
	grid := m.Input("grid", 2, 3, 5)   // (N, A, B, F)
	gridT := m.Target("grid_target", 2, 3, 3)
	h := seq.LSTM("enc", 8, nn.ReturnSequences)  // (N, 6, 8)
	h = h.Dense("proj", 7, nn.Act("tanh"), bias) // (N, 6, 7)
	direct := seq.Dense("direct", 3, nn.Act("relu"), bias)
	logits := nn.Concat("cat", -1, h, direct).Dense("out", 4, bias) // (N, 6, 4)
	m.Output("probs", logits.Softmax("probs"))
	m.Loss(nn.CategoricalCrossEntropy("loss", logits, onehot, nn.FromLogits))
	g := grid.Dense("cell", 4, nn.Act("sigmoid"), bias).Dense("cell_out", 3, nn.NoBias) // (N, 2, 3, 3)
	m.Output("grid_out", g)
	m.AddLoss(nn.MSE("grid_mse", g, gridT), 0.5)
	return m
}

// denseSeqBatchNorm puts a batch norm after Dense layers on a sequence whose units
// equal its steps (6): batch norm's channels are axis 1, the steps, so neither the
// fold into the layer's weight (passes.BNFold) nor a fused loop that indexed the
// layer's bias (along the last axis) and the batch norm's scale and shift (along
// axis 1) by one axis would fail to verify; both would compute something else.
func denseSeqBatchNorm() *nn.Model {
	bias := nn.BiasInit("uniform", 0.5)
	m := nn.New("denseseqbn")
	seq := m.Input("seq", 6, 5)
	target := m.Target("target", 6, 6)
	a := seq.Dense("biased", 6, bias).BatchNorm("bn_a", nn.Momentum(0.3))             // BiasAddLast, then the batch norm
	b := seq.Dense("plain", 6, nn.NoBias).BatchNorm("bn_b", nn.Momentum(0.3))         // the product, then the batch norm
	c := seq.GRU("gru", 6, nn.ReturnSequences).Dense("head", 6, nn.Act("relu"), bias) // a GRU, its outputs per step
	y := nn.Add("sum", nn.Add("ab", a, b), c)
	m.Output("y", y)
	m.Loss(nn.MSE("loss", y, target))
	return m
}

// The layers compile to what the design says: a product of the stacked rows, its
// bias along the last axis, and in training one weight-gradient product over every
// leading axis and one column sum for the bias; no batch norm folds into a Dense on
// a sequence; and the generated code multiplies n·T rows at once.
func TestDenseOnSequencesCompilesToOneProductOfTheStackedRows(t *testing.T) {
	g, err := denseSeqTagger().Build()
	require.NoError(t, err)
	train, err := passes.Compile(g, ir.ModeTrain, passes.Config{})
	require.NoError(t, err)
	count := map[string]int{}
	for _, n := range train.Nodes {
		switch {
		case n.Op == ir.OpMatMul && n.Attrs.TransA && train.Nodes[n.Inputs[0]].Shape.Rank() == 3:
			count["weight gradient over (N, T)"]++
			assert.Equal(t, 2, n.Shape.Rank(), n.Name)
		case n.Op == ir.OpBiasAddLastGrad:
			count["bias gradient"]++
		case n.Op == ir.OpBiasAddLast:
			count["bias"]++
		}
	}
	// proj, direct, out on (N, 6, ·); cell on (N, 2, 3, ·) (its weight gradient
	// contracts three leading axes); cell_out has no bias.
	assert.Equal(t, map[string]int{"weight gradient over (N, T)": 3, "bias gradient": 4, "bias": 4}, count)

	files, err := Generate(g, Options{Package: "denseseq", MaxBatch: 8, Train: true})
	require.NoError(t, err)
	src := map[string]string{}
	for _, f := range files {
		src[f.Name] = string(f.Data)
	}
	// out: (N, 6, 10)·Wᵀ, one GEMM of m = n·6 rows reading the concatenation in
	// place (with the weight packed once, in Predict); its weight gradient one GEMM
	// of k = n·6, written straight into the gradient array; its bias gradient one
	// column sum over n·6 rows.
	assert.Regexp(t, `rt\.GemmPackedP\(m\.pool, false, n\*6, 1, m\.arena\[[0-9:]*n\*60\], 10, &m\.outWeightPacked,`, src["predict.go"])
	assert.Regexp(t, `rt\.GemmP\(m\.pool, false, true, n\*6, 4, 10, 1, m\.arena\[[0-9:]*n\*60\], 10, m\.outWeight\[:\], 10,`, src["train.go"])
	assert.Regexp(t, `rt\.GemmP\(m\.pool, true, false, 4, 10, n\*6, 1, m\.arena\[[0-9+:n*]*\], 4, m\.arena\[[0-9:]*n\*60\], 10, 0, m\.outWeightGrad\[:\], 10\)`, src["train.go"])
	assert.Contains(t, src["kernels.go"], "rt.ColSums64(acc[:], x, n*6, 4, 4)")

	bn, err := denseSeqBatchNorm().Build()
	require.NoError(t, err)
	infer, err := passes.Compile(bn, ir.ModeInfer, passes.Config{})
	require.NoError(t, err)
	scales := 0
	for _, n := range infer.Nodes {
		if n.Op == ir.OpChannelMul && n.Shape.Batched() {
			scales++
		}
	}
	assert.Equal(t, 2, scales, "a batch norm over the steps was folded into a Dense on the last axis")
}

// TestDenseOnSequencesMatchesTheInterpreter generates the batch-norm variant (and
// the tagger, whose committed package TestGeneratedPackagesPassTheirTests also runs)
// into a temporary directory inside the module and runs their generated tests.
func TestDenseOnSequencesMatchesTheInterpreter(t *testing.T) {
	if testing.Short() {
		t.Skip("generates and tests two packages")
	}
	root, err := os.MkdirTemp("testdata", "_denseseq")
	require.NoError(t, err)
	t.Cleanup(func() { os.RemoveAll(root) })
	var pkgs []string
	for _, c := range []struct {
		pkg   string
		model func() *nn.Model
	}{{"denseseqtagger", denseSeqTagger}, {"denseseqbn", denseSeqBatchNorm}} {
		g, err := c.model().Build()
		require.NoError(t, err, c.pkg)
		files, err := Generate(g, Options{Package: c.pkg, MaxBatch: 9, Train: true, Tests: true})
		require.NoError(t, err, c.pkg)
		dir := filepath.Join(root, c.pkg)
		require.NoError(t, os.MkdirAll(dir, 0o755))
		for _, f := range files {
			require.NoError(t, os.WriteFile(filepath.Join(dir, f.Name), f.Data, 0o644))
		}
		pkgs = append(pkgs, "./"+dir)
	}
	for _, args := range [][]string{append([]string{"vet"}, pkgs...), append([]string{"test", "-count=1"}, pkgs...)} {
		out, err := exec.Command("go", args...).CombinedOutput()
		require.NoError(t, err, "go %s:\n%s", strings.Join(args, " "), out)
	}
}
