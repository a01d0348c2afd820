package rt

import (
	"fmt"
	"math"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestSum64IsTheSum(t *testing.T) {
	for _, n := range []int{0, 1, 3, 4, 5, 17, 63, 784} {
		t.Run(fmt.Sprintf("%d values", n), func(t *testing.T) {
			x := filled(n, uint64(n))
			var want float64
			for _, v := range x {
				want += float64(v)
			}
			require.InDelta(t, want, Sum64(x), 1e-12*float64(max(n, 1)))
			// Small integers add exactly in any order.
			for i := range x {
				x[i] = float32(i%7 - 3)
			}
			var exact float64
			for _, v := range x {
				exact += float64(v)
			}
			require.Equal(t, exact, Sum64(x))
		})
	}
	require.True(t, math.IsNaN(Sum64([]float32{1, 2, float32(math.NaN()), 4, 5})), "a NaN anywhere gives NaN")
}
