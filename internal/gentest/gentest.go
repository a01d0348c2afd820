// Package gentest checks a dlgen-generated package against the reference
// interpreter. A generated model_test.go wraps its typed Model in an adapter (Model
// below) and calls Run, which compares, for batch sizes 1, 7 and MaxBatch, Predict,
// Loss, every gradient of TrainStep, and the parameters after three SGD-with-momentum
// steps with the float64 interpreter running the same graph on the same weights and
// inputs; and checks that bad arguments are errors that name them.
package gentest

import (
	"errors"
	"fmt"
	"math"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/dlgen/dlgen/ir"
	"github.com/dlgen/dlgen/ir/interp"
	"github.com/dlgen/dlgen/passes"
	"github.com/dlgen/dlgen/rt"
)

// Tolerance bounds the disagreement between generated float32 code and the float64
// interpreter. For every tensor compared (outputs, the loss, each gradient, each
// parameter after training, each parameter's total update):
//
//	max_i |got_i - want_i|  ≤  Tolerance · max(max_i |want_i|, floor)
//
// that is, the error relative to the tensor's largest value. float32 rounding
// (about 6e-8 per operation) accumulated over sums of a few thousand terms stays
// well below it; a wrong index, sign or formula does not.
//
// The floor is 1e-6 for outputs and losses. A gradient can be exactly zero by
// cancellation (a bias followed by batch norm: the mean subtraction cancels it), and
// then float32 leaves rounding noise of the size of the terms that cancelled, not of
// the result; so for gradients the floor is FloorFraction times the largest gradient
// of the step. A tensor 100 times smaller than the largest gradient is still held
// to 1e-4 of its own size. The total update of a parameter over the Steps steps is
// the difference of two float32 parameters, which carries their rounding (up to
// 2^-24·|p| per step): its floor is FloorFraction times the largest update, or that
// rounding divided by Tolerance if larger. A parameter after training is held to
// the floor of its update too: one that starts at zero and whose gradient cancels
// (the zero-initialised bias of a Conv2D before a BatchNorm) stays at rounding noise
// that no fraction of its own size bounds.
const Tolerance = 1e-4

// FloorFraction sets the floor of gradient and update comparisons (see Tolerance).
// Tolerance·FloorFraction, 1e-6 of the largest gradient, is about 16 float32 ulps
// of it: the noise a cancelling sum of a few hundred terms of that size leaves
// (1e-3, a single ulp, failed a Conv2D with bias before a BatchNorm).
const FloorFraction = 1e-2

// Feeds are a batch of inputs by input name: float tensors and class labels.
type Feeds struct {
	Float map[string][]float32
	Int   map[string][]int32
}

// Model is a generated model seen through its test's adapter, which unpacks Feeds
// into the typed arguments of the generated methods.
type Model interface {
	Init(seed uint64) error
	Params() []rt.Tensor
	Grads() []rt.Tensor
	SetOptimizer(o rt.Optimizer)
	SetThreads(n int)
	Predict(n int, in Feeds, out map[string][]float32) error
	Loss(n int, in Feeds) (float32, error)
	TrainStep(n int, in Feeds) (float32, error)
}

// Config describes the generated package under test.
type Config struct {
	Graph    string // the user's graph as JSON (the package's GraphJSON())
	MaxBatch int
	New      func() Model
	Predict  bool              // the package has Predict
	Train    bool              // the package has Loss, TrainStep and Grads
	ArgNames map[string]string // IR input name → the Go argument name errors use
	OutNames map[string]string // IR output name → the Go argument name
	// Args lists, for each method, the IR names of the inputs it takes.
	Args map[string][]string
}

// SGD is the optimizer of the training check: PyTorch's SGD with momentum, with a
// learning rate that moves every weight measurably in three steps without driving a
// model (a VAE's exp(logvar)) out of float32's range.
var SGD = struct{ LR, Momentum float64 }{LR: 0.01, Momentum: 0.9}

// Steps is the number of training steps compared.
const Steps = 3

type harness struct {
	cfg          Config
	g            *ir.Graph // as built
	infer, train *ir.Graph // lowered; train also differentiated
}

func newHarness(tb testing.TB, cfg Config) *harness {
	tb.Helper()
	g, err := ir.Decode([]byte(cfg.Graph))
	require.NoError(tb, err, "the embedded graph must decode")
	h := &harness{cfg: cfg, g: g}
	h.infer, err = passes.Lower(g, ir.ModeInfer)
	require.NoError(tb, err)
	if cfg.Train {
		lowered, err := passes.Lower(g, ir.ModeTrain)
		require.NoError(tb, err)
		h.train, err = passes.Autodiff(lowered)
		require.NoError(tb, err)
	}
	return h
}

