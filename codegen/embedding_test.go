package codegen

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dlgen/dlgen/internal/torchmodels"
	"github.com/dlgen/dlgen/ir"
	"github.com/dlgen/dlgen/nn"
)

// Embeddings in generated code.
//
// The model below joins the end-to-end cases: generated into testdata/embedding
// (TestGeneratedPackagesAreUpToDate), compared with the interpreter by its own
// model_test.go (TestGeneratedPackagesPassTheirTests: Predict, Loss, every gradient
// and three SGD-momentum steps at batch sizes 1, 7 and MaxBatch; ids of -1 and of
// the vocabulary size at the first and the last position refused with an error
// naming the argument; the same bits on 2 and 3 threads as on one; zero
// allocations), and counted by TestTheModelsExerciseEveryEmitter for Embedding and
// EmbeddingGrad. The models of torchmodels.Embeddings are compared with PyTorch by
// TestTheTorchModelsMatchPyTorch and TestEmbeddingModelsInGeneratedCode.
func init() {
	cases = append(cases, struct {
		pkg      string
		graph    func() (*ir.Graph, error)
		maxBatch int
	}{"embedding", func() (*ir.Graph, error) { return embeddingModel().Build() }, 8})
}

// embeddingModel has (N, T) word ids through an embedding with a padding row into a
// GRU tagger (a class per step), and (N) category ids, one per item, through an
// embedding with PyTorch's N(0, 1) start into a classifier that also reads the
// GRU's states; the two losses add up.
func embeddingModel() *nn.Model {
	m := nn.New("embedding")
	words := m.Indices("words", 6)
	category := m.Indices("category")
	tags := m.Labels("tags", 6)
	label := m.Labels("label")
	s := words.Embedding("embed", 20, 5, nn.PaddingIdx(0)).GRU("gru", 4, nn.ReturnSequences) // (N, 6, 4)
	tagLogits := s.Dense("tag", 3)                                                           // (N, 6, 3)
	c := category.Embedding("cat_embed", 7, 4, nn.TorchInit)                                 // (N, 4)
	logits := nn.Concat("joined", 1, c, s.Flatten("states")).Dense("cls", 5)                 // (N, 5)
	m.Output("tag_probs", tagLogits.Softmax("tag_probs"))
	m.Output("probs", logits.Softmax("probs"))
	m.AddLoss(nn.SparseCategoricalCrossEntropy("tag_loss", tagLogits, tags, nn.FromLogits), 1)
	m.AddLoss(nn.SparseCategoricalCrossEntropy("cls_loss", logits, label, nn.FromLogits), 0.5)
	return m
}

// The generated methods check every id against its embedding's rows on entry (per
// position for (N, T) ids), the lookup is a call of rt.Embedding and the gradient
// one of rt.EmbeddingGrad with the padding row, Init zeroes the padding row, and
// Predict runs by items on several threads, the lookup included.
func TestEmbeddingCompilesToARowCopyAndACheckOfEveryId(t *testing.T) {
	g, err := embeddingModel().Build()
	require.NoError(t, err)
	files, err := Generate(g, Options{Package: "embedding", MaxBatch: 8, Train: true})
	require.NoError(t, err)
	src := map[string]string{}
	for _, f := range files {
		src[f.Name] = string(f.Data)
	}
	for _, file := range []string{"predict.go", "train.go"} {
		assert.Contains(t, src[file], `rt.CheckIndices(method, "words", words, 6, 20)`, file)
		assert.Contains(t, src[file], `rt.CheckIndices(method, "category", category, 1, 7)`, file)
		assert.Contains(t, src[file], `//   - words: embedding ids in [0, 20), n×6 values, shape N×6 ("words")`, file)
		assert.NotContains(t, src[file], `rt.CheckLabels(method, "words"`, file)
	}
	assert.Contains(t, src["kernels.go"], "rt.Embedding(y, ids, w, 5)")
	assert.Contains(t, src["kernels.go"], "rt.Embedding(y, ids, w, 4)")
	assert.Contains(t, src["kernels.go"], "rt.EmbeddingGrad(dw, ids, dy, 5, 0)", "the padding row")
	assert.Contains(t, src["kernels.go"], "rt.EmbeddingGrad(dw, ids, dy, 4, -1)", "no padding row")
	assert.Contains(t, src["model.go"], `if err := rt.InitParam(m.embedWeight[:], "uniform", 0, 0, 0.05, seed, "embed.weight"); err != nil {
		return err
	}
	// The zero rows of embed.weight (an embedding's padding row).
	clear(m.embedWeight[0:5])`)
	assert.Contains(t, src["model.go"], `rt.InitParam(m.catEmbedWeight[:], "normal", 0, 0, 1.0, seed, "cat_embed.weight")`)
	items := src["predict.go"][strings.Index(src["predict.go"], "func (m *Model) predictItems("):]
	assert.Regexp(t, regexp.MustCompile(`m\.embedding\w*\(n, words, m\.embedWeight\[:\], arena\[`), items, "the lookup runs in each range of items")
	assert.Contains(t, items, "category := m.predictArgCategory[b0*1 : b1*1]")
}

