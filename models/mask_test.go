package models_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dlgen/dlgen/codegen/testdata/maskzero"
	"github.com/dlgen/dlgen/internal/torchmodels"
	"github.com/dlgen/dlgen/ir"
	"github.com/dlgen/dlgen/ir/interp"
	"github.com/dlgen/dlgen/nn"
	"github.com/dlgen/dlgen/passes"
	"github.com/dlgen/dlgen/rt"
)

// testdata/keras/mask_golden.js records Keras' (tfjs') Embedding(mask_zero=True)
// feeding SimpleRNN, LSTM, GRU (reset_after=False), Bidirectional and a stack, on
// post- and pre-padded batches of ids; MaskZeroModel builds the dlgen model of a
// case by its name.
const maskGoldenFile = "testdata/keras/mask_golden.json"

// MaskZeroModel is the dlgen model of a case of mask_golden.js: Embedding(7, 3,
// MaskZero) on (N, 5) ids, then the case's recurrent layers of 4 units, output y
// and loss sum(y·r).
func MaskZeroModel(name string) *nn.Model {
	m := nn.New(name)
	h := m.Indices("ids", 5).Embedding("embed", 7, 3, nn.MaskZero)
	var opts []nn.Option
	if strings.Contains(name, "_sequences") {
		opts = append(opts, nn.ReturnSequences)
	}
	gru := append([]nn.Option{nn.ResetBefore}, opts...)
	switch kind := name[:strings.IndexByte(name, '_')]; kind {
	case "simplernn":
		h = h.SimpleRNN("rnn", 4, opts...)
	case "lstm":
		if strings.HasPrefix(name, "lstm_gru_stacked") {
			h = h.LSTM("rnn", 4, nn.ReturnSequences).GRU("rnn2", 4, nn.ResetBefore)
		} else {
			h = h.LSTM("rnn", 4, opts...)
		}
	case "gru":
		h = h.GRU("rnn", 4, gru...)
	case "bilstm":
		h = h.Bidirectional("bi", nn.LSTMLayer(4, opts...), "concat")
	case "bigru":
		h = h.Bidirectional("bi", nn.GRULayer(4, gru...), "sum")
	case "dense":
		h = h.Dense("fc", 4, nn.Act("tanh")).LSTM("rnn", 4)
	}
	if strings.Contains(name, "_sequences") {
		// tfjs' loss sum(y·r) reads every step; in a model Keras would mask it.
		h = h.DropMask("unmasked")
	}
	return sumYR(m, h)
}

// kerasRNNToDlgen maps the Keras weights (or gradients) of a mask case to dlgen's
// parameters: the embedding as it is; Dense and recurrent kernels transposed, with GRU's gate
// blocks z, r, h reordered to PyTorch's r, z, n (LSTM's i, f, c, o already are i, f,
// g, o); Keras' one bias as bias_ih and a zero bias_hh, whose gradient is the
// bias's (it is added where bias_ih is; for GRU with reset_before, b_hn too).
func kerasRNNToDlgen(t *testing.T, w map[string]torchmodels.Tensor, grads bool) map[string]torchmodels.Tensor {
	t.Helper()
	out := map[string]torchmodels.Tensor{}
	gru := map[string]bool{}
	for key := range w {
		switch {
		case key == "embed.embeddings":
			out["embed.weight"] = w[key]
		case strings.HasSuffix(key, ".kernel"), strings.HasSuffix(key, ".recurrent_kernel"), strings.HasSuffix(key, ".bias"):
		default:
			t.Fatalf("unknown Keras weight %s", key)
		}
	}
	for key, v := range w {
		dot := strings.LastIndexByte(key, '.')
		layer, what := key[:dot], key[dot+1:]
		if layer == "embed" {
			continue
		}
		name, suffix := layer, ""
		if b, ok := strings.CutSuffix(layer, ".forward"); ok {
			name = b
		} else if b, ok := strings.CutSuffix(layer, ".backward"); ok {
			name, suffix = b, "_reverse"
		}
		if _, recurrent := w[layer+".recurrent_kernel"]; !recurrent { // a Dense
			if what == "kernel" {
				out[name+".weight"] = permute(v, 1, 0)
			} else {
				out[name+".bias"] = v
			}
			continue
		}
		// Three gate blocks in a 3·H axis are a GRU's (LSTM has four, SimpleRNN one).
		units := w[layer+".recurrent_kernel"].Shape[0]
		isGRU := w[layer+".bias"].Shape[0] == 3*units
		gru[name] = gru[name] || isGRU
		reorder := func(rows torchmodels.Tensor) torchmodels.Tensor {
			if !isGRU {
				return rows
			}
			per := len(rows.Data) / 3
			d := append(append(append([]float64(nil), rows.Data[per:2*per]...), rows.Data[:per]...), rows.Data[2*per:]...)
			return torchmodels.Tensor{Shape: rows.Shape, Data: d}
		}
		switch what {
		case "kernel":
			out[name+".weight_ih_l0"+suffix] = reorder(permute(v, 1, 0))
		case "recurrent_kernel":
			out[name+".weight_hh_l0"+suffix] = reorder(permute(v, 1, 0))
		case "bias":
			b := reorder(v)
			out[name+".bias_ih_l0"+suffix] = b
			if grads {
				out[name+".bias_hh_l0"+suffix] = b
			} else {
				out[name+".bias_hh_l0"+suffix] = torchmodels.Tensor{Shape: b.Shape, Data: make([]float64, len(b.Data))}
			}
		}
	}
	return out
}

