package torch_embed_tagger

import (
	"testing"

	"github.com/dlgen/dlgen/internal/gentest"
	"github.com/dlgen/dlgen/internal/torchmodels"
)

// TestMatchesPyTorch compares the package with PyTorch's values for model "embed_tagger"
// (see torchmodels.CheckGenerated).
func TestMatchesPyTorch(t *testing.T) {
	torchmodels.CheckGenerated(t, config, "embed_tagger")
}

// TestLoadsPyTorchWeights loads PyTorch's state dict of model "embed_tagger" from a
// safetensors file (see torchmodels.CheckWeightsFile).
func TestLoadsPyTorchWeights(t *testing.T) {
	torchmodels.CheckWeightsFile(t, config, "embed_tagger", func() (gentest.Model, func(string) error) {
		m := New()
		return adapter{m}, m.LoadWeights
	})
}
