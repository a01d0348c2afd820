package interp_test

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dlgen/dlgen/ir"
	"github.com/dlgen/dlgen/ir/interp"
)

// convArg is one input of an op under test; batched inputs get a dynamic batch
// dimension in the graph, so the run also checks shape inference against the kernel.
type convArg struct {
	Shape   []int     `json:"shape"`
	Batched bool      `json:"batched"`
	Data    []float64 `json:"data"`
}

// runConvOp builds the graph op(inputs...) and evaluates it with the interpreter.
func runConvOp(t *testing.T, op string, attrs ir.Attrs, args ...convArg) *interp.Tensor {
	t.Helper()
	y, err := tryConvOp(op, attrs, args...)
	require.NoError(t, err)
	return y
}

func tryConvOp(op string, attrs ir.Attrs, args ...convArg) (*interp.Tensor, error) {
	g := ir.NewGraph("test_" + op)
	feeds := map[string]*interp.Tensor{}
	var ids []int
	for i, a := range args {
		s := ir.Shape(append([]int(nil), a.Shape...))
		if a.Batched {
			s[0] = ir.Batch
		}
		name := string(rune('a' + i))
		id, err := g.Add(ir.OpInput, name, "in", ir.Attrs{Shape: s, Role: ir.RoleData})
		if err != nil {
			return nil, err
		}
		ids = append(ids, id)
		feeds[name] = interp.FromData(a.Data, a.Shape...)
	}
	y, err := g.Add(op, "y", "op", attrs, ids...)
	if err != nil {
		return nil, err
	}
	m, err := interp.New(g, 1)
	if err != nil {
		return nil, err
	}
	vals, err := m.Run(feeds)
	if err != nil {
		return nil, err
	}
	return vals[y], nil
}

func convIn(shape []int, data ...float64) convArg {
	return convArg{Shape: shape, Batched: true, Data: data}
}
func convW(shape []int, data ...float64) convArg {
	return convArg{Shape: shape, Data: data}
}

func convSeq(n int) []float64 {
	d := make([]float64, n)
	for i := range d {
		d[i] = float64(i + 1)
	}
	return d
}

func convRand(rng *rand.Rand, batched bool, shape ...int) convArg {
	n := 1
	for _, d := range shape {
		n *= d
	}
	d := make([]float64, n)
	for i := range d {
		d[i] = rng.Float64()*2 - 1
	}
	return convArg{Shape: shape, Batched: batched, Data: d}
}

// The golden file holds inputs and outputs computed by PyTorch 1.13 in float64 with
// testdata/torch/conv_golden.py (see its docstring for how asymmetric padding is
// built from PyTorch primitives).
type convGolden struct {
	Generator string `json:"generator"`
	Torch     string `json:"torch"`
	Cases     []struct {
		Name   string    `json:"name"`
		Op     string    `json:"op"`
		Attrs  ir.Attrs  `json:"attrs"`
		Inputs []convArg `json:"inputs"`
		Want   struct {
			Shape []int     `json:"shape"`
			Data  []float64 `json:"data"`
		} `json:"want"`
	} `json:"cases"`
}

func TestConvAndPoolKernelsMatchPyTorch(t *testing.T) {
	raw, err := os.ReadFile("../../testdata/torch/conv_golden.json")
	require.NoError(t, err)
	var gold convGolden
	require.NoError(t, json.Unmarshal(raw, &gold))
	require.NotEmpty(t, gold.Cases)
	seen := map[string]bool{}
	for _, c := range gold.Cases {
		seen[c.Op] = true
		t.Run(c.Op+" "+c.Name, func(t *testing.T) {
			y := runConvOp(t, c.Op, c.Attrs, c.Inputs...)
			require.Equal(t, c.Want.Shape, y.Shape)
			for i, want := range c.Want.Data {
				// PyTorch sums in another order; float64 rounding stays far below this.
				require.InDelta(t, want, y.Data[i], 1e-12, "element %d", i)
			}
		})
	}
	for _, op := range []string{ir.OpConv2D, ir.OpConv2DTranspose, ir.OpConv2DFilterGrad, ir.OpMaxPool2D, ir.OpMaxPool2DGrad,
		ir.OpAvgPool2D, ir.OpAvgPool2DGrad, ir.OpGlobalAvgPool2D, ir.OpGlobalAvgPool2DGrad, ir.OpUpSample2D, ir.OpUpSample2DGrad} {
		assert.True(t, seen[op], "the golden file has no case for %s", op)
	}
}

