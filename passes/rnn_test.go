package passes_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dlgen/dlgen/internal/gradcheck"
	"github.com/dlgen/dlgen/ir"
	"github.com/dlgen/dlgen/ir/interp"
	"github.com/dlgen/dlgen/models"
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

// rnnGradCase is a small model around one recurrent layer, for gradient checks.
type rnnGradCase struct {
	name   string
	t, f   int
	states int // state inputs "s0", "s1", ... of shape (N, h)
	h      int
	build  func(x *nn.T, states []*nn.T) *nn.T
}

func rnnGradCases() []rnnGradCase {
	init := nn.TorchInit // non-zero biases, so that their gradients matter
	return []rnnGradCase{
		{"a SimpleRNN returning its last state", 3, 2, 0, 3, func(x *nn.T, _ []*nn.T) *nn.T {
			return x.SimpleRNN("rnn", 3, init)
		}},
		{"a ReLU SimpleRNN returning sequences from a given h0", 4, 3, 1, 3, func(x *nn.T, s []*nn.T) *nn.T {
			return x.SimpleRNN("rnn", 3, init, nn.Act("relu"), nn.ReturnSequences, nn.InitialState(s...))
		}},
		{"an LSTM returning its last state", 5, 3, 0, 4, func(x *nn.T, _ []*nn.T) *nn.T {
			return x.LSTM("lstm", 4, init)
		}},
		{"an LSTM returning sequences from given h0 and c0", 4, 2, 2, 3, func(x *nn.T, s []*nn.T) *nn.T {
			return x.LSTM("lstm", 3, init, nn.ReturnSequences, nn.InitialState(s...))
		}},
		{"an LSTM with relu and tanh activations and no bias", 3, 2, 0, 3, func(x *nn.T, _ []*nn.T) *nn.T {
			return x.LSTM("lstm", 3, init, nn.Act("relu"), nn.RecurrentAct("tanh"), nn.NoBias)
		}},
		{"an LSTM with input dropout", 4, 3, 0, 3, func(x *nn.T, _ []*nn.T) *nn.T {
			return x.LSTM("lstm", 3, init, nn.InputDropout(0.3), nn.ReturnSequences)
		}},
		{"a GRU returning its last state", 4, 3, 0, 4, func(x *nn.T, _ []*nn.T) *nn.T {
			return x.GRU("gru", 4, init)
		}},
		{"a GRU with reset_before, a given h0 and variational dropout", 3, 2, 1, 3, func(x *nn.T, s []*nn.T) *nn.T {
			return x.GRU("gru", 3, init, nn.ResetBefore, nn.ReturnSequences, nn.InitialState(s...), nn.VariationalDropout(0.4))
		}},
		{"a GRU without bias with a linear activation", 5, 2, 0, 2, func(x *nn.T, _ []*nn.T) *nn.T {
			return x.GRU("gru", 2, init, nn.NoBias, nn.Act("linear"))
		}},
		{"a bidirectional LSTM concatenating sequences", 3, 2, 0, 3, func(x *nn.T, _ []*nn.T) *nn.T {
			return x.Bidirectional("bi", nn.LSTMLayer(3, init, nn.ReturnSequences), "concat")
		}},
		{"a bidirectional GRU summing last states from given states", 4, 3, 2, 3, func(x *nn.T, s []*nn.T) *nn.T {
			return x.Bidirectional("bi", nn.GRULayer(3, init, nn.InitialState(s...)), "sum")
		}},
		{"a bidirectional SimpleRNN averaging sequences", 3, 2, 0, 2, func(x *nn.T, _ []*nn.T) *nn.T {
			return x.Bidirectional("bi", nn.SimpleRNNLayer(2, init, nn.ReturnSequences), "ave")
		}},
		{"a bidirectional GRU multiplying last states", 3, 2, 0, 3, func(x *nn.T, _ []*nn.T) *nn.T {
			return x.Bidirectional("bi", nn.GRULayer(3, init), "mul")
		}},
		{"two stacked LSTMs", 3, 2, 0, 3, func(x *nn.T, _ []*nn.T) *nn.T {
			return x.LSTM("lstm1", 3, init, nn.ReturnSequences).LSTM("lstm2", 3, init)
		}},
	}
}