// Batches returns the batch sizes the checks run at: 1, 7 and MaxBatch, without
// duplicates or sizes above MaxBatch.
func Batches(maxBatch int) []int {
	var out []int
	for _, n := range []int{1, 7, maxBatch} {
		if n <= maxBatch && (len(out) == 0 || out[len(out)-1] < n) {
			out = append(out, n)
		}
	}
	return out
}

// Run runs every check as a subtest.
func Run(t *testing.T, cfg Config) {
	h := newHarness(t, cfg)
	t.Run("Init gives the interpreter's initial parameters", h.checkInit)
	for _, n := range Batches(cfg.MaxBatch) {
		if cfg.Predict {
			t.Run(fmt.Sprintf("Predict matches the interpreter at n=%d", n), func(t *testing.T) { h.checkPredict(t, n) })
		}
		if cfg.Train {
			t.Run(fmt.Sprintf("Loss matches the interpreter at n=%d", n), func(t *testing.T) { h.checkLoss(t, n) })
			t.Run(fmt.Sprintf("TrainStep gradients and %d SGD steps match the interpreter at n=%d", Steps, n), func(t *testing.T) { h.checkTrain(t, n) })
		}
	}
	t.Run("bad arguments are errors that name them", h.checkErrors)
}

// Threads checks that the methods give the same bits on 2 and 3 threads as on one,
// at batch sizes 1, 2, 3 and MaxBatch: Predict's outputs, Loss, and two TrainSteps
// (with momentum): each loss, every gradient and every weight after the update. The
// model's work is split across threads only where every element is computed as on
// one thread (codegen: products on micro-tile boundaries, convolutions and
// recurrent stretches by items), so nothing may differ in any bit.
func Threads(t *testing.T, cfg Config) {
	h := newHarness(t, cfg)
	var batches []int
	for _, n := range []int{1, 2, 3, cfg.MaxBatch} {
		if n <= cfg.MaxBatch && (len(batches) == 0 || batches[len(batches)-1] < n) {
			batches = append(batches, n)
		}
	}
	bits := func(t *testing.T, what string, want, got []float32) {
		t.Helper()
		require.Len(t, got, len(want), what)
		for i := range want {
			if math.Float32bits(want[i]) != math.Float32bits(got[i]) {
				require.Failf(t, "threads change the result", "%s: element %d is %v on one thread, %v on several", what, i, want[i], got[i])
			}
		}
	}
	for _, threads := range []int{2, 3} {
		for _, n := range batches {
			t.Run(fmt.Sprintf("n=%d on %d threads", n, threads), func(t *testing.T) {
				in := h.inputs(t, n, 300+uint64(n))
				one, many := cfg.New(), cfg.New()
				one.SetThreads(1)
				many.SetThreads(threads)
				for _, m := range []Model{one, many} {
					require.NoError(t, m.Init(11))
					m.SetOptimizer(rt.SGD{LR: float32(SGD.LR), Momentum: float32(SGD.Momentum)})
				}
				if cfg.Predict {
					outs := [2]map[string][]float32{{}, {}}
					for i, m := range []Model{one, many} {
						for _, o := range h.g.Outputs {
							outs[i][o.Name] = make([]float32, n*h.g.Nodes[o.ID].Shape.Elems())
						}
						require.NoError(t, m.Predict(n, in, outs[i]))
					}
					for _, o := range h.g.Outputs {
						bits(t, "Predict output "+o.Name, outs[0][o.Name], outs[1][o.Name])
					}
				}
				if !cfg.Train {
					return
				}
				var losses [2]float32
				for i, m := range []Model{one, many} {
					l, err := m.Loss(n, in)
					require.NoError(t, err)
					losses[i] = l
				}
				bits(t, "Loss", losses[:1], losses[1:])
				for step := range 2 {
					var errs [2]error
					for i, m := range []Model{one, many} {
						losses[i], errs[i] = m.TrainStep(n, in)
					}
					if errs[0] != nil {
						// A batch the model refuses (batch norm with one value per
						// channel) is refused the same way on any number of threads.
						require.EqualError(t, errs[1], errs[0].Error())
						return
					}
					require.NoError(t, errs[1])
					bits(t, fmt.Sprintf("TrainStep %d: loss", step), losses[:1], losses[1:])
					for j, g := range one.Grads() {
						bits(t, fmt.Sprintf("TrainStep %d: gradient of %s", step, g.Name), g.Data, many.Grads()[j].Data)
					}
					for j, p := range one.Params() {
						bits(t, fmt.Sprintf("TrainStep %d: %s after the update", step, p.Name), p.Data, many.Params()[j].Data)
					}
				}
			})
		}
	}
}

