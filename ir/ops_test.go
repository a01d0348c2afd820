package ir_test

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dlgen/dlgen/ir"
)

const N = ir.Batch

// s builds a shape.
func s(d ...int) ir.Shape { return append(ir.Shape{}, d...) }

// shapeCase is one application of an op to inputs of the given shapes: either it gives
// want, or it fails with an error containing err.
type shapeCase struct {
	op    string
	name  string
	attrs ir.Attrs
	in    []ir.Shape
	want  ir.Shape
	err   string
	// floatIDs feeds float inputs where the op takes int ones (ir.OpDef.IntInputs).
	floatIDs bool
}

func ok(op, name string, a ir.Attrs, want ir.Shape, in ...ir.Shape) shapeCase {
	return shapeCase{op: op, name: name, attrs: a, in: in, want: want}
}

func bad(op, name string, a ir.Attrs, err string, in ...ir.Shape) shapeCase {
	return shapeCase{op: op, name: name, attrs: a, in: in, err: err}
}

var (
	none    = ir.Attrs{}
	unit    = []int{1, 1}
	noPads  = []int{0, 0, 0, 0}
	weights = ir.Attrs{Shape: s(4, 3), Role: ir.RoleWeight, Init: &ir.Init{Kind: ir.InitZeros}}
)

