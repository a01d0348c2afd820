package torchmodels

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestEveryModelBuildsWithTheGoldenParameters checks that each golden file holds
// the models of its Go side (All, SCE, ActModels, DenseSeq, Conv1DModels, Embeddings,
// Upsample, SeqAEs, DilationModels, PadCrop, MNIST, LayerNorms, PermuteModels,
// GroupModels, AdaptiveModels, PReLUs) in order, that each model builds with exactly the torch parameters' names
// and shapes and the torch inputs' names, and that no name is in two sets
// (CheckGenerated finds a model by name).
func TestEveryModelBuildsWithTheGoldenParameters(t *testing.T) {
	names := map[string]bool{}
	for _, set := range []struct {
		file  string
		cases []Case
	}{{GoldenFile, All}, {SCEGoldenFile, SCE}, {ActGoldenFile, ActModels}, {DenseSeqGoldenFile, DenseSeq},
		{Conv1DGoldenFile, Conv1DModels}, {EmbeddingGoldenFile, Embeddings}, {UpsampleGoldenFile, Upsample}, {SeqAEGoldenFile, SeqAEs}, {DilationGoldenFile, DilationModels}, {PadCropGoldenFile, PadCrop}, {MNISTGoldenFile, MNIST}, {LayerNormGoldenFile, LayerNorms},
		{PermuteGoldenFile, PermuteModels}, {GroupsGoldenFile, GroupModels}, {AdaptiveGoldenFile, AdaptiveModels}, {PReLUGoldenFile, PReLUs}} {
		goldens, err := LoadGoldenOf(filepath.Join("..", "..", set.file), set.cases)
		require.NoError(t, err)
		for i, c := range set.cases {
			require.False(t, names[c.Name], "%s is in two sets", c.Name)
			names[c.Name] = true
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
				v, ok := want.Inputs[in.Name]
				require.True(t, ok, "%s: input %s has no torch value", c.Name, in.Name)
				require.Equal(t, in.Shape.Concrete(want.Batch), v.Shape, "%s: shape of input %s", c.Name, in.Name)
			}
		}
	}
}
