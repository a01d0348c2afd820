package passes_test

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dlgen/dlgen/ir"
	"github.com/dlgen/dlgen/passes"
)

func TestThePipelineRespectsItsOrderingConstraints(t *testing.T) {
	require.NoError(t, passes.CheckPipeline(passes.Pipeline))
	find := func(name string) passes.Pass {
		p, ok := passes.PassNamed(name)
		require.True(t, ok, "no pass %q", name)
		return p
	}
	for _, c := range []struct {
		name  string
		order []string
		want  string
	}{
		{"autodiff after dce", []string{"lower", "dce", "autodiff"}, `"autodiff" must run before "dce"`},
		{"simplify after cse", []string{"lower", "fold", "cse", "simplify"}, `"simplify" must run before "cse"`},
		{"bnfold before dce", []string{"lower", "simplify", "bnfold", "dce"}, `"dce" must run before "bnfold"`},
		{"a pass twice", []string{"lower", "lower"}, "appears twice"},
	} {
		t.Run("a pipeline with "+c.name+" is refused", func(t *testing.T) {
			var p []passes.Pass
			for _, name := range c.order {
				p = append(p, find(name))
			}
			require.ErrorContains(t, passes.CheckPipeline(p), c.want)
		})
	}
}

// The pipeline is what the brief of the optimizer fixed; a change to it should be a
// deliberate change to this test too.
func TestThePipelineRunsThePassesInThisOrderAndModes(t *testing.T) {
	var got []string
	for _, p := range passes.Pipeline {
		got = append(got, fmt.Sprintf("%s(%s)", p.Name, p.Modes))
		assert.NotEmpty(t, p.Doc, p.Name)
	}
	assert.Equal(t, []string{"lower(both)", "autodiff(train)", "fold(both)", "simplify(both)", "cse(both)", "dce(both)", "bnfold(infer)"}, got)
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
		{ir.ModeInfer, []string{"lower", "fold", "simplify", "cse", "dce", "bnfold"}},
		{ir.ModeTrain, []string{"lower", "autodiff", "fold", "simplify", "cse", "dce"}},
	} {
		t.Run(c.mode, func(t *testing.T) {
			var ran []string
			out, err := passes.Compile(g, c.mode, passes.Config{Dump: func(pass, mode string, g *ir.Graph) {
				assert.Equal(t, c.mode, mode)
				require.NoError(t, ir.Verify(g))
				ran = append(ran, pass)
			}})
			require.NoError(t, err)
			assert.Equal(t, c.passes, ran)
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

func TestCompileShowsTheGraphBeforeEachPassAndSkipsDisabledOnes(t *testing.T) {
	g := pipelineGraph(t)
	var before []string
	var last *ir.Graph
	out, err := passes.Compile(g, ir.ModeInfer, passes.Config{
		Disable: []string{"bnfold", "cse"},
		Before: func(pass, _ string, in *ir.Graph) {
			before = append(before, pass)
			if last != nil {
				assert.Same(t, last, in, "pass %s does not start from the graph the previous one made", pass)
			}
		},
		Dump: func(_, _ string, out *ir.Graph) { last = out },
	})
	require.NoError(t, err)
	assert.Equal(t, []string{"lower", "fold", "simplify", "dce"}, before)
	scaled := 0
	for _, n := range out.Nodes {
		if n.Op == ir.OpChannelMul {
			scaled++
		}
	}
	assert.Equal(t, 1, scaled, "with bnfold disabled, the batch norm's ChannelMul stays")

	for _, c := range []struct{ name, disable, want string }{
		{"a required pass", "lower", `cannot disable "lower": it is required`},
		{"an unknown pass", "fuse", `cannot disable "fuse": there is no such pass`},
	} {
		t.Run("disabling "+c.name+" is an error", func(t *testing.T) {
			_, err := passes.Compile(g, ir.ModeTrain, passes.Config{Disable: []string{c.disable}})
			require.ErrorContains(t, err, c.want)
		})
	}
}
