package ir_test

import "github.com/dlgen/dlgen/ir"

// layerNormShapeCases are the shape rows of LayerNorm and its gradient-only ops.
func layerNormShapeCases() []shapeCase {
	ln := func(axis int, eps float64) ir.Attrs { return ir.Attrs{Axis: axis, Eps: eps} }
	return []shapeCase{
		ok(ir.OpLayerNorm, "the features of (N, F) with γ and β", ln(1, 1e-5), s(N, 8), s(N, 8), s(8), s(8)),
		ok(ir.OpLayerNorm, "the features of (N, T, F)", ln(2, 1e-5), s(N, 5, 8), s(N, 5, 8), s(8), s(8)),
		ok(ir.OpLayerNorm, "(C, H, W) of an image", ln(1, 1e-3), s(N, 3, 4, 4), s(N, 3, 4, 4), s(3, 4, 4), s(3, 4, 4)),
		ok(ir.OpLayerNorm, "no affine parameters", ln(1, 1e-5), s(N, 8), s(N, 8)),
		ok(ir.OpLayerNorm, "γ alone", ln(2, 1e-5), s(N, 2, 3), s(N, 2, 3), s(3)),
		ok(ir.OpLayerNorm, "an unbatched tensor over all its axes", ln(0, 1e-5), s(2, 3), s(2, 3)),
		bad(ir.OpLayerNorm, "the batch normalised over", ln(0, 1e-5), "axis 0 does not start a block of normalised axes of N×8 (1 to 1)", s(N, 8)),
		bad(ir.OpLayerNorm, "no axis left to normalise", ln(2, 1e-5), "axis 2 does not start a block of normalised axes of N×8 (1 to 1)", s(N, 8)),
		bad(ir.OpLayerNorm, "zero eps", ln(1, 0), "eps 0 must be positive and finite", s(N, 8)),
		bad(ir.OpLayerNorm, "γ of the wrong shape", ln(1, 1e-5), "γ 4 must have the normalised shape 3×4 of N×3×4", s(N, 3, 4), s(4)),
		bad(ir.OpLayerNorm, "β of the wrong shape", ln(2, 1e-5), "β 3 must have the normalised shape 4 of N×3×4", s(N, 3, 4), s(4), s(3)),
		bad(ir.OpLayerNorm, "four inputs", ln(1, 1e-5), "takes 1 to 3 inputs, got 4", s(N, 4), s(4), s(4), s(4)),
		ok(ir.OpLayerNormGrad, "with γ", ln(2, 1e-5), s(N, 5, 8), s(N, 5, 8), s(N, 5, 8), s(8)),
		ok(ir.OpLayerNormGrad, "without γ", ln(1, 1e-5), s(N, 8), s(N, 8), s(N, 8)),
		bad(ir.OpLayerNormGrad, "dy of another shape", ln(1, 1e-5), "dy N×7 must have x's shape N×8", s(N, 8), s(N, 7)),
		bad(ir.OpLayerNormGrad, "γ of the wrong shape", ln(1, 1e-5), "γ 7 must have the normalised shape 8 of N×8", s(N, 8), s(N, 8), s(7)),
		ok(ir.OpLayerNormWeightGrad, "(C, H, W)", ln(1, 1e-5), s(3, 4, 4), s(N, 3, 4, 4), s(N, 3, 4, 4)),
		bad(ir.OpLayerNormWeightGrad, "dy of another shape", ln(1, 1e-5), "dy N×3 must have x's shape N×8", s(N, 8), s(N, 3)),
		bad(ir.OpLayerNormWeightGrad, "negative eps", ln(1, -1), "eps -1 must be positive and finite", s(N, 8), s(N, 8)),
		ok(ir.OpLayerNormBiasGrad, "the features of (N, T, F)", ir.Attrs{Axis: 2}, s(8), s(N, 5, 8)),
		bad(ir.OpLayerNormBiasGrad, "the batch", ir.Attrs{}, "axis 0 does not start a block of normalised axes of N×5×8 (1 to 2)", s(N, 5, 8)),
	}
}
