package train

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dlgen/dlgen/generated/lenet"
	"github.com/dlgen/dlgen/generated/mlp"
	"github.com/dlgen/dlgen/generated/regressor"
	"github.com/dlgen/dlgen/generated/tagger"
	"github.com/dlgen/dlgen/generated/textlstm"
	"github.com/dlgen/dlgen/rt"
	"github.com/dlgen/dlgen/rt/data"
)

// array is a NumPy array to write: its dtype, shape and raw little-endian bytes.
type array struct {
	descr string
	shape []int
	raw   []byte
}

func u8Array(shape []int, v []byte) array { return array{"|u1", shape, v} }

func i64Array(shape []int, v []int64) array {
	raw := make([]byte, 8*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint64(raw[8*i:], uint64(x))
	}
	return array{"<i8", shape, raw}
}

func f32Array(shape []int, v []float32) array {
	raw := make([]byte, 4*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint32(raw[4*i:], math.Float32bits(x))
	}
	return array{"<f4", shape, raw}
}

// npy encodes a as an NPY 1.0 file, as np.save does.
func (a array) npy() []byte {
	dims := make([]string, len(a.shape))
	for i, d := range a.shape {
		dims[i] = fmt.Sprint(d)
	}
	shape := strings.Join(dims, ", ")
	if len(a.shape) == 1 {
		shape += ","
	}
	h := fmt.Sprintf("{'descr': '%s', 'fortran_order': False, 'shape': (%s), }", a.descr, shape)
	for (10+len(h)+1)%64 != 0 {
		h += " "
	}
	h += "\n"
	var b bytes.Buffer
	b.WriteString("\x93NUMPY\x01\x00")
	_ = binary.Write(&b, binary.LittleEndian, uint16(len(h)))
	b.WriteString(h)
	b.Write(a.raw)
	return b.Bytes()
}

// writeSet writes arrays as an .npz archive at path (np.savez's layout).
func writeSet(t *testing.T, path string, arrays map[string]array) string {
	t.Helper()
	var buf bytes.Buffer
	z := zip.NewWriter(&buf)
	for _, name := range []string{"x_train", "y_train", "x_test", "y_test"} {
		a, ok := arrays[name]
		if !ok {
			continue
		}
		w, err := z.Create(name + ".npy")
		require.NoError(t, err)
		_, err = w.Write(a.npy())
		require.NoError(t, err)
	}
	require.NoError(t, z.Close())
	require.NoError(t, os.WriteFile(path, buf.Bytes(), 0o644))
	return path
}

// mnistAsNumPy writes the first n training and test examples of the shipped subset
// as Keras' mnist.npz holds them: uint8 images (N, 28, 28) and int64 labels.
func mnistAsNumPy(t *testing.T, n int) (path string, trainSet, testSet *data.Dataset) {
	t.Helper()
	all, test := subset(t)
	trainSet, testSet = small(t, all, n), small(t, test, n)
	split := func(d *data.Dataset) (array, array) {
		b := make([]byte, len(d.X))
		for i, v := range d.X {
			b[i] = byte(math.Round(float64(v) * 255))
		}
		y := make([]int64, len(d.Y))
		for i, v := range d.Y {
			y[i] = int64(v)
		}
		return u8Array([]int{d.Len(), 28, 28}, b), i64Array([]int{d.Len()}, y)
	}
	xTrain, yTrain := split(trainSet)
	xTest, yTest := split(testSet)
	path = writeSet(t, filepath.Join(t.TempDir(), "mnist.npz"), map[string]array{"x_train": xTrain, "y_train": yTrain, "x_test": xTest, "y_test": yTest})
	return path, trainSet, testSet
}

