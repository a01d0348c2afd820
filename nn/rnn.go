package nn

import (
	"fmt"
	"math"
	"strings"

	"github.com/dlgen/dlgen/ir"
	"github.com/dlgen/dlgen/rt"
)

// Recurrent layers compute what PyTorch's torch.nn.RNN, LSTM and GRU compute with
// batch_first=True, and take Keras' options and defaults:
//
//	x := m.Input("seq", 32, 16)                           // (N, T=32, F=16)
//	h := x.LSTM("lstm", 64)                               // last state (N, 64)
//	s := x.GRU("gru", 64, nn.ReturnSequences)             // every state (N, 32, 64)
//	b := x.Bidirectional("bi", nn.GRULayer(32), "concat") // (N, 64)
//
// A layer named L has PyTorch's state_dict names and layouts, so torch.nn.LSTM(F, H,
// batch_first=True) weights load unchanged: "L.weight_ih_l0" (G·H, F),
// "L.weight_hh_l0" (G·H, H), "L.bias_ih_l0" and "L.bias_hh_l0" (G·H), with G = 1, 4
// (gates i, f, g, o) or 3 (r, z, n); Bidirectional adds the same four with the
// suffix "_reverse" for the backward direction, as torch's bidirectional=True.

// Recurrent is a recurrent layer not yet applied to a tensor, as Bidirectional takes
// it: make one with SimpleRNNLayer, LSTMLayer or GRULayer.
type Recurrent struct {
	op    string
	units int
	opts  []Option
}

// SimpleRNNLayer describes a SimpleRNN for Bidirectional; see T.SimpleRNN.
func SimpleRNNLayer(units int, opts ...Option) Recurrent {
	return Recurrent{ir.OpSimpleRNN, units, opts}
}

// LSTMLayer describes an LSTM for Bidirectional; see T.LSTM.
func LSTMLayer(units int, opts ...Option) Recurrent { return Recurrent{ir.OpLSTM, units, opts} }

// GRULayer describes a GRU for Bidirectional; see T.GRU.
func GRULayer(units int, opts ...Option) Recurrent { return Recurrent{ir.OpGRU, units, opts} }

// SimpleRNN is a fully connected recurrent layer (Elman, 1990; PyTorch's RNN, Keras'
// SimpleRNN) over an (N, T, F) sequence: h_t = act(W_ih x_t + b_ih + W_hh h_{t-1} +
// b_hh), h_{-1} = 0, act tanh unless Act says "relu" (or "sigmoid", "linear"). It
// returns the last state (N, units), or with ReturnSequences every state (N, T,
// units). Options: Act, ReturnSequences, InitialState(h0), NoBias, KernelInit
// (glorot_uniform), RecurrentInit (orthogonal), BiasInit (zeros), TorchInit,
// InputDropout or VariationalDropout, Seed.
func (t *T) SimpleRNN(name string, units int, opts ...Option) *T {
	return t.recurrent(name, SimpleRNNLayer(units, opts...), false, "")
}

// LSTM is a long short-term memory layer (Hochreiter and Schmidhuber, 1997, with a
// forget gate) with PyTorch's equations and gate order i, f, g, o:
//
//	i, f, o = σ(W_i·x_t + U_i·h_{t-1} + b_i), ...   (σ: RecurrentAct, sigmoid)
//	g = tanh(W_g·x_t + U_g·h_{t-1} + b_g)             (tanh: Act)
//	c_t = f⊙c_{t-1} + i⊙g,  h_t = o⊙tanh(c_t)
//
// with b = b_ih + b_hh. Options as SimpleRNN, plus RecurrentAct, and InitialState
// takes (h0, c0). Keras' unit_forget_bias is not applied: biases start at zero (use
// BiasInit or set them after initialising).
func (t *T) LSTM(name string, units int, opts ...Option) *T {
	return t.recurrent(name, LSTMLayer(units, opts...), false, "")
}

