package models_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/dlgen/dlgen/internal/torchmodels"
	"github.com/dlgen/dlgen/ir"
	"github.com/dlgen/dlgen/ir/interp"
	"github.com/dlgen/dlgen/nn"
	"github.com/dlgen/dlgen/passes"
)

// Random models against Keras. testdata/keras/random_golden.js draws ~150 small
// Keras models of the layers whose semantics dlgen takes from Keras (same, valid
// and causal padding with random non-square kernels, strides and dilation, pooling,
// transposed convolutions, UpSampling, ZeroPadding, Cropping, RepeatVector, the
// recurrent layers, Dense, Flatten, activations) with a Keras loss, runs them in
// TensorFlow.js's layers API and records each configuration with its weights,
// inputs, outputs, loss and weight gradients. This test rebuilds every
// configuration with package nn, converts Keras' layouts to dlgen's and compares
// the reference interpreter, on the lowered graphs and on those of the whole pass
// pipeline, at kerasTol. The script's header says where tfjs is not Keras and how
// the draws get round it; the one documented dlgen choice in reach, binary
// cross-entropy at the clip (docs/decisions.md "Binary cross-entropy at the
// clamp"), is kept out by the script, which drops draws whose sigmoid comes within
// 1e-6 of 0 or 1 under that loss (keras_test.go checks that case). Failures name
// the case, its description and, at the end, its whole configuration.
//
// DLGEN_KERAS_RANDOM=file runs the test on another draw of the script (a larger
// count or another seed, README "Testing"), for hunting beyond the committed cases.

const kerasRandomFile = "testdata/keras/random_golden.json"

// randomLayer is one layer of a drawn configuration, in Keras' terms (see
// random_golden.js): sizes are Keras' (kernel (kh, kw), padding ((top, bottom),
// (left, right)) for the 2-D layers).
type randomLayer struct {
	Type            string          `json:"type"`
	Name            string          `json:"name"`
	Filters         int             `json:"filters"`
	Units           int             `json:"units"`
	Kernel          json.RawMessage `json:"kernel"`
	Strides         json.RawMessage `json:"strides"`
	Dilation        json.RawMessage `json:"dilation"`
	Pool            json.RawMessage `json:"pool"`
	Size            json.RawMessage `json:"size"`
	Padding         json.RawMessage `json:"padding"`
	Cropping        json.RawMessage `json:"cropping"`
	Interpolation   string          `json:"interpolation"`
	Activation      string          `json:"activation"`
	Alpha           float64         `json:"alpha"`
	Epsilon         float64         `json:"epsilon"`
	N               int             `json:"n"`
	ReturnSequences bool            `json:"return_sequences"`
	RecurrentAct    string          `json:"recurrent_activation"`
	UseBias         *bool           `json:"use_bias"` // absent: true
	// Defaults: drawn with Keras' default arguments (filled in above), which the
	// dlgen layer is then called without.
	Defaults bool `json:"defaults"`
	// InitialState: the recurrent layer's initial states are inputs s0, s1, ...
	// (N, units), numbered over the model, h (and c) forward then backward.
	InitialState bool         `json:"initial_state"`
	Merge        string       `json:"merge"`
	Layer        *randomLayer `json:"layer"`
}

type randomConfig struct {
	Family string        `json:"family"`
	Input  []int         `json:"input"`
	Layers []randomLayer `json:"layers"`
	Loss   struct {
		Kind  string  `json:"kind"`
		Delta float64 `json:"delta"`
	} `json:"loss"`
}

type randomGolden struct {
	kerasGolden
	Config json.RawMessage `json:"config"`
}

// ints reads a JSON number or array of numbers (null: nil).
func ints(raw json.RawMessage) ([]int, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	var one int
	if json.Unmarshal(raw, &one) == nil {
		return []int{one}, nil
	}
	var many []int
	if err := json.Unmarshal(raw, &many); err == nil {
		return many, nil
	}
	var nested [][]int
	if err := json.Unmarshal(raw, &nested); err != nil {
		return nil, err
	}
	var flat []int
	for _, n := range nested {
		flat = append(flat, n...)
	}
	return flat, nil
}

// randomModel is the dlgen side of one drawn configuration: the model, and for the
// weight conversion the kind of every layer with weights and, for a Dense right
// after a Flatten, the dlgen shape (without the batch) that was flattened.
type randomModel struct {
	m           *nn.Model
	kinds       map[string]string
	flattenFrom map[string]ir.Shape
	yRank       int
}

