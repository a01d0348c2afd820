package train

import (
	"errors"
	"flag"
	"fmt"
	"image"
	_ "image/jpeg" // predict reads JPEG as well as PNG
	_ "image/png"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"golang.org/x/term"

	"github.com/dlgen/dlgen/rt"
	"github.com/dlgen/dlgen/rt/data"
)

// Exit codes of Main.
const (
	ExitOK      = 0
	ExitFailure = 1 // the work failed: bad data, a weight file that does not fit, a diverging run
	ExitUsage   = 2 // the command line is wrong
)

// usageError marks an error in the command line, which exits with ExitUsage.
type usageError struct{ error }

func usagef(format string, args ...any) error { return usageError{fmt.Errorf(format, args...)} }

// Env is where Main reads and writes; the zero value means the process's own.
type Env struct {
	Stdout, Stderr io.Writer
}

// Main runs the command line args (without the program name) of the command for a
// model named name, whose packages New is newModel, and returns the exit code. See
// the command's help for the subcommands train, eval, predict and bench.
func Main(name string, newModel func() Model, args []string) int {
	return Run(Env{}, name, newModel, args)
}

// Run is Main with explicit output streams.
func Run(env Env, name string, newModel func() Model, args []string) int {
	if env.Stdout == nil {
		env.Stdout = os.Stdout
	}
	if env.Stderr == nil {
		env.Stderr = os.Stderr
	}
	c := &cli{env: env, name: name, newModel: newModel}
	err := c.run(args)
	switch {
	case err == nil:
		return ExitOK
	case errors.Is(err, flag.ErrHelp):
		return ExitOK
	}
	fmt.Fprintf(env.Stderr, "%s: %v\n", name, err)
	var u usageError
	if errors.As(err, &u) {
		fmt.Fprintf(env.Stderr, "run '%s help' for usage\n", name)
		return ExitUsage
	}
	return ExitFailure
}

type cli struct {
	env      Env
	name     string
	newModel func() Model
}

var subcommands = []struct{ name, synopsis string }{
	{"train", "train the model and save its weights (and checkpoints, loss curves)"},
	{"eval", "report the loss and accuracy of saved weights on the test set"},
	{"predict", "run saved weights on images (PNG, JPEG) or on test examples"},
	{"bench", "measure the speed of Predict and TrainStep"},
}

func (c *cli) usage(w io.Writer) {
	fmt.Fprintf(w, "%s trains, evaluates, runs and benchmarks the dlgen-generated model %s.\n\nUsage:\n\n\t%s <command> [flags]\n\nCommands:\n\n", c.name, c.name, c.name)
	for _, s := range subcommands {
		fmt.Fprintf(w, "\t%-8s %s\n", s.name, s.synopsis)
	}
	fmt.Fprintf(w, "\nRun '%s help <command>' (or '%s <command> -h') for its flags.\n", c.name, c.name)
}

func (c *cli) run(args []string) error {
	if len(args) == 0 {
		c.usage(c.env.Stderr)
		return usageError{errors.New("no command given")}
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "help", "-h", "-help", "--help":
		if len(rest) == 0 {
			c.usage(c.env.Stdout)
			return nil
		}
		if len(rest) > 1 {
			return usagef("help takes one command, got %q", rest)
		}
		cmd, rest = rest[0], []string{"-h"}
	}
	switch cmd {
	case "train":
		return c.train(rest)
	case "eval":
		return c.eval(rest)
	case "predict":
		return c.predict(rest)
	case "bench":
		return c.bench(rest)
	}
	return usagef("unknown command %q (commands: train, eval, predict, bench)", cmd)
}

// flagSet returns a flag set for a subcommand that reports errors instead of
// exiting, and prints its help to stdout on -h.
func (c *cli) flagSet(cmd, args, doc string) *flag.FlagSet {
	fs := flag.NewFlagSet(c.name+" "+cmd, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {
		w := c.env.Stdout
		fmt.Fprintf(w, "Usage: %s %s [flags]%s\n\n%s\n\nFlags:\n", c.name, cmd, args, doc)
		fs.SetOutput(w)
		fs.PrintDefaults()
		fs.SetOutput(io.Discard)
	}
	return fs
}

func (c *cli) parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fs.Usage()
			return err
		}
		return usageError{err}
	}
	return nil
}

// optFloat is a float flag that remembers whether it was set, for hyper-parameters
// whose default belongs to the optimizer.
type optFloat struct{ p **float64 }

