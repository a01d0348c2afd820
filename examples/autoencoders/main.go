// Command autoencoders trains one of the autoencoders of package models on MNIST from
// its generated package (generated/<name>), reports the reconstruction loss on the
// test set before and after training, and draws reconstructions as a PNG: inputs
// above outputs, and for the denoising models corrupted inputs, outputs and clean
// targets. For the VAE it also decodes random codes and a grid of the code plane
// with the generated VAEDecoder loaded from the VAE's weight file, and draws the
// test set's mean codes coloured by digit.
//
// The generic command of package train does not fit these models: they have no
// target (each reconstructs its own input, and the denoising ones corrupt it inside
// the model while training) and most have a second output (the code). So this
// program runs the training loop itself over the generated methods, which is all
// a Go program that embeds a generated model needs to do.
//
//	go run ./examples/autoencoders -model undercomplete_ae -data mnist -epochs 5
//	go run ./examples/autoencoders -model vae -data mnist -epochs 10
//
// See docs/AUTOENCODERS.md for every model's command and results.
package main

import (
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"time"

	"github.com/dlgen/dlgen/rt"
	"github.com/dlgen/dlgen/rt/data"
	"github.com/dlgen/dlgen/train"
)

type config struct {
	model          string
	dataDir        string
	trainN, testN  int
	epochs, batch  int
	lr             float64
	seed           uint64
	threads        int
	imgDir         string
	weights        string
	load           string
	show           int
	latentExamples int
}

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "autoencoders:", err)
		os.Exit(1)
	}
}

func run(args []string, out io.Writer) error {
	var c config
	fs := flag.NewFlagSet("autoencoders", flag.ContinueOnError)
	fs.StringVar(&c.model, "model", "undercomplete_ae", fmt.Sprintf("the `autoencoder`: %v", names()))
	fs.StringVar(&c.dataDir, "data", "", "`dir`ectory of the MNIST IDX files; \"mnist\" is the full set (data.FindGoMNIST);\ndefault: the 2000/500 subset in testdata/mnist")
	fs.IntVar(&c.trainN, "train", 0, "train on the first `n` training examples only (0: all)")
	fs.IntVar(&c.testN, "test", 0, "evaluate on the first `n` test examples only (0: all)")
	fs.IntVar(&c.epochs, "epochs", 5, "`number` of epochs")
	fs.IntVar(&c.batch, "batch", 0, "examples per `step` (default the model's MaxBatch)")
	fs.Float64Var(&c.lr, "lr", 1e-3, "Adam's learning `rate`")
	fs.Uint64Var(&c.seed, "seed", 1, "random `seed` of the weights, the shuffling and the corruption of test images")
	fs.IntVar(&c.threads, "threads", 1, "`threads` (GOMAXPROCS)")
	fs.StringVar(&c.imgDir, "img", filepath.Join("docs", "img"), "`dir`ectory for the PNGs (ae_<model>.png, and ae_vae_*.png)")
	fs.StringVar(&c.weights, "weights", "", "write the trained weights to this `file` (default <tmp>/<model>.safetensors)")
	fs.StringVar(&c.load, "load", "", "start from the weights in this `file` (with -epochs 0: only evaluate and draw)")
	fs.IntVar(&c.show, "show", 10, "`number` of test examples drawn")
	fs.IntVar(&c.latentExamples, "latent", 5000, "VAE: `number` of test examples in the latent scatter plot")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if c.threads > 0 {
		runtime.GOMAXPROCS(c.threads)
	}
	ae, err := lookup(c.model)
	if err != nil {
		return err
	}
	if c.epochs < 0 || c.epochs == 0 && c.load == "" {
		return fmt.Errorf("-epochs %d: train at least one epoch, or -load weights to evaluate", c.epochs)
	}
	if c.weights == "" {
		c.weights = filepath.Join(os.TempDir(), c.model+".safetensors")
	}
	trainSet, testSet, where, err := loadMNIST(c.dataDir)
	if err != nil {
		return err
	}
	if trainSet, err = first(trainSet, c.trainN); err != nil {
		return err
	}
	if testSet, err = first(testSet, c.testN); err != nil {
		return err
	}
	m := ae.new()
	if c.batch == 0 {
		c.batch = m.maxBatch
	}
	if c.batch < 1 || c.batch > m.maxBatch {
		return fmt.Errorf("-batch %d is outside [1, %d]", c.batch, m.maxBatch)
	}
	if err := m.init(c.seed); err != nil {
		return err
	}
	if c.load != "" {
		if err := m.load(c.load); err != nil {
			return err
		}
	}
	opt := rt.NewAdam()
	opt.LR = c.lr
	m.setOpt(opt)
	fmt.Fprintf(out, "%s (%s): %d training, %d test examples from %s; Adam lr %g, batch %d, %d epochs, seed %d, %d threads\n",
		c.model, ae.doc, trainSet.Len(), testSet.Len(), where, c.lr, c.batch, c.epochs, c.seed, runtime.GOMAXPROCS(0))

	// The corrupted test images are fixed by the seed, so before and after compare.
	noisyTest := corrupt(testSet.X, ae.noise, c.seed, testStream)
	before, err := evaluate(m, testSet.X, noisyTest, c.batch)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "before: %s\n", before)

	t0 := time.Now()
	for epoch := 1; epoch <= c.epochs; epoch++ {
		te := time.Now()
		loss, err := trainEpoch(m, trainSet, c.batch, c.seed, uint64(epoch))
		if err != nil {
			return fmt.Errorf("epoch %d: %w", epoch, err)
		}
		fmt.Fprintf(out, "epoch %d: train loss %.5f (%.1fs)\n", epoch, loss, time.Since(te).Seconds())
	}
	wall := time.Since(t0)

	after, err := evaluate(m, testSet.X, noisyTest, c.batch)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "after:  %s\n", after)
	fmt.Fprintf(out, "trained %d epochs (%d steps) in %.1fs\n", c.epochs, m.steps(), wall.Seconds())
	if c.epochs > 0 {
		if err := m.save(c.weights); err != nil {
			return err
		}
		fmt.Fprintf(out, "weights in %s\n", c.weights)
	} else {
		c.weights = c.load
	}

	png := filepath.Join(c.imgDir, "ae_"+c.model+".png")
	if err := drawReconstructions(m, testSet.X, noisyTest, ae.noise != clean, c.show, png); err != nil {
		return err
	}
	fmt.Fprintf(out, "reconstructions in %s\n", png)
	if c.model == "vae" {
		if err := vaePictures(c, m, testSet, out); err != nil {
			return err
		}
	}
	return nil
}

