package passes_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dlgen/dlgen/ir"
	"github.com/dlgen/dlgen/passes"
)

func TestCSE(t *testing.T) {
	cases := []struct {
		name  string
		build func(b *eqBuilder)
		// removed is how many nodes CSE merges away; same lists pairs of outputs
		// that must end up as one node.
		removed int
		same    [][2]int
	}{
		{"merges two identical dense layers and everything after them", func(b *eqBuilder) {
			x, w, bias := b.input(3), b.param(ir.RoleWeight, 2, 3), b.param(ir.RoleWeight, 2)
			y1 := b.op(ir.OpRelu, ir.Attrs{}, b.op(ir.OpBiasAdd, ir.Attrs{}, b.op(ir.OpMatMul, ir.Attrs{TransB: true}, x, w), bias))
			y2 := b.op(ir.OpRelu, ir.Attrs{}, b.op(ir.OpBiasAdd, ir.Attrs{}, b.op(ir.OpMatMul, ir.Attrs{TransB: true}, x, w), bias))
			b.output(y1)
			b.output(y2)
		}, 3, [][2]int{{0, 1}}},
		{"merges Add and Mul with their operands swapped", func(b *eqBuilder) {
			x, y := b.input(4), b.input(4)
			b.output(b.op(ir.OpAdd, ir.Attrs{}, x, y))
			b.output(b.op(ir.OpAdd, ir.Attrs{}, y, x))
			b.output(b.op(ir.OpMul, ir.Attrs{}, x, y))
			b.output(b.op(ir.OpMul, ir.Attrs{}, y, x))
		}, 2, [][2]int{{0, 1}, {2, 3}}},
		{"keeps Sub and Div with their operands swapped apart", func(b *eqBuilder) {
			x, y := b.input(4), b.input(4)
			b.output(b.op(ir.OpSub, ir.Attrs{}, x, y))
			b.output(b.op(ir.OpSub, ir.Attrs{}, y, x))
			b.output(b.op(ir.OpDiv, ir.Attrs{}, x, b.op(ir.OpExp, ir.Attrs{}, y)))
			b.output(b.op(ir.OpDiv, ir.Attrs{}, b.op(ir.OpExp, ir.Attrs{}, y), x))
		}, 1, nil}, // only the second Exp(y)
		{"keeps nodes whose attributes differ in any field apart", func(b *eqBuilder) {
			x := b.input(2, 5, 5)
			b.output(b.op(ir.OpScale, ir.Attrs{Alpha: 2}, x))
			b.output(b.op(ir.OpScale, ir.Attrs{Alpha: 3}, x))
			b.output(b.op(ir.OpMaxPool2D, ir.Attrs{Kernel: []int{2, 2}, Strides: []int{1, 1}, Pads: []int{0, 0, 0, 0}}, x))
			b.output(b.op(ir.OpMaxPool2D, ir.Attrs{Kernel: []int{2, 2}, Strides: []int{1, 1}, Pads: []int{0, 0, 1, 0}}, x))
			b.output(b.op(ir.OpAvgPool2D, ir.Attrs{Kernel: []int{2, 2}, Strides: []int{1, 1}, Pads: []int{1, 1, 1, 1}}, x))
			b.output(b.op(ir.OpAvgPool2D, ir.Attrs{Kernel: []int{2, 2}, Strides: []int{1, 1}, Pads: []int{1, 1, 1, 1}, Exclude: true}, x))
		}, 0, nil},
		{"keeps parameters and inputs with equal attributes apart", func(b *eqBuilder) {
			x1, x2 := b.input(3), b.input(3)
			w1, w2 := b.param(ir.RoleWeight, 2, 3), b.param(ir.RoleWeight, 2, 3)
			b.output(b.op(ir.OpMatMul, ir.Attrs{TransB: true}, x1, w1))
			b.output(b.op(ir.OpMatMul, ir.Attrs{TransB: true}, x1, w2))
			b.output(b.op(ir.OpMatMul, ir.Attrs{TransB: true}, x2, w1))
		}, 0, nil},
		{"merges constants and dropout masks of equal attributes, not of another seed", func(b *eqBuilder) {
			x := b.input(6)
			m1 := b.op(ir.OpDropoutMask, ir.Attrs{Shape: ir.Shape{ir.Batch, 6}, Rate: 0.5, Seed: 9})
			m2 := b.op(ir.OpDropoutMask, ir.Attrs{Shape: ir.Shape{ir.Batch, 6}, Rate: 0.5, Seed: 9})
			m3 := b.op(ir.OpDropoutMask, ir.Attrs{Shape: ir.Shape{ir.Batch, 6}, Rate: 0.5, Seed: 10})
			k1 := b.op(ir.OpKeepMask, ir.Attrs{Shape: ir.Shape{ir.Batch, 6}, Rate: 0.5, Seed: 9})
			k2 := b.op(ir.OpKeepMask, ir.Attrs{Shape: ir.Shape{ir.Batch, 6}, Rate: 0.5, Seed: 9})
			r1 := b.op(ir.OpRandomNormal, ir.Attrs{Shape: ir.Shape{ir.Batch, 6}, Alpha: 0.5, Seed: 9})
			r2 := b.op(ir.OpRandomNormal, ir.Attrs{Shape: ir.Shape{ir.Batch, 6}, Alpha: 0.5, Seed: 9})
			f1, f2 := b.fill(2, ir.Batch, 6), b.fill(2, ir.Batch, 6)
			for _, m := range []int{m1, m2, m3, k1, k2, r1, r2, f1, f2} {
				b.output(b.op(ir.OpMul, ir.Attrs{}, x, m))
			}
		}, 8, [][2]int{{0, 1}, {3, 4}, {5, 6}, {7, 8}}},
		{"never merges running updates, nor reads of the state they update", func(b *eqBuilder) {
			x := b.input(3, 2, 2)
			state := b.param(ir.RoleState, 3)
			mean := b.op(ir.OpChannelMean, ir.Attrs{}, x)
			before := b.op(ir.OpScale, ir.Attrs{Alpha: 2}, state)
			b.op(ir.OpRunningUpdate, ir.Attrs{Momentum: 0.1}, state, mean, x)
			b.op(ir.OpRunningUpdate, ir.Attrs{Momentum: 0.1}, state, mean, x)
			after := b.op(ir.OpScale, ir.Attrs{Alpha: 2}, state)
			b.output(b.op(ir.OpBiasAdd, ir.Attrs{}, x, before))
			b.output(b.op(ir.OpBiasAdd, ir.Attrs{}, x, after))
		}, 0, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b := eqNew(t, ir.ModeTrain)
			tc.build(b)
			out := eqApply(t, passes.CSE, b.g)
			assert.Equal(t, len(b.g.Nodes)-tc.removed, len(out.Nodes))
			for _, s := range tc.same {
				assert.Equal(t, out.Outputs[s[0]].ID, out.Outputs[s[1]].ID, "outputs %d and %d", s[0], s[1])
			}
			// The states after the run are compared too: each update happens twice.
			eqCheck(t, eqReference(t, b.g, 5, 3), out)
		})
	}
}

