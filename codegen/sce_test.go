package codegen

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dlgen/dlgen/internal/torchmodels"
)

// The sparse categorical cross-entropy in generated code: on probabilities (a
// OneHot of the labels, then Keras' categorical cross-entropy) and with a class
// label per step, (N, T) int labels against a tagger's (N, T, C) predictions. The
// models are torchmodels.SCE, whose PyTorch values testdata/torch/sce_golden.py
// records.

// sceFiles generates model name of torchmodels.SCE with training and returns its
// files by name.
func sceFiles(t *testing.T, name string, opts Options) map[string]string {
	t.Helper()
	for _, c := range torchmodels.SCE {
		if c.Name == name {
			g, err := c.Model().Build()
			require.NoError(t, err)
			opts.Package, opts.MaxBatch, opts.Train = name, 8, true
			files, err := Generate(g, opts)
			require.NoError(t, err)
			src := map[string]string{}
			for _, f := range files {
				src[f.Name] = string(f.Data)
			}
			return src
		}
	}
	t.Fatalf("no model %q in torchmodels.SCE", name)
	return nil
}

// The generated methods check every one of the n·T labels against the classes on
// entry, and the loss runs over n·T rows; on probabilities the labels become a
// one-hot tensor that the categorical cross-entropy reads.
func TestSparseCrossEntropyCompilesToRowsAndACheckOfEveryLabel(t *testing.T) {
	src := sceFiles(t, "tagger_labels", Options{})
	for _, method := range []string{"Loss", "TrainStep"} {
		file := map[string]string{"Loss": "predict.go", "TrainStep": "train.go"}[method]
		assert.Contains(t, src[file], `rt.CheckLen(method, "tags", len(tags), n, 5, true)`, method)
		assert.Contains(t, src[file], `rt.CheckStepLabels(method, "tags", tags, 5, 4)`, method)
		assert.Contains(t, src[file], "//   - tags: class labels in [0, 4), n×5 values, shape N×5 (\"tags\")", method)
	}
	assert.Regexp(t, `func \(m \*Model\) sparseSoftmaxCELoss\(n int, p \[\]float32, t \[\]int32, y \[\]float32\) \{
	var s float64
	for r := range n \* 5 \{
		zr := \(\*\[4\]float32\)\(p\[r\*4:\]\)
		label := t\[r\]`, src["kernels.go"])
	assert.Contains(t, src["kernels.go"], "y[0] = float32(s / float64(n*5))")
	assert.NotContains(t, src["kernels.go"], "oneHot")

	src = sceFiles(t, "mlp_probs", Options{})
	assert.Contains(t, src["predict.go"], `rt.CheckLabels(method, "label", label, 5)`)
	assert.Contains(t, src["predict.go"], "// loss/onehot: OneHot N×5")
	assert.Contains(t, src["kernels.go"], `func (m *Model) oneHot(n int, x []int32, y []float32) {
	clear(y)
	for i, c := range x {
		y[i*5+int(c)] = 1
	}
}`)
	assert.Contains(t, src["train.go"], "// d.loss.1: LossGrad of CategoricalCELoss N×5")
	assert.NotContains(t, src["predict.go"][strings.Index(src["predict.go"], "func (m *Model) Predict("):strings.Index(src["predict.go"], "func (m *Model) Loss(")],
		"oneHot", "Predict computes no loss")
}

// Package train fits one class label per item, so a model with labels per step
// gets no app.go (and no command: asking for one is an error that says why); the
// Keras MNIST form, probabilities and (N) labels, gets both, its classes the
// output's.
func TestTheCommandTakesLabelsPerItemOrPerStep(t *testing.T) {
	for _, c := range torchmodels.SCE {
		g, err := c.Model().Build()
		require.NoError(t, err)
		_, err = Generate(g, Options{Package: c.Name, MaxBatch: 8, Train: true, Cmd: true, ImportPath: "x/" + c.Name})
		require.NoError(t, err, c.Name)
	}
	src := sceFiles(t, "mlp_probs", Options{})
	assert.Contains(t, src["app.go"], `class labels "label" (5 classes)`)
	assert.NotContains(t, src["app.go"], "per item)")
	assert.Contains(t, src["app.go"], "return m.Loss(n, x, labels)")
	for _, name := range []string{"tagger_labels", "tagger_probs"} {
		src := sceFiles(t, name, Options{})
		assert.Regexp(t, `class labels "tags" \(\d+ classes\), \d+ per item`, src["app.go"], name)
	}
}