func (o optFloat) String() string {
	if o.p == nil || *o.p == nil {
		return ""
	}
	return strconv.FormatFloat(**o.p, 'g', -1, 64)
}

func (o optFloat) Set(s string) error {
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return errors.New("not a number")
	}
	*o.p = &v
	return nil
}

// dataFlag is the -data flag.
func dataFlag(fs *flag.FlagSet) *string { return fs.String("data", "", dataDoc) }

const dataDoc = "the data `set`: a directory with the MNIST IDX files (train-images-idx3-ubyte.gz, ...); \"mnist\", the full set\nfrom the Go module " + data.GoMNISTModule + " (module cache or GOPROXY); or a NumPy data set, an .npz file\nor a directory of .npy files holding x_train, y_train, x_test, y_test as Keras' load_data() returns them\n(uint8 x scaled to [0, 1]);\ndefault: the 2000/500-example MNIST subset shipped in dlgen's testdata/mnist"

func threadsFlag(fs *flag.FlagSet) *int { return fs.Int("threads", 0, threadsDoc) }

const threadsDoc = "number of `threads` (GOMAXPROCS); 0 leaves Go's default, one per core"

func setThreads(m Model, n int) error {
	if n < 0 {
		return usagef("-threads %d must be ≥ 0", n)
	}
	if n > 0 {
		runtime.GOMAXPROCS(n)
		if t, ok := m.(interface{ SetThreads(int) }); ok {
			t.SetThreads(n)
		}
	}
	return nil
}

// loadData reads the training and test sets the -data flag names.
func loadData(dir string, spec *Spec) (train, test *data.Dataset, where string, err error) {
	if dir != "" && dir != "mnist" && data.IsNumPySet(dir) {
		s, err := data.ReadNumPySet(dir)
		if err != nil {
			return nil, nil, "", err
		}
		train, test, err := numpyData(s, spec)
		return train, test, dir, err
	}
	if spec.Task == Regression || spec.IntInput || spec.Labels > 1 {
		what := "float targets"
		switch {
		case spec.IntInput:
			what = "int ids as input"
		case spec.Labels > 1:
			what = fmt.Sprintf("%v class labels per example", spec.TargetShape)
		}
		return nil, nil, "", usagef("model %s needs %s, which MNIST does not have: name a NumPy data set with -data (x_train, y_train, x_test, y_test in an .npz file or a directory of .npy files)", spec.Name, what)
	}
	switch dir {
	case "":
		if dir, err = shippedMNIST(); err != nil {
			return nil, nil, "", err
		}
	case "mnist":
		if dir, err = data.FindGoMNIST(); err != nil {
			return nil, nil, "", err
		}
	}
	train, test, err = data.MNIST(dir)
	return train, test, dir, err
}

// shippedMNIST finds the MNIST subset in dlgen's testdata/mnist: below the working
// directory or one of its parents (a checkout of dlgen), else next to this
// package's source when the binary was built from one.
func shippedMNIST() (string, error) {
	rel := filepath.Join("testdata", "mnist")
	var tried []string
	if wd, err := os.Getwd(); err == nil {
		for d := wd; ; d = filepath.Dir(d) {
			p := filepath.Join(d, rel)
			if fileExists(filepath.Join(p, data.MNISTTrainLabels)) {
				return p, nil
			}
			if filepath.Dir(d) == d {
				break
			}
		}
		tried = append(tried, wd+" and its parents")
	}
	if _, file, _, ok := runtime.Caller(0); ok && filepath.IsAbs(file) {
		p := filepath.Join(filepath.Dir(file), "..", rel)
		if fileExists(filepath.Join(p, data.MNISTTrainLabels)) {
			return p, nil
		}
		tried = append(tried, filepath.Clean(p))
	}
	return "", fmt.Errorf("the MNIST subset of dlgen's testdata/mnist is not in %s; name a directory with -data, or use -data mnist", strings.Join(tried, ", "))
}

// isTerminal reports whether w is a terminal, where a progress bar can redraw its
// line; in a log file or a pipe it would leave every frame behind.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// trainArgs are the train subcommand's settings: the run's Config and the flags
// outside it.
type trainArgs struct {
	cfg     Config
	data    string
	val     float64
	grid    string
	threads int
	quiet   bool
}