func padding(p string) (nn.Option, error) {
	switch p {
	case "same":
		return nn.Same, nil
	case "valid":
		return nn.Valid, nil
	case "causal":
		return nn.Causal, nil
	}
	return nil, fmt.Errorf("unknown padding %q", p)
}

// recurrentOptions are the options of a drawn recurrent layer.
func recurrentOptions(l *randomLayer) ([]nn.Option, error) {
	opts := []nn.Option{nn.Act(l.Activation)}
	if l.ReturnSequences {
		opts = append(opts, nn.ReturnSequences)
	}
	if l.UseBias != nil && !*l.UseBias {
		opts = append(opts, nn.NoBias)
	}
	switch l.Type {
	case "lstm":
		return append(opts, nn.RecurrentAct(l.RecurrentAct)), nil
	case "gru":
		// tfjs' GRU is Keras' reset_after=False.
		return append(opts, nn.RecurrentAct(l.RecurrentAct), nn.ResetBefore), nil
	case "simple_rnn":
		return opts, nil
	}
	return nil, fmt.Errorf("unknown recurrent layer %q", l.Type)
}

// buildRandom builds cfg with package nn.
func buildRandom(name string, cfg randomConfig) (*randomModel, error) {
	rm := &randomModel{m: nn.New(name), kinds: map[string]string{}, flattenFrom: map[string]ir.Shape{}}
	m := rm.m
	in := cfg.Input
	var h *nn.T
	switch cfg.Family {
	case "image": // (H, W, C) → (C, H, W)
		h = m.Input("x", in[2], in[0], in[1])
	case "signal": // (L, C) → (C, L)
		h = m.Input("x", in[1], in[0])
	case "seq", "vector":
		h = m.Input("x", in...)
	default:
		return nil, fmt.Errorf("unknown family %q", cfg.Family)
	}
	var flattened ir.Shape
	nStates := 0
	// states adds the initial-state inputs of recurrent layer l (units each; two per
	// direction for an LSTM) and returns the option that passes them.
	states := func(l *randomLayer) []nn.Option {
		if !l.InitialState {
			return nil
		}
		r := l
		if l.Layer != nil {
			r = l.Layer
		}
		n := 1
		if r.Type == "lstm" {
			n = 2
		}
		if l.Layer != nil {
			n *= 2
		}
		var ts []*nn.T
		for range n {
			ts = append(ts, m.Input(fmt.Sprintf("s%d", nStates), r.Units))
			nStates++
		}
		return []nn.Option{nn.InitialState(ts...)}
	}
	for i := range cfg.Layers {
		l := &cfg.Layers[i]
		k, err := ints(l.Kernel)
		if err != nil {
			return nil, err
		}
		s, err := ints(l.Strides)
		if err != nil {
			return nil, err
		}
		d, err := ints(l.Dilation)
		if err != nil {
			return nil, err
		}
		var opts []nn.Option
		if l.Activation != "" && l.Type != "activation" {
			opts = append(opts, nn.Act(l.Activation))
		}
		if l.UseBias != nil && !*l.UseBias {
			opts = append(opts, nn.NoBias)
		}
		pad := func() error {
			var p string
			if err := json.Unmarshal(l.Padding, &p); err != nil {
				return err
			}
			o, err := padding(p)
			opts = append(opts, o)
			return err
		}
		switch l.Type {
		case "conv2d", "conv1d", "conv2d_transpose", "conv1d_transpose":
			if err := pad(); err != nil {
				return nil, err
			}
			opts = append(opts, nn.K(k...), nn.Strides(s...))
			if d != nil {
				opts = append(opts, nn.Dilation(d...))
			}
			if l.Type == "conv1d_transpose" {
				rm.kinds[l.Name] = l.Type
				h = h.Conv1DTranspose(l.Name, l.Filters, opts...)
				break
			}
			rm.kinds[l.Name] = l.Type
			switch l.Type {
			case "conv2d":
				h = h.Conv2D(l.Name, l.Filters, opts...)
			case "conv1d":
				h = h.Conv1D(l.Name, l.Filters, opts...)
			default:
				h = h.Conv2DTranspose(l.Name, l.Filters, opts...)
			}
		case "max_pool2d", "avg_pool2d", "max_pool1d", "avg_pool1d":
			p, err := ints(l.Pool)
			if err != nil {
				return nil, err
			}
			if err := pad(); err != nil {
				return nil, err
			}
			opts = append(opts, nn.K(p...))
			if s != nil { // else Keras' default, the pool size
				opts = append(opts, nn.Strides(s...))
			}
			switch l.Type {
			case "max_pool2d":
				h = h.MaxPool2D(l.Name, opts...)
			case "avg_pool2d":
				h = h.AvgPool2D(l.Name, opts...)
			case "max_pool1d":
				h = h.MaxPool1D(l.Name, opts...)
			default:
				h = h.AvgPool1D(l.Name, opts...)
			}
		case "upsampling2d":
			sz, err := ints(l.Size)
			if err != nil {
				return nil, err
			}
			interp := nn.Nearest
			if l.Interpolation == "bilinear" {
				interp = nn.Bilinear
			}
			if l.Defaults {
				h = h.UpSampling2D(l.Name)
			} else {
				h = h.UpSampling2D(l.Name, sz[0], sz[1], interp)
			}
		case "upsampling1d":
			sz, err := ints(l.Size)
			if err != nil {
				return nil, err
			}
			if l.Defaults {
				h = h.UpSampling1D(l.Name)
			} else {
				h = h.UpSampling1D(l.Name, sz...)
			}
		case "zero_padding2d", "cropping2d":
			raw := l.Padding
			if l.Type == "cropping2d" {
				raw = l.Cropping
			}
			p, err := ints(raw) // Keras' top, bottom, left, right
			if err != nil {
				return nil, err
			}
			switch {
			case l.Defaults && l.Type == "zero_padding2d":
				h = h.ZeroPadding2D(l.Name)
			case l.Defaults:
				h = h.Cropping2D(l.Name)
			case l.Type == "zero_padding2d":
				h = h.ZeroPadding2D(l.Name, p[0], p[2], p[1], p[3])
			default:
				h = h.Cropping2D(l.Name, p[0], p[2], p[1], p[3])
			}
		case "zero_padding1d":
			p, err := ints(l.Padding)
			if err != nil {
				return nil, err
			}
			if l.Defaults {
				h = h.ZeroPadding1D(l.Name)
			} else {
				h = h.ZeroPadding1D(l.Name, p...)
			}
		case "cropping1d":
			p, err := ints(l.Cropping)
			if err != nil {
				return nil, err
			}
			if l.Defaults {
				h = h.Cropping1D(l.Name)
			} else {
				h = h.Cropping1D(l.Name, p...)
			}
		case "global_avg_pool2d":
			h = h.GlobalAvgPool2D(l.Name)
		case "global_max_pool2d":
			h = h.GlobalMaxPool2D(l.Name)
		case "global_avg_pool1d":
			h = h.GlobalAvgPool1D(l.Name)
		case "global_max_pool1d":
			h = h.GlobalMaxPool1D(l.Name)
		case "flatten":
			if s := h.Shape(); s != nil { // nil after an error, which Build reports
				flattened = s[1:]
			}
			h = h.Flatten(l.Name)
			continue
		case "dense":
			rm.kinds[l.Name] = "dense"
			if flattened != nil && cfg.Family != "vector" && cfg.Family != "seq" {
				rm.flattenFrom[l.Name] = flattened
			}
			h = h.Dense(l.Name, l.Units, opts...)
		case "activation":
			h = h.Activation(l.Name, l.Activation)
		case "leaky_relu":
			h = h.Activation(l.Name, "leaky_relu", l.Alpha)
		case "repeat_vector":
			h = h.RepeatVector(l.Name, l.N)
		case "layer_normalization":
			rm.kinds[l.Name] = "layernorm"
			h = h.LayerNorm(l.Name, nn.Eps(l.Epsilon))
		case "lstm", "gru", "simple_rnn":
			ro, err := recurrentOptions(l)
			if err != nil {
				return nil, err
			}
			ro = append(ro, states(l)...)
			rm.kinds[l.Name] = l.Type
			switch l.Type {
			case "lstm":
				h = h.LSTM(l.Name, l.Units, ro...)
			case "gru":
				h = h.GRU(l.Name, l.Units, ro...)
			default:
				h = h.SimpleRNN(l.Name, l.Units, ro...)
			}
		case "bidirectional":
			ro, err := recurrentOptions(l.Layer)
			if err != nil {
				return nil, err
			}
			ro = append(ro, states(l)...)
			var r nn.Recurrent
			switch l.Layer.Type {
			case "lstm":
				r = nn.LSTMLayer(l.Layer.Units, ro...)
			case "gru":
				r = nn.GRULayer(l.Layer.Units, ro...)
			default:
				r = nn.SimpleRNNLayer(l.Layer.Units, ro...)
			}
			rm.kinds[l.Name] = "bidirectional_" + l.Layer.Type
			h = h.Bidirectional(l.Name, r, l.Merge)
		default:
			return nil, fmt.Errorf("unknown layer type %q", l.Type)
		}
		flattened = nil
	}
	if err := m.Err(); err != nil {
		return nil, err
	}
	dims := h.Shape()[1:]
	rm.yRank = len(dims) + 1
	m.Output("y", h)
	var loss *nn.T
	switch cfg.Loss.Kind {
	case "sum_y_r":
		loss = nn.Sum("loss", nn.Mul("yr", h, m.Target("r", dims...)))
	case "mean_squared_error":
		loss = nn.MSE("loss", h, m.Target("t", dims...))
	case "mean_absolute_error":
		loss = nn.MAE("loss", h, m.Target("t", dims...))
	case "huber":
		loss = nn.Huber("loss", h, m.Target("t", dims...), cfg.Loss.Delta)
	case "binary_crossentropy":
		loss = nn.BinaryCrossEntropy("loss", h, m.Target("t", dims...))
	case "categorical_crossentropy":
		loss = nn.CategoricalCrossEntropy("loss", h, m.Target("t", dims...))
	case "sparse_categorical_crossentropy":
		loss = nn.SparseCategoricalCrossEntropy("loss", h, m.Labels("label", dims[:len(dims)-1]...))
	default:
		return nil, fmt.Errorf("unknown loss %q", cfg.Loss.Kind)
	}
	m.Loss(loss)
	return rm, m.Err()
}

