package codegen

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// clipTest is a test of the generated mlp package (mlpGraph) that checks TrainStep's
// gradient norms, clipping and non-finite check against values computed in the test
// from the unclipped gradients.
const clipTest = `package mlp

import (
	"errors"
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dlgen/dlgen/rt"
)

const n = 8

func batch() ([]float32, []int32) {
	x, y := make([]float32, n*784), make([]int32, n)
	s := uint32(1)
	for i := range x {
		s = s*1664525 + 1013904223
		x[i] = float32(s>>8) / (1 << 24)
	}
	for i := range y {
		y[i] = int32(i % 10)
	}
	return x, y
}

func clone(ts []rt.Tensor) [][]float32 {
	var out [][]float32
	for _, t := range ts {
		out = append(out, append([]float32(nil), t.Data...))
	}
	return out
}

// step runs one SGD step (learning rate 0.1, no momentum) with the settings given and
// returns the model and its weights before the step.
func step(t *testing.T, set func(m *Model)) (*Model, [][]float32) {
	m := New()
	m.Optimizer = rt.SGD{LR: 0.1}
	set(m)
	before := clone(m.Params())
	x, y := batch()
	_, err := m.TrainStep(n, x, y)
	require.NoError(t, err)
	return m, before
}

func TestGradientClippingAndMonitoring(t *testing.T) {
	plain, _ := step(t, func(m *Model) { m.Monitor = true })
	raw := clone(plain.Grads())
	total, norms := 0.0, make([]float64, len(raw))
	for i, g := range raw {
		for _, v := range g {
			norms[i] += float64(v) * float64(v)
		}
		total += norms[i]
		norms[i] = math.Sqrt(norms[i])
	}
	total = math.Sqrt(total)

	t.Run("GradNorm and GradNorms are the norms of the gradients", func(t *testing.T) {
		assert.InEpsilon(t, total, plain.GradNorm, 1e-12)
		require.Len(t, plain.GradNorms(), len(raw))
		for i := range norms {
			assert.InEpsilon(t, norms[i], plain.GradNorms()[i], 1e-12, plain.Grads()[i].Name)
		}
	})
	for _, tc := range []struct {
		name string
		set  func(m *Model)
		clip func(v float64) float64
	}{
		{"ClipNorm scales the gradients to the norm before the update", func(m *Model) { m.ClipNorm = total / 4 },
			func(v float64) float64 { return v * (total / 4) / (total + 1e-6) }},
		{"ClipValue clamps every element before the update", func(m *Model) { m.ClipValue = 0.01 },
			func(v float64) float64 { return math.Max(-0.01, math.Min(0.01, v)) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, before := step(t, tc.set)
			assert.InEpsilon(t, total, m.GradNorm, 1e-12, "the norm before clipping")
			clipped := 0
			for i, g := range m.Grads() {
				for j, v := range g.Data {
					want := tc.clip(float64(raw[i][j]))
					require.InDelta(t, want, float64(v), 1e-6*math.Max(1, math.Abs(want)), "%s[%d]", g.Name, j)
					require.InDelta(t, float64(before[i][j])-0.1*want, float64(m.Params()[i].Data[j]), 1e-6, "updated %s[%d]", g.Name, j)
					if want != float64(raw[i][j]) {
						clipped++
					}
				}
			}
			assert.Positive(t, clipped, "elements changed by clipping")
		})
	}
	t.Run("a non-finite gradient is an error naming the weight, and no update", func(t *testing.T) {
		m := New()
		for i := range 784 {
			m.Params()[0].Data[i] = 3e38 // fc1.weight row 0: its product overflows
		}
		before := clone(m.Params())
		x, y := batch()
		_, err := m.TrainStep(n, x, y)
		var nf *rt.NonFiniteError
		require.True(t, errors.As(err, &nf), "%v", err)
		assert.Equal(t, "mlp.TrainStep", nf.Method)
		assert.Contains(t, []string{"fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"}, nf.Param)
		assert.False(t, nf.Value-nf.Value == 0, "the element reported is not finite")
		assert.Equal(t, before, clone(m.Params()), "weights unchanged")
		assert.Zero(t, m.Step)
	})
	t.Run("TrainStep with clipping and monitoring allocates nothing", func(t *testing.T) {
		m := New()
		m.ClipNorm, m.ClipValue, m.Monitor = 1, 0.5, true
		x, y := batch()
		_, err := m.TrainStep(n, x, y)
		require.NoError(t, err)
		assert.Zero(t, testing.AllocsPerRun(10, func() { _, _ = m.TrainStep(n, x, y) }))
	})
}
`

// TestTrainStepClipsAndMonitorsGradients generates the mlp package with the test
// above and runs it.
func TestTrainStepClipsAndMonitorsGradients(t *testing.T) {
	if testing.Short() {
		t.Skip("generates and tests a package")
	}
	g, err := mlpGraph()
	require.NoError(t, err)
	files, err := Generate(g, Options{Package: "mlp", MaxBatch: 16, Train: true})
	require.NoError(t, err)
	dir, err := os.MkdirTemp("testdata", "_clip")
	require.NoError(t, err)
	t.Cleanup(func() { os.RemoveAll(dir) })
	for _, f := range files {
		require.NoError(t, os.WriteFile(filepath.Join(dir, f.Name), f.Data, 0o644))
	}
	require.NoError(t, os.WriteFile(filepath.Join(dir, "clip_test.go"), []byte(clipTest), 0o644))
	out, err := exec.Command("go", "test", "-count=1", "./"+dir).CombinedOutput()
	require.NoError(t, err, "%s", out)
}
