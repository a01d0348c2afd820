package codegen

import (
	"sort"

	"github.com/dave/jennifer/jen"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dlgen/dlgen/ir"
	"github.com/dlgen/dlgen/nn"
	"github.com/dlgen/dlgen/passes"
)

// pendingEmitters are ops whose emitters another change adds. Remove an op from
// here when its emitter lands.
var pendingEmitters = map[string]bool{}

func TestEveryOpHasAnEmitter(t *testing.T) {
	var missing []string
	for _, name := range ir.OpNames() {
		def := ir.Ops[name]
		if def.Kind == ir.Macro || name == ir.OpInput || name == ir.OpParam {
			continue // lowered away, or not code: arguments and parameter arrays
		}
		_, ok := Emitters[name]
		if pendingEmitters[name] {
			assert.False(t, ok, "%s has an emitter now: remove it from pendingEmitters and add it to a tested model", name)
		} else if !ok {
			missing = append(missing, name+" ("+def.Kind.String()+")")
		}
	}
	assert.Empty(t, missing, "ops without an emitter")
	for name := range Emitters {
		_, ok := ir.Ops[name]
		assert.True(t, ok, "emitter for %s, which is not in the op table", name)
	}
}

// TestTheModelsExerciseEveryEmitter makes sure that the end-to-end packages, whose
// tests compare them with the interpreter, contain every op that has an emitter.
func TestTheModelsExerciseEveryEmitter(t *testing.T) {
	seen := map[string]bool{}
	for _, c := range cases {
		g, err := c.graph()
		require.NoError(t, err)
		for _, mode := range []string{ir.ModeInfer, ir.ModeTrain} {
			cg, err := passes.Compile(g, mode, passes.Config{})
			require.NoError(t, err)
			for _, n := range cg.Nodes {
				seen[n.Op] = true
			}
			for _, n := range cg.Nodes {
				if n.Op == ir.OpLossGrad {
					seen[ir.OpLossGrad+"/"+n.Attrs.Sub] = true
				}
			}
		}
	}
	// Simplify removes every Identity (a view: its emitter writes no code), so no
	// compiled graph has one.
	seen[ir.OpIdentity] = true
	var missing []string
	for op := range Emitters {
		if !seen[op] {
			missing = append(missing, op)
		}
	}
	for op := range pointLosses {
		if !seen[ir.OpLossGrad+"/"+op] {
			missing = append(missing, ir.OpLossGrad+"/"+op)
		}
	}
	for op := range rowLosses {
		if !seen[ir.OpLossGrad+"/"+op] {
			missing = append(missing, ir.OpLossGrad+"/"+op)
		}
	}
	sort.Strings(missing)
	assert.Empty(t, missing, "no tested model uses these ops")
}

func TestGenerateRefusesWhatItCannotCompile(t *testing.T) {
	mlp, err := mlpGraph()
	require.NoError(t, err)
	noOut := mlp.Clone()
	noOut.Outputs = nil
	noOut.Loss = -1
	lowered, err := passes.Lower(mlp, ir.ModeInfer)
	require.NoError(t, err)

	conv := newGB("conv")
	x := conv.input("image", ir.RoleData, "", 1, 4, 4)
	w := conv.param("c1.weight", "c1", ir.RoleWeight, ir.Init{Kind: ir.InitHeNormal, FanIn: 9}, 2, 1, 3, 3)
	y := conv.add(ir.OpConv2D, "c1/conv", "c1", ir.Attrs{Strides: []int{1, 1}, Pads: []int{1, 1, 1, 1}}, x, w)
	conv.g.Outputs = []ir.Output{{Name: "y", ID: y}}
	convG, err := conv.build()
	require.NoError(t, err)

	badInit := newGB("badinit")
	bx := badInit.input("x", ir.RoleData, "", 3)
	bw := badInit.param("fc.weight", "fc", ir.RoleWeight, ir.Init{Kind: ir.InitHeUniform}, 2, 3) // no fans
	by := badInit.add(ir.OpMatMul, "fc/matmul", "fc", ir.Attrs{TransB: true}, bx, bw)
	badInit.g.Outputs = []ir.Output{{Name: "y", ID: by}}
	badInitG, err := badInit.build()
	require.NoError(t, err)

	good := Options{Package: "mlp", MaxBatch: 8, Train: true}
	cases := []struct {
		name string
		g    *ir.Graph
		opts Options
		want string
	}{
		{"a package name that is not an identifier", mlp, Options{Package: "my-model", MaxBatch: 8}, `package name "my-model"`},
		{"a zero MaxBatch", mlp, Options{Package: "mlp"}, "MaxBatch 0"},
		{"a graph without outputs or loss", noOut, good, "nothing to generate"},
		{"a graph that is already lowered", lowered, good, "already lowered"},
		{"an op without an emitter names its layer", convG, Options{Package: "conv", MaxBatch: 2}, "c1 (Conv2D)"},
		{"an initializer without fans names the parameter", badInitG, Options{Package: "bad", MaxBatch: 2}, `"fc.weight"`},
	}
	// Every op has an emitter now: take Conv2D's away for the case that needs one
	// missing.
	conv2D := Emitters[ir.OpConv2D]
	delete(Emitters, ir.OpConv2D)
	t.Cleanup(func() { Emitters[ir.OpConv2D] = conv2D })
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			files, err := Generate(c.g, c.opts)
			require.Error(t, err)
			require.Nil(t, files)
			require.Contains(t, err.Error(), c.want)
		})
	}
}

