package ir_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/dlgen/dlgen/ir"
)

// transposeShapeCases are the shape rows of Transpose (Keras' Permute).
func transposeShapeCases() []shapeCase {
	perm := func(p ...int) ir.Attrs { return ir.Attrs{Perm: p} }
	return []shapeCase{
		ok(ir.OpTranspose, "Keras' Permute((2, 1)) on (N, T, E)", perm(0, 2, 1), s(N, 8, 20), s(N, 20, 8)),
		ok(ir.OpTranspose, "channels-last to channels-first", perm(0, 3, 1, 2), s(N, 3, 28, 28), s(N, 28, 28, 3)),
		ok(ir.OpTranspose, "the identity", perm(0, 1), s(N, 5), s(N, 5)),
		ok(ir.OpTranspose, "an unbatched matrix", perm(1, 0), s(4, 3), s(3, 4)),
		bad(ir.OpTranspose, "a perm moving the batch", perm(1, 0, 2), "perm [1 0 2] moves the batch axis of N×3×4; it must stay first", s(N, 3, 4)),
		bad(ir.OpTranspose, "a short perm", perm(0, 1), "perm [0 1] has 2 axes for a tensor of rank 3", s(N, 3, 4)),
		bad(ir.OpTranspose, "no perm", ir.Attrs{}, "perm [] has 0 axes for a tensor of rank 2", s(N, 3)),
		bad(ir.OpTranspose, "a repeated axis", perm(0, 1, 1), "perm [0 1 1] is not a permutation of the axes 0 to 2", s(N, 3, 4)),
		bad(ir.OpTranspose, "an axis past the end", perm(0, 3, 1), "perm [0 3 1] is not a permutation of the axes 0 to 2", s(N, 3, 4)),
	}
}

func TestInversePermUndoesThePerm(t *testing.T) {
	for _, p := range [][]int{{0}, {1, 0}, {0, 2, 1}, {0, 3, 1, 2}, {2, 0, 3, 1}} {
		inv := ir.InversePerm(p)
		for i := range p {
			assert.Equal(t, i, inv[p[i]], "perm %v", p)
			assert.Equal(t, i, p[inv[i]], "perm %v", p)
		}
	}
}