func (h *harness) checkInit(t *testing.T) {
	const seed = 42
	m := h.cfg.New()
	require.NoError(t, m.Init(seed))
	ref, err := interp.New(h.g, seed)
	require.NoError(t, err)
	params := m.Params()
	require.Len(t, params, len(h.g.Params()))
	for i, p := range h.g.Params() {
		got := params[i]
		require.Equal(t, p.Name, got.Name)
		require.Equal(t, []int(p.Shape), got.Shape, "shape of %s", p.Name)
		want := ref.Params[p.ID].Data
		require.Len(t, got.Data, len(want), p.Name)
		for j := range want {
			if float32(want[j]) != got.Data[j] {
				t.Fatalf("%s[%d] = %g: Init must give the interpreter's value rounded to float32, %g", p.Name, j, got.Data[j], float32(want[j]))
			}
		}
	}
}

// machine returns an interpreter for g holding the model's current parameters.
func machine(t testing.TB, g *ir.Graph, m Model) *interp.Machine {
	params := map[string]rt.Tensor{}
	for _, p := range m.Params() {
		params[p.Name] = p
	}
	mc := &interp.Machine{G: g, Params: map[int]*interp.Tensor{}}
	for _, p := range g.Params() {
		src, ok := params[p.Name]
		require.True(t, ok, "the model has no parameter %q", p.Name)
		mc.Params[p.ID] = interp.FromData(widen(src.Data), p.Shape...)
	}
	return mc
}

func widen(x []float32) []float64 {
	y := make([]float64, len(x))
	for i, v := range x {
		y[i] = float64(v)
	}
	return y
}

// fresh returns a model initialized with seed.
func (h *harness) fresh(t *testing.T, seed uint64) Model {
	m := h.cfg.New()
	require.NoError(t, m.Init(seed))
	return m
}

func (h *harness) checkPredict(t *testing.T, n int) {
	m := h.fresh(t, 1)
	in := h.inputs(t, n, 100+uint64(n))
	out := map[string][]float32{}
	for _, o := range h.g.Outputs {
		out[o.Name] = make([]float32, n*h.g.Nodes[o.ID].Shape.Elems())
	}
	require.NoError(t, m.Predict(n, in, out))
	vals, err := machine(t, h.infer, m).Run(h.feeds(in, n))
	require.NoError(t, err)
	for _, o := range h.infer.Outputs {
		Close(t, "output "+o.Name, out[o.Name], vals[o.ID].Data)
	}
}

func (h *harness) checkLoss(t *testing.T, n int) {
	m := h.fresh(t, 2)
	in := h.inputs(t, n, 200+uint64(n))
	got, err := m.Loss(n, in)
	require.NoError(t, err)
	vals, err := machine(t, h.infer, m).Run(h.feeds(in, n))
	require.NoError(t, err)
	Close(t, "loss", []float32{got}, vals[h.infer.Loss].Data)
}

