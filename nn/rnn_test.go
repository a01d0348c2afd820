package nn_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dlgen/dlgen/ir"
	"github.com/dlgen/dlgen/nn"
)

func TestRecurrentLayersNameAndShapeTheirParametersAsPyTorch(t *testing.T) {
	for _, tc := range []struct {
		name   string
		build  func(x *nn.T) *nn.T
		out    ir.Shape
		params map[string]ir.Shape
	}{
		{"SimpleRNN has one gate block", func(x *nn.T) *nn.T { return x.SimpleRNN("rnn", 8) }, ir.Shape{ir.Batch, 8},
			map[string]ir.Shape{"rnn.weight_ih_l0": {8, 5}, "rnn.weight_hh_l0": {8, 8}, "rnn.bias_ih_l0": {8}, "rnn.bias_hh_l0": {8}}},
		{"LSTM has four, and returns sequences on request", func(x *nn.T) *nn.T { return x.LSTM("lstm", 6, nn.ReturnSequences) }, ir.Shape{ir.Batch, 7, 6},
			map[string]ir.Shape{"lstm.weight_ih_l0": {24, 5}, "lstm.weight_hh_l0": {24, 6}, "lstm.bias_ih_l0": {24}, "lstm.bias_hh_l0": {24}}},
		{"GRU has three, and none without bias", func(x *nn.T) *nn.T { return x.GRU("gru", 4, nn.NoBias) }, ir.Shape{ir.Batch, 4},
			map[string]ir.Shape{"gru.weight_ih_l0": {12, 5}, "gru.weight_hh_l0": {12, 4}}},
		{"Bidirectional adds the _reverse parameters and concatenates", func(x *nn.T) *nn.T {
			return x.Bidirectional("bi", nn.GRULayer(3, nn.ReturnSequences), "concat")
		}, ir.Shape{ir.Batch, 7, 6}, map[string]ir.Shape{
			"bi.weight_ih_l0": {9, 5}, "bi.weight_hh_l0": {9, 3}, "bi.bias_ih_l0": {9}, "bi.bias_hh_l0": {9},
			"bi.weight_ih_l0_reverse": {9, 5}, "bi.weight_hh_l0_reverse": {9, 3}, "bi.bias_ih_l0_reverse": {9}, "bi.bias_hh_l0_reverse": {9}}},
		{"Bidirectional sum keeps the units", func(x *nn.T) *nn.T {
			return x.Bidirectional("bi", nn.LSTMLayer(3), "sum")
		}, ir.Shape{ir.Batch, 3}, map[string]ir.Shape{
			"bi.weight_ih_l0": {12, 5}, "bi.weight_hh_l0": {12, 3}, "bi.bias_ih_l0": {12}, "bi.bias_hh_l0": {12},
			"bi.weight_ih_l0_reverse": {12, 5}, "bi.weight_hh_l0_reverse": {12, 3}, "bi.bias_ih_l0_reverse": {12}, "bi.bias_hh_l0_reverse": {12}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := nn.New("m")
			y := tc.build(m.Input("x", 7, 5))
			m.Output("y", y)
			g, err := m.Build()
			require.NoError(t, err)
			assert.Equal(t, tc.out, y.Shape())
			got := map[string]ir.Shape{}
			for _, p := range g.Params() {
				got[p.Name] = p.Shape
				assert.Equal(t, ir.RoleWeight, p.Attrs.Role, p.Name)
			}
			assert.Equal(t, tc.params, got)
		})
	}
}

