package nn

import (
	"fmt"

	"github.com/dlgen/dlgen/ir"
)

// The two pieces a variational autoencoder (Kingma and Welling, 2014) adds to an
// ordinary one: the reparameterised sample of the code, and the KL divergence of the
// code's distribution from the prior N(0, I).
//
//	mu := h.Dense("z_mean", 2)
//	logvar := h.Dense("z_log_var", 2)
//	z := nn.Sample("z", mu, logvar)
//	recon := z.Dense("dec", 512, nn.Act("relu")).Dense("out", 784, nn.Act("sigmoid"))
//	m.AddLoss(nn.BinaryCrossEntropy("recon_loss", recon, x), 784) // summed over pixels
//	m.AddLoss(nn.KLNormal("kl", mu, logvar), 1)

// SampleMode is an option of Sample.
type SampleMode int

// SampleAtInference makes Sample draw z at inference too; by default inference
// returns the mean mu, the most likely code, so that Predict is deterministic.
const SampleAtInference SampleMode = 1

func (s SampleMode) String() string {
	if s == SampleAtInference {
		return "nn.SampleAtInference"
	}
	return fmt.Sprintf("nn.SampleMode(%d)", int(s))
}

func (s SampleMode) apply(c *config) optKind {
	if s == SampleAtInference {
		return optSampleAtInference
	}
	return 0
}

// Sample draws z = mu + exp(½·logvar)⊙ε with ε ~ N(0, I), the reparameterisation
// trick: the randomness is an input of the graph, so z is differentiable in mu and
// logvar. ε is fresh every training step, from a stream seeded as Dropout's is. mu and
// logvar (the log of the variance, as in Keras' VAE example) must have the same
// shape. At inference z = mu unless SampleAtInference is given. Options: Seed,
// SampleAtInference.
func Sample(name string, mu, logvar *T, opts ...Option) *T {
	m := modelOf(mu, logvar)
	l := m.begin(name, "Sample", opts, optSeed|optSampleAtInference, mu, logvar)
	if l == nil {
		return m.failed()
	}
	if s := l.shapes(); !s[0].Equal(s[1]) {
		return l.fail("mu %s and logvar %s must have the same shape", s[0], s[1])
	}
	a := ir.Attrs{Seed: l.streamSeed()}
	if l.c.seen&optSampleAtInference != 0 {
		a.Sub = ir.SampleAtInference
	}
	return l.result(l.op(ir.OpSampleNormal, "", a, l.x(0), l.x(1)))
}

// KLNormal is the KL divergence of N(mu, exp(logvar)) from N(0, I), summed over the
// code units of each example and averaged over the batch:
// -½·Σ_j (1 + logvar_j - mu_j² - exp(logvar_j)), as in Kingma and Welling (2014,
// appendix B) and Keras' VAE example. It is built from primitive ops (nodes
// "<name>/<step>"; "<name>" holds the result), so autodiff derives its gradient.
func KLNormal(name string, mu, logvar *T) *T {
	m := modelOf(mu, logvar)
	l := m.begin(name, "KLNormal", nil, 0, mu, logvar)
	if l == nil {
		return m.failed()
	}
	s := l.shapes()
	if !s[0].Equal(s[1]) {
		return l.fail("mu %s and logvar %s must have the same shape", s[0], s[1])
	}
	muSq := l.op(ir.OpSquare, "mu_sq", ir.Attrs{}, l.x(0))
	variance := l.op(ir.OpExp, "var", ir.Attrs{}, l.x(1))
	t := l.op(ir.OpAddScalar, "one_plus_logvar", ir.Attrs{Alpha: 1}, l.x(1))
	t = l.op(ir.OpSub, "minus_mu_sq", ir.Attrs{}, t, muSq)
	t = l.op(ir.OpSub, "minus_var", ir.Attrs{}, t, variance)
	// Σ over units / N = E·mean, E the units per example.
	mean := l.op(ir.OpReduceMean, "mean", ir.Attrs{}, t)
	return l.result(l.op(ir.OpScale, "", ir.Attrs{Alpha: -0.5 * float64(s[0].Elems())}, mean))
}
