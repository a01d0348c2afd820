package passes_test

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/dlgen/dlgen/internal/gradcheck"
	"github.com/dlgen/dlgen/ir"
	"github.com/dlgen/dlgen/passes"
)

// Gradient rules for Conv2D, Conv2DTranspose, the pools and the upsamplings, checked by
// central finite differences through the interpreter (gradcheck.CheckOp feeds a
// batch of gradcheck.BatchSize = 3). Sizes are odd on purpose (7x9) so that strides
// leave remainders and Keras 'same' pads are asymmetric.

func requireConvGradsOK(t *testing.T, op string, attrs ir.Attrs, operands []gradcheck.Operand, want int) {
	t.Helper()
	res, err := gradcheck.CheckOp(op, attrs, operands, 11)
	require.NoError(t, err)
	require.Len(t, res, want, "one result per differentiated operand")
	for _, r := range res {
		require.Less(t, r.MaxRel, 1e-6, r.String())
	}
}

func convSamePads(h, w, kh, kw, sh, sw int) []int {
	t, b := ir.SamePads(h, kh, sh)
	l, r := ir.SamePads(w, kw, sw)
	return []int{t, l, b, r}
}

func TestConv2DGradients(t *testing.T) {
	for _, tc := range []struct {
		name    string
		x, w    ir.Shape // x is (C,H,W) after the batch; w is OIHW
		strides []int
		pads    []int
	}{
		{"valid at stride (1,1)", ir.Shape{3, 7, 9}, ir.Shape{4, 3, 3, 3}, []int{1, 1}, []int{0, 0, 0, 0}},
		{"valid at stride (2,3), where the last rows and columns are skipped", ir.Shape{2, 8, 10}, ir.Shape{3, 2, 3, 2}, []int{2, 3}, []int{0, 0, 0, 0}},
		{"Keras same at stride (1,1) with an even kernel, so pads are asymmetric", ir.Shape{2, 7, 9}, ir.Shape{3, 2, 2, 4}, []int{1, 1}, convSamePads(7, 9, 2, 4, 1, 1)},
		{"Keras same at stride (2,3), asymmetric on both axes", ir.Shape{3, 7, 9}, ir.Shape{4, 3, 4, 4}, []int{2, 3}, convSamePads(7, 9, 4, 4, 2, 3)},
		{"full at stride (1,1)", ir.Shape{2, 5, 7}, ir.Shape{3, 2, 3, 2}, []int{1, 1}, []int{2, 1, 2, 1}},
		{"full at stride (2,3)", ir.Shape{2, 7, 9}, ir.Shape{2, 2, 3, 3}, []int{2, 3}, []int{2, 2, 2, 2}},
		{"explicit pads {2,0,1,3} at stride (3,2)", ir.Shape{3, 9, 7}, ir.Shape{2, 3, 2, 3}, []int{3, 2}, []int{2, 0, 1, 3}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			x := append(ir.Shape{ir.Batch}, tc.x...)
			requireConvGradsOK(t, ir.OpConv2D, ir.Attrs{Strides: tc.strides, Pads: tc.pads},
				[]gradcheck.Operand{{Shape: x}, {Shape: tc.w, Param: true}}, 2)
		})
	}
}

func TestConv2DTransposeGradients(t *testing.T) {
	for _, tc := range []struct {
		name    string
		x, w    ir.Shape // x is (C_in,H,W) after the batch; w is (C_in,C_out,KH,KW)
		strides []int
		pads    []int
		outPad  []int
	}{
		{"no pads at stride (1,1)", ir.Shape{3, 5, 6}, ir.Shape{3, 2, 3, 3}, []int{1, 1}, []int{0, 0, 0, 0}, nil},
		{"stride 2, pads 1, out_pad 1", ir.Shape{3, 4, 5}, ir.Shape{3, 2, 3, 3}, []int{2, 2}, []int{1, 1, 1, 1}, []int{1, 1}},
		{"stride (2,3), no pads, out_pad (1,2)", ir.Shape{2, 3, 4}, ir.Shape{2, 3, 2, 3}, []int{2, 3}, []int{0, 0, 0, 0}, []int{1, 2}},
		{"stride (2,3) with the asymmetric pads of a Keras-same conv", ir.Shape{4, 4, 3}, ir.Shape{4, 3, 4, 4}, []int{2, 3}, []int{1, 0, 2, 1}, []int{0, 0}},
		{"full pads at stride (1,1), shrinking 7x9 to 5x7", ir.Shape{2, 7, 9}, ir.Shape{2, 3, 3, 3}, []int{1, 1}, []int{2, 2, 2, 2}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			x := append(ir.Shape{ir.Batch}, tc.x...)
			requireConvGradsOK(t, ir.OpConv2DTranspose, ir.Attrs{Strides: tc.strides, Pads: tc.pads, OutPad: tc.outPad},
				[]gradcheck.Operand{{Shape: x}, {Shape: tc.w, Param: true}}, 2)
		})
	}
}

