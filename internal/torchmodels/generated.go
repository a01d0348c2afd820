package torchmodels

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dlgen/dlgen/internal/gentest"
	"github.com/dlgen/dlgen/internal/testmod"
	"github.com/dlgen/dlgen/ir"
	"github.com/dlgen/dlgen/rt"
)

// Tolerance bounds the disagreement between generated float32 code and PyTorch's
// float64 values, element by element:
//
//	|got_i - want_i|  ≤  Tolerance · max(|want_i|, min(1, max_j |want_j|))
//
// that is, relative, and absolute below magnitude 1; but a tensor whose values are
// all small (the gradients of a deep layer, 1e-4 and less) is held to Tolerance of
// its largest value, not to an absolute 1e-4 it would meet even if it were wrong.
const Tolerance = 1e-4

// LR is the learning rate of the plain SGD step CheckGenerated takes, to check the
// weights after it against torch's parameters and gradients.
const LR = 0.125

// CheckGenerated checks a package generated (with tests) from model name (of All,
// SCE, ActModels, Conv1DModels, Embeddings, Upsample, SeqAEs, DilationModels, PadCrop, MNIST, LayerNorms, PermuteModels, GroupModels, AdaptiveModels or PReLUs) against what PyTorch computed for it: it loads
// the torch parameters into the generated Model through Params (requiring
// PyTorch's shapes), runs Predict and Loss in inference mode on the
// torch inputs and compares them with the eval outputs and eval loss; then takes one
// TrainStep with plain SGD (learning rate LR) and compares its loss with the
// train-mode loss, Grads with torch's gradients, the weights after the step with
// params - LR·grads, and the batch-norm running statistics with torch's after its
// train-mode forward. The generated API gives no train-mode outputs, so those are
// not compared. cfg is the package's gentest.Config (the generated model_test.go's
// config); the golden file of name's set is found from the module root.
func CheckGenerated(t *testing.T, cfg gentest.Config, name string) {
	checkGenerated(t, cfg, goldenOf(t, name))
}

// CheckGeneratedRandom is CheckGenerated for the random model name of
// random_golden.json (RandomGoldenFile).
func CheckGeneratedRandom(t *testing.T, cfg gentest.Config, name string) {
	set, err := LoadRandomGolden(filepath.Join(testmod.RepoRoot(t), RandomGoldenFile))
	require.NoError(t, err)
	for i := range set.Models {
		if c := &set.Models[i]; c.Name == name {
			t.Cleanup(func() {
				if t.Failed() {
					t.Logf("config of %s: %s", name, c.Config)
				}
			})
			checkGenerated(t, cfg, &c.Golden)
			return
		}
	}
	require.FailNow(t, fmt.Sprintf("no model %q in %s", name, RandomGoldenFile))
}

