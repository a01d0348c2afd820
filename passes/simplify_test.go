package passes_test

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dlgen/dlgen/ir"
	"github.com/dlgen/dlgen/passes"
)

func TestSimplify(t *testing.T) {
	window := func(k, s int, pads ...int) ir.Attrs {
		return ir.Attrs{Kernel: []int{k, k}, Strides: []int{s, s}, Pads: pads}
	}
	cases := []struct {
		name string
		// build returns the node to output and the node it must simplify to (-1:
		// it must stay as it is).
		build func(b *eqBuilder, x int) (int, int)
		// op and alpha, when op is set, say what the output must be instead.
		op    string
		alpha float64
	}{
		{"Identity(x) is x", func(b *eqBuilder, x int) (int, int) {
			return b.op(ir.OpIdentity, ir.Attrs{}, x), x
		}, "", 0},
		{"Scale(x, 1) is x", func(b *eqBuilder, x int) (int, int) {
			return b.op(ir.OpScale, ir.Attrs{Alpha: 1}, x), x
		}, "", 0},
		{"AddScalar(x, 0) is x", func(b *eqBuilder, x int) (int, int) {
			return b.op(ir.OpAddScalar, ir.Attrs{}, x), x
		}, "", 0},
		{"Add(x, 0) and Add(0, x) are x", func(b *eqBuilder, x int) (int, int) {
			z := b.fill(0, ir.Batch, 2, 4, 4)
			return b.op(ir.OpAdd, ir.Attrs{}, z, b.op(ir.OpAdd, ir.Attrs{}, x, z)), x
		}, "", 0},
		{"Sub(x, 0) is x", func(b *eqBuilder, x int) (int, int) {
			return b.op(ir.OpSub, ir.Attrs{}, x, b.fill(0, ir.Batch, 2, 4, 4)), x
		}, "", 0},
		{"Mul(x, 1), Mul(1, x) and Div(x, 1) are x", func(b *eqBuilder, x int) (int, int) {
			one := b.fill(1, ir.Batch, 2, 4, 4)
			return b.op(ir.OpDiv, ir.Attrs{}, b.op(ir.OpMul, ir.Attrs{}, one, b.op(ir.OpMul, ir.Attrs{}, x, one)), one), x
		}, "", 0},
		{"BiasAdd(x, 0) and ChannelMul(x, 1) are x", func(b *eqBuilder, x int) (int, int) {
			return b.op(ir.OpChannelMul, ir.Attrs{}, b.op(ir.OpBiasAdd, ir.Attrs{}, x, b.fill(0, 2)), b.fill(1, 2)), x
		}, "", 0},
		{"Scale(Scale(Scale(x, 2), 3), 0.5) is Scale(x, 3)", func(b *eqBuilder, x int) (int, int) {
			return b.op(ir.OpScale, ir.Attrs{Alpha: 0.5}, b.op(ir.OpScale, ir.Attrs{Alpha: 3}, b.op(ir.OpScale, ir.Attrs{Alpha: 2}, x))), x
		}, ir.OpScale, 3},
		{"Scale(Scale(x, 4), 0.25) is x", func(b *eqBuilder, x int) (int, int) {
			return b.op(ir.OpScale, ir.Attrs{Alpha: 0.25}, b.op(ir.OpScale, ir.Attrs{Alpha: 4}, x)), x
		}, "", 0},
		{"Reshape(x) to x's shape is x", func(b *eqBuilder, x int) (int, int) {
			return b.op(ir.OpReshape, ir.Attrs{Shape: ir.Shape{2, 4, 4}}, x), x
		}, "", 0},
		{"Reshape(Reshape(x)) back to x's shape is x", func(b *eqBuilder, x int) (int, int) {
			return b.op(ir.OpReshape, ir.Attrs{Shape: ir.Shape{2, 4, 4}}, b.op(ir.OpReshape, ir.Attrs{Shape: ir.Shape{32}}, x)), x
		}, "", 0},
		{"Reshape(Reshape(Reshape(x))) is one Reshape of x", func(b *eqBuilder, x int) (int, int) {
			r := b.op(ir.OpReshape, ir.Attrs{Shape: ir.Shape{32}}, x)
			r = b.op(ir.OpReshape, ir.Attrs{Shape: ir.Shape{8, 4}}, r)
			return b.op(ir.OpReshape, ir.Attrs{Shape: ir.Shape{2, 16}}, r), x
		}, ir.OpReshape, 0},
		{"a Concat of one input is x", func(b *eqBuilder, x int) (int, int) {
			return b.op(ir.OpConcat, ir.Attrs{Axis: 1}, x), x
		}, "", 0},
		{"a Slice of a whole axis is x", func(b *eqBuilder, x int) (int, int) {
			return b.op(ir.OpSlice, ir.Attrs{Axis: 2, Start: 0, End: 4}, x), x
		}, "", 0},
		{"UpSample2D by 1×1 is x", func(b *eqBuilder, x int) (int, int) {
			return b.op(ir.OpUpSample2D, ir.Attrs{Scale: []int{1, 1}}, x), x
		}, "", 0},
		{"Pad2D by no rows and columns is x", func(b *eqBuilder, x int) (int, int) {
			return b.op(ir.OpPad2D, ir.Attrs{Pads: []int{0, 0, 0, 0}}, x), x
		}, "", 0},
		{"pooling over 1×1 windows is x", func(b *eqBuilder, x int) (int, int) {
			return b.op(ir.OpAvgPool2D, window(1, 1, 0, 0, 0, 0), b.op(ir.OpMaxPool2D, window(1, 1, 0, 0, 0, 0), x)), x
		}, "", 0},

		{"Scale(x, 2) stays", func(b *eqBuilder, x int) (int, int) {
			return b.op(ir.OpScale, ir.Attrs{Alpha: 2}, x), -1
		}, "", 0},
		{"Scale(Scale(x, a), b) stays when a·b underflows", func(b *eqBuilder, x int) (int, int) {
			return b.op(ir.OpScale, ir.Attrs{Alpha: 1e-200}, b.op(ir.OpScale, ir.Attrs{Alpha: 1e-200}, x)), -1
		}, "", 0},
		{"Mul(x, 2) and Mul(x, 0) stay", func(b *eqBuilder, x int) (int, int) {
			return b.op(ir.OpMul, ir.Attrs{}, b.op(ir.OpMul, ir.Attrs{}, x, b.fill(2, ir.Batch, 2, 4, 4)), b.fill(0, ir.Batch, 2, 4, 4)), -1
		}, "", 0},
		{"Add(x, 1) stays", func(b *eqBuilder, x int) (int, int) {
			return b.op(ir.OpAdd, ir.Attrs{}, x, b.fill(1, ir.Batch, 2, 4, 4)), -1
		}, "", 0},
		{"Sub(0, x) stays", func(b *eqBuilder, x int) (int, int) {
			return b.op(ir.OpSub, ir.Attrs{}, b.fill(0, ir.Batch, 2, 4, 4), x), -1
		}, "", 0},
		{"a Slice of part of an axis stays", func(b *eqBuilder, x int) (int, int) {
			return b.op(ir.OpSlice, ir.Attrs{Axis: 2, Start: 1, End: 4}, x), -1
		}, "", 0},
		{"Pad2D by one column stays", func(b *eqBuilder, x int) (int, int) {
			return b.op(ir.OpPad2D, ir.Attrs{Pads: []int{0, 0, 0, 1}}, x), -1
		}, "", 0},
		{"pooling with stride 2 stays", func(b *eqBuilder, x int) (int, int) {
			return b.op(ir.OpMaxPool2D, window(1, 2, 0, 0, 0, 0), x), -1
		}, "", 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b := eqNew(t, ir.ModeInfer)
			x := b.op(ir.OpTanh, ir.Attrs{}, b.input(2, 4, 4))
			y, want := tc.build(b, x)
			b.output(y)
			b.output(b.op(ir.OpSigmoid, ir.Attrs{}, y)) // a user, whose input is remapped
			out := eqApply(t, passes.Simplify, b.g)
			got := out.Nodes[out.Outputs[0].ID]
			assert.Equal(t, out.Outputs[0].ID, out.Nodes[out.Outputs[1].ID].Inputs[0])
			switch {
			case want < 0:
				assert.Equal(t, len(b.g.Nodes), len(out.Nodes), "nothing may change")
			case tc.op != "":
				assert.Equal(t, tc.op, got.Op)
				assert.Equal(t, b.g.Nodes[x].Name, out.Nodes[got.Inputs[0]].Name)
				if tc.op == ir.OpScale {
					assert.Equal(t, tc.alpha, got.Attrs.Alpha)
				}
				assert.Equal(t, b.g.Nodes[y].Name, got.Name, "the merged node keeps the outer node's name")
			default:
				assert.Equal(t, b.g.Nodes[x].Name, got.Name)
			}
			eqCheck(t, eqReference(t, b.g, 2, 3), out)
		})
	}
}