// layout is the Keras layout of a tensor of the given rank in a family.
func (rm *randomModel) layout(family string, rank int) string {
	switch {
	case family == "image" && rank == 4:
		return "nhwc"
	case family == "signal" && rank == 3:
		return "nlc"
	}
	return ""
}

// reshaped is t with another shape of the same size.
func reshaped(t torchmodels.Tensor, shape ...int) torchmodels.Tensor {
	return torchmodels.Tensor{Shape: shape, Data: t.Data}
}

// gatesTorchGRU reorders the row blocks of a (3H, ...) GRU matrix or (3H) bias from
// Keras' gates z, r, h to PyTorch's r, z, n.
func gatesTorchGRU(t torchmodels.Tensor) torchmodels.Tensor {
	n := len(t.Data) / 3
	out := make([]float64, 0, len(t.Data))
	for _, b := range []int{1, 0, 2} {
		out = append(out, t.Data[b*n:(b+1)*n]...)
	}
	return torchmodels.Tensor{Shape: t.Shape, Data: out}
}

// randomToDlgen maps Keras weights (or, grads true, their gradients) to dlgen's
// parameters: the kernels of kerasToDlgen, a Dense after a Flatten with its input
// rows reordered from Keras' channels-last flattening to dlgen's channels-first,
// the recurrent layers' kernels transposed (the GRU's gate blocks reordered) with
// Keras' one bias as bias_ih and a zero bias_hh (the same gradient), and a
// Bidirectional's backward weights as the "_reverse" parameters.
func randomToDlgen(t *testing.T, rm *randomModel, w map[string]torchmodels.Tensor, grads bool) map[string]torchmodels.Tensor {
	t.Helper()
	out := map[string]torchmodels.Tensor{}
	used := 0
	get := func(key string) torchmodels.Tensor {
		v, ok := w[key]
		require.True(t, ok, "no Keras weight %s", key)
		used++
		return v
	}
	// bias sets dlgen's parameter to Keras' bias of layer keras, if it has one
	// (use_bias=False leaves it out in both).
	bias := func(keras, dlgen string) {
		if _, ok := w[keras+".bias"]; ok {
			out[dlgen] = get(keras + ".bias")
		}
	}
	recurrent := func(kind, keras, dlgen, suffix string) {
		kernel := permute(get(keras+".kernel"), 1, 0)
		rec := permute(get(keras+".recurrent_kernel"), 1, 0)
		if kind == "gru" {
			kernel, rec = gatesTorchGRU(kernel), gatesTorchGRU(rec)
		}
		out[dlgen+".weight_ih_l0"+suffix] = kernel
		out[dlgen+".weight_hh_l0"+suffix] = rec
		if _, ok := w[keras+".bias"]; !ok {
			return
		}
		b := get(keras + ".bias")
		if kind == "gru" {
			b = gatesTorchGRU(b)
		}
		out[dlgen+".bias_ih_l0"+suffix] = b
		if grads {
			out[dlgen+".bias_hh_l0"+suffix] = b
		} else {
			out[dlgen+".bias_hh_l0"+suffix] = torchmodels.Tensor{Shape: b.Shape, Data: make([]float64, len(b.Data))}
		}
	}
	for name, kind := range rm.kinds {
		switch kind {
		case "conv2d", "conv2d_transpose":
			out[name+".weight"] = permute(get(name+".kernel"), 3, 2, 0, 1)
			bias(name, name+".bias")
		case "conv1d":
			out[name+".weight"] = permute(get(name+".kernel"), 2, 1, 0)
			bias(name, name+".bias")
		case "conv1d_transpose": // tfjs' 2-D kernel (1, k, out, in) → (in, out, k)
			k := get(name + ".kernel")
			out[name+".weight"] = permute(reshaped(k, k.Shape[1], k.Shape[2], k.Shape[3]), 2, 1, 0)
			bias(name, name+".bias")
		case "dense":
			k := get(name + ".kernel")
			units := k.Shape[1]
			switch from := rm.flattenFrom[name]; len(from) {
			case 0:
				k = permute(k, 1, 0)
			case 3: // Keras rows (H, W, C), dlgen (C, H, W)
				c, hh, ww := from[0], from[1], from[2]
				k = reshaped(permute(reshaped(k, hh, ww, c, units), 3, 2, 0, 1), units, c*hh*ww)
			case 2: // Keras rows (L, C), dlgen (C, L)
				c, l := from[0], from[1]
				k = reshaped(permute(reshaped(k, l, c, units), 2, 1, 0), units, c*l)
			default:
				t.Fatalf("dense %s after a flatten of %v", name, from)
			}
			out[name+".weight"] = k
			bias(name, name+".bias")
		case "layernorm":
			out[name+".weight"] = get(name + ".gamma")
			out[name+".bias"] = get(name + ".beta")
		case "lstm", "gru", "simple_rnn":
			recurrent(kind, name, name, "")
		case "bidirectional_lstm", "bidirectional_gru", "bidirectional_simple_rnn":
			inner := kind[len("bidirectional_"):]
			recurrent(inner, name+".forward", name, "")
			recurrent(inner, name+".backward", name, "_reverse")
		default:
			t.Fatalf("layer %s: unknown kind %q", name, kind)
		}
	}
	require.Equal(t, len(w), used, "every Keras weight is used")
	return out
}