// checkGenerated is CheckGenerated against c.
func checkGenerated(t *testing.T, cfg gentest.Config, c *Golden) {
	g, err := ir.Decode([]byte(cfg.Graph))
	require.NoError(t, err)
	n := c.Batch
	require.LessOrEqual(t, n, cfg.MaxBatch, "torch batch")

	worst, worstWhat := 0.0, ""
	checkFloor := func(what string, want []float64, got []float32, floor float64) {
		t.Helper()
		if r := CloseFloor(t, what, want, got, floor); r > worst || worstWhat == "" {
			worst, worstWhat = r, what
		}
	}
	check := func(what string, want []float64, got []float32) {
		t.Helper()
		checkFloor(what, want, got, 0)
	}
	defer func() { t.Logf("largest error: %.3g of the tolerance, in %s", worst, worstWhat) }()

	m := cfg.New()
	params := m.Params()
	require.Len(t, params, len(c.Params), "parameters: dlgen's and torch's state_dict")
	for _, p := range params {
		want, ok := c.Params[p.Name]
		require.True(t, ok, "dlgen parameter %s has no torch value", p.Name)
		require.Equal(t, want.Shape, p.Shape, "shape of %s", p.Name)
		require.Len(t, p.Data, len(want.Data), p.Name)
		for i, v := range want.Data {
			p.Data[i] = float32(v)
		}
	}
	m.Params() // after writing through the views: Predict recomputes what it derives from them

	in := feedsOf(t, g, c)

	if cfg.Predict {
		out := map[string][]float32{}
		for _, o := range g.Outputs {
			out[o.Name] = make([]float32, n*g.Nodes[o.ID].Shape.Elems())
		}
		require.NoError(t, m.Predict(n, in, out))
		require.Len(t, c.EvalOutputs, len(g.Outputs), "outputs")
		for _, o := range g.Outputs {
			want, ok := c.EvalOutputs[o.Name]
			require.True(t, ok, "no torch eval output %s", o.Name)
			check("Predict: output "+o.Name, want, out[o.Name])
		}
	}
	if !cfg.Train {
		return
	}
	loss, err := m.Loss(n, in)
	require.NoError(t, err)
	check("Loss (inference mode)", []float64{c.EvalLoss}, []float32{loss})

	// The weights as the model holds them (torch's rounded to float32), before the step.
	before := map[string][]float32{}
	for _, p := range m.Params() {
		before[p.Name] = append([]float32(nil), p.Data...)
	}
	m.SetOptimizer(rt.SGD{LR: LR})
	loss, err = m.TrainStep(n, in)
	require.NoError(t, err)
	check("TrainStep: loss", []float64{c.Loss}, []float32{loss})
	grads := m.Grads()
	require.Len(t, grads, len(c.Grads), "gradients: dlgen's weights and torch's trainable parameters")
	largest := 0.0
	for _, g := range c.Grads {
		for _, v := range g {
			largest = math.Max(largest, math.Abs(v))
		}
	}
	weights := map[string]bool{}
	for _, gr := range grads {
		want, ok := c.Grads[gr.Name]
		require.True(t, ok, "no torch gradient for %s", gr.Name)
		checkFloor("TrainStep: gradient of "+gr.Name, want, gr.Data, gentest.FloorFraction*largest)
		weights[gr.Name] = true
	}
	states := 0
	for _, p := range m.Params() {
		if weights[p.Name] {
			want := make([]float64, len(p.Data))
			for i := range want {
				want[i] = float64(before[p.Name][i]) - LR*c.Grads[p.Name][i]
			}
			check("TrainStep: "+p.Name+" after the SGD step", want, p.Data)
			continue
		}
		require.Equal(t, ir.RoleState, g.ByName(p.Name).Attrs.Role, "%s is neither a weight nor state", p.Name)
		states++
		want, ok := c.Running[p.Name]
		require.True(t, ok, "no torch value for state %s after the step", p.Name)
		check("TrainStep: "+p.Name+" after the step", want, p.Data)
	}
	assert.Equal(t, len(c.Running), states, "running statistics compared")
}

// feedsOf is the torch inputs of c as the arguments of g's generated methods.
func feedsOf(t *testing.T, g *ir.Graph, c *Golden) gentest.Feeds {
	t.Helper()
	in := gentest.Feeds{Float: map[string][]float32{}, Int: map[string][]int32{}}
	for _, node := range g.Inputs() {
		v, ok := c.Inputs[node.Name]
		require.True(t, ok, "no torch value for input %s", node.Name)
		require.Equal(t, node.Shape.Concrete(c.Batch), v.Shape, "shape of input %s", node.Name)
		if node.Attrs.DType == ir.Int {
			x := make([]int32, len(v.Data))
			for i, f := range v.Data {
				x[i] = int32(f)
				require.Equal(t, f, float64(x[i]), "%s[%d] is not a class index", node.Name, i)
			}
			in.Int[node.Name] = x
		} else {
			in.Float[node.Name] = f32(v.Data)
		}
	}
	require.Len(t, c.Inputs, len(in.Float)+len(in.Int), "torch inputs")
	return in
}

