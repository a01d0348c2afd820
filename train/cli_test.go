package train

import (
	"image/png"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dlgen/dlgen/generated/convdae"
	"github.com/dlgen/dlgen/generated/mlp"
	"github.com/dlgen/dlgen/generated/seqae"
	"github.com/dlgen/dlgen/rt/data"
)

// runCLI runs the command of a model with args and returns its exit code and output.
func runCLI(t *testing.T, name string, newModel func() Model, args ...string) (int, string, string) {
	t.Helper()
	var out, errs strings.Builder
	code := Run(Env{Stdout: &out, Stderr: &errs}, name, newModel, args)
	return code, out.String(), errs.String()
}

func newMLP() Model     { return mlp.New() }
func newConvDAE() Model { return convdae.New() }
func newSeqAE() Model   { return seqae.New() }

// tinyMNIST writes the first nTrain and nTest examples of the shipped subset as IDX
// files in a new directory, so that command-line runs take a few steps.
func tinyMNIST(t *testing.T, nTrain, nTest int) string {
	t.Helper()
	train, test := subset(t)
	dir := t.TempDir()
	write := func(name string, dims []int, b []byte) {
		f, err := os.Create(filepath.Join(dir, name))
		require.NoError(t, err)
		require.NoError(t, data.WriteIDX(f, dims, b, true))
		require.NoError(t, f.Close())
	}
	images := func(d *data.Dataset, n int) []byte {
		b := make([]byte, n*784)
		for i := range b {
			b[i] = byte(d.X[i]*255 + 0.5)
		}
		return b
	}
	labels := func(d *data.Dataset, n int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(d.Y[i])
		}
		return b
	}
	write(data.MNISTTrainImages, []int{nTrain, 28, 28}, images(train, nTrain))
	write(data.MNISTTrainLabels, []int{nTrain}, labels(train, nTrain))
	write(data.MNISTTestImages, []int{nTest, 28, 28}, images(test, nTest))
	write(data.MNISTTestLabels, []int{nTest}, labels(test, nTest))
	return dir
}

func TestTheCommandExitsWithUsageAndFailureCodes(t *testing.T) {
	dir := t.TempDir()
	garbage := filepath.Join(dir, "garbage.safetensors")
	require.NoError(t, os.WriteFile(garbage, []byte("not a weights file at all"), 0o644))
	cases := []struct {
		args []string
		code int
		want string // in stderr, or stdout for code 0
	}{
		{nil, ExitUsage, "no command given"},
		{[]string{"help"}, ExitOK, "Commands:"},
		{[]string{"help", "train"}, ExitOK, "-optimizer name"},
		{[]string{"train", "-h"}, ExitOK, "-clip-norm norm"},
		{[]string{"fly"}, ExitUsage, `unknown command "fly"`},
		{[]string{"train", "-epochs", "many"}, ExitUsage, `invalid value "many" for flag -epochs`},
		{[]string{"train", "-optimizer", "lbfgs"}, ExitUsage, "unknown optimizer"},
		{[]string{"train", "-schedule", "linear"}, ExitUsage, "unknown schedule"},
		{[]string{"train", "-batch", "1000"}, ExitUsage, "outside [1, 64]"},
		{[]string{"train", "-val", "1"}, ExitUsage, "-val 1 must be in [0, 1)"},
		{[]string{"train", "-noise", "0.5"}, ExitUsage, "-noise is for reconstruction"},
		{[]string{"train", "-resume"}, ExitUsage, "-resume needs -checkpoint"},
		{[]string{"train", "extra"}, ExitUsage, "takes no arguments"},
		{[]string{"train", "-data", filepath.Join(dir, "nowhere")}, ExitFailure, "nowhere"},
		{[]string{"eval", "-weights", filepath.Join(dir, "absent.safetensors")}, ExitFailure, "absent.safetensors"},
		{[]string{"eval", "-weights", garbage}, ExitFailure, "garbage.safetensors"},
		{[]string{"predict", "-weights", garbage}, ExitFailure, "garbage.safetensors"},
		{[]string{"bench", "-batch", "0", "-time", "-1s"}, ExitUsage, "-time -1s must be positive"},
	}
	for _, c := range cases {
		t.Run(strings.Join(append([]string{"mlp"}, c.args...), " "), func(t *testing.T) {
			code, out, errs := runCLI(t, "mlp", newMLP, c.args...)
			assert.Equal(t, c.code, code, "stdout:\n%s\nstderr:\n%s", out, errs)
			if c.code == ExitOK {
				assert.Contains(t, out, c.want)
			} else {
				assert.Contains(t, errs, c.want)
				assert.Regexp(t, "(^|\n)mlp: ", errs, "the message names the command")
			}
		})
	}
}

