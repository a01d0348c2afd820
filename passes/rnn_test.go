package passes_test

import (
	"encoding/json"
	"fmt"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dlgen/dlgen/ir"
	"github.com/dlgen/dlgen/ir/interp"
	"github.com/dlgen/dlgen/nn"
	"github.com/dlgen/dlgen/passes"
)

// rnnCase is one run of torch.nn.RNN/LSTM/GRU from testdata/torch/rnn_golden.py.
type rnnCase struct {
	Name            string               `json:"name"`
	Kind            string               `json:"kind"`
	T, F, H, N      int                  `json:"-"`
	ReturnSequences bool                 `json:"return_sequences"`
	Bidirectional   bool                 `json:"bidirectional"`
	Merge           string               `json:"merge"`
	Bias            bool                 `json:"bias"`
	Nonlinearity    string               `json:"nonlinearity"`
	ResetBefore     bool                 `json:"reset_before"`
	X, R, Y         []float64            `json:"-"`
	Params          map[string][]float64 `json:"params"`
	Grads           map[string][]float64 `json:"grads"`
	States          []string             `json:"states"`
	StateValues     map[string][]float64 `json:"-"`
}

func (c *rnnCase) UnmarshalJSON(b []byte) error {
	type plain rnnCase
	if err := json.Unmarshal(b, (*plain)(c)); err != nil {
		return err
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	for key, dst := range map[string]any{"T": &c.T, "F": &c.F, "H": &c.H, "N": &c.N, "x": &c.X, "r": &c.R, "y": &c.Y} {
		if err := json.Unmarshal(raw[key], dst); err != nil {
			return fmt.Errorf("%s: %w", key, err)
		}
	}
	c.StateValues = map[string][]float64{}
	for _, s := range c.States {
		var v []float64
		if err := json.Unmarshal(raw[s], &v); err != nil {
			return fmt.Errorf("%s: %w", s, err)
		}
		c.StateValues[s] = v
	}
	return nil
}

func loadRNNCases(t *testing.T) []rnnCase {
	t.Helper()
	raw, err := os.ReadFile("../testdata/torch/rnn_golden.json")
	require.NoError(t, err)
	var file struct {
		Cases []rnnCase `json:"cases"`
	}
	require.NoError(t, json.Unmarshal(raw, &file))
	require.Len(t, file.Cases, 16)
	return file.Cases
}

// rnnCaseModel builds the case's layer "rnn" with package nn, on input "x" and state
// inputs named as the case names them.
func rnnCaseModel(c rnnCase) *nn.Model {
	m := nn.New("golden_" + c.Name)
	x := m.Input("x", c.T, c.F)
	var opts []nn.Option
	if c.ReturnSequences {
		opts = append(opts, nn.ReturnSequences)
	}
	if !c.Bias {
		opts = append(opts, nn.NoBias)
	}
	if c.Nonlinearity == "relu" {
		opts = append(opts, nn.Act("relu"))
	}
	if c.ResetBefore {
		opts = append(opts, nn.ResetBefore)
	}
	if len(c.States) > 0 {
		var states []*nn.T
		for _, s := range c.States {
			states = append(states, m.Input(s, c.H))
		}
		opts = append(opts, nn.InitialState(states...))
	}
	layer := map[string]func(int, ...nn.Option) nn.Recurrent{"RNN": nn.SimpleRNNLayer, "LSTM": nn.LSTMLayer, "GRU": nn.GRULayer}[c.Kind](c.H, opts...)
	var y *nn.T
	switch {
	case c.Bidirectional:
		y = x.Bidirectional("rnn", layer, c.Merge)
	case c.Kind == "RNN":
		y = x.SimpleRNN("rnn", c.H, opts...)
	case c.Kind == "LSTM":
		y = x.LSTM("rnn", c.H, opts...)
	default:
		y = x.GRU("rnn", c.H, opts...)
	}
	m.Output("y", y)
	return m
}

// withWeightedSum adds input "r" shaped as output 0 and the loss Σ y·r, so that the
// gradient of y is r.
func withWeightedSum(t *testing.T, g *ir.Graph) *ir.Graph {
	t.Helper()
	y := g.Outputs[0].ID
	r, err := g.Add(ir.OpInput, "r", "loss", ir.Attrs{Shape: g.Nodes[y].Shape.Clone(), Role: ir.RoleData})
	require.NoError(t, err)
	yr, err := g.Add(ir.OpMul, "yr", "loss", ir.Attrs{}, y, r)
	require.NoError(t, err)
	g.Loss, err = g.Add(ir.OpReduceSum, "loss", "loss", ir.Attrs{}, yr)
	require.NoError(t, err)
	require.NoError(t, ir.Verify(g))
	return g
}

func TestRecurrentLayersMatchPyTorch(t *testing.T) {
	for _, c := range loadRNNCases(t) {
		t.Run(c.Name, func(t *testing.T) {
			g, err := rnnCaseModel(c).Build()
			require.NoError(t, err)
			lg, err := passes.Lower(withWeightedSum(t, g), ir.ModeTrain)
			require.NoError(t, err)
			for _, n := range lg.Nodes {
				require.NotEqual(t, ir.Macro, ir.Ops[n.Op].Kind, "macro op %s left after lowering", n.Op)
			}
			dg, err := passes.Autodiff(lg, append([]string{"x"}, c.States...)...)
			require.NoError(t, err)
			require.NoError(t, ir.Verify(dg))

			m, err := interp.New(dg, 1)
			require.NoError(t, err)
			require.Len(t, dg.Weights(), len(c.Params), "parameters")
			for name, v := range c.Params {
				setParam(t, m, "rnn."+name, v)
			}
			ys := dg.Nodes[dg.Outputs[0].ID].Shape.Concrete(c.N)
			feeds := map[string]*interp.Tensor{
				"x": interp.FromData(c.X, c.N, c.T, c.F),
				"r": interp.FromData(c.R, ys...),
			}
			for _, s := range c.States {
				feeds[s] = interp.FromData(c.StateValues[s], c.N, c.H)
			}
			vals, err := m.Run(feeds)
			require.NoError(t, err)
			closeTo(t, c.Y, vals[dg.Outputs[0].ID].Data, 1e-9, "y")

			checked := 0
			for _, gr := range dg.Grads {
				name := dg.Nodes[gr.Of].Name
				key := name
				if dg.Nodes[gr.Of].Op == ir.OpParam {
					key = name[len("rnn."):]
				}
				want, ok := c.Grads[key]
				require.True(t, ok, "no PyTorch gradient for %s", name)
				closeTo(t, want, vals[gr.ID].Data, 1e-9, "d"+name)
				checked++
			}
			assert.Equal(t, len(c.Grads), checked, "gradients compared")
		})
	}
}

// The inference graph computes the same outputs as the training graph when there is
// no dropout.
func TestRecurrentInferenceMatchesTraining(t *testing.T) {
	for _, c := range loadRNNCases(t)[:4] {
		g, err := rnnCaseModel(c).Build()
		require.NoError(t, err)
		run := func(mode string) []float64 {
			lg, err := passes.Lower(g, mode)
			require.NoError(t, err)
			m, err := interp.New(lg, 1)
			require.NoError(t, err)
			for name, v := range c.Params {
				setParam(t, m, "rnn."+name, v)
			}
			feeds := map[string]*interp.Tensor{"x": interp.FromData(c.X, c.N, c.T, c.F)}
			for _, s := range c.States {
				feeds[s] = interp.FromData(c.StateValues[s], c.N, c.H)
			}
			vals, err := m.Run(feeds)
			require.NoError(t, err)
			return vals[lg.Outputs[0].ID].Data
		}
		t.Run(c.Name, func(t *testing.T) {
			infer := run(ir.ModeInfer)
			closeTo(t, c.Y, infer, 1e-9, "y")
			assert.Equal(t, run(ir.ModeTrain), infer)
		})
	}
}