// The weight gradient of a transposed convolution reuses Conv2DFilterGrad with the
// roles of x and dy swapped; the result must come out in w's own (C_in, C_out, KH, KW)
// layout. With C_in ≠ C_out a swap of the two would show in the shape, and gradcheck
// above shows the values.
func TestConv2DTransposeWeightGradientHasTheWeightLayout(t *testing.T) {
	g := ir.NewGraph("convt")
	x, err := g.Add(ir.OpInput, "x", "in", ir.Attrs{Shape: ir.Shape{ir.Batch, 4, 4, 3}, Role: ir.RoleData})
	require.NoError(t, err)
	w, err := g.Add(ir.OpParam, "up.weight", "up", ir.Attrs{Shape: ir.Shape{4, 3, 4, 4}, Role: ir.RoleWeight, Init: &ir.Init{Kind: ir.InitZeros}})
	require.NoError(t, err)
	y, err := g.Add(ir.OpConv2DTranspose, "up", "up", ir.Attrs{Strides: []int{2, 3}, Pads: []int{1, 0, 2, 1}}, x, w)
	require.NoError(t, err)
	require.Equal(t, ir.Shape{ir.Batch, 3, 7, 9}, g.Nodes[y].Shape)
	g.Loss, err = g.Add(ir.OpReduceSum, "loss", "loss", ir.Attrs{}, y)
	require.NoError(t, err)

	dg, err := passes.Autodiff(g, "x")
	require.NoError(t, err)
	dw := dg.Nodes[dg.GradOf(w)]
	require.Equal(t, ir.OpConv2DFilterGrad, dw.Op)
	require.Equal(t, ir.Shape{4, 3, 4, 4}, dw.Shape)
	dx := dg.Nodes[dg.GradOf(x)]
	require.Equal(t, ir.OpConv2D, dx.Op)
	require.Equal(t, ir.Shape{ir.Batch, 4, 4, 3}, dx.Shape)
}

// Conv2D's output size floors, so its input gradient needs out_pad to get back to x's
// size: here 8 rows at stride 2 with a 3-row kernel give 3 outputs that reach row 6
// only, and 10 columns at stride 3 with a 2-column kernel give 3 outputs that reach
// column 7 only.
func TestConv2DInputGradientRestoresSkippedRowsWithOutPad(t *testing.T) {
	g := ir.NewGraph("conv")
	x, err := g.Add(ir.OpInput, "x", "in", ir.Attrs{Shape: ir.Shape{ir.Batch, 2, 8, 10}, Role: ir.RoleData})
	require.NoError(t, err)
	w, err := g.Add(ir.OpParam, "c.weight", "c", ir.Attrs{Shape: ir.Shape{3, 2, 3, 2}, Role: ir.RoleWeight, Init: &ir.Init{Kind: ir.InitZeros}})
	require.NoError(t, err)
	y, err := g.Add(ir.OpConv2D, "c", "c", ir.Attrs{Strides: []int{2, 3}, Pads: []int{0, 0, 0, 0}}, x, w)
	require.NoError(t, err)
	g.Loss, err = g.Add(ir.OpReduceSum, "loss", "loss", ir.Attrs{}, y)
	require.NoError(t, err)

	dg, err := passes.Autodiff(g, "x")
	require.NoError(t, err)
	dx := dg.Nodes[dg.GradOf(x)]
	require.Equal(t, ir.OpConv2DTranspose, dx.Op)
	require.Equal(t, []int{1, 2}, dx.Attrs.OutPad)
	require.Equal(t, ir.Shape{ir.Batch, 2, 8, 10}, dx.Shape)
}