// shapeCases has rows for every op of the table: TestEveryOpInfersShapes fails for an
// op with no succeeding or no failing row, so a new op needs rows here.
func shapeCases() []shapeCase {
	cs := []shapeCase{
		// ---- sources ----
		ok(ir.OpInput, "an image batch", ir.Attrs{Shape: s(N, 1, 28, 28), Role: ir.RoleData}, s(N, 1, 28, 28)),
		ok(ir.OpInput, "int labels", ir.Attrs{Shape: s(N), Role: ir.RoleTarget, DType: ir.Int}, s(N)),
		bad(ir.OpInput, "a zero size", ir.Attrs{Shape: s(N, 0)}, "shape N×0 has a zero or negative size"),
		bad(ir.OpInput, "the batch after the first axis", ir.Attrs{Shape: s(3, N)}, "has a zero or negative size"),
		bad(ir.OpInput, "an unknown dtype", ir.Attrs{Shape: s(N, 2), DType: "complex"}, `unknown dtype "complex"`),
		bad(ir.OpInput, "an input given inputs", ir.Attrs{Shape: s(N, 2)}, "takes 0 inputs, got 1", s(N, 2)),
		ok(ir.OpParam, "a weight", weights, s(4, 3)),
		ok(ir.OpParam, "state", ir.Attrs{Shape: s(4), Role: ir.RoleState, Init: &ir.Init{Kind: ir.InitOnes}}, s(4)),
		bad(ir.OpParam, "a data role", ir.Attrs{Shape: s(4), Role: ir.RoleData, Init: &ir.Init{Kind: ir.InitOnes}}, `parameter role must be "weight" or "state", not "data"`),
		bad(ir.OpParam, "no initializer", ir.Attrs{Shape: s(4), Role: ir.RoleWeight}, "parameter has no initializer"),
		bad(ir.OpParam, "a batch dimension", ir.Attrs{Shape: s(N, 4), Role: ir.RoleWeight, Init: &ir.Init{Kind: ir.InitOnes}}, "zero or negative size"),
		ok(ir.OpFill, "a batched constant", ir.Attrs{Shape: s(N, 3), Alpha: 2}, s(N, 3)),
		ok(ir.OpFill, "a scalar", ir.Attrs{Shape: s(), Alpha: 1}, s()),
		bad(ir.OpFill, "a negative size", ir.Attrs{Shape: s(-2)}, "zero or negative size"),
		ok(ir.OpDropoutMask, "half dropped", ir.Attrs{Shape: s(N, 4), Rate: 0.5, Seed: 3}, s(N, 4)),
		bad(ir.OpDropoutMask, "rate 1", ir.Attrs{Shape: s(N, 4), Rate: 1}, "dropout rate 1 must be in [0, 1)"),
		bad(ir.OpDropoutMask, "a negative rate", ir.Attrs{Shape: s(N, 4), Rate: -0.1}, "must be in [0, 1)"),
		bad(ir.OpDropoutMask, "a zero size", ir.Attrs{Shape: s(N, 0), Rate: 0.1}, "zero or negative size"),

		// ---- dense algebra ----
		ok(ir.OpIdentity, "any shape", none, s(N, 3, 2), s(N, 3, 2)),
		bad(ir.OpIdentity, "two inputs", none, "takes 1 inputs, got 2", s(N, 3), s(N, 3)),
		ok(ir.OpMatMul, "Dense: x times W transposed", ir.Attrs{TransB: true}, s(N, 5), s(N, 4), s(5, 4)),
		ok(ir.OpMatMul, "plain", none, s(N, 2), s(N, 4), s(4, 2)),
		ok(ir.OpMatMul, "a weight gradient contracting the batch", ir.Attrs{TransA: true}, s(3, 2), s(N, 3), s(N, 2)),
		ok(ir.OpMatMul, "both transposed", ir.Attrs{TransA: true, TransB: true}, s(3, 5), s(4, 3), s(5, 4)),
		bad(ir.OpMatMul, "different inner sizes", none, "inner dimensions differ: 4·5", s(N, 4), s(5, 4)),
		bad(ir.OpMatMul, "the batch as columns", ir.Attrs{TransB: true}, "the batch dimension can only be the rows", s(3, 4), s(N, 4)),
		bad(ir.OpMatMul, "a vector", none, "needs two matrices, or a stack of rows", s(N), s(4, 2)),
		bad(ir.OpMatMul, "one operand", none, "takes 2 inputs, got 1", s(N, 4)),
		// Stacks of rows: Dense on the last axis of (N, T, F) and (N, A, B, F), and
		// its weight gradient over every leading axis.
		ok(ir.OpMatMul, "Dense on a sequence", ir.Attrs{TransB: true}, s(N, 6, 5), s(N, 6, 4), s(5, 4)),
		ok(ir.OpMatMul, "a sequence times a plain matrix", none, s(N, 6, 2), s(N, 6, 4), s(4, 2)),
		ok(ir.OpMatMul, "Dense on a rank-4 input", ir.Attrs{TransB: true}, s(N, 2, 3, 5), s(N, 2, 3, 4), s(5, 4)),
		ok(ir.OpMatMul, "an unbatched stack", none, s(2, 3, 5), s(2, 3, 4), s(4, 5)),
		ok(ir.OpMatMul, "a weight gradient contracting batch and steps", ir.Attrs{TransA: true}, s(4, 5), s(N, 6, 4), s(N, 6, 5)),
		ok(ir.OpMatMul, "a weight gradient contracting three leading axes", ir.Attrs{TransA: true}, s(5, 4), s(N, 2, 3, 5), s(N, 2, 3, 4)),
		bad(ir.OpMatMul, "a stack whose features miss the weight", ir.Attrs{TransB: true}, "inner dimensions differ: 4·3", s(N, 6, 4), s(5, 3)),
		bad(ir.OpMatMul, "a stack times a stack", none, "needs A of rank ≥ 3 and a matrix B, not N×6×4 and N×4×2", s(N, 6, 4), s(N, 4, 2)),
		bad(ir.OpMatMul, "a matrix times a stack", none, "needs A of rank ≥ 3 and a matrix B", s(N, 4), s(4, 2, 2)),
		bad(ir.OpMatMul, "a stack times the batch", ir.Attrs{TransB: true}, "the batch dimension can only be the rows", s(N, 6, 4), s(N, 4)),
		bad(ir.OpMatMul, "a contraction over different leading axes", ir.Attrs{TransA: true}, "contracts over the leading axes, which differ: N×6×4 and N×5×4", s(N, 6, 4), s(N, 5, 4)),
		bad(ir.OpMatMul, "a contraction over different ranks", ir.Attrs{TransA: true}, "which differ", s(N, 6, 4), s(N, 4)),
		bad(ir.OpMatMul, "a contraction of a stack with trans_b", ir.Attrs{TransA: true, TransB: true}, "Aᵀ·Bᵀ is not defined for operands of rank ≥ 3", s(N, 6, 4), s(N, 6, 4)),

		ok(ir.OpBiasAddLast, "the bias of Dense on a sequence", none, s(N, 6, 5), s(N, 6, 5), s(5)),
		ok(ir.OpBiasAddLast, "on (N, C) it is BiasAdd", none, s(N, 7), s(N, 7), s(7)),
		ok(ir.OpBiasAddLast, "on an unbatched vector", none, s(3), s(3), s(3)),
		bad(ir.OpBiasAddLast, "a vector of axis 1's length", none, "vector 6 does not match the last axis of N×6×5", s(N, 6, 5), s(6)),
		bad(ir.OpBiasAddLast, "an input with only the batch", none, "needs a last axis after the batch, not N", s(N), s(1)),
		bad(ir.OpBiasAddLast, "a matrix for a vector", none, "does not match the last axis", s(N, 6, 5), s(1, 5)),
		ok(ir.OpBiasAddLastGrad, "sums all but the last axis", none, s(5), s(N, 6, 5)),
		ok(ir.OpBiasAddLastGrad, "of a rank-4 gradient", none, s(4), s(N, 2, 3, 4)),
		bad(ir.OpBiasAddLastGrad, "an input with only the batch", none, "needs a last axis after the batch", s(N)),
		bad(ir.OpBiasAddLastGrad, "a scalar", none, "needs a last axis after the batch", s()),
	}
	for _, op := range []string{ir.OpBiasAdd, ir.OpChannelMul} {
		cs = append(cs,
			ok(op, "a per-channel vector on images", none, s(N, 3, 4, 4), s(N, 3, 4, 4), s(3)),
			ok(op, "a per-feature vector", none, s(N, 7), s(N, 7), s(7)),
			bad(op, "a vector of the wrong length", none, "vector 4 does not match 3 channels", s(N, 3), s(4)),
			bad(op, "an input without channels", none, "needs channels on axis 1", s(N), s(1)),
		)
	}
	for _, op := range []string{ir.OpChannelSum, ir.OpChannelMean} {
		cs = append(cs,
			ok(op, "images to channels", none, s(3), s(N, 3, 4, 4)),
			ok(op, "features", none, s(5), s(N, 5)),
			bad(op, "an input without channels", none, "needs channels on axis 1", s(N)),
		)
	}
	cs = append(cs,
		ok(ir.OpChannelBroadcast, "channels to images", ir.Attrs{Shape: s(N, 3, 4, 4), Mean: true}, s(N, 3, 4, 4), s(3)),
		bad(ir.OpChannelBroadcast, "a vector of the wrong length", ir.Attrs{Shape: s(N, 3, 4, 4)}, "cannot broadcast a 4 vector over channels of N×3×4×4", s(4)),
		bad(ir.OpChannelBroadcast, "a target without channels", ir.Attrs{Shape: s(N)}, "cannot broadcast", s(3)),
		bad(ir.OpChannelBroadcast, "a zero size", ir.Attrs{Shape: s(N, 3, 0)}, "zero or negative size", s(3)),
		ok(ir.OpRunningUpdate, "a running mean", ir.Attrs{Momentum: 0.1}, s(3), s(3), s(3), s(N, 3, 4, 4)),
		bad(ir.OpRunningUpdate, "a statistic of another length", none, "state and statistic must be equal vectors", s(3), s(4), s(N, 3)),
		bad(ir.OpRunningUpdate, "x with other channels", none, "x must have 3 channels", s(3), s(3), s(N, 4)),
	)

	// ---- element-wise ----
	for _, op := range []string{ir.OpAdd, ir.OpSub, ir.OpMul, ir.OpDiv} {
		cs = append(cs,
			ok(op, "equal shapes", none, s(N, 3, 2), s(N, 3, 2), s(N, 3, 2)),
			ok(op, "scalars", none, s(), s(), s()),
			bad(op, "different shapes", none, "shapes N×3 and N×4 differ", s(N, 3), s(N, 4)),
			bad(op, "a batched and an unbatched operand", none, "shapes N×3 and 3 differ", s(N, 3), s(3)),
		)
	}
	for _, op := range []string{ir.OpScale, ir.OpAddScalar, ir.OpSigmoid, ir.OpTanh, ir.OpRelu, ir.OpLeakyRelu, ir.OpReluMax, ir.OpExp, ir.OpLog, ir.OpSquare, ir.OpRsqrt} {
		cs = append(cs,
			ok(op, "any shape", ir.Attrs{Alpha: 0.5}, s(N, 3, 2), s(N, 3, 2)),
			ok(op, "a scalar", ir.Attrs{Alpha: 0.5}, s(), s()),
			bad(op, "no input", none, "takes 1 inputs, got 0"),
			bad(op, "two inputs", none, "takes 1 inputs, got 2", s(N, 3), s(N, 3)),
		)
	}
	cs = append(cs,
		ok(ir.OpSoftmax, "logits", none, s(N, 10), s(N, 10)),
		ok(ir.OpSoftmax, "a sequence of logits", none, s(N, 4, 10), s(N, 4, 10)),
		ok(ir.OpSoftmax, "an unbatched vector", none, s(5), s(5)),
		bad(ir.OpSoftmax, "a batch without classes", none, "softmax needs a class axis after the batch", s(N)),
		bad(ir.OpSoftmax, "a scalar", none, "class axis", s()),

		// ---- shape ops ----
		ok(ir.OpReshape, "flatten", ir.Attrs{Shape: s(12)}, s(N, 12), s(N, 3, 4)),
		ok(ir.OpReshape, "unbatched", ir.Attrs{Shape: s(2, 6)}, s(2, 6), s(3, 4)),
		bad(ir.OpReshape, "another element count", ir.Attrs{Shape: s(5)}, "cannot reshape 12 elements to 5", s(N, 3, 4)),
		bad(ir.OpReshape, "a zero size", ir.Attrs{Shape: s(0, 12)}, "zero or negative size", s(N, 12)),
		bad(ir.OpReshape, "a batch in the target", ir.Attrs{Shape: s(N, 12)}, "zero or negative size", s(N, 12)),
		ok(ir.OpConcat, "channels", ir.Attrs{Axis: 1}, s(N, 5, 4, 4), s(N, 2, 4, 4), s(N, 3, 4, 4)),
		ok(ir.OpConcat, "the last axis of three", ir.Attrs{Axis: 2}, s(N, 2, 9), s(N, 2, 3), s(N, 2, 3), s(N, 2, 3)),
		ok(ir.OpConcat, "one input", ir.Attrs{Axis: 1}, s(N, 2), s(N, 2)),
		bad(ir.OpConcat, "the batch axis", ir.Attrs{Axis: 0}, "axis 0 is not a non-batch axis of N×2", s(N, 2), s(N, 2)),
		bad(ir.OpConcat, "an axis past the end", ir.Attrs{Axis: 2}, "axis 2 is not a non-batch axis", s(N, 2), s(N, 2)),
		bad(ir.OpConcat, "other sizes off the axis", ir.Attrs{Axis: 1}, "dimension 2 differs: N×2×4 and N×3×5", s(N, 2, 4), s(N, 3, 5)),
		bad(ir.OpConcat, "different ranks", ir.Attrs{Axis: 1}, "ranks differ", s(N, 2, 4), s(N, 2)),
		bad(ir.OpConcat, "no input", ir.Attrs{Axis: 1}, "takes at least 1 inputs, got 0"),
		bad(ir.OpConcat, "a scalar", ir.Attrs{Axis: 0}, "not a non-batch axis", s()),
		ok(ir.OpSlice, "features 1 to 4", ir.Attrs{Axis: 1, Start: 1, End: 4}, s(N, 3), s(N, 6)),
		ok(ir.OpSlice, "the last step of a sequence", ir.Attrs{Axis: 1, Start: 7, End: 8}, s(N, 1, 5), s(N, 8, 5)),
		bad(ir.OpSlice, "past the end", ir.Attrs{Axis: 1, Start: 4, End: 7}, "slice [4:7] is outside axis 1 of size 6", s(N, 6)),
		bad(ir.OpSlice, "an empty range", ir.Attrs{Axis: 1, Start: 3, End: 3}, "outside axis", s(N, 6)),
		bad(ir.OpSlice, "the batch axis", ir.Attrs{Axis: 0, Start: 0, End: 1}, "axis 0 is not a non-batch axis", s(N, 6)),

		// ---- convolution and pooling ----
		ok(ir.OpConv2D, "valid", ir.Attrs{Strides: unit, Pads: noPads}, s(N, 4, 6, 6), s(N, 3, 8, 8), s(4, 3, 3, 3)),
		ok(ir.OpConv2D, "strides (2,3) and pads", ir.Attrs{Strides: []int{2, 3}, Pads: []int{1, 1, 1, 1}}, s(N, 4, 4, 3), s(N, 3, 8, 8), s(4, 3, 3, 3)),
		ok(ir.OpConv2D, "asymmetric pads and kernel", ir.Attrs{Strides: unit, Pads: []int{0, 1, 2, 0}}, s(N, 1, 7, 7), s(N, 2, 5, 7), s(1, 2, 1, 2)),
		bad(ir.OpConv2D, "other channels", ir.Attrs{Strides: unit, Pads: noPads}, "input has 3 channels, weights expect 2", s(N, 3, 8, 8), s(4, 2, 3, 3)),
		bad(ir.OpConv2D, "a kernel larger than the padded input", ir.Attrs{Strides: unit, Pads: noPads}, "kernel 5x5 is larger than the padded input 3x3", s(N, 16, 3, 3), s(16, 16, 5, 5)),
		bad(ir.OpConv2D, "no strides", ir.Attrs{Pads: noPads}, "strides [] must be two positive values", s(N, 3, 8, 8), s(4, 3, 3, 3)),
		bad(ir.OpConv2D, "three pads", ir.Attrs{Strides: unit, Pads: []int{1, 1, 1}}, "pads [1 1 1] must be {top, left, bottom, right}", s(N, 3, 8, 8), s(4, 3, 3, 3)),
		bad(ir.OpConv2D, "a negative pad", ir.Attrs{Strides: unit, Pads: []int{0, -1, 0, 0}}, "must not be negative", s(N, 3, 8, 8), s(4, 3, 3, 3)),
		bad(ir.OpConv2D, "a flat input", ir.Attrs{Strides: unit, Pads: noPads}, "needs input (N,C,H,W) and weights (O,C,KH,KW)", s(N, 3), s(4, 3, 3, 3)),
		ok(ir.OpConv2D, "dilation 2: a 3x3 kernel spans 5x5", ir.Attrs{Strides: unit, Pads: noPads, Dilations: []int{2, 2}}, s(N, 4, 4, 4), s(N, 3, 8, 8), s(4, 3, 3, 3)),
		ok(ir.OpConv2D, "dilations (1,3) with strides (2,2) and pads", ir.Attrs{Strides: []int{2, 2}, Pads: []int{1, 6, 1, 0}, Dilations: []int{1, 3}}, s(N, 4, 4, 4), s(N, 3, 8, 8), s(4, 3, 3, 3)),
		ok(ir.OpConv2D, "a dilated kernel exactly the padded input", ir.Attrs{Strides: unit, Pads: []int{0, 0, 1, 0}, Dilations: []int{4, 2}}, s(N, 1, 1, 1), s(N, 1, 8, 5), s(1, 1, 3, 3)),
		bad(ir.OpConv2D, "a dilated kernel larger than the padded input", ir.Attrs{Strides: unit, Pads: noPads, Dilations: []int{4, 2}}, "kernel 3x3 dilated by 4x2: kernel 9x5 is larger than the padded input 8x8", s(N, 3, 8, 8), s(4, 3, 3, 3)),
		bad(ir.OpConv2D, "a zero dilation", ir.Attrs{Strides: unit, Pads: noPads, Dilations: []int{0, 1}}, "dilations [0 1] must be two positive values {dh, dw}", s(N, 3, 8, 8), s(4, 3, 3, 3)),
		bad(ir.OpConv2D, "one dilation", ir.Attrs{Strides: unit, Pads: noPads, Dilations: []int{2}}, "dilations [2] must be two positive values {dh, dw}", s(N, 3, 8, 8), s(4, 3, 3, 3)),
		ok(ir.OpConv2DTranspose, "PyTorch k3 s2 p1 out_pad 1", ir.Attrs{Strides: []int{2, 2}, Pads: []int{1, 1, 1, 1}, OutPad: []int{1, 1}}, s(N, 2, 10, 14), s(N, 3, 5, 7), s(3, 2, 3, 3)),
		ok(ir.OpConv2DTranspose, "no out_pad", ir.Attrs{Strides: unit, Pads: noPads}, s(N, 2, 7, 9), s(N, 3, 5, 7), s(3, 2, 3, 3)),
		ok(ir.OpConv2DTranspose, "PyTorch k(4,2) s(3,1) out_pad (2,0)", ir.Attrs{Strides: []int{3, 1}, Pads: noPads, OutPad: []int{2, 0}}, s(N, 2, 18, 8), s(N, 3, 5, 7), s(3, 2, 4, 2)),
		bad(ir.OpConv2DTranspose, "an out_pad not below the stride", ir.Attrs{Strides: []int{2, 2}, Pads: noPads, OutPad: []int{2, 0}}, "out_pad [2 0] must be two values below the strides [2 2]", s(N, 3, 5, 7), s(3, 2, 3, 3)),
		bad(ir.OpConv2DTranspose, "other channels", ir.Attrs{Strides: unit, Pads: noPads}, "input has 3 channels, weights expect 2", s(N, 3, 5, 7), s(2, 3, 3, 3)),
		bad(ir.OpConv2DTranspose, "pads that eat the output", ir.Attrs{Strides: unit, Pads: []int{2, 2, 2, 2}}, "output would be -1x-1", s(N, 3, 1, 1), s(3, 2, 3, 3)),
		bad(ir.OpConv2DTranspose, "no pads", ir.Attrs{Strides: unit}, "must be {top, left, bottom, right}", s(N, 3, 5, 7), s(3, 2, 3, 3)),
		ok(ir.OpConv2DTranspose, "PyTorch k3 s2 p2 dilation 2 out_pad 1: (H-1)·s - 2p + d·(k-1) + out_pad + 1", ir.Attrs{Strides: []int{2, 2}, Pads: []int{2, 2, 2, 2}, OutPad: []int{1, 1}, Dilations: []int{2, 2}}, s(N, 2, 10, 14), s(N, 3, 5, 7), s(3, 2, 3, 3)),
		ok(ir.OpConv2DTranspose, "dilations (3,1), no pads", ir.Attrs{Strides: unit, Pads: noPads, Dilations: []int{3, 1}}, s(N, 2, 11, 9), s(N, 3, 5, 7), s(3, 2, 3, 3)),
		bad(ir.OpConv2DTranspose, "a negative dilation", ir.Attrs{Strides: unit, Pads: noPads, Dilations: []int{2, -1}}, "dilations [2 -1] must be two positive values {dh, dw}", s(N, 3, 5, 7), s(3, 2, 3, 3)),
	)
	for _, op := range []string{ir.OpMaxPool2D, ir.OpAvgPool2D} {
		cs = append(cs,
			ok(op, "2x2 stride 2", ir.Attrs{Kernel: []int{2, 2}, Strides: []int{2, 2}, Pads: noPads}, s(N, 2, 14, 14), s(N, 2, 28, 28)),
			ok(op, "3x3 stride 2 same-padded", ir.Attrs{Kernel: []int{3, 3}, Strides: []int{2, 2}, Pads: []int{0, 0, 1, 1}, Exclude: true}, s(N, 2, 4, 4), s(N, 2, 8, 8)),
			bad(op, "no kernel", ir.Attrs{Strides: unit, Pads: noPads}, "kernel [] must be {kh, kw}", s(N, 2, 8, 8)),
			bad(op, "padding as large as the window", ir.Attrs{Kernel: []int{2, 2}, Strides: unit, Pads: []int{2, 0, 0, 0}}, "leaves a 2x2 window with no input", s(N, 2, 8, 8)),
			bad(op, "a flat input", ir.Attrs{Kernel: []int{2, 2}, Strides: unit, Pads: noPads}, "needs input (N,C,H,W)", s(N, 8)),
			bad(op, "a window larger than the input", ir.Attrs{Kernel: []int{4, 4}, Strides: unit, Pads: noPads}, "kernel 4x4 is larger than the padded input 3x3", s(N, 1, 3, 3)),
		)
	}
	cs = append(cs,
		ok(ir.OpGlobalAvgPool2D, "images to channels", none, s(N, 3), s(N, 3, 4, 5)),
		bad(ir.OpGlobalAvgPool2D, "a flat input", none, "needs input (N,C,H,W)", s(N, 3)),
		ok(ir.OpUpSample2D, "factors (2,3)", ir.Attrs{Scale: []int{2, 3}}, s(N, 2, 8, 12), s(N, 2, 4, 4)),
		bad(ir.OpUpSample2D, "a zero factor", ir.Attrs{Scale: []int{0, 1}}, "scale [0 1] must be two positive factors", s(N, 2, 4, 4)),
		bad(ir.OpUpSample2D, "one factor", ir.Attrs{Scale: []int{2}}, "must be two positive factors", s(N, 2, 4, 4)),
		bad(ir.OpUpSample2D, "a flat input", ir.Attrs{Scale: []int{2, 2}}, "needs input (N,C,H,W)", s(N, 4)),
		ok(ir.OpUpSampleBilinear2D, "factors (3,2)", ir.Attrs{Scale: []int{3, 2}}, s(N, 2, 21, 8), s(N, 2, 7, 4)),
		ok(ir.OpUpSampleBilinear2D, "a 1×1 input", ir.Attrs{Scale: []int{2, 2}}, s(N, 3, 2, 2), s(N, 3, 1, 1)),
		bad(ir.OpUpSampleBilinear2D, "a zero factor", ir.Attrs{Scale: []int{2, 0}}, "scale [2 0] must be two positive factors", s(N, 2, 4, 4)),
		bad(ir.OpUpSampleBilinear2D, "three factors", ir.Attrs{Scale: []int{2, 2, 2}}, "must be two positive factors", s(N, 2, 4, 4)),
		bad(ir.OpUpSampleBilinear2D, "no scale", ir.Attrs{}, "scale [] must be two positive factors", s(N, 2, 4, 4)),
		bad(ir.OpUpSampleBilinear2D, "a rank-3 input", ir.Attrs{Scale: []int{2, 2}}, "needs input (N,C,H,W)", s(N, 4, 4)),
	)
	cs = append(cs,
		ok(ir.OpPad2D, "zero padding 28×28 to 32×32", ir.Attrs{Pads: []int{2, 2, 2, 2}}, s(N, 1, 32, 32), s(N, 1, 28, 28)),
		ok(ir.OpPad2D, "cropping 32×32 to 28×28", ir.Attrs{Pads: []int{-2, -2, -2, -2}}, s(N, 1, 28, 28), s(N, 1, 32, 32)),
		ok(ir.OpPad2D, "each side its own amount and sign", ir.Attrs{Pads: []int{1, -2, -3, 0}}, s(N, 3, 3, 3), s(N, 3, 5, 5)),
		ok(ir.OpPad2D, "no pads", ir.Attrs{Pads: noPads}, s(N, 2, 4, 5), s(N, 2, 4, 5)),
		ok(ir.OpPad2D, "cropping to one row and column", ir.Attrs{Pads: []int{-1, -3, -2, 0}}, s(N, 2, 1, 1), s(N, 2, 4, 4)),
		ok(ir.OpPad2D, "cropping more than is left, padded back", ir.Attrs{Pads: []int{-3, 0, 5, 0}}, s(N, 2, 6, 4), s(N, 2, 4, 4)),
		bad(ir.OpPad2D, "cropping every row", ir.Attrs{Pads: []int{-2, 0, -2, 0}}, "pads [-2 0 -2 0] crop all 4 rows of N×2×4×5", s(N, 2, 4, 5)),
		bad(ir.OpPad2D, "cropping every column", ir.Attrs{Pads: []int{0, -6, 1, 1}}, "pads [0 -6 1 1] crop all 5 columns of N×2×4×5", s(N, 2, 4, 5)),
		bad(ir.OpPad2D, "two pads", ir.Attrs{Pads: []int{1, 1}}, "pads [1 1] must be {top, left, bottom, right}", s(N, 2, 4, 5)),
		bad(ir.OpPad2D, "no pads attribute", none, "pads [] must be {top, left, bottom, right}", s(N, 2, 4, 5)),
		bad(ir.OpPad2D, "a sequence", ir.Attrs{Pads: noPads}, "needs input (N,C,H,W)", s(N, 2, 5)),
	)

	// ---- reductions ----
	for _, op := range []string{ir.OpReduceSum, ir.OpReduceMean} {
		cs = append(cs,
			ok(op, "a batch to a scalar", none, s(), s(N, 3, 2)),
			bad(op, "no input", none, "takes 1 inputs, got 0"),
		)
	}
	cs = append(cs,
		ok(ir.OpBroadcast, "a scalar over a batch", ir.Attrs{Shape: s(N, 3), Mean: true}, s(N, 3), s()),
		bad(ir.OpBroadcast, "a vector", ir.Attrs{Shape: s(N, 3)}, "input must be a scalar", s(3)),
		bad(ir.OpBroadcast, "a zero size", ir.Attrs{Shape: s(N, 0)}, "zero or negative size", s()),
	)

	// ---- losses ----
	for _, op := range []string{ir.OpMSELoss, ir.OpMAELoss, ir.OpHuberLoss, ir.OpBCELoss, ir.OpBCEWithLogitsLoss, ir.OpSoftmaxCELoss, ir.OpCategoricalCELoss} {
		a := ir.Attrs{Alpha: 1}
		cs = append(cs,
			ok(op, "a batch of rows", a, s(), s(N, 3), s(N, 3)),
			ok(op, "a batch of images", a, s(), s(N, 1, 4, 4), s(N, 1, 4, 4)),
			bad(op, "a target of another shape", a, "prediction N×10 and target N×1×28×28 differ", s(N, 10), s(N, 1, 28, 28)),
			bad(op, "no batch", a, "prediction must have a batch dimension", s(3), s(3)),
			bad(op, "one input", a, "takes 2 inputs, got 1", s(N, 3)),
		)
	}
	for _, op := range []string{ir.OpSoftmaxCELoss, ir.OpCategoricalCELoss} {
		cs = append(cs, bad(op, "no class axis", none, "prediction N needs a class axis after the batch", s(N), s(N)))
	}
	cs = append(cs,
		bad(ir.OpHuberLoss, "a zero delta", none, "huber delta 0 must be positive", s(N, 3), s(N, 3)),
		ok(ir.OpSparseSoftmaxCELoss, "logits and labels", none, s(), s(N, 10), s(N)),
		ok(ir.OpSparseSoftmaxCELoss, "per-step logits and a label per step", none, s(), s(N, 5, 10), s(N, 5)),
		ok(ir.OpSparseSoftmaxCELoss, "a label per position of (N, A, B)", none, s(), s(N, 2, 3, 4), s(N, 2, 3)),
		bad(ir.OpSparseSoftmaxCELoss, "per-step logits with one label per example", none, "labels N must be the logits N×10×2 without their class axis, N×10", s(N, 10, 2), s(N)),
		bad(ir.OpSparseSoftmaxCELoss, "labels with an extra axis", none, "labels N×1 must be the logits N×10 without their class axis, N", s(N, 10), s(N, 1)),
		bad(ir.OpSparseSoftmaxCELoss, "labels of other steps", none, "labels N×4 must be the logits N×5×3 without their class axis, N×5", s(N, 5, 3), s(N, 4)),
		bad(ir.OpSparseSoftmaxCELoss, "unbatched logits", none, "logits 4×10 must be (N, ..., classes)", s(4, 10), s(N)),
		bad(ir.OpSparseSoftmaxCELoss, "logits without a class axis", none, "logits N must be (N, ..., classes)", s(N), s(N)),
		ok(ir.OpOneHot, "one class per example", ir.Attrs{Shape: s(N, 4)}, s(N, 4), s(N)),
		ok(ir.OpOneHot, "one class per step", ir.Attrs{Shape: s(N, 5, 3)}, s(N, 5, 3), s(N, 5)),
		bad(ir.OpOneHot, "a shape without the class axis", ir.Attrs{Shape: s(N, 5)}, "shape N×5 must be the batched labels N×5 and a class axis", s(N, 5)),
		bad(ir.OpOneHot, "a shape of other steps", ir.Attrs{Shape: s(N, 4, 3)}, "shape N×4×3 must be the batched labels N×5 and a class axis", s(N, 5)),
		bad(ir.OpOneHot, "zero classes", ir.Attrs{Shape: s(N, 0)}, "zero or negative size", s(N)),
		bad(ir.OpOneHot, "unbatched labels", ir.Attrs{Shape: s(3, 4)}, "must be the batched labels 3 and a class axis", s(3)),
	)

	cs = append(cs,
		bad(ir.OpReluMax, "a zero cap", ir.Attrs{}, "cap alpha 0 must be positive", s(N, 3)),
		bad(ir.OpReluMax, "a negative cap", ir.Attrs{Alpha: -6}, "cap alpha -6 must be positive", s(N, 3)),
	)

	// ---- gradient-only ops ----
	for _, op := range []string{ir.OpSigmoidGrad, ir.OpTanhGrad, ir.OpReluGrad, ir.OpLeakyReluGrad, ir.OpReluMaxGrad, ir.OpSoftmaxGrad} {
		cs = append(cs,
			ok(op, "value and gradient", ir.Attrs{Alpha: 0.1}, s(N, 3, 2), s(N, 3, 2), s(N, 3, 2)),
			bad(op, "different shapes", none, "shapes N×3 and N×2 differ", s(N, 3), s(N, 2)),
		)
	}

	// ---- smooth activations and their gradients ----
	for _, op := range []string{ir.OpElu, ir.OpSelu, ir.OpSoftplus, ir.OpGelu, ir.OpSilu} {
		cs = append(cs,
			ok(op, "any shape", ir.Attrs{Alpha: 0.5}, s(N, 3, 2), s(N, 3, 2)),
			ok(op, "a scalar", none, s(), s()),
			bad(op, "two inputs", none, "takes 1 inputs, got 2", s(N, 3), s(N, 3)),
		)
	}
	for _, op := range []string{ir.OpEluGrad, ir.OpSeluGrad, ir.OpSoftplusGrad, ir.OpGeluGrad, ir.OpSiluGrad} {
		cs = append(cs,
			ok(op, "input and gradient", ir.Attrs{Alpha: 0.5}, s(N, 3, 2), s(N, 3, 2), s(N, 3, 2)),
			bad(op, "different shapes", none, "shapes N×3 and N×2 differ", s(N, 3), s(N, 2)),
		)
	}
	cs = append(cs,
		bad(ir.OpElu, "an infinite alpha", ir.Attrs{Alpha: math.Inf(-1)}, "alpha -Inf must be finite", s(N, 3)),
		bad(ir.OpEluGrad, "a NaN alpha", ir.Attrs{Alpha: math.NaN()}, "alpha NaN must be finite", s(N, 3), s(N, 3)),
		ok(ir.OpGelu, "the tanh approximation", ir.Attrs{Sub: ir.GeluTanh}, s(N, 3), s(N, 3)),
		ok(ir.OpGeluGrad, "the tanh approximation", ir.Attrs{Sub: ir.GeluTanh}, s(N, 3), s(N, 3), s(N, 3)),
		bad(ir.OpGelu, "an unknown approximation", ir.Attrs{Sub: "sigmoid"}, `sub "sigmoid" must be empty (the exact GELU) or "tanh"`, s(N, 3)),
		bad(ir.OpGeluGrad, "an unknown approximation", ir.Attrs{Sub: "erf"}, `sub "erf" must be empty`, s(N, 3), s(N, 3)),
	)
	cs = append(cs,
		ok(ir.OpSliceGrad, "placed into a wider tensor", ir.Attrs{Shape: s(N, 6), Axis: 1, Start: 2}, s(N, 6), s(N, 3)),
		bad(ir.OpSliceGrad, "past the end", ir.Attrs{Shape: s(N, 6), Axis: 1, Start: 4}, "cannot place N×3 at 4 along axis 1 of N×6", s(N, 3)),
		bad(ir.OpSliceGrad, "the batch axis", ir.Attrs{Shape: s(N, 6), Axis: 0}, "cannot place", s(N, 6)),
		bad(ir.OpSliceGrad, "another rank", ir.Attrs{Shape: s(N, 6, 2), Axis: 1}, "cannot place", s(N, 3)),
		ok(ir.OpConv2DFilterGrad, "a 3x3 filter", ir.Attrs{Kernel: []int{3, 3}, Strides: unit, Pads: noPads}, s(4, 3, 3, 3), s(N, 3, 8, 8), s(N, 4, 6, 6)),
		ok(ir.OpConv2DFilterGrad, "strided and padded", ir.Attrs{Kernel: []int{3, 3}, Strides: []int{2, 3}, Pads: []int{1, 1, 1, 1}}, s(4, 3, 3, 3), s(N, 3, 8, 8), s(N, 4, 4, 3)),
		bad(ir.OpConv2DFilterGrad, "dy of the wrong size", ir.Attrs{Kernel: []int{3, 3}, Strides: unit, Pads: noPads}, "dy is 5x5, the convolution gives 6x6", s(N, 3, 8, 8), s(N, 4, 5, 5)),
		bad(ir.OpConv2DFilterGrad, "no kernel", ir.Attrs{Strides: unit, Pads: noPads}, "needs x and dy (N,C,H,W) and a kernel", s(N, 3, 8, 8), s(N, 4, 6, 6)),
		ok(ir.OpConv2DFilterGrad, "a 3x3 filter dilated by (2,3)", ir.Attrs{Kernel: []int{3, 3}, Strides: unit, Pads: noPads, Dilations: []int{2, 3}}, s(4, 3, 3, 3), s(N, 3, 8, 8), s(N, 4, 4, 2)),
		bad(ir.OpConv2DFilterGrad, "dy of the undilated size", ir.Attrs{Kernel: []int{3, 3}, Strides: unit, Pads: noPads, Dilations: []int{2, 2}}, "dy is 6x6, the convolution gives 4x4", s(N, 3, 8, 8), s(N, 4, 6, 6)),
		ok(ir.OpMaxPool2DGrad, "2x2 pooling", ir.Attrs{Kernel: []int{2, 2}, Strides: []int{2, 2}, Pads: noPads}, s(N, 2, 4, 4), s(N, 2, 4, 4), s(N, 2, 2, 2)),
		bad(ir.OpMaxPool2DGrad, "dy of the wrong size", ir.Attrs{Kernel: []int{2, 2}, Strides: []int{2, 2}, Pads: noPads}, "dy N×2×3×3 does not match the pooled shape N×2×2×2", s(N, 2, 4, 4), s(N, 2, 3, 3)),
		bad(ir.OpMaxPool2DGrad, "no kernel", ir.Attrs{Strides: unit, Pads: noPads}, "kernel [] must be {kh, kw}", s(N, 2, 4, 4), s(N, 2, 2, 2)),
		ok(ir.OpAvgPool2DGrad, "2x2 pooling", ir.Attrs{Shape: s(N, 2, 4, 4), Kernel: []int{2, 2}, Strides: []int{2, 2}, Pads: noPads}, s(N, 2, 4, 4), s(N, 2, 2, 2)),
		bad(ir.OpAvgPool2DGrad, "dy of the wrong size", ir.Attrs{Shape: s(N, 2, 4, 4), Kernel: []int{2, 2}, Strides: []int{2, 2}, Pads: noPads}, "does not match the pooled shape", s(N, 2, 3, 3)),
		bad(ir.OpAvgPool2DGrad, "a flat shape", ir.Attrs{Shape: s(N, 8), Kernel: []int{2, 2}, Strides: []int{2, 2}, Pads: noPads}, "shape N×8 must be (N,C,H,W)", s(N, 2, 2, 2)),
		ok(ir.OpGlobalAvgPool2DGrad, "channels over images", ir.Attrs{Shape: s(N, 3, 4, 4)}, s(N, 3, 4, 4), s(N, 3)),
		bad(ir.OpGlobalAvgPool2DGrad, "other channels", ir.Attrs{Shape: s(N, 3, 4, 4)}, "cannot spread N×2 over N×3×4×4", s(N, 2)),
		ok(ir.OpUpSample2DGrad, "factors (2,3)", ir.Attrs{Scale: []int{2, 3}}, s(N, 2, 2, 2), s(N, 2, 4, 6)),
		bad(ir.OpUpSample2DGrad, "not a multiple", ir.Attrs{Scale: []int{2, 3}}, "N×2×5×6 is not a multiple of scale [2 3]", s(N, 2, 5, 6)),
		bad(ir.OpUpSample2DGrad, "a zero factor", ir.Attrs{Scale: []int{0, 1}}, "is not a multiple of scale", s(N, 2, 4, 4)),
		ok(ir.OpUpSampleBilinear2DGrad, "factors (1,4)", ir.Attrs{Scale: []int{1, 4}}, s(N, 2, 3, 5), s(N, 2, 3, 20)),
		bad(ir.OpUpSampleBilinear2DGrad, "not a multiple", ir.Attrs{Scale: []int{3, 2}}, "N×2×7×8 is not a multiple of scale [3 2]", s(N, 2, 7, 8)),
		bad(ir.OpUpSampleBilinear2DGrad, "a negative factor", ir.Attrs{Scale: []int{-1, 1}}, "is not a multiple of scale [-1 1]", s(N, 2, 4, 4)),
		ok(ir.OpLossGrad, "of MSE", ir.Attrs{Sub: ir.OpMSELoss}, s(N, 3), s(N, 3), s(N, 3), s()),
		ok(ir.OpLossGrad, "of sparse cross-entropy", ir.Attrs{Sub: ir.OpSparseSoftmaxCELoss}, s(N, 10), s(N, 10), s(N), s()),
		bad(ir.OpLossGrad, "of an op that is no loss", ir.Attrs{Sub: ir.OpRelu}, `"Relu" is not a loss op`, s(N, 3), s(N, 3), s()),
		bad(ir.OpLossGrad, "of an unknown op", ir.Attrs{Sub: "Nope"}, `"Nope" is not a loss op`, s(N, 3), s(N, 3), s()),
		bad(ir.OpLossGrad, "with a vector dloss", ir.Attrs{Sub: ir.OpMSELoss}, "dloss must be a scalar", s(N, 3), s(N, 3), s(3)),

		// ---- macro ops ----
		ok(ir.OpBatchNorm, "images", ir.Attrs{Eps: 1e-5, Momentum: 0.1}, s(N, 3, 4, 4), s(N, 3, 4, 4), s(3), s(3), s(3), s(3)),
		ok(ir.OpBatchNorm, "features", ir.Attrs{Eps: 1e-5, Momentum: 0}, s(N, 5), s(N, 5), s(5), s(5), s(5), s(5)),
		bad(ir.OpBatchNorm, "a running variance of the wrong length", ir.Attrs{Eps: 1e-5, Momentum: 0.1}, "running_var must be a vector of 3, got 4", s(N, 3), s(3), s(3), s(3), s(4)),
		bad(ir.OpBatchNorm, "a zero epsilon", ir.Attrs{Momentum: 0.1}, "eps 0 must be positive", s(N, 3), s(3), s(3), s(3), s(3)),
		bad(ir.OpBatchNorm, "a momentum above 1", ir.Attrs{Eps: 1e-5, Momentum: 2}, "momentum 2 in [0,1]", s(N, 3), s(3), s(3), s(3), s(3)),
		bad(ir.OpBatchNorm, "an unbatched input", ir.Attrs{Eps: 1e-5}, "needs a batched input with channels on axis 1", s(2, 3), s(3), s(3), s(3), s(3)),
		bad(ir.OpBatchNorm, "four inputs", ir.Attrs{Eps: 1e-5}, "takes 5 inputs, got 4", s(N, 3), s(3), s(3), s(3)),
		ok(ir.OpDropout, "half", ir.Attrs{Rate: 0.5, Seed: 1}, s(N, 4), s(N, 4)),
		ok(ir.OpDropout, "none", ir.Attrs{}, s(N, 2, 3), s(N, 2, 3)),
		bad(ir.OpDropout, "rate 1", ir.Attrs{Rate: 1}, "dropout rate 1 must be in [0, 1)", s(N, 4)),
		bad(ir.OpDropout, "an unbatched input", ir.Attrs{Rate: 0.5}, "needs a batched input", s(4)),
		ok(ir.OpDropout, "whole channels of an image", ir.Attrs{Rate: 0.5, Sub: ir.DropoutChannels}, s(N, 3, 4, 4), s(N, 3, 4, 4)),
		ok(ir.OpDropout, "whole features of a sequence", ir.Attrs{Rate: 0.5, Sub: ir.DropoutFeatures}, s(N, 5, 8), s(N, 5, 8)),
		bad(ir.OpDropout, "channels of a matrix", ir.Attrs{Rate: 0.5, Sub: ir.DropoutChannels}, "channel dropout needs (N, C, ...) with axes after the channels, got N×4", s(N, 4)),
		bad(ir.OpDropout, "features of an image", ir.Attrs{Rate: 0.5, Sub: ir.DropoutFeatures}, "feature dropout needs (N, T, F), got N×3×4×4", s(N, 3, 4, 4)),
		bad(ir.OpDropout, "an unknown variant", ir.Attrs{Rate: 0.5, Sub: "rows"}, `unknown dropout variant "rows"`, s(N, 4)),
	)

	// Recurrent layers: x (N, T=5, F=3), H = 4 units.
	x, h := s(N, 5, 3), s(N, 4)
	rnn := ir.Attrs{Act: "tanh"}
	gated := ir.Attrs{Act: "tanh", Sub: "sigmoid"}
	seq := ir.Attrs{Act: "tanh", Sub: "sigmoid", Extra: []int{1}}
	cs = append(cs,
		ok(ir.OpSimpleRNN, "the last state", rnn, s(N, 4), x, s(4, 3), s(4, 4), h),
		ok(ir.OpSimpleRNN, "every state, with biases", ir.Attrs{Act: "relu", Extra: []int{1}}, s(N, 5, 4), x, s(4, 3), s(4, 4), h, s(4), s(4)),
		bad(ir.OpSimpleRNN, "a recurrent activation", gated, `SimpleRNN has no recurrent activation, got "sigmoid"`, x, s(4, 3), s(4, 4), h),
		bad(ir.OpSimpleRNN, "input weights for other features", rnn, "w_ih must be (4, 3) for 3 features and 4 units, not 4×2", x, s(4, 2), s(4, 4), h),
		bad(ir.OpSimpleRNN, "a flat input", rnn, "x must be (N, time, features), not N×15", s(N, 15), s(4, 3), s(4, 4), h),
		bad(ir.OpSimpleRNN, "an unknown activation", ir.Attrs{Act: "gelu"}, `activation "gelu" must be tanh, sigmoid, relu or linear`, x, s(4, 3), s(4, 4), h),
		ok(ir.OpLSTM, "the last state", gated, s(N, 4), x, s(16, 3), s(16, 4), h, h),
		ok(ir.OpLSTM, "every state in reverse, with biases", ir.Attrs{Act: "tanh", Sub: "sigmoid", Extra: []int{1, 1}}, s(N, 5, 4), x, s(16, 3), s(16, 4), h, h, s(16), s(16)),
		bad(ir.OpLSTM, "no cell state", gated, "takes 5 to 8 inputs, got 4", x, s(16, 3), s(16, 4), h),
		bad(ir.OpLSTM, "a GRU switch", ir.Attrs{Act: "tanh", Sub: "sigmoid", Extra: []int{0, 0, 0, 1}}, "reset_before applies to GRU only", x, s(16, 3), s(16, 4), h, h),
		bad(ir.OpLSTM, "a cell state of another size", gated, "initial state c0 must be (N, 4), not N×5", x, s(16, 3), s(16, 4), h, s(N, 5)),
		ok(ir.OpGRU, "the last state, Keras reset_after=False", ir.Attrs{Act: "tanh", Sub: "sigmoid", Extra: []int{0, 0, 0, 1}}, s(N, 4), x, s(12, 3), s(12, 4), h),
		ok(ir.OpGRU, "every state with dropout", ir.Attrs{Act: "tanh", Sub: "sigmoid", Extra: []int{1, 0, 1}, Rate: 0.2}, s(N, 5, 4), x, s(12, 3), s(12, 4), h, s(12), s(12)),
		ok(ir.OpGRU, "every state", seq, s(N, 5, 4), x, s(12, 3), s(12, 4), h),
		bad(ir.OpGRU, "LSTM-sized weights", gated, "w_hh must be (3·H, H), not 16×4", x, s(16, 3), s(16, 4), h),
		bad(ir.OpGRU, "a dropout rate of 1", ir.Attrs{Act: "tanh", Sub: "sigmoid", Rate: 1}, "dropout rate 1 must be in [0, 1)", x, s(12, 3), s(12, 4), h),
		bad(ir.OpGRU, "a switch of 2", ir.Attrs{Act: "tanh", Sub: "sigmoid", Extra: []int{2}}, "switches are 0 or 1", x, s(12, 3), s(12, 4), h),
		bad(ir.OpGRU, "one bias", gated, "takes (x, w_ih, w_hh, h0) and optionally (b_ih, b_hh): 4 or 6 inputs, not 5", x, s(12, 3), s(12, 4), h, s(12)),
	)
	// ---- embedding ----
	floatIDs := bad(ir.OpEmbedding, "float ids", none, `input 0 must be an int input (ids), not Input "in0"`, s(N, 5), s(10, 4))
	floatIDs.floatIDs = true
	floatGradIDs := bad(ir.OpEmbeddingGrad, "float ids", ir.Attrs{Shape: s(10, 4)}, `input 0 must be an int input (ids), not Input "in0"`, s(N, 5), s(N, 5, 4))
	floatGradIDs.floatIDs = true
	cs = append(cs,
		ok(ir.OpEmbedding, "one id per item", none, s(N, 4), s(N), s(10, 4)),
		ok(ir.OpEmbedding, "a sequence of ids", none, s(N, 5, 4), s(N, 5), s(10, 4)),
		ok(ir.OpEmbedding, "a grid of ids with a padding index", ir.Attrs{Extra: []int{9}}, s(N, 2, 3, 4), s(N, 2, 3), s(10, 4)),
		floatIDs,
		bad(ir.OpEmbedding, "unbatched ids", none, "ids 5 must be batched, (N, ...)", s(5), s(10, 4)),
		bad(ir.OpEmbedding, "a weight vector", none, "weight 10 must be a (vocabulary, dimension) matrix", s(N, 5), s(10)),
		bad(ir.OpEmbedding, "a padding index past the last row", ir.Attrs{Extra: []int{10}}, "padding index 10 is not a row of the 10-row weight", s(N, 5), s(10, 4)),
		bad(ir.OpEmbedding, "a negative padding index", ir.Attrs{Extra: []int{-1}}, "padding index -1 is not a row", s(N, 5), s(10, 4)),
		bad(ir.OpEmbedding, "two extras", ir.Attrs{Extra: []int{1, 2}}, "extra [1 2] holds more than the padding index", s(N, 5), s(10, 4)),
		bad(ir.OpEmbedding, "one input", none, "takes 2 inputs, got 1", s(N, 5)),
		ok(ir.OpEmbeddingGrad, "of a sequence", ir.Attrs{Shape: s(10, 4)}, s(10, 4), s(N, 5), s(N, 5, 4)),
		ok(ir.OpEmbeddingGrad, "with a padding index", ir.Attrs{Shape: s(10, 4), Extra: []int{0}}, s(10, 4), s(N), s(N, 4)),
		floatGradIDs,
		bad(ir.OpEmbeddingGrad, "dy of another dimension", ir.Attrs{Shape: s(10, 4)}, "dy N×5×3 must be the ids N×5 with a last axis of 4", s(N, 5), s(N, 5, 3)),
		bad(ir.OpEmbeddingGrad, "a weight shape of rank 1", ir.Attrs{Shape: s(40)}, "shape 40 must be the weight's (vocabulary, dimension)", s(N, 5), s(N, 5, 4)),
		bad(ir.OpEmbeddingGrad, "a padding index past the last row", ir.Attrs{Shape: s(10, 4), Extra: []int{12}}, "padding index 12 is not a row", s(N, 5), s(N, 5, 4)),
		// A parameter's zero rows (an Embedding's padding row) must be its rows.
		ok(ir.OpParam, "a weight with a zero row", ir.Attrs{Shape: s(10, 4), Role: ir.RoleWeight, Init: &ir.Init{Kind: ir.InitNormal, Value: 1, ZeroRows: []int{9}}}, s(10, 4)),
		bad(ir.OpParam, "a zero row past the last", ir.Attrs{Shape: s(10, 4), Role: ir.RoleWeight, Init: &ir.Init{Kind: ir.InitNormal, Value: 1, ZeroRows: []int{10}}}, "zero row 10 of the initializer is not a row of 10×4"),
		bad(ir.OpParam, "a zero row of a scalar", ir.Attrs{Shape: s(), Role: ir.RoleWeight, Init: &ir.Init{Kind: ir.InitZeros, ZeroRows: []int{0}}}, "zero row 0 of the initializer is not a row of scalar"),
	)
	cs = append(cs, autoencoderShapeCases()...) // ops_ae_test.go
	cs = append(cs, repeatShapeCases()...)      // ops_repeat_test.go
	cs = append(cs, transposeShapeCases()...)   // ops_transpose_test.go
	cs = append(cs, layerNormShapeCases()...)   // ops_layernorm_test.go
	cs = append(cs, logSoftmaxShapeCases()...)  // ops_logsm_test.go
	cs = append(cs, ignoreShapeCases()...)      // ops_ignore_test.go
	cs = append(cs, maskShapeCases()...)        // ops_mask_test.go
	cs = append(cs, preluShapeCases()...)       // ops_prelu_test.go
	return cs
}

