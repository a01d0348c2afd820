package passes

import "github.com/dlgen/dlgen/ir"

// LayerNorm's gradient: dx by one fused row kernel that recomputes the row
// statistics from x, dγ = Σ_rows dy·x̂ and dβ = Σ_rows dy, each only when needed.
func init() {
	gradRule(ir.OpLayerNorm, func(b *GradBuilder, n *ir.Node, dy int, need []bool) ([]int, error) {
		s := &seq{b: b}
		a := ir.Attrs{Axis: n.Attrs.Axis, Eps: n.Attrs.Eps}
		x := n.Inputs[0]
		out := make([]int, len(n.Inputs))
		for i := range out {
			out[i] = -1
		}
		if need[0] {
			in := []int{x, dy}
			if len(n.Inputs) > 1 {
				in = append(in, n.Inputs[1]) // γ scales dy before the row's projection
			}
			out[0] = s.op(ir.OpLayerNormGrad, a, in...)
		}
		if len(n.Inputs) > 1 && need[1] {
			out[1] = s.op(ir.OpLayerNormWeightGrad, a, x, dy)
		}
		if len(n.Inputs) > 2 && need[2] {
			out[2] = s.op(ir.OpLayerNormBiasGrad, ir.Attrs{Axis: n.Attrs.Axis}, dy)
		}
		return out, s.err
	})
}
