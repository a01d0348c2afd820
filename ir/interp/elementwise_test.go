package interp_test

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dlgen/dlgen/ir"
	"github.com/dlgen/dlgen/ir/interp"
)

// opsGoldenPath holds PyTorch's values for the element-wise, activation, channel,
// shape and loss ops; testdata/torch/ops_golden.py regenerates it.
const opsGoldenPath = "../../testdata/torch/ops_golden.json"

type opsGoldenTensor struct {
	Shape   []int     `json:"shape"`
	Batched bool      `json:"batched"`
	DType   ir.DType  `json:"dtype"`
	Data    []float64 `json:"data"`
}

type opsGoldenCase struct {
	Name   string            `json:"name"`
	Op     string            `json:"op"`
	Attrs  ir.Attrs          `json:"attrs"`
	Inputs []opsGoldenTensor `json:"inputs"`
	Want   opsGoldenTensor   `json:"want"`
	// Batch is the batch size of an op whose inputs are all unbatched but whose
	// output is batched (ChannelBroadcast).
	Batch int `json:"batch"`
	// Graph, if not empty, replaces Op and Attrs: nodes applied in order, each
	// reading the inputs (0, 1, ...) and earlier nodes (numbered after the inputs);
	// the last one's value is the result.
	Graph []opsGoldenNode `json:"graph"`
}

type opsGoldenNode struct {
	Op     string   `json:"op"`
	Attrs  ir.Attrs `json:"attrs"`
	Inputs []int    `json:"inputs"`
}

func loadOpsGolden(t *testing.T) []opsGoldenCase {
	t.Helper()
	raw, err := os.ReadFile(opsGoldenPath)
	require.NoError(t, err)
	var f struct {
		Cases []opsGoldenCase `json:"cases"`
	}
	require.NoError(t, json.Unmarshal(raw, &f))
	require.NotEmpty(t, f.Cases)
	return f.Cases
}

// runOp builds a graph holding one op applied to the given inputs (each an Input
// node, batched or not) and evaluates it with the interpreter.
func runOp(op string, attrs ir.Attrs, inputs ...opsGoldenTensor) (*interp.Tensor, error) {
	return runOpBatch(0, op, attrs, inputs...)
}

// runOpBatch is runOp with the batch size set by an extra unused input of batch n,
// for ops whose inputs are unbatched; n = 0 adds none.
func runOpBatch(n int, op string, attrs ir.Attrs, inputs ...opsGoldenTensor) (*interp.Tensor, error) {
	return runGraph(n, []opsGoldenNode{{Op: op, Attrs: attrs, Inputs: upTo(len(inputs))}}, inputs...)
}

// upTo returns 0, 1, ..., n-1.
func upTo(n int) []int {
	s := make([]int, n)
	for i := range s {
		s[i] = i
	}
	return s
}