// GRU is a gated recurrent unit (Cho et al., 2014) as PyTorch computes it, which is
// Keras' GRU with reset_after=True:
//
//	r = σ(W_ir x_t + b_ir + W_hr h_{t-1} + b_hr),  z likewise
//	n = tanh(W_in x_t + b_in + r⊙(W_hn h_{t-1} + b_hn))
//	h_t = (1-z)⊙n + z⊙h_{t-1}
//
// ResetBefore selects Keras' reset_after=False form, n = tanh(W_in x_t + b_in +
// W_hn (r⊙h_{t-1}) + b_hn) (Keras has one bias there; here it is the sum of two).
// Options as LSTM, with InitialState(h0), plus ResetBefore.
func (t *T) GRU(name string, units int, opts ...Option) *T {
	return t.recurrent(name, GRULayer(units, opts...), false, "")
}

// Bidirectional runs layer forwards and, with its own weights (suffix "_reverse"),
// backwards over the sequence, as Keras' Bidirectional and PyTorch's
// bidirectional=True. With ReturnSequences the backward outputs are put back at
// their time positions, so step t of the result joins the forward state after x_0..x_t
// with the backward state after x_{T-1}..x_t; without it the result joins the two
// final states (the backward one after x_0). merge joins them: "concat" (forward
// first, on the last axis, giving 2·units), "sum", "mul" or "ave". InitialState takes
// the forward states then the backward ones, as Keras' initial_state. Dropout masks
// differ between the directions.
func (t *T) Bidirectional(name string, layer Recurrent, merge string) *T {
	return t.recurrent(name, layer, true, merge)
}

// Recurrent-layer options.

// RecurrentFlag is an option without arguments for the recurrent layers.
type RecurrentFlag int

const (
	// ReturnSequences makes a recurrent layer return its state at every step, (N, T,
	// units), as Keras' return_sequences=True (PyTorch's output); by default it
	// returns the last one, (N, units).
	ReturnSequences RecurrentFlag = iota + 1
	// ResetBefore selects the GRU of Keras' reset_after=False (see T.GRU).
	ResetBefore
	// TorchInit initialises every weight and bias of a recurrent layer as PyTorch
	// does, uniform in ±1/sqrt(units), instead of Keras' defaults, and an
	// Embedding's weight as PyTorch's nn.Embedding, N(0, 1), instead of Keras'
	// uniform in ±0.05. KernelInit, RecurrentInit and BiasInit still override it.
	TorchInit
)

func (f RecurrentFlag) String() string {
	switch f {
	case ReturnSequences:
		return "nn.ReturnSequences"
	case ResetBefore:
		return "nn.ResetBefore"
	case TorchInit:
		return "nn.TorchInit"
	}
	return fmt.Sprintf("nn.RecurrentFlag(%d)", int(f))
}

func (f RecurrentFlag) apply(c *config) optKind {
	switch f {
	case ReturnSequences:
		c.rnn.returnSeq = true
		return optReturnSeq
	case ResetBefore:
		c.rnn.resetBefore = true
		return optResetBefore
	case TorchInit:
		c.rnn.torchInit = true
		return optTorchInit
	}
	return 0
}

type recActOpt string

// RecurrentAct sets the gate activation of an LSTM or GRU (Keras'
// recurrent_activation): "sigmoid" (the default, as both frameworks), "tanh",
// "relu" or "linear".
func RecurrentAct(name string) Option { return recActOpt(name) }

func (a recActOpt) String() string { return fmt.Sprintf("nn.RecurrentAct(%q)", string(a)) }
func (a recActOpt) apply(c *config) optKind {
	c.rnn.recAct = string(a)
	return optRecAct
}

type recInitOpt initSpec

// RecurrentInit sets the initializer of a recurrent layer's weight_hh (Keras'
// recurrent_initializer): "orthogonal" (the default, as Keras: the G·units × units
// matrix has orthonormal columns, Saxe et al., 2014) or any name KernelInit takes,
// with fans (units, G·units).
func RecurrentInit(kind string, value ...float64) Option {
	return recInitOpt{kind, append([]float64(nil), value...)}
}

func (r recInitOpt) String() string { return "nn.RecurrentInit" + initStr(initSpec(r)) }
func (r recInitOpt) apply(c *config) optKind {
	s := initSpec(r)
	c.rnn.recInit = &s
	return optRecInit
}

type dropoutOpt struct {
	rate        float64
	variational bool
}

// InputDropout drops units of a recurrent layer's input x_t while training, with a
// fresh mask at every step (Zaremba et al., 2014: dropout on the non-recurrent
// connections only); the state h is never dropped. It is Keras' dropout argument
// with a new mask per step. Seed sets the stream as for Dropout.
func InputDropout(rate float64) Option { return dropoutOpt{rate, false} }