// The golden script derives Keras 'same' pads itself; they must be ir.SamePads'.
func TestGoldenSamePadsAreIRSamePads(t *testing.T) {
	for _, tc := range []struct{ n, k, s, lo, hi int }{
		{7, 4, 2, 1, 2}, // the stride (2,3) golden conv, rows
		{9, 4, 3, 0, 1}, // ... and columns
		{5, 3, 1, 1, 1},
		{5, 2, 2, 0, 1},
		{9, 3, 3, 0, 0},
	} {
		lo, hi := ir.SamePads(tc.n, tc.k, tc.s)
		assert.Equal(t, []int{tc.lo, tc.hi}, []int{lo, hi}, "n=%d k=%d s=%d", tc.n, tc.k, tc.s)
	}
}

// Tiny cases worked out by hand; each documents one convention of the op.
func TestConvKernelsOnHandComputedCases(t *testing.T) {
	x33 := convIn([]int{1, 1, 3, 3}, convSeq(9)...) // 1 2 3 / 4 5 6 / 7 8 9
	for _, tc := range []struct {
		name  string
		op    string
		attrs ir.Attrs
		args  []convArg
		shape []int
		want  []float64
	}{
		{"conv2d is cross-correlation: the kernel is not flipped", ir.OpConv2D,
			ir.Attrs{Strides: []int{1, 1}, Pads: []int{0, 0, 0, 0}},
			[]convArg{x33, convW([]int{1, 1, 2, 2}, 1, 2, 3, 4)},
			[]int{1, 1, 2, 2}, []float64{1 + 2*2 + 3*4 + 4*5, 2 + 2*3 + 3*5 + 4*6, 4 + 2*5 + 3*7 + 4*8, 5 + 2*6 + 3*8 + 4*9}},
		{"conv2d pads top and left with zeros when asked: a corner tap shifts the image down-right", ir.OpConv2D,
			ir.Attrs{Strides: []int{1, 1}, Pads: []int{1, 1, 0, 0}},
			[]convArg{x33, convW([]int{1, 1, 2, 2}, 1, 0, 0, 0)},
			[]int{1, 1, 3, 3}, []float64{0, 0, 0, 0, 1, 2, 0, 4, 5}},
		{"conv2d sums over input channels and strides (2,1) skip rows", ir.OpConv2D,
			ir.Attrs{Strides: []int{2, 1}, Pads: []int{0, 0, 0, 0}},
			[]convArg{convIn([]int{1, 2, 3, 2}, 1, 2, 3, 4, 5, 6, 10, 20, 30, 40, 50, 60), convW([]int{1, 2, 1, 1}, 1, -1)},
			[]int{1, 1, 2, 2}, []float64{1 - 10, 2 - 20, 5 - 50, 6 - 60}},
		{"conv2d transpose with stride 2 copies each input to its own block", ir.OpConv2DTranspose,
			ir.Attrs{Strides: []int{2, 2}, Pads: []int{0, 0, 0, 0}},
			[]convArg{convIn([]int{1, 1, 2, 2}, 1, 2, 3, 4), convW([]int{1, 1, 2, 2}, 1, 1, 1, 1)},
			[]int{1, 1, 4, 4}, []float64{1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4}},
		{"conv2d transpose pads crop the top and left of the full result", ir.OpConv2DTranspose,
			ir.Attrs{Strides: []int{2, 2}, Pads: []int{1, 1, 0, 0}},
			[]convArg{convIn([]int{1, 1, 2, 2}, 1, 2, 3, 4), convW([]int{1, 1, 2, 2}, 1, 1, 1, 1)},
			[]int{1, 1, 3, 3}, []float64{1, 2, 2, 3, 4, 4, 3, 4, 4}},
		{"conv2d transpose out_pad adds rows and columns at the bottom and right", ir.OpConv2DTranspose,
			ir.Attrs{Strides: []int{2, 2}, Pads: []int{0, 0, 0, 0}, OutPad: []int{1, 1}},
			[]convArg{convIn([]int{1, 1, 2, 2}, 1, 2, 3, 4), convW([]int{1, 1, 1, 1}, 1)},
			[]int{1, 1, 4, 4}, []float64{1, 0, 2, 0, 0, 0, 0, 0, 3, 0, 4, 0, 0, 0, 0, 0}},
		{"conv2d transpose weights are (in, out, kh, kw)", ir.OpConv2DTranspose,
			ir.Attrs{Strides: []int{1, 1}, Pads: []int{0, 0, 0, 0}},
			[]convArg{convIn([]int{1, 2, 1, 1}, 1, 10), convW([]int{2, 3, 1, 1}, 1, 2, 3, 4, 5, 6)},
			[]int{1, 3, 1, 1}, []float64{1 + 40, 2 + 50, 3 + 60}},
		{"filter gradient of a single dy picks the window it saw", ir.OpConv2DFilterGrad,
			ir.Attrs{Kernel: []int{2, 2}, Strides: []int{1, 1}, Pads: []int{0, 0, 0, 0}},
			[]convArg{x33, convIn([]int{1, 1, 2, 2}, 0, 0, 0, 1)},
			[]int{1, 1, 2, 2}, []float64{5, 6, 8, 9}},
		{"filter gradient is (out channels from dy, in channels from x)", ir.OpConv2DFilterGrad,
			ir.Attrs{Kernel: []int{1, 1}, Strides: []int{1, 1}, Pads: []int{0, 0, 0, 0}},
			[]convArg{convIn([]int{1, 2, 1, 1}, 2, 3), convIn([]int{1, 3, 1, 1}, 1, 10, 100)},
			[]int{3, 2, 1, 1}, []float64{2, 3, 20, 30, 200, 300}},
		{"filter gradient sums over the batch and reads padding as zero", ir.OpConv2DFilterGrad,
			ir.Attrs{Kernel: []int{2, 2}, Strides: []int{1, 1}, Pads: []int{1, 1, 0, 0}},
			[]convArg{convIn([]int{2, 1, 1, 1}, 3, 4), convIn([]int{2, 1, 1, 1}, 1, 2)},
			[]int{1, 1, 2, 2}, []float64{0, 0, 0, 3 + 8}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			y := runConvOp(t, tc.op, tc.attrs, tc.args...)
			require.Equal(t, tc.shape, y.Shape)
			require.Equal(t, tc.want, y.Data)
		})
	}
}

