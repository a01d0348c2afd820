package models_test

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dlgen/dlgen/ir"
	"github.com/dlgen/dlgen/ir/interp"
	"github.com/dlgen/dlgen/passes"
	"github.com/dlgen/dlgen/rt"
)

// feeds returns inputs for batch n: labels cycle through the classes of the op
// reading them, ids through the rows of their embedding, float inputs are uniform in [0, 1) (valid targets for the binary
// cross-entropies).
func feeds(g *ir.Graph, n int) map[string]*interp.Tensor {
	classes := map[int]int{}
	for _, node := range g.Nodes {
		switch node.Op {
		case ir.OpSparseSoftmaxCELoss, ir.OpNLLLoss:
			s := g.Nodes[node.Inputs[0]].Shape
			classes[node.Inputs[1]] = s[len(s)-1]
		case ir.OpOneHot:
			classes[node.Inputs[0]] = node.Shape[len(node.Shape)-1]
		case ir.OpEmbedding:
			classes[node.Inputs[0]] = g.Nodes[node.Inputs[1]].Shape[0]
		}
	}
	f := map[string]*interp.Tensor{}
	for _, in := range g.Inputs() {
		t := interp.NewTensor(in.Shape.Concrete(n)...)
		for i := range t.Data {
			if in.Attrs.DType == ir.Int {
				t.Data[i] = float64(i % classes[in.ID])
			} else {
				t.Data[i] = rt.Uniform(1, rt.NameStream(in.Name), uint64(i))
			}
		}
		f[in.Name] = t
	}
	return f
}

// The models are only useful if the rest of the compiler takes them: each one lowers
// for training and inference, differentiates, and runs in the reference interpreter
// with a finite loss and a gradient for every weight. (Per-op gradients are checked
// against finite differences in passes; generated code against the interpreter in
// codegen.)
func TestModelsRunInTheInterpreter(t *testing.T) {
	for _, tc := range all {
		t.Run(tc.name, func(t *testing.T) {
			g := build(t, tc.model)
			infer, err := passes.Lower(g, ir.ModeInfer)
			require.NoError(t, err)
			train, err := passes.Lower(g, ir.ModeTrain)
			require.NoError(t, err)
			train, err = passes.Autodiff(train)
			require.NoError(t, err)

			for _, lg := range []*ir.Graph{infer, train} {
				m, err := interp.New(lg, 1)
				require.NoError(t, err)
				vals, err := m.Run(feeds(lg, 2))
				require.NoError(t, err, lg.Mode)
				loss := vals[lg.Loss].Data[0]
				assert.False(t, math.IsNaN(loss) || math.IsInf(loss, 0), "%s loss %g", lg.Mode, loss)
				assert.Greater(t, loss, 0.0, lg.Mode)
				for _, o := range lg.Outputs {
					for _, v := range vals[o.ID].Data {
						require.False(t, math.IsNaN(v) || math.IsInf(v, 0), "%s output %s", lg.Mode, o.Name)
					}
				}
			}
			assert.Len(t, train.Grads, len(train.Weights()))
			for _, w := range train.Weights() {
				assert.GreaterOrEqual(t, train.GradOf(w.ID), 0, "no gradient for %s", w.Name)
			}
		})
	}
}