// VariationalDropout is InputDropout with one mask for every step of a sequence
// (Gal and Ghahramani, 2016), which is what Keras' dropout argument does.
func VariationalDropout(rate float64) Option { return dropoutOpt{rate, true} }

func (d dropoutOpt) String() string {
	if d.variational {
		return fmt.Sprintf("nn.VariationalDropout(%g)", d.rate)
	}
	return fmt.Sprintf("nn.InputDropout(%g)", d.rate)
}

func (d dropoutOpt) apply(c *config) optKind {
	c.rnn.dropout, c.rnn.variational = d.rate, d.variational
	return optInDropout
}

type initialStateOpt []*T

// InitialState gives a recurrent layer its initial state instead of zeros: h0 for
// SimpleRNN and GRU, h0 and c0 for LSTM, each (N, units); for Bidirectional the
// forward states then the backward ones. States are ordinary tensors (an Input, or
// another layer's output), and gradients flow into them.
func InitialState(states ...*T) Option { return initialStateOpt(append([]*T(nil), states...)) }

func (s initialStateOpt) String() string { return fmt.Sprintf("nn.InitialState(%d tensors)", len(s)) }
func (s initialStateOpt) apply(c *config) optKind {
	c.rnn.states = s
	return optInitState
}

// rnnConfig holds the recurrent layers' options (a field of config).
type rnnConfig struct {
	returnSeq   bool
	resetBefore bool
	torchInit   bool
	recAct      string
	recInit     *initSpec
	dropout     float64
	variational bool
	states      []*T
}

// The options each recurrent layer takes.
const (
	simpleRNNOpts = optAct | optBias | optKernelInit | optBiasInit | optSeed |
		optReturnSeq | optRecInit | optInDropout | optInitState | optTorchInit
	lstmOpts = simpleRNNOpts | optRecAct
	gruOpts  = lstmOpts | optResetBefore
)

var rnnKinds = map[string]struct {
	opts   optKind
	states string // what InitialState takes
}{
	ir.OpSimpleRNN: {simpleRNNOpts, "h0"},
	ir.OpLSTM:      {lstmOpts, "h0, c0"},
	ir.OpGRU:       {gruOpts, "h0"},
}

// mergeOps are Bidirectional's merge modes (Keras' merge_mode).
var mergeOps = map[string]string{"concat": ir.OpConcat, "sum": ir.OpAdd, "mul": ir.OpMul, "ave": ir.OpAdd}