// convCase is one geometry for the adjoint test.
type convCase struct {
	name    string
	x, w    []int // x (N,C,H,W) and w (O,C,KH,KW)
	strides []int
	pads    []int
}

// outPadFor is the out_pad that makes Conv2DTranspose return Conv2D's input size.
func outPadFor(c convCase) []int {
	ho := ir.ConvOut(c.x[2], c.w[2], c.strides[0], c.pads[0], c.pads[2])
	wo := ir.ConvOut(c.x[3], c.w[3], c.strides[1], c.pads[1], c.pads[3])
	return []int{
		c.x[2] + c.pads[0] + c.pads[2] - c.w[2] - (ho-1)*c.strides[0],
		c.x[3] + c.pads[1] + c.pads[3] - c.w[3] - (wo-1)*c.strides[1],
	}
}

func convAdjointCases() []convCase {
	t, b := ir.SamePads(7, 4, 2)
	l, r := ir.SamePads(9, 4, 3)
	return []convCase{
		{"valid at stride 1", []int{2, 3, 7, 9}, []int{4, 3, 3, 3}, []int{1, 1}, []int{0, 0, 0, 0}},
		{"valid at stride (2,3), dropping rows and columns", []int{2, 2, 8, 10}, []int{3, 2, 3, 2}, []int{2, 3}, []int{0, 0, 0, 0}},
		{"Keras same at stride (2,3), asymmetric pads", []int{2, 3, 7, 9}, []int{4, 3, 4, 4}, []int{2, 3}, []int{t, l, b, r}},
		{"full", []int{3, 2, 5, 6}, []int{3, 2, 3, 2}, []int{1, 1}, []int{2, 1, 2, 1}},
		{"explicit pads at stride (3,2)", []int{1, 3, 9, 7}, []int{2, 3, 2, 3}, []int{3, 2}, []int{2, 0, 1, 3}},
	}
}

