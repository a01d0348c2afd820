package passes_test

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dlgen/dlgen/ir"
	"github.com/dlgen/dlgen/passes"
)

func TestFoldEvaluatesConstantOps(t *testing.T) {
	pool := func(pads []int, exclude bool) ir.Attrs {
		return ir.Attrs{Kernel: []int{2, 2}, Strides: []int{2, 2}, Pads: pads, Exclude: exclude}
	}
	none := []int{0, 0, 0, 0}
	cases := []struct {
		name  string
		op    string
		attrs ir.Attrs
		in    []float64 // alphas of Fill inputs of shape (N, 3, 4, 4), or of a scalar for Broadcast
		want  float64   // the folded constant; NaN when the node must stay
	}{
		{"Add of two constants", ir.OpAdd, ir.Attrs{}, []float64{1.5, -0.25}, 1.25},
		{"Sub of two constants", ir.OpSub, ir.Attrs{}, []float64{1.5, -0.25}, 1.75},
		{"Mul of two constants", ir.OpMul, ir.Attrs{}, []float64{1.5, -0.25}, -0.375},
		{"Div of two constants", ir.OpDiv, ir.Attrs{}, []float64{1, 3}, 1.0 / 3},
		{"Scale of a constant", ir.OpScale, ir.Attrs{Alpha: 0.3}, []float64{2}, 0.3 * 2},
		{"AddScalar of a constant", ir.OpAddScalar, ir.Attrs{Alpha: 0.25}, []float64{0.5}, 0.75},
		{"Sigmoid of a negative constant", ir.OpSigmoid, ir.Attrs{}, []float64{-2}, math.Exp(-2) / (1 + math.Exp(-2))},
		{"Sigmoid of a positive constant", ir.OpSigmoid, ir.Attrs{}, []float64{2}, 1 / (1 + math.Exp(-2))},
		{"Rsqrt of a constant", ir.OpRsqrt, ir.Attrs{}, []float64{4}, 0.5},
		{"LeakyRelu of a negative constant", ir.OpLeakyRelu, ir.Attrs{Alpha: 0.2}, []float64{-3}, -0.6000000000000001},
		{"Abs of a negative constant", ir.OpAbs, ir.Attrs{}, []float64{-3}, 3},
		// The smooth activations and their gradients, as the interpreter computes them.
		{"Elu of a negative constant near 0", ir.OpElu, ir.Attrs{Alpha: 0.5}, []float64{-1e-3}, 0.5 * math.Expm1(-1e-3)},
		{"EluGrad at 0 takes alpha, as PyTorch", ir.OpEluGrad, ir.Attrs{Alpha: 0.5}, []float64{0, 3}, 1.5},
		{"Selu of a positive constant", ir.OpSelu, ir.Attrs{}, []float64{2}, 2 * ir.SeluScale},
		{"SeluGrad of a negative constant", ir.OpSeluGrad, ir.Attrs{}, []float64{-1, 2}, func() float64 { dy := 2.0; return dy * ir.SeluScale * ir.SeluAlpha * math.Exp(-1) }()},
		{"Softplus above its threshold", ir.OpSoftplus, ir.Attrs{}, []float64{25}, 25},
		{"Softplus of 0", ir.OpSoftplus, ir.Attrs{}, []float64{0}, math.Ln2},
		{"SoftplusGrad of 0", ir.OpSoftplusGrad, ir.Attrs{}, []float64{0, 3}, 1.5},
		{"Gelu of 1", ir.OpGelu, ir.Attrs{}, []float64{1}, func() float64 { x := 1.0; return x * 0.5 * math.Erfc(-x/math.Sqrt2) }()},
		{"Gelu, tanh approximation, of 0", ir.OpGelu, ir.Attrs{Sub: ir.GeluTanh}, []float64{0}, 0},
		{"GeluGrad, tanh approximation, of 0", ir.OpGeluGrad, ir.Attrs{Sub: ir.GeluTanh}, []float64{0, 4}, 2},
		{"GeluGrad of 0", ir.OpGeluGrad, ir.Attrs{}, []float64{0, 4}, 2},
		{"Silu of a negative constant", ir.OpSilu, ir.Attrs{}, []float64{-2}, -2 / (1 + math.Exp(2))},
		{"SiluGrad of 0", ir.OpSiluGrad, ir.Attrs{}, []float64{0, 4}, 2},
		{"Identity of a constant", ir.OpIdentity, ir.Attrs{}, []float64{7}, 7},
		{"Softmax over four equal logits", ir.OpSoftmax, ir.Attrs{}, []float64{5}, 0.25},
		{"LogSoftmax over four equal logits", ir.OpLogSoftmax, ir.Attrs{}, []float64{5}, -math.Log(4)},
		{"max pooling with padding, which never wins", ir.OpMaxPool2D, pool([]int{1, 1, 1, 1}, false), []float64{-2}, -2},
		{"upsampling", ir.OpUpSample2D, ir.Attrs{Scale: []int{2, 1}}, []float64{4}, 4},
		{"a slice", ir.OpSlice, ir.Attrs{Axis: 2, Start: 1, End: 3}, []float64{4}, 4},
		{"a crop", ir.OpPad2D, ir.Attrs{Pads: []int{-1, 0, -2, -1}}, []float64{4}, 4},
		{"zero padding of zeros", ir.OpPad2D, ir.Attrs{Pads: []int{1, -1, 0, 2}}, []float64{0}, 0},
		{"a reshape", ir.OpReshape, ir.Attrs{Shape: ir.Shape{48}}, []float64{4}, 4},
		{"a concatenation of equal constants", ir.OpConcat, ir.Attrs{Axis: 1}, []float64{4, 4}, 4},
		{"a repeat along a new axis", ir.OpRepeat, ir.Attrs{Axis: 2, Repeats: 5}, []float64{4}, 4},
		{"not the sum over a repeated axis (its sum rounds)", ir.OpRepeatGrad, ir.Attrs{Axis: 2}, []float64{0.1}, math.NaN()},
		{"a broadcast that copies", ir.OpBroadcast, ir.Attrs{Shape: ir.Shape{ir.Batch, 3, 4, 4}}, []float64{4}, 4},

		{"not a concatenation of different constants", ir.OpConcat, ir.Attrs{Axis: 1}, []float64{4, 5}, math.NaN()},
		{"not a concatenation of 0 and -0", ir.OpConcat, ir.Attrs{Axis: 1}, []float64{0, math.Copysign(0, -1)}, math.NaN()},
		{"not average pooling with padding in the divisor", ir.OpAvgPool2D, pool([]int{1, 1, 1, 1}, false), []float64{4}, math.NaN()},
		{"not average pooling (its sum rounds)", ir.OpAvgPool2D, pool(none, false), []float64{0.1}, math.NaN()},
		{"not zero padding of a non-zero constant", ir.OpPad2D, ir.Attrs{Pads: []int{0, 0, 0, 1}}, []float64{4}, math.NaN()},
		{"not zero padding of -0", ir.OpPad2D, ir.Attrs{Pads: []int{1, 0, 0, 0}}, []float64{math.Copysign(0, -1)}, math.NaN()},
		{"not a sum over the batch", ir.OpReduceSum, ir.Attrs{}, []float64{1}, math.NaN()},
		{"not a mean broadcast, which divides by the batch", ir.OpBroadcast, ir.Attrs{Shape: ir.Shape{ir.Batch, 3, 4, 4}, Mean: true}, []float64{4}, math.NaN()},
		{"not a channel sum", ir.OpChannelSum, ir.Attrs{}, []float64{1}, math.NaN()},
		{"not a logarithm of a negative constant", ir.OpLog, ir.Attrs{}, []float64{-1}, math.NaN()},
		{"not an overflowing exponential", ir.OpExp, ir.Attrs{}, []float64{1000}, math.NaN()},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b := eqNew(t, ir.ModeInfer)
			x := b.input(3, 4, 4)
			var ins []int
			for _, a := range tc.in {
				if tc.op == ir.OpBroadcast {
					ins = append(ins, b.fill(a))
				} else {
					ins = append(ins, b.fill(a, ir.Batch, 3, 4, 4))
				}
			}
			y := b.op(tc.op, tc.attrs, ins...)
			b.output(y)
			if b.g.Nodes[y].Shape.Equal(b.g.Nodes[x].Shape) {
				b.output(b.op(ir.OpAdd, ir.Attrs{}, x, y)) // a user, remapped too
			}
			out := eqApply(t, passes.Fold, b.g)
			got := out.Nodes[out.Outputs[0].ID]
			if math.IsNaN(tc.want) {
				assert.Equal(t, tc.op, got.Op, "folded, but should not be")
				return
			}
			require.Equal(t, ir.OpFill, got.Op)
			assert.Equal(t, tc.want, got.Attrs.Alpha)
			assert.Equal(t, b.g.Nodes[y].Name, got.Name, "the Fill keeps the folded node's name")
			eqCheck(t, eqReference(t, b.g, 1, 3), out)
		})
	}
}