// runGraph is runOpBatch for a graph of nodes (see opsGoldenCase.Graph); it returns
// the last node's value.
func runGraph(n int, nodes []opsGoldenNode, inputs ...opsGoldenTensor) (*interp.Tensor, error) {
	g := ir.NewGraph("op")
	feeds := map[string]*interp.Tensor{}
	if n > 0 {
		if _, err := g.Add(ir.OpInput, "batch", "inputs", ir.Attrs{Shape: ir.Shape{ir.Batch}, Role: ir.RoleData}); err != nil {
			return nil, err
		}
		feeds["batch"] = interp.NewTensor(n)
	}
	var ids []int
	for i, in := range inputs {
		shape := ir.Shape(append([]int(nil), in.Shape...))
		if in.Batched {
			shape[0] = ir.Batch
		}
		name := fmt.Sprintf("in%d", i)
		id, err := g.Add(ir.OpInput, name, "inputs", ir.Attrs{Shape: shape, Role: ir.RoleData, DType: in.DType})
		if err != nil {
			return nil, err
		}
		ids = append(ids, id)
		feeds[name] = interp.FromData(append([]float64(nil), in.Data...), in.Shape...)
	}
	y := -1
	for i, nd := range nodes {
		args := make([]int, len(nd.Inputs))
		for j, k := range nd.Inputs {
			args[j] = ids[k]
		}
		name := "y"
		if i < len(nodes)-1 {
			name = fmt.Sprintf("n%d", i)
		}
		id, err := g.Add(nd.Op, name, "layer", nd.Attrs, args...)
		if err != nil {
			return nil, err
		}
		ids, y = append(ids, id), id
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

// batched and vec describe test inputs: a batched tensor (leading dimension the
// batch) and an unbatched one.
func batched(data []float64, shape ...int) opsGoldenTensor {
	return opsGoldenTensor{Shape: shape, Batched: true, Data: data}
}

func vec(data []float64, shape ...int) opsGoldenTensor {
	return opsGoldenTensor{Shape: shape, Data: data}
}

// assertClose compares element-wise with a relative tolerance (absolute below 1).
func assertClose(t *testing.T, want, got []float64, tol float64, msgAndArgs ...any) {
	t.Helper()
	require.Len(t, got, len(want), msgAndArgs...)
	for i := range want {
		if math.Abs(got[i]-want[i]) > tol*math.Max(1, math.Abs(want[i])) {
			assert.Failf(t, "values differ", "element %d: want %.17g, got %.17g (%s)", i, want[i], got[i], fmt.Sprint(msgAndArgs...))
		}
	}
}

// Every op of this family, the activations (the smooth ones at and around 0, at
// softplus' threshold and at ±100 and ±800, forward and gradient), the per-channel,
// shape and loss ops, and the ops of a dense layer on the last axis (forward and
// gradients of F.linear on (N, T, F) and (N, A, B, F)) match PyTorch in float64 up
// to rounding; so do the sparse cross-entropies with labels of any rank: from logits
// against F.cross_entropy on (N, C, T), and on probabilities (OneHot, then Keras'
// CategoricalCELoss) against Keras' formula, where clipping matters and where rows
// do not sum to 1; and so do embeddings (F.embedding with ids of rank 1 to 3, repeated,
// at rows 0 and V-1, with and without padding_idx) and their weight gradients.
// Bilinear upsampling and its gradient match F.interpolate(mode="bilinear",
// align_corners=False) at odd sizes (1×1, 3×5, 7×4) and factors. Repeat and its
// gradient match x.unsqueeze(axis).repeat(...) (Keras' RepeatVector on axis 1) and
// autograd's sum over the new axis. Pad2D matches
// F.pad (zeros; negative pads crop, as slicing does), and Pad2D with the pads negated
// matches autograd's gradient of F.pad. LayerNorm and its three gradients match
// F.layer_norm (normalized_shape the axes from axis on) and autograd, with and
// without the affine parameters.
func TestOpsMatchPyTorch(t *testing.T) {
	cases := loadOpsGolden(t)
	covered := map[string]bool{}
	for _, tc := range cases {
		covered[tc.Op] = true
		for _, nd := range tc.Graph {
			covered[nd.Op] = true
		}
		t.Run(tc.Op+": "+tc.Name, func(t *testing.T) {
			nodes := tc.Graph
			if len(nodes) == 0 {
				nodes = []opsGoldenNode{{Op: tc.Op, Attrs: tc.Attrs, Inputs: upTo(len(tc.Inputs))}}
			}
			got, err := runGraph(tc.Batch, nodes, tc.Inputs...)
			require.NoError(t, err)
			require.Equal(t, fmt.Sprint(tc.Want.Shape), fmt.Sprint(got.Shape), "shape") // a scalar is [] in JSON, nil here
			assertClose(t, tc.Want.Data, got.Data, 1e-12)
		})
	}
	t.Run("the golden file covers every op of these families", func(t *testing.T) {
		for _, op := range []string{
			ir.OpIdentity, ir.OpAdd, ir.OpSub, ir.OpMul, ir.OpDiv, ir.OpScale, ir.OpAddScalar,
			ir.OpSigmoid, ir.OpTanh, ir.OpRelu, ir.OpLeakyRelu, ir.OpExp, ir.OpLog, ir.OpSquare, ir.OpRsqrt, ir.OpSoftmax,
			ir.OpReshape, ir.OpConcat, ir.OpSlice,
			ir.OpBiasAdd, ir.OpChannelMul, ir.OpChannelSum, ir.OpChannelMean, ir.OpChannelBroadcast, ir.OpRunningUpdate,
			ir.OpMSELoss, ir.OpMAELoss, ir.OpHuberLoss, ir.OpBCELoss, ir.OpBCEWithLogitsLoss,
			ir.OpSoftmaxCELoss, ir.OpSparseSoftmaxCELoss, ir.OpCategoricalCELoss, ir.OpOneHot,
			ir.OpSigmoidGrad, ir.OpTanhGrad, ir.OpReluGrad, ir.OpLeakyReluGrad, ir.OpSoftmaxGrad, ir.OpSliceGrad, ir.OpLossGrad,
			ir.OpMatMul, ir.OpBiasAddLast, ir.OpBiasAddLastGrad, // F.linear on the last axis
			ir.OpElu, ir.OpSelu, ir.OpSoftplus, ir.OpGelu, ir.OpSilu, // the smooth activations
			ir.OpEluGrad, ir.OpSeluGrad, ir.OpSoftplusGrad, ir.OpGeluGrad, ir.OpSiluGrad,
			ir.OpEmbedding, ir.OpEmbeddingGrad, // F.embedding and its weight gradient
			ir.OpUpSampleBilinear2D, ir.OpUpSampleBilinear2DGrad, // F.interpolate, bilinear
			ir.OpRepeat, ir.OpRepeatGrad, // x.unsqueeze(axis).repeat, Keras' RepeatVector
			ir.OpPad2D,                                         // F.pad with zeros, negative pads cropping; and its adjoint
			ir.OpLogSoftmax, ir.OpLogSoftmaxGrad, ir.OpNLLLoss, // F.log_softmax, F.nll_loss
			ir.OpLayerNorm, ir.OpLayerNormGrad, ir.OpLayerNormWeightGrad, ir.OpLayerNormBiasGrad, // F.layer_norm and autograd
		} {
			assert.True(t, covered[op], "no PyTorch case for %s", op)
		}
	})
}

func TestElementwiseByHand(t *testing.T) {
	a := []float64{1, -2, 3, 0.5}
	b := []float64{4, 0.5, -1, 2}
	for _, tc := range []struct {
		name  string
		op    string
		attrs ir.Attrs
		in    []opsGoldenTensor
		want  []float64
	}{
		{"add sums element by element", ir.OpAdd, ir.Attrs{}, []opsGoldenTensor{batched(a, 2, 2), batched(b, 2, 2)}, []float64{5, -1.5, 2, 2.5}},
		{"sub subtracts the second operand", ir.OpSub, ir.Attrs{}, []opsGoldenTensor{batched(a, 2, 2), batched(b, 2, 2)}, []float64{-3, -2.5, 4, -1.5}},
		{"mul multiplies", ir.OpMul, ir.Attrs{}, []opsGoldenTensor{batched(a, 2, 2), batched(b, 2, 2)}, []float64{4, -1, -3, 1}},
		{"div divides the first by the second", ir.OpDiv, ir.Attrs{}, []opsGoldenTensor{batched(a, 2, 2), batched(b, 2, 2)}, []float64{0.25, -4, -3, 0.25}},
		{"scale multiplies by alpha", ir.OpScale, ir.Attrs{Alpha: -3}, []opsGoldenTensor{batched(a, 2, 2)}, []float64{-3, 6, -9, -1.5}},
		{"add scalar adds alpha", ir.OpAddScalar, ir.Attrs{Alpha: 0.5}, []opsGoldenTensor{batched(a, 2, 2)}, []float64{1.5, -1.5, 3.5, 1}},
		{"square squares", ir.OpSquare, ir.Attrs{}, []opsGoldenTensor{batched(a, 2, 2)}, []float64{1, 4, 9, 0.25}},
		{"rsqrt of 4 is a half", ir.OpRsqrt, ir.Attrs{}, []opsGoldenTensor{vec([]float64{4, 0.25, 1, 16}, 4)}, []float64{0.5, 2, 1, 0.25}},
		{"exp of ln 2 is 2", ir.OpExp, ir.Attrs{}, []opsGoldenTensor{vec([]float64{0, math.Ln2}, 2)}, []float64{1, 2}},
		{"log of e is 1", ir.OpLog, ir.Attrs{}, []opsGoldenTensor{vec([]float64{1, math.E}, 2)}, []float64{0, 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := runOp(tc.op, tc.attrs, tc.in...)
			require.NoError(t, err)
			assertClose(t, tc.want, got.Data, 1e-15)
		})
	}
}

func TestIdentityReturnsACopy(t *testing.T) {
	x := interp.FromData([]float64{1, 2}, 1, 2)
	y, err := interp.Kernels[ir.OpIdentity](&interp.Ctx{N: 1}, &ir.Node{Op: ir.OpIdentity, Shape: ir.Shape{ir.Batch, 2}}, []*interp.Tensor{x})
	require.NoError(t, err)
	y.Data[0] = 7
	assert.Equal(t, 1.0, x.Data[0], "writing the output changed the input")
}