// TestEveryOpInfersShapes applies every op of the table to good and bad inputs, and
// fails if an op has no row of either kind.
func TestEveryOpInfersShapes(t *testing.T) {
	cases := shapeCases()
	good, errs := map[string]int{}, map[string]int{}
	for _, tc := range cases {
		if tc.err == "" {
			good[tc.op]++
		} else {
			errs[tc.op]++
		}
		name := fmt.Sprintf("%s of %s gives %s", tc.op, tc.name, tc.want)
		if tc.err != "" {
			name = fmt.Sprintf("%s of %s is an error", tc.op, tc.name)
		}
		t.Run(name, func(t *testing.T) {
			require.Contains(t, ir.Ops, tc.op)
			g := ir.NewGraph("g")
			ids := make([]int, len(tc.in))
			for i, sh := range tc.in {
				dt := ir.Float
				if slices.Contains(ir.Ops[tc.op].IntInputs, i) && !tc.floatIDs {
					dt = ir.Int
				}
				id, err := g.Add(ir.OpInput, fmt.Sprintf("in%d", i), "inputs", ir.Attrs{Shape: sh, Role: ir.RoleData, DType: dt})
				require.NoError(t, err)
				ids[i] = id
			}
			before := len(g.Nodes)
			id, err := g.Add(tc.op, "y", "layer1", tc.attrs, ids...)
			if tc.err == "" {
				require.NoError(t, err)
				assert.Equal(t, tc.want, g.Node(id).Shape)
				return
			}
			require.Error(t, err)
			assert.Equal(t, -1, id)
			assert.Len(t, g.Nodes, before, "a failed Add must not add a node")
			assert.Contains(t, err.Error(), tc.err)
			var ie *ir.Error
			require.True(t, errors.As(err, &ie))
			assert.Equal(t, "layer1", ie.Layer)
			assert.Equal(t, tc.op, ie.Op)
		})
	}
	for _, op := range ir.OpNames() {
		assert.NotZero(t, good[op], "op %s has no shape test that succeeds", op)
		assert.NotZero(t, errs[op], "op %s has no shape test that fails", op)
	}
}

