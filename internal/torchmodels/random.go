package torchmodels

import (
	"encoding/json"
	"fmt"
	"os"

	"github.com/dlgen/dlgen/nn"
)

// RandomGoldenFile holds the random models of testdata/torch/random_golden.py: each
// one's configuration and what PyTorch computed for it.
const RandomGoldenFile = "testdata/torch/random_golden.json"

// RandomLayer is one layer of a random model as random_golden.py describes it: Type
// picks the nn layer, and the other fields are the arguments of its call as a user
// writes them (K is nn.K's values, Pads nn.Pads', Amounts ZeroPadding2D's, ...).
// Fields a layer does not take are zero.
type RandomLayer struct {
	Type     string    `json:"type"`
	Name     string    `json:"name"`
	Filters  int       `json:"filters,omitempty"`
	K        []int     `json:"k,omitempty"`
	Strides  []int     `json:"strides,omitempty"`
	Dilation []int     `json:"dilation,omitempty"`
	Padding  string    `json:"padding,omitempty"`
	Pads     []int     `json:"pads,omitempty"`
	OutPad   []int     `json:"outpad,omitempty"`
	Bias     bool      `json:"bias,omitempty"`
	Act      string    `json:"act,omitempty"`
	ActArg   []float64 `json:"act_arg,omitempty"`
	Size     []int     `json:"size,omitempty"`
	Bilinear bool      `json:"bilinear,omitempty"`
	Amounts  []int     `json:"amounts,omitempty"`
	Eps      float64   `json:"eps,omitempty"`
	Momentum float64   `json:"momentum,omitempty"`
	Units    int       `json:"units,omitempty"`
	Groups   int       `json:"groups,omitempty"` // conv2d, conv1d: nn.Groups
	// PReLU: one α per channel (nn.PerChannel) rather than one.
	PerChannel bool `json:"per_channel,omitempty"`
	// LayerNorm: over the last Axes axes, with γ and β when Affine (and Eps).
	Axes   int  `json:"axes,omitempty"`
	Affine bool `json:"affine,omitempty"`
	// Recurrent layers: Cell is simple_rnn, lstm or gru; Seq is ReturnSequences,
	// Bi Bidirectional (joined by Merge); InitState gives the layer the inputs h0
	// (and c0), then h0_reverse (and c0_reverse).
	Cell      string `json:"cell,omitempty"`
	Seq       bool   `json:"seq,omitempty"`
	Bi        bool   `json:"bi,omitempty"`
	Merge     string `json:"merge,omitempty"`
	InitState bool   `json:"init_state,omitempty"`
	// Merges (a skip connection): x joined by Op (add, sub, mul or concat along
	// Axis) with the earlier tensor named With ("x" or a layer's name).
	Op   string `json:"op,omitempty"`
	With string `json:"with,omitempty"`
	Axis int    `json:"axis,omitempty"`
	// Embedding: Vocab ids of Dim values, PaddingIdx if set. RepeatVector: N.
	// Reshape: Dims. Permute: Dims (from 1 after the batch). Adaptive pooling: Size.
	Vocab      int   `json:"vocab,omitempty"`
	Dim        int   `json:"dim,omitempty"`
	PaddingIdx *int  `json:"padding_idx,omitempty"`
	N          int   `json:"n,omitempty"`
	Dims       []int `json:"dims,omitempty"`
}

// RandomLoss is a random model's loss: Type is mse, mae, huber (with Delta), bce,
// bce_logits, cce, cce_logits, sce_logits, sce_probs or nll; Ignore, if set, is the
// ignore index of sce_logits and nll.
type RandomLoss struct {
	Type   string  `json:"type"`
	Delta  float64 `json:"delta,omitempty"`
	Ignore *int    `json:"ignore,omitempty"`
}

// RandomConfig describes a random model: an input "x" of shape (N, Input...), the
// layers in order, a Dense head named "head" whose output is the model's output "y",
// and the loss on it (against a float input "target" or int "labels").
type RandomConfig struct {
	Input  []int         `json:"input"`
	Batch  int           `json:"batch"`
	Layers []RandomLayer `json:"layers"`
	Head   RandomLayer   `json:"head"`
	Loss   RandomLoss    `json:"loss"`
	// How random_golden.py scaled the inputs and the parameters (not part of the
	// model, kept so that a logged configuration is complete).
	Scale      float64 `json:"scale,omitempty"`
	ParamScale float64 `json:"param_scale,omitempty"`
	// Vocab, if set, makes x token ids in [0, Vocab) (m.Indices) for an Embedding.
	Vocab int `json:"vocab,omitempty"`
}

// RandomGolden is one random model: its Golden values and its configuration.
type RandomGolden struct {
	Golden
	Config RandomConfig `json:"config"`
}

// RandomSet is what random_golden.py writes: the models, and the names of those
// whose generated code codegen's test checks (chosen by the script to show every
// layer kind, option, activation and loss any model shows).
type RandomSet struct {
	Models    []RandomGolden `json:"models"`
	Generated []string       `json:"generated"`
}

