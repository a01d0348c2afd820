package passes_test

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dlgen/dlgen/internal/randgraph"
	"github.com/dlgen/dlgen/ir"
	"github.com/dlgen/dlgen/ir/interp"
	"github.com/dlgen/dlgen/models"
	"github.com/dlgen/dlgen/nn"
	"github.com/dlgen/dlgen/passes"
)

// Interpreter equivalence: every optimization pass, run on the workload models
// (lowered for inference, and for training with the backward graph) and on random
// graphs of every primitive op, leaves every output, the loss, every gradient and
// every running statistic it updates as they were, on random inputs and weights.
//
// eqTol bounds the disagreement, relative to the tensor's largest value (the
// convention of internal/gentest):
//
//	max_i |after_i - before_i|  ≤  eqTol · max(max_i |before_i|, 1e-6)
//
// in float64. Most passes change no arithmetic at all; Scale(Scale(x, a), b) →
// Scale(x, a·b) and batch-norm folding reassociate products, which moves results by
// a few units in the last place (about 1e-16), and that is all 1e-12 allows.
const eqTol = 1e-12

// eqPass is a pass under test and the modes it is meant for.
type eqPass struct {
	name         string
	fn           func(*ir.Graph) (*ir.Graph, error)
	infer, train bool
}

var eqPasses = []eqPass{
	{"cse", passes.CSE, true, true},
	{"fold", passes.Fold, true, true},
	{"simplify", passes.Simplify, true, true},
	{"bnfold", passes.BNFold, true, false},
	{"dce", passes.DCE, true, true},
}

// eqModels are the workload models, the op-coverage model, a network with batch norm
// after every kind of layer it can fold into, a residual network, and autoencoders
// with noise sources, sampling and activity penalties.
var eqModels = []struct {
	name  string
	model func() *nn.Model
	slow  bool // skipped in -short mode
}{
	{"mlp", models.MLP, false},
	{"lenet", models.LeNet, false},
	{"convdae", models.ConvDAE, true},
	{"lstm", models.LSTM, true},
	{"allops", models.AllOps, false},
	{"bnnet", eqBNNet, false},
	{"resnet_small", models.ResNetSmall, true},
	{"vae", models.VAE, false},
	{"masking_dae", models.MaskingDAE, false},
	{"denoising_ae", models.DenoisingAE, false},
	{"contractive_ae", models.ContractiveAE, false},
	{"sparse_kl_ae", models.SparseKLAE, false},
}

// eqBNNet has batch norm after a convolution without bias, a strided convolution
// with bias, a transposed convolution and a dense layer, each foldable.
func eqBNNet() *nn.Model {
	m := nn.New("bnnet", nn.Seed(3))
	x := m.Input("image", 2, 6, 6)
	y := m.Labels("label")
	h := x.Conv2D("conv1", 4, nn.K(3), nn.Same, nn.NoBias).BatchNorm("bn1").Relu("relu1")        // 4×6×6
	h = h.Conv2D("conv2", 3, nn.K(3), nn.Strides(2), nn.Pads(1)).BatchNorm("bn2").Relu("relu2")  // 3×3×3
	h = h.Conv2DTranspose("deconv", 2, nn.K(2), nn.Strides(2)).BatchNorm("bn3").Relu("relu_bn3") // 2×6×6
	h = h.Flatten("flat").Dense("fc1", 8).BatchNorm("bn4").Relu("relu3")
	logits := h.Dense("fc2", 3)
	m.Output("probs", logits.Softmax("probs"))
	m.Loss(nn.SparseCategoricalCrossEntropy("loss", logits, y, nn.FromLogits))
	return m
}

// eqLowered builds a model and lowers it for mode, with the backward graph when
// training.
func eqLowered(t testing.TB, model func() *nn.Model, mode string) *ir.Graph {
	t.Helper()
	g, err := model().Build()
	require.NoError(t, err)
	g, err = passes.Lower(g, mode)
	require.NoError(t, err)
	if mode == ir.ModeTrain {
		g, err = passes.Autodiff(g)
		require.NoError(t, err)
	}
	return g
}

// eqApply runs a pass, checks that it left its input untouched and made a valid
// graph with the same interface (inputs, parameters, outputs, loss, gradients).
func eqApply(t testing.TB, p func(*ir.Graph) (*ir.Graph, error), g *ir.Graph) *ir.Graph {
	t.Helper()
	before, err := ir.Encode(g)
	require.NoError(t, err)
	out, err := p(g)
	require.NoError(t, err)
	after, err := ir.Encode(g)
	require.NoError(t, err)
	require.Equal(t, string(before), string(after), "the pass modified its input graph")
	require.NoError(t, ir.Verify(out))
	require.Equal(t, eqNames(g.Inputs()), eqNames(out.Inputs()), "inputs changed")
	require.Equal(t, eqNames(g.Params()), eqNames(out.Params()), "parameters changed")
	require.Equal(t, len(g.Outputs), len(out.Outputs))
	for i, o := range g.Outputs {
		require.Equal(t, o.Name, out.Outputs[i].Name)
	}
	require.Equal(t, g.Loss >= 0, out.Loss >= 0, "the loss appeared or vanished")
	require.Equal(t, len(g.Grads), len(out.Grads))
	for i, gr := range g.Grads {
		require.Equal(t, g.Nodes[gr.Of].Name, out.Nodes[out.Grads[i].Of].Name)
	}
	require.Equal(t, g.Mode, out.Mode)
	return out
}