// recurrent builds layer r on t, in both directions joined by merge when bi is set.
func (t *T) recurrent(name string, r Recurrent, bi bool, merge string) *T {
	if t == nil {
		return nil
	}
	kind := r.op
	if bi {
		kind = "Bidirectional(" + r.op + ")"
	}
	spec, known := rnnKinds[r.op]
	if !known {
		l := t.begin(name, "Bidirectional", nil, 0)
		if l == nil {
			return t.failed()
		}
		return l.fail("needs a layer made by nn.SimpleRNNLayer, nn.LSTMLayer or nn.GRULayer")
	}
	// The initial states are inputs of the layer, so begin checks that they are live
	// float tensors of this model, and errors show their shapes.
	ins := []*T{t}
	for _, o := range r.opts {
		if s, ok := o.(initialStateOpt); ok {
			ins = append(ins, s...)
		}
	}
	l := t.m.begin(name, kind, r.opts, spec.opts, ins...)
	if l == nil {
		return t.failed()
	}
	c := &l.c.rnn
	x := l.shapes()[0]
	switch {
	case bi && mergeOps[merge] == "":
		return l.fail("merge mode %q must be \"concat\", \"sum\", \"mul\" or \"ave\"", merge)
	case r.units <= 0:
		return l.fail("units %d must be positive", r.units)
	case x.Rank() != 3:
		return l.fail("needs an (N, time, features) input, e.g. m.Input(%q, 32, 16) for 32 steps of 16 features", "seq")
	}
	act, ract := "tanh", ""
	if r.op != ir.OpSimpleRNN {
		ract = "sigmoid"
	}
	if l.c.seen&optAct != 0 {
		act = l.c.act
	}
	if l.c.seen&optRecAct != 0 {
		ract = c.recAct
	}
	if !ir.RNNActivations[act] || len(l.c.actArgs) > 0 {
		return l.fail("activation %s must be tanh, sigmoid, relu or linear", Act(act, l.c.actArgs...))
	}
	if ract != "" && !ir.RNNActivations[ract] {
		return l.fail("recurrent activation %q must be sigmoid, tanh, relu or linear", ract)
	}
	if c.recInit != nil && c.recInit.kind == ir.InitOrthogonal {
		if len(c.recInit.args) > 0 {
			return l.fail("initializer %q takes no value, got %d", ir.InitOrthogonal, len(c.recInit.args))
		}
	} else if c.recInit != nil {
		k, err := initKind(c.recInit)
		if err != nil {
			return l.fail("%v", err)
		}
		c.recInit.kind = k
	}
	if !(c.dropout >= 0 && c.dropout < 1) {
		return l.fail("input dropout rate %g must be in [0, 1)", c.dropout)
	}
	dirs := 1
	if bi {
		dirs = 2
	}
	perDir := 1
	if r.op == ir.OpLSTM {
		perDir = 2
	}
	if n := len(c.states); n > 0 && n != perDir*dirs {
		if dirs == 2 {
			return l.fail("InitialState takes %d tensors (%s forward, then backward), got %d", perDir*dirs, spec.states, n)
		}
		return l.fail("InitialState takes %d tensor(s) (%s), got %d", perDir, spec.states, n)
	}
	for i, s := range l.shapes()[1:] {
		if !s.Equal(ir.Shape{ir.Batch, r.units}) {
			return l.fail("initial state %d (%q) is %s; it must be (N, %d), the layer's units", i+1, l.in[i+1].Name(), s, r.units)
		}
	}

	mask := -1
	mk := l.m.masks[t.id]
	if mk != nil {
		if len(c.states) > 0 {
			// Keras' output at a padded step before any word would be zeros, not the
			// given state: not the one semantics the lowering implements.
			return l.fail("takes no InitialState when its input carries the step mask of Embedding %q (nn.MaskZero)", mk.layer)
		}
		mask = l.stepMask(mk, r.units)
	}
	// Keras' Bidirectional zeroes a masked step's output when it returns sequences.
	zero := bi && c.returnSeq
	out := func(id int) *T {
		y := l.result(id)
		if mk != nil && c.returnSeq && y.id >= 0 {
			l.m.masks[y.id] = mk // Keras passes the mask on with the sequence
		}
		return y
	}
	if !bi {
		return out(l.direction(r.op, "", "", x, r.units, act, ract, 0, mask, zero))
	}
	fw := l.direction(r.op, "forward", "", x, r.units, act, ract, 0, mask, zero)
	bw := l.direction(r.op, "reverse", "_reverse", x, r.units, act, ract, perDir, mask, zero)
	if l.m.err != nil {
		return l.m.failed()
	}
	switch merge {
	case "concat":
		return out(l.op(ir.OpConcat, "", ir.Attrs{Axis: l.m.g.Nodes[fw].Shape.Rank() - 1}, fw, bw))
	case "ave":
		s := l.op(ir.OpAdd, "sum", ir.Attrs{}, fw, bw)
		return out(l.op(ir.OpScale, "", ir.Attrs{Alpha: 0.5}, s))
	}
	return out(l.op(mergeOps[merge], "", ir.Attrs{}, fw, bw))
}

// recurrentKind reports whether a layer kind is one that honours a step mask.
func recurrentKind(kind string) bool {
	_, ok := rnnKinds[kind]
	return ok || strings.HasPrefix(kind, "Bidirectional(")
}