// parseTrain parses the train subcommand's flags.
func (c *cli) parseTrain(args []string) (*trainArgs, error) {
	fs := c.flagSet("train", "", "Train the model on the training set of -data, holding out -val of it for validation, save the\nweights to -weights and report the loss and accuracy on the test set.")
	a := &trainArgs{}
	cfg := &a.cfg
	fs.StringVar(&a.data, "data", "", dataDoc)
	fs.StringVar(&cfg.Optimizer, "optimizer", "adam", "`name`: "+strings.Join(Optimizers, ", "))
	fs.Var(optFloat{&cfg.LR}, "lr", "learning `rate` (default: the optimizer's, as PyTorch: 0.01 for sgd, momentum, nesterov, adagrad, rmsprop;\n1 for adadelta; 0.001 for adam, amsgrad, adamw; 0.002 for adamax, nadam)")
	fs.Var(optFloat{&cfg.Momentum}, "momentum", "`momentum` for sgd, momentum, nesterov, rmsprop (default 0.9 for momentum and nesterov, else 0)")
	fs.Var(optFloat{&cfg.WeightDecay}, "weight-decay", "weight `decay`: L2 penalty added to the gradient, decoupled for adamw (default 0, 0.01 for adamw)")
	fs.StringVar(&cfg.Schedule, "schedule", "none", "learning-rate `schedule` per epoch: none, step (×gamma every -step-size epochs), exp (×gamma every epoch), cosine (to 0 over -epochs)")
	fs.Float64Var(&cfg.Gamma, "gamma", 0, "`factor` of the step and exp schedules (default 0.1 for step, 0.95 for exp)")
	fs.IntVar(&cfg.StepSize, "step-size", 0, "`epochs` between steps of the step schedule (default a third of -epochs)")
	fs.IntVar(&cfg.Epochs, "epochs", 5, "`number` of epochs to train (in total, when resuming)")
	fs.IntVar(&cfg.Batch, "batch", 0, "examples per training `step` (default min(32, MaxBatch))")
	fs.Uint64Var(&cfg.Seed, "seed", 1, "random `seed` of the initial weights, shuffling, validation split and noise")
	fs.Float64Var(&a.val, "val", 0.1, "`fraction` of the training set held out for validation (0 for none)")
	fs.Float64Var(&cfg.ClipNorm, "clip-norm", 0, "clip the gradients to a global L2 `norm` of at most this (0: no clipping)")
	fs.Float64Var(&cfg.ClipValue, "clip-value", 0, "clip every gradient element to [-`v`, v] (0: no clipping)")
	fs.Float64Var(&cfg.Noise, "noise", 0, "autoencoders: Gaussian noise `factor` for the input, clipped to [0, 1] (denoising)")
	fs.StringVar(&cfg.Checkpoint, "checkpoint", "", "write a checkpoint to this `file` after every epoch (safetensors, atomically)")
	fs.BoolVar(&cfg.Resume, "resume", false, "continue training from -checkpoint")
	fs.StringVar(&cfg.InitWeights, "init", "", "start from the weights in this `file` instead of seeded ones")
	fs.StringVar(&cfg.Weights, "weights", c.name+".safetensors", "write the trained weights to this `file`")
	fs.StringVar(&cfg.Curves, "curves", "", "draw the loss per epoch to this PNG `file`")
	fs.BoolVar(&cfg.Monitor, "monitor", false, "print every weight's gradient norm (before clipping, mean over the epoch's steps) after each epoch")
	fs.StringVar(&cfg.GradCurves, "grad-curves", "", "draw every weight's gradient norm per epoch to this PNG `file` (log scale; implies -monitor)")
	fs.StringVar(&a.grid, "grid", "", "autoencoders: draw noisy input, output and clean input of 10 test examples to this PNG `file`")
	fs.IntVar(&a.threads, "threads", 0, threadsDoc)
	fs.BoolVar(&a.quiet, "quiet", false, "no progress bar (there is none either when stderr is not a terminal)")
	if err := c.parse(fs, args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, usagef("train takes no arguments, got %q", fs.Args())
	}
	return a, nil
}

