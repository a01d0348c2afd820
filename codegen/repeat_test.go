package codegen

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dlgen/dlgen/ir"
	"github.com/dlgen/dlgen/nn"
)

// RepeatVector in generated code.
//
// The model below joins the end-to-end cases: generated into testdata/seqae
// (TestGeneratedPackagesAreUpToDate), compared with the interpreter by its own
// model_test.go (TestGeneratedPackagesPassTheirTests: Predict, Loss, every gradient
// and three SGD-momentum steps at batch sizes 1, 7 and MaxBatch; the same bits on 2
// and 3 threads as on one; zero allocations), and counted by
// TestTheModelsExerciseEveryEmitter for Repeat and RepeatGrad. The model of
// torchmodels.SeqAEs is compared with PyTorch by TestTheTorchModelsMatchPyTorch.
func init() {
	cases = append(cases, struct {
		pkg      string
		graph    func() (*ir.Graph, error)
		maxBatch int
	}{"seqae", func() (*ir.Graph, error) { return repeatModel().Build() }, 8})
}

// repeatModel is a sequence-to-sequence autoencoder with a noisy input and a clean
// target: a GRU encoder's last state repeated over the 5 steps into an LSTM decoder
// with every step, a per-step Dense with sigmoid, BCE against the target.
func repeatModel() *nn.Model {
	m := nn.New("seqae")
	x := m.Input("seq", 5, 3)
	clean := m.Target("clean", 5, 3)
	h := x.GRU("enc", 4).RepeatVector("repeat", 5).LSTM("dec", 4, nn.ReturnSequences) // (N, 5, 4)
	recon := h.Dense("out", 3, nn.Act("sigmoid"))                                     // (N, 5, 3)
	m.Output("recon", recon)
	m.Loss(nn.BinaryCrossEntropy("loss", recon, clean))
	return m
}

// Repeat compiles to a loop of array copies and RepeatGrad to a sum of blocks, both
// with constant bounds; both run inside the ranges of items (Predict's, and
// TrainStep's segment that holds the decoder's loops).
func TestRepeatCompilesToACopyLoopAndASumLoop(t *testing.T) {
	g, err := repeatModel().Build()
	require.NoError(t, err)
	files, err := Generate(g, Options{Package: "seqae", MaxBatch: 8, Train: true})
	require.NoError(t, err)
	src := map[string]string{}
	for _, f := range files {
		src[f.Name] = string(f.Data)
	}
	assert.Contains(t, src["kernels.go"], `	// Repeat: each block of 4 values copied to 5 consecutive blocks (a new axis 1)
	for o := range n {
		xo := (*[4]float32)(x[o*4:])
		yo := y[o*20 : o*20+20]
		for r := range 5 {
			*(*[4]float32)(yo[r*4:]) = *xo
		}
	}`)
	assert.Contains(t, src["kernels.go"], `	// RepeatGrad: the 5 blocks of 4 values along axis 1 summed into one (the adjoint of Repeat)
	for o := range n {
		dxo := (*[4]float32)(dx[o*4:])
		dyo := dy[o*20 : o*20+20]
		*dxo = *(*[4]float32)(dyo)
		for r := 1; r < 5; r++ {
			dyr := (*[4]float32)(dyo[r*4:])
			for i := range dxo {
				dxo[i] += dyr[i]
			}
		}
	}`)
	items := src["predict.go"][strings.Index(src["predict.go"], "func (m *Model) predictItems("):]
	assert.Regexp(t, `m\.repeat\w*\(n, `, items, "the repeat runs in each range of items")
}
