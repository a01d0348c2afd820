package wl

import (
	"fmt"
	"math"
)

// Ref holds PyTorch's numbers for each workload in float64 (bench/torch/reference.py
// prints this table): the checksum of the batch inference output, the loss at the
// seeded weights, and the loss after one SGD step with LR. The Go engines' tests check
// themselves against it, so every engine is known to compute the same function.
var Ref = map[string]struct{ Checksum, Loss0, Loss1 float64 }{
	"W1": {Checksum: 444.71985388854239, Loss0: 2.3782816883316493, Loss1: 2.3320502711128115},
	"W2": {Checksum: 446.17570304068369, Loss0: 2.3038621088700855, Loss1: 2.3012452366100291},
	"W3": {Checksum: 109.73812775762163, Loss0: 2.3302594456548893, Loss1: 2.327746516251548},
	"W4": {Checksum: 87590.791548092151, Loss0: 0.69336738515153173, Loss1: 0.69336565884331569},
}

// CheckInference compares a batch inference checksum with Ref (float32 engines agree
// with it to about 1e-7 relative; 1e-5 leaves room for summation order).
func CheckInference(w string, checksum float64) error {
	if want := Ref[w].Checksum; math.Abs(checksum-want) > 1e-5*math.Abs(want) {
		return fmt.Errorf("%s: inference checksum %.9g, PyTorch float64 %.9g", w, checksum, want)
	}
	return nil
}

// CheckTraining compares the losses before and after one SGD step with Ref. The
// second is compared as the loss decrease, which is what the gradient determines; W4's
// is only 1.7e-6 of a 0.69 loss, so float32 rounding allows 10% there.
func CheckTraining(w string, loss0, loss1 float64) error {
	r := Ref[w]
	if math.Abs(loss0-r.Loss0) > 1e-5*r.Loss0 {
		return fmt.Errorf("%s: loss %.9g, PyTorch float64 %.9g", w, loss0, r.Loss0)
	}
	got, want := loss0-loss1, r.Loss0-r.Loss1
	if math.Abs(got-want) > 0.1*math.Abs(want)+2e-7 {
		return fmt.Errorf("%s: one SGD step lowers the loss by %.6g, PyTorch float64 by %.6g", w, got, want)
	}
	return nil
}