func (c *cli) train(args []string) error {
	a, err := c.parseTrain(args)
	if err != nil {
		return err
	}
	cfg, val, grid, threads, quiet, dataDir := a.cfg, &a.val, &a.grid, &a.threads, &a.quiet, &a.data
	m := c.newModel()
	spec, err := SpecOf(m)
	if err != nil {
		return err
	}
	if err := setThreads(m, *threads); err != nil {
		return err
	}
	// Check the flags before reading any data.
	if err := cfg.defaults(spec); err != nil {
		return usageError{err}
	}
	if _, err := NewOptimizer(cfg.Optimizer, cfg.Hyper); err != nil {
		return usageError{err}
	}
	if _, err := NewSchedule(cfg.Schedule, cfg.Epochs, cfg.Gamma, cfg.StepSize); err != nil {
		return usageError{err}
	}
	if !(*val >= 0 && *val < 1) {
		return usagef("-val %g must be in [0, 1)", *val)
	}
	if *grid != "" && spec.Task != Reconstruction {
		return usagef("-grid draws an autoencoder's images; %s is a classifier", spec.Name)
	}
	trainSet, testSet, where, err := loadData(*dataDir, spec)
	if err != nil {
		return err
	}
	var valSet *data.Dataset
	if *val > 0 {
		if trainSet, valSet, err = trainSet.Split(*val, cfg.Seed); err != nil {
			return err
		}
	}
	cfg.Log = c.env.Stdout
	if !*quiet && isTerminal(c.env.Stderr) {
		cfg.Progress = c.env.Stderr
	}
	nVal := 0
	if valSet != nil {
		nVal = valSet.Len()
	}
	fmt.Fprintf(c.env.Stdout, "%s (%s): %d training and %d validation examples from %s\n", spec.Name, spec.Task, trainSet.Len(), nVal, where)
	if spec.Ignores && trainSet.Y != nil {
		fmt.Fprintf(c.env.Stdout, "labels %d are ignored: %d of the %d training labels\n", spec.Ignore, len(trainSet.Y)-spec.kept(trainSet.Y), len(trainSet.Y))
	}
	opt, _ := NewOptimizer(cfg.Optimizer, cfg.Hyper)
	fmt.Fprintf(c.env.Stdout, "%s %+v, schedule %s, batch %d, %d epochs, seed %d, %d threads\n", cfg.Optimizer, deref(opt), cfg.Schedule, cfg.Batch, cfg.Epochs, cfg.Seed, runtime.GOMAXPROCS(0))
	t0 := time.Now()
	res, err := Train(m, trainSet, valSet, cfg)
	if err != nil {
		return err
	}
	fmt.Fprintf(c.env.Stdout, "trained %d epochs (%d steps) in %.1fs; weights in %s\n", len(res.History), res.Steps, time.Since(t0).Seconds(), cfg.Weights)
	met, err := Evaluate(m, testSet, cfg.Batch, cfg.Noise, cfg.Seed)
	if err != nil {
		return err
	}
	fmt.Fprintf(c.env.Stdout, "test: %s\n", met)
	if cfg.Curves != "" {
		fmt.Fprintf(c.env.Stdout, "loss curves in %s\n", cfg.Curves)
	}
	if cfg.GradCurves != "" {
		fmt.Fprintf(c.env.Stdout, "gradient norms in %s\n", cfg.GradCurves)
	}
	if *grid != "" {
		if err := c.writeGrid(m, spec, testSet, *grid, 10, cfg.Noise, cfg.Seed); err != nil {
			return err
		}
	}
	return nil
}

// deref prints the optimizer's value rather than its address.
func deref(o rt.Optimizer) any {
	switch v := o.(type) {
	case *rt.SGD:
		return *v
	case *rt.Adagrad:
		return *v
	case *rt.Adadelta:
		return *v
	case *rt.RMSprop:
		return *v
	case *rt.Adam:
		return *v
	case *rt.AdamW:
		return *v
	case *rt.Adamax:
		return *v
	case *rt.NAdam:
		return *v
	}
	return o
}

// loadWeights makes a model and loads the -weights file into it.
func (c *cli) loadWeights(path string) (Model, *Spec, error) {
	m := c.newModel()
	spec, err := SpecOf(m)
	if err != nil {
		return nil, nil, err
	}
	if path == "" {
		return nil, nil, usagef("-weights is required: the file that train wrote")
	}
	if err := m.LoadWeights(path); err != nil {
		return nil, nil, err
	}
	return m, spec, nil
}