// checkTrain runs Steps training steps on the model and, independently, on the
// interpreter: the same forward and backward graph in float64, followed by SGD with
// momentum written out here (PyTorch's equations) rather than taken from rt.
func (h *harness) checkTrain(t *testing.T, n int) {
	m := h.fresh(t, 3)
	m.SetOptimizer(rt.SGD{LR: float32(SGD.LR), Momentum: float32(SGD.Momentum)})
	mc := machine(t, h.train, m)
	initial := map[int][]float64{}
	for id, p := range mc.Params {
		initial[id] = append([]float64(nil), p.Data...)
	}
	buf := map[int][]float64{}
	// At one batch size (the check does not depend on it, and each run costs an
	// interpreter pass): Predict (or Loss) once before training, so that a model
	// caching values derived from its weights (folded batch norms) holds them when
	// training starts, and again after it.
	bs := Batches(h.cfg.MaxBatch)
	evaluate := n == bs[min(1, len(bs)-1)]
	if evaluate {
		h.evaluate(t, m, n, nil)
	}
	for step := 0; step < Steps; step++ {
		mc.Step = uint64(step)
		in, vals, undecided, ierr := h.unambiguousBatch(t, mc, n, step, 300+uint64(100*step+n))
		loss, err := m.TrainStep(n, in)
		if ierr != nil {
			// The interpreter refuses this batch (batch norm with one value per
			// channel): the generated code must refuse it too.
			require.Error(t, err, "the interpreter fails with %v, but TrainStep succeeds", ierr)
			t.Logf("both refuse n=%d: interpreter: %v; generated: %v", n, ierr, err)
			return
		}
		require.NoError(t, err, "step %d", step)
		Close(t, fmt.Sprintf("step %d: loss", step), []float32{loss}, vals[h.train.Loss].Data)
		if undecided != "" {
			// Every draw put a kink input within rounding of its kink (in real
			// arithmetic it sits on it): which side float32 takes is not the code's
			// to get right, and the runs part from here.
			t.Logf("n=%d step %d: %s sits on its kink in every draw; gradients and later steps not compared at this batch size", n, step, undecided)
			return
		}
		grads := m.Grads()
		require.Len(t, grads, len(h.train.Grads))
		largest := 0.0
		for _, gr := range h.train.Grads {
			largest = math.Max(largest, maxAbs(vals[gr.ID].Data))
		}
		for i, gr := range h.train.Grads {
			w := h.train.Nodes[gr.Of]
			require.Equal(t, w.Name, grads[i].Name)
			CloseFloor(t, fmt.Sprintf("step %d: gradient of %s", step, w.Name), grads[i].Data, vals[gr.ID].Data, FloorFraction*largest)
		}
		// The interpreter's RunningUpdate has already updated the state parameters.
		for _, gr := range h.train.Grads {
			p, g := mc.Params[gr.Of].Data, vals[gr.ID].Data
			b := buf[gr.Of]
			if b == nil {
				b = make([]float64, len(p))
				buf[gr.Of] = b
			}
			for i := range p {
				if step == 0 {
					b[i] = g[i]
				} else {
					b[i] = SGD.Momentum*b[i] + g[i]
				}
				p[i] -= SGD.LR * b[i]
			}
		}
	}
	// Predict and Loss after training see the new weights: the interpreter's
	// inference graph, on the interpreter's trained parameters, agrees.
	if evaluate {
		h.evaluate(t, m, n, mc)
	}
	deltas := map[string][2][]float64{}
	largest := 0.0
	for _, p := range m.Params() {
		id := h.train.ByName(p.Name).ID
		want := mc.Params[id].Data
		got, exp := make([]float64, len(want)), make([]float64, len(want))
		for j := range want {
			got[j] = float64(p.Data[j]) - initial[id][j]
			exp[j] = want[j] - initial[id][j]
		}
		deltas[p.Name] = [2][]float64{got, exp}
		largest = math.Max(largest, maxAbs(exp))
	}
	for _, p := range m.Params() {
		d := deltas[p.Name]
		got := make([]float32, len(d[0]))
		for j, v := range d[0] {
			got[j] = float32(v)
		}
		// The update is the difference of two float32 parameters, each rounded at
		// every step by up to 2^-24 of its size: that rounding is a floor no
		// arithmetic can beat.
		rounding := Steps * 0x1p-24 * maxAbs(mc.Params[h.train.ByName(p.Name).ID].Data) / Tolerance
		floor := math.Max(FloorFraction*largest, rounding)
		// The parameter itself: relative to its largest value, but never tighter
		// than its update is held to (a zero-initialised parameter with a
		// cancelling gradient is rounding noise around zero).
		CloseFloor(t, fmt.Sprintf("after %d steps: %s", Steps, p.Name), p.Data, mc.Params[h.train.ByName(p.Name).ID].Data, math.Max(floor, 1e-6))
		CloseFloor(t, fmt.Sprintf("after %d steps: total update of %s", Steps, p.Name), got, d[1], floor)
	}
}

