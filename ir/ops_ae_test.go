package ir_test

import "github.com/dlgen/dlgen/ir"

// autoencoderShapeCases are the shape rows of the autoencoder ops (regularizers,
// noise sources, their gradients, the noise and sampling layers).
func autoencoderShapeCases() []shapeCase {
	noise := func(a ir.Attrs) ir.Attrs { a.Shape = s(N, 4); return a }
	return []shapeCase{
		ok(ir.OpAbs, "features", none, s(N, 3), s(N, 3)),
		bad(ir.OpAbs, "two inputs", none, "takes 1 inputs, got 2", s(N, 3), s(N, 3)),
		ok(ir.OpAbsGrad, "x and dy", none, s(N, 3), s(N, 3), s(N, 3)),
		bad(ir.OpAbsGrad, "dy of another shape", none, "shapes N×3 and N×4 differ", s(N, 3), s(N, 4)),

		ok(ir.OpKLSparsity, "a code layer", ir.Attrs{Alpha: 0.05}, s(), s(N, 32)),
		ok(ir.OpKLSparsity, "a feature map", ir.Attrs{Alpha: 0.5}, s(), s(N, 2, 3, 3)),
		bad(ir.OpKLSparsity, "a target of 0", none, "target activation 0 must be in (0, 1)", s(N, 32)),
		bad(ir.OpKLSparsity, "an unbatched input", ir.Attrs{Alpha: 0.1}, "needs batched activations (N, units...)", s(4, 32)),
		bad(ir.OpKLSparsity, "a batch of scalars", ir.Attrs{Alpha: 0.1}, "needs batched activations (N, units...)", s(N)),
		ok(ir.OpKLSparsityGrad, "h and dloss", ir.Attrs{Alpha: 0.1}, s(N, 32), s(N, 32), s()),
		bad(ir.OpKLSparsityGrad, "a batched dloss", ir.Attrs{Alpha: 0.1}, "dloss must be a scalar", s(N, 32), s(N, 32)),

		ok(ir.OpContractivePenalty, "a 784→64 encoder", none, s(), s(N, 64), s(64, 784)),
		bad(ir.OpContractivePenalty, "Keras' (in, out) weight layout", none, "w must be the encoder weight (64, inputs), not 784×64", s(N, 64), s(784, 64)),
		bad(ir.OpContractivePenalty, "image codes", none, "h must be (N, units), not N×4×2×2", s(N, 4, 2, 2), s(4, 3)),
		ok(ir.OpContractivePenaltyGradH, "h, w and dloss", none, s(N, 4), s(N, 4), s(4, 5), s()),
		ok(ir.OpContractivePenaltyGradW, "h, w and dloss", none, s(4, 5), s(N, 4), s(4, 5), s()),
		bad(ir.OpContractivePenaltyGradH, "a batched dloss", none, "needs h (N,H), w (H,D) and a scalar dloss", s(N, 4), s(4, 5), s(N)),
		bad(ir.OpContractivePenaltyGradW, "mismatched units", none, "needs h (N,H), w (H,D) and a scalar dloss", s(N, 4), s(3, 5), s()),

		ok(ir.OpRandomNormal, "noise of deviation 0.5", noise(ir.Attrs{Alpha: 0.5, Seed: 3}), s(N, 4)),
		bad(ir.OpRandomNormal, "a zero deviation", noise(none), "standard deviation 0 must be positive and finite"),
		bad(ir.OpRandomNormal, "a zero size", ir.Attrs{Shape: s(N, 0), Alpha: 1}, "has a zero or negative size"),
		ok(ir.OpKeepMask, "a mask", noise(ir.Attrs{Rate: 0.25, Seed: 3}), s(N, 4)),
		bad(ir.OpKeepMask, "a negative rate", noise(ir.Attrs{Rate: -0.1}), "masking rate -0.1 must be in [0, 1)"),

		ok(ir.OpGaussianNoise, "images", ir.Attrs{Alpha: 0.1}, s(N, 1, 28, 28), s(N, 1, 28, 28)),
		bad(ir.OpGaussianNoise, "a negative deviation", ir.Attrs{Alpha: -1}, "standard deviation -1 must be positive and finite", s(N, 4)),
		bad(ir.OpGaussianNoise, "an unbatched input", ir.Attrs{Alpha: 1}, "needs a batched input", s(4)),
		ok(ir.OpMaskingNoise, "features", ir.Attrs{Rate: 0.3}, s(N, 784), s(N, 784)),
		bad(ir.OpMaskingNoise, "rate 1", ir.Attrs{Rate: 1}, "masking rate 1 must be in [0, 1)", s(N, 784)),
		ok(ir.OpSampleNormal, "a 2-d code", none, s(N, 2), s(N, 2), s(N, 2)),
		ok(ir.OpSampleNormal, "sampling at inference", ir.Attrs{Sub: ir.SampleAtInference}, s(N, 2), s(N, 2), s(N, 2)),
		bad(ir.OpSampleNormal, "a log-variance of another size", none, "mu N×2 and logvar N×3 must be equal batched shapes", s(N, 2), s(N, 3)),
		bad(ir.OpSampleNormal, "an unknown sub", ir.Attrs{Sub: "mean"}, `sub "mean" must be empty (mu at inference) or "sample"`, s(N, 2), s(N, 2)),
	}
}
