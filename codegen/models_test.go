package codegen

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/dlgen/dlgen/internal/torchmodels"
	"github.com/dlgen/dlgen/ir"
	"github.com/dlgen/dlgen/models"
	"github.com/dlgen/dlgen/nn"
	"github.com/dlgen/dlgen/passes"
)

// exampleModels are the models of package models and the models of PyTorch's
// golden values (internal/torchmodels, as package torch_<name>). Those of package
// models with an op that has no emitter yet are skipped (and named in the log), so
// each one joins the test as soon as its emitters land; the torch models must
// generate, and a missing emitter fails the test.
var exampleModels = append([]exampleModel{
	{"mlp", models.MLP}, {"lenet", models.LeNet}, {"convdae", models.ConvDAE}, {"allops", models.AllOps},
	{"lstm", models.LSTM}, {"bigru", models.BiGRU},
	{"undercomplete", models.UndercompleteAE}, {"sparsel1", models.SparseL1AE}, {"sparsekl", models.SparseKLAE},
	{"contractive", models.ContractiveAE}, {"denoising", models.DenoisingAE}, {"maskingdae", models.MaskingDAE},
	{"convae", models.ConvAE}, {"convtransposeae", models.ConvTransposeAE}, {"vae", models.VAE}, {"vaedecoder", models.VAEDecoder},
	{"seqae", models.SeqAE},
}, torchExamples()...)

type exampleModel struct {
	pkg   string
	model func() *nn.Model
}

// torchCases are the torch models generated as example packages and compared with
// PyTorch by TestTheTorchModelsMatchPyTorch: those of models_golden.py,
// conv1d_golden.py, embedding_golden.py (token ids through an Embedding),
// upsample_golden.py (bilinear upsampling), seqae_golden.py (RepeatVector in a
// sequence-to-sequence autoencoder), dilation_golden.py (dilated convolutions),
// padcrop_golden.py (zero padding and cropping), mnist_golden.py (PyTorch's MNIST
// example, log_softmax and nll_loss) and layernorm_golden.py (LayerNorm between Dense
// layers, per step between LSTMs, over a convolution's (C, H, W)), permute_golden.py
// (Permute), groups_golden.py (grouped, depthwise and separable convolutions),
// adaptive_golden.py (adaptive pooling), act_golden.py's hard_act (ReLU6, hard
// sigmoid, hard swish) and prelu_golden.py (PReLU per channel, with one α and with
// Keras' shared axes). (The other sets have tests of their own: act_test.go for
// "act", sce_test.go, dense_seq_test.go.)
func torchCases() []torchmodels.Case {
	return slices.Concat(torchmodels.All, torchmodels.Conv1DModels, torchmodels.Embeddings, torchmodels.Upsample, torchmodels.SeqAEs, torchmodels.DilationModels, torchmodels.PadCrop, torchmodels.MNIST, torchmodels.LayerNorms, torchmodels.PermuteModels, torchmodels.GroupModels, torchmodels.AdaptiveModels, torchmodels.ActModels[1:], torchmodels.PReLUs)
}

func torchExamples() []exampleModel {
	var out []exampleModel
	for _, c := range torchCases() {
		out = append(out, exampleModel{torchPackage(c.Name), c.Model})
	}
	return out
}

// torchPackage is the package name of the torch model name.
func torchPackage(name string) string { return "torch_" + name }

func isTorchPackage(pkg string) bool { return strings.HasPrefix(pkg, "torch_") }

// missingEmitters returns the ops of g's compiled graphs that have no emitter.
func missingEmitters(t *testing.T, g *ir.Graph) []string {
	seen := map[string]bool{}
	var missing []string
	for _, mode := range []string{ir.ModeInfer, ir.ModeTrain} {
		if mode == ir.ModeTrain && g.Loss < 0 {
			continue
		}
		cg, err := passes.Compile(g, mode, passes.Config{})
		require.NoError(t, err)
		for _, n := range cg.Nodes {
			if _, ok := Emitters[n.Op]; !ok && n.Op != ir.OpInput && n.Op != ir.OpParam && !seen[n.Op] {
				seen[n.Op] = true
				missing = append(missing, n.Op)
			}
		}
	}
	return missing
}

// TestTheExampleModelsMatchTheInterpreter generates every example model into a
// temporary directory inside the module and runs its generated tests.
func TestTheExampleModelsMatchTheInterpreter(t *testing.T) {
	if testing.Short() {
		t.Skip("generates and tests a package per example model")
	}
	root := modelsDir(t)
	var pkgs []string
	for _, em := range exampleModels {
		g, err := em.model().Build()
		require.NoError(t, err, em.pkg)
		if missing := missingEmitters(t, g); len(missing) > 0 {
			if isTorchPackage(em.pkg) {
				t.Errorf("%s: no emitter for %s", em.pkg, strings.Join(missing, ", "))
			} else {
				t.Logf("skipping %s: no emitter yet for %s", em.pkg, strings.Join(missing, ", "))
			}
			continue
		}
		pkgs = append(pkgs, writePackage(t, root, em.pkg, g))
	}
	require.NotEmpty(t, pkgs)
	goCommand(t, append([]string{"vet"}, pkgs...)...)
	goCommand(t, append([]string{"test", "-count=1"}, pkgs...)...)
}

