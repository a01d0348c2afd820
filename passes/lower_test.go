package passes_test

import (
	"encoding/json"
	"math"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dlgen/dlgen/internal/gradcheck"
	"github.com/dlgen/dlgen/ir"
	"github.com/dlgen/dlgen/ir/interp"
	"github.com/dlgen/dlgen/passes"
)

// batchNormCase is one run of torch.nn.BatchNorm1d/2d, from
// testdata/torch/batchnorm_golden.py.
type batchNormCase struct {
	Name     string  `json:"name"`
	Train    bool    `json:"train"`
	Eps      float64 `json:"eps"`
	Momentum float64 `json:"momentum"`
	X        struct {
		Shape []int     `json:"shape"`
		Data  []float64 `json:"data"`
	} `json:"x"`
	Gamma            []float64 `json:"gamma"`
	Beta             []float64 `json:"beta"`
	RunningMean      []float64 `json:"running_mean"`
	RunningVar       []float64 `json:"running_var"`
	Y                []float64 `json:"y"`
	RunningMeanAfter []float64 `json:"running_mean_after"`
	RunningVarAfter  []float64 `json:"running_var_after"`
}

// batchNormGraph is x → BatchNorm → loss = Σ y·r, with r an input, so the same graph
// serves forward comparisons and gradient checks. Its parameters are named gamma,
// beta, running_mean and running_var.
func batchNormGraph(t *testing.T, xShape ir.Shape, eps, momentum float64) *ir.Graph {
	t.Helper()
	g := ir.NewGraph("bn")
	c := xShape[1]
	x, err := g.Add(ir.OpInput, "x", "input", ir.Attrs{Shape: xShape, Role: ir.RoleData})
	require.NoError(t, err)
	ins := []int{x}
	for _, p := range []struct {
		name string
		role ir.Role
	}{{"gamma", ir.RoleWeight}, {"beta", ir.RoleWeight}, {"running_mean", ir.RoleState}, {"running_var", ir.RoleState}} {
		id, err := g.Add(ir.OpParam, p.name, "bn", ir.Attrs{Shape: ir.Shape{c}, Role: p.role, Init: &ir.Init{Kind: ir.InitZeros}})
		require.NoError(t, err)
		ins = append(ins, id)
	}
	y, err := g.Add(ir.OpBatchNorm, "bn", "bn", ir.Attrs{Eps: eps, Momentum: momentum}, ins...)
	require.NoError(t, err)
	r, err := g.Add(ir.OpInput, "r", "loss", ir.Attrs{Shape: xShape, Role: ir.RoleData})
	require.NoError(t, err)
	yr, err := g.Add(ir.OpMul, "yr", "loss", ir.Attrs{}, y, r)
	require.NoError(t, err)
	g.Loss, err = g.Add(ir.OpReduceSum, "loss", "loss", ir.Attrs{}, yr)
	require.NoError(t, err)
	g.Outputs = []ir.Output{{Name: "y", ID: y}}
	return g
}

func setParam(t *testing.T, m *interp.Machine, name string, data []float64) {
	t.Helper()
	p := m.Param(name)
	require.NotNil(t, p, name)
	require.Len(t, data, len(p.Data), name)
	copy(p.Data, data)
}

func closeTo(t *testing.T, want, got []float64, tol float64, what string) {
	t.Helper()
	require.Len(t, got, len(want), what)
	for i := range want {
		assert.InDelta(t, want[i], got[i], tol*math.Max(1, math.Abs(want[i])), "%s[%d]", what, i)
	}
}