// Package train passes data as float32, so the app.go of a model whose input is
// ids converts them into a buffer of the Model (no allocation) before each call.
func TestAModelOfIdsGetsACommandThatConvertsTheIds(t *testing.T) {
	g, err := torchmodels.EmbedLSTM().Build()
	require.NoError(t, err)
	files, err := Generate(g, Options{Package: "embedlstm", MaxBatch: 8, Train: true, Cmd: true, ImportPath: "x/embedlstm"})
	require.NoError(t, err)
	byName := fileNames(files)
	require.Contains(t, byName, "cmd/embedlstm/main.go")
	app := string(byName["app.go"])
	assert.Contains(t, app, "ids, err := m.idsFromFloats(n, x)")
	assert.Contains(t, app, "return m.TrainStep(n, ids, labels)")
	assert.Contains(t, app, "return m.Predict(n, ids, y)")
	assert.Contains(t, string(byName["model.go"]), "appIDs [MaxBatch * 12]int32")
}

// TestEmbeddingModelsInGeneratedCode generates the models of torchmodels.Embeddings
// into a temporary directory inside the module, each with its own tests (gentest:
// the interpreter, bad ids, threads, allocations), a test against PyTorch's numbers
// (torchmodels.CheckGenerated) and, for the tagger, a test of the exact errors bad
// ids give (the item and position of (N, T) ids) and that a refused TrainStep
// changes nothing; then runs go vet and the tests.
func TestEmbeddingModelsInGeneratedCode(t *testing.T) {
	if testing.Short() {
		t.Skip("generates and tests two packages")
	}
	root := modelsDir(t)
	var pkgs []string
	for _, c := range torchmodels.Embeddings {
		g, err := c.Model().Build()
		require.NoError(t, err, c.Name)
		pkg := strings.ReplaceAll(c.Name, "_", "")
		dir := writePackage(t, root, pkg, g)
		writeTorchTest(t, dir, pkg, c.Name)
		if c.Name == "embed_tagger" {
			require.NoError(t, os.WriteFile(filepath.Join(dir, "ids_test.go"), []byte(embedTaggerIdsTest), 0o644))
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
	for _, want := range []string{"--- PASS: TestMatchesPyTorch", "--- PASS: TestAnIdOutOfRangeIsAnErrorNamingTheArgument",
		"--- PASS: TestMatchesTheInterpreter", "--- PASS: TestHotCallsDoNotAllocate"} {
		assert.Contains(t, out, want)
	}
}

// embedTaggerIdsTest is a test of the generated embed_tagger package: an id out of
// range is an *rt.ArgError from Predict, Loss and TrainStep naming the argument, the
// flat position, the item and step, and the vocabulary, and leaves the model as it
// was.
const embedTaggerIdsTest = `package embedtagger

import (
	"errors"
	"testing"

	"github.com/dlgen/dlgen/rt"
)

func TestAnIdOutOfRangeIsAnErrorNamingTheArgument(t *testing.T) {
	m := New()
	defer m.Close()
	if err := m.Init(1); err != nil {
		t.Fatal(err)
	}
	const n = 3
	words := make([]int32, n*7)
	tags := make([]int32, n*7)
	probs := make([]float32, n*7*3)
	words[2*7+4] = 30 // item 2, step 4: one past the last row
	err := m.Predict(n, words, probs)
	if err == nil || err.Error() != "embedtagger.Predict: words[18] = 30 is not an embedding index in [0, 30) (item 2, position 4 of 7)" {
		t.Fatalf("Predict: %v", err)
	}
	var ae *rt.ArgError
	if !errors.As(err, &ae) || ae.Arg != "words" {
		t.Fatalf("Predict: %v is not an *rt.ArgError naming words", err)
	}
	if _, err := m.Loss(n, words, tags); err == nil || err.Error() != "embedtagger.Loss: words[18] = 30 is not an embedding index in [0, 30) (item 2, position 4 of 7)" {
		t.Fatalf("Loss: %v", err)
	}
	words[18] = -1
	before := append([]float32(nil), m.Params()[0].Data...)
	if _, err := m.TrainStep(n, words, tags); err == nil || err.Error() != "embedtagger.TrainStep: words[18] = -1 is not an embedding index in [0, 30) (item 2, position 4 of 7)" {
		t.Fatalf("TrainStep: %v", err)
	}
	if m.Step != 0 {
		t.Fatalf("a refused TrainStep took a step: Step = %d", m.Step)
	}
	for i, v := range m.Params()[0].Data {
		if v != before[i] {
			t.Fatalf("a refused TrainStep changed embed.weight[%d]", i)
		}
	}
	words[18] = 29
	if _, err := m.TrainStep(n, words, tags); err != nil {
		t.Fatalf("TrainStep with good ids: %v", err)
	}
	// The padding row (id 0, every other word here) starts at zero and stays there.
	for i, v := range m.Params()[0].Data[:5] {
		if v != 0 {
			t.Fatalf("embed.weight[%d] = %v after a step: the padding row must stay 0", i, v)
		}
	}
}
`