// convDistinctValues returns n values that are a random permutation of evenly spaced
// numbers in [-1, 1): no two are equal, so every pooling window has a unique maximum
// and the finite difference of max is well defined.
func convDistinctValues(n int, seed uint64) []float64 {
	rng := rand.New(rand.NewPCG(seed, 5))
	v := make([]float64, n)
	for i, p := range rng.Perm(n) {
		v[i] = 2*float64(p)/float64(n) - 1
	}
	return v
}

func TestMaxPool2DGradients(t *testing.T) {
	for _, tc := range []struct {
		name            string
		x               ir.Shape // (C,H,W) after the batch
		kernel, strides []int
		pads            []int
	}{
		{"2x2 stride 2", ir.Shape{2, 6, 8}, []int{2, 2}, []int{2, 2}, []int{0, 0, 0, 0}},
		{"3x3 stride 2 pad 1 on 7x9, with overlapping windows", ir.Shape{2, 7, 9}, []int{3, 3}, []int{2, 2}, []int{1, 1, 1, 1}},
		{"3x3 stride (1,1), each input in up to nine windows", ir.Shape{1, 5, 6}, []int{3, 3}, []int{1, 1}, []int{0, 0, 0, 0}},
		{"2x3 stride (2,3) Keras same on 7x9, padded at the bottom", ir.Shape{2, 7, 9}, []int{2, 3}, []int{2, 3}, convSamePads(7, 9, 2, 3, 2, 3)},
		{"2x4 stride (2,3) Keras same on 7x9, asymmetric pads", ir.Shape{2, 7, 9}, []int{2, 4}, []int{2, 3}, convSamePads(7, 9, 2, 4, 2, 3)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			x := append(ir.Shape{ir.Batch}, tc.x...)
			vals := convDistinctValues(gradcheck.BatchSize*x.Elems(), 3)
			requireConvGradsOK(t, ir.OpMaxPool2D, ir.Attrs{Kernel: tc.kernel, Strides: tc.strides, Pads: tc.pads},
				[]gradcheck.Operand{{Shape: x, Values: vals}}, 1)
		})
	}
}

func TestAvgPool2DGradients(t *testing.T) {
	for _, exclude := range []bool{false, true} {
		for _, tc := range []struct {
			name            string
			x               ir.Shape
			kernel, strides []int
			pads            []int
		}{
			{"2x2 stride 2 without padding", ir.Shape{2, 6, 8}, []int{2, 2}, []int{2, 2}, []int{0, 0, 0, 0}},
			{"3x3 stride (1,1) pad 1", ir.Shape{2, 5, 6}, []int{3, 3}, []int{1, 1}, []int{1, 1, 1, 1}},
			{"3x3 stride 2 pad 1 on 7x9", ir.Shape{2, 7, 9}, []int{3, 3}, []int{2, 2}, []int{1, 1, 1, 1}},
			{"2x4 stride (2,3) Keras same on 7x9, asymmetric pads", ir.Shape{2, 7, 9}, []int{2, 4}, []int{2, 3}, convSamePads(7, 9, 2, 4, 2, 3)},
		} {
			name := tc.name + ", padding counted"
			if exclude {
				name = tc.name + ", padding excluded"
			}
			t.Run(name, func(t *testing.T) {
				x := append(ir.Shape{ir.Batch}, tc.x...)
				requireConvGradsOK(t, ir.OpAvgPool2D, ir.Attrs{Kernel: tc.kernel, Strides: tc.strides, Pads: tc.pads, Exclude: exclude},
					[]gradcheck.Operand{{Shape: x}}, 1)
			})
		}
	}
}

func TestGlobalAvgPool2DGradient(t *testing.T) {
	requireConvGradsOK(t, ir.OpGlobalAvgPool2D, ir.Attrs{}, []gradcheck.Operand{{Shape: ir.Shape{ir.Batch, 3, 5, 7}}}, 1)
}

