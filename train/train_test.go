package train

import (
	"errors"
	"math"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dlgen/dlgen/generated/mlp"
	"github.com/dlgen/dlgen/rt"
	"github.com/dlgen/dlgen/rt/data"
	"github.com/dlgen/dlgen/rt/safetensors"
)

// subset returns the MNIST subset shipped in testdata/mnist (2000 training, 500 test
// examples).
func subset(t testing.TB) (train, test *data.Dataset) {
	t.Helper()
	train, test, err := data.MNIST(filepath.Join("..", "testdata", "mnist"))
	require.NoError(t, err)
	return train, test
}

// small returns the first n examples of d.
func small(t testing.TB, d *data.Dataset, n int) *data.Dataset {
	t.Helper()
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	s, err := d.Subset(idx)
	require.NoError(t, err)
	return s
}

// bits returns every value of the tensors as raw bits.
func bits(ts []rt.Tensor) [][]uint32 {
	out := make([][]uint32, len(ts))
	for k, t := range ts {
		for _, v := range t.Data {
			out[k] = append(out[k], math.Float32bits(v))
		}
	}
	return out
}

// singleThread runs the test on one thread (GOMAXPROCS 1).
func singleThread(t *testing.T) {
	old := runtime.GOMAXPROCS(1)
	t.Cleanup(func() { runtime.GOMAXPROCS(old) })
}

func TestTrainingIsReproducibleBitForBit(t *testing.T) {
	singleThread(t)
	all, _ := subset(t)
	trainSet, valSet, err := small(t, all, 320).Split(0.2, 5)
	require.NoError(t, err)
	run := func(seed uint64) (*mlp.Model, *Result) {
		m := mlp.New()
		res, err := Train(m, trainSet, valSet, Config{Optimizer: "nadam", Epochs: 2, Batch: 24, Seed: seed, Schedule: "cosine", ClipNorm: 1})
		require.NoError(t, err)
		return m, res
	}
	a, ra := run(3)
	b, rb := run(3)
	c, _ := run(4)
	t.Run("the same seed gives the same weights and optimizer state", func(t *testing.T) {
		assert.Equal(t, bits(a.Params()), bits(b.Params()))
		assert.Equal(t, bits(a.OptimizerState()), bits(b.OptimizerState()))
		assert.Equal(t, ra.Steps, rb.Steps)
		assert.Equal(t, uint64(2*11), ra.Steps, "256 examples in batches of 24 make 11 steps an epoch")
		for i := range ra.History {
			assert.Equal(t, ra.History[i].TrainLoss, rb.History[i].TrainLoss)
			assert.Equal(t, ra.History[i].ValLoss, rb.History[i].ValLoss)
		}
	})
	t.Run("another seed gives other weights", func(t *testing.T) {
		assert.NotEqual(t, bits(a.Params()), bits(c.Params()))
	})
	t.Run("training lowered the loss", func(t *testing.T) {
		assert.Less(t, ra.History[1].TrainLoss, ra.History[0].TrainLoss)
	})
}

var errKilled = errors.New("killed")

func TestAResumedRunContinuesExactlyAsTheUninterruptedOne(t *testing.T) {
	singleThread(t)
	all, _ := subset(t)
	trainSet, valSet, err := small(t, all, 300).Split(0.2, 9)
	require.NoError(t, err)
	dir := t.TempDir()
	cfg := Config{Optimizer: "adam", Epochs: 4, Batch: 32, Seed: 7, Schedule: "step", StepSize: 1, Gamma: 0.5, ClipValue: 0.5, Monitor: true}

	full := mlp.New()
	want, err := Train(full, trainSet, valSet, cfg)
	require.NoError(t, err)

	// The run is killed 3 steps into its third epoch: the checkpoint holds epoch 2.
	killed := mlp.New()
	cfgK := cfg
	cfgK.Checkpoint = filepath.Join(dir, "run.ckpt")
	cfgK.AfterStep = func(epoch int, step uint64) error {
		if epoch == 2 && step == 2*8+3 {
			return errKilled
		}
		return nil
	}
	_, err = Train(killed, trainSet, valSet, cfgK)
	require.ErrorIs(t, err, errKilled)

	t.Run("the last checkpoint is loadable and holds the last finished epoch", func(t *testing.T) {
		m := mlp.New()
		m.SetOptimizer(rt.NewAdam())
		c := &safetensors.Checkpoint{Params: m.Params(), Optim: m.OptimizerState()}
		require.NoError(t, safetensors.LoadCheckpoint(cfgK.Checkpoint, c))
		assert.Equal(t, int64(2), c.Epoch)
		assert.Equal(t, int64(2*8), c.Step, "240 examples in batches of 32 make 8 steps an epoch")
		assert.Equal(t, []uint64{7}, c.RNG)
		assert.Len(t, c.Optim, 2*len(m.Params()), "Adam keeps two slots per weight")
		require.NoError(t, m.LoadWeights(cfgK.Checkpoint), "a checkpoint also loads as weights")
	})

	t.Run("resuming reproduces the uninterrupted weights bit for bit", func(t *testing.T) {
		resumed := mlp.New()
		cfgR := cfg
		cfgR.Checkpoint, cfgR.Resume = cfgK.Checkpoint, true
		got, err := Train(resumed, trainSet, valSet, cfgR)
		require.NoError(t, err)
		assert.Equal(t, bits(full.Params()), bits(resumed.Params()))
		assert.Equal(t, bits(full.OptimizerState()), bits(resumed.OptimizerState()))
		assert.Equal(t, want.Steps, got.Steps)
		require.Len(t, got.History, 4)
		for i := range want.History {
			assert.Equal(t, want.History[i].TrainLoss, got.History[i].TrainLoss, "epoch %d", i+1)
			assert.Equal(t, want.History[i].ValLoss, got.History[i].ValLoss, "epoch %d", i+1)
			assert.Equal(t, want.History[i].LR, got.History[i].LR, "epoch %d", i+1)
			assert.Equal(t, want.History[i].GradNorm, got.History[i].GradNorm, "epoch %d", i+1)
			assert.Equal(t, want.History[i].GradNorms, got.History[i].GradNorms, "epoch %d", i+1)
			assert.Len(t, got.History[i].GradNorms, 4, "epoch %d", i+1)
		}
	})

	t.Run("resuming with other settings is refused", func(t *testing.T) {
		cfgR := cfg
		cfgR.Checkpoint, cfgR.Resume, cfgR.Batch = cfgK.Checkpoint, true, 16
		_, err := Train(mlp.New(), trainSet, valSet, cfgR)
		require.Error(t, err)
		assert.Contains(t, err.Error(), "-batch 32 (now 16)")
	})
}

