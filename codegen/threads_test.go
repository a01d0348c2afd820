package codegen_test

import (
	"math"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/dlgen/dlgen/generated/lenet"
)

// A model's results do not depend on its thread count: LeNet (convolutions, whose
// products are split across the pool at batch 64, and dense layers) gives the same
// bits for the loss, every parameter after three training steps and the
// predictions on one thread and on three.
func TestGeneratedModelGivesTheSameBitsOnAnyNumberOfThreads(t *testing.T) {
	const n = lenet.MaxBatch
	image := make([]float32, n*784)
	label := make([]int32, n)
	s := uint32(7)
	for i := range image {
		s = s*1664525 + 1013904223
		image[i] = float32(s>>8) / (1 << 24)
	}
	for i := range label {
		label[i] = int32(i % 10)
	}
	run := func(threads int) (losses []float32, params [][]float32, probs []float32) {
		m := lenet.New()
		defer m.Close()
		m.SetThreads(threads)
		require.Equal(t, threads, m.Threads())
		for range 3 {
			loss, err := m.TrainStep(n, image, label)
			require.NoError(t, err)
			losses = append(losses, loss)
		}
		for _, p := range m.Params() {
			params = append(params, append([]float32(nil), p.Data...))
		}
		probs = make([]float32, n*10)
		require.NoError(t, m.Predict(n, image, probs))
		return losses, params, probs
	}
	bits := func(v []float32) []uint32 {
		b := make([]uint32, len(v))
		for i, x := range v {
			b[i] = math.Float32bits(x)
		}
		return b
	}
	loss1, params1, probs1 := run(1)
	loss3, params3, probs3 := run(3)
	require.Equal(t, bits(loss1), bits(loss3), "losses")
	for i := range params1 {
		require.Equal(t, bits(params1[i]), bits(params3[i]), "parameter %d", i)
	}
	require.Equal(t, bits(probs1), bits(probs3), "predictions")
}

func TestAClosedModelRunsOnOneThread(t *testing.T) {
	m := lenet.New()
	m.Close()
	m.Close() // twice is harmless
	require.Equal(t, 1, m.Threads())
	probs := make([]float32, 10)
	require.NoError(t, m.Predict(1, make([]float32, 784), probs))
	m.SetThreads(2)
	require.Equal(t, 2, m.Threads())
	m.Close()
}