// CSE does its work in one walk: merging a pair makes their users equal, and those
// are merged in the same walk.
func TestCSEReachesItsFixpointInOneRun(t *testing.T) {
	for _, mode := range []string{ir.ModeInfer, ir.ModeTrain} {
		for i, g := range eqRandomGraphs(t, mode) {
			once, err := passes.CSE(g)
			require.NoError(t, err)
			twice, err := passes.CSE(once)
			require.NoError(t, err)
			require.Equal(t, len(once.Nodes), len(twice.Nodes), "random graph %d (%s)", i, mode)
		}
	}
}

// On the models, CSE finds what the recurrent unrolling repeats (the zero initial
// states of each direction, the per-step input slices of a bidirectional layer read
// by both directions); on random graphs, the duplicates the generator plants.
func TestCSEFires(t *testing.T) {
	for _, mc := range []struct {
		name string
		g    *ir.Graph
	}{
		{"allops for inference", eqLowered(t, eqModels[4].model, ir.ModeInfer)},
		{"allops for training", eqLowered(t, eqModels[4].model, ir.ModeTrain)},
	} {
		out, err := passes.CSE(mc.g)
		require.NoError(t, err)
		assert.Less(t, len(out.Nodes), len(mc.g.Nodes)-10, mc.name)
	}
	fired, graphs := 0, 0
	for _, mode := range []string{ir.ModeInfer, ir.ModeTrain} {
		for _, g := range eqRandomGraphs(t, mode) {
			out, err := passes.CSE(g)
			require.NoError(t, err)
			graphs++
			if len(out.Nodes) < len(g.Nodes) {
				fired++
			}
		}
	}
	assert.Greater(t, fired, graphs/2, "CSE merged nodes in %d of %d random graphs", fired, graphs)
}
