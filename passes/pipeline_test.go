package passes_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dlgen/dlgen/ir"
	"github.com/dlgen/dlgen/passes"
)

func TestThePipelineRespectsItsOrderingConstraints(t *testing.T) {
	require.NoError(t, passes.CheckPipeline(passes.Pipeline))
	find := func(name string) passes.Pass {
		for _, p := range passes.Pipeline {
			if p.Name == name {
				return p
			}
		}
		t.Fatalf("no pass %q", name)
		return passes.Pass{}
	}
	swapped := []passes.Pass{find("lower"), find("dce"), find("autodiff")}
	require.ErrorContains(t, passes.CheckPipeline(swapped), `"autodiff" must run before "dce"`)
	dup := []passes.Pass{find("lower"), find("lower")}
	require.ErrorContains(t, passes.CheckPipeline(dup), "appears twice")
}

// pipelineGraph is x → Dense → BatchNorm → Dropout → outputs, with an MSE loss and a
// dead branch that DCE removes.
func pipelineGraph(t *testing.T) *ir.Graph {
	g := ir.NewGraph("pipe")
	add := func(op, name string, a ir.Attrs, in ...int) int {
		id, err := g.Add(op, name, name, a, in...)
		require.NoError(t, err)
		return id
	}
	param := func(name string, role ir.Role, dims ...int) int {
		return add(ir.OpParam, name, ir.Attrs{Shape: ir.Shape(dims), Role: role, Init: &ir.Init{Kind: ir.InitUniform, Value: 0.5}})
	}
	x := add(ir.OpInput, "x", ir.Attrs{Shape: ir.Shape{ir.Batch, 3}, Role: ir.RoleData})
	tgt := add(ir.OpInput, "t", ir.Attrs{Shape: ir.Shape{ir.Batch, 4}, Role: ir.RoleTarget})
	w := param("fc.weight", ir.RoleWeight, 4, 3)
	h := add(ir.OpMatMul, "fc", ir.Attrs{TransB: true}, x, w)
	bn := add(ir.OpBatchNorm, "bn", ir.Attrs{Eps: 1e-5, Momentum: 0.1}, h,
		param("bn.weight", ir.RoleWeight, 4), param("bn.bias", ir.RoleWeight, 4),
		param("bn.running_mean", ir.RoleState, 4), param("bn.running_var", ir.RoleState, 4))
	y := add(ir.OpDropout, "drop", ir.Attrs{Rate: 0.5, Seed: 1}, bn)
	add(ir.OpExp, "dead", ir.Attrs{}, y)
	g.Outputs = []ir.Output{{Name: "y", ID: y}}
	g.Loss = add(ir.OpMSELoss, "loss", ir.Attrs{}, y, tgt)
	return g
}

func TestCompileRunsThePassesOfItsMode(t *testing.T) {
	g := pipelineGraph(t)
	before, err := ir.Encode(g)
	require.NoError(t, err)
	for _, c := range []struct {
		mode   string
		passes []string
	}{
		{ir.ModeInfer, []string{"lower", "dce"}},
		{ir.ModeTrain, []string{"lower", "autodiff", "dce"}},
	} {
		t.Run(c.mode, func(t *testing.T) {
			var ran []string
			out, err := passes.Compile(g, c.mode, passes.Config{Dump: func(pass, mode string, g *ir.Graph) {
				assert.Equal(t, c.mode, mode)
				require.NoError(t, ir.Verify(g))
				ran = append(ran, pass)
			}})
			require.NoError(t, err)
			// The optimizer helper's passes (cse, fold, ...) may run in between.
			assert.Subset(t, ran, c.passes)
			assert.Equal(t, c.mode, out.Mode)
			for _, n := range out.Nodes {
				assert.NotEqual(t, ir.Macro, ir.Ops[n.Op].Kind, "%s survived lowering", n.Name)
				assert.NotEqual(t, "dead", n.Name, "dce keeps the dead branch")
			}
			if c.mode == ir.ModeTrain {
				assert.Len(t, out.Grads, 3)
			} else {
				assert.Empty(t, out.Grads)
			}
		})
	}
	after, err := ir.Encode(g)
	require.NoError(t, err)
	require.Equal(t, string(before), string(after), "Compile modified the user's graph")
	_, err = passes.Compile(g, "eval", passes.Config{})
	require.ErrorContains(t, err, `unknown mode "eval"`)
}