// goldenOf loads PyTorch's values for model name, of whichever set holds it.
func goldenOf(t *testing.T, name string) *Golden {
	t.Helper()
	file, cases := GoldenFile, All
	for _, set := range []struct {
		file  string
		cases []Case
	}{{SCEGoldenFile, SCE}, {ActGoldenFile, ActModels}, {Conv1DGoldenFile, Conv1DModels}, {EmbeddingGoldenFile, Embeddings}, {UpsampleGoldenFile, Upsample}, {SeqAEGoldenFile, SeqAEs}, {DilationGoldenFile, DilationModels}, {PadCropGoldenFile, PadCrop}, {MNISTGoldenFile, MNIST}, {LayerNormGoldenFile, LayerNorms}, {PermuteGoldenFile, PermuteModels}, {GroupsGoldenFile, GroupModels}, {AdaptiveGoldenFile, AdaptiveModels}, {PReLUGoldenFile, PReLUs}} {
		for _, c := range set.cases {
			if c.Name == name {
				file, cases = set.file, set.cases
			}
		}
	}
	goldens, err := LoadGoldenOf(filepath.Join(testmod.RepoRoot(t), file), cases)
	require.NoError(t, err)
	for i := range goldens {
		if goldens[i].Name == name {
			return &goldens[i]
		}
	}
	require.FailNow(t, fmt.Sprintf("no model %q in %s", name, file))
	return nil
}

// CheckWeightsFile checks that a PyTorch state dict of model name loads into its
// generated package through the weights file: it writes torch's parameters, with
// their state_dict names and shapes, as float64 tensors of a safetensors file (what
// safetensors.torch.save_file writes for a float64 model, with each batch norm's
// int64 num_batches_tracked), loads it with LoadWeights into a new Model and compares Predict with
// PyTorch's eval outputs. It then writes the file again with the first parameter
// of more than one axis given one more axis of size 1 (a Conv1d weight (O, I, k) as
// the (O, I, 1, k) of Conv2d), which LoadWeights must refuse with an error naming
// that parameter, keeping the weights it had. newModel returns a new Model of the
// package and its LoadWeights.
func CheckWeightsFile(t *testing.T, cfg gentest.Config, name string, newModel func() (gentest.Model, func(path string) error)) {
	c := goldenOf(t, name)
	g, err := ir.Decode([]byte(cfg.Graph))
	require.NoError(t, err)
	var names []string
	for _, p := range g.Params() {
		names = append(names, p.Name)
	}
	dir := t.TempDir()
	good := filepath.Join(dir, "torch.safetensors")
	require.NoError(t, os.WriteFile(good, stateDictFile(t, c.Params, names, ""), 0o644))
	m, load := newModel()
	require.NoError(t, load(good))
	if cfg.Predict {
		in := feedsOf(t, g, c)
		out := map[string][]float32{}
		for _, o := range g.Outputs {
			out[o.Name] = make([]float32, c.Batch*g.Nodes[o.ID].Shape.Elems())
		}
		require.NoError(t, m.Predict(c.Batch, in, out))
		for _, o := range g.Outputs {
			Close(t, "Predict after LoadWeights: output "+o.Name, c.EvalOutputs[o.Name], out[o.Name])
		}
	}

	reshaped := ""
	for _, n := range names {
		if len(c.Params[n].Shape) > 1 {
			reshaped = n
			break
		}
	}
	if reshaped == "" {
		return
	}
	bad := filepath.Join(dir, "reshaped.safetensors")
	require.NoError(t, os.WriteFile(bad, stateDictFile(t, c.Params, names, reshaped), 0o644))
	before := snapshot(m)
	err = load(bad)
	require.Error(t, err, "LoadWeights of %s with an extra axis", reshaped)
	assert.Contains(t, err.Error(), fmt.Sprintf("%q", reshaped))
	assert.Equal(t, before, snapshot(m), "a refused file leaves the weights as they were")
}