func TestTrainRefusesDataThatDoesNotFitTheModel(t *testing.T) {
	all, _ := subset(t)
	d := small(t, all, 40)
	bad := *d
	bad.Y = append([]int32(nil), d.Y...)
	bad.Y[3] = 12
	noLabels := *d
	noLabels.Y = nil
	wide := &data.Dataset{X: make([]float32, 10*785), Shape: []int{785}, Y: make([]int32, 10)}
	cases := []struct {
		name string
		d    *data.Dataset
		cfg  Config
		want string
	}{
		{"a label outside the classes", &bad, Config{Epochs: 1}, "example 3 has label 12"},
		{"examples without labels", &noLabels, Config{Epochs: 1}, "no labels"},
		{"examples of the wrong size", wide, Config{Epochs: 1}, "785 values"},
		{"a batch above MaxBatch", d, Config{Epochs: 1, Batch: 65}, "outside [1, 64]"},
		{"noise for a classifier", d, Config{Epochs: 1, Noise: 0.3}, "-noise is for reconstruction"},
		{"no epochs", d, Config{}, "-epochs 0"},
		{"resume without a checkpoint", d, Config{Epochs: 1, Resume: true}, "-resume needs -checkpoint"},
		{"an unknown schedule", d, Config{Epochs: 1, Schedule: "linear"}, "unknown schedule"},
	}
	for _, c := range cases {
		t.Run("it refuses "+c.name, func(t *testing.T) {
			_, err := Train(mlp.New(), c.d, nil, c.cfg)
			require.Error(t, err)
			assert.Contains(t, err.Error(), c.want)
		})
	}
}

func TestADivergingRunStopsWithAnError(t *testing.T) {
	all, _ := subset(t)
	_, err := Train(mlp.New(), small(t, all, 256), nil, Config{Optimizer: "sgd", Hyper: Hyper{LR: Float(1e30)}, Epochs: 3, Batch: 32})
	require.Error(t, err)
	// A model that checks its gradients stops at the first non-finite one; one
	// that does not, at the first non-finite loss.
	assert.Regexp(t, `^epoch 1, step \d+: .*(the loss is|not finite)`, err.Error())
}

func TestEvaluateCountsRightAnswers(t *testing.T) {
	_, test := subset(t)
	m := mlp.New()
	met, err := Evaluate(m, small(t, test, 100), 30, 0, 0)
	require.NoError(t, err)
	assert.Equal(t, 100, met.N)
	// Check the accuracy against a direct count.
	probs := make([]float32, 100*10)
	require.NoError(t, m.Predict(64, test.X[:64*784], probs[:640]))
	require.NoError(t, m.Predict(36, test.X[64*784:100*784], probs[640:]))
	right := 0
	for i := range 100 {
		if Argmax(probs[i*10:(i+1)*10]) == int(test.Y[i]) {
			right++
		}
	}
	assert.Equal(t, float64(right)/100, met.Accuracy)
	assert.Greater(t, met.Loss, 1.5, "an untrained 10-class model has a loss near ln 10")
}

func TestArgmax(t *testing.T) {
	nan := float32(math.NaN())
	for _, c := range []struct {
		p    []float32
		want int
	}{
		{nil, -1}, {[]float32{1}, 0}, {[]float32{0.1, 0.7, 0.2}, 1}, {[]float32{0.5, 0.5}, 0},
		{[]float32{nan, 0.2, 0.3}, 2}, {[]float32{0.2, nan, 0.1}, 0},
	} {
		assert.Equal(t, c.want, Argmax(c.p), "%v", c.p)
	}
}

func TestNoiseIsClippedDeterministicAndIndependentOfTheBatch(t *testing.T) {
	x := []float32{0, 0.5, 1, 0.25, 0.75, 0.9}
	a := make([]float32, 6)
	noise(a, x, []int{0, 1}, 3, 0.5, 1, 2)
	for _, v := range a {
		assert.True(t, v >= 0 && v <= 1, "%v is outside [0, 1]", v)
	}
	assert.NotEqual(t, x, a)
	// Example 1 alone gets the same noise as in the batch of two.
	b := make([]float32, 3)
	noise(b, x[3:], []int{1}, 3, 0.5, 1, 2)
	assert.Equal(t, a[3:], b)
	// The value equals clip(x + 0.5·N) with the deviate of (seed, stream, index).
	want := float32(math.Min(1, math.Max(0, 0.5+0.5*rt.Normal(1, 2, 1))))
	assert.Equal(t, want, a[1])
}