func eqNames(ns []*ir.Node) []string {
	var s []string
	for _, n := range ns {
		s = append(s, n.Name)
	}
	return s
}

// eqRef is a reference run of a graph: its values and its parameters before and
// after the run (running statistics are updated in place).
type eqRef struct {
	g           *ir.Graph
	seed        uint64
	feeds       map[string]*interp.Tensor
	params      map[string]*interp.Tensor // before the run
	vals        []*interp.Tensor
	paramsAfter map[string]*interp.Tensor
}

// eqReference runs g in the interpreter on random inputs (batch n) and parameters
// drawn from seed, at training step 3.
func eqReference(t testing.TB, g *ir.Graph, seed uint64, n int) *eqRef {
	t.Helper()
	m, err := interp.New(g, seed)
	require.NoError(t, err)
	randgraph.Randomize(m, seed)
	ref := &eqRef{g: g, seed: seed, feeds: randgraph.Feeds(g, n, seed), params: map[string]*interp.Tensor{}, paramsAfter: map[string]*interp.Tensor{}}
	for _, p := range g.Params() {
		ref.params[p.Name] = m.Params[p.ID].Clone()
	}
	m.Step = 3
	ref.vals, err = m.Run(ref.feeds)
	require.NoError(t, err, "before the pass")
	for _, p := range g.Params() {
		ref.paramsAfter[p.Name] = m.Params[p.ID]
	}
	return ref
}

// eqCheck runs after on the reference run's inputs and parameters and requires
// that it agrees with it.
func eqCheck(t testing.TB, ref *eqRef, after *ir.Graph) {
	t.Helper()
	require.NoError(t, eqDiff(ref, after))
}

// eqDiff runs after on the reference run's inputs and parameters and compares
// outputs, loss, gradients and the parameters after the run. It returns the first
// disagreement beyond eqTol.
func eqDiff(ref *eqRef, after *ir.Graph) error {
	before := ref.g
	m, err := interp.New(after, ref.seed)
	if err != nil {
		return err
	}
	for _, p := range after.Params() {
		m.Params[p.ID] = ref.params[p.Name].Clone()
	}
	m.Step = 3
	vals, err := m.Run(ref.feeds)
	if err != nil {
		return fmt.Errorf("after the pass: %w", err)
	}
	var errs []error
	for i, o := range before.Outputs {
		errs = append(errs, eqClose(ref.vals[o.ID], vals[after.Outputs[i].ID], "output "+o.Name))
	}
	if before.Loss >= 0 {
		errs = append(errs, eqClose(ref.vals[before.Loss], vals[after.Loss], "the loss"))
	}
	for i, gr := range before.Grads {
		errs = append(errs, eqClose(ref.vals[gr.ID], vals[after.Grads[i].ID], "the gradient of "+before.Nodes[gr.Of].Name))
	}
	for _, p := range before.Params() {
		errs = append(errs, eqClose(ref.paramsAfter[p.Name], m.Param(p.Name), "parameter "+p.Name+" after the run"))
	}
	return errors.Join(errs...)
}

func eqClose(want, got *interp.Tensor, what string) error {
	if !slices.Equal(want.Shape, got.Shape) {
		return fmt.Errorf("%s: shape %v, want %v", what, got.Shape, want.Shape)
	}
	scale, diff := 1e-6, 0.0
	for i, w := range want.Data {
		if math.IsNaN(got.Data[i]) != math.IsNaN(w) {
			return fmt.Errorf("%s: element %d is %g, want %g", what, i, got.Data[i], w)
		}
		scale = math.Max(scale, math.Abs(w))
		diff = math.Max(diff, math.Abs(got.Data[i]-w))
	}
	if !(diff <= eqTol*scale) {
		return fmt.Errorf("%s: max error %g relative to %g", what, diff, scale)
	}
	return nil
}
func TestEveryPassPreservesTheWorkloadModels(t *testing.T) {
	for _, mc := range eqModels {
		for _, mode := range []string{ir.ModeInfer, ir.ModeTrain} {
			if mc.slow && testing.Short() {
				continue
			}
			g := eqLowered(t, mc.model, mode)
			ref := eqReference(t, g, 11, 2)
			for _, p := range eqPasses {
				if (mode == ir.ModeInfer && !p.infer) || (mode == ir.ModeTrain && !p.train) {
					continue
				}
				t.Run(fmt.Sprintf("%s leaves %s for %s unchanged", p.name, mc.name, mode), func(t *testing.T) {
					eqCheck(t, ref, eqApply(t, p.fn, g))
				})
			}
		}
	}
}

