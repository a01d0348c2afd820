package passes_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dlgen/dlgen/ir"
	"github.com/dlgen/dlgen/passes"
)

// DCE removes what random graphs leave unread and what the other passes leave
// unused (the inner node of a merged Scale chain, a folded constant's operands),
// and a second run finds nothing more. (Its equivalence runs with the other passes'
// in equiv_test.go; dce_test.go checks what it keeps.)
func TestDCEFiresOnRandomGraphsAndAfterTheOtherPasses(t *testing.T) {
	for _, mode := range []string{ir.ModeInfer, ir.ModeTrain} {
		direct, after := 0, 0
		for i, g := range eqRandomGraphs(t, mode) {
			out := eqApply(t, passes.DCE, g)
			direct += len(g.Nodes) - len(out.Nodes)
			again, err := passes.DCE(out)
			require.NoError(t, err)
			require.Equal(t, len(out.Nodes), len(again.Nodes), "random graph %d (%s): DCE is idempotent", i, mode)

			s, err := passes.Simplify(out)
			require.NoError(t, err)
			f, err := passes.Fold(s)
			require.NoError(t, err)
			clean := eqApply(t, passes.DCE, f)
			after += len(f.Nodes) - len(clean.Nodes)
		}
		assert.Greater(t, direct, eqRandomSeeds, "DCE removed %d nodes from %d %s graphs", direct, eqRandomSeeds, mode)
		assert.Greater(t, after, eqRandomSeeds/4, "DCE removed %d nodes after Simplify and Fold in %d %s graphs", after, eqRandomSeeds, mode)
	}
}
