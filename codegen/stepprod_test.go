package codegen

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dlgen/dlgen/ir"
	"github.com/dlgen/dlgen/nn"
	"github.com/dlgen/dlgen/passes"
)

// trainStepProgram is the TrainStep program of model g, compiled for mode (the
// training graph, or the inference one to see Predict's slots).
func trainStepProgram(t *testing.T, g *ir.Graph, opts Options, mode string) *program {
	t.Helper()
	gm, err := newModel(g, opts)
	require.NoError(t, err)
	cg, err := passes.Compile(g, mode, passes.Config{})
	require.NoError(t, err)
	roots := []int{cg.Loss}
	for _, gr := range cg.Grads {
		roots = append(roots, gr.ID)
	}
	p, err := gm.newProgram("TrainStep", cg, roots, nil, cg.Grads)
	require.NoError(t, err)
	return p
}

// smallLSTM is a classifier of steps×3 sequences by an LSTM of 4 units.
func smallLSTM(t *testing.T, steps int) *ir.Graph {
	t.Helper()
	m := nn.New("lstm")
	logits := m.Input("x", steps, 3).LSTM("l", 4).Dense("fc", 2)
	m.Output("probs", logits.Softmax("probs"))
	m.Loss(nn.SparseCategoricalCrossEntropy("loss", logits, m.Labels("label"), nn.FromLogits))
	g, err := m.Build()
	require.NoError(t, err)
	return g
}

// lstmTrainStep is the TrainStep program of smallLSTM.
func lstmTrainStep(t *testing.T, steps, maxBatch int) *program {
	t.Helper()
	return trainStepProgram(t, smallLSTM(t, steps), Options{Package: "lstm", MaxBatch: maxBatch, Train: true}, ir.ModeTrain)
}

// TestWeightGradientIsOneProductOverTheSteps checks that an LSTM's weight gradient,
// one product per step summed in place, becomes one product written at the last
// backward step, with both operands kept one slot per step, and that the step
// holding it is written out rather than looped over.
func TestWeightGradientIsOneProductOverTheSteps(t *testing.T) {
	const steps = 6
	p := lstmTrainStep(t, steps, 4)
	var sp *stepProduct
	members := 0
	for id, s := range p.loops.stepProd {
		require.True(t, sp == nil || s == sp, "one weight, one product")
		sp = s
		n := p.g.Nodes[id]
		assert.Equal(t, ir.OpMatMul, n.Op)
		assert.True(t, n.Attrs.TransA, "%s: a weight gradient reads the gate gradients transposed", n.Name)
		members++
	}
	require.NotNil(t, sp, "the LSTM's weight gradient is not summed over the steps as one product")
	assert.Equal(t, steps, members, "one product per step")
	assert.Equal(t, steps, sp.steps)
	assert.Equal(t, 0, sp.a.ring, "the gate gradients keep one slot per step")
	assert.Equal(t, 0, sp.b.ring, "the step inputs keep one slot per step")
	assert.Equal(t, steps, sp.a.slots)
	assert.GreaterOrEqual(t, sp.b.slots, steps)
	prefix, k, _, ok := parseStep(p.g.Nodes[sp.emit].Name)
	require.True(t, ok)
	assert.Equal(t, "d.l", prefix)
	assert.Equal(t, 0, k, "written at the last backward step, which is step 0")
	for _, r := range p.loops.runs {
		for _, gr := range r.groups {
			assert.NotContains(t, gr.nodes, sp.emit, "the product over all steps is inside a loop")
		}
	}
}

// TestWeightGradientStaysPerStepWhenTheStepsWouldNotFit checks the memory bound: at
// a batch so large that every step's gate gradients would pass stepProductLimit, the
// products stay one per step.
func TestWeightGradientStaysPerStepWhenTheStepsWouldNotFit(t *testing.T) {
	const steps = 6
	gates := 4 * 4 // four gates of 4 units
	big := stepProductLimit/(steps*gates) + 1
	assert.NotEmpty(t, lstmTrainStep(t, steps, big-1).loops.stepProd, "at the bound")
	assert.Empty(t, lstmTrainStep(t, steps, big).loops.stepProd, "past the bound")
}

// TestBiasGradientIsOneColumnSumOverTheSteps checks that an LSTM's bias gradient, a
// channel sum per step added up by a tree of Adds, becomes one column sum written at
// the last Add, over the same one-slot-per-step gate gradients as the weight's.
func TestBiasGradientIsOneColumnSumOverTheSteps(t *testing.T) {
	const steps = 6
	p := lstmTrainStep(t, steps, 4)
	var ss *stepSum
	sums, adds := 0, 0
	for id, s := range p.loops.stepSum {
		require.True(t, ss == nil || s == ss, "one bias, one sum")
		ss = s
		switch p.g.Nodes[id].Op {
		case ir.OpChannelSum:
			sums++
		case ir.OpAdd:
			adds++
		default:
			t.Errorf("%s (%s) is not a ChannelSum or an Add", p.g.Nodes[id].Name, p.g.Nodes[id].Op)
		}
	}
	require.NotNil(t, ss, "the LSTM's bias gradient is not one column sum")
	assert.Equal(t, steps, sums, "one channel sum per step")
	assert.Equal(t, steps-1, adds, "added up by steps-1 Adds")
	assert.Equal(t, steps, ss.steps)
	assert.Equal(t, 0, ss.fam.ring)
	var sp *stepProduct
	for _, s := range p.loops.stepProd {
		sp = s
	}
	require.NotNil(t, sp)
	assert.Same(t, sp.a, ss.fam, "the bias and the weight gradients read the same gate gradients")
	for _, r := range p.loops.runs {
		for _, gr := range r.groups {
			assert.NotContains(t, gr.nodes, ss.final, "the column sum over all steps is inside a loop")
		}
	}
}