func TestTheCommandTrainsEvaluatesAndPredictsAClassifier(t *testing.T) {
	mnist := tinyMNIST(t, 200, 50)
	dir := t.TempDir()
	weights, curves, ckpt := filepath.Join(dir, "w.safetensors"), filepath.Join(dir, "loss.png"), filepath.Join(dir, "run.ckpt")
	grads := filepath.Join(dir, "grads.png")
	code, out, errs := runCLI(t, "mlp", newMLP, "train", "-data", mnist, "-epochs", "2", "-batch", "16", "-optimizer", "momentum",
		"-schedule", "cosine", "-clip-norm", "5", "-weights", weights, "-curves", curves, "-checkpoint", ckpt, "-grad-curves", grads, "-quiet")
	require.Equal(t, ExitOK, code, "stdout:\n%s\nstderr:\n%s", out, errs)
	assert.Contains(t, out, "180 training and 20 validation examples")
	assert.Contains(t, out, "epoch   2")
	assert.Contains(t, out, "test: 50 examples")
	assert.Equal(t, 2, strings.Count(out, "grad norms  fc1.weight "), "-grad-curves implies -monitor:\n%s", out)
	assert.Contains(t, out, "gradient norms in "+grads)
	for _, f := range []string{weights, curves, ckpt, grads} {
		assert.FileExists(t, f)
	}
	checkPNG(t, curves)
	checkPNG(t, grads)

	code, out, errs = runCLI(t, "mlp", newMLP, "eval", "-data", mnist, "-weights", weights)
	require.Equal(t, ExitOK, code, errs)
	assert.Contains(t, out, "50 examples")
	assert.Contains(t, out, "accuracy")

	code, out, errs = runCLI(t, "mlp", newMLP, "predict", "-data", mnist, "-weights", weights, "-n", "3")
	require.Equal(t, ExitOK, code, errs)
	assert.Equal(t, 3, strings.Count(out, "label"), out)

	// The training run resumed with more epochs picks up after epoch 2.
	code, out, errs = runCLI(t, "mlp", newMLP, "train", "-data", mnist, "-epochs", "3", "-batch", "16", "-optimizer", "momentum",
		"-schedule", "cosine", "-clip-norm", "5", "-weights", weights, "-checkpoint", ckpt, "-resume", "-quiet")
	require.Equal(t, ExitOK, code, errs)
	assert.Contains(t, out, "resuming from")
	assert.Contains(t, out, "epoch   3")
	assert.NotContains(t, out, "epoch   1")

	// Resuming with another batch size is a usage error.
	code, _, errs = runCLI(t, "mlp", newMLP, "train", "-data", mnist, "-epochs", "3", "-batch", "8", "-optimizer", "momentum",
		"-schedule", "cosine", "-clip-norm", "5", "-weights", weights, "-checkpoint", ckpt, "-resume", "-quiet")
	assert.Equal(t, ExitUsage, code)
	assert.Contains(t, errs, "-batch 16 (now 8)")
}

func TestTheCommandPredictsImageFiles(t *testing.T) {
	_, test := subset(t)
	dir := t.TempDir()
	weights := filepath.Join(dir, "w.safetensors")
	require.NoError(t, mlp.New().SaveWeights(weights))
	img := filepath.Join(dir, "digit.png")
	require.NoError(t, WriteGrid(img, [][][]float32{{test.X[:784]}}, 28, 28, 1))
	// The grid has a 2-pixel border, so the image is 32×32: refused with its size.
	code, _, errs := runCLI(t, "mlp", newMLP, "predict", "-weights", weights, img)
	assert.Equal(t, ExitFailure, code)
	assert.Contains(t, errs, "32×32 pixels; model mlp takes 28×28")

	g, err := Grid([][][]float32{{test.X[:784]}}, 28, 28, 1)
	require.NoError(t, err)
	f, err := os.Create(img)
	require.NoError(t, err)
	require.NoError(t, png.Encode(f, g.SubImage(g.Rect.Inset(2))))
	require.NoError(t, f.Close())
	code, out, errs := runCLI(t, "mlp", newMLP, "predict", "-weights", weights, img)
	require.Equal(t, ExitOK, code, errs)
	assert.Contains(t, out, "digit.png: ")

	// The pixels read back are the example's, to 8-bit precision.
	spec, err := SpecOf(mlp.New())
	require.NoError(t, err)
	d, err := readImages(spec, []string{img})
	require.NoError(t, err)
	for i, v := range d.X {
		assert.InDelta(t, test.X[i], v, 0.5/255+1e-6, "pixel %d", i)
	}
}