func (c *cli) eval(args []string) error {
	fs := c.flagSet("eval", "", "Report the loss and accuracy of the weights in -weights on the test set of -data.")
	dataDir := dataFlag(fs)
	weights := fs.String("weights", c.name+".safetensors", "the weights `file` to evaluate")
	batch := fs.Int("batch", 0, "examples per `batch` (default MaxBatch)")
	noise := fs.Float64("noise", 0, "autoencoders: Gaussian noise `factor` for the input, clipped to [0, 1]")
	seed := fs.Uint64("seed", 1, "random `seed` of the noise")
	threads := threadsFlag(fs)
	if err := c.parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("eval takes no arguments, got %q", fs.Args())
	}
	m, spec, err := c.loadWeights(*weights)
	if err != nil {
		return err
	}
	if err := setThreads(m, *threads); err != nil {
		return err
	}
	_, testSet, where, err := loadData(*dataDir, spec)
	if err != nil {
		return err
	}
	t0 := time.Now()
	met, err := Evaluate(m, testSet, *batch, *noise, *seed)
	if err != nil {
		return err
	}
	fmt.Fprintf(c.env.Stdout, "%s on the test set of %s: %s (%.1fs)\n", *weights, where, met, time.Since(t0).Seconds())
	return nil
}

func (c *cli) predict(args []string) error {
	fs := c.flagSet("predict", " [image ...]", "Run the weights in -weights on the named images (PNG or JPEG, grayscale, the model's input size,\nwhite on black as MNIST) or, without any, on the first -n examples of the test set of -data.\nA classifier prints the class and its probability; an autoencoder draws -grid.")
	dataDir := dataFlag(fs)
	weights := fs.String("weights", c.name+".safetensors", "the weights `file`")
	n := fs.Int("n", 10, "`number` of test examples to run when no image is named")
	noise := fs.Float64("noise", 0, "autoencoders: Gaussian noise `factor` for the input, clipped to [0, 1]")
	seed := fs.Uint64("seed", 1, "random `seed` of the noise")
	grid := fs.String("grid", c.name+"-grid.png", "autoencoders: the PNG `file` of noisy inputs, outputs and clean inputs")
	if err := c.parse(fs, args); err != nil {
		return err
	}
	m, spec, err := c.loadWeights(*weights)
	if err != nil {
		return err
	}
	if *n < 1 {
		return usagef("-n %d must be at least 1", *n)
	}
	var set *data.Dataset
	var names []string
	if fs.NArg() > 0 {
		if spec.Task == Regression || spec.IntInput {
			return usagef("model %s does not take images; run it on the test set of -data (without file arguments)", spec.Name)
		}
		if set, err = readImages(spec, fs.Args()); err != nil {
			return err
		}
		names = fs.Args()
	} else {
		_, testSet, _, err := loadData(*dataDir, spec)
		if err != nil {
			return err
		}
		idx := make([]int, min(*n, testSet.Len()))
		for i := range idx {
			idx[i] = i
			names = append(names, fmt.Sprintf("test[%d]", i))
		}
		if set, err = testSet.Subset(idx); err != nil {
			return err
		}
	}
	if spec.Task == Reconstruction {
		return c.writeGrid(m, spec, set, *grid, set.Len(), *noise, *seed)
	}
	if *noise != 0 {
		return usagef("-noise is for autoencoders; %s is a %s model", spec.Name, spec.Task)
	}
	out, err := predictAll(m, spec, set.X, set.Len())
	if err != nil {
		return err
	}
	if spec.Task == Regression {
		size := spec.OutputSize()
		for i, name := range names {
			line := fmt.Sprintf("%s: %s", name, values(out[i*size:(i+1)*size]))
			if set.T != nil && set.TargetSize == size {
				line += "  target " + values(set.T[i*size:(i+1)*size])
			}
			fmt.Fprintln(c.env.Stdout, line)
		}
		return nil
	}
	if spec.Labels > 1 {
		return c.printTags(spec, names, out, set)
	}
	for i, name := range names {
		p := out[i*spec.Classes : (i+1)*spec.Classes]
		k := Argmax(p)
		pk := float64(p[k])
		if spec.LogProbs {
			pk = math.Exp(pk)
		}
		line := fmt.Sprintf("%s: %d (p %.3f)", name, k, pk)
		if set.Y != nil {
			mark := "right"
			switch {
			case spec.ignored(set.Y[i]):
				mark = "ignored"
			case int(set.Y[i]) != k:
				mark = "WRONG"
			}
			line += fmt.Sprintf("  label %d  %s", set.Y[i], mark)
		}
		fmt.Fprintln(c.env.Stdout, line)
	}
	return nil
}

