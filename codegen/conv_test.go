package codegen

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/dlgen/dlgen/ir"
)

// The convolution end-to-end package joins the other cases, so that it is generated
// into testdata/conv, compared with the interpreter by its own model_test.go, and
// counted by TestTheModelsExerciseEveryEmitter.
func init() {
	cases = append(cases, struct {
		pkg      string
		graph    func() (*ir.Graph, error)
		maxBatch int
	}{"conv", convGraph, 9})
}

// convGraph uses every convolution, pooling and upsampling op, forward and (through
// autodiff) backward, on odd sizes: strides that differ per axis, Keras 'same' pads
// with the extra pad at the end, full pads, a strided valid convolution whose input
// gradient needs out_pad, a transposed convolution with out_pad, 1×1 convolutions
// and transposed convolutions (no columns), max pooling with overlapping windows and
// padding on every side, average pooling excluding and including padding, nearest and
// bilinear upsampling by different factors per axis and global average pooling.
func convGraph() (*ir.Graph, error) {
	b := newGB("conv")
	x := b.input("image", ir.RoleData, "", 3, 11, 13)
	label := b.input("label", ir.RoleTarget, ir.Int)

	conv := func(name string, x, c, o, kh, kw int, strides, pads []int) int {
		w := b.param(name+".weight", name, ir.RoleWeight, ir.Init{Kind: ir.InitHeUniform, FanIn: c * kh * kw, FanOut: o * kh * kw}, o, c, kh, kw)
		return b.add(ir.OpConv2D, name+"/conv", name, ir.Attrs{Strides: strides, Pads: pads}, x, w)
	}
	bias := func(name string, x, c int) int {
		v := b.param(name+".bias", name, ir.RoleWeight, ir.Init{Kind: ir.InitUniform, Value: 0.2}, c)
		return b.add(ir.OpBiasAdd, name+"/bias", name, ir.Attrs{}, x, v)
	}
	transpose := func(name string, x, c, o, kh, kw int, strides, pads, outPad []int) int {
		w := b.param(name+".weight", name, ir.RoleWeight, ir.Init{Kind: ir.InitGlorotUniform, FanIn: o * kh * kw, FanOut: c * kh * kw}, c, o, kh, kw)
		return b.add(ir.OpConv2DTranspose, name+"/convT", name, ir.Attrs{Strides: strides, Pads: pads, OutPad: outPad}, x, w)
	}
	unary := func(op, name string, x int) int { return b.add(op, name, name, ir.Attrs{}, x) }

	// Keras 'same' with strides 2×3: pads {1, 1} on H (11 → 6), {1, 2} on W (13 → 5).
	top, bottom := ir.SamePads(11, 3, 2)
	left, right := ir.SamePads(13, 4, 3)
	h := unary(ir.OpRelu, "c1/relu", bias("c1", conv("c1", x, 3, 4, 3, 4, []int{2, 3}, []int{top, left, bottom, right}), 4)) // 4×6×5
	h = b.add(ir.OpMaxPool2D, "mp", "mp", ir.Attrs{Kernel: []int{2, 2}, Strides: []int{1, 1}, Pads: []int{1, 0, 0, 1}}, h)   // 4×6×5
	h = unary(ir.OpTanh, "c2/tanh", conv("c2", h, 4, 5, 3, 2, []int{1, 1}, []int{2, 1, 2, 1}))                               // full: 5×8×6
	// Keras 'same' average pooling, padding excluded: 8×6 → 4×3 with pads {0, 0, 1, 1}.
	h = b.add(ir.OpAvgPool2D, "ap_same", "ap_same", ir.Attrs{Kernel: []int{3, 3}, Strides: []int{2, 2}, Pads: []int{0, 0, 1, 1}, Exclude: true}, h)
	h = unary(ir.OpRelu, "t1/relu", bias("t1", transpose("t1", h, 5, 3, 3, 3, []int{2, 2}, []int{1, 1, 1, 1}, []int{1, 0}), 3)) // 3×8×5
	// Padding counted in the divisor: 8×5 → 5×2.
	h = b.add(ir.OpAvgPool2D, "ap_pad", "ap_pad", ir.Attrs{Kernel: []int{2, 2}, Strides: []int{2, 2}, Pads: []int{1, 0, 1, 0}}, h)
	// Nearest and bilinear upsampling of the same 5×2 planes, summed.
	up := b.add(ir.OpUpSample2D, "up", "up", ir.Attrs{Scale: []int{2, 3}}, h)                           // 3×10×6
	bl := b.add(ir.OpUpSampleBilinear2D, "up_bilinear", "up_bilinear", ir.Attrs{Scale: []int{2, 3}}, h) // 3×10×6
	h = b.add(ir.OpAdd, "up_sum", "up_sum", ir.Attrs{}, up, bl)
	h = unary(ir.OpSigmoid, "pw/sigmoid", bias("pw", conv("pw", h, 3, 4, 1, 1, []int{1, 1}, []int{0, 0, 0, 0}), 4)) // 4×10×6
	// Strides 3×2 over 10×6 skip the last rows and column: out_pad {2, 1} in backward.
	h = unary(ir.OpTanh, "c3/tanh", conv("c3", h, 4, 6, 2, 3, []int{3, 2}, []int{0, 0, 0, 0})) // 6×3×2
	// Exact ties with gradients that tell them apart: two copies of h scaled by
	// weights that start equal (ones), side by side, under windows that see both.
	// Each window's gradient goes to its first maximum, and so to s1 or s2.
	s1 := b.param("tie.s1", "tie", ir.RoleWeight, ir.Init{Kind: ir.InitOnes}, 6)
	s2 := b.param("tie.s2", "tie", ir.RoleWeight, ir.Init{Kind: ir.InitOnes}, 6)
	dup := b.add(ir.OpConcat, "tie/dup", "tie", ir.Attrs{Axis: 3},
		b.add(ir.OpChannelMul, "tie/s1", "tie", ir.Attrs{}, h, s1), b.add(ir.OpChannelMul, "tie/s2", "tie", ir.Attrs{}, h, s2)) // 6×3×4
	tie := b.add(ir.OpMaxPool2D, "tie/max", "tie", ir.Attrs{Kernel: []int{1, 3}, Strides: []int{1, 1}, Pads: []int{0, 0, 0, 0}}, dup) // 6×3×2
	tf := b.add(ir.OpReshape, "tie/flat", "tie", ir.Attrs{Shape: ir.Shape{36}}, tie)
	h = transpose("tp", h, 6, 2, 1, 1, []int{1, 1}, []int{0, 0, 0, 0}, nil) // 2×3×2
	g := b.add(ir.OpGlobalAvgPool2D, "gap", "gap", ir.Attrs{}, h)           // 2
	// Overlapping 3×3 windows with stride 2, where maxima shared by two windows
	// collect both gradients.
	m := b.add(ir.OpMaxPool2D, "mp_overlap", "mp_overlap", ir.Attrs{Kernel: []int{3, 3}, Strides: []int{2, 2}, Pads: []int{0, 0, 0, 0}}, x) // 3×5×6
	mf := b.add(ir.OpReshape, "mp_flat", "mp_flat", ir.Attrs{Shape: ir.Shape{90}}, m)
	feat := b.add(ir.OpConcat, "features", "features", ir.Attrs{Axis: 1}, g, mf, tf)
	logits := b.dense("fc", feat, 128, 3)
	b.g.Outputs = []ir.Output{{Name: "probs", ID: b.add(ir.OpSoftmax, "probs", "probs", ir.Attrs{}, logits)}, {Name: "features", ID: h}}
	b.g.Loss = b.add(ir.OpSparseSoftmaxCELoss, "loss", "loss", ir.Attrs{}, logits, label)
	return b.build()
}

