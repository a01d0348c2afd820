package passes_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dlgen/dlgen/internal/gradcheck"
	"github.com/dlgen/dlgen/ir"
	"github.com/dlgen/dlgen/ir/interp"
	"github.com/dlgen/dlgen/nn"
	"github.com/dlgen/dlgen/passes"
)

// maskIDs is a batch of 3 rows of 5 ids from a vocabulary of 6, 0 padding: after the
// words, before them, and padding only.
var maskIDs = []float64{
	3, 1, 4, 0, 0,
	0, 0, 5, 2, 1,
	0, 0, 0, 0, 0,
}

// The recurrent layers behind an Embedding with MaskZero (Keras' mask_zero): finite
// differences of the lowered graph agree with autodiff for every weight, and the
// padding row of the embedding, read at masked steps only, gets exactly no gradient.
func TestMaskedRecurrentGradientsMatchFiniteDifferences(t *testing.T) {
	init := nn.TorchInit
	for i, c := range []struct {
		name  string
		build func(x *nn.T) *nn.T
	}{
		{"a SimpleRNN returning sequences", func(x *nn.T) *nn.T {
			return x.SimpleRNN("rnn", 3, init, nn.ReturnSequences).DropMask("y")
		}},
		{"an LSTM returning its last state", func(x *nn.T) *nn.T { return x.LSTM("rnn", 3, init) }},
		{"a GRU returning sequences", func(x *nn.T) *nn.T {
			return x.GRU("rnn", 3, init, nn.ReturnSequences).DropMask("y")
		}},
		{"a GRU with reset_before", func(x *nn.T) *nn.T { return x.GRU("rnn", 3, init, nn.ResetBefore) }},
		{"a bidirectional LSTM concatenating sequences", func(x *nn.T) *nn.T {
			return x.Bidirectional("bi", nn.LSTMLayer(3, init, nn.ReturnSequences), "concat").DropMask("y")
		}},
		{"a bidirectional GRU summing last states", func(x *nn.T) *nn.T {
			return x.Bidirectional("bi", nn.GRULayer(3, init), "sum")
		}},
		{"an LSTM stacked under a SimpleRNN", func(x *nn.T) *nn.T {
			return x.LSTM("rnn1", 3, init, nn.ReturnSequences).SimpleRNN("rnn2", 2, init)
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			m := nn.New("mask", nn.Seed(uint64(i)))
			x := m.Indices("ids", 5).Embedding("embed", 6, 2, nn.MaskZero)
			m.Output("y", c.build(x))
			g, err := m.Build()
			require.NoError(t, err)
			lg, err := passes.Lower(withWeightedSum(t, g), ir.ModeTrain)
			require.NoError(t, err)
			mach, err := interp.New(lg, uint64(20+i))
			require.NoError(t, err)
			ys := lg.Nodes[lg.Outputs[0].ID].Shape.Concrete(3)
			feeds := map[string]*interp.Tensor{
				"ids": interp.FromData(maskIDs, 3, 5),
				"r":   interp.FromData(uniformValues(elemsOf(ys), -1, 1, uint64(300+i)), ys...),
			}
			// The steps stay identical up to k (what code generation loops over).
			loops, err := passes.RecurrentLoops(lg)
			require.NoError(t, err)
			require.NotEmpty(t, loops)
			res, err := gradcheck.Check(lg, mach, feeds)
			require.NoError(t, err)
			require.Len(t, res, len(lg.Weights()))
			for _, r := range res {
				assert.Less(t, r.MaxRel, 1e-6, r.String())
			}

			dg, err := passes.Autodiff(lg)
			require.NoError(t, err)
			dm, err := interp.New(dg, uint64(20+i))
			require.NoError(t, err)
			vals, err := dm.Run(feeds)
			require.NoError(t, err)
			for _, w := range dg.Weights() {
				if w.Name != "embed.weight" {
					continue
				}
				d := vals[dg.GradOf(w.ID)].Data
				assert.Equal(t, []float64{0, 0}, d[:2], "row 0, the padding")
				assert.NotEqual(t, []float64{0, 0}, d[6:8], "row 3, a word")
			}
		})
	}
}
