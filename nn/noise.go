package nn

import (
	"math"

	"github.com/dlgen/dlgen/ir"
	"github.com/dlgen/dlgen/rt"
)

// Corruption layers of denoising autoencoders. Like Dropout they are random only
// while training and the identity at inference, and they draw from a stream seeded
// by the model's Seed and the layer name, rt.Bits(model seed, rt.NameStream(name),
// 0), with a fresh draw every training step; the Seed option sets a layer's stream
// directly. Because the noise is part of the model, a denoising autoencoder is
// trained on clean inputs with the clean input as its target:
//
//	x := m.Input("image", 784)
//	recon := x.GaussianNoise("noise", 0.5).Dense("enc", 128, nn.Act("relu")).
//		Dense("out", 784, nn.Act("sigmoid"))
//	m.Loss(nn.BinaryCrossEntropy("loss", recon, x))
//
// The noisy input is not clipped to the data's range: clip inputs in the data
// pipeline if the model needs them bounded.

// GaussianNoise adds zero-mean Gaussian noise of standard deviation stddev while
// training (Keras' GaussianNoise): y = x + N(0, stddev²). Options: Seed.
func (t *T) GaussianNoise(name string, stddev float64, opts ...Option) *T {
	l := t.begin(name, "GaussianNoise", opts, optSeed)
	if l == nil {
		return t.failed()
	}
	if !(stddev > 0) || math.IsInf(stddev, 0) {
		return l.fail("standard deviation %g must be positive and finite", stddev)
	}
	return l.result(l.op(ir.OpGaussianNoise, "", ir.Attrs{Alpha: stddev, Seed: l.streamSeed()}, l.x(0)))
}

// MaskingNoise sets each element to 0 with probability rate while training and
// leaves the others unchanged (the masking corruption of Vincent et al., 2008): unlike
// Dropout it does not scale the survivors by 1/(1-rate), because the network is to
// reconstruct the original values, not their expectation. Options: Seed.
func (t *T) MaskingNoise(name string, rate float64, opts ...Option) *T {
	l := t.begin(name, "MaskingNoise", opts, optSeed)
	if l == nil {
		return t.failed()
	}
	if !(rate >= 0 && rate < 1) {
		return l.fail("rate %g must be in [0, 1)", rate)
	}
	return l.result(l.op(ir.OpMaskingNoise, "", ir.Attrs{Rate: rate, Seed: l.streamSeed()}, l.x(0)))
}

// streamSeed is the random stream of a layer: its Seed option, or one derived from
// the model seed and the layer name as Dropout derives it.
func (l *builder) streamSeed() uint64 {
	if l.c.seen&optSeed != 0 {
		return l.c.seed
	}
	return rt.Bits(l.m.seed, rt.NameStream(l.name), 0)
}
