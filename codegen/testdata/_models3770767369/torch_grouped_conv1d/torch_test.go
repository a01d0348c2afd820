package torch_grouped_conv1d

import (
	"testing"

	"github.com/dlgen/dlgen/internal/gentest"
	"github.com/dlgen/dlgen/internal/torchmodels"
)

// TestMatchesPyTorch compares the package with PyTorch's values for model "grouped_conv1d"
// (see torchmodels.CheckGenerated).
func TestMatchesPyTorch(t *testing.T) {
	torchmodels.CheckGenerated(t, config, "grouped_conv1d")
}

// TestLoadsPyTorchWeights loads PyTorch's state dict of model "grouped_conv1d" from a
// safetensors file (see torchmodels.CheckWeightsFile).
func TestLoadsPyTorchWeights(t *testing.T) {
	torchmodels.CheckWeightsFile(t, config, "grouped_conv1d", func() (gentest.Model, func(string) error) {
		m := New()
		return adapter{m}, m.LoadWeights
	})
}