// evaluate runs Predict (if the package has it) and Loss on a fresh batch and, when
// trained is not nil, compares them with the inference graph run on trained's
// parameters (matched by name).
func (h *harness) evaluate(t *testing.T, m Model, n int, trained *interp.Machine) {
	t.Helper()
	in := h.inputs(t, n, 400+uint64(n))
	out := map[string][]float32{}
	for _, o := range h.g.Outputs {
		out[o.Name] = make([]float32, n*h.g.Nodes[o.ID].Shape.Elems())
	}
	if h.cfg.Predict {
		require.NoError(t, m.Predict(n, in, out))
	}
	loss, err := m.Loss(n, in)
	require.NoError(t, err)
	if trained == nil {
		return
	}
	// The model has taken Steps steps: random sources (in graphs that keep them for
	// inference) draw for that step.
	mc := &interp.Machine{G: h.infer, Params: map[int]*interp.Tensor{}, Step: Steps}
	for _, p := range h.infer.Params() {
		mc.Params[p.ID] = trained.Params[h.train.ByName(p.Name).ID].Clone()
	}
	vals, err := mc.Run(h.feeds(in, n))
	require.NoError(t, err)
	if h.cfg.Predict {
		for _, o := range h.infer.Outputs {
			Close(t, fmt.Sprintf("after %d steps: output %s", Steps, o.Name), out[o.Name], vals[o.ID].Data)
		}
	}
	if h.infer.Loss >= 0 {
		Close(t, fmt.Sprintf("after %d steps: loss", Steps), []float32{loss}, vals[h.infer.Loss].Data)
	}
}

func maxAbs(x []float64) float64 {
	m := 0.0
	for _, v := range x {
		m = math.Max(m, math.Abs(v))
	}
	return m
}

// Close fails t unless got matches want within Tolerance (see there), with the
// floor of outputs and losses.
func Close(t testing.TB, what string, got []float32, want []float64) {
	t.Helper()
	CloseFloor(t, what, got, want, 1e-6)
}

// CloseFloor is Close with the given floor.
func CloseFloor(t testing.TB, what string, got []float32, want []float64, floor float64) {
	t.Helper()
	require.Len(t, got, len(want), "%s: length", what)
	scale := math.Max(maxAbs(want), floor)
	worst, at := 0.0, 0
	for i := range want {
		d := math.Abs(float64(got[i]) - want[i])
		if math.IsNaN(d) {
			d = math.Inf(1)
		}
		if d > worst {
			worst, at = d, i
		}
	}
	if worst > Tolerance*scale {
		t.Fatalf("%s: element %d is %.9g, the interpreter gives %.9g: error %.3g relative to the largest value %.4g exceeds %g",
			what, at, got[at], want[at], worst/scale, scale, Tolerance)
	}
}

// checkErrors calls each method with one bad argument at a time and requires an
// error that names it (and no panic).
func (h *harness) checkErrors(t *testing.T) {
	m := h.fresh(t, 4)
	const n = 2
	if h.cfg.MaxBatch < n {
		t.Skip("MaxBatch < 2")
	}
	type call struct {
		name string
		run  func(n int, in Feeds) error
	}
	takes := func(method, input string) bool {
		for _, a := range h.cfg.Args[method] {
			if a == input {
				return true
			}
		}
		return false
	}
	var calls []call
	outputs := func(n int) map[string][]float32 {
		out := map[string][]float32{}
		for _, o := range h.g.Outputs {
			out[o.Name] = make([]float32, n*h.g.Nodes[o.ID].Shape.Elems())
		}
		return out
	}
	if h.cfg.Predict {
		calls = append(calls, call{"Predict", func(n int, in Feeds) error { return m.Predict(n, in, outputs(max(n, 1))) }})
	}
	if h.cfg.Train {
		calls = append(calls,
			call{"Loss", func(n int, in Feeds) error { _, err := m.Loss(n, in); return err }},
			call{"TrainStep", func(n int, in Feeds) error { _, err := m.TrainStep(n, in); return err }})
	}
	expectErr := func(t *testing.T, c call, n int, in Feeds, arg string) {
		t.Helper()
		var err error
		require.NotPanics(t, func() { err = c.run(n, in) }, "%s must return an error, not panic", c.name)
		require.Error(t, err, "%s with a bad %s", c.name, arg)
		var ae *rt.ArgError
		require.True(t, errors.As(err, &ae), "%s: %v is not an rt.ArgError", c.name, err)
		require.Equal(t, arg, ae.Arg, "%s: the error %q must name %s", c.name, err, arg)
		require.Contains(t, err.Error(), arg)
	}
	for _, c := range calls {
		good := h.inputs(t, n, 7)
		require.NoError(t, c.run(n, good), "%s with good arguments", c.name)
		for _, bad := range []int{0, -1, h.cfg.MaxBatch + 1} {
			expectErr(t, c, bad, good, "n")
		}
		for name, x := range good.Float {
			if !takes(c.name, name) {
				continue
			}
			short := clone(good)
			short.Float[name] = x[:len(x)-1]
			expectErr(t, c, n, short, h.goName(name))
			for _, v := range []float32{float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1))} {
				nan := clone(good)
				nan.Float[name][len(x)-1] = v
				expectErr(t, c, n, nan, h.goName(name))
			}
		}
		for name, x := range good.Int {
			if !takes(c.name, name) {
				continue
			}
			short := clone(good)
			short.Int[name] = x[:len(x)-1]
			expectErr(t, c, n, short, h.goName(name))
			// Out of range at the first and at the last label or id: for shape
			// (N, T), the last item's last step.
			limit, what := h.intRange(name)
			neg := int32(-1)
			if ig, ok := h.ignore(name); ok && ig == -1 {
				neg = -2 // -1 is the ignore index, accepted
			}
			for _, at := range []int{0, len(x) - 1} {
				for _, v := range []int32{neg, int32(limit)} {
					bad := clone(good)
					bad.Int[name][at] = v
					expectErr(t, c, n, bad, h.goName(name))
					err := c.run(n, bad)
					require.ErrorContains(t, err, fmt.Sprintf("%s[%d] = %d is not %s in [0, %d)", h.goName(name), at, v, what, limit), c.name)
				}
			}
		}
	}
	if h.cfg.Predict {
		for _, o := range h.g.Outputs {
			out := outputs(n)
			out[o.Name] = out[o.Name][1:]
			var err error
			require.NotPanics(t, func() { err = m.Predict(n, h.inputs(t, n, 7), out) })
			require.Error(t, err)
			require.Contains(t, err.Error(), h.cfg.OutNames[o.Name])
		}
	}
}