func TestRecurrentGradientsMatchFiniteDifferences(t *testing.T) {
	const batch = 2
	for i, c := range rnnGradCases() {
		t.Run(c.name, func(t *testing.T) {
			m := nn.New("grad", nn.Seed(uint64(i)))
			x := m.Input("x", c.t, c.f)
			var states []*nn.T
			wrt := []string{"x"}
			for j := range c.states {
				name := fmt.Sprintf("s%d", j)
				states = append(states, m.Input(name, c.h))
				wrt = append(wrt, name)
			}
			m.Output("y", c.build(x, states))
			g, err := m.Build()
			require.NoError(t, err)
			lg, err := passes.Lower(withWeightedSum(t, g), ir.ModeTrain)
			require.NoError(t, err)
			mach, err := interp.New(lg, uint64(10+i))
			require.NoError(t, err)
			mach.Step = 3
			feeds := map[string]*interp.Tensor{"x": interp.FromData(uniformValues(batch*c.t*c.f, -1, 1, uint64(i)), batch, c.t, c.f)}
			for j, s := range wrt[1:] {
				feeds[s] = interp.FromData(uniformValues(batch*c.h, -0.8, 0.8, uint64(100*i+j)), batch, c.h)
			}
			ys := lg.Nodes[lg.Outputs[0].ID].Shape.Concrete(batch)
			feeds["r"] = interp.FromData(uniformValues(elemsOf(ys), -1, 1, uint64(200+i)), ys...)
			res, err := gradcheck.Check(lg, mach, feeds, wrt...)
			require.NoError(t, err)
			require.Len(t, res, len(lg.Weights())+len(wrt))
			for _, r := range res {
				assert.Less(t, r.MaxRel, 1e-6, r.String())
			}
		})
	}
}

func elemsOf(s []int) int {
	n := 1
	for _, d := range s {
		n *= d
	}
	return n
}

func TestGradientsOfARecurrentClassifier(t *testing.T) {
	// W3 in miniature: an LSTM's last state → Dense → sparse softmax cross-entropy.
	m := nn.New("classifier")
	x := m.Input("seq", 4, 3)
	label := m.Labels("label")
	logits := x.LSTM("lstm", 4, nn.TorchInit).Dense("fc", 3)
	m.Output("logits", logits)
	m.Loss(nn.SparseCategoricalCrossEntropy("loss", logits, label, nn.FromLogits))
	g, err := m.Build()
	require.NoError(t, err)
	lg, err := passes.Lower(g, ir.ModeTrain)
	require.NoError(t, err)
	mach, err := interp.New(lg, 5)
	require.NoError(t, err)
	feeds := map[string]*interp.Tensor{
		"seq":   interp.FromData(uniformValues(3*4*3, -1, 1, 9), 3, 4, 3),
		"label": interp.FromData([]float64{2, 0, 1}, 3),
	}
	res, err := gradcheck.Check(lg, mach, feeds, "seq")
	require.NoError(t, err)
	require.Len(t, res, 7) // four LSTM parameters, the dense weight and bias, and seq
	for _, r := range res {
		assert.Less(t, r.MaxRel, 1e-6, r.String())
	}
}

// dropoutRNN is x (N, 6, 40) → LSTM(3) returning sequences, with the given options.
func dropoutRNN(t *testing.T, opts ...nn.Option) *ir.Graph {
	t.Helper()
	m := nn.New("drop", nn.Seed(11))
	m.Output("y", m.Input("x", 6, 40).LSTM("lstm", 3, append([]nn.Option{nn.ReturnSequences, nn.TorchInit}, opts...)...))
	g, err := m.Build()
	require.NoError(t, err)
	return g
}

// runLowered lowers g for mode, runs it on x with parameters from seed 1, and returns
// every value.
func runLowered(t *testing.T, g *ir.Graph, mode string, x *interp.Tensor) (*ir.Graph, []*interp.Tensor) {
	t.Helper()
	lg, err := passes.Lower(g, mode)
	require.NoError(t, err)
	m, err := interp.New(lg, 1)
	require.NoError(t, err)
	m.Step = 4
	vals, err := m.Run(map[string]*interp.Tensor{"x": x})
	require.NoError(t, err)
	return lg, vals
}

