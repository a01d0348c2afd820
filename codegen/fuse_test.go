package codegen

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dlgen/dlgen/ir"
)

// fusionsOf runs findFusions on a whole graph as one program that keeps its outputs
// and loss, and returns each group as the names of its nodes, root last.
func fusionsOf(t *testing.T, g *ir.Graph) map[string][]string {
	t.Helper()
	var order, keep []int
	for _, n := range g.Nodes {
		if n.Op != ir.OpInput && n.Op != ir.OpParam {
			order = append(order, n.ID)
		}
	}
	for _, o := range g.Outputs {
		keep = append(keep, o.ID)
	}
	if g.Loss >= 0 {
		keep = append(keep, g.Loss)
	}
	out := map[string][]string{}
	for root, f := range findFusions(g, order, keep, nil) {
		var names []string
		for _, n := range f.nodes {
			names = append(names, n.Name)
		}
		require.Equal(t, root, f.nodes[len(f.nodes)-1].ID, "the root is the last node")
		out[g.Nodes[root].Name] = names
	}
	return out
}

func TestFusionGroups(t *testing.T) {
	cases := []struct {
		name  string
		build func(b *gb) []int // returns the outputs
		want  map[string][]string
	}{
		{"a dense layer's bias and ReLU fuse; the product does not", func(b *gb) []int {
			return []int{b.add(ir.OpRelu, "fc/relu", "fc", ir.Attrs{}, b.dense("fc", b.input("x", ir.RoleData, "", 4), 4, 3))}
		}, map[string][]string{"fc/relu": {"fc/bias", "fc/relu"}}},
		{"a tree of element-wise ops fuses into its last node", func(b *gb) []int {
			x := b.input("x", ir.RoleData, "", 5)
			s := b.add(ir.OpSigmoid, "s", "", ir.Attrs{}, x)
			e := b.add(ir.OpExp, "e", "", ir.Attrs{}, b.add(ir.OpScale, "sc", "", ir.Attrs{Alpha: 2}, x))
			return []int{b.add(ir.OpMul, "swish", "", ir.Attrs{}, s, b.add(ir.OpAddScalar, "a", "", ir.Attrs{Alpha: 1}, e))}
		}, map[string][]string{"swish": {"sc", "e", "a", "swish"}}}, // the Sigmoid keeps its vector kernel
		{"a value read twice is stored", func(b *gb) []int {
			x := b.input("x", ir.RoleData, "", 5)
			e := b.add(ir.OpExp, "e", "", ir.Attrs{}, b.add(ir.OpSquare, "t", "", ir.Attrs{}, x))
			return []int{b.add(ir.OpAdd, "sum", "", ir.Attrs{}, b.add(ir.OpRelu, "r", "", ir.Attrs{}, e), b.add(ir.OpSquare, "q", "", ir.Attrs{}, e))}
		}, map[string][]string{"sum": {"r", "q", "sum"}, "e": {"t", "e"}}},
		{"an output is stored even with one reader", func(b *gb) []int {
			x := b.input("x", ir.RoleData, "", 5)
			t := b.add(ir.OpTanh, "t", "", ir.Attrs{}, x)
			return []int{t, b.add(ir.OpRelu, "r", "", ir.Attrs{}, t)}
		}, map[string][]string{}},
		{"values of different shapes do not fuse", func(b *gb) []int {
			x := b.input("x", ir.RoleData, "", 2, 3)
			r := b.add(ir.OpReshape, "flat", "", ir.Attrs{Shape: ir.Shape{6}}, b.add(ir.OpExp, "e", "", ir.Attrs{}, x))
			return []int{b.add(ir.OpRelu, "r", "", ir.Attrs{}, r)}
		}, map[string][]string{}},
		{"nodes of different recurrent steps do not fuse", func(b *gb) []int {
			x := b.input("x", ir.RoleData, "", 5)
			a := b.add(ir.OpExp, "lstm/t0/o", "lstm", ir.Attrs{}, x)
			c := b.add(ir.OpSquare, "lstm/t1/c", "lstm", ir.Attrs{}, a)
			return []int{b.add(ir.OpMul, "lstm/t1/h", "lstm", ir.Attrs{}, c, x)}
		}, map[string][]string{"lstm/t1/h": {"lstm/t1/c", "lstm/t1/h"}}},
		{"a batch norm's vector operand is read, not fused", func(b *gb) []int {
			x := b.input("x", ir.RoleData, "", 3, 2, 2)
			s := b.param("s", "bn", ir.RoleWeight, ir.Init{Kind: ir.InitOnes}, 3)
			v := b.add(ir.OpRsqrt, "inv", "bn", ir.Attrs{}, s)
			y := b.add(ir.OpChannelMul, "scaled", "bn", ir.Attrs{}, x, v)
			return []int{b.add(ir.OpRelu, "relu", "", ir.Attrs{}, b.add(ir.OpBiasAdd, "shifted", "bn", ir.Attrs{}, y, s))}
		}, map[string][]string{"relu": {"scaled", "shifted", "relu"}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b := newGB("fuse")
			outs := c.build(b)
			for i, o := range outs {
				b.g.Outputs = append(b.g.Outputs, ir.Output{Name: string(rune('a' + i)), ID: o})
			}
			g, err := b.build()
			require.NoError(t, err)
			assert.Equal(t, c.want, fusionsOf(t, g))
		})
	}
}

// Class labels (int32) are never read by a fused loop.
func TestFusionLeavesIntegerOperandsAlone(t *testing.T) {
	b := newGB("ints")
	x := b.input("x", ir.RoleData, "", 4)
	y := b.input("y", ir.RoleData, ir.Int, 4)
	e := b.add(ir.OpExp, "e", "", ir.Attrs{}, x)
	b.g.Outputs = []ir.Output{{Name: "o", ID: b.add(ir.OpMul, "m", "", ir.Attrs{}, e, y)}}
	g, err := b.build()
	require.NoError(t, err)
	assert.Empty(t, fusionsOf(t, g))
}
