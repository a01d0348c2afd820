package torch_padcrop_1d

import (
	"testing"

	"github.com/dlgen/dlgen/internal/gentest"
	"github.com/dlgen/dlgen/internal/torchmodels"
)

// TestMatchesPyTorch compares the package with PyTorch's values for model "padcrop_1d"
// (see torchmodels.CheckGenerated).
func TestMatchesPyTorch(t *testing.T) {
	torchmodels.CheckGenerated(t, config, "padcrop_1d")
}

// TestLoadsPyTorchWeights loads PyTorch's state dict of model "padcrop_1d" from a
// safetensors file (see torchmodels.CheckWeightsFile).
func TestLoadsPyTorchWeights(t *testing.T) {
	torchmodels.CheckWeightsFile(t, config, "padcrop_1d", func() (gentest.Model, func(string) error) {
		m := New()
		return adapter{m}, m.LoadWeights
	})
}