// Conv2DTranspose is defined as the adjoint of Conv2D (same w, strides, pads):
// <Conv2D(x,w), y> = <x, Conv2DTranspose(y,w)> for every x and y.
func TestConvTransposeIsTheAdjointOfConv(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	for _, c := range convAdjointCases() {
		t.Run(c.name, func(t *testing.T) {
			x, w := convRand(rng, true, c.x...), convRand(rng, false, c.w...)
			cx := runConvOp(t, ir.OpConv2D, ir.Attrs{Strides: c.strides, Pads: c.pads}, x, w)
			y := convRand(rng, true, cx.Shape...)
			ty := runConvOp(t, ir.OpConv2DTranspose, ir.Attrs{Strides: c.strides, Pads: c.pads, OutPad: outPadFor(c)}, y, w)
			require.Equal(t, x.Shape, ty.Shape)
			lhs, rhs := convDot(cx.Data, y.Data), convDot(x.Data, ty.Data)
			require.Greater(t, math.Abs(lhs), 1.0, "a trivial inner product proves nothing")
			require.InDelta(t, lhs, rhs, 1e-12)
		})
	}
}

func convDot(a, b []float64) float64 {
	s := 0.0
	for i := range a {
		s += a[i] * b[i]
	}
	return s
}

// Kernels run only on shape-checked graphs, but called with inconsistent tensors they
// must report it instead of panicking.
func TestConvKernelsRejectInconsistentInputs(t *testing.T) {
	win := ir.Attrs{Strides: []int{1, 1}, Pads: []int{0, 0, 0, 0}}
	x := interp.NewTensor(1, 2, 4, 4)
	for _, tc := range []struct {
		name  string
		op    string
		attrs ir.Attrs
		in    []*interp.Tensor
	}{
		{"conv with too few weight channels", ir.OpConv2D, win, []*interp.Tensor{x, interp.NewTensor(3, 1, 2, 2)}},
		{"conv with a kernel larger than the input", ir.OpConv2D, win, []*interp.Tensor{x, interp.NewTensor(3, 2, 5, 2)}},
		{"conv with a 3-D input", ir.OpConv2D, win, []*interp.Tensor{interp.NewTensor(2, 4, 4), interp.NewTensor(3, 2, 2, 2)}},
		{"conv without strides", ir.OpConv2D, ir.Attrs{Pads: []int{0, 0, 0, 0}}, []*interp.Tensor{x, interp.NewTensor(3, 2, 2, 2)}},
		{"conv with negative pads", ir.OpConv2D, ir.Attrs{Strides: []int{1, 1}, Pads: []int{0, -1, 0, 0}}, []*interp.Tensor{x, interp.NewTensor(3, 2, 2, 2)}},
		{"transpose with out_pad not below the stride", ir.OpConv2DTranspose, ir.Attrs{Strides: []int{1, 1}, Pads: []int{0, 0, 0, 0}, OutPad: []int{1, 0}}, []*interp.Tensor{x, interp.NewTensor(2, 3, 2, 2)}},
		{"filter gradient with a dy of the wrong size", ir.OpConv2DFilterGrad, ir.Attrs{Kernel: []int{2, 2}, Strides: []int{1, 1}, Pads: []int{0, 0, 0, 0}}, []*interp.Tensor{x, interp.NewTensor(1, 3, 2, 2)}},
		{"filter gradient without a kernel", ir.OpConv2DFilterGrad, win, []*interp.Tensor{x, interp.NewTensor(1, 3, 3, 3)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n := &ir.Node{Op: tc.op, Attrs: tc.attrs}
			_, err := interp.Kernels[tc.op](&interp.Ctx{N: 1}, n, tc.in)
			require.Error(t, err)
		})
	}
}