func loadRandomGolden(t *testing.T) []randomGolden {
	path := filepath.Join("..", kerasRandomFile)
	if p := os.Getenv("DLGEN_KERAS_RANDOM"); p != "" {
		// Another draw of random_golden.js (a larger count or another seed), for
		// hunting bugs beyond the committed cases.
		path = p
	}
	raw, err := os.ReadFile(path)
	require.NoError(t, err)
	var file struct {
		Cases []randomGolden `json:"cases"`
	}
	require.NoError(t, json.Unmarshal(raw, &file))
	require.NotEmpty(t, file.Cases)
	return file.Cases
}

func TestKerasRandomModelsMatchKeras(t *testing.T) {
	for _, c := range loadRandomGolden(t) {
		t.Run(c.Name+"_"+c.Desc, func(t *testing.T) {
			defer func() {
				if t.Failed() {
					t.Logf("case %s config: %s", c.Name, c.Config)
				}
			}()
			var cfg randomConfig
			require.NoError(t, json.Unmarshal(c.Config, &cfg))
			rm, err := buildRandom(c.Name, cfg)
			require.NoError(t, err)
			g, err := rm.m.Build()
			require.NoError(t, err)
			for _, stage := range []string{"lowered", "compiled"} {
				t.Run(stage, func(t *testing.T) {
					var infer, train *ir.Graph
					var err error
					if stage == "lowered" {
						infer, err = passes.Lower(g, ir.ModeInfer)
						require.NoError(t, err)
						train, err = passes.Lower(g, ir.ModeTrain)
						require.NoError(t, err)
						train, err = passes.Autodiff(train)
					} else {
						infer, err = passes.Compile(g, ir.ModeInfer, passes.Config{})
						require.NoError(t, err)
						train, err = passes.Compile(g, ir.ModeTrain, passes.Config{})
					}
					require.NoError(t, err)
					checkRandomAgainstKeras(t, rm, cfg, c, infer, train)
				})
			}
		})
	}
}

