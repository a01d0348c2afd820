package gentest

import (
	"fmt"
	"math"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/dlgen/dlgen/ir"
	"github.com/dlgen/dlgen/ir/interp"
)

func TestBatchesAreOneSevenAndMaxBatch(t *testing.T) {
	require.Equal(t, []int{1, 7, 64}, Batches(64))
	require.Equal(t, []int{1, 7}, Batches(7))
	require.Equal(t, []int{1, 4}, Batches(4))
	require.Equal(t, []int{1}, Batches(1))
}

// recorder is a testing.TB that records Fatalf instead of stopping the test.
type recorder struct {
	testing.TB
	failed string
}

func (r *recorder) Helper() {}
func (r *recorder) Fatalf(format string, args ...any) {
	r.failed = fmt.Sprintf(format, args...)
}

func TestCloseHoldsEveryTensorToItsLargestValue(t *testing.T) {
	cases := []struct {
		name  string
		got   []float32
		want  []float64
		floor float64
		ok    bool
	}{
		{"float32 rounding passes", []float32{1.0000001, -2}, []float64{1, -2}, 1e-6, true},
		{"an error of 0.9e-4 of the largest value passes", []float32{0.0003, 10}, []float64{0.0012, 10}, 1e-6, true},
		{"an error of 2e-4 of the largest value fails", []float32{0.0022, 10}, []float64{0, 10}, 1e-6, false},
		{"a small element is held to the largest, not to itself", []float32{1e-5, 1}, []float64{2e-5, 1}, 1e-6, true},
		{"NaN fails", []float32{float32(math.NaN()), 1}, []float64{1, 1}, 1e-6, false},
		{"a zero tensor is held to the floor", []float32{3e-8}, []float64{0}, 1e-3, true},
		{"a zero tensor fails above the floor", []float32{3e-7}, []float64{0}, 1e-3, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := &recorder{TB: t}
			CloseFloor(r, "x", c.got, c.want, c.floor)
			if c.ok {
				require.Empty(t, r.failed)
			} else {
				require.Contains(t, r.failed, "x: element")
			}
		})
	}
}

// A kink input within float32 rounding of its kink, relative to its own tensor or,
// for rounding noise around an exact zero, to the whole run, is ambiguous; values
// clear of the kinks and exact kink values are not.
func TestAmbiguousKinkFindsInputsFloat32CannotPlace(t *testing.T) {
	g := ir.NewGraph("kinks")
	x, err := g.Add(ir.OpInput, "x", "x", ir.Attrs{Shape: ir.Shape{ir.Batch, 2}, Role: ir.RoleData})
	require.NoError(t, err)
	relu, err := g.Add(ir.OpRelu, "relu", "relu", ir.Attrs{}, x)
	require.NoError(t, err)
	big, err := g.Add(ir.OpInput, "big", "big", ir.Attrs{Shape: ir.Shape{ir.Batch, 2}, Role: ir.RoleData})
	require.NoError(t, err)
	capped, err := g.Add(ir.OpReluMax, "relu6", "relu6", ir.Attrs{Alpha: 6}, big)
	require.NoError(t, err)
	run := func(xs, bigs []float64) string {
		vals := make([]*interp.Tensor, len(g.Nodes))
		vals[x] = interp.FromData(xs, 1, 2)
		vals[big] = interp.FromData(bigs, 1, 2)
		vals[relu] = interp.FromData(xs, 1, 2)
		vals[capped] = interp.FromData(bigs, 1, 2)
		return ambiguousKink(g, vals)
	}
	require.Equal(t, "", run([]float64{0.5, -0.25}, []float64{3, 20}), "clear of every kink")
	require.Equal(t, "", run([]float64{0, -0.25}, []float64{6, 20}), "exactly on the kinks: both sides agree")
	require.Equal(t, "relu", run([]float64{1e-8, 0.5}, []float64{3, 20}), "within 3e-7 of the tensor's largest")
	require.Equal(t, "relu", run([]float64{4e-18, 1e-17}, []float64{3, 20}), "rounding noise around a zero, against the run's largest value")
	require.Equal(t, "relu6", run([]float64{0.5, -0.25}, []float64{6 + 1e-6, 20}), "next to the cap")
}