func TestTheCommandTrainsADenoisingAutoencoder(t *testing.T) {
	if testing.Short() {
		t.Skip("ConvDAE steps take about 0.1 s each")
	}
	mnist := tinyMNIST(t, 72, 12)
	dir := t.TempDir()
	weights, grid := filepath.Join(dir, "dae.safetensors"), filepath.Join(dir, "grid.png")
	code, out, errs := runCLI(t, "convdae", newConvDAE, "train", "-data", mnist, "-epochs", "1", "-batch", "32",
		"-noise", "0.5", "-val", "0.1", "-weights", weights, "-grid", grid, "-quiet")
	require.Equal(t, ExitOK, code, "stdout:\n%s\nstderr:\n%s", out, errs)
	assert.Contains(t, out, "(reconstruction)")
	assert.Contains(t, out, "val loss")
	assert.NotContains(t, out, "accuracy")
	img := checkPNG(t, grid)
	// 3 rows and 10 columns of 56-pixel images with 2-pixel gaps.
	assert.Equal(t, 10*58+2, img.Bounds().Dx())
	assert.Equal(t, 3*58+2, img.Bounds().Dy())

	code, out, errs = runCLI(t, "convdae", newConvDAE, "eval", "-data", mnist, "-weights", weights, "-noise", "0.5")
	require.Equal(t, ExitOK, code, errs)
	assert.Contains(t, out, "12 examples")
	code, _, errs = runCLI(t, "convdae", newConvDAE, "predict", "-data", mnist, "-weights", weights, "-n", "4", "-grid", grid)
	require.Equal(t, ExitOK, code, errs)
	assert.Equal(t, 4*58+2, checkPNG(t, grid).Bounds().Dx())
}

func TestBenchReportsBothMethods(t *testing.T) {
	code, out, errs := runCLI(t, "mlp", newMLP, "bench", "-batch", "8", "-time", "20ms")
	require.Equal(t, ExitOK, code, errs)
	assert.Contains(t, out, "Predict")
	assert.Contains(t, out, "TrainStep")
	assert.Contains(t, out, "examples/s")
}

// The sequence-to-sequence autoencoder reads each image as (28, 28) rows and has a
// target of that shape: the command trains it as a reconstruction model (its test
// loss falls from the untrained BCE near ln 2), evaluates it and draws its grid.
func TestTheCommandTrainsASequenceAutoencoder(t *testing.T) {
	if testing.Short() {
		t.Skip("trains an LSTM autoencoder for two epochs")
	}
	mnist := tinyMNIST(t, 320, 20)
	dir := t.TempDir()
	weights, grid := filepath.Join(dir, "seqae.safetensors"), filepath.Join(dir, "grid.png")
	spec, err := SpecOf(newSeqAE())
	require.NoError(t, err)
	assert.Equal(t, Reconstruction, spec.Task)
	assert.Equal(t, []int{28, 28}, spec.InputShape)

	untrained := newSeqAE() // the weights training starts from (seed 1)
	require.NoError(t, untrained.Init(1))
	require.NoError(t, untrained.SaveWeights(weights))
	code, out, errs := runCLI(t, "seqae", newSeqAE, "eval", "-data", mnist, "-weights", weights)
	require.Equal(t, ExitOK, code, errs)
	before := testLoss(t, out)
	assert.InDelta(t, 0.69, before, 0.05, "an untrained sigmoid output near 0.5 scores about ln 2")

	code, out, errs = runCLI(t, "seqae", newSeqAE, "train", "-data", mnist, "-epochs", "3", "-weights", weights, "-grid", grid, "-quiet")
	require.Equal(t, ExitOK, code, "stdout:\n%s\nstderr:\n%s", out, errs)
	assert.Contains(t, out, "seq_ae (reconstruction)")
	assert.NotContains(t, out, "accuracy")
	img := checkPNG(t, grid)
	assert.Equal(t, 10*58+2, img.Bounds().Dx())
	assert.Equal(t, 3*58+2, img.Bounds().Dy())

	code, out, errs = runCLI(t, "seqae", newSeqAE, "eval", "-data", mnist, "-weights", weights)
	require.Equal(t, ExitOK, code, errs)
	assert.Contains(t, out, "20 examples")
	after := testLoss(t, out)
	assert.Less(t, after, before-0.2, "training lowers the test BCE")
	code, _, errs = runCLI(t, "seqae", newSeqAE, "predict", "-data", mnist, "-weights", weights, "-n", "4", "-grid", grid)
	require.Equal(t, ExitOK, code, errs)
	assert.Equal(t, 4*58+2, checkPNG(t, grid).Bounds().Dx())
}

// testLoss reads the loss from eval's report ("... examples  loss 0.2948 ...").
func testLoss(t *testing.T, out string) float64 {
	t.Helper()
	f := strings.Fields(out[strings.Index(out, "examples"):])
	require.GreaterOrEqual(t, len(f), 3, out)
	require.Equal(t, "loss", f[1], out)
	v, err := strconv.ParseFloat(f[2], 64)
	require.NoError(t, err, out)
	return v
}