// stateDictFile is a safetensors file of float64 tensors holding params, in the
// order of names, and an int64 num_batches_tracked beside each running_mean, with
// format "pt" as PyTorch's save_file writes; the tensor named
// extraAxis gets an axis of size 1 inserted before its last.
func stateDictFile(t *testing.T, params map[string]Tensor, names []string, extraAxis string) []byte {
	type entry struct {
		DType   string `json:"dtype"`
		Shape   []int  `json:"shape"`
		Offsets [2]int `json:"data_offsets"`
	}
	header := map[string]any{"__metadata__": map[string]string{"format": "pt"}}
	var data []byte
	for _, n := range names {
		p, ok := params[n]
		require.True(t, ok, "no torch value for %s", n)
		shape := slices.Clone(p.Shape)
		if n == extraAxis {
			shape = slices.Insert(shape, len(shape)-1, 1)
		}
		start := len(data)
		for _, v := range p.Data {
			data = binary.LittleEndian.AppendUint64(data, math.Float64bits(v))
		}
		header[n] = entry{"F64", shape, [2]int{start, len(data)}}
		if bn, ok := strings.CutSuffix(n, ".running_mean"); ok {
			// PyTorch's state_dict has the batch counter beside the statistics.
			start := len(data)
			data = binary.LittleEndian.AppendUint64(data, 3)
			header[bn+".num_batches_tracked"] = entry{"I64", []int{}, [2]int{start, len(data)}}
		}
	}
	h, err := json.Marshal(header)
	require.NoError(t, err)
	for len(h)%8 != 0 {
		h = append(h, ' ')
	}
	file := binary.LittleEndian.AppendUint64(nil, uint64(len(h)))
	return append(append(file, h...), data...)
}

func snapshot(m gentest.Model) [][]float32 {
	var out [][]float32
	for _, p := range m.Params() {
		out = append(out, slices.Clone(p.Data))
	}
	return out
}

// Close fails t (without stopping it) unless every element of got is within
// Tolerance of want, reporting the first few that are not. It returns the largest
// error as a fraction of the tolerance.
func Close(t testing.TB, what string, want []float64, got []float32) float64 {
	t.Helper()
	return CloseFloor(t, what, want, got, 0)
}

// CloseFloor is Close with the scale of small values at least floor:
//
//	|got_i - want_i|  ≤  Tolerance · max(|want_i|, min(1, max_j |want_j|), floor)
//
// Gradients take a floor from the largest gradient of the step (gentest.FloorFraction
// of it), as gentest's do: one that cancels exactly (a bias before a batch norm) is float32
// rounding noise of the size of the cancelled terms, not of PyTorch's ~1e-17. An
// exact match passes whatever the scale, zeros included.
func CloseFloor(t testing.TB, what string, want []float64, got []float32, floor float64) float64 {
	t.Helper()
	require.Len(t, got, len(want), "%s: length", what)
	small := 0.0
	for _, w := range want {
		small = math.Max(small, math.Abs(w))
	}
	floor = math.Max(math.Min(small, 1), floor)
	bad, worst, at := 0, 0.0, 0
	for i := range want {
		d := math.Abs(float64(got[i]) - want[i])
		r := 0.0
		if d != 0 { // 0/0 (a gradient that is zero on both sides) is a match
			r = d / (Tolerance * math.Max(math.Abs(want[i]), floor))
		}
		if !(r <= 1) {
			if bad < 5 {
				t.Errorf("%s[%d] = %.9g, torch %.9g (diff %.3g)", what, i, got[i], want[i], d)
			}
			bad++
		}
		if !(r <= worst) {
			worst, at = r, i
		}
	}
	if bad > 0 {
		t.Errorf("%s: %d of %d values differ; the worst, [%d], by %.3g times the tolerance", what, bad, len(want), at, worst)
	}
	return worst
}

func f32(x []float64) []float32 {
	y := make([]float32, len(x))
	for i, v := range x {
		y[i] = float32(v)
	}
	return y
}
