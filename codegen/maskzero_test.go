package codegen

import (
	"github.com/dlgen/dlgen/ir"
	"github.com/dlgen/dlgen/nn"
)

// Keras' Embedding(mask_zero=True) feeding a Bidirectional LSTM that returns
// sequences (masked steps leave the states and output zeros), in generated code: the
// package testdata/maskzero is compared with the interpreter by its own model_test.go
// (TestGeneratedPackagesPassTheirTests, on random ids, zeros among them), and with
// the Keras golden case bilstm_sequences_pre of testdata/keras/mask_golden.json by
// models/mask_test.go (TestGeneratedMaskZeroPackageMatchesKeras). Its graph must stay
// that case's model (models.MaskZeroModel builds the same).
func init() {
	cases = append(cases, struct {
		pkg      string
		graph    func() (*ir.Graph, error)
		maxBatch int
	}{"maskzero", func() (*ir.Graph, error) { return maskZeroModel().Build() }, 4})
}

func maskZeroModel() *nn.Model {
	m := nn.New("bilstm_sequences_pre")
	h := m.Indices("ids", 5).Embedding("embed", 7, 3, nn.MaskZero)
	h = h.Bidirectional("bi", nn.LSTMLayer(4, nn.ReturnSequences), "concat").DropMask("unmasked")
	r := m.Target("r", 5, 8)
	m.Output("y", h)
	m.Loss(nn.Sum("loss", nn.Mul("yr", h, r)))
	return m
}
