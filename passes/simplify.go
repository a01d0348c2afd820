package passes

import (
	"fmt"
	"math"

	"github.com/dlgen/dlgen/ir"
)

// Simplify applies algebraic identities that remove a node or merge two into one.
// A "0" or "1" operand below is a Fill node of that constant.
//
//	Identity(x)                          → x
//	Scale(x, 1), AddScalar(x, 0)         → x
//	Scale(Scale(x, a), b)                → Scale(x, a·b), or x when a·b = 1
//	Add(x, 0), Add(0, x), Sub(x, 0)      → x
//	BiasAdd(x, 0)                        → x
//	Mul(x, 1), Mul(1, x), Div(x, 1)      → x
//	ChannelMul(x, 1)                     → x
//	Reshape(x) to x's own shape          → x
//	Reshape(Reshape(x))                  → Reshape(x), or x when back to x's shape
//	Concat(x), a concatenation of one    → x
//	Slice(x) of a whole axis             → x
//	Slice(Concat(…, x, …)) of exactly x  → x
//	Slice(MatMul(a, b)) of columns, the product's only use → MatMul(a, b's columns)
//	UpSample2D(x) by 1×1                 → x
//	MaxPool2D(x), AvgPool2D(x) with a 1×1 window, stride 1, no padding → x
//
// The last rule is the one that does work: a product whose columns are only partly
// read computes only those (each is the same dot product either way). Backward of
// an LSTM step multiplies its gate gradients by the whole [W_ih | W_hh] and then
// keeps the h columns, a third of the product wasted on the gradient of an input;
// with the rule it multiplies by W_hh alone (the Slice of the Concat is W_hh).
//
// Nodes are rewritten in topological order, so chains collapse in one walk (a Scale
// of a Scale of a Scale becomes one Scale). A node made unused stays for DCE.
//
// Why it is sound: each identity holds exactly in IEEE arithmetic, with two stated
// exceptions that no test or user can observe through the ops we have. x + 0 turns
// a negative zero into a positive one. Scale(Scale(x, a), b) computes x·(a·b)
// instead of (x·a)·b, which reassociates one product: the result differs by at
// most about two units in the last place, relative (never more, since a product of
// two rounded factors is well conditioned); a·b is only used when it is a normal
// number, so it neither overflows nor loses bits to underflow. Zeros are not
// simplified away further (Mul(x, 0) is not 0 when x is infinite or NaN).
func Simplify(g *ir.Graph) (*ir.Graph, error) {
	r := newRewriter(g)
	r.countUses()
	for id, n := range r.old.Nodes {
		if ir.Ops[n.Op].Kind == ir.Source {
			r.copy(id)
			continue
		}
		if err := simplifyNode(r, id, n, r.inputs(n)); err != nil {
			return nil, fmt.Errorf("simplify: %w", err)
		}
	}
	out, err := r.finish()
	if err != nil {
		return nil, fmt.Errorf("simplify: %w", err)
	}
	return out, nil
}