// stepMask returns the recurrent op's mask input (N, T, units): 1 at a word, 0 at a
// padding step, the same for every unit. It is the Embedding of the ids into a
// constant column (row 0 zero, every other row one), so that it needs no op of its
// own and no gradient flows into it, repeated over the units by a Concat (the
// column, V values, is cheaper to fill per call than a (V, units) table).
func (l *builder) stepMask(mk *stepMask, units int) int {
	table := l.op(ir.OpFill, "mask_pad_row", ir.Attrs{Shape: ir.Shape{1, 1}})
	if mk.vocab > 1 {
		words := l.op(ir.OpFill, "mask_word_rows", ir.Attrs{Shape: ir.Shape{mk.vocab - 1, 1}, Alpha: 1})
		table = l.op(ir.OpConcat, "mask_table", ir.Attrs{Axis: 0}, table, words)
	}
	col := l.op(ir.OpEmbedding, "mask_steps", ir.Attrs{}, mk.ids, table) // (N, T, 1)
	copies := make([]int, units)
	for i := range copies {
		copies[i] = col
	}
	return l.op(ir.OpConcat, "mask", ir.Attrs{Axis: 2}, copies...)
}

func (l *builder) direction(op, dir, suffix string, x ir.Shape, units int, act, ract string, state, mask int, zero bool) int {
	c := &l.c.rnn
	g := ir.RNNGates(op)
	f := x[2]
	node := l.name
	sub := func(s string) string { return s }
	if dir != "" {
		node += "/" + dir
		sub = func(s string) string { return dir + "/" + s }
	}
	pick := func(s *initSpec, keras string, fanIn, fanOut int) *ir.Init {
		if s == nil && c.torchInit {
			// torch.nn.RNNBase.reset_parameters: every parameter U(±1/sqrt(hidden_size)).
			return &ir.Init{Kind: ir.InitUniform, Value: 1 / math.Sqrt(float64(units))}
		}
		return irInit(s, keras, fanIn, fanOut)
	}
	// Fans as torch.nn.init computes them for a (G·H, in) matrix, which are Keras'
	// for its (in, G·H) kernel.
	wih := l.param("weight_ih_l0"+suffix, ir.Shape{g * units, f}, ir.RoleWeight, pick(l.c.kernelInit, ir.InitGlorotUniform, f, g*units))
	recInit := pick(c.recInit, ir.InitOrthogonal, units, g*units)
	if recInit.Kind == ir.InitOrthogonal {
		// irInit gives fans to the fan-scaled kinds only; orthogonal reads fan_in as
		// the number of columns.
		recInit.FanIn, recInit.FanOut = units, g*units
	}
	whh := l.param("weight_hh_l0"+suffix, ir.Shape{g * units, units}, ir.RoleWeight, recInit)
	ins := []int{l.x(0), wih, whh}
	states := 1
	if op == ir.OpLSTM {
		states = 2
	}
	for i := range states {
		if len(c.states) > 0 {
			ins = append(ins, l.x(1+state+i))
			continue
		}
		ins = append(ins, l.op(ir.OpFill, sub([]string{"h0", "c0"}[i]), ir.Attrs{Shape: ir.Shape{ir.Batch, units}}))
	}
	if !l.c.noBias {
		for _, p := range []string{"bias_ih_l0", "bias_hh_l0"} {
			ins = append(ins, l.param(p+suffix, ir.Shape{g * units}, ir.RoleWeight, pick(l.c.biasInit, ir.InitZeros, g*units, g*units)))
		}
	}
	a := ir.Attrs{Act: act, Sub: ract, Extra: make([]int, 4)}
	if mask >= 0 {
		ins = append(ins, mask)
		a.Extra = append(a.Extra, 1, 0)
		if zero {
			a.Extra[ir.RNNZeroMasked] = 1
		}
	}
	if c.returnSeq {
		a.Extra[ir.RNNReturnSequences] = 1
	}
	if dir == "reverse" {
		a.Extra[ir.RNNReverse] = 1
	}
	if c.resetBefore {
		a.Extra[ir.RNNResetBefore] = 1
	}
	if c.dropout > 0 {
		a.Rate = c.dropout
		if c.variational {
			a.Extra[ir.RNNVariational] = 1
		}
		// As Dropout: the stream depends on the model seed and the node's name, or on
		// the Seed option (and the direction).
		a.Seed = rt.Bits(l.m.seed, rt.NameStream(node), 0)
		if l.c.seen&optSeed != 0 {
			a.Seed = l.c.seed
			if dir == "reverse" {
				a.Seed = rt.Bits(l.c.seed, rt.NameStream("reverse"), 0)
			}
		}
	}
	if dir == "" {
		return l.op(op, "", a, ins...)
	}
	return l.op(op, dir, a, ins...)
}