func checkRandomAgainstKeras(t *testing.T, rm *randomModel, cfg randomConfig, c randomGolden, infer, train *ir.Graph) {
	params := randomToDlgen(t, rm, c.Weights, false)
	load := kerasLoader(t, params)
	feeds := kerasFeeds(t, c.kerasGolden, func(_ string, v torchmodels.Tensor) torchmodels.Tensor {
		return fromKerasLayout(v, rm.layout(cfg.Family, len(v.Shape)))
	})

	m, err := interp.New(infer, 1)
	require.NoError(t, err)
	load(m)
	vals, err := m.Run(feeds(infer))
	require.NoError(t, err)
	want := c.Outputs["y"]
	require.Len(t, want.Shape, rm.yRank, "rank of y")
	want = fromKerasLayout(want, rm.layout(cfg.Family, len(want.Shape)))
	y := vals[infer.Outputs[0].ID]
	require.Equal(t, want.Shape, []int(y.Shape), "shape of y")
	kerasClose(t, want.Data, y.Data, "output y")
	kerasClose(t, []float64{c.Loss}, vals[infer.Loss].Data, "loss")

	m, err = interp.New(train, 1)
	require.NoError(t, err)
	load(m)
	vals, err = m.Run(feeds(train))
	require.NoError(t, err)
	kerasClose(t, []float64{c.Loss}, vals[train.Loss].Data, "train loss")
	if c.Grads == nil {
		t.Logf("forward only: %s", c.NoGrads)
		return
	}
	grads := randomToDlgen(t, rm, c.Grads, true)
	checkKerasGrads(t, train, vals, grads)
}

