package codegen

import (
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dlgen/dlgen/ir"
	"github.com/dlgen/dlgen/nn"
)

// LayerNorm in generated code.
//
// The model below joins the end-to-end cases: generated into testdata/lnorm
// (TestGeneratedPackagesAreUpToDate), compared with the interpreter by its own
// model_test.go (TestGeneratedPackagesPassTheirTests: Predict, Loss, every gradient
// and three SGD-momentum steps at batch sizes 1, 7 and MaxBatch; the same bits on 2
// and 3 threads as on one; zero allocations), and counted by
// TestTheModelsExerciseEveryEmitter for LayerNorm and its three gradients. The models
// of torchmodels.LayerNorms are compared with PyTorch by
// TestTheTorchModelsMatchPyTorch.
func init() {
	cases = append(cases, struct {
		pkg      string
		graph    func() (*ir.Graph, error)
		maxBatch int
	}{"lnorm", func() (*ir.Graph, error) { return layerNormModel().Build() }, 8})
}

// layerNormModel has a layer norm of every kind: per step between two LSTMs (the
// last axis of (N, T, F)), over an image's (C, H, W) with Keras' eps, over (H, W)
// with a bias and no weight, and over dense features without affine parameters.
// γ and β start away from 1 and 0, so that a kernel dropping either one differs
// from the interpreter from the first Predict.
func layerNormModel() *nn.Model {
	m := nn.New("lnorm")
	seq := m.Input("seq", 5, 3)
	img := m.Input("img", 2, 3, 3)
	y := m.Labels("label")
	s := seq.LSTM("enc", 4, nn.ReturnSequences).LayerNorm("ln_seq", nn.KernelInit("uniform", 2), nn.BiasInit("uniform", 1)).LSTM("dec", 4) // (N, 4)
	i := img.LayerNorm("ln_img", nn.NormShape(2, 3, 3), nn.Eps(1e-3), nn.KernelInit("uniform", 2), nn.BiasInit("uniform", 1))
	i = i.LayerNorm("ln_plane", nn.NormShape(3, 3), nn.NoScale, nn.BiasInit("uniform", 1)).Flatten("flat") // (N, 18)
	i = i.Dense("fc", 6).LayerNorm("ln_fc", nn.NoAffine).Relu("relu")                                      // (N, 6)
	logits := nn.Concat("cat", 1, s, i).Dense("out", 3)
	m.Output("probs", logits.Softmax("probs"))
	m.Loss(nn.SparseCategoricalCrossEntropy("loss", logits, y, nn.FromLogits))
	return m
}

// Each layer norm is a loop over its rows calling rt's row kernels, with the
// normalised length and eps as constants; they run inside the ranges of items
// (Predict's, and a TrainStep segment).
func TestLayerNormCompilesToRowKernels(t *testing.T) {
	g, err := layerNormModel().Build()
	require.NoError(t, err)
	files, err := Generate(g, Options{Package: "lnorm", MaxBatch: 8, Train: true})
	require.NoError(t, err)
	src := map[string]string{}
	for _, f := range files {
		src[f.Name] = string(f.Data)
	}
	k := src["kernels.go"]
	assert.Contains(t, k, `rt.LayerNormRow(y[r*4:(r+1)*4], x[r*4:(r+1)*4], gamma, beta, 1e-05)`)
	assert.Contains(t, k, `rt.LayerNormRow(y[r*18:(r+1)*18], x[r*18:(r+1)*18], gamma, beta, 0.001)`)
	assert.Contains(t, k, `rt.LayerNormRow(y[r*6:(r+1)*6], x[r*6:(r+1)*6], nil, nil, 1e-05)`)
	assert.Contains(t, k, `rt.LayerNormGradRow(dx[r*4:(r+1)*4], x[r*4:(r+1)*4], dy[r*4:(r+1)*4], gamma, 1e-05)`)
	assert.Contains(t, k, `rt.LayerNormGradRow(dx[r*6:(r+1)*6], x[r*6:(r+1)*6], dy[r*6:(r+1)*6], nil, 1e-05)`)
	assert.Contains(t, k, `rt.LayerNormWeightGradRow(acc[:], x[r*18:(r+1)*18], dy[r*18:(r+1)*18], 0.001)`)
	assert.Contains(t, k, `rt.ColSums64(acc[:], dy, n*2, 9, 9)`, "the (H, W) bias gradient: rows are items × channels")
	// The per-step layer norm runs in Predict's ranges of items, and the image's in a
	// TrainStep segment (after the decoder's loop, in the same stretch of item-local
	// nodes).
	items := src["predict.go"][strings.Index(src["predict.go"], "func (m *Model) predictItems("):]
	assert.Contains(t, items, "// ln_seq: LayerNorm N×5×4")
	fn := regexp.MustCompile(`// (\w+) computes LayerNorm N×2×3×3, for ln_img\.`).FindStringSubmatch(k)
	require.NotNil(t, fn)
	train := src["train.go"]
	at := strings.Index(train, "m."+fn[1]+"(")
	require.Positive(t, at, "TrainStep calls %s", fn[1])
	method := strings.LastIndex(train[:at], "\nfunc (m *Model) ")
	assert.Contains(t, train[method:method+40], "trainStepItems", "the image's layer norm runs in a segment")
}