func TestErrorsNameTheLayerOpAndShapes(t *testing.T) {
	g := ir.NewGraph("g")
	x, err := g.Add(ir.OpInput, "x", "x", ir.Attrs{Shape: s(N, 16, 3, 3), Role: ir.RoleData})
	require.NoError(t, err)
	w, err := g.Add(ir.OpParam, "conv2.weight", "conv2", ir.Attrs{Shape: s(16, 16, 5, 5), Role: ir.RoleWeight, Init: &ir.Init{Kind: ir.InitZeros}})
	require.NoError(t, err)
	_, err = g.Add(ir.OpConv2D, "conv2", "conv2", ir.Attrs{Strides: unit, Pads: noPads}, x, w)
	require.EqualError(t, err, "conv2 (Conv2D) on input N×16×3×3, 16×16×5×5: kernel 5x5 is larger than the padded input 3x3")

	assert.Equal(t, "(Relu): unknown op", (&ir.Error{Op: "Relu", Msg: "unknown op"}).Error())
	_, err = g.Add("Mish", "g", "act", none, x)
	require.EqualError(t, err, "act (Mish): unknown op")
}

func TestShapeHelpers(t *testing.T) {
	assert.Equal(t, "N×1×28×28", s(N, 1, 28, 28).String())
	assert.Equal(t, "scalar", s().String())
	assert.Equal(t, "3×4", s(3, 4).String())
	assert.Equal(t, 784, s(N, 1, 28, 28).Elems())
	assert.Equal(t, 12, s(3, 4).Elems())
	assert.Equal(t, 1, s().Elems())
	assert.True(t, s(N, 3).Batched())
	assert.False(t, s(3).Batched())
	assert.False(t, s().Batched())
	assert.Equal(t, s(3), s(N, 3).Inner())
	assert.Equal(t, s(3), s(3).Inner())
	assert.Equal(t, []int{8, 3}, s(N, 3).Concrete(8))
	assert.Equal(t, []int{2, 3}, s(2, 3).Concrete(8))
	c := s(N, 3)
	d := c.Clone()
	d[1] = 5
	assert.Equal(t, s(N, 3), c)
	assert.Nil(t, ir.Shape(nil).Clone())
	assert.True(t, s(N, 3).Equal(s(N, 3)))
	assert.False(t, s(N, 3).Equal(s(3, N)))
	assert.False(t, s(N, 3).Equal(s(N, 3, 1)))

	for _, tc := range []struct{ n, k, s, lo, hi int }{
		{28, 5, 1, 2, 2}, // 28 → 28
		{8, 4, 1, 1, 2},  // even kernel: extra pad at the end
		{7, 3, 2, 1, 1},  // 7 → 4
		{8, 3, 2, 0, 1},  // 8 → 4
		{9, 2, 3, 0, 0},  // 9 → 3, no pad needed
		{5, 1, 1, 0, 0},
	} {
		lo, hi := ir.SamePads(tc.n, tc.k, tc.s)
		assert.Equal(t, []int{tc.lo, tc.hi}, []int{lo, hi}, "SamePads(%d, %d, %d)", tc.n, tc.k, tc.s)
		assert.Equal(t, (tc.n+tc.s-1)/tc.s, ir.ConvOut(tc.n, tc.k, tc.s, lo, hi), "same gives ceil(n/s)")
	}
	assert.Equal(t, 24, ir.ConvOut(28, 5, 1, 0, 0))
}