func TestBatchNormLoweringMatchesPyTorch(t *testing.T) {
	raw, err := os.ReadFile("../testdata/torch/batchnorm_golden.json")
	require.NoError(t, err)
	var file struct {
		Cases []batchNormCase `json:"cases"`
	}
	require.NoError(t, json.Unmarshal(raw, &file))
	require.Len(t, file.Cases, 5)
	for _, tc := range file.Cases {
		t.Run(tc.Name, func(t *testing.T) {
			shape := ir.Shape(append([]int{ir.Batch}, tc.X.Shape[1:]...))
			mode := ir.ModeInfer
			if tc.Train {
				mode = ir.ModeTrain
			}
			lg, err := passes.Lower(batchNormGraph(t, shape, tc.Eps, tc.Momentum), mode)
			require.NoError(t, err)
			require.NoError(t, ir.Verify(lg))
			for _, n := range lg.Nodes {
				require.NotEqual(t, ir.Macro, ir.Ops[n.Op].Kind, "macro op %s left after lowering", n.Op)
			}
			m, err := interp.New(lg, 1)
			require.NoError(t, err)
			setParam(t, m, "gamma", tc.Gamma)
			setParam(t, m, "beta", tc.Beta)
			setParam(t, m, "running_mean", tc.RunningMean)
			setParam(t, m, "running_var", tc.RunningVar)
			x := interp.FromData(tc.X.Data, tc.X.Shape...)
			vals, err := m.Run(map[string]*interp.Tensor{"x": x, "r": interp.NewTensor(tc.X.Shape...)})
			require.NoError(t, err)
			closeTo(t, tc.Y, vals[lg.Outputs[0].ID].Data, 1e-12, "y")
			// In train mode the running statistics move by momentum towards the batch
			// mean and the unbiased batch variance; in eval mode they stay put.
			closeTo(t, tc.RunningMeanAfter, m.Param("running_mean").Data, 1e-12, "running_mean")
			closeTo(t, tc.RunningVarAfter, m.Param("running_var").Data, 1e-12, "running_var")
			if tc.Train {
				assert.NotEqual(t, tc.RunningMean, m.Param("running_mean").Data, "train mode left running_mean unchanged")
			}
		})
	}
}

func TestGradientsThroughTrainingBatchNorm(t *testing.T) {
	for _, tc := range []struct {
		name  string
		shape ir.Shape
	}{
		{"NCHW input", ir.Shape{ir.Batch, 3, 2, 2}},
		{"(N, C) input", ir.Shape{ir.Batch, 4}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			lg, err := passes.Lower(batchNormGraph(t, tc.shape, 1e-5, 0.1), ir.ModeTrain)
			require.NoError(t, err)
			m, err := interp.New(lg, 1)
			require.NoError(t, err)
			c := tc.shape[1]
			setParam(t, m, "gamma", uniformValues(c, 0.5, 1.5, 1))
			setParam(t, m, "beta", uniformValues(c, -1, 1, 2))
			dims := tc.shape.Concrete(4)
			n := dims[0] * tc.shape.Elems()
			feeds := map[string]*interp.Tensor{
				"x": interp.FromData(uniformValues(n, -2, 2, 4), dims...),
				"r": interp.FromData(uniformValues(n, -1, 1, 5), dims...),
			}
			res, err := gradcheck.Check(lg, m, feeds, "x")
			require.NoError(t, err)
			require.Len(t, res, 3) // gamma, beta, x; the running statistics are state
			for _, r := range res {
				assert.Less(t, r.MaxRel, 1e-6, r.String())
			}
		})
	}
}

func dropoutGraph(t *testing.T, rate float64, inner int) *ir.Graph {
	t.Helper()
	g := ir.NewGraph("dropout")
	x, err := g.Add(ir.OpInput, "x", "input", ir.Attrs{Shape: ir.Shape{ir.Batch, inner}, Role: ir.RoleData})
	require.NoError(t, err)
	y, err := g.Add(ir.OpDropout, "drop", "drop", ir.Attrs{Rate: rate, Seed: 42}, x)
	require.NoError(t, err)
	g.Outputs = []ir.Output{{Name: "y", ID: y}}
	return g
}

func runDropout(t *testing.T, lg *ir.Graph, step uint64, x *interp.Tensor) []float64 {
	t.Helper()
	m, err := interp.New(lg, 1)
	require.NoError(t, err)
	m.Step = step
	vals, err := m.Run(map[string]*interp.Tensor{"x": x})
	require.NoError(t, err)
	return vals[lg.Outputs[0].ID].Data
}