// TestTheTorchModelsMatchPyTorch generates every model of torchCases with its
// tests, adds a test that runs torchmodels.CheckGenerated (the torch parameters
// loaded into the generated Model through Params, PyTorch's state_dict shapes
// required; Predict, Loss, and one TrainStep's loss, gradients, SGD update and
// batch-norm running statistics against PyTorch's values in the set's golden file),
// and a test that loads the torch parameters from a safetensors file as PyTorch
// writes a state dict (torchmodels.CheckWeightsFile), and runs both. The generated
// code is thus checked against PyTorch directly, not only through the interpreter.
func TestTheTorchModelsMatchPyTorch(t *testing.T) {
	if testing.Short() {
		t.Skip("generates and tests a package per torch model")
	}
	root := modelsDir(t)
	var pkgs []string
	for _, c := range torchCases() {
		g, err := c.Model().Build()
		require.NoError(t, err, c.Name)
		if missing := missingEmitters(t, g); len(missing) > 0 {
			t.Errorf("%s: no emitter for %s", c.Name, strings.Join(missing, ", "))
			continue
		}
		pkg := torchPackage(c.Name)
		dir := writePackage(t, root, pkg, g)
		writeTorchTest(t, dir, pkg, c.Name)
		pkgs = append(pkgs, dir)
	}
	require.NotEmpty(t, pkgs)
	out := goCommand(t, append([]string{"test", "-count=1", "-v", "-run", "^(TestMatchesPyTorch|TestLoadsPyTorchWeights)$"}, pkgs...)...)
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(line, "ok ") || strings.HasPrefix(line, "--- ") || strings.Contains(line, "largest error") {
			t.Log(line)
		}
	}
}

// modelsDir returns a new directory inside the module (so that the packages written
// there import dlgen's internal packages), removed when the test ends.
func modelsDir(t *testing.T) string {
	root, err := os.MkdirTemp("testdata", "_models")
	require.NoError(t, err)
	t.Cleanup(func() { os.RemoveAll(root) })
	return root
}

// writePackage generates g as package pkg (with its tests and, if g has a loss,
// training) into root/pkg and returns that directory as a go command argument.
func writePackage(t *testing.T, root, pkg string, g *ir.Graph) string {
	files, err := Generate(g, Options{Package: pkg, MaxBatch: 16, Train: g.Loss >= 0, Tests: true})
	require.NoError(t, err, pkg)
	dir := filepath.Join(root, pkg)
	require.NoError(t, os.MkdirAll(dir, 0o755))
	for _, f := range files {
		require.NoError(t, os.WriteFile(filepath.Join(dir, f.Name), f.Data, 0o644))
	}
	return "./" + dir
}

// goCommand runs the go command and returns its output, failing t if it fails.
func goCommand(t *testing.T, args ...string) string {
	out, err := exec.Command("go", args...).CombinedOutput()
	require.NoError(t, err, "go %s:\n%s", args[0], out)
	return string(out)
}

// writeTorchTest adds torch_test.go to the generated package pkg in dir: a test that
// compares it with PyTorch's values for model name of package torchmodels
// (torchmodels.CheckGenerated), and one that loads PyTorch's state dict into it
// through a weights file (torchmodels.CheckWeightsFile).
func writeTorchTest(t *testing.T, dir, pkg, name string) {
	src := fmt.Sprintf(`package %s

import (
	"testing"

	"github.com/dlgen/dlgen/internal/gentest"
	"github.com/dlgen/dlgen/internal/torchmodels"
)

// TestMatchesPyTorch compares the package with PyTorch's values for model %q
// (see torchmodels.CheckGenerated).
func TestMatchesPyTorch(t *testing.T) {
	torchmodels.CheckGenerated(t, config, %q)
}

// TestLoadsPyTorchWeights loads PyTorch's state dict of model %q from a
// safetensors file (see torchmodels.CheckWeightsFile).
func TestLoadsPyTorchWeights(t *testing.T) {
	torchmodels.CheckWeightsFile(t, config, %q, func() (gentest.Model, func(string) error) {
		m := New()
		return adapter{m}, m.LoadWeights
	})
}
`, pkg, name, name, name, name)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "torch_test.go"), []byte(src), 0o644))
}