// A chain of constants, as autodiff makes for a weighted loss term, folds into one
// Fill in one walk, and nothing that reads a parameter folds.
func TestFoldCollapsesConstantSubgraphsButNotParameters(t *testing.T) {
	b := eqNew(t, ir.ModeTrain)
	x := b.input(4)
	seed := b.fill(1)                                 // d.loss
	w := b.op(ir.OpScale, ir.Attrs{Alpha: 0.5}, seed) // a weighted term
	s := b.op(ir.OpAdd, ir.Attrs{}, w, b.fill(0.25))  // 0.75
	v := b.op(ir.OpBroadcast, ir.Attrs{Shape: ir.Shape{ir.Batch, 4}}, s)
	p := b.param(ir.RoleWeight, 4)
	pv := b.op(ir.OpScale, ir.Attrs{Alpha: 2}, p) // reads a parameter
	b.output(b.op(ir.OpBiasAdd, ir.Attrs{}, b.op(ir.OpMul, ir.Attrs{}, x, v), pv))
	out := eqApply(t, passes.Fold, b.g)
	for _, id := range []int{w, s, v} {
		assert.Equal(t, ir.OpFill, out.ByName(b.g.Nodes[id].Name).Op, b.g.Nodes[id].Name)
	}
	assert.Equal(t, 0.75, out.ByName(b.g.Nodes[v].Name).Attrs.Alpha)
	assert.Equal(t, ir.OpScale, out.ByName(b.g.Nodes[pv].Name).Op)
	eqCheck(t, eqReference(t, b.g, 1, 2), out)
}

