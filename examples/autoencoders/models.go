package main

import (
	"fmt"
	"sort"

	"github.com/dlgen/dlgen/generated/contractiveae"
	"github.com/dlgen/dlgen/generated/convae"
	"github.com/dlgen/dlgen/generated/convtransposeae"
	"github.com/dlgen/dlgen/generated/denoisingae"
	"github.com/dlgen/dlgen/generated/maskingdae"
	"github.com/dlgen/dlgen/generated/seqae"
	"github.com/dlgen/dlgen/generated/sparseklae"
	"github.com/dlgen/dlgen/generated/sparsel1ae"
	"github.com/dlgen/dlgen/generated/undercompleteae"
	"github.com/dlgen/dlgen/generated/vae"
	"github.com/dlgen/dlgen/rt"
)

// net is a generated autoencoder package seen through closures over its typed
// methods: every one reads a batch of images and nothing else (the target is the
// input), so this is all the training loop needs. The packages differ only in their
// extra outputs (a code, the VAE's mean code, or none), which predict hides behind
// code (nil when the model has none).
type net struct {
	maxBatch int
	codeSize int // values per example of the code output; 0 if the model has none
	// signed marks a code that is not an activation (the VAE's mean code), whose
	// share of inactive units means nothing.
	signed  bool
	init    func(seed uint64) error
	setOpt  func(o rt.Optimizer)
	predict func(n int, x, recon, code []float32) error
	loss    func(n int, x []float32) (float32, error)
	train   func(n int, x []float32) (float32, error)
	save    func(path string) error
	load    func(path string) error
	steps   func() uint64
}

// corruption is what a denoising model does to its input while training, which the
// pictures and the denoising loss reproduce outside the model.
type corruption int

const (
	clean    corruption = iota
	gaussian            // x + 0.5·N(0, 1), unclipped (models.DenoisingAE)
	masking             // each pixel zeroed with probability 0.3 (models.MaskingDAE)
)

// autoencoder is one entry of the registry: the model's name in models (its graph
// name), its generated package's constructor, and how it is corrupted.
type autoencoder struct {
	doc   string
	noise corruption
	new   func() *net
}

// registry maps the graph name of every autoencoder of package models to its
// generated package.
var registry = map[string]autoencoder{
	"undercomplete_ae": {"models.UndercompleteAE, generated/undercompleteae", clean, func() *net {
		m := undercompleteae.New()
		return &net{undercompleteae.MaxBatch, 32, false, m.Init, func(o rt.Optimizer) { m.Optimizer = o },
			m.Predict, m.Loss, m.TrainStep, m.SaveWeights, m.LoadWeights, func() uint64 { return m.Step }}
	}},
	"sparse_l1_ae": {"models.SparseL1AE, generated/sparsel1ae", clean, func() *net {
		m := sparsel1ae.New()
		return &net{sparsel1ae.MaxBatch, 32, false, m.Init, func(o rt.Optimizer) { m.Optimizer = o },
			m.Predict, m.Loss, m.TrainStep, m.SaveWeights, m.LoadWeights, func() uint64 { return m.Step }}
	}},
	"sparse_kl_ae": {"models.SparseKLAE, generated/sparseklae", clean, func() *net {
		m := sparseklae.New()
		return &net{sparseklae.MaxBatch, 196, false, m.Init, func(o rt.Optimizer) { m.Optimizer = o },
			m.Predict, m.Loss, m.TrainStep, m.SaveWeights, m.LoadWeights, func() uint64 { return m.Step }}
	}},
	"contractive_ae": {"models.ContractiveAE, generated/contractiveae", clean, func() *net {
		m := contractiveae.New()
		return &net{contractiveae.MaxBatch, 64, false, m.Init, func(o rt.Optimizer) { m.Optimizer = o },
			m.Predict, m.Loss, m.TrainStep, m.SaveWeights, m.LoadWeights, func() uint64 { return m.Step }}
	}},
	"denoising_ae": {"models.DenoisingAE, generated/denoisingae", gaussian, func() *net {
		m := denoisingae.New()
		return &net{denoisingae.MaxBatch, 32, false, m.Init, func(o rt.Optimizer) { m.Optimizer = o },
			m.Predict, m.Loss, m.TrainStep, m.SaveWeights, m.LoadWeights, func() uint64 { return m.Step }}
	}},
	"masking_dae": {"models.MaskingDAE, generated/maskingdae", masking, func() *net {
		m := maskingdae.New()
		return &net{maskingdae.MaxBatch, 32, false, m.Init, func(o rt.Optimizer) { m.Optimizer = o },
			m.Predict, m.Loss, m.TrainStep, m.SaveWeights, m.LoadWeights, func() uint64 { return m.Step }}
	}},
	"conv_ae": {"models.ConvAE, generated/convae", clean, func() *net {
		m := convae.New()
		return &net{convae.MaxBatch, 0, false, m.Init, func(o rt.Optimizer) { m.Optimizer = o },
			func(n int, x, recon, _ []float32) error { return m.Predict(n, x, recon) },
			m.Loss, m.TrainStep, m.SaveWeights, m.LoadWeights, func() uint64 { return m.Step }}
	}},
	"conv_transpose_ae": {"models.ConvTransposeAE, generated/convtransposeae", clean, func() *net {
		m := convtransposeae.New()
		return &net{convtransposeae.MaxBatch, 0, false, m.Init, func(o rt.Optimizer) { m.Optimizer = o },
			func(n int, x, recon, _ []float32) error { return m.Predict(n, x, recon) },
			m.Loss, m.TrainStep, m.SaveWeights, m.LoadWeights, func() uint64 { return m.Step }}
	}},
	// SeqAE reads the image as 28 rows of 28 pixels (the same 784 values) and has a
	// target, the clean image, which is the input again here.
	"seq_ae": {"models.SeqAE, generated/seqae", clean, func() *net {
		m := seqae.New()
		return &net{seqae.MaxBatch, 0, false, m.Init, func(o rt.Optimizer) { m.Optimizer = o },
			func(n int, x, recon, _ []float32) error { return m.Predict(n, x, recon) },
			func(n int, x []float32) (float32, error) { return m.Loss(n, x, x) },
			func(n int, x []float32) (float32, error) { return m.TrainStep(n, x, x) },
			m.SaveWeights, m.LoadWeights, func() uint64 { return m.Step }}
	}},
	"vae": {"models.VAE, generated/vae (and models.VAEDecoder, generated/vaedecoder)", clean, func() *net {
		m := vae.New()
		return &net{vae.MaxBatch, 2, true, m.Init, func(o rt.Optimizer) { m.Optimizer = o },
			m.Predict, m.Loss, m.TrainStep, m.SaveWeights, m.LoadWeights, func() uint64 { return m.Step }}
	}},
}

func names() []string {
	var out []string
	for k := range registry {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func lookup(name string) (autoencoder, error) {
	a, ok := registry[name]
	if !ok {
		return a, fmt.Errorf("unknown model %q (one of %v)", name, names())
	}
	return a, nil
}