// simplifyNode maps old node id (n, whose inputs are ins in the new graph) to its
// simplified form: an existing value, a new node, or a copy of itself.
func simplifyNode(r *rewriter, id int, n *ir.Node, ins []int) error {
	node := func(i int) *ir.Node { return r.g.Nodes[i] }
	isConst := func(i int, v float64) bool {
		m := node(i)
		return m.Op == ir.OpFill && m.Attrs.Alpha == v
	}
	a := n.Attrs
	switch n.Op {
	case ir.OpIdentity:
		return r.alias(id, ins[0])
	case ir.OpScale:
		if a.Alpha == 1 {
			return r.alias(id, ins[0])
		}
		if in := node(ins[0]); in.Op == ir.OpScale {
			ab := in.Attrs.Alpha * a.Alpha
			if ab == 1 {
				return r.alias(id, in.Inputs[0])
			}
			if math.Abs(ab) >= 0x1p-1022 && !math.IsInf(ab, 0) {
				_, err := r.replace(id, ir.OpScale, ir.Attrs{Alpha: ab}, in.Inputs[0])
				return err
			}
		}
	case ir.OpAddScalar:
		if a.Alpha == 0 {
			return r.alias(id, ins[0])
		}
	case ir.OpAdd:
		if isConst(ins[1], 0) {
			return r.alias(id, ins[0])
		}
		if isConst(ins[0], 0) {
			return r.alias(id, ins[1])
		}
	case ir.OpSub, ir.OpBiasAdd, ir.OpBiasAddLast:
		if isConst(ins[1], 0) {
			return r.alias(id, ins[0])
		}
	case ir.OpMul:
		if isConst(ins[1], 1) {
			return r.alias(id, ins[0])
		}
		if isConst(ins[0], 1) {
			return r.alias(id, ins[1])
		}
	case ir.OpDiv, ir.OpChannelMul:
		if isConst(ins[1], 1) {
			return r.alias(id, ins[0])
		}
	case ir.OpReshape:
		x := ins[0]
		if in := node(x); in.Op == ir.OpReshape {
			x = in.Inputs[0]
		}
		if node(x).Shape.Equal(n.Shape) {
			return r.alias(id, x)
		}
		if x != ins[0] {
			_, err := r.replace(id, ir.OpReshape, a, x)
			return err
		}
	case ir.OpConcat:
		if len(ins) == 1 {
			return r.alias(id, ins[0])
		}
	case ir.OpSlice:
		if x, ok := existingSlice(r.g, ins[0], a.Axis, a.Start, a.End); ok {
			return r.alias(id, x)
		}
		// A 2-D product of 2-D operands only: a product of a stack of rows, or the Aᵀ·B
		// that contracts over a stack's leading axes (whose B's axis 1 is not its
		// columns), is left alone.
		if in := node(ins[0]); in.Op == ir.OpMatMul && r.old.Nodes[n.Inputs[0]].Op == ir.OpMatMul && len(in.Shape) == 2 &&
			len(node(in.Inputs[1]).Shape) == 2 && a.Axis == 1 && r.uses[n.Inputs[0]] == 1 {
			// b's columns are its rows when it is stored transposed.
			b, axis := in.Inputs[1], 1
			if in.Attrs.TransB {
				axis = 0
			}
			cols, err := r.sliceOf(b, axis, a.Start, a.End, n.Layer)
			if err != nil {
				return err
			}
			_, err = r.replace(id, ir.OpMatMul, in.Attrs, in.Inputs[0], cols)
			return err
		}
	case ir.OpUpSample2D:
		if a.Scale[0] == 1 && a.Scale[1] == 1 {
			return r.alias(id, ins[0])
		}
	case ir.OpPad2D:
		if a.Pads[0] == 0 && a.Pads[1] == 0 && a.Pads[2] == 0 && a.Pads[3] == 0 {
			return r.alias(id, ins[0])
		}
	case ir.OpMaxPool2D, ir.OpAvgPool2D:
		if a.Kernel[0] == 1 && a.Kernel[1] == 1 && a.Strides[0] == 1 && a.Strides[1] == 1 &&
			a.Pads[0] == 0 && a.Pads[1] == 0 && a.Pads[2] == 0 && a.Pads[3] == 0 {
			return r.alias(id, ins[0])
		}
	}
	r.copy(id)
	return nil
}

// existingSlice returns a value of g that is x[start:end] along axis without a
// Slice: x itself when the range is the whole axis, or the input of the Concat x is
// that covers exactly the range.
func existingSlice(g *ir.Graph, x, axis, start, end int) (int, bool) {
	n := g.Nodes[x]
	if start == 0 && end == n.Shape[axis] {
		return x, true
	}
	if n.Op != ir.OpConcat || n.Attrs.Axis != axis {
		return -1, false
	}
	at := 0
	for _, in := range n.Inputs {
		size := g.Nodes[in].Shape[axis]
		if at == start && at+size == end {
			return in, true
		}
		at += size
	}
	return -1, false
}

// sliceOf is x[start:end] along axis, a value of the new graph: an existing one
// (existingSlice) or a new Slice.
func (r *rewriter) sliceOf(x, axis, start, end int, layer string) (int, error) {
	if v, ok := existingSlice(r.g, x, axis, start, end); ok {
		return v, nil
	}
	return r.add(ir.OpSlice, r.g.Nodes[x].Name+"/cols", layer, ir.Attrs{Axis: axis, Start: start, End: end}, x)
}