// eqRandomSeeds is how many random graphs of each mode the equivalence tests run.
const eqRandomSeeds = 200

func TestEveryPassPreservesRandomGraphs(t *testing.T) {
	for _, mode := range []string{ir.ModeInfer, ir.ModeTrain} {
		for seed := uint64(0); seed < eqRandomSeeds; seed++ {
			g, err := randgraph.New(seed, mode)
			require.NoError(t, err)
			if mode == ir.ModeTrain {
				g, err = passes.Autodiff(g)
				require.NoError(t, err)
			}
			ref := eqReference(t, g, seed, 2+int(seed%3))
			for _, p := range eqPasses {
				if (mode == ir.ModeInfer && !p.infer) || (mode == ir.ModeTrain && !p.train) {
					continue
				}
				ok := t.Run(fmt.Sprintf("%s leaves random graph %d for %s unchanged", p.name, seed, mode), func(t *testing.T) {
					eqCheck(t, ref, eqApply(t, p.fn, g))
				})
				if !ok {
					return // one failing graph says enough
				}
			}
		}
	}
}

// The check can fail: passes that each break one thing, in a way a real bug might,
// are caught on the models.
func TestTheEquivalenceCheckCatchesWrongPasses(t *testing.T) {
	breakFirst := func(op string, change func(n *ir.Node)) func(*ir.Graph) (*ir.Graph, error) {
		return func(g *ir.Graph) (*ir.Graph, error) {
			g = g.Clone()
			for _, n := range g.Nodes {
				if n.Op == op {
					change(n)
					return g, nil
				}
			}
			return nil, fmt.Errorf("no %s", op)
		}
	}
	cases := []struct {
		name  string
		model func() *nn.Model
		mode  string
		pass  func(*ir.Graph) (*ir.Graph, error)
	}{
		{"a constant off by one part in 1e9", models.AllOps, ir.ModeInfer,
			breakFirst(ir.OpScale, func(n *ir.Node) { n.Attrs.Alpha *= 1 + 1e-9 })},
		{"swapped operands of a subtraction", models.AllOps, ir.ModeInfer,
			breakFirst(ir.OpSub, func(n *ir.Node) { n.Inputs[0], n.Inputs[1] = n.Inputs[1], n.Inputs[0] })},
		{"gradients of two parameters of one shape swapped", eqBNNet, ir.ModeTrain,
			func(g *ir.Graph) (*ir.Graph, error) {
				g = g.Clone()
				for i := range g.Grads {
					for j := i + 1; j < len(g.Grads); j++ {
						if g.Nodes[g.Grads[i].ID].Shape.Equal(g.Nodes[g.Grads[j].ID].Shape) {
							g.Grads[i].ID, g.Grads[j].ID = g.Grads[j].ID, g.Grads[i].ID
							return g, nil
						}
					}
				}
				return nil, fmt.Errorf("no two gradients of one shape")
			}},
		{"a running statistic updated with another momentum", eqBNNet, ir.ModeTrain,
			breakFirst(ir.OpRunningUpdate, func(n *ir.Node) { n.Attrs.Momentum = 0.2 })},
		{"a dropout mask with another seed", models.AllOps, ir.ModeTrain,
			breakFirst(ir.OpDropoutMask, func(n *ir.Node) { n.Attrs.Seed++ })},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g := eqLowered(t, tc.model, tc.mode)
			out, err := tc.pass(g)
			require.NoError(t, err)
			require.NoError(t, ir.Verify(out), "the verifier catches this one; it tests nothing here")
			assert.Error(t, eqDiff(eqReference(t, g, 11, 2), out))
		})
	}
}

// eqBuilder builds small graphs by hand for the per-pass tests: every node is named
// after its op and ID, and a builder error fails the test.
type eqBuilder struct {
	t testing.TB
	g *ir.Graph
}

func eqNew(t testing.TB, mode string) *eqBuilder {
	g := ir.NewGraph("hand")
	g.Mode = mode
	return &eqBuilder{t: t, g: g}
}

func (b *eqBuilder) op(op string, attrs ir.Attrs, inputs ...int) int {
	b.t.Helper()
	id, err := b.g.Add(op, fmt.Sprintf("%s%d", op, len(b.g.Nodes)), "hand", attrs, inputs...)
	require.NoError(b.t, err)
	return id
}

