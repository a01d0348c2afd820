package codegen

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dlgen/dlgen/nn"
)

func fileNames(files []File) map[string][]byte {
	out := map[string][]byte{}
	for _, f := range files {
		out[f.Name] = f.Data
	}
	return out
}

func TestTheCommandIsEmittedForModelsThatFitPackageTrain(t *testing.T) {
	g, err := mlpGraph()
	require.NoError(t, err)
	files, err := Generate(g, Options{Package: "mlp", MaxBatch: 8, Train: true, Cmd: true, ImportPath: "example.com/m/mlp"})
	require.NoError(t, err)
	byName := fileNames(files)
	main := string(byName["cmd/mlp/main.go"])
	require.NotEmpty(t, main, "cmd/mlp/main.go")
	assert.True(t, strings.HasPrefix(main, "// "+Header+"\n"))
	assert.Contains(t, main, `"example.com/m/mlp"`)
	assert.Contains(t, main, `train.Main("mlp", func() train.Model { return mlp.New() }, os.Args[1:])`)
	app := string(byName["app.go"])
	assert.Contains(t, app, "return m.TrainStep(n, x, labels)")
	assert.Contains(t, app, `class labels "label" (10 classes)`)
	assert.Contains(t, string(byName["weights.go"]), "func (m *Model) LoadWeights(path string) error")

	t.Run("a package named train is imported under an alias", func(t *testing.T) {
		files, err := Generate(g, Options{Package: "train", MaxBatch: 8, Train: true, Cmd: true, ImportPath: "example.com/m/train"})
		require.NoError(t, err)
		main := string(fileNames(files)["cmd/train/main.go"])
		assert.Contains(t, main, `model "example.com/m/train"`)
		assert.Contains(t, main, "return model.New()")
	})
}

func TestTheCommandIsRefusedWithAReason(t *testing.T) {
	mlp, err := mlpGraph()
	require.NoError(t, err)
	bn1d, err := bn1dGraph()
	require.NoError(t, err)
	cases := []struct {
		name string
		g    func() error
		want string
	}{
		{"without an import path", func() error {
			_, err := Generate(mlp, Options{Package: "mlp", MaxBatch: 8, Train: true, Cmd: true})
			return err
		}, "needs Options.ImportPath"},
		{"without training code", func() error {
			_, err := Generate(mlp, Options{Package: "mlp", MaxBatch: 8, Cmd: true, ImportPath: "x/mlp"})
			return err
		}, "needs Predict, Loss and TrainStep"},
		{"for labels per step whose output is not a score per step", func() error {
			m := nn.New("tagger")
			seq := m.Input("seq", 5, 3)
			tags := m.Labels("tags", 5)
			logits := seq.Dense("out", 4)
			m.Output("pooled", seq.Flatten("flat").Dense("other", 4))
			m.Loss(nn.SparseCategoricalCrossEntropy("loss", logits, tags, nn.FromLogits))
			g, err := m.Build()
			require.NoError(t, err)
			_, err = Generate(g, Options{Package: "tagger", MaxBatch: 4, Train: true, Cmd: true, ImportPath: "x/tagger"})
			return err
		}, `its labels "tags" are 5 per item, and its output "pooled" (4) is not a score per class at each of those positions`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := c.g()
			require.Error(t, err)
			assert.Contains(t, err.Error(), c.want)
		})
	}
	t.Run("a float target that is not the input makes a regression command", func(t *testing.T) {
		files, err := Generate(bn1d, Options{Package: "bn1d", MaxBatch: 4, Train: true, Cmd: true, ImportPath: "x/bn1d"})
		require.NoError(t, err)
		app := string(fileNames(files)["app.go"])
		assert.Contains(t, app, `the training target: "target"`)
		assert.Contains(t, app, "return m.TrainStep(n, x, target)")
	})
	t.Run("labels per step make a tagger's command", func(t *testing.T) {
		m := nn.New("tagger")
		seq := m.Input("seq", 5, 3)
		tags := m.Labels("tags", 5)
		logits := seq.Dense("out", 4)
		m.Output("probs", logits.Softmax("probs"))
		m.Loss(nn.SparseCategoricalCrossEntropy("loss", logits, tags, nn.FromLogits))
		g, err := m.Build()
		require.NoError(t, err)
		files, err := Generate(g, Options{Package: "tagger", MaxBatch: 4, Train: true, Cmd: true, ImportPath: "x/tagger"})
		require.NoError(t, err)
		app := string(fileNames(files)["app.go"])
		assert.Contains(t, app, `class labels "tags" (4 classes), 5 per item`)
		assert.Contains(t, app, "return m.TrainStep(n, x, labels)")
	})
	t.Run("but without -cmd such models still get weights.go", func(t *testing.T) {
		files, err := Generate(mlp, Options{Package: "mlp", MaxBatch: 8})
		require.NoError(t, err)
		byName := fileNames(files)
		assert.Contains(t, byName, "weights.go")
		assert.NotContains(t, byName, "app.go")
	})
}

// IgnoreIndex in app.go reports what the entry checks accept: the index when every
// loss reading the labels ignores the same one, else none.
func TestTheAppReportsTheIgnoreIndexTheEntryChecksAccept(t *testing.T) {
	for _, tc := range []struct {
		name  string
		opts  [2][]nn.Option
		want  string
		doc   string
		nodoc bool
	}{
		{"one loss ignoring -100", [2][]nn.Option{{nn.IgnoreIndex(-100)}, nil}, "return -100, true", "or the\n//     ignore index -100", false},
		{"two losses ignoring 0", [2][]nn.Option{{nn.IgnoreIndex(0)}, {nn.IgnoreIndex(0)}}, "return 0, true", "ignore index 0", false},
		{"two losses ignoring different labels", [2][]nn.Option{{nn.IgnoreIndex(-100)}, {nn.IgnoreIndex(-1)}}, "return 0, false", "ignore index", true},
		{"one loss of two ignoring", [2][]nn.Option{{nn.IgnoreIndex(-100)}, nil}, "return 0, false", "ignore index", true},
		{"no ignore index", [2][]nn.Option{nil, nil}, "return 0, false", "ignore index", true},
	} {
		t.Run("IgnoreIndex with "+tc.name, func(t *testing.T) {
			m := nn.New("tagger")
			seq := m.Input("seq", 5, 3)
			tags := m.Labels("tags", 5)
			logits := seq.Dense("out", 4)
			m.Output("probs", logits.Softmax("probs"))
			m.AddLoss(nn.SparseCategoricalCrossEntropy("ce", logits, tags, append([]nn.Option{nn.FromLogits}, tc.opts[0]...)...), 1)
			if tc.name != "one loss ignoring -100" {
				m.AddLoss(nn.NLLLoss("nll", logits.LogSoftmax("lp"), tags, tc.opts[1]...), 1)
			}
			g, err := m.Build()
			require.NoError(t, err)
			files, err := Generate(g, Options{Package: "tagger", MaxBatch: 4, Train: true, Cmd: true, ImportPath: "x/tagger"})
			require.NoError(t, err)
			app := string(fileNames(files)["app.go"])
			assert.Contains(t, app, "func (m *Model) IgnoreIndex() (int, bool) { "+tc.want+" }")
			if tc.nodoc {
				assert.NotContains(t, app, tc.doc)
			} else {
				assert.Contains(t, app, tc.doc)
			}
		})
	}
}
