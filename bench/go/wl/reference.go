package wl

import (
	"fmt"
	"math"
)

// Ref holds PyTorch's numbers for each workload in float64 (bench/torch/reference.py
// prints this table): the checksum of the batch inference output, the loss at the
// seeded weights, and the loss after one SGD step with learning rate CheckLR. The Go
// engines' tests check themselves against it, so every engine is known to compute the
// same function, gradients included.
var Ref = map[string]struct{ Checksum, Loss0, Loss1 float64 }{
	"W1": {Checksum: 444.71985388854239, Loss0: 2.3782816883316493, Loss1: 7.9058863483532775},
	"W2": {Checksum: 446.17570304068369, Loss0: 2.3038621088700855, Loss1: 2.2087358243446094},
	"W3": {Checksum: 109.73812775762163, Loss0: 2.3302594456548893, Loss1: 2.0958672884973204},
	"W4": {Checksum: 87590.791548092151, Loss0: 0.69336738515153173, Loss1: 0.69338793035156765},
}

// CheckInference compares a batch inference checksum with Ref (float32 engines agree
// with it to about 1e-7 relative; 1e-5 leaves room for summation order).
func CheckInference(w string, checksum float64) error {
	if want := Ref[w].Checksum; math.Abs(checksum-want) > 1e-5*math.Abs(want) {
		return fmt.Errorf("%s: inference checksum %.9g, PyTorch float64 %.9g", w, checksum, want)
	}
	return nil
}

// CheckLR is the learning rate of the step that CheckTraining checks: with the
// benchmark's 0.01, W4's loss moves by 1.7e-6 of 0.69, which float32 sums of 25,088
// terms cannot resolve; with 1 every workload's loss moves by ≥ 2e-5.
const CheckLR = 1

// CheckTraining compares the losses before and after one SGD step with learning rate
// CheckLR against Ref; the second as the change of the loss, which is what the
// gradient determines.
func CheckTraining(w string, loss0, loss1 float64) error {
	r := Ref[w]
	if math.Abs(loss0-r.Loss0) > 1e-5*r.Loss0 {
		return fmt.Errorf("%s: loss %.9g, PyTorch float64 %.9g", w, loss0, r.Loss0)
	}
	got, want := loss1-loss0, r.Loss1-r.Loss0
	if math.Abs(got-want) > 0.02*math.Abs(want)+1e-6 {
		return fmt.Errorf("%s: one SGD step changes the loss by %.6g, PyTorch float64 by %.6g", w, got, want)
	}
	return nil
}
