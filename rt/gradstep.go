package rt

import (
	"fmt"
	"math"
)

// What a generated TrainStep does with the gradients between the backward pass and
// the optimizer update (its Model's ClipValue, ClipNorm and Monitor fields).

// NonFiniteError reports a gradient holding a NaN or an infinity after the backward
// pass of a training step, which was then skipped: the weights, the optimizer state
// and the step counter keep their values. Callers can tell it from other errors with
// errors.As, and may go on with the next batch (as a gradient scaler does) or stop.
type NonFiniteError struct {
	Method string  // "lstm.TrainStep"
	Param  string  // the weight whose gradient it is, named as in the graph
	Index  int     // the first non-finite element
	Value  float32 // its value
}

func (e *NonFiniteError) Error() string {
	return fmt.Sprintf("%s: the gradient of %s is not finite (element %d is %g); the step was skipped", e.Method, e.Param, e.Index, e.Value)
}

// PrepareGrads runs, without allocating, what TrainStep does to the gradients before
// the update:
//
//  1. norm = GlobalNorm(grads) and, if norms is not nil, each tensor's L2 norm into
//     norms (TensorNorms), both of the gradients as the backward pass left them;
//  2. if norm is not finite, it stops there and returns the tensor and index of the
//     first non-finite element (FirstNonFinite), so that the caller skips the update;
//     otherwise tensor and index are -1;
//  3. with value > 0, ClipByValue(g, value) on every tensor, as
//     torch.nn.utils.clip_grad_value_;
//  4. with maxNorm > 0, ClipByGlobalNorm(grads, maxNorm) on the result, as
//     torch.nn.utils.clip_grad_norm_ (after step 3, the norm of the clamped values).
func PrepareGrads(grads [][]float32, norms []float64, value float32, maxNorm float64) (norm float64, tensor, index int) {
	s := 0.0
	for i, g := range grads {
		t := sumSquares(g)
		if norms != nil {
			norms[i] = math.Sqrt(t)
		}
		s += t
	}
	norm = math.Sqrt(s)
	if math.IsNaN(norm) || math.IsInf(norm, 0) {
		tensor, index, _ = FirstNonFinite(grads)
		return norm, tensor, index
	}
	if value > 0 {
		for _, g := range grads {
			ClipByValue(g, value)
		}
	}
	if maxNorm > 0 {
		ClipByGlobalNorm(grads, maxNorm)
	}
	return norm, -1, -1
}
