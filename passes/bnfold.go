package passes

import (
	"fmt"

	"github.com/dlgen/dlgen/ir"
)

// BNFold folds inference batch norm into the convolution or dense layer before it.
// Lowered for inference, BatchNorm is a per-channel affine map whose factors depend
// only on parameters (lower.go):
//
//	z = ChannelMul(y, s) + t,  s = γ/sqrt(running_var+ε),  t = β - running_mean·s
//
// and when y is a linear layer, y = op(x, W) + b with op one of Conv2D,
// Conv2DTranspose or MatMul (bias optional), BNFold rewrites
//
//	ChannelMul(op(x, W) [+ b], s) [+ t]   →   op(x, W') + b'
//	W' = W with output channel o scaled by s[o],   b' = b·s + t
//
// (the trailing BiasAdd is optional too, so a lone ChannelMul after a layer folds
// as well). A Reshape between the layer (or its bias) and the ChannelMul that keeps
// the batch and the channel axis, such as the (N, C, 1, L) → (N, C, L) view a 1-D
// convolution ends with (nn/layers1d.go), folds too: each channel's values stay in
// that channel, so Reshape(y)·s = Reshape(y·s), and the fold builds
// Reshape(op(x, W') + b'). This removes two passes over the activations per batch norm, which is
// why onnxruntime, TensorRT and the TensorFlow Lite converter do it for inference.
//
// Why it is sound: output channel o of the layer is linear in W's channel-o slice
// alone, op(x, W)[n,o,…] = Σ W[o,…]·x[…], so s[o]·op(x, W)[n,o,…] = op(x, W')[n,o,…],
// and (y + b)·s + t = y·s + (b·s + t) per channel. W's output channels are axis 0
// for Conv2D (OIHW) and for MatMul with trans_b (W is (out, in), PyTorch's Linear),
// axis 1 for Conv2DTranspose ((in, out, kh, kw)) and for MatMul without trans_b
// ((in, out)). ChannelMul scales axis 1, so the axis-0 cases view W as (1, out, rest)
// with Reshape, scale, and view it back; no new op is needed. The rewritten values
// agree with the original up to float64 rounding (the products are reassociated).
//
// Only exact matches fold: s, t, W and b must be computed from parameters (and
// constants) alone, x must be batched activations, and the layer output and its bias
// sum must have no other reader (and be no output, loss or gradient), since their
// values disappear. A dead reader counts, so DCE should run first; BNFold drops the
// nodes it folds and leaves no dead nodes of its own. A batch norm after an
// activation (conv → ReLU → BN) does not fold: it is not a linear map of the layer's
// weights.
//
// Contract with code generation: W' and b' are expressions of parameters only
// (Reshape, ChannelMul, Mul, Add over the weights and batch-norm state). Generated
// inference code must evaluate such parameter-only subgraphs once, when weights are
// loaded or set, not in every Predict call; the interpreter simply evaluates them
// every run, which gives the same values.
//
// BNFold is for inference graphs only: in training, batch norm uses the batch's
// statistics (not parameters), and the backward graph reads the values this pass
// would remove. It refuses graphs lowered for training or holding gradients.
func BNFold(g *ir.Graph) (*ir.Graph, error) {
	if g.Mode == ir.ModeTrain || len(g.Grads) > 0 {
		return nil, fmt.Errorf("bnfold: graph %q is a training graph; batch-norm folding is for inference only", g.Name)
	}
	// Each round folds every match of the graph it starts from; a layer followed
	// by two affine maps folds the second one in the next round.
	for {
		out, folded, err := bnFoldOnce(g)
		if err != nil {
			return nil, fmt.Errorf("bnfold: %w", err)
		}
		if folded == 0 {
			return out, nil
		}
		g = out
	}
}

// bnMatch is one foldable chain, by old node IDs; bias and shift are -1 when absent.
type bnMatch struct {
	layer    int // Conv2D, Conv2DTranspose or MatMul
	biasAdd  int // BiasAdd(layer, bias), or -1
	bias     int
	view     int // Reshape(layer or biasAdd) keeping axes 0 and 1, or -1
	mul      int // ChannelMul(layer, biasAdd or view, scale)
	scale    int
	shiftAdd int // BiasAdd(mul, shift), or -1
	shift    int
}