func loadMaskGolden(t *testing.T) []kerasGolden {
	raw, err := os.ReadFile(filepath.Join("..", maskGoldenFile))
	require.NoError(t, err)
	var file struct {
		Cases []kerasGolden `json:"cases"`
	}
	require.NoError(t, json.Unmarshal(raw, &file))
	require.NotEmpty(t, file.Cases)
	return file.Cases
}

func TestMaskZeroRecurrentLayersMatchKeras(t *testing.T) {
	for _, c := range loadMaskGolden(t) {
		t.Run(c.Name+"_"+c.Desc, func(t *testing.T) {
			g := build(t, func() *nn.Model { return MaskZeroModel(c.Name) })
			infer, err := passes.Lower(g, ir.ModeInfer)
			require.NoError(t, err)
			train, err := passes.Lower(g, ir.ModeTrain)
			require.NoError(t, err)
			train, err = passes.Autodiff(train)
			require.NoError(t, err)
			checkMaskCase(t, c, infer, train)
			t.Run("compiled", func(t *testing.T) {
				infer, err := passes.Compile(g, ir.ModeInfer, passes.Config{})
				require.NoError(t, err)
				train, err := passes.Compile(g, ir.ModeTrain, passes.Config{})
				require.NoError(t, err)
				checkMaskCase(t, c, infer, train)
			})
		})
	}
}

func checkMaskCase(t *testing.T, c kerasGolden, infer, train *ir.Graph) {
	params := kerasRNNToDlgen(t, c.Weights, false)
	load := kerasLoader(t, params)
	feeds := kerasFeeds(t, c, func(_ string, v torchmodels.Tensor) torchmodels.Tensor { return v })
	m, err := interp.New(infer, 1)
	require.NoError(t, err)
	load(m)
	vals, err := m.Run(feeds(infer))
	require.NoError(t, err)
	y := infer.Outputs[0]
	require.Equal(t, c.Outputs["y"].Shape[1:], []int(vals[y.ID].Shape[1:]))
	kerasClose(t, c.Outputs["y"].Data, vals[y.ID].Data, "output y")
	kerasClose(t, []float64{c.Loss}, vals[infer.Loss].Data, "loss")

	m, err = interp.New(train, 1)
	require.NoError(t, err)
	load(m)
	vals, err = m.Run(feeds(train))
	require.NoError(t, err)
	kerasClose(t, []float64{c.Loss}, vals[train.Loss].Data, "train loss")
	grads := kerasRNNToDlgen(t, c.Grads, true)
	checkKerasGrads(t, train, vals, grads)
	if embed := train.ByName("embed.weight"); embed != nil {
		// Id 0 is read at masked steps only: its row gets exactly nothing.
		assert.Equal(t, []float64{0, 0, 0}, vals[train.GradOf(embed.ID)].Data[:3], "the padding row's gradient")
	}
}

