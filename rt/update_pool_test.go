package rt

import (
	"fmt"
	"math"
	"testing"

	"github.com/stretchr/testify/require"
)

// UpdateP on 2 and 3 threads gives Update's bits for every optimizer, those it
// splits (SGD plain, with momentum and Nesterov; Adam with AMSGrad; AdamW) and
// those it does not, on parameters just below and above the split threshold and of
// an odd size, over three steps (momentum and moment slots carry over), with NaN
// and infinities among the gradients; and it allocates nothing.
func TestUpdateOnAPoolEqualsUpdate(t *testing.T) {
	opts := map[string]Optimizer{
		"SGD":                 SGD{LR: 0.01, WeightDecay: 1e-3},
		"SGD with momentum":   SGD{LR: 0.01, Momentum: 0.9, Dampening: 0.1},
		"SGD with Nesterov":   SGD{LR: 0.01, Momentum: 0.9, Nesterov: true},
		"Adam with AMSGrad":   Adam{LR: 1e-3, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, AMSGrad: true},
		"AdamW":               *NewAdamW(),
		"RMSprop (not split)": *NewRMSprop(),
	}
	for _, threads := range []int{2, 3} {
		pool := NewPool(threads)
		defer pool.Close()
		for name, o := range opts {
			for _, n := range []int{2*updatePartMin - 1, 2 * updatePartMin, 100352 + 7} {
				t.Run(fmt.Sprintf("%s, %d values, %d threads", name, n, threads), func(t *testing.T) {
					k := len(o.Slots())
					p0 := withSpecials(filled(n, uint64(n)), 1000)
					want, got := append([]float32(nil), p0...), append([]float32(nil), p0...)
					sw, sg := make([]float32, k*n), make([]float32, k*n)
					for step := range uint64(3) {
						g := withSpecials(filled(n, uint64(n)+step+1), 2000+int(step))
						o.Update(step, want, g, sw)
						UpdateP(pool, o, step, got, g, sg)
					}
					for i := range want {
						if want[i] != want[i] {
							require.True(t, got[i] != got[i], "p[%d] = %v, want NaN", i, got[i])
							continue
						}
						require.Equal(t, math.Float32bits(want[i]), math.Float32bits(got[i]), "p[%d]", i)
					}
					for i := range sw {
						if sw[i] == sw[i] {
							require.Equal(t, math.Float32bits(sw[i]), math.Float32bits(sg[i]), "state[%d]", i)
						}
					}
					g := filled(n, 5)
					require.Zero(t, testing.AllocsPerRun(3, func() { UpdateP(pool, o, 3, got, g, sg) }))
				})
			}
		}
	}
}
