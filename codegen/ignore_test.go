package codegen

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dlgen/dlgen/ir"
	"github.com/dlgen/dlgen/nn"
)

// The sparse losses' ignore index (PyTorch's ignore_index) in generated code.
//
// The tagger below joins the end-to-end cases: generated into testdata/ignore
// (TestGeneratedPackagesAreUpToDate) and compared with the interpreter by its own
// model_test.go (TestGeneratedPackagesPassTheirTests: Predict, Loss, every gradient
// and SGD steps at batch sizes 1, 7 and MaxBatch, on several threads, with zero
// allocations), on labels that gentest pads with the ignore index (each sequence
// keeps a random number of leading tags, the rest -100; every third classifier
// label -1) and against out-of-range labels.
func init() {
	cases = append(cases, struct {
		pkg      string
		graph    func() (*ir.Graph, error)
		maxBatch int
	}{"ignore", func() (*ir.Graph, error) { return ignoreModel().Build() }, 8})
}

// ignoreModel is a sequence tagger whose padded steps are labelled -100: an LSTM
// over 6 steps, per-step logits under the cross-entropy and per-step
// log-probabilities under NLL, both ignoring -100 on the same tags; and a
// classifier of the whole sequence under NLL ignoring -1.
func ignoreModel() *nn.Model {
	m := nn.New("ignore")
	x := m.Input("seq", 6, 3)
	tags := m.Labels("tags", 6)
	cls := m.Labels("cls")
	h := x.LSTM("rnn", 4, nn.ReturnSequences)                            // (N, 6, 4)
	logits := h.Dense("tag", 5)                                          // (N, 6, 5)
	logProbs := h.Dense("tag_lp", 5, nn.Act("log_softmax"))              // (N, 6, 5)
	clsLP := x.Flatten("flat").Dense("cls_lp", 3, nn.Act("log_softmax")) // (N, 3)
	m.Output("tag_logits", logits)
	m.Output("cls_log_probs", clsLP)
	m.AddLoss(nn.SparseCategoricalCrossEntropy("tag_ce", logits, tags, nn.FromLogits, nn.IgnoreIndex(-100)), 1)
	m.AddLoss(nn.NLLLoss("tag_nll", logProbs, tags, nn.IgnoreIndex(-100)), 0.5)
	m.AddLoss(nn.NLLLoss("cls_nll", clsLP, cls, nn.IgnoreIndex(-1)), 0.5)
	return m
}

// The entry checks accept the ignore index besides the classes, and the kernels
// count the rows they keep at run time: the loss divides by that count, and the
// gradient zeroes the ignored rows.
func TestIgnoreIndexCompilesToACountOfTheKeptRows(t *testing.T) {
	g, err := ignoreModel().Build()
	require.NoError(t, err)
	files, err := Generate(g, Options{Package: "ignore", MaxBatch: 8, Train: true})
	require.NoError(t, err)
	src := map[string]string{}
	for _, f := range files {
		src[f.Name] = string(f.Data)
	}
	for _, file := range []string{"predict.go", "train.go"} {
		assert.Contains(t, src[file], `rt.CheckLabelsIgnoring(method, "tags", tags, 6, 5, -100)`, file)
		assert.Contains(t, src[file], `rt.CheckLabelsIgnoring(method, "cls", cls, 1, 3, -1)`, file)
		assert.Contains(t, src[file], `//   - tags: class labels in [0, 5) or the ignore index -100, n×6 values`, file)
	}
	assert.Contains(t, src["kernels.go"], `		label := t[r]
		if label == -100 {
			continue
		}
		kept++`)
	assert.Contains(t, src["kernels.go"], "y[0] = float32(s / float64(kept))")
	assert.Contains(t, src["kernels.go"], `	var kept int
	for r := range n * 6 {
		if t[r] != -100 {
			kept++
		}
	}
	scale := float64(dl[0]) / float64(kept)`)
	assert.Contains(t, src["kernels.go"], `		if label == -100 {
			clear(gr[:])
			continue
		}`)
}

// A label input read by a loss that ignores -100 and by one that does not (or that
// ignores another value) accepts only the classes: the stricter reader decides.
func TestTheIgnoreIndexIsAcceptedOnlyIfEveryReaderIgnoresIt(t *testing.T) {
	for _, tc := range []struct {
		name   string
		second []nn.Option
	}{
		{"the other reader ignores nothing", []nn.Option{nn.FromLogits}},
		{"the other reader ignores -1", []nn.Option{nn.FromLogits, nn.IgnoreIndex(-1)}},
		{"the other reader is on probabilities (a OneHot)", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := nn.New("m")
			x := m.Input("x", 3)
			y := m.Labels("y")
			lp := x.Dense("d", 4, nn.Act("log_softmax"))
			m.Output("lp", lp)
			m.AddLoss(nn.NLLLoss("nll", lp, y, nn.IgnoreIndex(-100)), 1)
			second := x.Dense("e", 4)
			if tc.second == nil {
				second = second.Softmax("probs")
			}
			m.AddLoss(nn.SparseCategoricalCrossEntropy("ce", second, y, tc.second...), 1)
			g, err := m.Build()
			require.NoError(t, err)
			files, err := Generate(g, Options{Package: "m", MaxBatch: 4, Train: true})
			require.NoError(t, err)
			for _, f := range files {
				assert.NotContains(t, string(f.Data), "CheckLabelsIgnoring", f.Name)
			}
		})
	}
}
