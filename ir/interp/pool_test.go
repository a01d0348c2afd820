package interp_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/dlgen/dlgen/ir"
	"github.com/dlgen/dlgen/ir/interp"
)

// Tiny pooling and upsampling cases worked out by hand; each documents one convention.
// PyTorch agreement on larger inputs is TestConvAndPoolKernelsMatchPyTorch.
func TestPoolKernelsOnHandComputedCases(t *testing.T) {
	pool := func(k, s, pad int) ir.Attrs {
		return ir.Attrs{Kernel: []int{k, k}, Strides: []int{s, s}, Pads: []int{pad, pad, pad, pad}}
	}
	excl := func(a ir.Attrs) ir.Attrs { a.Exclude = true; return a }
	withShape := func(a ir.Attrs, s ...int) ir.Attrs { a.Shape = s; return a }
	x1234 := convIn([]int{1, 1, 2, 2}, 1, 2, 3, 4)
	// Each 2x2 window of this 4x4 input holds a tie for its maximum.
	ties := convIn([]int{1, 1, 4, 4},
		1, 3, 0, 0,
		3, 0, 0, 0,
		5, 2, 7, 7,
		2, 5, 7, 7)
	for _, tc := range []struct {
		name  string
		op    string
		attrs ir.Attrs
		args  []convArg
		shape []int
		want  []float64
	}{
		{"max pool takes each window's maximum", ir.OpMaxPool2D, pool(2, 2, 0),
			[]convArg{ties}, []int{1, 1, 2, 2}, []float64{3, 0, 5, 7}},
		{"max pool padding never wins, even over negative inputs", ir.OpMaxPool2D, pool(2, 1, 1),
			[]convArg{convIn([]int{1, 1, 1, 2}, -5, -6)}, []int{1, 1, 2, 3}, []float64{-5, -5, -6, -5, -5, -6}},
		{"max pool gradient goes to the first maximum in row-major window order", ir.OpMaxPool2DGrad, pool(2, 2, 0),
			[]convArg{ties, convIn([]int{1, 1, 2, 2}, 10, 20, 30, 40)}, []int{1, 1, 4, 4},
			[]float64{0, 10, 20, 0, 0, 0, 0, 0, 30, 0, 40, 0, 0, 0, 0, 0}},
		{"max pool gradients of overlapping windows add up on a shared maximum", ir.OpMaxPool2DGrad, pool(2, 1, 0),
			[]convArg{convIn([]int{1, 1, 2, 3}, 0, 9, 0, 0, 0, 0), convIn([]int{1, 1, 1, 2}, 1, 2)}, []int{1, 1, 2, 3},
			[]float64{0, 3, 0, 0, 0, 0}},
		{"avg pool counts padding in the divisor (PyTorch count_include_pad)", ir.OpAvgPool2D, pool(2, 1, 1),
			[]convArg{x1234}, []int{1, 1, 3, 3},
			[]float64{1. / 4, 3. / 4, 2. / 4, 4. / 4, 10. / 4, 6. / 4, 3. / 4, 7. / 4, 4. / 4}},
		{"avg pool with exclude divides by the input elements only (Keras/TF same)", ir.OpAvgPool2D, excl(pool(2, 1, 1)),
			[]convArg{x1234}, []int{1, 1, 3, 3},
			[]float64{1, 3. / 2, 2, 4. / 2, 10. / 4, 6. / 2, 3, 7. / 2, 4}},
		{"avg pool gradient spreads dy/(kh·kw) over each window", ir.OpAvgPool2DGrad, withShape(pool(2, 1, 1), ir.Batch, 1, 2, 2),
			[]convArg{convIn([]int{1, 1, 3, 3}, 1, 1, 1, 1, 1, 1, 1, 1, 1)}, []int{1, 1, 2, 2},
			[]float64{1, 1, 1, 1}},
		{"avg pool gradient with exclude uses the same smaller divisors", ir.OpAvgPool2DGrad, withShape(excl(pool(2, 1, 1)), ir.Batch, 1, 2, 2),
			[]convArg{convIn([]int{1, 1, 3, 3}, 1, 1, 1, 1, 1, 1, 1, 1, 1)}, []int{1, 1, 2, 2},
			// Each input lies in one corner window (÷1), two edge windows (÷2) and the centre (÷4).
			[]float64{2.25, 2.25, 2.25, 2.25}},
		{"global average pool averages each channel's plane", ir.OpGlobalAvgPool2D, ir.Attrs{},
			[]convArg{convIn([]int{1, 2, 1, 2}, 1, 2, 3, 5)}, []int{1, 2}, []float64{1.5, 4}},
		{"global average pool gradient spreads dy/(H·W)", ir.OpGlobalAvgPool2DGrad, ir.Attrs{Shape: ir.Shape{ir.Batch, 2, 1, 2}},
			[]convArg{convIn([]int{1, 2}, 2, 4)}, []int{1, 2, 1, 2}, []float64{1, 1, 2, 2}},
		{"upsample repeats each pixel sh×sw times", ir.OpUpSample2D, ir.Attrs{Scale: []int{2, 3}},
			[]convArg{convIn([]int{1, 1, 1, 2}, 1, 2)}, []int{1, 1, 2, 6}, []float64{1, 1, 1, 2, 2, 2, 1, 1, 1, 2, 2, 2}},
		{"upsample gradient sums each sh×sw block", ir.OpUpSample2DGrad, ir.Attrs{Scale: []int{2, 3}},
			[]convArg{convIn([]int{1, 1, 2, 3}, convSeq(6)...)}, []int{1, 1, 1, 1}, []float64{21}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			y := runConvOp(t, tc.op, tc.attrs, tc.args...)
			require.Equal(t, tc.shape, y.Shape)
			require.Equal(t, tc.want, y.Data)
		})
	}
}