// foldable matches a node Fold should have folded: an element-wise op all of whose
// inputs are Fill nodes.
func foldable(g *ir.Graph, n *ir.Node) bool {
	switch n.Op {
	case ir.OpAdd, ir.OpSub, ir.OpMul, ir.OpScale, ir.OpAddScalar, ir.OpIdentity, ir.OpRelu, ir.OpSigmoid, ir.OpTanh:
	default:
		return false
	}
	for _, in := range n.Inputs {
		if g.Nodes[in].Op != ir.OpFill {
			return false
		}
	}
	return true
}

// On AllOps, the weighted loss terms turn the seed gradient into Scales of a Fill,
// which fold; random graphs plant constant subgraphs.
func TestFoldFires(t *testing.T) {
	g := eqLowered(t, eqModels[4].model, ir.ModeTrain)
	require.Positive(t, eqCount(g, foldable))
	out, err := passes.Fold(g)
	require.NoError(t, err)
	assert.Zero(t, eqCount(out, foldable))
	assert.Greater(t, eqCount(out, eqOp(ir.OpFill)), eqCount(g, eqOp(ir.OpFill)))

	fired, graphs := 0, 0
	for _, mode := range []string{ir.ModeInfer, ir.ModeTrain} {
		for i, g := range eqRandomGraphs(t, mode) {
			out, err := passes.Fold(g)
			require.NoError(t, err)
			require.Zero(t, eqCount(out, foldable), "random graph %d (%s)", i, mode)
			graphs++
			if eqCount(g, foldable) > 0 {
				fired++
			}
		}
	}
	assert.Greater(t, fired, graphs/4, "Fold folded nodes in %d of %d random graphs", fired, graphs)
}
