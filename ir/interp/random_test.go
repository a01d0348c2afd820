package interp_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dlgen/dlgen/ir"
	"github.com/dlgen/dlgen/ir/interp"
	"github.com/dlgen/dlgen/rt"
)

func dropoutMask(t *testing.T, rate float64, seed, step uint64, n int) []float64 {
	t.Helper()
	k := interp.Kernels[ir.OpDropoutMask]
	node := &ir.Node{Op: ir.OpDropoutMask, Shape: ir.Shape{ir.Batch, 1000}, Attrs: ir.Attrs{Shape: ir.Shape{ir.Batch, 1000}, Rate: rate, Seed: seed}}
	m, err := k(&interp.Ctx{N: n, Step: step}, node, nil)
	require.NoError(t, err)
	require.Equal(t, []int{n, 1000}, m.Shape)
	return m.Data
}

func TestDropoutMask(t *testing.T) {
	const rate, seed = 0.3, 9
	mask := dropoutMask(t, rate, seed, 5, 10)
	t.Run("each element follows rt.Keep of its flat index", func(t *testing.T) {
		th := rt.KeepThreshold(rate)
		for i, v := range mask {
			if rt.Keep(seed, 5, uint64(i), th) {
				require.Equal(t, 1/(1-rate), v, "element %d", i)
			} else {
				require.Zero(t, v, "element %d", i)
			}
		}
	})
	t.Run("about rate of 10 000 units are zero", func(t *testing.T) {
		zeros := 0
		for _, v := range mask {
			if v == 0 {
				zeros++
			}
		}
		// Standard deviation sqrt(0.3·0.7/10⁴) ≈ 0.0046; the stream is deterministic.
		assert.InDelta(t, rate, float64(zeros)/float64(len(mask)), 0.03)
	})
	t.Run("a smaller batch keeps the same units for the items it has", func(t *testing.T) {
		assert.Equal(t, mask[:2000], dropoutMask(t, rate, seed, 5, 2))
	})
	t.Run("the same step gives the same mask and the next step another", func(t *testing.T) {
		assert.Equal(t, mask, dropoutMask(t, rate, seed, 5, 10))
		assert.NotEqual(t, mask, dropoutMask(t, rate, seed, 6, 10))
	})
	t.Run("another seed gives another mask", func(t *testing.T) {
		assert.NotEqual(t, mask, dropoutMask(t, rate, seed+1, 5, 10))
	})
	t.Run("rate 0 keeps everything unscaled", func(t *testing.T) {
		for _, v := range dropoutMask(t, 0, seed, 5, 2) {
			require.Equal(t, 1.0, v)
		}
	})
}