func TestTheConvolutionModelHasTheShapesItsCommentsSay(t *testing.T) {
	g, err := convGraph()
	require.NoError(t, err)
	for name, want := range map[string]ir.Shape{
		"c1/conv": {ir.Batch, 4, 6, 5}, "mp": {ir.Batch, 4, 6, 5}, "c2/conv": {ir.Batch, 5, 8, 6},
		"ap_same": {ir.Batch, 5, 4, 3}, "t1/convT": {ir.Batch, 3, 8, 5}, "ap_pad": {ir.Batch, 3, 5, 2},
		"up": {ir.Batch, 3, 10, 6}, "up_bilinear": {ir.Batch, 3, 10, 6}, "pw/conv": {ir.Batch, 4, 10, 6}, "c3/conv": {ir.Batch, 6, 3, 2},
		"tp/convT": {ir.Batch, 2, 3, 2}, "gap": {ir.Batch, 2}, "mp_overlap": {ir.Batch, 3, 5, 6},
		"tie/dup": {ir.Batch, 6, 3, 4}, "tie/max": {ir.Batch, 6, 3, 2},
	} {
		require.Equal(t, want, g.ByName(name).Shape, name)
	}
	require.Equal(t, []int{1, 1, 1, 2}, g.ByName("c1/conv").Attrs.Pads, "Keras same pads are asymmetric")
}