// timeSlice returns v[n, t, :] for every n of an (N, T, F) tensor.
func timeSlice(v *interp.Tensor, t int) []float64 {
	n, steps, f := v.Shape[0], v.Shape[1], v.Shape[2]
	var out []float64
	for i := range n {
		out = append(out, v.Data[(i*steps+t)*f:(i*steps+t+1)*f]...)
	}
	return out
}

func TestRecurrentInputDropout(t *testing.T) {
	const n, steps, f, rate = 5, 6, 40, 0.5
	x := interp.FromData(uniformValues(n*steps*f, -1, 1, 3), n, steps, f)
	plain := dropoutRNN(t)
	_, want := runLowered(t, plain, ir.ModeInfer, x)
	wantY := want[len(want)-1].Data

	for _, tc := range []struct {
		name        string
		opt         nn.Option
		mask        string // the (N, T, F) mask node
		variational bool
	}{
		{"with a fresh mask per step", nn.InputDropout(rate), "lstm/dropout_mask", false},
		{"with one variational mask", nn.VariationalDropout(rate), "lstm/dropout_masks", true},
	} {
		g := dropoutRNN(t, tc.opt)
		t.Run(tc.name+": inference is the layer without dropout", func(t *testing.T) {
			lg, vals := runLowered(t, g, ir.ModeInfer, x)
			assert.Nil(t, lg.ByName(tc.mask))
			assert.Equal(t, wantY, vals[lg.Outputs[0].ID].Data)
		})
		lg, vals := runLowered(t, g, ir.ModeTrain, x)
		maskNode := lg.ByName(tc.mask)
		require.NotNil(t, maskNode, tc.mask)
		mask := vals[maskNode.ID]
		require.Equal(t, []int{n, steps, f}, mask.Shape)
		t.Run(tc.name+": training keeps or scales every input by 1/(1-rate)", func(t *testing.T) {
			zeros := 0
			for _, v := range mask.Data {
				if v == 0 {
					zeros++
				} else {
					require.Equal(t, 1/(1-rate), v)
				}
			}
			frac := float64(zeros) / float64(len(mask.Data))
			// 1200 units: the dropped fraction has a standard deviation of 0.0144.
			assert.InDelta(t, rate, frac, 0.08)
		})
		if tc.variational {
			t.Run(tc.name+": training uses the same mask at every step", func(t *testing.T) {
				for s := 1; s < steps; s++ {
					assert.Equal(t, timeSlice(mask, 0), timeSlice(mask, s), "step %d", s)
				}
			})
		} else {
			t.Run(tc.name+": training draws a different mask at every step", func(t *testing.T) {
				for s := 0; s < steps; s++ {
					for u := s + 1; u < steps; u++ {
						a, b := timeSlice(mask, s), timeSlice(mask, u)
						differ := 0
						for i := range a {
							if a[i] != b[i] {
								differ++
							}
						}
						// Independent masks disagree on half of 200 units on average.
						assert.Greater(t, differ, 50, "steps %d and %d", s, u)
					}
				}
			})
		}
		t.Run(tc.name+": training equals the layer without dropout on the masked input", func(t *testing.T) {
			// If the recurrent state were dropped too, the outputs would differ.
			masked := x.Clone()
			for i := range masked.Data {
				masked.Data[i] *= mask.Data[i]
			}
			_, ref := runLowered(t, plain, ir.ModeInfer, masked)
			closeTo(t, ref[len(ref)-1].Data, vals[lg.Outputs[0].ID].Data, 1e-15, "y")
			assert.NotEqual(t, wantY, vals[lg.Outputs[0].ID].Data)
		})
	}
}