// Dilated kernels worked out by hand on the 1…25 image of 5×5 (row r, column c
// holds 5r+c+1): the taps are dh rows and dw columns apart.
func TestDilatedConvKernelsOnHandComputedCases(t *testing.T) {
	x55 := convIn([]int{1, 1, 5, 5}, convSeq(25)...)
	for _, tc := range []struct {
		name  string
		op    string
		attrs ir.Attrs
		args  []convArg
		shape []int
		want  []float64
	}{
		{"a 2x2 kernel dilated by 2 reads the corners of 3x3 windows", ir.OpConv2D,
			ir.Attrs{Strides: []int{1, 1}, Pads: []int{0, 0, 0, 0}, Dilations: []int{2, 2}},
			[]convArg{x55, convW([]int{1, 1, 2, 2}, 1, 10, 100, 1000)},
			[]int{1, 1, 3, 3}, []float64{
				1 + 10*3 + 100*11 + 1000*13, 2 + 10*4 + 100*12 + 1000*14, 3 + 10*5 + 100*13 + 1000*15,
				6 + 10*8 + 100*16 + 1000*18, 7 + 10*9 + 100*17 + 1000*19, 8 + 10*10 + 100*18 + 1000*20,
				11 + 10*13 + 100*21 + 1000*23, 12 + 10*14 + 100*22 + 1000*24, 13 + 10*15 + 100*23 + 1000*25}},
		{"dilations (1,3) with stride 2 and a left pad of 3 (a causal 1-D kernel per row)", ir.OpConv2D,
			ir.Attrs{Strides: []int{2, 2}, Pads: []int{0, 3, 0, 0}, Dilations: []int{1, 3}},
			[]convArg{x55, convW([]int{1, 1, 1, 2}, 1, 10)},
			// Rows 0, 2, 4; window column q reads input columns 2q-3 (×1) and 2q (×10).
			[]int{1, 1, 3, 3}, []float64{10 * 1, 10 * 3, 2 + 10*5, 10 * 11, 10 * 13, 12 + 10*15, 10 * 21, 10 * 23, 22 + 10*25}},
		{"the transpose scatters each input through the dilated taps", ir.OpConv2DTranspose,
			ir.Attrs{Strides: []int{1, 1}, Pads: []int{0, 0, 0, 0}, Dilations: []int{2, 3}},
			[]convArg{convIn([]int{1, 1, 1, 2}, 1, 2), convW([]int{1, 1, 2, 2}, 1, 10, 100, 1000)},
			// Output 3×5: input (0,v) adds w[i,j] at (2i, v+3j).
			[]int{1, 1, 3, 5}, []float64{1, 2, 0, 10, 20, 0, 0, 0, 0, 0, 100, 200, 0, 1000, 2000}},
		{"the filter gradient of one dy reads the dilated window", ir.OpConv2DFilterGrad,
			ir.Attrs{Kernel: []int{2, 2}, Strides: []int{1, 1}, Pads: []int{0, 0, 0, 0}, Dilations: []int{2, 2}},
			[]convArg{x55, convIn([]int{1, 1, 3, 3}, 0, 0, 0, 0, 0, 1, 0, 0, 0)},
			[]int{1, 1, 2, 2}, []float64{8, 10, 18, 20}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			y := runConvOp(t, tc.op, tc.attrs, tc.args...)
			require.Equal(t, tc.shape, y.Shape)
			require.Equal(t, tc.want, y.Data)
		})
	}
}