// TestKerasRandomInvalidLayersFailCleanly breaks one layer of each drawn model at a
// time in a way Keras refuses too (a valid convolution or pooling window of 1000
// along an axis, a crop of 1000 from a side; drawn sizes stay below 400) and
// requires an error from Build that names the broken layer, never a panic or a
// model.
func TestKerasRandomInvalidLayersFailCleanly(t *testing.T) {
	broken := 0
	for _, c := range loadRandomGolden(t) {
		var cfg randomConfig
		require.NoError(t, json.Unmarshal(c.Config, &cfg))
		for i, l := range cfg.Layers {
			var p string
			_ = json.Unmarshal(l.Padding, &p)
			bad := l // a copy; the raw fields are replaced, not modified
			bad.Defaults = false
			switch {
			case (l.Type == "conv2d" || l.Type == "conv1d") && p == "valid":
				k, err := ints(l.Kernel)
				require.NoError(t, err)
				k[len(k)-1] = 1000
				bad.Kernel, _ = json.Marshal(k)
			case strings.HasSuffix(l.Type, "pool2d") && !strings.HasPrefix(l.Type, "global") && p == "valid",
				strings.HasSuffix(l.Type, "pool1d") && !strings.HasPrefix(l.Type, "global") && p == "valid":
				k, err := ints(l.Pool)
				require.NoError(t, err)
				k[0] = 1000
				if l.Type[len(l.Type)-2] == '2' {
					bad.Pool, _ = json.Marshal(k)
				} else {
					bad.Pool, _ = json.Marshal(k[0])
				}
			case l.Type == "cropping2d":
				bad.Cropping = json.RawMessage(`[[1000, 0], [0, 0]]`)
			case l.Type == "cropping1d":
				bad.Cropping = json.RawMessage(`[0, 1000]`)
			default:
				continue
			}
			mutated := cfg
			mutated.Layers = append([]randomLayer(nil), cfg.Layers...)
			mutated.Layers[i] = bad
			broken++
			name := fmt.Sprintf("%s_%s_%s", c.Name, l.Name, l.Type)
			t.Run(name, func(t *testing.T) {
				var err error
				require.NotPanics(t, func() {
					var rm *randomModel
					if rm, err = buildRandom(c.Name, mutated); err == nil {
						_, err = rm.m.Build()
					}
				})
				require.Error(t, err, "layer %s broken: %s", l.Name, c.Config)
				require.Contains(t, err.Error(), l.Name+" (", "the error names the layer")
			})
		}
	}
	require.Positive(t, broken, "no layer could be broken")
}