func bnFoldOnce(g *ir.Graph) (*ir.Graph, int, error) {
	matches := findBNMatches(g)
	r := newRewriter(g)
	// inside: nodes of a match that disappear; at: the last node of each match,
	// where the folded layer is built.
	inside := map[int]bool{}
	at := map[int]*bnMatch{}
	for i := range matches {
		m := &matches[i]
		last := m.mul
		if m.shiftAdd >= 0 {
			last = m.shiftAdd
		}
		inside[m.layer], inside[m.mul] = true, true
		if m.biasAdd >= 0 {
			inside[m.biasAdd] = true
		}
		if m.view >= 0 {
			inside[m.view] = true
		}
		at[last] = m
	}
	// The structure of the old graph is read below, before copy moves its nodes.
	layers := make(map[int]ir.Node, len(matches))
	for _, m := range matches {
		layers[m.layer] = *r.old.Nodes[m.layer]
	}
	for id := range r.old.Nodes {
		m, last := at[id]
		switch {
		case last:
			if err := foldBN(r, m, layers[m.layer]); err != nil {
				return nil, 0, err
			}
		case inside[id]:
			// Dropped: its value is folded into the node built at the match's end.
		default:
			r.copy(id)
		}
	}
	out, err := r.finish()
	return out, len(matches), err
}

// findBNMatches returns the foldable chains of g, at most one per layer node.
func findBNMatches(g *ir.Graph) []bnMatch {
	users := g.Users()
	root := make([]bool, len(g.Nodes))
	for _, id := range Roots(g) {
		root[id] = true
	}
	// single: id's value is read once, by one node, and is not a result itself.
	single := func(id int) bool { return len(users[id]) == 1 && !root[id] }
	paramOnly := paramOnlyNodes(g)

	var out []bnMatch
	for _, n := range g.Nodes {
		if n.Op != ir.OpChannelMul || !paramOnly[n.Inputs[1]] || !g.Nodes[n.Inputs[0]].Shape.Batched() {
			continue
		}
		m := bnMatch{biasAdd: -1, bias: -1, view: -1, mul: n.ID, scale: n.Inputs[1], shiftAdd: -1, shift: -1}
		y := g.Nodes[n.Inputs[0]]
		if y.Op == ir.OpReshape && single(y.ID) && keepsChannels(y.Shape, g.Nodes[y.Inputs[0]].Shape) {
			m.view = y.ID
			y = g.Nodes[y.Inputs[0]]
		}
		if y.Op == ir.OpBiasAdd && paramOnly[y.Inputs[1]] && single(y.ID) {
			m.biasAdd, m.bias = y.ID, y.Inputs[1]
			y = g.Nodes[y.Inputs[0]]
		}
		if !foldableLayer(g, y, paramOnly) || !single(y.ID) {
			continue
		}
		m.layer = y.ID
		if single(n.ID) {
			if u := g.Nodes[users[n.ID][0]]; u.Op == ir.OpBiasAdd && u.Inputs[0] == n.ID && paramOnly[u.Inputs[1]] {
				m.shiftAdd, m.shift = u.ID, u.Inputs[1]
			}
		}
		out = append(out, m)
	}
	return out
}

// keepsChannels reports whether a Reshape from in to out keeps the batch and the
// channel axis (axis 1), so that every channel's values stay in that channel.
func keepsChannels(out, in ir.Shape) bool {
	return out.Batched() && in.Batched() && out.Rank() >= 2 && in.Rank() >= 2 && out[1] == in[1]
}

// foldableLayer reports whether y is a layer whose output channels are linear in
// slices of a parameter-only weight: Conv2D or Conv2DTranspose of activations, or
// MatMul of a batched (N, in) matrix by a weight. A MatMul on the last axis of (N,
// T, in) is not: its outputs are on the last axis, while batch norm's channels are
// axis 1 (the steps), so its scale is not one per column of the weight.
func foldableLayer(g *ir.Graph, y *ir.Node, paramOnly []bool) bool {
	switch y.Op {
	case ir.OpConv2D, ir.OpConv2DTranspose:
		return g.Nodes[y.Inputs[0]].Shape.Batched() && paramOnly[y.Inputs[1]]
	case ir.OpMatMul:
		return !y.Attrs.TransA && y.Shape.Rank() == 2 && g.Nodes[y.Inputs[0]].Shape.Batched() && paramOnly[y.Inputs[1]]
	}
	return false
}