// input is a batched float input of shape (N, dims...).
func (b *eqBuilder) input(dims ...int) int {
	return b.op(ir.OpInput, ir.Attrs{Shape: append(ir.Shape{ir.Batch}, dims...), Role: ir.RoleData})
}

func (b *eqBuilder) param(role ir.Role, dims ...int) int {
	return b.op(ir.OpParam, ir.Attrs{Shape: ir.Shape(dims), Role: role, Init: &ir.Init{Kind: ir.InitUniform, Value: 1}})
}

func (b *eqBuilder) fill(alpha float64, shape ...int) int {
	return b.op(ir.OpFill, ir.Attrs{Shape: ir.Shape(shape), Alpha: alpha})
}

func (b *eqBuilder) output(id int) {
	b.g.Outputs = append(b.g.Outputs, ir.Output{Name: fmt.Sprintf("out%d", len(b.g.Outputs)), ID: id})
}

// eqCount counts the nodes of g for which match holds.
func eqCount(g *ir.Graph, match func(g *ir.Graph, n *ir.Node) bool) int {
	c := 0
	for _, n := range g.Nodes {
		if match(g, n) {
			c++
		}
	}
	return c
}

// eqOp matches the nodes of one op.
func eqOp(op string) func(*ir.Graph, *ir.Node) bool {
	return func(_ *ir.Graph, n *ir.Node) bool { return n.Op == op }
}

// eqRandomGraphs returns the random graphs of the equivalence test, training ones
// with their backward graph.
func eqRandomGraphs(t testing.TB, mode string) []*ir.Graph {
	t.Helper()
	var gs []*ir.Graph
	for seed := uint64(0); seed < eqRandomSeeds; seed++ {
		g, err := randgraph.New(seed, mode)
		require.NoError(t, err)
		if mode == ir.ModeTrain {
			g, err = passes.Autodiff(g)
			require.NoError(t, err)
		}
		gs = append(gs, g)
	}
	return gs
}

// eqOrder is the optimization part of passes.Pipeline (everything after lowering
// and autodiff), in its order: the reasons for that order are next to the pipeline.
// bnfold leaves no dead nodes (it drops the nodes it folds), so dce need not run
// again after it; the fixpoint test below checks that too.
var eqOrder = func() []eqPass {
	var out []eqPass
	for _, p := range passes.Pipeline {
		if p.Required {
			continue
		}
		out = append(out, eqPass{p.Name, func(g *ir.Graph) (*ir.Graph, error) { return p.Fn(g, g.Mode) }, p.Modes&passes.Infer != 0, p.Modes&passes.Train != 0})
	}
	return out
}()

// Every optional pass of the pipeline has its own equivalence test, for the modes it
// runs in.
func TestEveryPassOfThePipelineHasAnEquivalenceTest(t *testing.T) {
	for _, p := range eqOrder {
		i := slices.IndexFunc(eqPasses, func(e eqPass) bool { return e.name == p.name })
		require.GreaterOrEqual(t, i, 0, "pass %q has no entry in eqPasses", p.name)
		assert.Equal(t, p.infer, eqPasses[i].infer, p.name)
		assert.Equal(t, p.train, eqPasses[i].train, p.name)
	}
}

func eqRunOrder(t testing.TB, g *ir.Graph) *ir.Graph {
	t.Helper()
	for _, p := range eqOrder {
		if (g.Mode == ir.ModeTrain && p.train) || (g.Mode != ir.ModeTrain && p.infer) {
			g = eqApply(t, p.fn, g)
		}
	}
	return g
}

// The passes in eqOrder compose: the result is equivalent, and a second round
// finds nothing left to do, so one run of each in this order is enough.
func TestThePassesInOrderComposeAndReachAFixpoint(t *testing.T) {
	check := func(t *testing.T, g *ir.Graph, seed uint64) {
		once := eqRunOrder(t, g)
		twice := eqRunOrder(t, once)
		require.Equal(t, len(once.Nodes), len(twice.Nodes), "a second round changed the graph")
		clean, err := passes.DCE(once)
		require.NoError(t, err)
		require.Equal(t, len(once.Nodes), len(clean.Nodes), "the last pass left dead nodes")
		eqCheck(t, eqReference(t, g, seed, 2), once)
	}
	for _, mc := range eqModels {
		if mc.slow && testing.Short() {
			continue
		}
		for _, mode := range []string{ir.ModeInfer, ir.ModeTrain} {
			t.Run(mc.name+" for "+mode, func(t *testing.T) { check(t, eqLowered(t, mc.model, mode), 13) })
		}
	}
	for _, mode := range []string{ir.ModeInfer, ir.ModeTrain} {
		for seed, g := range eqRandomGraphs(t, mode) {
			if !t.Run(fmt.Sprintf("random graph %d for %s", seed, mode), func(t *testing.T) { check(t, g, uint64(seed)) }) {
				return
			}
		}
	}
}
