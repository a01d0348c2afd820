package codegen

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dlgen/dlgen/ir"
	"github.com/dlgen/dlgen/nn"
)

// recurrentModels cover every recurrent layer and the ways it can be read: the last
// state, the whole sequence (by a stacked layer, by the loss, through a
// bidirectional merge), input and variational dropout, initial states computed by
// other layers, GRU without bias and with the reset gate before the product. Their
// time steps are loops in the generated code (TestRecurrentCodeLoopsOverTime), and
// their generated tests compare them with the interpreter.
var recurrentModels = []struct {
	pkg   string
	model func(t int) *nn.Model
}{
	{"simplernn", func(t int) *nn.Model {
		m := nn.New("simplernn")
		x := m.Input("x", t, 3)
		logits := x.SimpleRNN("rnn", 5, nn.TorchInit).Dense("fc", 4)
		m.Output("probs", logits.Softmax("probs"))
		m.Loss(nn.SparseCategoricalCrossEntropy("loss", logits, m.Labels("label"), nn.FromLogits))
		return m
	}},
	{"lstmstack", func(t int) *nn.Model {
		m := nn.New("lstmstack")
		x := m.Input("x", t, 3)
		h := x.LSTM("l1", 5, nn.ReturnSequences, nn.InputDropout(0.25)).LSTM("l2", 4, nn.TorchInit)
		logits := h.Dense("fc", 3)
		m.Output("probs", logits.Softmax("probs"))
		m.Loss(nn.SparseCategoricalCrossEntropy("loss", logits, m.Labels("label"), nn.FromLogits))
		return m
	}},
	// Wide enough for rt.LSTMCell's vector kernels (16 and 17 cells), without a
	// bias, and with a ReLU cell activation, which is not fused (fuse_lstm.go).
	{"lstmwide", func(t int) *nn.Model {
		m := nn.New("lstmwide")
		x := m.Input("x", t, 3)
		h := x.LSTM("l1", 16, nn.ReturnSequences, nn.NoBias, nn.TorchInit).LSTM("l2", 17, nn.TorchInit).
			Reshape("r", 17, 1).LSTM("l3", 3, nn.Act("relu"), nn.TorchInit)
		logits := h.Dense("fc", 3)
		m.Output("probs", logits.Softmax("probs"))
		m.Loss(nn.SparseCategoricalCrossEntropy("loss", logits, m.Labels("label"), nn.FromLogits))
		return m
	}},
	{"gru", func(t int) *nn.Model {
		m := nn.New("gru")
		x := m.Input("x", t, 3)
		h := x.GRU("g1", 4, nn.ReturnSequences, nn.TorchInit).GRU("g2", 5, nn.ResetBefore, nn.NoBias, nn.TorchInit)
		logits := h.Dense("fc", 3)
		m.Output("probs", logits.Softmax("probs"))
		m.Loss(nn.SparseCategoricalCrossEntropy("loss", logits, m.Labels("label"), nn.FromLogits))
		return m
	}},
	{"bidir", func(t int) *nn.Model {
		m := nn.New("bidir")
		x := m.Input("x", t, 3)
		h := x.Bidirectional("bl", nn.LSTMLayer(4, nn.ReturnSequences, nn.TorchInit), "concat").
			Bidirectional("bg", nn.GRULayer(3, nn.VariationalDropout(0.2), nn.TorchInit), "sum")
		logits := h.Dense("fc", 3)
		m.Output("probs", logits.Softmax("probs"))
		m.Loss(nn.SparseCategoricalCrossEntropy("loss", logits, m.Labels("label"), nn.FromLogits))
		return m
	}},
	{"seq2seq", func(t int) *nn.Model {
		// The loss reads every step: the gradient enters each backward step through
		// its block of dy.
		m := nn.New("seq2seq")
		x := m.Input("x", t, 3)
		ctx := m.Input("ctx", 2)
		h0, c0 := ctx.Dense("init_h", 4), ctx.Dense("init_c", 4)
		y := x.LSTM("enc", 4, nn.ReturnSequences, nn.InitialState(h0, c0), nn.TorchInit).
			Bidirectional("dec", nn.SimpleRNNLayer(4, nn.ReturnSequences, nn.TorchInit), "sum")
		m.Output("y", y)
		m.Loss(nn.MSE("loss", y, m.Target("target", t, 4)))
		return m
	}},
}

