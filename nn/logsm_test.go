package nn_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dlgen/dlgen/ir"
	"github.com/dlgen/dlgen/nn"
)

// NLLLoss takes labels as SparseCategoricalCrossEntropy does, one per row of the
// last axis, and is one NLLLoss node reading the log-probabilities and the labels.
func TestNLLLossTakesLabelsOfAnyRank(t *testing.T) {
	for _, tc := range []struct {
		name  string
		steps []int
	}{
		{"one label per example", nil},
		{"one label per step", []int{5}},
		{"one label per position of (N, A, B)", []int{2, 3}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := nn.New("m")
			x := m.Input("x", append(append([]int(nil), tc.steps...), 4)...)
			y := m.Labels("y", tc.steps...)
			lp := x.Dense("d", 3, nn.Act("log_softmax"))
			m.Output("lp", lp)
			m.Loss(nn.NLLLoss("loss", lp, y))
			g := build(t, m)
			loss := node(t, g, "loss")
			assert.Equal(t, ir.OpNLLLoss, loss.Op)
			assert.Equal(t, loss.ID, g.Loss)
			assert.Equal(t, []int{node(t, g, "d/log_softmax").ID, node(t, g, "y").ID}, loss.Inputs)
			assert.Equal(t, ir.OpLogSoftmax, node(t, g, "d/log_softmax").Op)
		})
	}
}

func TestNLLLossErrorsNameTheLayer(t *testing.T) {
	for _, tc := range []struct {
		name  string
		model func() *nn.Model
		want  []string
	}{
		{"per-step log-probabilities with one label per example", func() *nn.Model {
			m := nn.New("m")
			lp := m.Input("x", 5, 4).LogSoftmax("lsm")
			m.Output("lp", lp)
			m.Loss(nn.NLLLoss("nll", lp, m.Labels("y")))
			return m
		}, []string{"nll (NLLLoss) on input N×5×4, N: labels N must have the shape of the log-probabilities N×5×4 without the class axis, N×5", "Model.Labels(name, 5)"}},
		{"float targets", func() *nn.Model {
			m := nn.New("m")
			lp := m.Input("x", 4).LogSoftmax("lsm")
			m.Output("lp", lp)
			m.Loss(nn.NLLLoss("nll", lp, m.Target("t", 4)))
			return m
		}, []string{"nll (NLLLoss)", `labels must be int class indices from Model.Labels, not the float tensor "t"`}},
		{"labels as the log-probabilities", func() *nn.Model {
			m := nn.New("m")
			y := m.Labels("y")
			m.Output("x", m.Input("x", 4))
			m.Loss(nn.NLLLoss("nll", y, y))
			return m
		}, []string{"nll (NLLLoss)", `"y" holds int class labels`}},
		{"log_softmax over the width of an image", func() *nn.Model {
			m := nn.New("m")
			m.Output("lp", m.Input("x", 3, 4, 4).Conv2D("c", 2, nn.K(1), nn.Act("log_softmax")))
			return m
		}, []string{"c (Conv2D)", "log_softmax is over the last axis, which for (N, C, H, W) is W and not the channels"}},
		{"a nil tensor", func() *nn.Model {
			m := nn.New("m")
			m.Output("x", m.Input("x", 4))
			m.Loss(nn.NLLLoss("nll", nil, m.Labels("y")))
			return m
		}, []string{"nll (NLLLoss)"}},
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
