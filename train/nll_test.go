package train

import (
	"path/filepath"
	"regexp"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dlgen/dlgen/generated/torchmnist"
)

func newTorchMNIST() Model { return torchmnist.New() }

// A model trained with NLLLoss on log-probabilities (PyTorch's MNIST example) is a
// classifier as one trained with the sparse cross-entropy is: its int labels make it
// one, accuracy is the arg-max of its output (the log-probabilities' arg-max is the
// probabilities'), and predict shows the class's probability, exp of its score.
func TestAModelTrainedWithNLLIsAClassifier(t *testing.T) {
	spec, err := SpecOf(torchmnist.New())
	require.NoError(t, err)
	assert.Equal(t, Classification, spec.Task)
	assert.Equal(t, 10, spec.Classes)
	assert.True(t, spec.LogProbs)
	mlpSpec, err := SpecOf(newMLP())
	require.NoError(t, err)
	assert.False(t, mlpSpec.LogProbs, "the MLP outputs probabilities")

	mnist := tinyMNIST(t, 64, 20)
	weights := filepath.Join(t.TempDir(), "w.safetensors")
	code, out, errs := runCLI(t, "torchmnist", newTorchMNIST, "train", "-data", mnist, "-epochs", "1", "-batch", "8",
		"-optimizer", "adam", "-val", "0", "-weights", weights, "-quiet")
	require.Equal(t, ExitOK, code, "stdout:\n%s\nstderr:\n%s", out, errs)
	assert.Contains(t, out, "test: 20 examples")
	assert.Contains(t, out, "accuracy")

	code, out, errs = runCLI(t, "torchmnist", newTorchMNIST, "predict", "-data", mnist, "-weights", weights, "-n", "3")
	require.Equal(t, ExitOK, code, errs)
	ps := regexp.MustCompile(`\(p ([-0-9.]+)\)`).FindAllStringSubmatch(out, -1)
	require.Len(t, ps, 3, out)
	for _, p := range ps {
		v, err := strconv.ParseFloat(p[1], 64)
		require.NoError(t, err)
		// A probability, at least the uniform 1/10 for the arg-max of ten classes.
		assert.True(t, v >= 0.1 && v <= 1, "p %v: %s", v, out)
	}
}
