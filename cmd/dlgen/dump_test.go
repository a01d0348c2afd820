package main

import (
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dlgen/dlgen/internal/load"
	"github.com/dlgen/dlgen/ir"
	"github.com/dlgen/dlgen/models"
	"github.com/dlgen/dlgen/passes"
)

// update rewrites the golden files: go test ./cmd/dlgen -run Golden -update
var update = flag.Bool("update", false, "rewrite the golden files under testdata")

// golden compares got with testdata/name, or rewrites the file with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		require.NoError(t, os.MkdirAll("testdata", 0o755))
		require.NoError(t, os.WriteFile(path, []byte(got), 0o644))
		return
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "run go test ./cmd/dlgen -run Golden -update to create it")
	assert.Equal(t, string(want), got, "dump output differs from %s; if the change is intended, rerun with -update", path)
}

// graphFile writes the graph of a constructor to a JSON file for dump to read.
func graphFile(t *testing.T, build func() (*ir.Graph, error)) string {
	t.Helper()
	g, err := build()
	require.NoError(t, err)
	data, err := ir.Encode(g)
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), g.Name+".json")
	require.NoError(t, os.WriteFile(path, data, 0o644))
	return path
}

func TestDumpGolden(t *testing.T) {
	lenet := graphFile(t, models.LeNet().Build)
	tests := []struct {
		name   string
		args   []string
		golden string
	}{
		{"LeNet as built prints its summary and IR", nil, "lenet.txt"},
		{"LeNet as built prints as a DOT graph", []string{"-format", "dot"}, "lenet.dot"},
		{"LeNet lowered for training with gradients prints the backward pass", []string{"-grad"}, "lenet_grad.txt"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := dlgen(append(append([]string{"dump"}, tt.args...), lenet)...)
			require.Equal(t, 0, code, stderr)
			golden(t, tt.golden, stdout)
		})
	}
}

func TestDumpDOTRendersWithGraphviz(t *testing.T) {
	dot, err := exec.LookPath("dot")
	if err != nil {
		t.Skip("Graphviz is not installed")
	}
	lenet := graphFile(t, models.LeNet().Build)
	code, stdout, stderr := dlgen("dump", "-grad", "-format", "dot", lenet)
	require.Equal(t, 0, code, stderr)
	cmd := exec.Command(dot, "-Tsvg")
	cmd.Stdin = strings.NewReader(stdout)
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", out)
	assert.Contains(t, string(out), "<svg")
	assert.Contains(t, string(out), "Conv2DFilterGrad")
}

func TestDumpText(t *testing.T) {
	g, err := models.LeNet().Build()
	require.NoError(t, err)
	var b strings.Builder
	require.NoError(t, writeText(&b, g))
	out := b.String()

	t.Run("the summary counts LeNet-5's 61,706 parameters", func(t *testing.T) {
		// conv1 6·(1·25+1) + conv2 16·(6·25+1) + fc1 120·401 + fc2 84·121 + fc3 10·85.
		assert.Equal(t, 156+2416+48120+10164+850, 61706)
		assert.Contains(t, out, "Total params: 61,706 (241.04 KiB)\n")
		assert.Contains(t, out, "Trainable params: 61,706 (241.04 KiB)\n")
		assert.Contains(t, out, "Non-trainable params: 0 (0 B)\n")
	})

	t.Run("each layer row gives its ops, output shape and parameters", func(t *testing.T) {
		assert.Regexp(t, `(?m)^conv1 +Conv2D, BiasAdd, Relu +N×6×28×28 +156$`, out)
		assert.Regexp(t, `(?m)^fc1 +MatMul, BiasAdd, Relu +N×120 +48,120$`, out)
		assert.Regexp(t, `(?m)^loss +SparseSoftmaxCELoss +scalar +0$`, out)
	})

	t.Run("each IR line gives the node, its inputs, attributes, shape and layer", func(t *testing.T) {
		conv := g.ByName("conv1")
		require.NotNil(t, conv)
		line := nodeLine(conv)
		assert.Regexp(t, `^%\d+ = Conv2D\(%0, %\d+\) strides=\[1 1\] pads=\[2 2 2 2\] : N×6×28×28   # conv1$`, line)
		assert.Contains(t, out, line+"\n")
	})
}