// loadMNIST reads the full set ("mnist"), the shipped subset ("") or a directory.
func loadMNIST(dir string) (trainSet, testSet *data.Dataset, where string, err error) {
	switch dir {
	case "mnist":
		if dir, err = data.FindGoMNIST(); err != nil {
			return nil, nil, "", err
		}
		where = "the full MNIST set"
	case "":
		if dir, err = shippedMNIST(); err != nil {
			return nil, nil, "", err
		}
		where = "the shipped subset testdata/mnist"
	default:
		where = dir
	}
	trainSet, testSet, err = data.MNIST(dir)
	return trainSet, testSet, where, err
}

// shippedMNIST finds testdata/mnist in the working directory or a parent.
func shippedMNIST() (string, error) {
	wd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for d := wd; ; d = filepath.Dir(d) {
		p := filepath.Join(d, "testdata", "mnist")
		if _, err := os.Stat(filepath.Join(p, data.MNISTTrainLabels)); err == nil {
			return p, nil
		}
		if filepath.Dir(d) == d {
			return "", fmt.Errorf("no testdata/mnist in %s or its parents; name a directory with -data, or -data mnist", wd)
		}
	}
}

// first returns the first n examples of d (all of them for n = 0).
func first(d *data.Dataset, n int) (*data.Dataset, error) {
	if n <= 0 || n >= d.Len() {
		return d, nil
	}
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	return d.Subset(idx)
}

// Random streams of the corruption of the test images (rt.Normal, rt.Keep).
var testStream = rt.NameStream("examples/autoencoders.test_noise")

// corrupt returns x as a denoising model sees it while training (a copy), or x
// itself for a model that is not corrupted. The draws depend on (seed, stream, the
// value's index) only.
func corrupt(x []float32, kind corruption, seed, stream uint64) []float32 {
	switch kind {
	case gaussian:
		y := make([]float32, len(x))
		for i, v := range x {
			y[i] = v + float32(0.5*rt.Normal(seed, stream, uint64(i)))
		}
		return y
	case masking:
		y := make([]float32, len(x))
		keep := rt.KeepThreshold(0.3)
		for i, v := range x {
			if rt.Keep(seed, stream, uint64(i), keep) {
				y[i] = v
			}
		}
		return y
	}
	return x
}

// trainEpoch takes one pass over d in the epoch's shuffled order and returns the
// mean training loss (as TrainStep reports it, before each step).
func trainEpoch(m *net, d *data.Dataset, batch int, seed, epoch uint64) (float64, error) {
	b, err := d.Batches(batch, data.Permutation(d.Len(), seed, epoch))
	if err != nil {
		return 0, err
	}
	var sum float64
	n := 0
	for x, ok := b.Next(); ok; x, ok = b.Next() {
		loss, err := m.train(x.N, x.X)
		if err != nil {
			return 0, err
		}
		if math.IsNaN(float64(loss)) || math.IsInf(float64(loss), 0) {
			return 0, fmt.Errorf("step %d: the loss is %g", m.steps(), loss)
		}
		sum += float64(loss) * float64(x.N)
		n += x.N
	}
	return sum / float64(n), nil
}

