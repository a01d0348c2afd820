package train

import (
	"encoding/json"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dlgen/dlgen/generated/mlp"
)

// l2 is the L2 norm of v, summed in float64.
func l2(v []float32) float64 {
	var s float64
	for _, x := range v {
		s += float64(x) * float64(x)
	}
	return math.Sqrt(s)
}

// stepNorms collects, after every step of a run, the norms the model reports and
// the norms of its gradients as they stand after the update (after clipping).
type stepNorms struct {
	global, clipped []float64   // per step
	each            [][]float64 // per step, per weight
	fromGrads       [][]float64 // per step, per weight, from m.Grads()
}

func (s *stepNorms) after(m *mlp.Model) func(int, uint64) error {
	return func(int, uint64) error {
		s.global = append(s.global, m.GradNorm)
		s.each = append(s.each, append([]float64(nil), m.GradNorms()...))
		var all float64
		var per []float64
		for _, g := range m.Grads() {
			n := l2(g.Data)
			per = append(per, n)
			all += n * n
		}
		s.fromGrads = append(s.fromGrads, per)
		s.clipped = append(s.clipped, math.Sqrt(all))
		return nil
	}
}

func TestMonitoringRecordsEveryWeightsGradientNormPerEpoch(t *testing.T) {
	singleThread(t)
	all, _ := subset(t)
	trainSet := small(t, all, 96) // 3 steps of 32 an epoch
	m := mlp.New()
	var s stepNorms
	var log strings.Builder
	cfg := Config{Optimizer: "sgd", Epochs: 2, Batch: 32, Seed: 3, Monitor: true, Log: &log, AfterStep: s.after(m)}
	res, err := Train(m, trainSet, nil, cfg)
	require.NoError(t, err)
	require.Len(t, res.History, 2)
	require.Len(t, s.global, 6)

	var names []string
	for _, g := range m.Grads() {
		names = append(names, g.Name)
	}
	require.Equal(t, []string{"fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"}, names)
	for step := range s.global {
		assert.Greater(t, s.global[step], 0.0)
		// Without clipping, the reported norms are those of the gradients.
		for w := range names {
			assert.InEpsilon(t, s.fromGrads[step][w], s.each[step][w], 1e-5, "step %d, %s", step, names[w])
		}
		assert.InEpsilon(t, s.clipped[step], s.global[step], 1e-5, "step %d", step)
	}
	for i, e := range res.History {
		steps := s.global[3*i : 3*i+3]
		assert.InEpsilon(t, (steps[0]+steps[1]+steps[2])/3, e.GradNorm, 1e-12, "epoch %d", e.Epoch)
		assert.Equal(t, max(steps[0], steps[1], steps[2]), e.GradNormMax, "epoch %d", e.Epoch)
		require.Len(t, e.GradNorms, len(names))
		for w, n := range e.GradNorms {
			assert.Equal(t, names[w], n.Name)
			mean := (s.each[3*i][w] + s.each[3*i+1][w] + s.each[3*i+2][w]) / 3
			assert.InEpsilon(t, mean, n.Norm, 1e-12, "epoch %d, %s", e.Epoch, n.Name)
		}
	}
	out := log.String()
	assert.Contains(t, out, "grad norm ")
	assert.Equal(t, 2, strings.Count(out, "    grad norms  fc1.weight "), out)
	assert.Contains(t, out, "  fc2.bias ")
}

func TestGradientNormsAreMeasuredBeforeClipping(t *testing.T) {
	singleThread(t)
	all, _ := subset(t)
	trainSet := small(t, all, 64)
	m := mlp.New()
	var s stepNorms
	const clip = 0.01
	res, err := Train(m, trainSet, nil, Config{Optimizer: "sgd", Epochs: 1, Batch: 32, Seed: 3, ClipNorm: clip, AfterStep: s.after(m)})
	require.NoError(t, err)
	for step := range s.global {
		assert.Greater(t, s.global[step], 10*clip, "step %d: the norm before clipping", step)
		assert.InDelta(t, clip, s.clipped[step], 1e-6, "step %d: the gradients after clipping", step)
	}
	e := res.History[0]
	assert.InEpsilon(t, (s.global[0]+s.global[1])/2, e.GradNorm, 1e-12)
	assert.Nil(t, e.GradNorms, "per-weight norms only with Monitor")
	for _, each := range s.each {
		assert.Equal(t, []float64{0, 0, 0, 0}, each, "without Monitor the model records no per-weight norms")
	}
}

func TestGradientNormsSurviveJSONAndOldCheckpointsReadAsNaN(t *testing.T) {
	e := Epoch{Epoch: 1, LR: 0.1, TrainLoss: 0.5, ValLoss: 0.4, ValAccuracy: 0.9, GradNorm: 1.5, GradNormMax: 2.5,
		GradNorms: []NamedNorm{{"fc1.weight", 1.25}, {"fc1.bias", 0.5}}, Seconds: 1}
	b, err := json.Marshal(e)
	require.NoError(t, err)
	var back Epoch
	require.NoError(t, json.Unmarshal(b, &back))
	assert.Equal(t, e, back)

	var old Epoch
	require.NoError(t, json.Unmarshal([]byte(`{"epoch":1,"lr":0.1,"train_loss":0.5,"val_loss":null,"val_accuracy":null,"seconds":1}`), &old))
	assert.True(t, math.IsNaN(old.GradNorm))
	assert.True(t, math.IsNaN(old.GradNormMax))
	assert.Nil(t, old.GradNorms)
	assert.NotContains(t, old.String(), "grad norm")
}

func TestWriteGradCurvesDrawsAPNG(t *testing.T) {
	path := filepath.Join(t.TempDir(), "grads.png")
	h := []Epoch{
		{Epoch: 1, GradNorm: math.NaN()}, // before monitoring: left out
		{Epoch: 2, GradNorm: 2, GradNorms: []NamedNorm{{"a.weight", 1.5}, {"a.bias", 0}}},
		{Epoch: 3, GradNorm: 1, GradNorms: []NamedNorm{{"a.weight", 0.5}, {"a.bias", 0.01}}},
	}
	require.NoError(t, WriteGradCurves(path, "mlp", h))
	img := checkPNG(t, path)
	assert.Greater(t, img.Bounds().Dx(), 300)
	err := WriteGradCurves(path, "mlp", h[:1])
	require.Error(t, err)
	assert.Contains(t, err.Error(), "-monitor")
}