func TestDumpSummaryOfBatchNorm(t *testing.T) {
	// Batch norm's running statistics are non-trainable; in training mode its lowered
	// ops end with RunningUpdate, whose result is not the layer's output.
	g := ir.NewGraph("bn")
	x, err := g.Add(ir.OpInput, "x", "x", ir.Attrs{Shape: ir.Shape{ir.Batch, 3, 2, 2}, Role: ir.RoleData})
	require.NoError(t, err)
	var ps []int
	for _, p := range []struct {
		name string
		role ir.Role
	}{{"gamma", ir.RoleWeight}, {"beta", ir.RoleWeight}, {"running_mean", ir.RoleState}, {"running_var", ir.RoleState}} {
		id, err := g.Add(ir.OpParam, "bn."+p.name, "bn", ir.Attrs{Shape: ir.Shape{3}, Role: p.role, Init: &ir.Init{Kind: ir.InitOnes}})
		require.NoError(t, err)
		ps = append(ps, id)
	}
	y, err := g.Add(ir.OpBatchNorm, "bn", "bn", ir.Attrs{Eps: 1e-5, Momentum: 0.1}, x, ps[0], ps[1], ps[2], ps[3])
	require.NoError(t, err)
	r, err := g.Add(ir.OpRelu, "act", "act", ir.Attrs{}, y)
	require.NoError(t, err)
	g.Outputs = []ir.Output{{Name: "y", ID: r}}
	lowered, err := prepare(g, ir.ModeTrain, false)
	require.NoError(t, err)

	var b strings.Builder
	require.NoError(t, writeText(&b, lowered))
	out := b.String()
	assert.Regexp(t, `(?m)^bn +ChannelMean, Scale, BiasAdd, Square, +N×3×2×2 +12$`, out)
	assert.Contains(t, out, "Trainable params: 6 (24 B)\n")
	assert.Contains(t, out, "Non-trainable params: 6 (24 B)\n")
}

func TestDumpThroughTheLoader(t *testing.T) {
	// The same golden file as from JSON, but the graph comes from running the
	// constructor in package models through go run.
	code, stdout, stderr := dlgen("dump", "-pkg", "../../models", "-model", "LeNet")
	require.Equal(t, 0, code, stderr)
	golden(t, "lenet.txt", stdout)

	t.Run("an unknown model lists the ones there are", func(t *testing.T) {
		code, _, stderr := dlgen("dump", "-pkg", "../../models", "-model", "LeNet5")
		assert.Equal(t, 1, code)
		_, list, ok := strings.Cut(stderr, "no model constructor named LeNet5; the marked ones are: ")
		require.True(t, ok, stderr)
		assert.Subset(t, strings.Split(strings.TrimSpace(list), ", "), []string{"MLP", "LeNet", "ConvDAE"})
	})
	root, err := filepath.Abs("../..")
	require.NoError(t, err)
	left, err := filepath.Glob(filepath.Join(root, load.TempPrefix+"*"))
	require.NoError(t, err)
	assert.Empty(t, left)
}

func TestDumpListsThePasses(t *testing.T) {
	code, stdout, stderr := dlgen("dump", "-passes")
	require.Equal(t, 0, code, stderr)
	for _, p := range passes.Pipeline {
		assert.Regexp(t, `(?m)^`+p.Name+` +`+p.Modes.String()+` `, stdout)
	}
	for _, c := range passes.Constraints() {
		assert.Contains(t, stdout, c.A+" before "+c.B+": "+c.Why)
	}
}