func TestDropoutLowering(t *testing.T) {
	const batch, inner = 10, 1000 // 10 000 units
	x := interp.FromData(uniformValues(batch*inner, 1, 2, 7), batch, inner)

	t.Run("inference is the identity", func(t *testing.T) {
		lg, err := passes.Lower(dropoutGraph(t, 0.5, inner), ir.ModeInfer)
		require.NoError(t, err)
		assert.Equal(t, x.Data, runDropout(t, lg, 0, x))
	})
	t.Run("training with rate 0 is the identity", func(t *testing.T) {
		lg, err := passes.Lower(dropoutGraph(t, 0, inner), ir.ModeTrain)
		require.NoError(t, err)
		assert.Equal(t, x.Data, runDropout(t, lg, 3, x))
	})
	for _, rate := range []float64{0.1, 0.3, 0.5, 0.8} {
		lg, err := passes.Lower(dropoutGraph(t, rate, inner), ir.ModeTrain)
		require.NoError(t, err)
		y := runDropout(t, lg, 0, x)
		t.Run("training zeroes about rate of the units and scales the rest by 1/(1-rate)", func(t *testing.T) {
			zeros := 0
			for i, v := range y {
				if v == 0 {
					zeros++
					continue
				}
				require.InEpsilon(t, x.Data[i]/(1-rate), v, 1e-15, "unit %d", i)
			}
			// The dropped fraction has standard deviation sqrt(rate(1-rate)/10⁴) ≤ 0.005,
			// so 0.03 is six deviations; and the mask is a pure function of the seed
			// and step, so this cannot flake.
			frac := float64(zeros) / float64(len(y))
			assert.InDelta(t, rate, frac, 0.03, "rate %g", rate)
		})
		t.Run("training draws the same mask for the same step", func(t *testing.T) {
			assert.Equal(t, y, runDropout(t, lg, 0, x))
		})
		t.Run("training draws a different mask at the next step", func(t *testing.T) {
			next := runDropout(t, lg, 1, x)
			differ := 0
			for i := range y {
				if (y[i] == 0) != (next[i] == 0) {
					differ++
				}
			}
			// Independent masks disagree on a fraction 2·rate·(1-rate) ≥ 0.18 of the units.
			assert.Greater(t, differ, len(y)/10, "rate %g: masks of steps 0 and 1 differ in %d units", rate, differ)
		})
	}
}

// The spatial variants share one mask value over a whole channel (DropoutChannels,
// (N, C, H, W)) or over every step of a feature (DropoutFeatures, (N, T, F)), drop
// about rate of those, scale the rest by 1/(1-rate), and are the identity at
// inference.
func TestSpatialDropoutLowering(t *testing.T) {
	const rate = 0.4
	for _, tc := range []struct {
		sub   string
		shape ir.Shape           // without the batch
		group func(n, i int) int // the mask value that element i of item n takes
	}{
		{ir.DropoutChannels, ir.Shape{20, 3, 4}, func(n, i int) int { return n*20 + i/12 }},
		{ir.DropoutChannels, ir.Shape{20, 7}, func(n, i int) int { return n*20 + i/7 }},
		{ir.DropoutFeatures, ir.Shape{6, 20}, func(n, i int) int { return n*20 + i%20 }},
	} {
		t.Run(tc.sub+" "+tc.shape.String(), func(t *testing.T) {
			const batch = 50 // 1000 mask values
			g := ir.NewGraph("dropout")
			x, err := g.Add(ir.OpInput, "x", "input", ir.Attrs{Shape: append(ir.Shape{ir.Batch}, tc.shape...), Role: ir.RoleData})
			require.NoError(t, err)
			y, err := g.Add(ir.OpDropout, "drop", "drop", ir.Attrs{Rate: rate, Seed: 42, Sub: tc.sub}, x)
			require.NoError(t, err)
			g.Outputs = []ir.Output{{Name: "y", ID: y}}
			elems := tc.shape.Elems()
			xs := interp.FromData(uniformValues(batch*elems, 1, 2, 7), append([]int{batch}, tc.shape...)...)

			infer, err := passes.Lower(g, ir.ModeInfer)
			require.NoError(t, err)
			assert.Equal(t, xs.Data, runDropout(t, infer, 0, xs))

			train, err := passes.Lower(g, ir.ModeTrain)
			require.NoError(t, err)
			out := runDropout(t, train, 0, xs)
			kept := map[int]bool{}
			for n := range batch {
				for i := range elems {
					k, v := tc.group(n, i), out[n*elems+i]
					on := v != 0
					if prev, seen := kept[k]; seen {
						require.Equal(t, prev, on, "item %d element %d: its group's mask differs", n, i)
					}
					kept[k] = on
					if on {
						require.InEpsilon(t, xs.Data[n*elems+i]/(1-rate), v, 1e-15)
					}
				}
			}
			dropped := 0
			for _, on := range kept {
				if !on {
					dropped++
				}
			}
			// 1000 groups: the dropped fraction's deviation is sqrt(0.24/1000) ≈ 0.015.
			assert.InDelta(t, rate, float64(dropped)/float64(len(kept)), 0.08)
		})
	}
}
