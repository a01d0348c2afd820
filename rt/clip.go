package rt

import (
	"fmt"
	"math"
)

// Gradient clipping and monitoring for TrainStep, between the backward pass and the
// optimizer update. None of these allocate. Norms are accumulated in float64: a sum
// of many float32 squares loses digits in float32 and overflows at |g| ≈ 1.8e19.

// ClipByValue clamps every element of g to [-c, c], as torch.nn.utils.clip_grad_value_
// (and Keras' clipvalue). NaN stays NaN.
func ClipByValue(g []float32, c float32) {
	for i, v := range g {
		if v > c {
			g[i] = c
		} else if v < -c {
			g[i] = -c
		}
	}
}

// GlobalNorm is the L2 norm of all the tensors together, as if concatenated.
// It is NaN if any element is NaN and +Inf if any is infinite (and none NaN), so a
// finite result means every element is finite.
func GlobalNorm(grads [][]float32) float64 {
	s := 0.0
	for _, g := range grads {
		s += sumSquares(g)
	}
	return math.Sqrt(s)
}

// ClipByGlobalNorm scales all the tensors by maxNorm/(norm+1e-6) when that is below 1,
// where norm is their GlobalNorm, and returns norm (before clipping). This is
// torch.nn.utils.clip_grad_norm_ with the 2-norm, whose 1e-6 keeps the division finite
// (so a norm just below maxNorm is still scaled, by a factor within 1e-6/maxNorm of 1,
// as there). It is also tf.clip_by_global_norm without the 1e-6. When the norm is
// NaN or infinite the tensors are left unchanged (PyTorch would fill them with NaN or
// zeros); check the returned norm and skip the step.
func ClipByGlobalNorm(grads [][]float32, maxNorm float64) float64 {
	norm := GlobalNorm(grads)
	coef := maxNorm / (norm + 1e-6)
	if !(coef < 1) || math.IsInf(norm, 0) || math.IsNaN(norm) {
		return norm
	}
	c := float32(coef)
	for _, g := range grads {
		for i := range g {
			g[i] *= c
		}
	}
	return norm
}

// TensorNorms writes the L2 norm of grads[i] to norms[i], for monitoring which layer's
// gradients explode or vanish. norms must have room for len(grads) values.
func TensorNorms(norms []float64, grads [][]float32) error {
	if len(norms) < len(grads) {
		return &ArgError{Method: "rt.TensorNorms", Arg: "norms", Msg: fmt.Sprintf("has room for %d norms, want %d", len(norms), len(grads))}
	}
	for i, g := range grads {
		norms[i] = math.Sqrt(sumSquares(g))
	}
	return nil
}

// FirstNonFinite finds the first NaN or infinite element: tensor is its index in ts
// and index its position in ts[tensor]. ok is false, with tensor and index -1, when
// every element is finite. Callers that only need a yes or no can test GlobalNorm
// for finiteness in the same pass they clip with, and call FirstNonFinite to say where.
func FirstNonFinite(ts [][]float32) (tensor, index int, ok bool) {
	for k, x := range ts {
		for i, v := range x {
			// Exponent bits all ones: ±Inf or NaN.
			if math.Float32bits(v)&0x7f800000 == 0x7f800000 {
				return k, i, true
			}
		}
	}
	return -1, -1, false
}