// sliceSumGraph has a weight read through two slices that do not cover it, so its
// gradient is a sum of SliceGrads computed in place over a zeroed buffer.
func sliceSumGraph() (*ir.Graph, error) {
	b := newGB("slicesum")
	x := b.input("x", ir.RoleData, "", 2)
	w := b.param("w", "w", ir.RoleWeight, ir.Init{Kind: ir.InitUniform, Value: 1}, 6)
	lo := b.add(ir.OpSlice, "w/lo", "w", ir.Attrs{Axis: 0, Start: 0, End: 2}, w)
	hi := b.add(ir.OpSlice, "w/hi", "w", ir.Attrs{Axis: 0, Start: 3, End: 5}, w)
	y := b.add(ir.OpBiasAdd, "y/lo", "y", ir.Attrs{}, x, lo)
	y = b.add(ir.OpTanh, "y/tanh", "y", ir.Attrs{}, y)
	y = b.add(ir.OpBiasAdd, "y/hi", "y", ir.Attrs{}, y, hi)
	t := b.input("target", ir.RoleTarget, "", 2)
	loss := b.add(ir.OpMSELoss, "loss", "loss", ir.Attrs{}, y, t)
	b.g.Outputs = []ir.Output{{Name: "y", ID: y}}
	b.g.Loss = loss
	return b.build()
}

func TestRecurrentCodeLoopsOverTime(t *testing.T) {
	for _, rm := range recurrentModels {
		t.Run(rm.pkg+" has one loop per direction and pass, whatever the length", func(t *testing.T) {
			sizes := map[string][]int{}
			for _, steps := range []int{6, 40} {
				g, err := rm.model(steps).Build()
				require.NoError(t, err)
				files, err := Generate(g, Options{Package: rm.pkg, MaxBatch: 4, Train: true})
				require.NoError(t, err)
				for _, f := range files {
					if f.Name != "predict.go" && f.Name != "train.go" {
						continue
					}
					assert.Contains(t, string(f.Data), "for step := ", f.Name)
					sizes[f.Name] = append(sizes[f.Name], bytes.Count(f.Data, []byte("\n")))
				}
			}
			for name, s := range sizes {
				assert.Equal(t, s[0], s[1], "lines of %s at 6 and 40 steps", name)
			}
		})
	}
}

func TestSumsOfSliceGradientsAreWrittenInPlace(t *testing.T) {
	g, err := sliceSumGraph()
	require.NoError(t, err)
	files, err := Generate(g, Options{Package: "slicesum", MaxBatch: 4, Train: true})
	require.NoError(t, err)
	var train string
	for _, f := range files {
		if f.Name == "train.go" {
			train = string(f.Data)
		}
	}
	// The first SliceGrad zeroes the gradient (columns 2 and 5 are not covered),
	// both write straight into it, and the Add is no code.
	assert.Contains(t, train, "d.w/lo.1: SliceGrad 6")
	assert.Contains(t, train, "Add 6: written in place by its SliceGrads, no code")
	assert.Equal(t, 2, strings.Count(train, "m.wGrad[:], "), "the two SliceGrads write the gradient array:\n%s", train)
}

// TestRecurrentModelsMatchTheInterpreter generates the recurrent models (and the
// slice-sum graph) into a temporary directory inside the module and runs their
// generated tests: outputs, loss, gradients and SGD steps against the interpreter at
// batch sizes 1, 7 and 8, and zero allocations.
func TestRecurrentModelsMatchTheInterpreter(t *testing.T) {
	if testing.Short() {
		t.Skip("generates and tests a package per model")
	}
	root, err := os.MkdirTemp("testdata", "_rnn")
	require.NoError(t, err)
	t.Cleanup(func() { os.RemoveAll(root) })
	write := func(pkg string, g *ir.Graph) string {
		files, err := Generate(g, Options{Package: pkg, MaxBatch: 8, Train: true, Tests: true})
		require.NoError(t, err, pkg)
		dir := filepath.Join(root, pkg)
		require.NoError(t, os.MkdirAll(dir, 0o755))
		for _, f := range files {
			require.NoError(t, os.WriteFile(filepath.Join(dir, f.Name), f.Data, 0o644))
		}
		return "./" + dir
	}
	var pkgs []string
	for _, rm := range recurrentModels {
		g, err := rm.model(7).Build()
		require.NoError(t, err, rm.pkg)
		pkgs = append(pkgs, write(rm.pkg, g))
	}
	g, err := sliceSumGraph()
	require.NoError(t, err)
	pkgs = append(pkgs, write("slicesum", g))
	for _, args := range [][]string{append([]string{"vet"}, pkgs...), append([]string{"test", "-count=1"}, pkgs...)} {
		out, err := exec.Command("go", args...).CombinedOutput()
		require.NoError(t, err, "go %s:\n%s", args[0], out)
	}
}