func (h *harness) goName(name string) string {
	if g, ok := h.cfg.ArgNames[name]; ok {
		return g
	}
	return name
}

func clone(f Feeds) Feeds {
	c := Feeds{Float: map[string][]float32{}, Int: map[string][]int32{}}
	for k, v := range f.Float {
		c.Float[k] = append([]float32(nil), v...)
	}
	for k, v := range f.Int {
		c.Int[k] = append([]int32(nil), v...)
	}
	return c
}

// intRange returns the values an int input may hold, [0, limit), and what they are
// in the methods' errors: the rows of the embedding that reads ids, or the classes
// of labels.
func (h *harness) intRange(name string) (int, string) {
	if r := h.rows(name); r > 0 {
		return r, "an embedding index"
	}
	return h.classes(name), "a class index"
}

// rows returns the number of rows of the embedding weight that input name selects
// (0 if no Embedding reads it).
func (h *harness) rows(name string) int {
	in := h.g.ByName(name)
	for _, n := range h.g.Nodes {
		if n.Op == ir.OpEmbedding && n.Inputs[0] == in.ID {
			return h.g.Nodes[n.Inputs[1]].Shape[0]
		}
	}
	return 0
}

// classes returns the number of classes of the label input name: the last axis of
// the logits of the sparse loss that reads it, or of the OneHot that does (a sparse
// cross-entropy on probabilities).
func (h *harness) classes(name string) int {
	in := h.g.ByName(name)
	for _, n := range h.g.Nodes {
		var s ir.Shape
		switch {
		case (n.Op == ir.OpSparseSoftmaxCELoss || n.Op == ir.OpNLLLoss) && n.Inputs[1] == in.ID:
			s = h.g.Nodes[n.Inputs[0]].Shape
		case n.Op == ir.OpOneHot && n.Inputs[0] == in.ID:
			s = n.Shape
		default:
			continue
		}
		return s[len(s)-1]
	}
	return 0
}

// ignore returns the ignore index of label input name (PyTorch's ignore_index) when
// every loss reading it has that one and no OneHot reads it, as the generated entry
// checks accept it.
func (h *harness) ignore(name string) (int, bool) {
	in := h.g.ByName(name)
	ig, ok, readers := 0, true, 0
	for _, n := range h.g.Nodes {
		switch {
		case (n.Op == ir.OpSparseSoftmaxCELoss || n.Op == ir.OpNLLLoss) && n.Inputs[1] == in.ID:
			i, has := ir.LossIgnore(n.Attrs)
			if !has || (readers > 0 && i != ig) {
				ok = false
			}
			ig, readers = i, readers+1
		case n.Op == ir.OpOneHot && n.Inputs[0] == in.ID:
			ok = false
		}
	}
	return ig, ok && readers > 0
}