// TestSparseCrossEntropyModelsMatchTheInterpreterAndPyTorch generates the models of
// torchmodels.SCE into a temporary directory inside the module, each with its own
// tests (gentest: Predict, Loss, every gradient and three SGD-momentum steps against
// the interpreter at batch sizes 1, 7 and MaxBatch; argument errors, among them a
// label out of range at the first and at the last position, for (N, T) labels the
// last item's last step, each naming the argument and the position; the same bits
// on 2 and 3 threads; zero allocations), a test against PyTorch's numbers
// (torchmodels.CheckGenerated: Predict's per-step probabilities, Loss, one
// TrainStep's loss, gradients and SGD update) and, for the tagger, a test of the
// exact error a bad step label gives; then runs go vet and the tests.
func TestSparseCrossEntropyModelsMatchTheInterpreterAndPyTorch(t *testing.T) {
	if testing.Short() {
		t.Skip("generates and tests three packages")
	}
	root := modelsDir(t)
	var pkgs []string
	for _, c := range torchmodels.SCE {
		g, err := c.Model().Build()
		require.NoError(t, err, c.Name)
		pkg := strings.ReplaceAll(c.Name, "_", "")
		dir := writePackage(t, root, pkg, g)
		writeTorchTest(t, dir, pkg, c.Name)
		if c.Name == "tagger_labels" {
			require.NoError(t, os.WriteFile(filepath.Join(dir, "labels_test.go"), []byte(taggerLabelsTest), 0o644))
		}
		pkgs = append(pkgs, dir)
	}
	goCommand(t, append([]string{"vet"}, pkgs...)...)
	out := goCommand(t, append([]string{"test", "-count=1", "-v"}, pkgs...)...)
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(line, "ok ") || strings.HasPrefix(line, "--- ") || strings.Contains(line, "largest error") {
			t.Log(line)
		}
	}
	for _, want := range []string{"--- PASS: TestMatchesPyTorch", "--- PASS: TestAStepLabelOutOfRangeIsAnErrorNamingTheArgument"} {
		assert.Contains(t, out, want)
	}
}

// taggerLabelsTest is a test of the generated tagger_labels package: a step label
// out of range is an *rt.ArgError from Loss and TrainStep naming the argument, the
// flat position and the classes, and leaves the model as it was.
const taggerLabelsTest = `package taggerlabels

import (
	"errors"
	"testing"

	"github.com/dlgen/dlgen/rt"
)

func TestAStepLabelOutOfRangeIsAnErrorNamingTheArgument(t *testing.T) {
	m := New()
	defer m.Close()
	if err := m.Init(1); err != nil {
		t.Fatal(err)
	}
	const n = 3
	seq := make([]float32, n*5*3)
	tags := make([]int32, n*5)
	tags[2*5+4] = 4 // item 2, step 4: one past the last class
	_, err := m.Loss(n, seq, tags)
	if err == nil || err.Error() != "taggerlabels.Loss: tags[14] = 4 is not a class index in [0, 4) (item 2, position 4 of 5)" {
		t.Fatalf("Loss: %v", err)
	}
	var ae *rt.ArgError
	if !errors.As(err, &ae) || ae.Arg != "tags" {
		t.Fatalf("Loss: %v is not an *rt.ArgError naming tags", err)
	}
	tags[14] = -1
	if _, err := m.TrainStep(n, seq, tags); err == nil || err.Error() != "taggerlabels.TrainStep: tags[14] = -1 is not a class index in [0, 4) (item 2, position 4 of 5)" {
		t.Fatalf("TrainStep: %v", err)
	}
	if m.Step != 0 {
		t.Fatalf("a refused TrainStep took a step: Step = %d", m.Step)
	}
	tags[14] = 3
	if _, err := m.TrainStep(n, seq, tags); err != nil {
		t.Fatalf("TrainStep with good labels: %v", err)
	}
}
`
