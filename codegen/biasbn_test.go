package codegen

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/dlgen/dlgen/nn"
)

// TestABiasBeforeBatchNormPassesItsGeneratedTests generates, with its tests, the
// commonest CNN block written without thought for it: a Conv2D with its default
// (zero-initialised) bias straight into a BatchNorm, and a Dense with bias into a
// BatchNorm over features. The batch norm's mean subtraction cancels those biases'
// gradients exactly, so float32 leaves rounding noise where the interpreter has
// ~1e-17, and after training the biases are that noise around zero. The generated
// tests once held such a gradient to about one float32 ulp of the largest gradient,
// and the biases after three steps to 1e-10 absolute, and failed (found by the random
// PyTorch models, random_golden.py); see gentest.Tolerance for the floors now.
func TestABiasBeforeBatchNormPassesItsGeneratedTests(t *testing.T) {
	if testing.Short() {
		t.Skip("generates and tests a package")
	}
	m := nn.New("biasbn")
	x := m.Input("x", 2, 5, 5)
	y := m.Target("y", 3)
	h := x.Conv2D("conv", 4, nn.K(3)).BatchNorm("bn").Relu("relu").Flatten("flat")
	h = h.Dense("fc1", 6).BatchNorm("bn1").Dense("fc2", 3)
	m.Output("out", h)
	m.Loss(nn.MSE("loss", h, y))
	g, err := m.Build()
	require.NoError(t, err)
	goCommand(t, "test", "-count=1", writePackage(t, modelsDir(t), "biasbn", g))
}