func TestRecurrentLayersDefaultToKerasInitializers(t *testing.T) {
	m := nn.New("m")
	m.Output("y", m.Input("x", 7, 5).LSTM("lstm", 6))
	g, err := m.Build()
	require.NoError(t, err)
	// Glorot with torch's fans of the (4H, in) matrices, which are Keras' fans of its
	// (in, 4H) kernels; zero biases.
	assert.Equal(t, &ir.Init{Kind: ir.InitGlorotUniform, FanIn: 5, FanOut: 24}, g.ByName("lstm.weight_ih_l0").Attrs.Init)
	assert.Equal(t, &ir.Init{Kind: ir.InitOrthogonal, FanIn: 6, FanOut: 24}, g.ByName("lstm.weight_hh_l0").Attrs.Init)
	assert.Equal(t, &ir.Init{Kind: ir.InitZeros}, g.ByName("lstm.bias_ih_l0").Attrs.Init)
	assert.Equal(t, &ir.Init{Kind: ir.InitZeros}, g.ByName("lstm.bias_hh_l0").Attrs.Init)
	// Without InitialState the states are zeros, h0 and c0.
	for _, s := range []string{"lstm/h0", "lstm/c0"} {
		n := g.ByName(s)
		require.NotNil(t, n, s)
		assert.Equal(t, ir.OpFill, n.Op)
		assert.Equal(t, ir.Shape{ir.Batch, 6}, n.Shape)
		assert.Zero(t, n.Attrs.Alpha)
	}
	lstm := g.ByName("lstm")
	assert.Equal(t, "tanh", lstm.Attrs.Act)
	assert.Equal(t, "sigmoid", lstm.Attrs.Sub)
}

func TestTorchInitAndExplicitInitializers(t *testing.T) {
	m := nn.New("m")
	m.Output("y", m.Input("x", 7, 5).GRU("gru", 16, nn.TorchInit, nn.RecurrentInit("he_normal"), nn.BiasInit("const", 0.5)))
	g, err := m.Build()
	require.NoError(t, err)
	// torch.nn.GRU initialises every parameter U(±1/sqrt(hidden_size)); explicit
	// initializers win over it.
	assert.Equal(t, &ir.Init{Kind: ir.InitUniform, Value: 0.25}, g.ByName("gru.weight_ih_l0").Attrs.Init)
	assert.Equal(t, &ir.Init{Kind: ir.InitHeNormal, FanIn: 16, FanOut: 48}, g.ByName("gru.weight_hh_l0").Attrs.Init)
	assert.Equal(t, &ir.Init{Kind: ir.InitConst, Value: 0.5}, g.ByName("gru.bias_hh_l0").Attrs.Init)
}

func TestRecurrentSwitchesReachTheMacroOp(t *testing.T) {
	m := nn.New("m", nn.Seed(3))
	x := m.Input("x", 7, 5)
	a := x.GRU("gru", 4, nn.ResetBefore, nn.ReturnSequences, nn.VariationalDropout(0.25), nn.Act("relu"), nn.RecurrentAct("tanh"))
	b := x.Bidirectional("bi", nn.SimpleRNNLayer(4, nn.InputDropout(0.5), nn.Seed(9)), "ave")
	m.Output("a", a)
	m.Output("b", b)
	g, err := m.Build()
	require.NoError(t, err)

	gru := g.ByName("gru")
	assert.Equal(t, ir.OpGRU, gru.Op)
	assert.Equal(t, []int{1, 0, 1, 1}, gru.Attrs.Extra) // sequences, variational, reset before
	assert.Equal(t, "relu", gru.Attrs.Act)
	assert.Equal(t, "tanh", gru.Attrs.Sub)
	assert.Equal(t, 0.25, gru.Attrs.Rate)
	assert.NotZero(t, gru.Attrs.Seed)

	fw, bw := g.ByName("bi/forward"), g.ByName("bi/reverse")
	require.NotNil(t, fw)
	require.NotNil(t, bw)
	assert.Equal(t, []int{0, 0, 0, 0}, fw.Attrs.Extra)
	assert.Equal(t, []int{0, 1, 0, 0}, bw.Attrs.Extra)
	assert.Equal(t, uint64(9), fw.Attrs.Seed)
	assert.NotEqual(t, fw.Attrs.Seed, bw.Attrs.Seed, "the directions share a dropout stream")
	assert.Empty(t, fw.Attrs.Sub)
	ave := g.ByName("bi")
	assert.Equal(t, ir.OpScale, ave.Op)
	assert.Equal(t, 0.5, ave.Attrs.Alpha)
}

