package passes_test

import (
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dlgen/dlgen/internal/gradcheck"
	"github.com/dlgen/dlgen/ir"
	"github.com/dlgen/dlgen/passes"
)

// gradCase is one gradient check: op applied to operands (inputs and parameters),
// every float operand differentiated, each compared with central differences.
type gradCase struct {
	name     string
	op       string
	attrs    ir.Attrs
	operands []gradcheck.Operand
}

// maxGradError is the largest relative disagreement between autodiff and finite
// differences that a gradient check accepts.
const maxGradError = 1e-6

func runGradCases(t *testing.T, cases []gradCase) {
	t.Helper()
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res, err := gradcheck.CheckOp(tc.op, tc.attrs, tc.operands, uint64(100+i))
			require.NoError(t, err)
			require.NotEmpty(t, res)
			for _, r := range res {
				assert.Less(t, r.MaxRel, maxGradError, r.String())
			}
		})
	}
}

// uniformValues returns n values uniform in [lo, hi), the same for the same seed.
func uniformValues(n int, lo, hi float64, seed uint64) []float64 {
	rng := rand.New(rand.NewPCG(seed, 7))
	v := make([]float64, n)
	for i := range v {
		v[i] = lo + (hi-lo)*rng.Float64()
	}
	return v
}

// awayFrom returns n values in [kink-1, kink+1] at least gap from kink, so that a
// finite-difference step of gradcheck.Step never straddles a kink.
func awayFrom(n int, kink, gap float64, seed uint64) []float64 {
	v := uniformValues(n, -1, 1, seed)
	for i, u := range v {
		if u < 0 {
			v[i] = kink - gap + (1-gap)*u
		} else {
			v[i] = kink + gap + (1-gap)*u
		}
	}
	return v
}

func batched(dims ...int) ir.Shape { return append(ir.Shape{ir.Batch}, dims...) }

// elems is the number of values of shape with the batch at gradcheck.BatchSize.
func elems(s ir.Shape) int {
	n := 1
	for _, d := range s.Concrete(gradcheck.BatchSize) {
		n *= d
	}
	return n
}

func TestElementwiseGradients(t *testing.T) {
	s := batched(2, 3)
	x := gradcheck.Operand{Shape: s}
	w := gradcheck.Operand{Shape: ir.Shape{3}, Param: true}
	pos := gradcheck.Operand{Shape: s, Lo: 0.5, Hi: 2}
	runGradCases(t, []gradCase{
		{"identity", ir.OpIdentity, ir.Attrs{}, []gradcheck.Operand{x}},
		{"add", ir.OpAdd, ir.Attrs{}, []gradcheck.Operand{x, x}},
		{"add of two parameters", ir.OpAdd, ir.Attrs{}, []gradcheck.Operand{w, w}},
		{"sub", ir.OpSub, ir.Attrs{}, []gradcheck.Operand{x, x}},
		{"mul", ir.OpMul, ir.Attrs{}, []gradcheck.Operand{x, x}},
		{"mul of two parameters", ir.OpMul, ir.Attrs{}, []gradcheck.Operand{w, w}},
		{"div by values away from zero", ir.OpDiv, ir.Attrs{}, []gradcheck.Operand{x, pos}},
		{"div of a parameter", ir.OpDiv, ir.Attrs{}, []gradcheck.Operand{w, {Shape: ir.Shape{3}, Param: true, Lo: -2, Hi: -0.5}}},
		{"scale", ir.OpScale, ir.Attrs{Alpha: -1.7}, []gradcheck.Operand{x}},
		{"add scalar", ir.OpAddScalar, ir.Attrs{Alpha: 0.3}, []gradcheck.Operand{x}},
		{"exp", ir.OpExp, ir.Attrs{}, []gradcheck.Operand{x}},
		{"log of positive values", ir.OpLog, ir.Attrs{}, []gradcheck.Operand{pos}},
		{"square", ir.OpSquare, ir.Attrs{}, []gradcheck.Operand{x}},
		{"square of a parameter", ir.OpSquare, ir.Attrs{}, []gradcheck.Operand{w}},
		{"rsqrt of positive values", ir.OpRsqrt, ir.Attrs{}, []gradcheck.Operand{pos}},
	})
}

// A value read twice (x·x) gets the sum of both gradients: checks the rules compose.
func TestGradientOfASharedOperand(t *testing.T) {
	g, m, feeds, wrt, err := gradcheck.OpGraph(ir.OpMul, ir.Attrs{}, []gradcheck.Operand{{Shape: batched(4)}, {Shape: batched(4)}}, 3)
	require.NoError(t, err)
	// Rewire the product to read its first operand twice.
	g.Nodes[g.ByName("y").ID].Inputs[1] = g.Nodes[g.ByName("y").ID].Inputs[0]
	res, err := gradcheck.Check(g, m, feeds, wrt[0])
	require.NoError(t, err)
	require.Len(t, res, 1)
	assert.Less(t, res[0].MaxRel, maxGradError, res[0].String())
}

// The rules only build what is asked for: differentiating Sub with respect to its
// first operand alone must not emit the negation for the second.
func TestRulesSkipGradientsNobodyNeeds(t *testing.T) {
	g := ir.NewGraph("sub")
	a, err := g.Add(ir.OpParam, "a", "l", ir.Attrs{Shape: ir.Shape{2}, Role: ir.RoleWeight, Init: &ir.Init{Kind: ir.InitZeros}})
	require.NoError(t, err)
	b, err := g.Add(ir.OpInput, "b", "l", ir.Attrs{Shape: ir.Shape{2}, Role: ir.RoleData})
	require.NoError(t, err)
	d, err := g.Add(ir.OpSub, "d", "l", ir.Attrs{}, a, b)
	require.NoError(t, err)
	g.Loss, err = g.Add(ir.OpReduceSum, "loss", "l", ir.Attrs{}, d)
	require.NoError(t, err)
	dg, err := passes.Autodiff(g)
	require.NoError(t, err)
	for _, n := range dg.Nodes[len(g.Nodes):] {
		assert.NotEqual(t, ir.OpScale, n.Op, "emitted %s for an input that needs no gradient", n.Name)
	}
}
