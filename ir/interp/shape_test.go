package interp_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dlgen/dlgen/ir"
)

func seq(n int) []float64 {
	v := make([]float64, n)
	for i := range v {
		v[i] = float64(i)
	}
	return v
}

func TestShapeOpsByHand(t *testing.T) {
	for _, tc := range []struct {
		name      string
		op        string
		attrs     ir.Attrs
		in        []opsGoldenTensor
		want      []float64
		wantShape []int
	}{
		{"reshape keeps row-major order", ir.OpReshape, ir.Attrs{Shape: ir.Shape{3, 2}},
			[]opsGoldenTensor{batched(seq(12), 2, 2, 3)}, seq(12), []int{2, 3, 2}},
		// x (1,2,2) = [[0,1],[2,3]], z (1,1,2) = [[9,9]] → [[0,1],[2,3],[9,9]].
		{"concat along axis 1 appends rows", ir.OpConcat, ir.Attrs{Axis: 1},
			[]opsGoldenTensor{batched(seq(4), 1, 2, 2), batched([]float64{9, 9}, 1, 1, 2)},
			[]float64{0, 1, 2, 3, 9, 9}, []int{1, 3, 2}},
		// Along axis 2 each row gets the other input's row appended.
		{"concat along axis 2 appends columns", ir.OpConcat, ir.Attrs{Axis: 2},
			[]opsGoldenTensor{batched(seq(4), 1, 2, 2), batched([]float64{8, 9}, 1, 2, 1)},
			[]float64{0, 1, 8, 2, 3, 9}, []int{1, 2, 3}},
		{"concat along axis 1 interleaves batch items", ir.OpConcat, ir.Attrs{Axis: 1},
			[]opsGoldenTensor{batched(seq(4), 2, 2), batched([]float64{8, 9}, 2, 1)},
			[]float64{0, 1, 8, 2, 3, 9}, []int{2, 3}},
		// x (2,3,2) = 0..11; [:, 1:3, :] = [2,3,4,5] and [8,9,10,11].
		{"slice along axis 1", ir.OpSlice, ir.Attrs{Axis: 1, Start: 1, End: 3},
			[]opsGoldenTensor{batched(seq(12), 2, 3, 2)}, []float64{2, 3, 4, 5, 8, 9, 10, 11}, []int{2, 2, 2}},
		{"slice along the last axis", ir.OpSlice, ir.Attrs{Axis: 2, Start: 1, End: 2},
			[]opsGoldenTensor{batched(seq(12), 2, 3, 2)}, []float64{1, 3, 5, 7, 9, 11}, []int{2, 3, 1}},
		{"slice gradient puts dy back and zero-fills", ir.OpSliceGrad, ir.Attrs{Shape: ir.Shape{ir.Batch, 3, 2}, Axis: 1, Start: 1},
			[]opsGoldenTensor{batched([]float64{1, 2, 3, 4, 5, 6, 7, 8}, 2, 2, 2)},
			[]float64{0, 0, 1, 2, 3, 4, 0, 0, 5, 6, 7, 8}, []int{2, 3, 2}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := runOp(tc.op, tc.attrs, tc.in...)
			require.NoError(t, err)
			assert.Equal(t, tc.wantShape, got.Shape)
			assert.Equal(t, tc.want, got.Data)
		})
	}
}

// Slice then SliceGrad with the same axis and start is a projection: it keeps the
// sliced elements and zeroes the rest.
func TestSliceGradIsTheAdjointOfSlice(t *testing.T) {
	x := batched(seq(24), 2, 4, 3)
	y, err := runOp(ir.OpSlice, ir.Attrs{Axis: 1, Start: 1, End: 3}, x)
	require.NoError(t, err)
	back, err := runOp(ir.OpSliceGrad, ir.Attrs{Shape: ir.Shape{ir.Batch, 4, 3}, Axis: 1, Start: 1}, batched(y.Data, y.Shape...))
	require.NoError(t, err)
	for i, v := range back.Data {
		row := (i / 3) % 4
		if row == 1 || row == 2 {
			assert.Equal(t, float64(i), v, "element %d", i)
		} else {
			assert.Zero(t, v, "element %d", i)
		}
	}
}