// printTags prints a tagger's classes per position for each item (the first 20),
// and with labels how many are right out of those not labelled the ignore index.
func (c *cli) printTags(spec *Spec, names []string, out []float32, set *data.Dataset) error {
	L, C := spec.Labels, spec.Classes
	for i, name := range names {
		tags := make([]int, L)
		right, scored := 0, L
		for j := range tags {
			tags[j] = Argmax(out[(i*L+j)*C : (i*L+j+1)*C])
			switch {
			case set.Y == nil:
			case spec.ignored(set.Y[i*L+j]):
				scored-- // padding: not scored
			case int(set.Y[i*L+j]) == tags[j]:
				right++
			}
		}
		line := fmt.Sprintf("%s: %s", name, ints(tags))
		if set.Y != nil {
			labels := make([]int, L)
			for j := range labels {
				labels[j] = int(set.Y[i*L+j])
			}
			line += fmt.Sprintf("  labels %s  %d/%d right", ints(labels), right, scored)
		}
		fmt.Fprintln(c.env.Stdout, line)
	}
	return nil
}

// ints prints up to twenty ints, and how many more there are.
func ints(v []int) string {
	var b strings.Builder
	b.WriteString("[")
	for i, x := range v[:min(len(v), 20)] {
		if i > 0 {
			b.WriteString(" ")
		}
		fmt.Fprint(&b, x)
	}
	if len(v) > 20 {
		fmt.Fprintf(&b, " … %d more", len(v)-20)
	}
	b.WriteString("]")
	return b.String()
}

// values prints up to eight values of v, and how many more there are.
func values(v []float32) string {
	var b strings.Builder
	b.WriteString("[")
	for i, x := range v[:min(len(v), 8)] {
		if i > 0 {
			b.WriteString(" ")
		}
		fmt.Fprintf(&b, "%.4g", x)
	}
	if len(v) > 8 {
		fmt.Fprintf(&b, " … %d more", len(v)-8)
	}
	b.WriteString("]")
	return b.String()
}

