package codegen

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dlgen/dlgen/ir"
)

// The padding package joins the other cases: generated into testdata/pad, compared
// with the interpreter by its own model_test.go (forward, every gradient, threads,
// no allocation), and counted by TestTheModelsExerciseEveryEmitter.
func init() {
	cases = append(cases, struct {
		pkg      string
		graph    func() (*ir.Graph, error)
		maxBatch int
	}{"pad", padGraph, 7})
}

// padGraph pads and crops in every combination the Pad2D emitter distinguishes: a
// crop and a pad on each axis at once (rows cropped above and padded below, columns
// padded left and cropped right), plain zero padding of every side, and a crop of
// columns only (whole output rows copied) after a convolution, whose gradients are
// the opposite Pad2Ds.
func padGraph() (*ir.Graph, error) {
	b := newGB("pad")
	x := b.input("image", ir.RoleData, "", 2, 7, 6)
	label := b.input("label", ir.RoleTarget, ir.Int)
	pad := func(name string, x int, p ...int) int { return b.add(ir.OpPad2D, name, name, ir.Attrs{Pads: p}, x) }

	h := pad("mixed", x, -2, 1, 3, -2) // 2×8×5
	h = b.add(ir.OpTanh, "mixed/tanh", "mixed", ir.Attrs{}, h)
	h = pad("zeros", h, 1, 2, 1, 1) // 2×10×8
	w := b.param("conv.weight", "conv", ir.RoleWeight, ir.Init{Kind: ir.InitHeUniform, FanIn: 18, FanOut: 27}, 3, 2, 3, 3)
	h = b.add(ir.OpConv2D, "conv", "conv", ir.Attrs{Strides: []int{1, 1}, Pads: []int{0, 0, 0, 0}}, h, w) // 3×8×6
	h = b.add(ir.OpTanh, "conv/tanh", "conv", ir.Attrs{}, h)
	h = pad("cols", h, 0, -1, 0, -2) // 3×8×3
	flat := b.add(ir.OpReshape, "flat", "flat", ir.Attrs{Shape: ir.Shape{72}}, h)
	logits := b.dense("fc", flat, 72, 4)
	b.g.Outputs = []ir.Output{{Name: "logits", ID: logits}, {Name: "cropped", ID: h}}
	b.g.Loss = b.add(ir.OpSparseSoftmaxCELoss, "loss", "loss", ir.Attrs{}, logits, label)
	return b.build()
}

// The kernels write each output element once: the rows above and below and the
// columns left and right of the copied block are cleared, the rest copied, with no
// clear of the whole output; a crop of columns only clears nothing.
func TestPad2DCompilesToRowCopies(t *testing.T) {
	files := generate(t, padGraph, "pad", 7)
	var kernels string
	for _, f := range files {
		if f.Name == "kernels.go" {
			kernels = string(f.Data)
		}
	}
	require.NotEmpty(t, kernels)
	for _, want := range []string{
		// mixed: input rows [2, 7) land at row 0, columns [0, 4) at column 1.
		"// pads {top -2, left 1, bottom 3, right -2} (negative: cropped) of 7×6 planes: 8×5 planes, input rows [2, 7) and columns [0, 4) at row 0, column 1",
		"yr := (*[5]float32)(yp[r*5:])",
		"*(*[4]float32)(yr[1:]) = *(*[4]float32)(xp[(r+2)*6:])",
		"clear(yp[25:]) // the rows below",
		// cols: whole rows of the output, from column 1 of the input.
		"*yr = *(*[3]float32)(xp[r*6+1:])",
	} {
		assert.Contains(t, kernels, want)
	}
	assert.NotContains(t, kernels, "clear(y)")
	assert.Equal(t, 0, strings.Count(kernels, "clear(yp[:0])")+strings.Count(kernels, "clear(yr[:0])"), "no empty clears")
}