// ParamOnly marks the unbatched nodes computed from parameters and constants alone
// (the unbatched parameters and Fills too): values generated code can compute once
// when the weights change rather than in every call.
func ParamOnly(g *ir.Graph) []bool { return paramOnlyNodes(g) }

func paramOnlyNodes(g *ir.Graph) []bool {
	p := make([]bool, len(g.Nodes))
	for _, n := range g.Nodes {
		switch {
		case n.Op == ir.OpParam || n.Op == ir.OpFill:
			p[n.ID] = !n.Shape.Batched()
		case ir.Ops[n.Op].Kind == ir.Source || ir.Ops[n.Op].Effect || len(n.Inputs) == 0:
		default:
			// A batched result (a broadcast of a parameter over the batch, with Mean
			// dividing by it) depends on the batch size, not on parameters alone.
			p[n.ID] = !n.Shape.Batched()
			for _, in := range n.Inputs {
				p[n.ID] = p[n.ID] && p[in]
			}
		}
	}
	return p
}

// foldBN builds op(x, W') + b' for match m in place of its last node. layer is a
// copy of the layer node as it was in the old graph.
func foldBN(r *rewriter, m *bnMatch, layer ir.Node) error {
	x, w, s := r.remap[layer.Inputs[0]], r.remap[layer.Inputs[1]], r.remap[m.scale]
	wShape := r.g.Nodes[w].Shape
	base := layer.Name
	var err error
	step := func(op, suffix string, attrs ir.Attrs, inputs ...int) int {
		if err != nil {
			return -1
		}
		var id int
		id, err = r.add(op, base+"/"+suffix, layer.Layer, attrs, inputs...)
		return id
	}

	// W' = W scaled along its output-channel axis.
	outAxis0 := layer.Op == ir.OpConv2D || (layer.Op == ir.OpMatMul && layer.Attrs.TransB)
	var w2 int
	if outAxis0 {
		rows := step(ir.OpReshape, "folded_weight/rows", ir.Attrs{Shape: ir.Shape{1, wShape[0], wShape.Elems() / wShape[0]}}, w)
		scaled := step(ir.OpChannelMul, "folded_weight/scaled", ir.Attrs{}, rows, s)
		w2 = step(ir.OpReshape, "folded_weight", ir.Attrs{Shape: wShape.Clone()}, scaled)
	} else {
		w2 = step(ir.OpChannelMul, "folded_weight", ir.Attrs{}, w, s)
	}
	// b' = b·s + t, or whichever part exists.
	b2 := -1
	if m.bias >= 0 {
		b2 = step(ir.OpMul, "folded_bias/scaled", ir.Attrs{}, r.remap[m.bias], s)
	}
	if m.shift >= 0 {
		if b2 >= 0 {
			b2 = step(ir.OpAdd, "folded_bias", ir.Attrs{}, b2, r.remap[m.shift])
		} else {
			b2 = r.remap[m.shift]
		}
	}
	if err != nil {
		return err
	}
	last := m.mul
	if m.shiftAdd >= 0 {
		last = m.shiftAdd
	}
	// The new layer node takes the old layer's name; the old one is gone.
	y, err := r.takeOver(m.layer, layer.Op, layer.Attrs, x, w2)
	if err != nil {
		return err
	}
	if m.view < 0 {
		if b2 < 0 {
			return r.alias(last, y)
		}
		_, err = r.replace(last, ir.OpBiasAdd, ir.Attrs{}, y, b2)
		return err
	}
	// Through a view: the bias on the layer's shape, then the view.
	if b2 >= 0 {
		name := base + "/bias"
		if m.biasAdd >= 0 {
			y, err = r.takeOver(m.biasAdd, ir.OpBiasAdd, ir.Attrs{}, y, b2)
		} else {
			y, err = r.add(ir.OpBiasAdd, name, layer.Layer, ir.Attrs{}, y, b2)
		}
		if err != nil {
			return err
		}
	}
	_, err = r.replace(last, ir.OpReshape, ir.Attrs{Shape: r.old.Nodes[m.view].Attrs.Shape.Clone()}, y)
	return err
}
