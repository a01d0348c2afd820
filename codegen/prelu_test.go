package codegen

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dlgen/dlgen/ir"
	"github.com/dlgen/dlgen/nn"
)

// PReLU in generated code.
//
// The model below joins the end-to-end cases: generated into testdata/prelu
// (TestGeneratedPackagesAreUpToDate), compared with the interpreter by its own
// model_test.go (TestGeneratedPackagesPassTheirTests: Predict, Loss, every gradient
// and three SGD-momentum steps at batch sizes 1, 7 and MaxBatch; the same bits on 2
// and 3 threads as on one; zero allocations), and counted by
// TestTheModelsExerciseEveryEmitter for PReLU, PReLUGrad and PReLUAlphaGrad.
// generated/allops has PReLU per channel of an image and with α shared over rows;
// torchmodels.PReLUs are compared with PyTorch by TestTheTorchModelsMatchPyTorch.
func init() {
	cases = append(cases, struct {
		pkg      string
		graph    func() (*ir.Graph, error)
		maxBatch int
	}{"prelu", func() (*ir.Graph, error) { return preluModel().Build() }, 8})
}

// preluModel is a sequence regressor with PReLUs between recurrent layers: an LSTM
// with every step under Keras' PReLU shared over the steps (α (1, 4)), a second LSTM
// with every step under PyTorch's one α, a per-step Dense, MSE against a target.
func preluModel() *nn.Model {
	m := nn.New("prelu")
	x := m.Input("seq", 5, 3)
	t := m.Target("t", 5, 2)
	h := x.LSTM("enc", 4, nn.ReturnSequences).PReLU("act1", nn.SharedAxes(1), nn.KernelInit("uniform", 0.5)) // (N, 5, 4)
	h = h.LSTM("dec", 3, nn.ReturnSequences).PReLU("act2")                                                   // (N, 5, 3)
	y := h.Dense("out", 2)                                                                                   // (N, 5, 2)
	m.Output("y", y)
	m.Loss(nn.MSE("loss", y, t))
	return m
}

// PReLU compiles to loops with constant bounds that read one α per run (the one α)
// or a run of α (α per feature); the forward kernels run inside Predict's ranges of
// items, and PReLUGrad inside TrainStep's segments.
func TestPReLUCompilesToLoopsOverItemsAndRuns(t *testing.T) {
	g, err := preluModel().Build()
	require.NoError(t, err)
	files, err := Generate(g, Options{Package: "prelu", MaxBatch: 8, Train: true})
	require.NoError(t, err)
	src := map[string]string{}
	for _, f := range files {
		src[f.Name] = string(f.Data)
	}
	assert.Contains(t, src["kernels.go"], `	// PReLU: α 1×4 broadcast over N×5×4
	for b := range n {
		xb := x[b*20 : (b+1)*20]
		yb := y[b*20 : (b+1)*20]
		for i0 := range 5 {
			xo := i0 * 4
			ao := 0
			ar := (*[4]float32)(alpha[ao:])
			xr := (*[4]float32)(xb[xo:])
			yr := (*[4]float32)(yb[xo:])
			for i := range 4 {
				if v := xr[i]; v > 0 {
					yr[i] = v
				} else {
					yr[i] = ar[i] * v
				}
			}
		}
	}`)
	assert.Contains(t, src["kernels.go"], `	// PReLUAlphaGrad: α 1 broadcast over N×5×3
	acc := (*[1]float64)(m.scratch64[:])
	clear(acc[:])
	alpha := acc[:]
	for b := range n {
		xb := x[b*15 : (b+1)*15]
		db := dy[b*15 : (b+1)*15]
		xo := 0
		ao := 0
		xr := (*[15]float32)(xb[xo:])
		dr := (*[15]float32)(db[xo:])
		var s float64
		for i := range 15 {
			if v := xr[i]; !(v > 0) {
				s += float64(dr[i]) * float64(v)
			}
		}
		alpha[ao] += s
	}`)
	items := src["predict.go"][strings.Index(src["predict.go"], "func (m *Model) predictItems("):]
	assert.Regexp(t, `m\.pReLU\w*\(n, `, items, "the PReLUs run in each range of items")
}