// LoadRandomGolden reads random_golden.json from path.
func LoadRandomGolden(path string) (*RandomSet, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var set RandomSet
	if err := json.Unmarshal(raw, &set); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(set.Models) == 0 || len(set.Generated) == 0 {
		return nil, fmt.Errorf("%s holds %d models, %d to generate", path, len(set.Models), len(set.Generated))
	}
	return &set, nil
}

// String is the configuration as JSON, for failure messages.
func (c RandomConfig) String() string {
	b, err := json.Marshal(c)
	if err != nil {
		return err.Error()
	}
	return string(b)
}

// Model builds the configuration with package nn as model name.
func (c RandomConfig) Model(name string) *nn.Model {
	m := nn.New(name)
	var x *nn.T
	if c.Vocab > 0 {
		x = m.Indices("x", c.Input...)
	} else {
		x = m.Input("x", c.Input...)
	}
	env := map[string]*nn.T{"x": x} // every layer's output by name, for the merges
	for _, l := range c.Layers {
		x = l.apply(m, x, env)
		env[l.Name] = x
	}
	y := c.Head.apply(m, x, env)
	m.Output("y", y)
	out := y.Shape()
	if out == nil {
		return m // the error is the model's
	}
	var loss *nn.T
	target := func() *nn.T { return m.Target("target", out[1:]...) }
	labels := func() *nn.T { return m.Labels("labels", out[1:out.Rank()-1]...) }
	var ignore []nn.Option
	if c.Loss.Ignore != nil {
		ignore = append(ignore, nn.IgnoreIndex(*c.Loss.Ignore))
	}
	switch c.Loss.Type {
	case "mse":
		loss = nn.MSE("loss", y, target())
	case "mae":
		loss = nn.MAE("loss", y, target())
	case "huber":
		loss = nn.Huber("loss", y, target(), c.Loss.Delta)
	case "bce":
		loss = nn.BinaryCrossEntropy("loss", y, target())
	case "bce_logits":
		loss = nn.BinaryCrossEntropy("loss", y, target(), nn.FromLogits)
	case "cce":
		loss = nn.CategoricalCrossEntropy("loss", y, target())
	case "cce_logits":
		loss = nn.CategoricalCrossEntropy("loss", y, target(), nn.FromLogits)
	case "sce_logits":
		loss = nn.SparseCategoricalCrossEntropy("loss", y, labels(), append([]nn.Option{nn.FromLogits}, ignore...)...)
	case "sce_probs":
		loss = nn.SparseCategoricalCrossEntropy("loss", y, labels())
	case "nll":
		loss = nn.NLLLoss("loss", y, labels(), ignore...)
	default:
		panic(fmt.Sprintf("random model %s: unknown loss %q", name, c.Loss.Type))
	}
	m.Loss(loss)
	return m
}

