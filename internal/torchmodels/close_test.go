package torchmodels

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
)

// recorder is a testing.TB that records Errorf instead of failing.
type recorder struct {
	testing.TB
	errs []string
}

func (r *recorder) Helper() {}
func (r *recorder) Errorf(format string, args ...any) {
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
}

// TestCloseTakesZerosAndCancelledGradients checks CloseFloor's edges, both found by
// the random PyTorch models: a gradient that is exactly zero on both sides (a
// relu SimpleRNN whose units never fire) was 0/0, NaN times the tolerance, and
// failed; a bias gradient that a batch norm cancels (PyTorch ~1e-17, float32 noise
// ~1e-7 of the largest gradient) needs the floor from the largest gradient; and a
// wrong value still fails with or without it.
func TestCloseTakesZerosAndCancelledGradients(t *testing.T) {
	for _, c := range []struct {
		what      string
		want      []float64
		got       []float32
		floor     float64
		wantFails bool
	}{
		{"zeros", []float64{0, 0, 0}, []float32{0, 0, 0}, 0, false},
		{"noise around zeros", []float64{0, 0}, []float32{1e-30, 0}, 0, true},
		{"cancelled, no floor", []float64{2e-17, -7e-18}, []float32{3.3e-9, 1.2e-9}, 0, true},
		{"cancelled, floor of a largest gradient 0.5", []float64{2e-17, -7e-18}, []float32{3.3e-9, 1.2e-9}, 1e-2 * 0.5, false},
		{"wrong, floor of a largest gradient 0.5", []float64{2e-17, -7e-18}, []float32{3.3e-5, 1.2e-9}, 1e-2 * 0.5, true},
		{"relative", []float64{3, -2}, []float32{3.0001, -2}, 0, false},
		{"relative, wrong", []float64{3, -2}, []float32{3.001, -2}, 1, true},
	} {
		r := &recorder{TB: t}
		CloseFloor(r, c.what, c.want, c.got, c.floor)
		assert.Equal(t, c.wantFails, len(r.errs) > 0, "%s: %v", c.what, r.errs)
	}
}