func TestGeneratedFilesAreFormattedAndMarked(t *testing.T) {
	for _, c := range cases {
		for _, f := range generate(t, c.graph, c.pkg, c.maxBatch) {
			if !strings.HasSuffix(f.Name, ".go") {
				continue
			}
			require.True(t, strings.HasPrefix(string(f.Data), "// "+Header+"\n"), "%s/%s must start with the generated-code line", c.pkg, f.Name)
		}
	}
}

func TestInferenceOnlyGenerationHasNoTrainingCode(t *testing.T) {
	g, err := mlpGraph()
	require.NoError(t, err)
	files, err := Generate(g, Options{Package: "mlp", MaxBatch: 4})
	require.NoError(t, err)
	names := map[string]string{}
	for _, f := range files {
		names[f.Name] = string(f.Data)
	}
	require.NotContains(t, names, "train.go")
	require.NotContains(t, names, "model_test.go")
	require.Contains(t, names["predict.go"], "func (m *Model) Predict(n int, image []float32, probs []float32) error")
	require.Contains(t, names, "kernels.go")
	require.NotContains(t, names["predict.go"], "func (m *Model) Loss(")
	require.NotContains(t, names["model.go"], "Optimizer")
}

func TestKernelLocalsNeverShadowArguments(t *testing.T) {
	// Inputs named like the locals emitters use: a binary op reading arguments
	// "b" and "a" (in that order) must not read its own local a as b.
	bd := newGB("shadow")
	b := bd.input("b", ir.RoleData, "", 3)
	a := bd.input("a", ir.RoleData, "", 3)
	y := bd.add(ir.OpSub, "y", "y", ir.Attrs{}, b, a)
	bd.g.Outputs = []ir.Output{{Name: "out", ID: y}}
	g, err := bd.build()
	require.NoError(t, err)
	files, err := Generate(g, Options{Package: "shadow", MaxBatch: 2})
	require.NoError(t, err)
	src := map[string]string{}
	for _, f := range files {
		src[f.Name] = string(f.Data)
	}
	// As a kernel method, the arguments are passed in order.
	require.Contains(t, src["predict.go"], "m.sub(n, b, a, out)")
	require.Contains(t, src["kernels.go"], "func (m *Model) sub(n int, a []float32, b []float32, y []float32)")
	// Inline, the bindings are one parallel declaration: a := b cannot make the
	// binding of b read the new a.
	k := &Kernel{Node: g.Nodes[y], prog: &program{g: g}}
	k.bind("a", Value{ID: b}, jen.Index().Float32(), jen.Id("b"))
	k.bind("b", Value{ID: a}, jen.Index().Float32(), jen.Id("a"))
	k.Emit(jen.Id("use").Call(jen.Id("a"), jen.Id("b")))
	require.Equal(t, "{\n\ta, b := b, a\n\tuse(a, b)\n}", inlineBlock(k).GoString())
}

func TestCamelCaseNames(t *testing.T) {
	n := newNamer("n", "m")
	for _, c := range []struct{ in, want string }{
		{"fc1.weight", "fc1Weight"},
		{"fc1.weight", "fc1Weight2"},
		{"bn.running_mean", "bnRunningMean"},
		{"n", "n2"},
		{"type", "type2"},
		{"len", "len2"},
		{"3d/conv", "x3dConv"},
		{"--", "v"},
	} {
		assert.Equal(t, c.want, n.name(c.in, false), "name(%q)", c.in)
	}
	assert.Equal(t, "Fc1Weight", camel("fc1.weight", true))
}

// A max pool over a 1×1 window (subsampling by its stride) has one tap: its gradient
// routes dy to that tap without comparing anything, and declares nothing it does not
// use (go vet refused the earlier form, which random graphs found).
func TestOneTapMaxPoolGradientRoutesDyDirectly(t *testing.T) {
	m := nn.New("subsample")
	x := m.Input("x", 2, 5, 4)
	// The sum keeps the pool out of a fused convolution, which keeps its winners.
	sum := nn.Add("sum", x, x.Conv2D("conv", 2, nn.K(1)))
	h := sum.MaxPool2D("pool", nn.K(1), nn.Strides(2)) // 2×3×2
	m.Output("y", h)
	m.Loss(nn.Mean("loss", h))
	g, err := m.Build()
	require.NoError(t, err)
	files, err := Generate(g, Options{Package: "subsample", MaxBatch: 2, Train: true})
	require.NoError(t, err)
	kernels := string(fileNames(files)["kernels.go"])
	i := strings.Index(kernels, "func (m *Model) maxPool2DGrad(")
	require.GreaterOrEqual(t, i, 0, kernels)
	body := kernels[i : i+strings.Index(kernels[i:], "\n}\n")]
	assert.Contains(t, body, "dxp[k] += dyp[p*2+q]")
	assert.NotContains(t, body, "best")
	assert.NotContains(t, body, "v :=")
	assert.NotContains(t, body, "\txp :=")
}
