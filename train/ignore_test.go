package train

import (
	"fmt"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dlgen/dlgen/generated/padtagger"
	"github.com/dlgen/dlgen/generated/tagger"
	"github.com/dlgen/dlgen/rt"
	"github.com/dlgen/dlgen/rt/data"
)

// padSentences returns n sentences of 1 to 12 token ids in [1, 50), padded with id 0
// at the end, and their tags: the token's id mod 5 for a word, -100 for a pad step
// (PyTorch's convention, which models.PadTagger's loss ignores). Every sentence of
// an even index is cut to two words, so that a third of the steps or more are pads.
func padSentences(n int, seed uint64) (tokens, tags []int64) {
	const T = 12
	tokens, tags = make([]int64, n*T), make([]int64, n*T)
	for i := range n {
		words := 1 + int(rt.Bits(seed, 1, uint64(i))%T)
		if i%2 == 0 {
			words = min(words, 2)
		}
		for t := range T {
			k := i*T + t
			if t >= words {
				tokens[k], tags[k] = 0, -100
				continue
			}
			tokens[k] = 1 + int64(rt.Bits(seed, 2, uint64(k))%49)
			tags[k] = tokens[k] % 5
		}
	}
	return tokens, tags
}

func TestThePaddedTaggerCommandTakesTheIgnoreIndexInItsLabels(t *testing.T) {
	const T, C = 12, 5
	xTrain, yTrain := padSentences(160, 1)
	xTest, yTest := padSentences(16, 2)
	path := writeSet(t, filepath.Join(t.TempDir(), "pads.npz"), map[string]array{
		"x_train": i64Array([]int{160, T}, xTrain), "y_train": i64Array([]int{160, T}, yTrain),
		"x_test": i64Array([]int{16, T}, xTest), "y_test": i64Array([]int{16, T}, yTest)})
	newTagger := func() Model { return padtagger.New() }
	weights := filepath.Join(t.TempDir(), "pad.safetensors")
	code, out, errs := runCLI(t, "padtagger", newTagger, "train", "-data", path, "-epochs", "12", "-batch", "16", "-lr", "0.02",
		"-weights", weights, "-quiet")
	require.Equal(t, ExitOK, code, "stdout:\n%s\nstderr:\n%s", out, errs)
	m := padtagger.New()
	require.NoError(t, m.LoadWeights(weights))
	spec, err := SpecOf(m)
	require.NoError(t, err)
	assert.True(t, spec.Ignores)
	assert.Equal(t, -100, spec.Ignore)
	trainSet, testSet, _, err := loadData(path, spec)
	require.NoError(t, err)
	trainSet, _, err = trainSet.Split(0.1, 1) // the command's -val 0.1 under -seed 1
	require.NoError(t, err)
	ignoredTrain := 0
	for _, y := range trainSet.Y {
		if y == -100 {
			ignoredTrain++
		}
	}
	assert.Contains(t, out, "padtagger (classification): 144 training and 16 validation examples")
	assert.Contains(t, out, fmt.Sprintf("labels -100 are ignored: %d of the 1728 training labels", ignoredTrain))
	assert.Equal(t, int32(-100), testSet.Y[T-1], "the pad label reaches the data set as it is")

	// Evaluate in batches of 5 (5, 5, 5, 1 items with different numbers of words):
	// its loss is the model's loss over the whole set at once, the mean over every
	// kept label, not a mean of the batches' means weighted by items.
	met, err := Evaluate(m, testSet, 5, 0, 0)
	require.NoError(t, err)
	whole, err := m.LossBatch(testSet.Len(), testSet.X, testSet.Y, nil)
	require.NoError(t, err)
	assert.InDelta(t, float64(whole), met.Loss, 1e-5*float64(whole))
	byItems := 0.0
	for lo := 0; lo < testSet.Len(); lo += 5 {
		hi := min(lo+5, testSet.Len())
		l, err := m.LossBatch(hi-lo, testSet.X[lo*T:hi*T], testSet.Y[lo*T:hi*T], nil)
		require.NoError(t, err)
		byItems += float64(l) * float64(hi-lo)
	}
	byItems /= float64(testSet.Len())
	require.Greater(t, math.Abs(byItems-float64(whole)), 1e-3*float64(whole), "the batches differ enough for the test to tell")

	// The accuracy is over the words only: recount it from Predict.
	probs := make([]float32, testSet.Len()*T*C)
	require.NoError(t, m.PredictBatch(testSet.Len(), testSet.X, probs))
	right, words := 0, 0
	for i, label := range testSet.Y {
		k := Argmax(probs[i*C : (i+1)*C])
		if label == -100 {
			continue
		}
		words++
		if k == int(label) {
			right++
		}
	}
	t.Logf("test accuracy over %d words of %d steps %.4f, loss %.4f", words, len(testSet.Y), met.Accuracy, met.Loss)
	assert.Equal(t, float64(right)/float64(words), met.Accuracy)
	assert.Greater(t, met.Accuracy, 0.9, "per-word accuracy (chance is 0.2)")

	code, out, errs = runCLI(t, "padtagger", newTagger, "predict", "-data", path, "-weights", weights, "-n", "2")
	require.Equal(t, ExitOK, code, errs)
	// test[0] has at most two words, so at most 2 labels are scored.
	line := strings.SplitN(out, "\n", 2)[0]
	assert.Contains(t, line, "test[0]: [")
	wordsOf0 := 0
	for _, y := range yTest[:T] {
		if y != -100 {
			wordsOf0++
		}
	}
	assert.Contains(t, line, fmt.Sprintf("/%d right", wordsOf0), line)

	// A label outside the classes that is not the ignore index is still an error,
	// in the data files and through the API; so is data whose labels are all ignored.
	bad := append([]int64(nil), yTrain...)
	bad[3*T+7] = -99
	badPath := writeSet(t, filepath.Join(t.TempDir(), "bad.npz"), map[string]array{
		"x_train": i64Array([]int{160, T}, xTrain), "y_train": i64Array([]int{160, T}, bad),
		"x_test": i64Array([]int{16, T}, xTest), "y_test": i64Array([]int{16, T}, yTest)})
	code, _, errs = runCLI(t, "padtagger", newTagger, "train", "-data", badPath, "-epochs", "1")
	assert.Equal(t, ExitFailure, code)
	assert.Contains(t, errs, "y_train: item 3 has label -99 at position 7, outside model padtagger's 5 classes and not its ignore index -100")
	set := &data.Dataset{Shape: []int{T}, LabelSize: T, X: testSet.X, Y: append([]int32(nil), testSet.Y...)}
	set.Y[5] = 5
	_, err = Evaluate(m, set, 0, 0, 0)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "evaluation data: example 0 has label 5 at position 5, outside model padtagger's 5 classes and not its ignore index -100")
	for i := range set.Y {
		set.Y[i] = -100
	}
	_, err = Evaluate(m, set, 0, 0, 0)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "evaluation data: all its 192 labels are model padtagger's ignore index -100")

	// A batch whose labels are all ignored has the loss 0/0 = NaN: training goes on
	// past it, and the epoch's loss is the mean over the other batches' labels.
	set.Y = append([]int32(nil), testSet.Y...)
	for i := range T {
		set.Y[i] = -100
	}
	fresh := padtagger.New()
	res, err := Train(fresh, set, nil, Config{Epochs: 1, Batch: 1, Seed: 3})
	require.NoError(t, err)
	assert.False(t, math.IsNaN(res.History[0].TrainLoss), "loss %g", res.History[0].TrainLoss)
}

// A model without an ignore index still refuses -100 as a label, with no mention
// of an ignore index.
func TestAModelWithoutAnIgnoreIndexRefusesIt(t *testing.T) {
	m := tagger.New()
	spec, err := SpecOf(m)
	require.NoError(t, err)
	assert.False(t, spec.Ignores)
	set := &data.Dataset{Shape: []int{20, 8}, LabelSize: 20, X: make([]float32, 20*8), Y: make([]int32, 20)}
	set.Y[4] = -100
	_, err = Evaluate(m, set, 0, 0, 0)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "evaluation data: example 0 has label -100 at position 4, outside model tagger's 5 classes")
	assert.NotContains(t, err.Error(), "ignore")
}
