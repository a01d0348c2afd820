package passes

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/dlgen/dlgen/ir"
)

// CSE (common-subexpression elimination) merges nodes that compute the same value:
// the same op with the same attributes (the whole ir.Attrs) on the same inputs. The
// first such node in topological order stays, and every later one is replaced by it,
// in outputs, loss and gradients too. Merging one pair can make their users equal, so
// a single walk in order merges whole duplicated subgraphs.
//
// Why it is sound: every op but the sources and the effect ops is a pure function of
// its inputs and attributes (ir/ops.go documents each), so equal keys give equal
// values. Add and Mul are also merged with their operands swapped, since IEEE
// addition and multiplication are exactly commutative. The exceptions:
//   - Input and Param are never merged: two of them are different tensors even when
//     their attributes agree (their names tell them apart).
//   - The random sources DropoutMask, KeepMask and RandomNormal with equal attributes
//     (shape, rate or standard deviation, seed) ARE merged. Each element is drawn from
//     rt's counter-based streams, rt.Keep or rt.Normal of (seed, step, index): a pure
//     function of the attributes and the training step, which is the same for every
//     node of one run. Two such nodes (say two layers given the same Seed) hold the
//     same tensor by definition, and merging them changes nothing; nodes that differ
//     in any attribute have different keys. Sources not in pureSources (a future
//     stateful generator) are never merged.
//   - Effect ops (RunningUpdate) are never merged or removed: each is one update of
//     its state.
//   - A node that reads a state parameter some RunningUpdate updates is not merged
//     either. The update happens in place during the run, so two reads of that state,
//     one before and one after the update, may see different values. (The graphs
//     lowering builds never read updated state; this keeps CSE sound on any graph.)
func CSE(g *ir.Graph) (*ir.Graph, error) {
	updated := map[int]bool{} // state parameters some RunningUpdate writes
	for _, n := range g.Nodes {
		if n.Op == ir.OpRunningUpdate {
			updated[n.Inputs[0]] = true
		}
	}
	mergeable := func(n *ir.Node) bool {
		if d := ir.Ops[n.Op]; d.Effect || (d.Kind == ir.Source && !pureSources[n.Op]) {
			return false
		}
		for _, in := range n.Inputs {
			if updated[in] {
				return false
			}
		}
		return true
	}

	r := newRewriter(g)
	first := map[string]int{} // key → the new node that computes it
	for id, n := range r.old.Nodes {
		if !mergeable(n) {
			r.copy(id)
			continue
		}
		key, ok := cseKey(n, r.inputs(n))
		if !ok {
			r.copy(id)
			continue
		}
		if to, dup := first[key]; dup {
			if err := r.alias(id, to); err != nil {
				return nil, fmt.Errorf("cse: %w", err)
			}
			continue
		}
		first[key] = r.copy(id)
	}
	out, err := r.finish()
	if err != nil {
		return nil, fmt.Errorf("cse: %w", err)
	}
	return out, nil
}

// pureSources are the source ops whose value is a function of their attributes (and
// the training step) alone.
var pureSources = map[string]bool{ir.OpFill: true, ir.OpDropoutMask: true, ir.OpKeepMask: true, ir.OpRandomNormal: true}

// cseKey identifies the value node n computes from the (already remapped) inputs
// ins. The attributes are compared through their JSON form, which is exactly what
// defines a node besides its op and inputs (nil and empty lists agree, as they do for
// every op). It reports false for attributes JSON cannot hold (a NaN constant), which
// are then never merged.
func cseKey(n *ir.Node, ins []int) (string, bool) {
	attrs, err := json.Marshal(n.Attrs)
	if err != nil {
		return "", false
	}
	if (n.Op == ir.OpAdd || n.Op == ir.OpMul) && ins[0] > ins[1] {
		ins = []int{ins[1], ins[0]}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s|%s|%s|", n.Op, n.Shape, attrs)
	for _, in := range ins {
		fmt.Fprintf(&b, "%d,", in)
	}
	return b.String(), true
}