// TestALongLSTMGeneratesSmallAndBuildsFast is issue 4's size check: an LSTM over 256
// steps of 128 units (training included) generates in well under 20 s into less than
// 1 MB of Go, and builds. It logs the figures recorded in PERF.md.
func TestALongLSTMGeneratesSmallAndBuildsFast(t *testing.T) {
	if testing.Short() {
		t.Skip("generates and builds a 256-step LSTM")
	}
	m := nn.New("lstm256")
	x := m.Input("seq", 256, 32)
	logits := x.LSTM("lstm", 128).Dense("fc", 10)
	m.Output("probs", logits.Softmax("probs"))
	m.Loss(nn.SparseCategoricalCrossEntropy("loss", logits, m.Labels("label"), nn.FromLogits))
	g, err := m.Build()
	require.NoError(t, err)

	start := time.Now()
	files, err := Generate(g, Options{Package: "lstm256", MaxBatch: 16, Train: true, Tests: true})
	require.NoError(t, err)
	generated := time.Since(start)
	dir, err := os.MkdirTemp("testdata", "_lstm256")
	require.NoError(t, err)
	t.Cleanup(func() { os.RemoveAll(dir) })
	size := 0
	for _, f := range files {
		require.NoError(t, os.WriteFile(filepath.Join(dir, f.Name), f.Data, 0o644))
		if strings.HasSuffix(f.Name, ".go") {
			size += len(f.Data)
		}
	}
	start = time.Now()
	out, err := exec.Command("go", "build", "./"+dir).CombinedOutput()
	require.NoError(t, err, "%s", out)
	built := time.Since(start)
	t.Logf("generate %v, go build %v, Go source %d bytes", generated.Round(time.Millisecond), built.Round(time.Millisecond), size)
	assert.Less(t, size, 1<<20, "bytes of Go source")
}

// TestStepValuesGetTheSlotsTheirReadersNeed looks inside the plan of an LSTM: values
// read only by their own step share one slot, the state read by the next step two,
// and what backward reads one per step; every step but the first forward one is a
// loop iteration, and backward runs from the last step down.
func TestStepValuesGetTheSlotsTheirReadersNeed(t *testing.T) {
	const steps = 6
	g := smallLSTM(t, steps)
	compile := func(mode string) *program {
		return trainStepProgram(t, g, Options{Package: "lstm", MaxBatch: 4, Train: true, NoFusion: true}, mode)
	}
	slots := func(p *program) map[string]int {
		out := map[string]int{}
		for _, f := range p.loops.fams {
			out[f.seq.prefix+" "+f.what] = f.ring
		}
		return out
	}

	t.Run("for inference", func(t *testing.T) {
		p := compile(ir.ModeInfer)
		got := slots(p)
		assert.Equal(t, 2, got["l h"], "h: read by the next step and, at the last, by fc")
		assert.Equal(t, 2, got["l c"])
		assert.Equal(t, 1, got["l gates"])
		assert.Equal(t, 1, got["l x_slice"])
		require.Len(t, p.loops.runs, 1)
		for _, r := range p.loops.runs {
			assert.Equal(t, 1, r.groups[0].step)
			assert.Equal(t, steps-1, len(r.groups))
			assert.Equal(t, 1, r.dir)
		}
	})
	t.Run("for training", func(t *testing.T) {
		p := compile(ir.ModeTrain)
		got := slots(p)
		assert.Equal(t, 0, got["l xh"], "[x, h]: read by the weight gradient of its step, one slot per step")
		assert.Equal(t, 0, got["l o"])
		assert.Equal(t, 2, got["l h"], "h itself: backward reads it through xh")
		assert.Equal(t, 1, got["l gates"], "not needed by backward")
		assert.Equal(t, 0, got["d.l o_pre.1"], "the gate gradient sum: read by the weight gradient after the last step (stepprod.go)")
		assert.Equal(t, 1, got["d.l i.1"], "a gate's gradient lives in its step")
		dirs := map[string]int{}
		for _, r := range p.loops.runs {
			dirs[r.groups[0].seq.prefix] = r.dir
			for i, gr := range r.groups {
				assert.Equal(t, r.groups[0].step+i*r.dir, gr.step)
			}
		}
		assert.Equal(t, map[string]int{"l": 1, "d.l": -1}, dirs)
	})
}

// recurrentModel is the constructor of the recurrentModels entry named pkg.
func recurrentModel(t *testing.T, pkg string) func(int) *nn.Model {
	t.Helper()
	for _, rm := range recurrentModels {
		if rm.pkg == pkg {
			return rm.model
		}
	}
	t.Fatalf("no recurrent model %q", pkg)
	return nil
}