// The generated package of case bilstm_sequences_pre (codegen/testdata/maskzero,
// float32) against Keras: Predict, Loss, and the gradients of one TrainStep.
func TestGeneratedMaskZeroPackageMatchesKeras(t *testing.T) {
	var c kerasGolden
	for _, g := range loadMaskGolden(t) {
		if g.Name == "bilstm_sequences_pre" {
			c = g
		}
	}
	require.Equal(t, "bilstm_sequences_pre", c.Name)
	gm := maskzero.New()
	params := kerasRNNToDlgen(t, c.Weights, false)
	for _, p := range gm.Params() {
		v, ok := params[p.Name]
		require.True(t, ok, "parameter %s", p.Name)
		require.Equal(t, v.Shape, p.Shape, p.Name)
		for i, x := range v.Data {
			p.Data[i] = float32(x)
		}
	}
	require.Len(t, gm.Params(), len(params))
	ids := make([]int32, len(c.Inputs["ids"].Data))
	for i, v := range c.Inputs["ids"].Data {
		ids[i] = int32(v)
	}
	r := make([]float32, len(c.Inputs["r"].Data))
	for i, v := range c.Inputs["r"].Data {
		r[i] = float32(v)
	}
	f64 := func(v []float32) []float64 {
		out := make([]float64, len(v))
		for i, x := range v {
			out[i] = float64(x)
		}
		return out
	}
	y := make([]float32, len(c.Outputs["y"].Data))
	require.NoError(t, gm.Predict(c.Batch, ids, y))
	kerasClose(t, c.Outputs["y"].Data, f64(y), "generated y")
	loss, err := gm.Loss(c.Batch, ids, r)
	require.NoError(t, err)
	kerasClose(t, []float64{c.Loss}, []float64{float64(loss)}, "generated loss")
	gm.Optimizer = rt.SGD{LR: 0}
	loss, err = gm.TrainStep(c.Batch, ids, r)
	require.NoError(t, err)
	kerasClose(t, []float64{c.Loss}, []float64{float64(loss)}, "generated train loss")
	grads := kerasRNNToDlgen(t, c.Grads, true)
	require.Len(t, gm.Grads(), len(grads))
	for _, g := range gm.Grads() {
		want, ok := grads[g.Name]
		require.True(t, ok, "gradient %s", g.Name)
		kerasClose(t, want.Data, f64(g.Data), "generated d"+g.Name)
		if g.Name == "embed.weight" {
			assert.Equal(t, []float32{0, 0, 0}, g.Data[:3], "the padding row's gradient")
		}
	}
}

// In generated code, where a sentence's padding goes does not change what the
// masked layers compute for its words, bit for bit: the bidirectional LSTM of
// codegen/testdata/maskzero gives the same outputs at the words of each sentence
// padded after or before them (shifted), and zeros at the padding.
func TestGeneratedMaskZeroIgnoresWhereThePaddingIs(t *testing.T) {
	gm := maskzero.New()
	require.NoError(t, gm.Init(3))
	sentences := [][]int32{{3, 1, 4}, {5}, {6, 2, 3, 1, 5}, {2, 2}}
	const T, W = 5, 8
	post, pre := make([]int32, 0, 4*T), make([]int32, 0, 4*T)
	for _, s := range sentences {
		pad := make([]int32, T-len(s))
		post = append(append(post, s...), pad...)
		pre = append(append(pre, pad...), s...)
	}
	yPost, yPre := make([]float32, 4*T*W), make([]float32, 4*T*W)
	require.NoError(t, gm.Predict(4, post, yPost))
	require.NoError(t, gm.Predict(4, pre, yPre))
	zero := make([]float32, W)
	for i, s := range sentences {
		shift := T - len(s)
		for j := range T {
			at := func(y []float32, step int) []float32 { return y[(i*T+step)*W : (i*T+step+1)*W] }
			if j < len(s) {
				assert.Equal(t, at(yPost, j), at(yPre, shift+j), "sentence %d, word %d", i, j)
				assert.NotEqual(t, zero, at(yPost, j))
			} else {
				assert.Equal(t, zero, at(yPost, j), "sentence %d, padding after", i)
				assert.Equal(t, zero, at(yPre, j-len(s)), "sentence %d, padding before", i)
			}
		}
	}
}