// metrics are a model's scores on the test set in inference mode: Objective is its
// own loss (Loss: the reconstruction term and any penalty, on clean inputs), BCE and
// MSE the per-pixel binary cross-entropy and squared error of its reconstruction of
// the clean images, and for a denoising model NoisyBCE and NoisyMSE the same for its
// output from the corrupted images. For a model with a code, CodeMean is the mean
// code value and CodeZero the share of code values below 1e-3 (a ReLU unit that is
// off, a sigmoid unit that is nearly so): what the sparsity penalties act on.
type metrics struct {
	Objective          float64
	BCE, MSE           float64
	NoisyBCE, NoisyMSE float64
	CodeMean, CodeZero float64
	denoising, code    bool
}

func (m metrics) String() string {
	s := fmt.Sprintf("objective %.5f, reconstruction BCE %.5f, MSE %.5f", m.Objective, m.BCE, m.MSE)
	if m.denoising {
		s += fmt.Sprintf("; from corrupted inputs BCE %.5f, MSE %.5f", m.NoisyBCE, m.NoisyMSE)
	}
	if m.code {
		s += fmt.Sprintf("; code mean %.4f, %.1f%% below 1e-3", m.CodeMean, 100*m.CodeZero)
	}
	return s
}

// evaluate scores m on the clean images x and, if noisy is not x, on the corrupted
// ones against the clean.
func evaluate(m *net, x, noisy []float32, batch int) (metrics, error) {
	const size = 784
	met := metrics{denoising: &noisy[0] != &x[0], code: m.codeSize > 0 && !m.signed}
	n := len(x) / size
	recon := make([]float32, batch*size)
	var code []float32
	if m.codeSize > 0 {
		code = make([]float32, batch*m.codeSize)
	}
	var obj, bce, mse, nbce, nmse float64
	for lo := 0; lo < n; lo += batch {
		k := min(batch, n-lo)
		xb := x[lo*size : (lo+k)*size]
		l, err := m.loss(k, xb)
		if err != nil {
			return met, err
		}
		obj += float64(l) * float64(k)
		if err := m.predict(k, xb, recon[:k*size], code[:k*m.codeSize]); err != nil {
			return met, err
		}
		b, s := scores(recon[:k*size], xb)
		bce, mse = bce+b, mse+s
		for _, v := range code[:k*m.codeSize] {
			met.CodeMean += float64(v)
			if v < 1e-3 {
				met.CodeZero++
			}
		}
		if met.denoising {
			if err := m.predict(k, noisy[lo*size:(lo+k)*size], recon[:k*size], code[:k*m.codeSize]); err != nil {
				return met, err
			}
			b, s := scores(recon[:k*size], xb)
			nbce, nmse = nbce+b, nmse+s
		}
	}
	pixels := float64(n * size)
	met.Objective = obj / float64(n)
	met.BCE, met.MSE = bce/pixels, mse/pixels
	met.NoisyBCE, met.NoisyMSE = nbce/pixels, nmse/pixels
	if met.code {
		met.CodeMean /= float64(n * m.codeSize)
		met.CodeZero /= float64(n * m.codeSize)
	}
	return met, nil
}

// scores returns the summed binary cross-entropy (probabilities clipped to
// [1e-7, 1-1e-7], as Keras' binary_crossentropy) and squared error of p against t.
func scores(p, t []float32) (bce, se float64) {
	const eps = 1e-7
	for i, v := range p {
		q := min(max(float64(v), eps), 1-eps)
		y := float64(t[i])
		bce -= y*math.Log(q) + (1-y)*math.Log(1-q)
		d := float64(v) - y
		se += d * d
	}
	return bce, se
}

// drawReconstructions draws the first show test images: rows input and output, or
// for a denoising model corrupted input, output and clean target.
func drawReconstructions(m *net, x, noisy []float32, denoising bool, show int, path string) error {
	const size = 784
	show = min(show, len(x)/size, m.maxBatch)
	in := x
	if denoising {
		in = noisy
	}
	recon := make([]float32, show*size)
	code := make([]float32, show*m.codeSize)
	if err := m.predict(show, in[:show*size], recon, code); err != nil {
		return err
	}
	rows := make([][][]float32, 2, 3)
	for i := range show {
		rows[0] = append(rows[0], in[i*size:(i+1)*size])
		rows[1] = append(rows[1], recon[i*size:(i+1)*size])
	}
	if denoising {
		var targets [][]float32
		for i := range show {
			targets = append(targets, x[i*size:(i+1)*size])
		}
		rows = append(rows, targets)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return train.WriteGrid(path, rows, 28, 28, 2)
}