func TestMNISTAsNumPyTrainsExactlyAsTheIDXFiles(t *testing.T) {
	singleThread(t)
	path, wantTrain, wantTest := mnistAsNumPy(t, 100)
	for _, m := range []Model{mlp.New(), lenet.New()} { // flat (784) and image (1, 28, 28) inputs
		spec, err := SpecOf(m)
		require.NoError(t, err)
		trainSet, testSet, where, err := loadData(path, spec)
		require.NoError(t, err)
		assert.Equal(t, path, where)
		assert.Equal(t, wantTrain.X, trainSet.X, "%s: uint8 pixels scale as the IDX files' do", spec.Name)
		assert.Equal(t, wantTrain.Y, trainSet.Y)
		assert.Equal(t, wantTest.X, testSet.X)
		assert.Equal(t, spec.InputShape, trainSet.Shape)
	}
	cfg := Config{Optimizer: "adam", Epochs: 2, Batch: 20, Seed: 5}
	spec, _ := SpecOf(mlp.New())
	fromNumPy, _, _, err := loadData(path, spec)
	require.NoError(t, err)
	a, b := mlp.New(), mlp.New()
	resA, err := Train(a, fromNumPy, nil, cfg)
	require.NoError(t, err)
	resB, err := Train(b, wantTrain, nil, cfg)
	require.NoError(t, err)
	assert.Equal(t, resB.History[1].TrainLoss, resA.History[1].TrainLoss)
	assert.Equal(t, bits(b.Params()), bits(a.Params()))
}

func TestBadNumPyDataIsAnErrorNamingTheArray(t *testing.T) {
	image := &Spec{Name: "net", Input: "image", InputShape: []int{3, 4, 4}, Task: Classification, Classes: 3}
	flat := &Spec{Name: "reg", Input: "features", InputShape: []int{2}, Target: "value", TargetShape: []int{1}, Task: Regression}
	ids := &Spec{Name: "text", Input: "tokens", InputShape: []int{3}, Task: Classification, Classes: 2, IntInput: true, IDLimit: 10}
	x := f32Array([]int{2, 3, 4, 4}, make([]float32, 96))
	y := i64Array([]int{2}, []int64{0, 2})
	set := func(arrays map[string]array) *data.NumPySet {
		path := writeSet(t, filepath.Join(t.TempDir(), "set.npz"), arrays)
		s, err := data.ReadNumPySet(path)
		require.NoError(t, err)
		return s
	}
	nan := make([]float32, 96)
	nan[50] = float32(math.NaN())
	cases := []struct {
		name   string
		spec   *Spec
		arrays map[string]array
		want   string
	}{
		{"channels last", image, map[string]array{"x_train": f32Array([]int{2, 4, 4, 3}, make([]float32, 96)), "y_train": y, "x_test": x, "y_test": y},
			"x_train is a <f4 array of shape (2, 4, 4, 3), but model net takes \"image\" of shape [3 4 4] per item; dlgen is channels-first"},
		{"NaN in x", image, map[string]array{"x_train": x, "y_train": y, "x_test": f32Array([]int{2, 3, 4, 4}, nan), "y_test": y},
			"x_test: element 50 (item 1) is NaN"},
		{"no labels", image, map[string]array{"x_train": x, "x_test": x, "y_test": y}, "no y_train array, and classifier net needs class labels"},
		{"a label outside the classes", image, map[string]array{"x_train": x, "y_train": i64Array([]int{2}, []int64{0, 3}), "x_test": x, "y_test": y},
			"y_train: item 1 has label 3, outside model net's 3 classes"},
		{"labels that are not whole", image, map[string]array{"x_train": x, "y_train": f32Array([]int{2}, []float32{0, 1.5}), "x_test": x, "y_test": y},
			"y_train is a <f4 array of shape (2,); classifier net needs integer class labels"},
		{"too few labels", image, map[string]array{"x_train": x, "y_train": i64Array([]int{1}, []int64{0}), "x_test": x, "y_test": y},
			"needs one class label per item of x_train, shape (2,)"},
		{"a regression target of the wrong shape", flat, map[string]array{"x_train": f32Array([]int{2, 2}, make([]float32, 4)), "y_train": f32Array([]int{2, 2}, make([]float32, 4)),
			"x_test": f32Array([]int{1, 2}, make([]float32, 2)), "y_test": f32Array([]int{1, 1}, []float32{0})},
			"y_train is a <f4 array of shape (2, 2); model reg needs a target \"value\" of shape [1] for each of the 2 items of x_train"},
		{"an infinite target", flat, map[string]array{"x_train": f32Array([]int{2, 2}, make([]float32, 4)), "y_train": f32Array([]int{2}, []float32{1, float32(math.Inf(1))}),
			"x_test": f32Array([]int{1, 2}, make([]float32, 2)), "y_test": f32Array([]int{1, 1}, []float32{0})},
			"y_train: element 1 (item 1) is +Inf"},
		{"an id out of range", ids, map[string]array{"x_train": i64Array([]int{2, 3}, []int64{1, 2, 3, 4, 10, 6}), "y_train": y, "x_test": x, "y_test": y},
			"x_train: element 4 (item 1) is 10, not an id of model text's input \"tokens\", in [0, 10)"},
		{"ids that are not whole", ids, map[string]array{"x_train": f32Array([]int{2, 3}, []float32{1, 2, 3, 4, 5.5, 6}), "y_train": y, "x_test": x, "y_test": y},
			"x_train is a <f4 array of shape (2, 3), but model text's input \"tokens\" takes integer ids"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := set(c.arrays)
			_, _, err := numpyData(s, c.spec)
			require.Error(t, err)
			assert.Contains(t, err.Error(), s.Path)
			assert.Contains(t, err.Error(), c.want)
		})
	}
}

