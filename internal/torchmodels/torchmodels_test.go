package torchmodels

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestEveryModelBuildsWithTheGoldenParameters checks that the golden files hold the
// models of All and ActModels in order, and that each model builds with exactly the
// torch parameters' names and shapes and the torch inputs' names.
func TestEveryModelBuildsWithTheGoldenParameters(t *testing.T) {
	for _, set := range []struct {
		file  string
		cases []Case
	}{{GoldenFile, All}, {ActGoldenFile, ActModels}} {
		goldens, err := loadGolden(filepath.Join("..", "..", set.file), set.cases)
		require.NoError(t, err)
		for i, c := range set.cases {
			g, err := c.Model().Build()
			require.NoError(t, err, c.Name)
			want := goldens[i]
			require.Len(t, g.Params(), len(want.Params), "%s: parameters", c.Name)
			for _, p := range g.Params() {
				tp, ok := want.Params[p.Name]
				require.True(t, ok, "%s: parameter %s has no torch value", c.Name, p.Name)
				require.Equal(t, []int(p.Shape), tp.Shape, "%s: shape of %s", c.Name, p.Name)
			}
			require.Len(t, g.Inputs(), len(want.Inputs), "%s: inputs", c.Name)
			for _, in := range g.Inputs() {
				_, ok := want.Inputs[in.Name]
				require.True(t, ok, "%s: input %s has no torch value", c.Name, in.Name)
			}
		}
	}
}
