package torch_mlp

import (
	"testing"

	"github.com/dlgen/dlgen/internal/gentest"
	"github.com/dlgen/dlgen/internal/torchmodels"
)

// TestMatchesPyTorch compares the package with PyTorch's values for model "mlp"
// (see torchmodels.CheckGenerated).
func TestMatchesPyTorch(t *testing.T) {
	torchmodels.CheckGenerated(t, config, "mlp")
}

// TestLoadsPyTorchWeights loads PyTorch's state dict of model "mlp" from a
// safetensors file (see torchmodels.CheckWeightsFile).
func TestLoadsPyTorchWeights(t *testing.T) {
	torchmodels.CheckWeightsFile(t, config, "mlp", func() (gentest.Model, func(string) error) {
		m := New()
		return adapter{m}, m.LoadWeights
	})
}