// regressionSet writes n training and n/4 test items of y = w·x + b for x uniform
// in [-1, 1]^13.
func regressionSet(t *testing.T, n int) string {
	t.Helper()
	w := []float64{0.5, -1, 0.25, 2, 0, -0.5, 1, 0.75, -2, 0.1, 0, 1.5, -0.25}
	gen := func(n int, seed uint64) (array, array) {
		x, y := make([]float32, 13*n), make([]float32, n)
		for i := range n {
			s := 0.3
			for j := range 13 {
				v := float32(2*rt.Uniform(seed, 1, uint64(13*i+j)) - 1)
				x[13*i+j] = v
				s += w[j] * float64(v)
			}
			y[i] = float32(s)
		}
		return f32Array([]int{n, 13}, x), f32Array([]int{n, 1}, y)
	}
	xTrain, yTrain := gen(n, 1)
	xTest, yTest := gen(n/4, 2)
	return writeSet(t, filepath.Join(t.TempDir(), "linear.npz"), map[string]array{"x_train": xTrain, "y_train": yTrain, "x_test": xTest, "y_test": yTest})
}

func TestARegressionModelLearnsFromNumPyData(t *testing.T) {
	path := regressionSet(t, 512)
	newReg := func() Model { return regressor.New() }
	dir := t.TempDir()
	weights := filepath.Join(dir, "reg.safetensors")
	code, out, errs := runCLI(t, "regressor", newReg, "train", "-data", path, "-epochs", "30", "-batch", "32", "-optimizer", "adam", "-lr", "0.003",
		"-weights", weights, "-quiet")
	require.Equal(t, ExitOK, code, "stdout:\n%s\nstderr:\n%s", out, errs)
	assert.Contains(t, out, "regressor (regression): 461 training and 51 validation examples from "+path)
	assert.NotContains(t, out, "accuracy")

	// The targets' variance is about Σ w²/3 ≈ 4.6; a model that learned the linear
	// map does far better.
	m := regressor.New()
	require.NoError(t, m.LoadWeights(weights))
	spec, err := SpecOf(m)
	require.NoError(t, err)
	_, testSet, _, err := loadData(path, spec)
	require.NoError(t, err)
	met, err := Evaluate(m, testSet, 0, 0, 0)
	require.NoError(t, err)
	assert.Less(t, met.Loss, 0.05, "test MSE")
	t.Logf("test MSE %g", met.Loss)
	assert.True(t, math.IsNaN(met.Accuracy))

	code, out, errs = runCLI(t, "regressor", newReg, "eval", "-data", path, "-weights", weights)
	require.Equal(t, ExitOK, code, errs)
	assert.Contains(t, out, fmt.Sprintf("128 examples  loss %.4f", met.Loss))

	code, out, errs = runCLI(t, "regressor", newReg, "predict", "-data", path, "-weights", weights, "-n", "2")
	require.Equal(t, ExitOK, code, errs)
	assert.Equal(t, 2, strings.Count(out, "  target ["), out)

	// MNIST has no float targets; the command says what to give instead.
	code, _, errs = runCLI(t, "regressor", newReg, "train", "-epochs", "1")
	assert.Equal(t, ExitUsage, code)
	assert.Contains(t, errs, "model regressor needs float targets, which MNIST does not have: name a NumPy data set with -data")
}