// FuzzInfer applies every op to arbitrary stored input shapes and attributes. A
// hand-edited graph can hold any of them (Verify reports a bad stored shape but goes
// on checking the nodes that read it), so no shape rule may panic on any input.
func FuzzInfer(f *testing.F) {
	f.Add(uint8(0), uint8(2), []byte{4, 1, 3, 8, 8, 4, 4, 3, 3, 3}, []byte{2, 1, 1, 4, 0, 0, 0, 0})
	f.Add(uint8(7), uint8(1), []byte{2, 0, 10}, []byte{1, 2, 3, 4, 5, 6, 7, 8, 9})
	f.Add(uint8(30), uint8(5), []byte{3, 0, 5, 3, 2, 16, 3, 2, 16, 4, 2, 0, 4, 2, 0, 4}, []byte{1, 1})
	ops := ir.OpNames()
	f.Fuzz(func(t *testing.T, opIdx, nIn uint8, shapeBytes, attrBytes []byte) {
		// next reads the fuzz bytes as small integers from -1 up.
		next := func(b *[]byte) int {
			if len(*b) == 0 {
				return 1
			}
			v := int((*b)[0]) - 1
			*b = (*b)[1:]
			return v
		}
		ints := func(b *[]byte) []int {
			n := next(b)
			if n < 0 || n > 6 {
				return nil
			}
			out := make([]int, n)
			for i := range out {
				out[i] = next(b)
			}
			return out
		}
		g := ir.NewGraph("fuzz")
		inputs := make([]int, int(nIn)%8)
		for i := range inputs {
			g.Nodes = append(g.Nodes, &ir.Node{ID: i, Op: ir.OpInput, Name: fmt.Sprint("in", i), Shape: ir.Shape(ints(&shapeBytes))})
			inputs[i] = i
		}
		a := &attrBytes
		attrs := ir.Attrs{
			Kernel: ints(a), Strides: ints(a), Pads: ints(a), OutPad: ints(a), Scale: ints(a),
			Shape: ir.Shape(ints(a)), Axis: next(a), Start: next(a), End: next(a), Extra: ints(a),
			Alpha: float64(next(a)) / 4, Rate: float64(next(a)) / 8, Eps: float64(next(a)), Momentum: float64(next(a)) / 4,
			Sub: ops[(next(a)+1)%len(ops)], Act: []string{"", "tanh", "sigmoid", "relu", "linear", "gelu"}[(next(a)+1)%6],
			Role: []ir.Role{"", ir.RoleWeight, ir.RoleState, ir.RoleData}[(next(a)+1)%4],
			Init: &ir.Init{Kind: ir.InitZeros}, TransA: next(a) > 0, TransB: next(a) > 0,
		}
		n := &ir.Node{ID: len(g.Nodes), Op: ops[int(opIdx)%len(ops)], Name: "y", Layer: "l", Inputs: inputs, Attrs: attrs}
		_, _ = g.Infer(n)
	})
}