func TestUpSample2DGradients(t *testing.T) {
	for _, sc := range [][]int{{2, 2}, {2, 3}, {1, 3}} {
		t.Run("scale "+ir.Shape(sc).String(), func(t *testing.T) {
			requireConvGradsOK(t, ir.OpUpSample2D, ir.Attrs{Scale: sc}, []gradcheck.Operand{{Shape: ir.Shape{ir.Batch, 2, 3, 5}}}, 1)
		})
	}
}

// Bilinear upsampling is linear, so central differences give its adjoint up to
// rounding: at odd sizes (a 1×1 input, whose every output reads one pixel; 3×5; 7×4)
// and factors (an even and an odd one, one axis kept, a large odd one).
func TestUpSampleBilinear2DGradients(t *testing.T) {
	for _, tc := range []struct {
		hw, sc []int
	}{
		{[]int{1, 1}, []int{2, 2}}, {[]int{3, 5}, []int{2, 2}}, {[]int{3, 5}, []int{3, 2}},
		{[]int{7, 4}, []int{1, 4}}, {[]int{7, 4}, []int{3, 2}}, {[]int{3, 5}, []int{5, 3}},
	} {
		t.Run(fmt.Sprintf("%d×%d by %v", tc.hw[0], tc.hw[1], tc.sc), func(t *testing.T) {
			requireConvGradsOK(t, ir.OpUpSampleBilinear2D, ir.Attrs{Scale: tc.sc}, []gradcheck.Operand{{Shape: ir.Shape{ir.Batch, 2, tc.hw[0], tc.hw[1]}}}, 1)
		})
	}
}

// Dilated convolutions and transposed convolutions: the rules pass the dilations to
// both gradient ops (and out_pad is computed from the dilated kernel's extent).
func TestDilatedConvGradients(t *testing.T) {
	for _, tc := range []struct {
		name    string
		op      string
		x, w    ir.Shape
		strides []int
		pads    []int
		dil     []int
		outPad  []int
	}{
		{"Conv2D valid, dilation 2", ir.OpConv2D, ir.Shape{2, 7, 9}, ir.Shape{3, 2, 3, 3}, []int{1, 1}, []int{0, 0, 0, 0}, []int{2, 2}, nil},
		{"Conv2D Keras same, dilations (2,3), asymmetric pads", ir.OpConv2D, ir.Shape{2, 7, 9}, ir.Shape{3, 2, 2, 3}, []int{1, 1}, []int{1, 3, 1, 3}, []int{2, 3}, nil},
		{"Conv2D strides (2,3) with dilations (3,2), skipping rows and columns", ir.OpConv2D, ir.Shape{2, 10, 11}, ir.Shape{2, 2, 2, 3}, []int{2, 3}, []int{0, 0, 0, 0}, []int{3, 2}, nil},
		{"Conv2D causal 1-D, dilation 4", ir.OpConv2D, ir.Shape{3, 1, 13}, ir.Shape{2, 3, 1, 3}, []int{1, 1}, []int{0, 8, 0, 0}, []int{1, 4}, nil},
		{"Conv2DTranspose stride 2, pads 2, dilation 2, out_pad 1", ir.OpConv2DTranspose, ir.Shape{3, 4, 5}, ir.Shape{3, 2, 3, 3}, []int{2, 2}, []int{2, 2, 2, 2}, []int{2, 2}, []int{1, 1}},
		{"Conv2DTranspose dilations (1,3), no pads", ir.OpConv2DTranspose, ir.Shape{2, 3, 4}, ir.Shape{2, 3, 2, 2}, []int{1, 1}, []int{0, 0, 0, 0}, []int{1, 3}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			x := append(ir.Shape{ir.Batch}, tc.x...)
			requireConvGradsOK(t, tc.op, ir.Attrs{Strides: tc.strides, Pads: tc.pads, Dilations: tc.dil, OutPad: tc.outPad},
				[]gradcheck.Operand{{Shape: x}, {Shape: tc.w, Param: true}}, 2)
		})
	}
}