// simplifiable matches the patterns Simplify removes.
func simplifiable(g *ir.Graph, n *ir.Node) bool {
	isConst := func(i int, v float64) bool { return g.Nodes[i].Op == ir.OpFill && g.Nodes[i].Attrs.Alpha == v }
	switch n.Op {
	case ir.OpIdentity:
		return true
	case ir.OpScale:
		in := g.Nodes[n.Inputs[0]]
		ab := math.Abs(n.Attrs.Alpha * in.Attrs.Alpha)
		return n.Attrs.Alpha == 1 || in.Op == ir.OpScale && ab >= 0x1p-1022 && !math.IsInf(ab, 0)
	case ir.OpAddScalar:
		return n.Attrs.Alpha == 0
	case ir.OpAdd:
		return isConst(n.Inputs[0], 0) || isConst(n.Inputs[1], 0)
	case ir.OpMul:
		return isConst(n.Inputs[0], 1) || isConst(n.Inputs[1], 1)
	case ir.OpSub, ir.OpBiasAdd:
		return isConst(n.Inputs[1], 0)
	case ir.OpDiv, ir.OpChannelMul:
		return isConst(n.Inputs[1], 1)
	case ir.OpReshape:
		return g.Nodes[n.Inputs[0]].Op == ir.OpReshape || g.Nodes[n.Inputs[0]].Shape.Equal(n.Shape)
	case ir.OpSlice:
		if c := g.Nodes[n.Inputs[0]]; c.Op == ir.OpConcat && c.Attrs.Axis == n.Attrs.Axis {
			at := 0
			for _, x := range c.Inputs {
				if at == n.Attrs.Start && at+g.Nodes[x].Shape[n.Attrs.Axis] == n.Attrs.End {
					return true
				}
				at += g.Nodes[x].Shape[n.Attrs.Axis]
			}
		}
		return n.Shape.Equal(g.Nodes[n.Inputs[0]].Shape)
	case ir.OpConcat:
		return len(n.Inputs) == 1
	}
	return false
}

