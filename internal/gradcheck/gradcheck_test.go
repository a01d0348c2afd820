package gradcheck_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/dlgen/dlgen/internal/gradcheck"
	"github.com/dlgen/dlgen/ir"
	"github.com/dlgen/dlgen/passes"
)

// The checker itself must be able to fail: a deliberately wrong gradient rule is
// caught. We check that by comparing a correct op with one whose rule we corrupt.
func TestCheckerAcceptsMatMul(t *testing.T) {
	for _, tc := range []struct {
		name   string
		attrs  ir.Attrs
		a, b   ir.Shape
		aParam bool
		bInput bool
	}{
		{"x times W transposed, like Dense", ir.Attrs{TransB: true}, ir.Shape{ir.Batch, 4}, ir.Shape{5, 4}, false, false},
		{"plain", ir.Attrs{}, ir.Shape{ir.Batch, 4}, ir.Shape{4, 2}, false, false},
		{"batch contracted, like a weight gradient", ir.Attrs{TransA: true}, ir.Shape{ir.Batch, 3}, ir.Shape{ir.Batch, 2}, false, true},
		{"both transposed", ir.Attrs{TransA: true, TransB: true}, ir.Shape{4, 3}, ir.Shape{5, 4}, true, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, err := gradcheck.CheckOp(ir.OpMatMul, tc.attrs, []gradcheck.Operand{{Shape: tc.a, Param: tc.aParam}, {Shape: tc.b, Param: !tc.bInput}}, 1)
			require.NoError(t, err)
			require.Len(t, res, 2)
			for _, r := range res {
				require.Less(t, r.MaxRel, 1e-6, r.String())
			}
		})
	}
}

func TestCheckerCatchesAWrongRule(t *testing.T) {
	right := passes.GradRules[ir.OpScale]
	defer func() { passes.GradRules[ir.OpScale] = right }()
	// A rule that forgets the factor alpha.
	passes.GradRules[ir.OpScale] = func(b *passes.GradBuilder, n *ir.Node, dy int, need []bool) ([]int, error) {
		return []int{dy}, nil
	}
	res, err := gradcheck.CheckOp(ir.OpScale, ir.Attrs{Alpha: 3}, []gradcheck.Operand{{Shape: ir.Shape{ir.Batch, 4}}}, 1)
	require.NoError(t, err)
	require.Len(t, res, 1)
	require.Greater(t, res[0].MaxRel, 0.5, "the checker missed a gradient off by a factor of 3")
}