func TestRecurrentLayersReportBadUse(t *testing.T) {
	for _, tc := range []struct {
		name  string
		model func(m *nn.Model, x *nn.T) *nn.T
		want  string
		layer string
	}{
		{"a 2-D input", func(m *nn.Model, _ *nn.T) *nn.T { return m.Input("flat", 12).LSTM("lstm", 4) },
			"lstm (LSTM) on input N×12: needs an (N, time, features) input", "lstm"},
		{"a 4-D input", func(m *nn.Model, _ *nn.T) *nn.T { return m.Input("img", 1, 4, 4).GRU("gru", 4) },
			"gru (GRU) on input N×1×4×4: needs an (N, time, features) input", "gru"},
		{"zero units", func(_ *nn.Model, x *nn.T) *nn.T { return x.SimpleRNN("rnn", 0) },
			"rnn (SimpleRNN) on input N×6×3: units 0 must be positive", "rnn"},
		{"zero units in a bidirectional layer", func(_ *nn.Model, x *nn.T) *nn.T {
			return x.Bidirectional("bi", nn.GRULayer(-2), "concat")
		}, "bi (Bidirectional(GRU)) on input N×6×3: units -2 must be positive", "bi"},
		{"an unknown merge mode", func(_ *nn.Model, x *nn.T) *nn.T {
			return x.Bidirectional("bi", nn.LSTMLayer(4), "max")
		}, `bi (Bidirectional(LSTM)) on input N×6×3: merge mode "max" must be "concat", "sum", "mul" or "ave"`, "bi"},
		{"no merge mode", func(_ *nn.Model, x *nn.T) *nn.T { return x.Bidirectional("bi", nn.LSTMLayer(4), "") },
			`merge mode "" must be`, "bi"},
		{"a layer Bidirectional does not know", func(_ *nn.Model, x *nn.T) *nn.T {
			return x.Bidirectional("bi", nn.Recurrent{}, "concat")
		}, "bi (Bidirectional) on input N×6×3: needs a layer made by nn.SimpleRNNLayer, nn.LSTMLayer or nn.GRULayer", "bi"},
		{"an initial state of the wrong size", func(m *nn.Model, x *nn.T) *nn.T {
			return x.GRU("gru", 4, nn.InitialState(m.Input("h0", 5)))
		}, `gru (GRU) on input N×6×3, N×5: initial state 1 ("h0") is N×5; it must be (N, 4), the layer's units`, "gru"},
		{"an initial state of the wrong rank", func(m *nn.Model, x *nn.T) *nn.T {
			return x.SimpleRNN("rnn", 4, nn.InitialState(m.Input("h0", 1, 4)))
		}, `initial state 1 ("h0") is N×1×4; it must be (N, 4)`, "rnn"},
		{"an LSTM given only h0", func(m *nn.Model, x *nn.T) *nn.T {
			return x.LSTM("lstm", 4, nn.InitialState(m.Input("h0", 4)))
		}, "lstm (LSTM) on input N×6×3, N×4: InitialState takes 2 tensor(s) (h0, c0), got 1", "lstm"},
		{"a bidirectional GRU given one direction's state", func(m *nn.Model, x *nn.T) *nn.T {
			return x.Bidirectional("bi", nn.GRULayer(4, nn.InitialState(m.Input("h0", 4))), "sum")
		}, "InitialState takes 2 tensors (h0 forward, then backward), got 1", "bi"},
		{"a nil initial state", func(m *nn.Model, x *nn.T) *nn.T {
			return x.GRU("gru", 4, nn.InitialState(nil))
		}, "input 2 of gru (GRU) is a nil tensor", ""},
		{"int labels as the initial state", func(m *nn.Model, x *nn.T) *nn.T {
			return x.GRU("gru", 4, nn.InitialState(m.Labels("label")))
		}, `"label" holds int class labels`, "gru"},
		{"a softmax activation", func(_ *nn.Model, x *nn.T) *nn.T { return x.LSTM("lstm", 4, nn.Act("softmax")) },
			`activation nn.Act("softmax") must be tanh, sigmoid, relu or linear`, "lstm"},
		{"a leaky ReLU activation", func(_ *nn.Model, x *nn.T) *nn.T { return x.SimpleRNN("rnn", 4, nn.Act("leaky_relu", 0.1)) },
			`activation nn.Act("leaky_relu", 0.1) must be`, "rnn"},
		{"a GELU activation", func(_ *nn.Model, x *nn.T) *nn.T { return x.GRU("gru", 4, nn.Act("gelu")) },
			`activation nn.Act("gelu") must be tanh, sigmoid, relu or linear`, "gru"},
		{"an unknown recurrent activation", func(_ *nn.Model, x *nn.T) *nn.T {
			return x.GRU("gru", 4, nn.RecurrentAct("hard_sigmoid"))
		}, `recurrent activation "hard_sigmoid" must be sigmoid, tanh, relu or linear`, "gru"},
		{"a recurrent activation on a SimpleRNN", func(_ *nn.Model, x *nn.T) *nn.T {
			return x.SimpleRNN("rnn", 4, nn.RecurrentAct("sigmoid"))
		}, `option nn.RecurrentAct("sigmoid") does not apply to this layer`, "rnn"},
		{"ResetBefore on an LSTM", func(_ *nn.Model, x *nn.T) *nn.T { return x.LSTM("lstm", 4, nn.ResetBefore) },
			"option nn.ResetBefore does not apply to this layer", "lstm"},
		{"ReturnSequences on a Dense layer", func(m *nn.Model, _ *nn.T) *nn.T { return m.Input("v", 3).Dense("fc", 4, nn.ReturnSequences) },
			"option nn.ReturnSequences does not apply to this layer", "fc"},
		{"a dropout rate of 1", func(_ *nn.Model, x *nn.T) *nn.T { return x.LSTM("lstm", 4, nn.InputDropout(1)) },
			"input dropout rate 1 must be in [0, 1)", "lstm"},
		{"a negative variational dropout rate", func(_ *nn.Model, x *nn.T) *nn.T { return x.GRU("gru", 4, nn.VariationalDropout(-0.1)) },
			"input dropout rate -0.1 must be in [0, 1)", "gru"},
		{"two dropout options", func(_ *nn.Model, x *nn.T) *nn.T {
			return x.GRU("gru", 4, nn.VariationalDropout(0.1), nn.InputDropout(0.2))
		}, "option nn.InputDropout(0.2) is given twice", "gru"},
		{"an unknown recurrent initializer", func(_ *nn.Model, x *nn.T) *nn.T { return x.GRU("gru", 4, nn.RecurrentInit("orthogonalish")) },
			`unknown initializer "orthogonalish"`, "gru"},
		{"an orthogonal initializer with a value", func(_ *nn.Model, x *nn.T) *nn.T { return x.GRU("gru", 4, nn.RecurrentInit("orthogonal", 2)) },
			`initializer "orthogonal" takes no value, got 1`, "gru"},
		{"a recurrent uniform initializer without its bound", func(_ *nn.Model, x *nn.T) *nn.T { return x.LSTM("lstm", 4, nn.RecurrentInit("uniform")) },
			`initializer "uniform" takes one finite value`, "lstm"},
		{"a layer name with a slash", func(_ *nn.Model, x *nn.T) *nn.T { return x.LSTM("enc/lstm", 4) },
			"layer names may not contain '/'", "enc/lstm"},
		{"a name used twice", func(_ *nn.Model, x *nn.T) *nn.T { return x.GRU("rnn", 4, nn.ReturnSequences).GRU("rnn", 4) },
			`the name "rnn" is already used by another layer`, "rnn"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := nn.New("m")
			x := m.Input("x", 6, 3)
			var y *nn.T
			require.NotPanics(t, func() { y = tc.model(m, x) })
			m.Output("y", y)
			_, err := m.Build()
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
			var ie *ir.Error
			if tc.layer == "" {
				assert.False(t, errors.As(err, &ie), "%v", err)
				return
			}
			require.True(t, errors.As(err, &ie), "%v is not an *ir.Error", err)
			assert.Equal(t, tc.layer, ie.Layer)
		})
	}
}

func TestRecurrentLayersOnFailedOrNilTensorsDoNothing(t *testing.T) {
	var nilT *nn.T
	assert.Nil(t, nilT.LSTM("lstm", 4))
	assert.Nil(t, nilT.Bidirectional("bi", nn.GRULayer(4), "concat"))

	m := nn.New("m")
	bad := m.Input("x", 3).Dense("fc", 0) // fails
	y := bad.GRU("gru", 4).Bidirectional("bi", nn.LSTMLayer(2), "sum")
	assert.Nil(t, y.Shape())
	_, err := m.Build()
	require.Error(t, err)
	assert.True(t, strings.HasPrefix(err.Error(), "fc (Dense)"), err.Error())
}