func TestPoolKernelsRejectInconsistentInputs(t *testing.T) {
	p := ir.Attrs{Kernel: []int{2, 2}, Strides: []int{2, 2}, Pads: []int{0, 0, 0, 0}}
	x := interp.NewTensor(1, 2, 4, 4)
	for _, tc := range []struct {
		name  string
		op    string
		attrs ir.Attrs
		in    []*interp.Tensor
	}{
		{"max pool without a kernel", ir.OpMaxPool2D, ir.Attrs{Strides: []int{1, 1}, Pads: []int{0, 0, 0, 0}}, []*interp.Tensor{x}},
		{"max pool whose window sees only padding", ir.OpMaxPool2D, ir.Attrs{Kernel: []int{2, 2}, Strides: []int{1, 1}, Pads: []int{2, 0, 0, 0}}, []*interp.Tensor{x}},
		{"max pool gradient with a dy of the wrong size", ir.OpMaxPool2DGrad, p, []*interp.Tensor{x, interp.NewTensor(1, 2, 3, 2)}},
		{"avg pool with exclude whose window sees only padding", ir.OpAvgPool2D, ir.Attrs{Kernel: []int{2, 2}, Strides: []int{1, 1}, Pads: []int{2, 0, 0, 0}, Exclude: true}, []*interp.Tensor{x}},
		{"avg pool on a 2-D input", ir.OpAvgPool2D, p, []*interp.Tensor{interp.NewTensor(4, 4)}},
		{"avg pool gradient whose shape does not pool to dy", ir.OpAvgPool2DGrad, ir.Attrs{Kernel: []int{2, 2}, Strides: []int{2, 2}, Pads: []int{0, 0, 0, 0}, Shape: ir.Shape{ir.Batch, 2, 6, 6}}, []*interp.Tensor{interp.NewTensor(1, 2, 2, 2)}},
		{"global pool gradient with the wrong channels", ir.OpGlobalAvgPool2DGrad, ir.Attrs{Shape: ir.Shape{ir.Batch, 3, 2, 2}}, []*interp.Tensor{interp.NewTensor(1, 2)}},
		{"upsample without a scale", ir.OpUpSample2D, ir.Attrs{}, []*interp.Tensor{x}},
		{"upsample gradient of a size that is not a multiple", ir.OpUpSample2DGrad, ir.Attrs{Scale: []int{3, 1}}, []*interp.Tensor{x}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := interp.Kernels[tc.op](&interp.Ctx{N: 1}, &ir.Node{Op: tc.op, Attrs: tc.attrs}, tc.in)
			require.Error(t, err)
		})
	}
}