func TestATokenModelTrainsFromNumPyIDs(t *testing.T) {
	// Label 1 when the review holds token 7, else 0; ids in [0, 5000).
	const n, T = 64, 80
	gen := func(n int, seed uint64) (array, array) {
		x, y := make([]int64, n*T), make([]int64, n)
		for i := range n {
			for j := range T {
				x[i*T+j] = int64(1 + rt.Bits(seed, 1, uint64(i*T+j))%4999)
				if x[i*T+j] == 7 {
					x[i*T+j] = 8
				}
			}
			if i%2 == 1 {
				x[i*T+int(rt.Bits(seed, 2, uint64(i))%T)] = 7
				y[i] = 1
			}
		}
		return i64Array([]int{n, T}, x), i64Array([]int{n}, y)
	}
	xTrain, yTrain := gen(n, 1)
	xTest, yTest := gen(16, 2)
	path := writeSet(t, filepath.Join(t.TempDir(), "reviews.npz"), map[string]array{"x_train": xTrain, "y_train": yTrain, "x_test": xTest, "y_test": yTest})
	newText := func() Model { return textlstm.New() }
	weights := filepath.Join(t.TempDir(), "text.safetensors")
	code, out, errs := runCLI(t, "textlstm", newText, "train", "-data", path, "-epochs", "1", "-batch", "16", "-weights", weights, "-quiet")
	require.Equal(t, ExitOK, code, "stdout:\n%s\nstderr:\n%s", out, errs)
	assert.Contains(t, out, "textlstm (classification): 58 training and 6 validation examples")
	assert.Contains(t, out, "test: 16 examples")
	code, out, errs = runCLI(t, "textlstm", newText, "predict", "-data", path, "-weights", weights, "-n", "3")
	require.Equal(t, ExitOK, code, errs)
	assert.Equal(t, 3, strings.Count(out, "label"), out)
	code, _, errs = runCLI(t, "textlstm", newText, "predict", "-weights", weights, "a.png")
	assert.Equal(t, ExitUsage, code)
	assert.Contains(t, errs, "does not take images")

	// The command's adapter turns float ids back into ints, and refuses a fraction.
	m := textlstm.New()
	x := make([]float32, T)
	y := make([]float32, 2)
	require.NoError(t, m.PredictBatch(1, x, y))
	want := make([]float32, 2)
	require.NoError(t, m.Predict(1, make([]int32, T), want))
	assert.Equal(t, want, y)
	x[3] = 2.5
	err := m.PredictBatch(1, x, y)
	require.Error(t, err)
	assert.Contains(t, err.Error(), `tokens[3] = 2.5 is not an id (item 0, position 3 of 80)`)
	x[3] = 5000
	err = m.PredictBatch(1, x, y)
	require.Error(t, err, "the model checks the range")
	assert.Contains(t, err.Error(), "5000")
}

