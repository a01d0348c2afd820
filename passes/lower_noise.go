package passes

import "github.com/dlgen/dlgen/ir"

// Lowering of the noise layers of denoising autoencoders and of the sampling step of
// variational ones. All three are random only while training; at inference the noise
// layers are the identity and the sample is its mean unless asked otherwise.

func init() {
	// Keras' GaussianNoise: x + N(0, stddev²).
	lowerRule(ir.OpGaussianNoise, func(l *Lowerer, n *ir.Node, ins []int) (int, error) {
		if l.Mode == ir.ModeInfer {
			return ins[0], nil
		}
		noise := l.Do(ir.OpRandomNormal, "noise", ir.Attrs{Shape: n.Shape.Clone(), Alpha: n.Attrs.Alpha, Seed: n.Attrs.Seed})
		y := l.Do(ir.OpAdd, "apply", ir.Attrs{}, ins[0], noise)
		return y, l.Err()
	})

	// Masking noise (Vincent et al., 2008): zero a random fraction rate of the
	// inputs and leave the rest as they are, so the network must fill them in.
	lowerRule(ir.OpMaskingNoise, func(l *Lowerer, n *ir.Node, ins []int) (int, error) {
		if l.Mode == ir.ModeInfer || n.Attrs.Rate == 0 {
			return ins[0], nil
		}
		mask := l.Do(ir.OpKeepMask, "mask", ir.Attrs{Shape: n.Shape.Clone(), Rate: n.Attrs.Rate, Seed: n.Attrs.Seed})
		y := l.Do(ir.OpMul, "apply", ir.Attrs{}, ins[0], mask)
		return y, l.Err()
	})

	// The reparameterisation trick (Kingma and Welling, 2014, §2.4): z = μ + σ⊙ε with
	// σ = exp(½·logvar) and ε ~ N(0, I) drawn outside the network, so z is a
	// differentiable function of μ and logvar.
	lowerRule(ir.OpSampleNormal, func(l *Lowerer, n *ir.Node, ins []int) (int, error) {
		mu, logvar := ins[0], ins[1]
		if l.Mode == ir.ModeInfer && n.Attrs.Sub != ir.SampleAtInference {
			return mu, nil
		}
		half := l.Do(ir.OpScale, "half_logvar", ir.Attrs{Alpha: 0.5}, logvar)
		std := l.Do(ir.OpExp, "std", ir.Attrs{}, half)
		eps := l.Do(ir.OpRandomNormal, "eps", ir.Attrs{Shape: n.Shape.Clone(), Alpha: 1, Seed: n.Attrs.Seed})
		scaled := l.Do(ir.OpMul, "scaled_eps", ir.Attrs{}, std, eps)
		z := l.Do(ir.OpAdd, "z", ir.Attrs{}, mu, scaled)
		return z, l.Err()
	})
}
