package randgraph_test

import (
	"math"
	"reflect"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dlgen/dlgen/internal/randgraph"
	"github.com/dlgen/dlgen/ir"
	"github.com/dlgen/dlgen/ir/interp"
	"github.com/dlgen/dlgen/passes"
)

const seeds = 200

// Every primitive op of the table can appear in a random graph, or is listed in
// Skipped with the reason; a new op fails this test until the generator learns it.
func TestEveryPrimitiveOpHasAProposer(t *testing.T) {
	for _, name := range ir.OpNames() {
		if ir.Ops[name].Kind != ir.Primitive {
			continue
		}
		_, skipped := randgraph.Skipped[name]
		assert.True(t, randgraph.Covered(name) || skipped, "random graphs never contain %s", name)
	}
}

func TestTheSameSeedGivesTheSameGraph(t *testing.T) {
	for _, mode := range []string{ir.ModeInfer, ir.ModeTrain} {
		a, err := randgraph.New(42, mode)
		require.NoError(t, err)
		b, err := randgraph.New(42, mode)
		require.NoError(t, err)
		assert.True(t, reflect.DeepEqual(a, b), mode)
		c, err := randgraph.New(43, mode)
		require.NoError(t, err)
		assert.False(t, reflect.DeepEqual(a, c), mode)
	}
}

// Every graph is valid, runs in the interpreter with finite values everywhere
// (forward and, for training graphs, backward), and over all seeds every op the
// generator knows (losses and the training-only sources included) appears.
func TestRandomGraphsAreValidAndFinite(t *testing.T) {
	seen := map[string]int{}
	withLoss, dilated, ignoring := 0, 0, 0
	for seed := uint64(0); seed < seeds; seed++ {
		for _, mode := range []string{ir.ModeInfer, ir.ModeTrain} {
			g, err := randgraph.New(seed, mode)
			require.NoError(t, err, "seed %d", seed)
			require.NoError(t, ir.Verify(g))
			for _, n := range g.Nodes {
				seen[n.Op]++
				if dh, dw := ir.Dilation(n.Attrs); dh*dw > 1 && (n.Op == ir.OpConv2D || n.Op == ir.OpConv2DTranspose) {
					dilated++
				}
				if _, ok := ir.LossIgnore(n.Attrs); ok && (n.Op == ir.OpSparseSoftmaxCELoss || n.Op == ir.OpNLLLoss) {
					ignoring++
				}
			}
			if g.Loss >= 0 {
				withLoss++
			}
			if mode == ir.ModeTrain {
				require.GreaterOrEqual(t, g.Loss, 0, "seed %d: a training graph needs a loss", seed)
				g, err = passes.Autodiff(g)
				require.NoError(t, err, "seed %d", seed)
			}
			m, err := interp.New(g, seed)
			require.NoError(t, err)
			randgraph.Randomize(m, seed)
			m.Step = 3
			vals, err := m.Run(randgraph.Feeds(g, 2+int(seed%3), seed))
			require.NoError(t, err, "seed %d %s", seed, mode)
			for id, v := range vals {
				for _, x := range v.Data {
					require.False(t, math.IsNaN(x) || math.IsInf(x, 0), "seed %d %s: node %s = %g", seed, mode, g.Nodes[id].Name, x)
				}
			}
		}
	}
	for _, name := range ir.OpNames() {
		if randgraph.Covered(name) {
			assert.Positive(t, seen[name], "no random graph contains %s", name)
		}
	}
	assert.Positive(t, seen[ir.OpRunningUpdate], "no random graph updates running statistics")
	assert.Greater(t, withLoss, seeds, "too few graphs have a loss")
	assert.Positive(t, dilated, "no random graph has a dilated convolution")
	assert.Positive(t, ignoring, "no random sparse loss has an ignore index")
	t.Logf("ops over %d graphs: %v; %d dilated convolutions; %d sparse losses with an ignore index", 2*seeds, seen, dilated, ignoring)
}