func TestATaggerLearnsLabelsPerStepFromNumPyData(t *testing.T) {
	// The tag of step t is the arg-max of its first five features: a per-step task
	// the LSTM's output at each step can learn.
	const T, F = 20, 8
	gen := func(n int, seed uint64) (array, array) {
		x, y := make([]float32, n*T*F), make([]int64, n*T)
		for i := range n * T {
			best := 0
			for f := range F {
				x[i*F+f] = float32(rt.Uniform(seed, 1, uint64(i*F+f)))
				if f < 5 && x[i*F+f] > x[i*F+best] {
					best = f
				}
			}
			y[i] = int64(best)
		}
		return f32Array([]int{n, T, F}, x), i64Array([]int{n, T}, y)
	}
	xTrain, yTrain := gen(256, 1)
	xTest, yTest := gen(32, 2)
	path := writeSet(t, filepath.Join(t.TempDir(), "tags.npz"), map[string]array{"x_train": xTrain, "y_train": yTrain, "x_test": xTest, "y_test": yTest})
	newTagger := func() Model { return tagger.New() }
	weights := filepath.Join(t.TempDir(), "tagger.safetensors")
	code, out, errs := runCLI(t, "tagger", newTagger, "train", "-data", path, "-epochs", "25", "-batch", "16", "-lr", "0.01",
		"-weights", weights, "-quiet")
	require.Equal(t, ExitOK, code, "stdout:\n%s\nstderr:\n%s", out, errs)

	m := tagger.New()
	require.NoError(t, m.LoadWeights(weights))
	spec, err := SpecOf(m)
	require.NoError(t, err)
	assert.Equal(t, 20, spec.Labels)
	assert.Equal(t, 5, spec.Classes)
	_, testSet, _, err := loadData(path, spec)
	require.NoError(t, err)
	met, err := Evaluate(m, testSet, 0, 0, 0)
	require.NoError(t, err)
	t.Logf("test accuracy per step %.4f, loss %.4f", met.Accuracy, met.Loss)
	assert.Greater(t, met.Accuracy, 0.9, "per-step accuracy (chance is 0.2)")

	// The accuracy counts positions: recount it from Predict.
	probs := make([]float32, testSet.Len()*T*5)
	require.NoError(t, m.PredictBatch(testSet.Len(), testSet.X, probs))
	right := 0
	for i, label := range testSet.Y {
		if Argmax(probs[i*5:(i+1)*5]) == int(label) {
			right++
		}
	}
	assert.Equal(t, float64(right)/float64(len(testSet.Y)), met.Accuracy)

	code, out, errs = runCLI(t, "tagger", newTagger, "predict", "-data", path, "-weights", weights, "-n", "2")
	require.Equal(t, ExitOK, code, errs)
	assert.Equal(t, 2, strings.Count(out, "/20 right"), out)
	assert.Contains(t, out, "test[0]: [")

	// A label per item is not a label per step, and MNIST has only those.
	bad := writeSet(t, filepath.Join(t.TempDir(), "bad.npz"), map[string]array{"x_train": xTrain, "y_train": i64Array([]int{256}, make([]int64, 256)), "x_test": xTest, "y_test": yTest})
	code, _, errs = runCLI(t, "tagger", newTagger, "train", "-data", bad, "-epochs", "1")
	assert.Equal(t, ExitFailure, code)
	assert.Contains(t, errs, `y_train is a <i8 array of shape (256,); classifier tagger needs labels "tags" of shape [20] for each of the 256 items of x_train`)
	code, _, errs = runCLI(t, "tagger", newTagger, "train", "-epochs", "1")
	assert.Equal(t, ExitUsage, code)
	assert.Contains(t, errs, "model tagger needs [20] class labels per example, which MNIST does not have")
}