func TestRecurrentDropoutNeverReachesTheRecurrentConnection(t *testing.T) {
	for _, tc := range []struct {
		name  string
		build func(x *nn.T) *nn.T
	}{
		{"SimpleRNN", func(x *nn.T) *nn.T { return x.SimpleRNN("l", 3, nn.InputDropout(0.2)) }},
		{"LSTM, variational", func(x *nn.T) *nn.T { return x.LSTM("l", 3, nn.VariationalDropout(0.2)) }},
		{"GRU", func(x *nn.T) *nn.T { return x.GRU("l", 3, nn.InputDropout(0.2), nn.ReturnSequences) }},
		{"GRU with reset_before, variational", func(x *nn.T) *nn.T { return x.GRU("l", 3, nn.ResetBefore, nn.VariationalDropout(0.2)) }},
		{"bidirectional LSTM", func(x *nn.T) *nn.T { return x.Bidirectional("l", nn.LSTMLayer(3, nn.InputDropout(0.2)), "concat") }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := nn.New("m")
			m.Output("y", tc.build(m.Input("x", 4, 2)))
			g, err := m.Build()
			require.NoError(t, err)
			lg, err := passes.Lower(g, ir.ModeTrain)
			require.NoError(t, err)
			users := lg.Users()
			x := lg.ByName("x").ID
			masks := 0
			for _, n := range lg.Nodes {
				if n.Op != ir.OpDropoutMask {
					continue
				}
				masks++
				// mask → [Concat of copies →] Mul with the layer input x → only the
				// per-step input slices. Every path from a mask into the layer passes
				// through an x_slice, so no mask multiplies a state.
				applied := users[n.ID]
				if c := lg.Nodes[applied[0]]; c.Op == ir.OpConcat {
					// The variational mask: T copies of one (N, 1, F) mask.
					require.Len(t, applied, 4)
					for _, u := range applied {
						require.Equal(t, c.ID, u)
					}
					applied = users[c.ID]
				}
				require.Len(t, applied, 1)
				mul := lg.Nodes[applied[0]]
				require.Equal(t, ir.OpMul, mul.Op)
				assert.Equal(t, x, mul.Inputs[0])
				require.Len(t, users[mul.ID], 4, "one x_slice per step")
				for _, u := range users[mul.ID] {
					assert.Regexp(t, `^l(/forward|/reverse)?/t[0-3]/x_slice$`, lg.Nodes[u].Name)
				}
			}
			want := 1
			if strings.HasPrefix(tc.name, "bidirectional") {
				want = 2
			}
			assert.Equal(t, want, masks, "dropout masks")
		})
	}
}

// runLooped evaluates a lowered graph as a generated loop would: the nodes of every
// step k > 0 are not read from the graph at all, but computed by re-running step 0's
// nodes with their inputs resolved through the Loop's references and the x_slice
// moved to Time(k). It returns every value, indexed by node ID.
func runLooped(t *testing.T, g *ir.Graph, loops []passes.Loop, m *interp.Machine, feeds map[string]*interp.Tensor, n int) []*interp.Tensor {
	t.Helper()
	vals := make([]*interp.Tensor, len(g.Nodes))
	ctx := &interp.Ctx{N: n, Step: m.Step}
	first := map[int]*passes.Loop{}
	skip := map[int]bool{}
	for i := range loops {
		first[loops[i].Steps[0][0]] = &loops[i]
		for _, s := range loops[i].Steps {
			for _, id := range s {
				skip[id] = true
			}
		}
	}
	eval := func(node *ir.Node, ins []int) *interp.Tensor {
		in := make([]*interp.Tensor, len(ins))
		for i, id := range ins {
			require.NotNil(t, vals[id], "%s reads %s before it is computed", node.Name, g.Nodes[id].Name)
			in[i] = vals[id]
		}
		v, err := interp.Kernels[node.Op](ctx, node, in)
		require.NoError(t, err, node.Name)
		return v
	}
	for _, node := range g.Nodes {
		if l := first[node.ID]; l != nil {
			for k := range l.T() {
				for j, id := range l.Steps[0] {
					body := *g.Nodes[id] // step 0's node is the loop body
					if j == l.Slice {
						body.Attrs.Start, body.Attrs.End = l.Time(k), l.Time(k)+1
					}
					ins := make([]int, len(body.Inputs))
					for i, ref := range l.Inputs[j] {
						switch {
						case ref.Kind == passes.RefInvariant:
							ins[i] = ref.Node
						case ref.Kind == passes.RefLocal:
							ins[i] = l.Steps[k][ref.J]
						case k == 0:
							ins[i] = ref.Node
						default:
							ins[i] = l.Steps[k-1][ref.J]
						}
					}
					vals[l.Steps[k][j]] = eval(&body, ins)
				}
			}
		}
		if skip[node.ID] {
			continue
		}
		switch node.Op {
		case ir.OpInput:
			vals[node.ID] = feeds[node.Name]
		case ir.OpParam:
			vals[node.ID] = m.Params[node.ID]
		default:
			vals[node.ID] = eval(node, node.Inputs)
		}
	}
	return vals
}