func TestDumpShowsTheGraphBeforeAndAfterAPass(t *testing.T) {
	resnet := graphFile(t, models.ResNetSmall().Build)
	// bnScales counts ChannelMul nodes on activations: the lowered inference batch
	// norms that bnfold folds into the convolutions.
	bnScales := func(args ...string) int {
		t.Helper()
		code, stdout, stderr := dlgen(append(append([]string{"dump", "-format", "json"}, args...), resnet)...)
		require.Equal(t, 0, code, stderr)
		g, err := ir.Decode([]byte(stdout))
		require.NoError(t, err)
		c := 0
		for _, n := range g.Nodes {
			if n.Op == ir.OpChannelMul && g.Nodes[n.Inputs[0]].Shape.Batched() {
				c++
			}
		}
		return c
	}
	before := bnScales("-before", "bnfold")
	assert.Greater(t, before, 4)
	assert.Equal(t, before, bnScales("-after", "dce"), "nothing runs between dce and bnfold")
	assert.Zero(t, bnScales("-after", "bnfold"))
	assert.Zero(t, bnScales("-after", "bnfold", "-disable", "cse"), "-disable cse leaves bnfold on")
	assert.Equal(t, before, bnScales("-after", "dce", "-disable", "bnfold"))

	t.Run("a pass that only trains defaults to -mode train", func(t *testing.T) {
		code, stdout, stderr := dlgen("dump", "-after", "autodiff", resnet)
		require.Equal(t, 0, code, stderr)
		assert.Contains(t, stdout, "Conv2DFilterGrad")
	})
	t.Run("a text dump before lowering still has the macro ops", func(t *testing.T) {
		code, stdout, stderr := dlgen("dump", "-before", "lower", "-mode", "train", resnet)
		require.Equal(t, 0, code, stderr)
		assert.Contains(t, stdout, "= BatchNorm(")
	})
	t.Run("bad pipeline requests are usage errors", func(t *testing.T) {
		for _, c := range []struct {
			args []string
			want string
		}{
			{[]string{"-after", "fuse"}, `unknown pass "fuse"; the passes are: lower, autodiff`},
			{[]string{"-after", "bnfold", "-mode", "train"}, `pass "bnfold" runs only when compiling for infer, not train`},
			{[]string{"-after", "cse", "-grad"}, "-grad cannot be combined with -after or -before"},
			{[]string{"-after", "cse", "-before", "dce"}, "not both"},
			{[]string{"-disable", "cse"}, "-disable needs -after or -before"},
			{[]string{"-after", "cse", "-disable", "cse"}, `pass "cse" is disabled`},
			{[]string{"-after", "cse", "-mode", "user"}, "-mode user is the graph before every pass"},
			{[]string{"-passes", "-mode", "train"}, "-passes takes no other flags"},
		} {
			code, _, stderr := dlgen(append(append([]string{"dump"}, c.args...), resnet)...)
			assert.Equal(t, 2, code, "%v", c.args)
			assert.Contains(t, stderr, c.want, "%v", c.args)
		}
		code, _, stderr := dlgen("dump", "-after", "cse", "-disable", "lower", resnet)
		assert.Equal(t, 1, code)
		assert.Contains(t, stderr, `cannot disable "lower": it is required`)
	})
}

func TestDumpPlanReportsEveryMethodWithAndWithoutFusion(t *testing.T) {
	resnet := graphFile(t, models.ResNetSmall().Build)
	code, stdout, stderr := dlgen("dump", "-plan", "-max-batch", "8", resnet)
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, stdout, "resnet_small: memory plan at MaxBatch 8, in float32 values\n")
	for _, method := range []string{"Predict", "Loss", "TrainStep", "deriveParams"} {
		for _, fusion := range []string{"off", "on"} {
			assert.Regexp(t, `(?m)^ *`+method+` +`+fusion+`( +\d+){7} +\d\.\d\d$`, stdout)
		}
	}
	assert.Regexp(t, `(?m)^arena \(one for all methods, the largest\): \d+ without fusion, \d+ with$`, stdout)
	assert.Regexp(t, `(?m)^Predict and Loss leave \d+ nodes computed from parameters alone to deriveParams$`, stdout)

	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"-plan", "-format", "dot"}, "-plan cannot be combined with -format"},
		{[]string{"-plan", "-max-batch", "0"}, "-max-batch must be at least 1"},
		{[]string{"-max-batch", "4"}, "-max-batch needs -plan"},
	} {
		code, _, stderr := dlgen(append(append([]string{"dump"}, c.args...), resnet)...)
		assert.Equal(t, 2, code, "%v", c.args)
		assert.Contains(t, stderr, c.want, "%v", c.args)
	}
}
