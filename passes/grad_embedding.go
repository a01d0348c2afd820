package passes

import "github.com/dlgen/dlgen/ir"

// y = weight[ids]: the weight's gradient sums dy's rows into the rows the ids
// selected (EmbeddingGrad, which skips the padding row), a dense (V, D) tensor as
// PyTorch's nn.Embedding with sparse=False gives, so every optimizer updates the
// whole weight. The ids are integers and have no gradient (autodiff never asks for
// one: no weight reaches an int input).
func init() {
	gradRule(ir.OpEmbedding, func(b *GradBuilder, n *ir.Node, dy int, need []bool) ([]int, error) {
		if need[0] {
			return nil, &ir.Error{Layer: n.Layer, Op: n.Op, Msg: "ids have no gradient"}
		}
		out := []int{-1, -1}
		if need[1] {
			var err error
			w := b.G.Nodes[n.Inputs[1]].Shape
			out[1], err = b.Op(ir.OpEmbeddingGrad, ir.Attrs{Shape: w.Clone(), Extra: append([]int(nil), n.Attrs.Extra...)}, n.Inputs[0], dy)
			if err != nil {
				return nil, err
			}
		}
		return out, nil
	})
}
