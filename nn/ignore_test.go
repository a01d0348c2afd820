package nn_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dlgen/dlgen/ir"
	"github.com/dlgen/dlgen/nn"
)

// IgnoreIndex puts PyTorch's ignore_index in the loss node's extra, on the
// cross-entropy from logits and on NLLLoss; without it the extra is empty.
func TestIgnoreIndexIsTheLossExtra(t *testing.T) {
	for _, tc := range []struct {
		name string
		loss func(logits, y *nn.T) *nn.T
		op   string
		want []int
	}{
		{"cross-entropy from logits ignoring -100", func(z, y *nn.T) *nn.T {
			return nn.SparseCategoricalCrossEntropy("loss", z, y, nn.FromLogits, nn.IgnoreIndex(-100))
		}, ir.OpSparseSoftmaxCELoss, []int{-100}},
		{"cross-entropy with the options the other way round, ignoring class 0", func(z, y *nn.T) *nn.T {
			return nn.SparseCategoricalCrossEntropy("loss", z, y, nn.IgnoreIndex(0), nn.FromLogits)
		}, ir.OpSparseSoftmaxCELoss, []int{0}},
		{"cross-entropy without the option", func(z, y *nn.T) *nn.T {
			return nn.SparseCategoricalCrossEntropy("loss", z, y, nn.FromLogits)
		}, ir.OpSparseSoftmaxCELoss, nil},
		{"NLL ignoring -100", func(z, y *nn.T) *nn.T {
			return nn.NLLLoss("loss", z.LogSoftmax("lp"), y, nn.IgnoreIndex(-100))
		}, ir.OpNLLLoss, []int{-100}},
		{"NLL without the option", func(z, y *nn.T) *nn.T { return nn.NLLLoss("loss", z.LogSoftmax("lp"), y) }, ir.OpNLLLoss, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := nn.New("m")
			z := m.Input("x", 5, 3).Dense("d", 4)
			m.Output("z", z)
			m.Loss(tc.loss(z, m.Labels("y", 5)))
			g := build(t, m)
			loss := node(t, g, "loss")
			assert.Equal(t, tc.op, loss.Op)
			assert.Equal(t, tc.want, loss.Attrs.Extra)
		})
	}
}

func TestIgnoreIndexErrorsNameTheLayer(t *testing.T) {
	for _, tc := range []struct {
		name  string
		model func() *nn.Model
		want  []string
	}{
		{"on probabilities", func() *nn.Model {
			m := nn.New("m")
			p := m.Input("x", 4).Dense("d", 3, nn.Act("softmax"))
			m.Output("p", p)
			m.Loss(nn.SparseCategoricalCrossEntropy("sce", p, m.Labels("y"), nn.IgnoreIndex(-100)))
			return m
		}, []string{"sce (SparseCategoricalCrossEntropy)", "nn.IgnoreIndex(-100) needs nn.FromLogits", "Keras' probability form has no ignore index"}},
		{"given twice", func() *nn.Model {
			m := nn.New("m")
			lp := m.Input("x", 4).LogSoftmax("lsm")
			m.Output("lp", lp)
			m.Loss(nn.NLLLoss("nll", lp, m.Labels("y"), nn.IgnoreIndex(-100), nn.IgnoreIndex(-1)))
			return m
		}, []string{"nll (NLLLoss)", "option nn.IgnoreIndex(-1) is given twice"}},
		{"on another loss", func() *nn.Model {
			m := nn.New("m")
			x := m.Input("x", 4)
			m.Output("x", x)
			m.Loss(nn.CategoricalCrossEntropy("cce", x, m.Target("t", 4), nn.FromLogits, nn.IgnoreIndex(-100)))
			return m
		}, []string{"cce (CategoricalCrossEntropy)", "option nn.IgnoreIndex(-100) does not apply to this layer"}},
		{"on a layer", func() *nn.Model {
			m := nn.New("m")
			m.Output("d", m.Input("x", 4).Dense("d", 3, nn.IgnoreIndex(-100)))
			return m
		}, []string{"d (Dense)", "option nn.IgnoreIndex(-100) does not apply to this layer"}},
		{"NLL with other options", func() *nn.Model {
			m := nn.New("m")
			lp := m.Input("x", 4).LogSoftmax("lsm")
			m.Output("lp", lp)
			m.Loss(nn.NLLLoss("nll", lp, m.Labels("y"), nn.FromLogits))
			return m
		}, []string{"nll (NLLLoss)", "option nn.FromLogits does not apply to this layer"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var err error
			require.NotPanics(t, func() { _, err = tc.model().Build() })
			require.Error(t, err)
			for _, w := range tc.want {
				assert.Contains(t, err.Error(), w)
			}
		})
	}
}
