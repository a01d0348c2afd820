package ir

import (
	"fmt"
	"math"
)

// Layer normalisation (PyTorch's nn.LayerNorm, Keras' LayerNormalization) and its
// gradient-only ops. It is one fused op rather than a macro of existing ones: the
// statistics are per row of the normalised axes (no existing reduction runs over
// the last k axes), a fused kernel reads x twice instead of materialising x - μ,
// (x - μ)², and their broadcasts, and its backward pass is one row kernel for dx
// plus two column sums for the affine parameters. The backward kernels recompute each
// row's mean and variance from x rather than saving them: an op has one result, and
// the recomputation is one more read of a row that the kernel reads anyway.
const (
	OpLayerNorm           = "LayerNorm"
	OpLayerNormGrad       = "LayerNormGrad"
	OpLayerNormWeightGrad = "LayerNormWeightGrad"
	OpLayerNormBiasGrad   = "LayerNormBiasGrad"
)

// layerNormAxis checks that axis starts a normalised block of x: after the batch,
// and before x's end, so that every row holds at least one element.
func layerNormAxis(x Shape, axis int) error {
	lo := 0
	if x.Batched() {
		lo = 1 // the batch is never normalised over: items stay independent
	}
	if axis < lo || axis >= x.Rank() {
		return fmt.Errorf("axis %d does not start a block of normalised axes of %s (%d to %d)", axis, x, lo, x.Rank()-1)
	}
	return nil
}

func checkLayerNormEps(eps float64) error {
	if !(eps > 0) || math.IsInf(eps, 1) {
		return fmt.Errorf("eps %g must be positive and finite", eps)
	}
	return nil
}

func init() {
	def(&OpDef{Name: OpLayerNorm, Kind: Primitive, MinInputs: 1, MaxInputs: 3, Attrs: []string{"axis", "eps"},
		Doc: "Inputs (x[, γ[, β]]): layer normalisation over the axes from `axis` to the last (PyTorch's LayerNorm with normalized_shape = x.shape[axis:], Keras' LayerNormalization over those axes). " +
			"Each row r (an index over the axes before `axis`) of F = Π x.shape[axis:] elements has μ = Σ x/F and the biased variance σ² = Σ (x - μ)²/F; " +
			"y = (x - μ)/√(σ² + eps)·γ + β, with γ and β of shape x.shape[axis:] applied element by element (γ = 1 and β = 0 when left out). " +
			"The statistics are the same in training and inference (no running averages). The batch is never normalised over (axis ≥ 1 on a batched x); eps > 0 (PyTorch's default 1e-5, Keras' 1e-3).",
		Infer: func(n *Node, in []Shape) (Shape, error) {
			x, a := in[0], n.Attrs
			if err := layerNormAxis(x, a.Axis); err != nil {
				return nil, err
			}
			if err := checkLayerNormEps(a.Eps); err != nil {
				return nil, err
			}
			for i, p := range in[1:] {
				if !p.Equal(x[a.Axis:]) {
					return nil, fmt.Errorf("%s %s must have the normalised shape %s of %s", []string{"γ", "β"}[i], p, x[a.Axis:], x)
				}
			}
			return x.Clone(), nil
		}})
	def(&OpDef{Name: OpLayerNormGrad, Kind: GradOnly, MinInputs: 2, MaxInputs: 3, Attrs: []string{"axis", "eps"},
		Doc: "Inputs (x, dy[, γ]): the input gradient of LayerNorm over the axes from `axis`. With the row's μ and r = 1/√(σ² + eps) recomputed from x, x̂ = (x - μ)·r and g = dy·γ (dy without γ), " +
			"dx = r·(g - mean(g) - x̂·mean(g·x̂)), the means over the row's F elements. β does not enter it.",
		Infer: func(n *Node, in []Shape) (Shape, error) {
			x, a := in[0], n.Attrs
			if err := checkLayerNormGrad(x, in[1], a); err != nil {
				return nil, err
			}
			if len(in) == 3 && !in[2].Equal(x[a.Axis:]) {
				return nil, fmt.Errorf("γ %s must have the normalised shape %s of %s", in[2], x[a.Axis:], x)
			}
			return x.Clone(), nil
		}})
	def(&OpDef{Name: OpLayerNormWeightGrad, Kind: GradOnly, MinInputs: 2, MaxInputs: 2, Attrs: []string{"axis", "eps"},
		Doc: "Inputs (x, dy): LayerNorm's γ gradient, dγ = Σ over the rows (every axis before `axis`, batch included) of dy·x̂, x̂ = (x - μ)/√(σ² + eps) recomputed from x; shape x.shape[axis:].",
		Infer: func(n *Node, in []Shape) (Shape, error) {
			x, a := in[0], n.Attrs
			if err := checkLayerNormGrad(x, in[1], a); err != nil {
				return nil, err
			}
			return x[a.Axis:].Clone(), nil
		}})
	def(&OpDef{Name: OpLayerNormBiasGrad, Kind: GradOnly, MinInputs: 1, MaxInputs: 1, Attrs: []string{"axis"},
		Doc: "Input dy: LayerNorm's β gradient, the sum of dy over every axis before `axis` (the rows, batch included), rows in order; shape dy.shape[axis:].",
		Infer: func(n *Node, in []Shape) (Shape, error) {
			if err := layerNormAxis(in[0], n.Attrs.Axis); err != nil {
				return nil, err
			}
			return in[0][n.Attrs.Axis:].Clone(), nil
		}})
}

// checkLayerNormGrad checks what LayerNormGrad and LayerNormWeightGrad share: the
// forward op's axis and eps, and dy of x's shape.
func checkLayerNormGrad(x, dy Shape, a Attrs) error {
	if err := layerNormAxis(x, a.Axis); err != nil {
		return err
	}
	if err := checkLayerNormEps(a.Eps); err != nil {
		return err
	}
	if !dy.Equal(x) {
		return fmt.Errorf("dy %s must have x's shape %s", dy, x)
	}
	return nil
}