// Inputs returns a deterministic batch of n items for the model's inputs: data in
// [-1, 1), targets in [0, 1) (valid for every loss: probabilities for the
// cross-entropies, any value for the regression losses), class labels uniform over
// the classes, ids uniform over the rows of their embedding. Labels of a loss with
// an ignore index hold it as padding does: with several labels per item, each item
// keeps a random number (at least 1) of leading labels and the rest are the ignore
// index; with one per item, every third item but the first is ignored. No batch is
// ignored whole (whose loss is NaN, as PyTorch's).
func Inputs(tb testing.TB, cfg Config, n int, seed uint64) Feeds {
	return newHarness(tb, cfg).inputs(tb, n, seed)
}

func (h *harness) inputs(tb testing.TB, n int, seed uint64) Feeds {
	f := Feeds{Float: map[string][]float32{}, Int: map[string][]int32{}}
	for _, in := range h.g.Inputs() {
		size := in.Shape.Elems()
		if in.Shape.Batched() {
			size *= n
		}
		stream := rt.NameStream(in.Name)
		if in.Attrs.DType == ir.Int {
			c, _ := h.intRange(in.Name)
			require.Positive(tb, c, "input %q holds int labels or ids, but no SparseSoftmaxCELoss, NLLLoss, OneHot or Embedding reads it", in.Name)
			x := make([]int32, size)
			for i := range x {
				x[i] = int32(rt.Bits(seed, stream, uint64(i)) % uint64(c))
			}
			if ig, ok := h.ignore(in.Name); ok {
				per := in.Shape.Elems()
				for i := range x {
					item, step := i/per, i%per
					kept := 1 + int(rt.Bits(seed, stream+1, uint64(item))%uint64(per))
					if (per > 1 && step >= kept) || (per == 1 && item%3 == 1) {
						x[i] = int32(ig)
					}
				}
			}
			f.Int[in.Name] = x
			continue
		}
		x := make([]float32, size)
		for i := range x {
			u := rt.Uniform(seed, stream, uint64(i))
			if in.Attrs.Role != ir.RoleTarget {
				u = 2*u - 1
			}
			x[i] = float32(u)
		}
		f.Float[in.Name] = x
	}
	return f
}

// feeds converts inputs to interpreter tensors (labels become float64 class
// indices, as the interpreter reads them).
func (h *harness) feeds(in Feeds, n int) map[string]*interp.Tensor {
	out := map[string]*interp.Tensor{}
	for _, node := range h.g.Inputs() {
		shape := node.Shape.Concrete(n)
		if x, ok := in.Float[node.Name]; ok {
			out[node.Name] = interp.FromData(widen(x), shape...)
			continue
		}
		x := in.Int[node.Name]
		d := make([]float64, len(x))
		for i, v := range x {
			d[i] = float64(v)
		}
		out[node.Name] = interp.FromData(d, shape...)
	}
	return out
}

// float32Ambiguity is how close to a kink a value may come before float32 rounding
// can put it on the other side: a few units in the last place of float32 (2⁻²³ ≈
// 1.2e-7), relative to the scale of the tensor. Where the float64 run puts a ReLU input
// or a max-pooling window's runner-up that close, float32 code may legitimately take
// the other branch, and one flipped unit moves a gradient far beyond rounding: such a
// batch tests the kink, not the code: the training check draws another
// (unambiguousBatch).
const float32Ambiguity = 3e-7

// roundingNoise, times the largest value of a run, bounds what float64 rounding
// leaves of a result that is exactly zero in real arithmetic (ambiguousKink).
const roundingNoise = 1e-12