// predictAll runs PredictBatch over n examples x in batches of MaxBatch.
func predictAll(m Model, spec *Spec, x []float32, n int) ([]float32, error) {
	in, outSize := spec.InputSize(), spec.OutputSize()
	out := make([]float32, n*outSize)
	for lo := 0; lo < n; lo += spec.MaxBatch {
		hi := min(n, lo+spec.MaxBatch)
		if err := m.PredictBatch(hi-lo, x[lo*in:hi*in], out[lo*outSize:hi*outSize]); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// imageSize returns the height and width of the model's input as an image: its last
// two dimensions with one channel, or a square for a flat input (an MLP's 784).
func imageSize(spec *Spec) (h, w int, err error) {
	s := spec.InputShape
	switch {
	case len(s) == 3 && s[0] == 1:
		return s[1], s[2], nil
	case len(s) == 2:
		return s[0], s[1], nil
	case len(s) == 1:
		if r := int(math.Sqrt(float64(s[0]))); r*r == s[0] {
			return r, r, nil
		}
	}
	return 0, 0, fmt.Errorf("model %s's input %q of shape %v is not a grayscale image", spec.Name, spec.Input, s)
}

// readImages reads grayscale images of the model's input size, as values in [0, 1].
func readImages(spec *Spec, paths []string) (*data.Dataset, error) {
	h, w, err := imageSize(spec)
	if err != nil {
		return nil, err
	}
	d := &data.Dataset{Shape: spec.InputShape}
	for _, p := range paths {
		f, err := os.Open(p)
		if err != nil {
			return nil, err
		}
		img, _, err := image.Decode(f)
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", p, err)
		}
		b := img.Bounds()
		if b.Dx() != w || b.Dy() != h {
			return nil, fmt.Errorf("%s is %d×%d pixels; model %s takes %d×%d", p, b.Dx(), b.Dy(), spec.Name, w, h)
		}
		for y := b.Min.Y; y < b.Max.Y; y++ {
			for x := b.Min.X; x < b.Max.X; x++ {
				r, g, bl, _ := img.At(x, y).RGBA()
				// ITU-R BT.601 luma, as image/color's Gray conversion.
				lum := (19595*r + 38470*g + 7471*bl + 1<<15) >> 16
				d.X = append(d.X, float32(lum)/0xffff)
			}
		}
	}
	return d, nil
}

// writeGrid runs an autoencoder on the first n examples of set, with noise, and
// draws noisy input, output and clean input as three rows.
func (c *cli) writeGrid(m Model, spec *Spec, set *data.Dataset, path string, n int, noise float64, seed uint64) error {
	h, w, err := imageSize(spec)
	if err != nil {
		return err
	}
	n = min(n, set.Len())
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	clean, err := set.Subset(idx)
	if err != nil {
		return err
	}
	in := clean
	if noise > 0 {
		in = AddNoise(clean, noise, seed, EvalNoiseStream)
	}
	out, err := predictAll(m, spec, in.X, n)
	if err != nil {
		return err
	}
	size := spec.InputSize()
	rows := make([][][]float32, 3)
	for i := range n {
		rows[0] = append(rows[0], in.X[i*size:(i+1)*size])
		rows[1] = append(rows[1], out[i*size:(i+1)*size])
		rows[2] = append(rows[2], clean.X[i*size:(i+1)*size])
	}
	if err := WriteGrid(path, rows, h, w, 2); err != nil {
		return err
	}
	fmt.Fprintf(c.env.Stdout, "%d examples drawn to %s (rows: noisy input, output, clean input)\n", n, path)
	return nil
}

func (c *cli) bench(args []string) error {
	fs := c.flagSet("bench", "", "Measure Predict and TrainStep on random inputs: time per batch and examples per second.")
	batch := fs.Int("batch", 0, "examples per `batch` (default MaxBatch)")
	dur := fs.Duration("time", 2*time.Second, "how long to measure each method")
	optName := fs.String("optimizer", "adam", "the `optimizer` TrainStep applies")
	threads := threadsFlag(fs)
	if err := c.parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("bench takes no arguments, got %q", fs.Args())
	}
	m := c.newModel()
	spec, err := SpecOf(m)
	if err != nil {
		return err
	}
	if err := setThreads(m, *threads); err != nil {
		return err
	}
	if *batch == 0 {
		*batch = spec.MaxBatch
	}
	if *batch < 1 || *batch > spec.MaxBatch {
		return usagef("-batch %d is outside [1, %d] (the model's MaxBatch)", *batch, spec.MaxBatch)
	}
	if *dur <= 0 {
		return usagef("-time %v must be positive", *dur)
	}
	opt, err := NewOptimizer(*optName, Hyper{})
	if err != nil {
		return usageError{err}
	}
	m.SetOptimizer(opt)
	nb := *batch
	x := make([]float32, nb*spec.InputSize())
	for i := range x {
		if spec.IntInput {
			x[i] = float32(rt.Bits(1, 1, uint64(i)) % uint64(spec.IDLimit))
		} else {
			x[i] = float32(rt.Uniform(1, 1, uint64(i)))
		}
	}
	y := make([]float32, nb*spec.OutputSize())
	var labels []int32
	var target []float32
	switch spec.Task {
	case Classification:
		labels = make([]int32, nb*spec.Labels)
		for i := range labels {
			labels[i] = int32(rt.Bits(1, 2, uint64(i)) % uint64(spec.Classes))
		}
	case Reconstruction:
		target = x
	case Regression:
		target = make([]float32, nb*spec.TargetSize())
		for i := range target {
			target[i] = float32(rt.Uniform(1, 3, uint64(i)))
		}
	}
	fmt.Fprintf(c.env.Stdout, "%s, batch %d, %d threads (GOMAXPROCS), %s/%s\n", spec.Name, nb, runtime.GOMAXPROCS(0), runtime.GOOS, runtime.GOARCH)
	measure := func(name string, f func() error) error {
		if err := f(); err != nil { // warm-up: the optimizer state is allocated here
			return err
		}
		calls := 0
		t0 := time.Now()
		for time.Since(t0) < *dur {
			if err := f(); err != nil {
				return err
			}
			calls++
		}
		per := time.Since(t0) / time.Duration(calls)
		fmt.Fprintf(c.env.Stdout, "%-10s %10.3f ms/batch  %10.0f examples/s  (%d calls)\n", name, float64(per)/1e6, float64(nb)/per.Seconds(), calls)
		return nil
	}
	if err := measure("Predict", func() error { return m.PredictBatch(nb, x, y) }); err != nil {
		return err
	}
	return measure("TrainStep", func() error {
		_, err := m.TrainBatch(nb, x, labels, target)
		return err
	})
}
