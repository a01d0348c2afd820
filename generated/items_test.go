package generated_test

import (
	"fmt"
	"math"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/dlgen/dlgen/generated/bigru"
	"github.com/dlgen/dlgen/generated/lstm"
	"github.com/dlgen/dlgen/generated/rowlstm"
	"github.com/dlgen/dlgen/rt"
)

// predictor is a generated recurrent model's Predict and thread setting.
type predictor interface {
	Predict(n int, x, probs []float32) error
	SetThreads(n int)
}

// A recurrent model's Predict on 2 and 3 threads, which runs each thread's range of
// items through every step on its own (codegen/items.go), gives the bits of one
// thread for every batch size, and allocates nothing.
func TestRecurrentPredictByItemsEqualsOneThread(t *testing.T) {
	models := []struct {
		name    string
		new     func() predictor
		in, max int
	}{
		{"lstm", func() predictor { return lstm.New() }, 1024, lstm.MaxBatch},
		{"bigru", func() predictor { return bigru.New() }, 1024, bigru.MaxBatch},
		{"rowlstm", func() predictor { return rowlstm.New() }, 784, rowlstm.MaxBatch},
	}
	for _, c := range models {
		one, many := c.new(), c.new()
		one.SetThreads(1)
		x := make([]float32, c.max*c.in)
		for i := range x {
			x[i] = float32(2*rt.Uniform(7, 1, uint64(i)) - 1)
		}
		for _, threads := range []int{2, 3} {
			many.SetThreads(threads)
			for _, n := range []int{1, 2, 3, 7, c.max - 1, c.max} {
				t.Run(fmt.Sprintf("%s, %d items on %d threads", c.name, n, threads), func(t *testing.T) {
					want, got := make([]float32, n*10), make([]float32, n*10)
					require.NoError(t, one.Predict(n, x[:n*c.in], want))
					require.NoError(t, many.Predict(n, x[:n*c.in], got))
					for i := range want {
						require.Equal(t, math.Float32bits(want[i]), math.Float32bits(got[i]), "probability %d", i)
					}
					require.Zero(t, testing.AllocsPerRun(3, func() { _ = many.Predict(n, x[:n*c.in], got) }))
				})
			}
		}
	}
}