// The dilated Conv2DTranspose is the adjoint of the dilated Conv2D with the same w,
// strides, pads and dilations.
func TestDilatedConvTransposeIsTheAdjointOfConv(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 8))
	for _, c := range []struct {
		convCase
		dil []int
	}{
		{convCase{"valid, dilation 2", []int{2, 3, 9, 10}, []int{4, 3, 3, 3}, []int{1, 1}, []int{0, 0, 0, 0}}, []int{2, 2}},
		{convCase{"stride (2,3), dilation (3,2), dropping rows and columns", []int{2, 2, 12, 13}, []int{3, 2, 3, 2}, []int{2, 3}, []int{0, 0, 0, 0}}, []int{3, 2}},
		{convCase{"same pads of a dilated kernel, asymmetric", []int{1, 2, 7, 9}, []int{2, 2, 2, 3}, []int{1, 1}, []int{1, 2, 2, 2}}, []int{3, 2}},
		{convCase{"causal 1-D, dilation 4", []int{3, 4, 1, 16}, []int{3, 4, 1, 3}, []int{1, 1}, []int{0, 8, 0, 0}}, []int{1, 4}},
	} {
		t.Run(c.name, func(t *testing.T) {
			x, w := convRand(rng, true, c.x...), convRand(rng, false, c.w...)
			cx := runConvOp(t, ir.OpConv2D, ir.Attrs{Strides: c.strides, Pads: c.pads, Dilations: c.dil}, x, w)
			ek := []int{ir.DilatedKernel(c.w[2], c.dil[0]), ir.DilatedKernel(c.w[3], c.dil[1])}
			outPad := []int{
				c.x[2] + c.pads[0] + c.pads[2] - ek[0] - (cx.Shape[2]-1)*c.strides[0],
				c.x[3] + c.pads[1] + c.pads[3] - ek[1] - (cx.Shape[3]-1)*c.strides[1],
			}
			y := convRand(rng, true, cx.Shape...)
			ty := runConvOp(t, ir.OpConv2DTranspose, ir.Attrs{Strides: c.strides, Pads: c.pads, OutPad: outPad, Dilations: c.dil}, y, w)
			require.Equal(t, x.Shape, ty.Shape)
			lhs, rhs := convDot(cx.Data, y.Data), convDot(x.Data, ty.Data)
			require.Greater(t, math.Abs(lhs), 1.0, "a trivial inner product proves nothing")
			require.InDelta(t, lhs, rhs, 1e-12)
		})
	}
}

func TestDilatedConvKernelsRejectBadDilations(t *testing.T) {
	x := interp.NewTensor(1, 2, 5, 5)
	win := func(d ...int) ir.Attrs { return ir.Attrs{Strides: []int{1, 1}, Pads: []int{0, 0, 0, 0}, Dilations: d} }
	for _, tc := range []struct {
		name  string
		op    string
		attrs ir.Attrs
		in    []*interp.Tensor
		msg   string
	}{
		{"a zero dilation", ir.OpConv2D, win(0, 1), []*interp.Tensor{x, interp.NewTensor(3, 2, 2, 2)}, "dilations [0 1] must be two positive values"},
		{"three dilations", ir.OpConv2DTranspose, win(1, 1, 1), []*interp.Tensor{x, interp.NewTensor(2, 3, 2, 2)}, "dilations [1 1 1] must be two positive values"},
		{"a dilated kernel past the input", ir.OpConv2D, win(3, 1), []*interp.Tensor{x, interp.NewTensor(3, 2, 3, 2)}, "kernel 3x2 dilated by 3x1 spans 7x2, larger than the padded input 5x5"},
		{"a filter gradient of a dilated kernel past the input", ir.OpConv2DFilterGrad,
			ir.Attrs{Kernel: []int{2, 2}, Strides: []int{1, 1}, Pads: []int{0, 0, 0, 0}, Dilations: []int{5, 1}}, []*interp.Tensor{x, interp.NewTensor(1, 3, 1, 4)}, "kernel 2x2 dilated by 5x1 spans 6x2"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n := &ir.Node{Op: tc.op, Attrs: tc.attrs}
			_, err := interp.Kernels[tc.op](&interp.Ctx{N: 1}, n, tc.in)
			require.ErrorContains(t, err, tc.msg)
		})
	}
}