// apply builds layer l on x; env holds the tensors a merge may join x with.
func (l RandomLayer) apply(m *nn.Model, x *nn.T, env map[string]*nn.T) *nn.T {
	var opts []nn.Option
	if l.K != nil {
		opts = append(opts, nn.K(l.K...))
	}
	if l.Strides != nil {
		opts = append(opts, nn.Strides(l.Strides...))
	}
	if l.Dilation != nil {
		opts = append(opts, nn.Dilation(l.Dilation...))
	}
	switch l.Padding {
	case "", "valid": // the default
	case "same":
		opts = append(opts, nn.Same)
	case "full":
		opts = append(opts, nn.Full)
	case "causal":
		opts = append(opts, nn.Causal)
	case "pads":
		opts = append(opts, nn.Pads(l.Pads...))
	default:
		panic(fmt.Sprintf("layer %s: unknown padding %q", l.Name, l.Padding))
	}
	if l.OutPad != nil {
		opts = append(opts, nn.OutPad(l.OutPad...))
	}
	// Options of the layers with weights.
	act := func(opts []nn.Option) []nn.Option {
		if !l.Bias {
			opts = append(opts, nn.NoBias)
		}
		if l.Act != "" {
			opts = append(opts, nn.Act(l.Act, l.ActArg...))
		}
		return opts
	}
	if l.Groups > 0 {
		opts = append(opts, nn.Groups(l.Groups))
	}
	switch l.Type {
	case "conv2d":
		return x.Conv2D(l.Name, l.Filters, act(opts)...)
	case "conv2d_t":
		return x.Conv2DTranspose(l.Name, l.Filters, act(opts)...)
	case "conv1d":
		return x.Conv1D(l.Name, l.Filters, act(opts)...)
	case "conv1d_t":
		return x.Conv1DTranspose(l.Name, l.Filters, act(opts)...)
	case "maxpool2d":
		return x.MaxPool2D(l.Name, opts...)
	case "avgpool2d":
		return x.AvgPool2D(l.Name, opts...)
	case "maxpool1d":
		return x.MaxPool1D(l.Name, opts...)
	case "avgpool1d":
		return x.AvgPool1D(l.Name, opts...)
	case "gap2d":
		return x.GlobalAvgPool2D(l.Name)
	case "gmp2d":
		return x.GlobalMaxPool2D(l.Name)
	case "gap1d":
		return x.GlobalAvgPool1D(l.Name)
	case "gmp1d":
		return x.GlobalMaxPool1D(l.Name)
	case "upsample2d":
		args := []any{}
		for _, s := range l.Size {
			args = append(args, s)
		}
		if l.Bilinear {
			args = append(args, nn.Bilinear)
		}
		return x.UpSampling2D(l.Name, args...)
	case "upsample1d":
		return x.UpSampling1D(l.Name, l.Size...)
	case "zeropad2d":
		return x.ZeroPadding2D(l.Name, l.Amounts...)
	case "crop2d":
		return x.Cropping2D(l.Name, l.Amounts...)
	case "zeropad1d":
		return x.ZeroPadding1D(l.Name, l.Amounts...)
	case "crop1d":
		return x.Cropping1D(l.Name, l.Amounts...)
	case "batchnorm":
		return x.BatchNorm(l.Name, nn.Eps(l.Eps), nn.Momentum(l.Momentum))
	case "dense", "head":
		return x.Dense(l.Name, l.Units, act(nil)...)
	case "act":
		return x.Activation(l.Name, l.Act, l.ActArg...)
	case "flatten":
		return x.Flatten(l.Name)
	case "rnn":
		return l.recurrent(m, x)
	case "embedding":
		var opts []nn.Option
		if l.PaddingIdx != nil {
			opts = append(opts, nn.PaddingIdx(*l.PaddingIdx))
		}
		return x.Embedding(l.Name, l.Vocab, l.Dim, opts...)
	case "repeat":
		return x.RepeatVector(l.Name, l.N)
	case "reshape":
		return x.Reshape(l.Name, l.Dims...)
	case "permute":
		return x.Permute(l.Name, l.Dims...)
	case "layernorm":
		in := x.Shape()
		opts := []nn.Option{nn.NormShape(in[len(in)-l.Axes:]...), nn.Eps(l.Eps)}
		if !l.Affine {
			opts = append(opts, nn.NoAffine)
		}
		return x.LayerNorm(l.Name, opts...)
	case "prelu":
		if l.PerChannel {
			return x.PReLU(l.Name, nn.PerChannel)
		}
		return x.PReLU(l.Name)
	case "adaptive_avg2d":
		return x.AdaptiveAvgPool2D(l.Name, l.Size[0], l.Size[1])
	case "adaptive_max2d":
		return x.AdaptiveMaxPool2D(l.Name, l.Size[0], l.Size[1])
	case "merge":
		other, ok := env[l.With]
		if !ok {
			panic(fmt.Sprintf("merge %s: no tensor %q before it", l.Name, l.With))
		}
		switch l.Op {
		case "add":
			return nn.Add(l.Name, x, other)
		case "sub":
			return nn.Sub(l.Name, x, other)
		case "mul":
			return nn.Mul(l.Name, x, other)
		case "concat":
			return nn.Concat(l.Name, l.Axis, x, other)
		}
		panic(fmt.Sprintf("merge %s: unknown op %q", l.Name, l.Op))
	}
	panic(fmt.Sprintf("layer %s: unknown type %q", l.Name, l.Type))
}

// recurrent builds a recurrent layer l on x.
func (l RandomLayer) recurrent(m *nn.Model, x *nn.T) *nn.T {
	var opts []nn.Option
	if l.Seq {
		opts = append(opts, nn.ReturnSequences)
	}
	if !l.Bias {
		opts = append(opts, nn.NoBias)
	}
	if l.Act != "" {
		opts = append(opts, nn.Act(l.Act))
	}
	if l.InitState {
		var states []*nn.T
		dirs := []string{""}
		if l.Bi {
			dirs = append(dirs, "_reverse")
		}
		for _, d := range dirs {
			states = append(states, m.Input("h0"+d, l.Units))
			if l.Cell == "lstm" {
				states = append(states, m.Input("c0"+d, l.Units))
			}
		}
		opts = append(opts, nn.InitialState(states...))
	}
	var r nn.Recurrent
	switch l.Cell {
	case "simple_rnn":
		r = nn.SimpleRNNLayer(l.Units, opts...)
	case "lstm":
		r = nn.LSTMLayer(l.Units, opts...)
	case "gru":
		r = nn.GRULayer(l.Units, opts...)
	default:
		panic(fmt.Sprintf("layer %s: unknown cell %q", l.Name, l.Cell))
	}
	if l.Bi {
		return x.Bidirectional(l.Name, r, l.Merge)
	}
	switch l.Cell {
	case "simple_rnn":
		return x.SimpleRNN(l.Name, l.Units, opts...)
	case "lstm":
		return x.LSTM(l.Name, l.Units, opts...)
	}
	return x.GRU(l.Name, l.Units, opts...)
}
