package rt

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
)

// Items covers every item exactly once in contiguous ranges numbered below the
// thread count, on pools of 1 to 3 threads, for batches from 1 to 17; a range may itself run single-threaded
// products; and it allocates nothing with a function value made beforehand.
func TestItemsCoversEveryItemOnce(t *testing.T) {
	for _, threads := range []int{1, 2, 3} {
		pool := NewPool(threads)
		defer pool.Close()
		for n := 1; n <= 17; n++ {
			t.Run(fmt.Sprintf("%d items on %d threads", n, threads), func(t *testing.T) {
				seen := make([]int, n)
				a, b := filled(n*8, 1), filled(8*4, 2)
				c, want := make([]float32, n*4), make([]float32, n*4)
				parts := make([]int, 8) // each part is run once, by one thread
				f := func(part, b0, b1 int) {
					parts[part]++
					for i := b0; i < b1; i++ {
						seen[i]++
					}
					GemmP(nil, false, false, b1-b0, 4, 8, 1, a[b0*8:], 8, b, 4, 0, c[b0*4:], 4)
				}
				pool.Items(n, f)
				ran := 0 // parts 0 … ran-1 ran once each, no other
				for ran < len(parts) && parts[ran] == 1 {
					ran++
				}
				require.LessOrEqual(t, ran, threads)
				for p := ran; p < len(parts); p++ {
					require.Zero(t, parts[p], "part %d", p)
				}
				for i, s := range seen {
					require.Equal(t, 1, s, "item %d", i)
				}
				Gemm(false, false, n, 4, 8, 1, a, 8, b, 4, 0, want, 4)
				require.Equal(t, want, c, "the ranges' products are the whole product")
				require.Zero(t, testing.AllocsPerRun(5, func() { pool.Items(n, f) }))
			})
		}
	}
}
