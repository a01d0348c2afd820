package ir

import "fmt"

// Transpose reorders a tensor's axes (Keras' Permute, PyTorch's x.permute): the
// layout change that lets a channels-last sequence, such as an Embedding's (N, T, E)
// output, meet the (N, C, L) layers. Its gradient is the inverse permutation of dy,
// so it needs no gradient-only op.
const OpTranspose = "Transpose"

func init() {
	def(&OpDef{Name: OpTranspose, Kind: Primitive, MinInputs: 1, MaxInputs: 1, Attrs: []string{"perm"},
		Doc: "y = x.permute(perm): axis i of y is axis perm[i] of x, so y[i0, …, ik] = x[j] with j[perm[i]] = i_i. " +
			"perm is a permutation of all of x's axes; on a batched x the batch stays first (perm[0] = 0).",
		Infer: func(n *Node, in []Shape) (Shape, error) {
			x, p := in[0], n.Attrs.Perm
			if err := CheckPerm(p, x.Rank()); err != nil {
				return nil, err
			}
			if x.Batched() && p[0] != 0 {
				return nil, fmt.Errorf("perm %v moves the batch axis of %s; it must stay first", p, x)
			}
			out := make(Shape, len(p))
			for i, a := range p {
				out[i] = x[a]
			}
			return out, nil
		}})
}

// CheckPerm reports whether p is a permutation of 0..rank-1.
func CheckPerm(p []int, rank int) error {
	if len(p) != rank {
		return fmt.Errorf("perm %v has %d axes for a tensor of rank %d", p, len(p), rank)
	}
	seen := make([]bool, rank)
	for _, a := range p {
		if a < 0 || a >= rank || seen[a] {
			return fmt.Errorf("perm %v is not a permutation of the axes 0 to %d", p, rank-1)
		}
		seen[a] = true
	}
	return nil
}

// InversePerm is the permutation that undoes p: Transpose by p then by
// InversePerm(p) is the identity.
func InversePerm(p []int) []int {
	inv := make([]int, len(p))
	for i, a := range p {
		inv[a] = i
	}
	return inv
}