func TestRecurrentLoopsDescribeEveryStepByStepZero(t *testing.T) {
	for _, tc := range []struct {
		name     string
		build    func(x *nn.T) *nn.T
		prefixes []string
		reverse  []bool
		carried  int // RefCarried inputs per step
	}{
		{"SimpleRNN", func(x *nn.T) *nn.T { return x.SimpleRNN("rnn", 3, nn.TorchInit) }, []string{"rnn"}, []bool{false}, 1},
		{"LSTM returning sequences with input dropout", func(x *nn.T) *nn.T {
			return x.LSTM("lstm", 3, nn.TorchInit, nn.ReturnSequences, nn.InputDropout(0.3))
		}, []string{"lstm"}, []bool{false}, 2},
		{"GRU", func(x *nn.T) *nn.T { return x.GRU("gru", 3, nn.TorchInit) }, []string{"gru"}, []bool{false}, 3},
		{"GRU with reset_before and no bias", func(x *nn.T) *nn.T { return x.GRU("gru", 3, nn.TorchInit, nn.ResetBefore, nn.NoBias) }, []string{"gru"}, []bool{false}, 3},
		{"bidirectional LSTM returning sequences", func(x *nn.T) *nn.T {
			return x.Bidirectional("bi", nn.LSTMLayer(3, nn.TorchInit, nn.ReturnSequences), "concat")
		}, []string{"bi/forward", "bi/reverse"}, []bool{false, true}, 2},
		{"stacked GRU and SimpleRNN", func(x *nn.T) *nn.T {
			return x.GRU("g1", 3, nn.TorchInit, nn.ReturnSequences).SimpleRNN("s2", 2, nn.TorchInit)
		}, []string{"g1", "s2"}, []bool{false, false}, 0},
	} {
		m := nn.New("m")
		m.Output("y", tc.build(m.Input("x", 5, 2)))
		g, err := m.Build()
		require.NoError(t, err)
		for _, mode := range []string{ir.ModeInfer, ir.ModeTrain} {
			t.Run(tc.name+" lowered for "+mode, func(t *testing.T) {
				lg, err := passes.Lower(g, mode)
				require.NoError(t, err)
				loops, err := passes.RecurrentLoops(lg)
				require.NoError(t, err)
				require.Len(t, loops, len(tc.prefixes))
				for i, l := range loops {
					assert.Equal(t, tc.prefixes[i], l.Prefix)
					assert.Equal(t, 5, l.T())
					assert.Equal(t, tc.reverse[i], l.Reverse)
					carried := 0
					for _, refs := range l.Inputs {
						for _, r := range refs {
							if r.Kind == passes.RefCarried {
								carried++
								assert.Contains(t, []string{ir.OpFill}, lg.Nodes[r.Node].Op, "step 0 reads the zero initial state")
							}
						}
					}
					if tc.carried > 0 {
						assert.Equal(t, tc.carried, carried, "carried inputs of %s", l.Prefix)
					}
				}

				// Running step 0's nodes T times gives what the unrolled graph gives.
				mach, err := interp.New(lg, 2)
				require.NoError(t, err)
				mach.Step = 1
				feeds := map[string]*interp.Tensor{"x": interp.FromData(uniformValues(3*5*2, -1, 1, 8), 3, 5, 2)}
				want, err := mach.Run(feeds)
				require.NoError(t, err)
				got := runLooped(t, lg, loops, mach, feeds, 3)
				out := lg.Outputs[0].ID
				assert.Equal(t, want[out].Data, got[out].Data)
			})
		}
	}
}

