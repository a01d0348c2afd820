package codegen

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dlgen/dlgen/ir"
	"github.com/dlgen/dlgen/nn"
)

// Permute (Transpose) in generated code.
//
// The model below joins the end-to-end cases: generated into testdata/permute
// (TestGeneratedPackagesAreUpToDate), compared with the interpreter by its own
// model_test.go (TestGeneratedPackagesPassTheirTests: Predict, Loss, every gradient
// and three SGD-momentum steps at batch sizes 1, 7 and MaxBatch; the same bits on 2
// and 3 threads as on one; zero allocations), and counted by
// TestTheModelsExerciseEveryEmitter for Transpose.
func init() {
	cases = append(cases, struct {
		pkg      string
		graph    func() (*ir.Graph, error)
		maxBatch int
	}{"permute", func() (*ir.Graph, error) { return permuteModel().Build() }, 8})
}

// permuteModel reads (N, T) word ids as a text CNN does (embedding, then Conv1D over
// the steps, which needs the embedding's (N, T, E) as (N, E, T)) and a channels-last
// (N, H, W, C) image through Permute to NCHW; the convolution's output is reversed
// ((N, C, H, W) → (N, W, H, C)) and then has its first two axes swapped before the
// classifier, so every form of the kernel runs: a plain matrix transpose, a general
// one over three axes and a block copy per step (the last axis stays last). The
// convolutions' activations, hard swish and ReLU6, give the package ReluMax and its
// gradient too, and the two spatial dropouts their repeated masks.
func permuteModel() *nn.Model {
	m := nn.New("permute")
	words := m.Indices("words", 7)
	img := m.Input("img", 5, 4, 3)
	label := m.Labels("label")
	t := words.Embedding("embed", 12, 6).SpatialDropout1D("embed_drop", 0.25).Permute("to_channels", 2, 1) // (N, 6, 7)
	t = t.Conv1D("conv", 4, nn.K(3), nn.Act("hard_swish")).GlobalMaxPool1D("pool")
	i := img.Permute("to_nchw", 3, 1, 2).Conv2D("iconv", 2, nn.K(3), nn.Same, nn.Act("relu6"))                            // (N, 2, 5, 4)
	i = i.SpatialDropout2D("channel_drop", 0.4).Permute("reverse", 3, 2, 1).Permute("keep_last", 2, 1, 3).Flatten("flat") // (N, 4, 5, 2), (N, 5, 4, 2)
	logits := nn.Concat("joined", 1, t, i).Dense("cls", 3)
	m.Output("probs", logits.Softmax("probs"))
	m.Loss(nn.SparseCategoricalCrossEntropy("loss", logits, label, nn.FromLogits))
	return m
}

// The three forms of the kernel, as generated.
func TestTransposeCompilesToLoopsOverTheMergedAxes(t *testing.T) {
	g, err := permuteModel().Build()
	require.NoError(t, err)
	files, err := Generate(g, Options{Package: "permute", MaxBatch: 8, Train: true})
	require.NoError(t, err)
	src := map[string]string{}
	for _, f := range files {
		src[f.Name] = string(f.Data)
	}
	k := src["kernels.go"]
	assert.Contains(t, k, `	// Transpose by [0 2 1]: per item, the [7 6] array of x read as its [6 7] permutation [1 0]
	for o := range n {
		xo := (*[42]float32)(x[o*42:])
		yo := (*[42]float32)(y[o*42:])
		for i0 := range 6 {
			for i1 := range 7 {
				yo[i0*7+i1] = xo[i0+i1*6]
			}
		}
	}`, "the embedding's (T, E) matrix of each item transposed")
	assert.Contains(t, k, `	// Transpose by [0 3 2 1]: per item, the [2 5 4] array of x read as its [4 5 2] permutation [2 1 0]
	for o := range n {
		xo := (*[40]float32)(x[o*40:])
		yo := (*[40]float32)(y[o*40:])
		for i0 := range 4 {
			for i1 := range 5 {
				y1 := i0*5 + i1
				x1 := i0 + i1*4
				for i2 := range 2 {
					yo[y1*2+i2] = xo[x1+i2*20]
				}
			}
		}
	}`, "three axes, none merged")
	assert.Contains(t, k, `	// Transpose by [0 2 1 3]: per item, the [4 5 2] array of x read as its [5 4 2] permutation [1 0 2]
	for o := range n {
		xo := (*[40]float32)(x[o*40:])
		yo := (*[40]float32)(y[o*40:])
		for i0 := range 5 {
			x0 := i0 * 2
			for i1 := range 4 {
				*(*[2]float32)(yo[(i0*4+i1)*2:]) = *(*[2]float32)(xo[x0+i1*10:])
			}
		}
	}`, "the last axis stays last: blocks")
}

func TestMergedPermJoinsAxesThatStayTogether(t *testing.T) {
	for _, tc := range []struct {
		dims, perm, mdims, mperm []int
	}{
		{[]int{2, 3, 4}, []int{0, 1, 2}, []int{24}, []int{0}},
		{[]int{2, 3, 4}, []int{2, 0, 1}, []int{6, 4}, []int{1, 0}},
		{[]int{2, 3, 4}, []int{1, 2, 0}, []int{2, 12}, []int{1, 0}},
		{[]int{2, 3, 4}, []int{2, 1, 0}, []int{2, 3, 4}, []int{2, 1, 0}},
		{[]int{2, 3, 4, 5}, []int{2, 3, 0, 1}, []int{6, 20}, []int{1, 0}},
		{[]int{2, 3, 4, 5}, []int{1, 0, 2, 3}, []int{2, 3, 20}, []int{1, 0, 2}},
		{[]int{2, 3, 4, 5}, []int{3, 1, 2, 0}, []int{2, 12, 5}, []int{2, 1, 0}},
	} {
		mdims, mperm := mergedPerm(tc.dims, tc.perm)
		assert.Equal(t, tc.mdims, mdims, "dims %v perm %v", tc.dims, tc.perm)
		assert.Equal(t, tc.mperm, mperm, "dims %v perm %v", tc.dims, tc.perm)
	}
}