// unambiguousBatch draws the training batch for one step and runs the interpreter on
// it. A batch that puts a ReLU input or a max-pool runner-up within float32 rounding of
// its kink (see float32Ambiguity) is redrawn, up to maxRedraws times, as the
// finite-difference checks keep their inputs away from kinks: on such a batch float32
// code may legitimately take the other branch, and one flipped unit moves gradients
// far beyond any rounding tolerance, so the comparison would test the kink, not the
// code. State that the run updated in place (batch-norm running statistics) is
// restored before a redraw. The tolerance is unchanged; forward results need no
// redraw, as a flip there moves them by no more than the rounding itself.
//
// undecided names the kink's node when every draw left it ambiguous ("" otherwise).
func (h *harness) unambiguousBatch(t *testing.T, mc *interp.Machine, n, step int, seed uint64) (in Feeds, vals []*interp.Tensor, undecided string, err error) {
	saved := map[int][]float64{}
	for id, p := range mc.Params {
		saved[id] = append([]float64(nil), p.Data...)
	}
	for try := uint64(0); ; try++ {
		in = h.inputs(t, n, seed+1_000_003*try)
		vals, err = mc.Run(h.feeds(in, n))
		if err != nil {
			return in, vals, "", err
		}
		where := ambiguousKink(h.train, vals)
		if where == "" {
			return in, vals, "", nil
		}
		if try == maxRedraws {
			return in, vals, where, nil
		}
		t.Logf("n=%d step %d: batch redrawn: %s is within float32 rounding of its kink", n, step, where)
		for id, p := range mc.Params {
			copy(p.Data, saved[id])
		}
	}
}

// maxRedraws bounds the redraws of one training batch.
const maxRedraws = 8

// ambiguousKink names the first ReLU (leaky ReLU, capped ReLU, SELU, ELU with alpha ≠ 1) or
// max-pooling node of g whose decision float32 rounding could flip in this run (see
// float32Ambiguity), or returns "".
//
// Closeness is measured against the larger of two scales: float32Ambiguity times the
// largest value of the kink's own input, and roundingNoise times the largest value of
// the whole run. The second catches a kink input that is an exact zero in real
// arithmetic and float64's rounding noise in the run, such as a Dense layer's output
// at batch 1 after a training-mode batch norm and a global average (which give
// exactly the batch norm's shift, zero at initialisation): its whole tensor is
// noise, so its own largest value says nothing.
func ambiguousKink(g *ir.Graph, vals []*interp.Tensor) string {
	noise := 0.0
	for _, v := range vals {
		if v != nil {
			noise = math.Max(noise, maxAbs(v.Data))
		}
	}
	noise *= roundingNoise
	near := func(v, kink, scale float64) bool {
		return v != kink && math.Abs(v-kink) < math.Max(float32Ambiguity*scale, noise)
	}
	for _, nd := range g.Nodes {
		switch nd.Op {
		case ir.OpRelu, ir.OpLeakyRelu, ir.OpSelu, ir.OpElu:
			// ELU with alpha 1 has no kink: its derivative is 1 on both sides of 0.
			if nd.Op == ir.OpElu && nd.Attrs.Alpha == 1 {
				continue
			}
			x := vals[nd.Inputs[0]].Data
			scale := maxAbs(x)
			for _, v := range x {
				if near(v, 0, scale) {
					return nd.Name
				}
			}
		case ir.OpReluMax:
			// Kinks at 0 and at the cap.
			x := vals[nd.Inputs[0]].Data
			scale := maxAbs(x)
			for _, v := range x {
				if near(v, 0, scale) || near(v, nd.Attrs.Alpha, scale) {
					return nd.Name
				}
			}
		case ir.OpMaxPool2D:
			x, y := vals[nd.Inputs[0]], vals[nd.ID]
			if maxPoolNearTie(nd, x, y) {
				return nd.Name
			}
		}
	}
	return ""
}

// maxPoolNearTie reports whether some window's two largest distinct inputs differ by
// less than float32 rounding (exact ties are fine: both sides route to the first).
func maxPoolNearTie(nd *ir.Node, x, y *interp.Tensor) bool {
	a := nd.Attrs
	h, w := x.Shape[2], x.Shape[3]
	ho, wo := y.Shape[2], y.Shape[3]
	scale := maxAbs(x.Data)
	for plane := 0; plane < x.Shape[0]*x.Shape[1]; plane++ {
		for i := 0; i < ho; i++ {
			for j := 0; j < wo; j++ {
				best, second := math.Inf(-1), math.Inf(-1)
				for p := 0; p < a.Kernel[0]; p++ {
					for q := 0; q < a.Kernel[1]; q++ {
						r, c := i*a.Strides[0]+p-a.Pads[0], j*a.Strides[1]+q-a.Pads[1]
						if r < 0 || r >= h || c < 0 || c >= w {
							continue
						}
						v := x.Data[plane*h*w+r*w+c]
						if v > best {
							best, second = v, best
						} else if v < best && v > second {
							second = v
						}
					}
				}
				if best-second < float32Ambiguity*scale {
					return true
				}
			}
		}
	}
	return false
}