func TestRecurrentLoopsRejectStepsThatDiffer(t *testing.T) {
	m := nn.New("m")
	m.Output("y", m.Input("x", 4, 2).LSTM("lstm", 3))
	g, err := m.Build()
	require.NoError(t, err)
	for _, tc := range []struct {
		name   string
		tamper func(g *ir.Graph)
		want   string
	}{
		{"an attribute of one step", func(g *ir.Graph) { g.ByName("lstm/t2/f_pre").Attrs.Start = 0 },
			`node "lstm/t2/f_pre": has attributes`},
		{"an op of one step", func(g *ir.Graph) { g.ByName("lstm/t3/g").Op = ir.OpSigmoid },
			`node "lstm/t3/g": is Sigmoid "g" at step 3 but Tanh "g" at step 0`},
		{"an input slice out of order", func(g *ir.Graph) { g.ByName("lstm/t1/x_slice").Attrs.Start = 3 },
			`node "lstm/t1/x_slice": slices [3:2] at step 1, want [1:2]`},
		{"a step reading two steps back", func(g *ir.Graph) {
			g.ByName("lstm/t3/fc").Inputs[1] = g.ByName("lstm/t1/c").ID
		}, `node "lstm/t3/fc": input 1 ("lstm/t1/c") at step 3 does not match the other steps`},
		{"a missing step", func(g *ir.Graph) { g.ByName("lstm/t2/x").Name = "lstm/t7/x" },
			`recurrent loop "lstm": steps are not numbered 0 to 4: step 4 is missing`},
		{"an outside reader of an early step", func(g *ir.Graph) {
			_, err := g.Add(ir.OpIdentity, "probe", "probe", ir.Attrs{}, g.ByName("lstm/t1/h").ID)
			require.NoError(t, err)
		}, `node "lstm/t1/h": of step 1 is read by "probe" outside the loop`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			lg, err := passes.Lower(g, ir.ModeInfer)
			require.NoError(t, err)
			tc.tamper(lg)
			_, err = passes.RecurrentLoops(lg)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}

// After autodiff, the gradient nodes of step k are named "d.P/t<k>/<what>.<i>"; the
// steps strictly between the first and the last have the same nodes, which is what
// lets a generator emit the backward loop once and peel the two ends.
func TestRecurrentBackwardStepsAreIdenticalInside(t *testing.T) {
	const steps = 6
	for _, tc := range []struct {
		name  string
		build func(x *nn.T) *nn.T
	}{
		{"LSTM", func(x *nn.T) *nn.T { return x.LSTM("p", 3) }},
		{"GRU returning sequences", func(x *nn.T) *nn.T { return x.GRU("p", 3, nn.ReturnSequences) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := nn.New("m")
			m.Output("y", tc.build(m.Input("x", steps, 2)))
			g, err := m.Build()
			require.NoError(t, err)
			lg, err := passes.Lower(withWeightedSum(t, g), ir.ModeTrain)
			require.NoError(t, err)
			dg, err := passes.Autodiff(lg, "x")
			require.NoError(t, err)
			re := regexp.MustCompile(`^d\.p/t(\d+)/(.+)$`)
			sig := make([][]string, steps)
			for _, n := range dg.Nodes {
				if mm := re.FindStringSubmatch(n.Name); mm != nil {
					k, _ := strconv.Atoi(mm[1])
					a := n.Attrs
					if n.Op == ir.OpSliceGrad && strings.HasPrefix(mm[2], "x_slice.") {
						// The adjoint of the input slice places dx at time k, as
						// the forward x_slice reads it there.
						require.Equal(t, k, a.Start, n.Name)
						a.Start = 0
					}
					attrs, err := json.Marshal(a)
					require.NoError(t, err)
					sig[k] = append(sig[k], fmt.Sprintf("%s %s %s %s", mm[2], n.Op, n.Shape, attrs))
				}
			}
			require.NotEmpty(t, sig[1])
			for k := 2; k < steps-1; k++ {
				assert.Equal(t, sig[1], sig[k], "backward of step %d", k)
			}
			assert.NotEqual(t, sig[1], sig[steps-1], "the last step starts the gradient")
		})
	}
}

func TestRecurrentWorkloadModels(t *testing.T) {
	for _, tc := range []struct {
		name   string
		model  func() *nn.Model
		params map[string]ir.Shape
		loops  []string
	}{
		{"W3, an LSTM classifier", models.LSTM, map[string]ir.Shape{
			"lstm.weight_ih_l0": {256, 32}, "lstm.weight_hh_l0": {256, 64}, "lstm.bias_ih_l0": {256}, "lstm.bias_hh_l0": {256},
			"fc.weight": {10, 64}, "fc.bias": {10},
		}, []string{"lstm"}},
		{"a bidirectional GRU classifier", models.BiGRU, map[string]ir.Shape{
			"bigru.weight_ih_l0": {96, 32}, "bigru.weight_hh_l0": {96, 32}, "bigru.bias_ih_l0": {96}, "bigru.bias_hh_l0": {96},
			"bigru.weight_ih_l0_reverse": {96, 32}, "bigru.weight_hh_l0_reverse": {96, 32}, "bigru.bias_ih_l0_reverse": {96}, "bigru.bias_hh_l0_reverse": {96},
			"fc.weight": {10, 64}, "fc.bias": {10},
		}, []string{"bigru/forward", "bigru/reverse"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g, err := tc.model().Build()
			require.NoError(t, err)
			assert.Equal(t, ir.Shape{ir.Batch, 32, 32}, g.ByName("seq").Shape)
			assert.Equal(t, ir.Int, g.ByName("label").Attrs.DType)
			got := map[string]ir.Shape{}
			for _, p := range g.Params() {
				got[p.Name] = p.Shape
			}
			assert.Equal(t, tc.params, got)

			// Training: lower, differentiate and take one forward/backward pass.
			lg, err := passes.Lower(g, ir.ModeTrain)
			require.NoError(t, err)
			loops, err := passes.RecurrentLoops(lg)
			require.NoError(t, err)
			require.Len(t, loops, len(tc.loops))
			for i, l := range loops {
				assert.Equal(t, tc.loops[i], l.Prefix)
				assert.Equal(t, 32, l.T())
			}
			dg, err := passes.Autodiff(lg)
			require.NoError(t, err)
			m, err := interp.New(dg, 1)
			require.NoError(t, err)
			const batch = 2
			vals, err := m.Run(map[string]*interp.Tensor{
				"seq":   interp.FromData(uniformValues(batch*32*32, -1, 1, 1), batch, 32, 32),
				"label": interp.FromData([]float64{3, 7}, batch),
			})
			require.NoError(t, err)
			loss := vals[dg.Loss].Data[0]
			// Small initial weights give nearly uniform class probabilities.
			assert.InDelta(t, math.Log(10), loss, 0.5)
			for _, gr := range dg.Grads {
				norm := 0.0
				for _, v := range vals[gr.ID].Data {
					require.False(t, math.IsNaN(v) || math.IsInf(v, 0))
					norm += v * v
				}
				assert.Positive(t, norm, "gradient of %s", dg.Nodes[gr.Of].Name)
			}
		})
	}
}

func TestRecurrentOpsCheckTheirOperands(t *testing.T) {
	type operand struct {
		shape ir.Shape
		param bool
	}
	x := operand{ir.Shape{ir.Batch, 5, 3}, false}
	h0 := operand{ir.Shape{ir.Batch, 4}, false}
	w := func(g, in int) operand { return operand{ir.Shape{g * 4, in}, true} }
	b := func(g int) operand { return operand{ir.Shape{g * 4}, true} }
	ok := ir.Attrs{Act: "tanh", Sub: "sigmoid"}
	for _, tc := range []struct {
		name  string
		op    string
		ins   []operand
		attrs ir.Attrs
		want  string // "" when the node is valid
	}{
		{"a valid GRU", ir.OpGRU, []operand{x, w(3, 3), w(3, 4), h0, b(3), b(3)}, ok, ""},
		{"a valid LSTM returning sequences", ir.OpLSTM, []operand{x, w(4, 3), w(4, 4), h0, h0}, ir.Attrs{Act: "relu", Sub: "tanh", Extra: []int{1}}, ""},
		{"one bias only", ir.OpGRU, []operand{x, w(3, 3), w(3, 4), h0, b(3)}, ok,
			"takes (x, w_ih, w_hh, h0) and optionally (b_ih, b_hh): 4 or 6 inputs, not 5"},
		{"an LSTM without c0", ir.OpLSTM, []operand{x, w(4, 3), w(4, 4), h0}, ok, "takes 5 to 8 inputs, got 4"},
		{"a 2-D x", ir.OpSimpleRNN, []operand{{ir.Shape{ir.Batch, 3}, false}, w(1, 3), w(1, 4), h0}, ir.Attrs{Act: "tanh"},
			"x must be (N, time, features), not N×3"},
		{"w_hh with the wrong gate count", ir.OpLSTM, []operand{x, w(4, 3), w(3, 4), h0, h0}, ok, "w_hh must be (4·H, H), not 12×4"},
		{"w_ih for other features", ir.OpGRU, []operand{x, w(3, 2), w(3, 4), h0}, ok, "w_ih must be (12, 3) for 3 features and 4 units, not 12×2"},
		{"an unbatched h0", ir.OpGRU, []operand{x, w(3, 3), w(3, 4), {ir.Shape{4}, true}}, ok, "initial state h0 must be (N, 4), not 4"},
		{"a c0 of other units", ir.OpLSTM, []operand{x, w(4, 3), w(4, 4), h0, {ir.Shape{ir.Batch, 5}, false}}, ok, "initial state c0 must be (N, 4), not N×5"},
		{"a short bias", ir.OpSimpleRNN, []operand{x, w(1, 3), w(1, 4), h0, b(1), {ir.Shape{3}, true}}, ir.Attrs{Act: "tanh"}, "b_hh must be a vector of 4, not 3"},
		{"an unknown activation", ir.OpGRU, []operand{x, w(3, 3), w(3, 4), h0}, ir.Attrs{Act: "softmax", Sub: "sigmoid"}, `activation "softmax" must be`},
		{"no activation", ir.OpSimpleRNN, []operand{x, w(1, 3), w(1, 4), h0}, ir.Attrs{}, `activation "" must be`},
		{"a SimpleRNN with a gate activation", ir.OpSimpleRNN, []operand{x, w(1, 3), w(1, 4), h0}, ok, `SimpleRNN has no recurrent activation, got "sigmoid"`},
		{"an LSTM without a gate activation", ir.OpLSTM, []operand{x, w(4, 3), w(4, 4), h0, h0}, ir.Attrs{Act: "tanh"}, `recurrent activation "" must be`},
		{"a switch of 2", ir.OpGRU, []operand{x, w(3, 3), w(3, 4), h0}, ir.Attrs{Act: "tanh", Sub: "sigmoid", Extra: []int{0, 2}}, "switches are 0 or 1"},
		{"too many switches", ir.OpGRU, []operand{x, w(3, 3), w(3, 4), h0}, ir.Attrs{Act: "tanh", Sub: "sigmoid", Extra: []int{0, 0, 0, 0, 0, 0, 0}}, "more than 6 switches"},
		{"reset_before on an LSTM", ir.OpLSTM, []operand{x, w(4, 3), w(4, 4), h0, h0}, ir.Attrs{Act: "tanh", Sub: "sigmoid", Extra: []int{0, 0, 0, 1}}, "reset_before applies to GRU only"},
		{"a dropout rate of 1", ir.OpGRU, []operand{x, w(3, 3), w(3, 4), h0}, ir.Attrs{Act: "tanh", Sub: "sigmoid", Rate: 1}, "dropout rate 1 must be in [0, 1)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := ir.NewGraph("g")
			var ids []int
			for i, o := range tc.ins {
				a := ir.Attrs{Shape: o.shape, Role: ir.RoleData}
				op := ir.OpInput
				if o.param {
					op, a.Role, a.Init = ir.OpParam, ir.RoleWeight, &ir.Init{Kind: ir.InitZeros}
				}
				id, err := g.Add(op, fmt.Sprintf("in%d", i), "in", a)
				require.NoError(t, err)
				ids = append(ids, id)
			}
			_, err := g.Add(tc.op, "rnn", "rnn", tc.attrs, ids...)
			if tc.want == "" {
				require.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
			var ie *ir.Error
			require.True(t, errors.As(err, &ie))
			assert.Equal(t, "rnn", ie.Layer)
		})
	}
}

func TestRecurrentModelsSurviveAJSONRoundTrip(t *testing.T) {
	g, err := models.BiGRU().Build()
	require.NoError(t, err)
	data, err := ir.Encode(g)
	require.NoError(t, err)
	back, err := ir.Decode(data)
	require.NoError(t, err)
	assert.Equal(t, g, back)
	assert.Equal(t, []int{0, 1, 1, 0}, back.ByName("bigru/reverse").Attrs.Extra)
}