// On AllOps, Simplify removes the linear activation layer (an Identity); on random
// graphs, the no-ops and chains the generator plants. After it, none is left.
func TestSimplifyFires(t *testing.T) {
	g := eqLowered(t, eqModels[4].model, ir.ModeInfer)
	require.Positive(t, eqCount(g, simplifiable))
	out, err := passes.Simplify(g)
	require.NoError(t, err)
	assert.Zero(t, eqCount(out, simplifiable))
	assert.Less(t, len(out.Nodes), len(g.Nodes))

	fired, graphs := 0, 0
	for _, mode := range []string{ir.ModeInfer, ir.ModeTrain} {
		for i, g := range eqRandomGraphs(t, mode) {
			out, err := passes.Simplify(g)
			require.NoError(t, err)
			require.Zero(t, eqCount(out, simplifiable), "random graph %d (%s)", i, mode)
			graphs++
			if eqCount(g, simplifiable) > 0 {
				fired++
			}
			require.LessOrEqual(t, len(out.Nodes), len(g.Nodes))
		}
	}
	assert.Greater(t, fired, graphs/2, "Simplify fired in %d of %d random graphs", fired, graphs)
}

// TestSimplifyNarrowsProducts checks the rules that make a product compute only the
// columns that are read: a Slice of a Concat that is exactly one input is that input,
// and a Slice of the columns of a product that nothing else reads is a product by the
// columns of its right operand (its rows when stored transposed). Every result is
// compared with the interpreter's on the graph as built.
func TestSimplifyNarrowsProducts(t *testing.T) {
	type result struct {
		op     string
		inputs []string // the names of the output node's inputs
	}
	cases := []struct {
		name  string
		build func(b *eqBuilder, a int) (int, result)
	}{
		{"a Slice of a Concat that is one input is that input", func(b *eqBuilder, a int) (int, result) {
			c := b.op(ir.OpConcat, ir.Attrs{Axis: 1}, b.op(ir.OpSigmoid, ir.Attrs{}, a), a)
			s := b.op(ir.OpSlice, ir.Attrs{Axis: 1, Start: 7, End: 14}, c)
			return b.op(ir.OpExp, ir.Attrs{}, s), result{ir.OpExp, []string{b.g.Nodes[a].Name}}
		}},
		{"the h columns of x·[W_x | W_h] are x·W_h", func(b *eqBuilder, a int) (int, result) {
			wx, wh := b.param(ir.RoleWeight, 7, 4), b.param(ir.RoleWeight, 7, 3)
			p := b.op(ir.OpMatMul, ir.Attrs{}, a, b.op(ir.OpConcat, ir.Attrs{Axis: 1}, wx, wh))
			return b.op(ir.OpSlice, ir.Attrs{Axis: 1, Start: 4, End: 7}, p), result{ir.OpMatMul, []string{b.g.Nodes[a].Name, b.g.Nodes[wh].Name}}
		}},
		{"columns 2…4 of x·Wᵀ are x·W[2:5]ᵀ", func(b *eqBuilder, a int) (int, result) {
			w := b.param(ir.RoleWeight, 6, 7)
			p := b.op(ir.OpMatMul, ir.Attrs{TransB: true}, a, w)
			return b.op(ir.OpSlice, ir.Attrs{Axis: 1, Start: 2, End: 5}, p), result{ir.OpMatMul, []string{b.g.Nodes[a].Name, b.g.Nodes[w].Name + "/cols"}}
		}},
		{"a product read twice stays whole", func(b *eqBuilder, a int) (int, result) {
			p := b.op(ir.OpMatMul, ir.Attrs{}, a, b.param(ir.RoleWeight, 7, 6))
			s := b.op(ir.OpSlice, ir.Attrs{Axis: 1, Start: 1, End: 3}, p)
			b.output(p)
			return s, result{ir.OpSlice, []string{b.g.Nodes[p].Name}}
		}},
		{"the columns of a weight gradient over (N, T) stay: the right operand's axis 1 is the steps", func(b *eqBuilder, a int) (int, result) {
			x, dy := b.op(ir.OpTanh, ir.Attrs{}, b.input(4, 7)), b.op(ir.OpTanh, ir.Attrs{}, b.input(4, 5))
			p := b.op(ir.OpMatMul, ir.Attrs{TransA: true}, x, dy) // (7, 5), over batch and steps
			return b.op(ir.OpSlice, ir.Attrs{Axis: 1, Start: 1, End: 3}, p), result{ir.OpSlice, []string{b.g.Nodes[p].Name}}
		}},
		{"a Slice of the units of a Dense on a sequence stays", func(b *eqBuilder, a int) (int, result) {
			p := b.op(ir.OpMatMul, ir.Attrs{TransB: true}, b.op(ir.OpTanh, ir.Attrs{}, b.input(4, 7)), b.param(ir.RoleWeight, 6, 7))
			return b.op(ir.OpSlice, ir.Attrs{Axis: 2, Start: 1, End: 3}, p), result{ir.OpSlice, []string{b.g.Nodes[p].Name}}
		}},
		{"a Slice of rows stays", func(b *eqBuilder, a int) (int, result) {
			p := b.op(ir.OpMatMul, ir.Attrs{TransA: true}, a, b.op(ir.OpTanh, ir.Attrs{}, b.input(5)))
			return b.op(ir.OpSlice, ir.Attrs{Axis: 0, Start: 1, End: 3}, p), result{ir.OpSlice, []string{b.g.Nodes[p].Name}}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b := eqNew(t, ir.ModeInfer)
			a := b.op(ir.OpTanh, ir.Attrs{}, b.input(7))
			y, want := tc.build(b, a)
			b.output(y)
			out := eqApply(t, passes.Simplify, b.g)
			got := out.Nodes[out.Outputs[len(out.Outputs)-1].ID]
			assert.Equal(t, want.op, got.Op)
			var names []string
			for _, in := range got.Inputs {
				names = append(names, out.Nodes[in].Name)
			}
			assert.Equal(t, want.inputs, names)
			eqCheck(t, eqReference(t, b.g, 2, 3), out)
		})
	}
}
