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
		{"an LSTM with variational input dropout", func(x *nn.T) *nn.T {
			return x.LSTM("rnn", 3, init, nn.VariationalDropout(0.4), nn.ReturnSequences).DropMask("y")
		}},
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

// A padded step keeps the state bit for bit: with return sequences an LSTM outputs,
// at the padding after a row's words, exactly its output at the last word, and
// exactly zero before the first word; a Bidirectional outputs exact zeros at every
// padded step.
func TestMaskedStepsKeepTheStateExactly(t *testing.T) {
	m := nn.New("exact")
	h := m.Indices("ids", 5).Embedding("embed", 6, 2, nn.MaskZero)
	m.Output("seq", h.LSTM("rnn", 3, nn.TorchInit, nn.ReturnSequences).DropMask("seq"))
	m.Output("bi", h.Bidirectional("bi", nn.GRULayer(2, nn.TorchInit, nn.ReturnSequences), "concat").DropMask("bi_seq"))
	g, err := m.Build()
	require.NoError(t, err)
	lg, err := passes.Lower(g, ir.ModeInfer)
	require.NoError(t, err)
	mach, err := interp.New(lg, 5)
	require.NoError(t, err)
	vals, err := mach.Run(map[string]*interp.Tensor{"ids": interp.FromData(maskIDs, 3, 5)})
	require.NoError(t, err)
	seq, bi := vals[lg.Outputs[0].ID].Data, vals[lg.Outputs[1].ID].Data
	at := func(v []float64, width, row, step int) []float64 {
		return v[(row*5+step)*width : (row*5+step+1)*width]
	}
	for _, step := range []int{3, 4} { // row 0: words at 0..2
		assert.Equal(t, at(seq, 3, 0, 2), at(seq, 3, 0, step), "row 0, step %d", step)
	}
	assert.NotEqual(t, at(seq, 3, 0, 1), at(seq, 3, 0, 2), "words do change it")
	zero3, zero4 := []float64{0, 0, 0}, []float64{0, 0, 0, 0}
	for _, step := range []int{0, 1} { // row 1: words at 2..4
		assert.Equal(t, zero3, at(seq, 3, 1, step), "row 1, step %d", step)
	}
	for step := range 5 { // row 2: padding only
		assert.Equal(t, zero3, at(seq, 3, 2, step), "row 2, step %d", step)
	}
	for i := range maskIDs {
		row, step := i/5, i%5
		if maskIDs[i] == 0 {
			assert.Equal(t, zero4, at(bi, 4, row, step), "bidirectional, row %d step %d", row, step)
		} else {
			assert.NotEqual(t, zero4, at(bi, 4, row, step), "bidirectional, row %d step %d", row, step)
		}
	}
}
