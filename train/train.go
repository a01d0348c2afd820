package train

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"

	"github.com/dlgen/dlgen/rt"
	"github.com/dlgen/dlgen/rt/data"
	"github.com/dlgen/dlgen/rt/safetensors"
)

// Config is one training run.
type Config struct {
	Optimizer string // one of Optimizers; "" is "adam"
	Hyper            // learning rate, momentum, weight decay (nil: the optimizer's defaults)
	Schedule  string // one of Schedules; "" is "none"
	Gamma     float64
	StepSize  int

	Epochs int    // epochs to train in total (a resumed run counts the ones done)
	Batch  int    // examples per step; 0 is min(32, the model's MaxBatch)
	Seed   uint64 // initial weights, shuffling and noise

	// Noise is the factor of the Gaussian noise added to a reconstruction model's
	// input, which is then clipped to [0, 1]: x̃ = clip(x + Noise·N(0, 1), 0, 1), as
	// in the Keras blog's denoising autoencoder ("Building Autoencoders in Keras",
	// Chollet, 2016). The target stays the clean x. Training draws new noise every
	// epoch; validation noise is fixed, so that epochs compare.
	Noise float64

	// ClipValue clamps every gradient element into [-ClipValue, ClipValue], and
	// ClipNorm scales all gradients together to a global L2 norm of at most ClipNorm
	// (0 for neither), before the optimizer uses them.
	ClipValue, ClipNorm float64

	// Every epoch records the mean and the largest global L2 norm of its steps'
	// gradients, before clipping (Epoch.GradNorm, GradNormMax). Monitor also
	// records the mean norm of each weight's gradient (Epoch.GradNorms), and Log
	// then gets them after the epoch's line; GradCurves, a PNG of them per epoch,
	// implies Monitor.
	Monitor    bool
	GradCurves string

	// Checkpoint is written (atomically) after every epoch: weights, optimizer state,
	// step and epoch counters, the seed and the history. With Resume, training
	// starts from it and continues exactly as the interrupted run would have; the
	// run's settings must then be the checkpoint's, except Epochs.
	Checkpoint string
	Resume     bool
	// InitWeights, if set, replaces the seeded initial weights (fine-tuning).
	InitWeights string
	// Weights receives the final weights (safetensors); Curves a PNG of the training
	// and validation loss per epoch, rewritten after every epoch.
	Weights, Curves string

	// Log receives one line per epoch, Progress a progress bar (nil for none).
	Log, Progress io.Writer
	// AfterStep, if set, runs after every step; an error stops training at once,
	// without a checkpoint for the unfinished epoch (tests simulate a kill with it).
	AfterStep func(epoch int, step uint64) error
}

// Epoch is the record of one finished epoch. Val fields are NaN without validation
// data and ValAccuracy is NaN for reconstruction. The losses are means over the
// examples, or over the labels kept when the model has an ignore index (Spec.Ignores),
// as the loss of one batch holding them all would be. The gradient norms are those of
// the gradients as computed, before clipping (what torch.nn.utils.clip_grad_norm_
// returns): GradNorm is the mean over the epoch's steps of the global L2 norm of all
// gradients, GradNormMax the largest, and GradNorms, recorded with Config.Monitor,
// each weight's norm averaged over the steps, in Grads' order. Checkpoints written
// before dlgen recorded norms read back with NaN and no GradNorms.
type Epoch struct {
	Epoch       int         `json:"epoch"` // 1-based
	LR          float64     `json:"lr"`
	TrainLoss   float64     `json:"train_loss"`
	ValLoss     float64     `json:"val_loss"`
	ValAccuracy float64     `json:"val_accuracy"`
	GradNorm    float64     `json:"grad_norm"`
	GradNormMax float64     `json:"grad_norm_max"`
	GradNorms   []NamedNorm `json:"grad_norms,omitempty"`
	Seconds     float64     `json:"seconds"`
}

// NamedNorm is one weight's gradient norm.
type NamedNorm struct {
	Name string  `json:"name"`
	Norm float64 `json:"norm"`
}

// epochJSON is Epoch as JSON, where NaN (which JSON lacks) is null.
type epochJSON struct {
	Epoch       int         `json:"epoch"`
	LR          float64     `json:"lr"`
	TrainLoss   *float64    `json:"train_loss"`
	ValLoss     *float64    `json:"val_loss"`
	ValAccuracy *float64    `json:"val_accuracy"`
	GradNorm    *float64    `json:"grad_norm"`
	GradNormMax *float64    `json:"grad_norm_max"`
	GradNorms   []NamedNorm `json:"grad_norms,omitempty"`
	Seconds     float64     `json:"seconds"`
}

// MarshalJSON writes NaN as null.
func (e Epoch) MarshalJSON() ([]byte, error) {
	num := func(v float64) *float64 {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil
		}
		return &v
	}
	return json.Marshal(epochJSON{e.Epoch, e.LR, num(e.TrainLoss), num(e.ValLoss), num(e.ValAccuracy),
		num(e.GradNorm), num(e.GradNormMax), e.GradNorms, e.Seconds})
}

// UnmarshalJSON reads null, or a missing value, as NaN.
func (e *Epoch) UnmarshalJSON(b []byte) error {
	var p epochJSON
	if err := json.Unmarshal(b, &p); err != nil {
		return err
	}
	val := func(v *float64) float64 {
		if v == nil {
			return math.NaN()
		}
		return *v
	}
	*e = Epoch{p.Epoch, p.LR, val(p.TrainLoss), val(p.ValLoss), val(p.ValAccuracy),
		val(p.GradNorm), val(p.GradNormMax), p.GradNorms, p.Seconds}
	return nil
}

// Result is what Train did.
type Result struct {
	History []Epoch // every epoch, those before a resume included
	Steps   uint64  // the model's step counter at the end
}

// Checkpoint metadata written besides safetensors' own keys.
const (
	metaModel   = "dlgen.train.model"
	metaConfig  = "dlgen.train.config"
	metaHistory = "dlgen.train.history"
)

// Random streams of the trainer (rt.Bits), besides data.Permutation's shuffle.
var (
	noiseStream    = rt.NameStream("train.noise")     // + epoch
	valNoiseStream = rt.NameStream("train.noise.val") // fixed
	// EvalNoiseStream is the noise of Evaluate for test data.
	EvalNoiseStream = rt.NameStream("train.noise.eval")
)

// trajectory is every setting that changes the sequence of weights a run goes
// through; a checkpoint records it and a resume must match it.
type trajectory struct {
	Model       string   `json:"model"`
	Optimizer   string   `json:"optimizer"`
	LR          *float64 `json:"lr"`
	Momentum    *float64 `json:"momentum"`
	WeightDecay *float64 `json:"weight_decay"`
	Schedule    string   `json:"schedule"`
	Gamma       float64  `json:"gamma"`
	StepSize    int      `json:"step_size"`
	Batch       int      `json:"batch"`
	Seed        uint64   `json:"seed"`
	Noise       float64  `json:"noise"`
	ClipValue   float64  `json:"clip_value"`
	ClipNorm    float64  `json:"clip_norm"`
	TrainSize   int      `json:"train_examples"`
	ValSize     int      `json:"val_examples"`
}

// diff lists the settings in which t and u differ, as flags.
func (t trajectory) diff(u trajectory) []string {
	var out []string
	f := func(name string, a, b any) {
		as, bs := fmtAny(a), fmtAny(b)
		if as != bs {
			out = append(out, fmt.Sprintf("%s %s (now %s)", name, as, bs))
		}
	}
	f("model", t.Model, u.Model)
	f("-optimizer", t.Optimizer, u.Optimizer)
	f("-lr", t.LR, u.LR)
	f("-momentum", t.Momentum, u.Momentum)
	f("-weight-decay", t.WeightDecay, u.WeightDecay)
	f("-schedule", t.Schedule, u.Schedule)
	f("-gamma", t.Gamma, u.Gamma)
	f("-step-size", t.StepSize, u.StepSize)
	f("-batch", t.Batch, u.Batch)
	f("-seed", t.Seed, u.Seed)
	f("-noise", t.Noise, u.Noise)
	f("-clip-value", t.ClipValue, u.ClipValue)
	f("-clip-norm", t.ClipNorm, u.ClipNorm)
	f("training examples", t.TrainSize, u.TrainSize)
	f("validation examples", t.ValSize, u.ValSize)
	return out
}

func fmtAny(v any) string {
	if p, ok := v.(*float64); ok {
		if p == nil {
			return "default"
		}
		return fmt.Sprint(*p)
	}
	return fmt.Sprint(v)
}

func (c *Config) defaults(spec *Spec) error {
	if c.Optimizer == "" {
		c.Optimizer = "adam"
	}
	if c.Schedule == "" {
		c.Schedule = "none"
	}
	if c.Batch == 0 {
		c.Batch = min(32, spec.MaxBatch)
	}
	switch {
	case c.Batch < 1 || c.Batch > spec.MaxBatch:
		return fmt.Errorf("-batch %d is outside [1, %d] (the model's MaxBatch, fixed when it was generated)", c.Batch, spec.MaxBatch)
	case c.Epochs < 1:
		return fmt.Errorf("-epochs %d must be at least 1", c.Epochs)
	case !(c.Noise >= 0) || math.IsInf(c.Noise, 0):
		return fmt.Errorf("-noise %g must be a finite value ≥ 0", c.Noise)
	case c.Noise > 0 && spec.Task != Reconstruction:
		return fmt.Errorf("-noise is for reconstruction models (autoencoders); %s is a %s model", spec.Name, spec.Task)
	case !(c.ClipValue >= 0) || !(c.ClipNorm >= 0) || math.IsInf(c.ClipValue, 0) || math.IsInf(c.ClipNorm, 0):
		return fmt.Errorf("-clip-value %g and -clip-norm %g must be finite values ≥ 0", c.ClipValue, c.ClipNorm)
	case c.Resume && c.Checkpoint == "":
		return errors.New("-resume needs -checkpoint, the file to resume from")
	case c.Resume && c.InitWeights != "":
		return errors.New("-resume and -init both set the weights; choose one")
	}
	return nil
}

// Train trains m on trainSet for cfg.Epochs epochs, validating on valSet after each
// (valSet may be nil). It starts from the weights of m.Init(cfg.Seed) (or
// cfg.InitWeights, or the checkpoint with cfg.Resume). Each epoch visits the
// examples in the order data.Permutation(n, cfg.Seed, epoch) in batches of
// cfg.Batch, the last one short. A non-finite loss stops training with an error.
func Train(m Model, trainSet, valSet *data.Dataset, cfg Config) (*Result, error) {
	spec, err := SpecOf(m)
	if err != nil {
		return nil, err
	}
	// Errors in the settings are usage errors (exit code 2 in the command).
	if err := cfg.defaults(spec); err != nil {
		return nil, usageError{err}
	}
	if err := checkData(spec, trainSet, "training"); err != nil {
		return nil, err
	}
	if valSet != nil {
		if err := checkData(spec, valSet, "validation"); err != nil {
			return nil, err
		}
	}
	opt, err := NewOptimizer(cfg.Optimizer, cfg.Hyper)
	if err != nil {
		return nil, usageError{err}
	}
	sched, err := NewSchedule(cfg.Schedule, cfg.Epochs, cfg.Gamma, cfg.StepSize)
	if err != nil {
		return nil, usageError{err}
	}
	baseLR := learningRate(opt)
	// TrainStep clips the gradients itself (torch's clip_grad_value_ then
	// clip_grad_norm_) and refuses a non-finite one before the update.
	m.SetClip(float32(cfg.ClipValue), cfg.ClipNorm)
	m.SetOptimizer(opt)
	monitor := cfg.Monitor || cfg.GradCurves != ""
	m.SetMonitor(monitor)
	var weightNames []string
	if monitor {
		for _, g := range m.Grads() {
			weightNames = append(weightNames, g.Name)
		}
	}
	normSums := make([]float64, len(weightNames))
	traj := trajectory{Model: spec.Name, Optimizer: cfg.Optimizer, LR: cfg.LR, Momentum: cfg.Momentum, WeightDecay: cfg.WeightDecay,
		Schedule: cfg.Schedule, Gamma: cfg.Gamma, StepSize: cfg.StepSize, Batch: cfg.Batch, Seed: cfg.Seed, Noise: cfg.Noise,
		ClipValue: cfg.ClipValue, ClipNorm: cfg.ClipNorm, TrainSize: trainSet.Len()}
	if valSet != nil {
		traj.ValSize = valSet.Len()
	}

	res := &Result{}
	start := 0
	if cfg.Resume {
		ck, err := loadCheckpoint(m, cfg.Checkpoint)
		if err != nil {
			return nil, err
		}
		if d := ck.traj.diff(traj); len(d) > 0 {
			return nil, usagef("checkpoint %s was written by a run with %s; resume with that run's flags (only -epochs may change)", cfg.Checkpoint, strings.Join(d, ", "))
		}
		start, res.History = ck.epoch, ck.history
		if cfg.Log != nil {
			fmt.Fprintf(cfg.Log, "resuming from %s after epoch %d (step %d)\n", cfg.Checkpoint, start, m.Steps())
		}
	} else {
		if err := m.Init(cfg.Seed); err != nil {
			return nil, err
		}
		if cfg.InitWeights != "" {
			if err := m.LoadWeights(cfg.InitWeights); err != nil {
				return nil, err
			}
		}
	}

	n := trainSet.Len()
	batches, err := trainSet.Batches(cfg.Batch, nil)
	if err != nil {
		return nil, err
	}
	noisy := make([]float32, cfg.Batch*spec.InputSize())
	var valNoisy *data.Dataset
	if valSet != nil && spec.Task == Reconstruction && cfg.Noise > 0 {
		valNoisy = AddNoise(valSet, cfg.Noise, cfg.Seed, valNoiseStream)
	}
	for epoch := start; epoch < cfg.Epochs; epoch++ {
		t0 := time.Now()
		lr := baseLR
		if sched != nil {
			lr = sched.LR(baseLR, epoch)
			if _, err := rt.SetLR(opt, lr); err != nil {
				return res, err
			}
		}
		if err := batches.Reset(data.Permutation(n, cfg.Seed, uint64(epoch))); err != nil {
			return res, err
		}
		bar := newBar(cfg.Progress, batches.Len(), fmt.Sprintf("epoch %d/%d", epoch+1, cfg.Epochs))
		var sum, globalSum, globalMax float64
		seen, steps := 0, 0
		clear(normSums)
		for b, ok := batches.Next(); ok; b, ok = batches.Next() {
			x, target := b.X, []float32(nil)
			switch spec.Task {
			case Reconstruction:
				target = b.X
				if cfg.Noise > 0 {
					x = noisy[:len(b.X)]
					noise(x, b.X, b.Index, spec.InputSize(), cfg.Noise, cfg.Seed, noiseStream+uint64(epoch))
				}
			case Regression:
				target = b.T
			}
			loss, err := m.TrainBatch(b.N, x, b.Y, target)
			if err != nil {
				return res, fmt.Errorf("epoch %d, step %d: %w", epoch+1, m.Steps(), err)
			}
			// A batch's loss is its mean over examples, or over the labels kept when
			// the model ignores some; the epoch's is the mean over all of them.
			// A batch whose labels are all ignored has the loss 0/0 = NaN and no
			// gradient, and weighs nothing.
			w := lossWeight(spec, b.N, b.Y)
			if w > 0 && (math.IsNaN(float64(loss)) || math.IsInf(float64(loss), 0)) {
				return res, fmt.Errorf("epoch %d, step %d: the loss is %g; lower -lr or set -clip-norm", epoch+1, m.Steps(), loss)
			}
			if w > 0 {
				sum += float64(loss) * float64(w)
			}
			seen += w
			global, each := m.GradientNorms()
			globalSum, globalMax = globalSum+global, max(globalMax, global)
			for i := range normSums {
				normSums[i] += each[i]
			}
			steps++
			if bar != nil {
				bar.Describe(fmt.Sprintf("epoch %d/%d  loss %.4f", epoch+1, cfg.Epochs, sum/float64(seen)))
				_ = bar.Add(1)
			}
			if cfg.AfterStep != nil {
				if err := cfg.AfterStep(epoch, m.Steps()); err != nil {
					return res, err
				}
			}
		}
		if bar != nil {
			_ = bar.Finish()
		}
		e := Epoch{Epoch: epoch + 1, LR: lr, TrainLoss: sum / float64(seen), ValLoss: math.NaN(), ValAccuracy: math.NaN(),
			GradNorm: globalSum / float64(steps), GradNormMax: globalMax}
		for i, name := range weightNames {
			e.GradNorms = append(e.GradNorms, NamedNorm{name, normSums[i] / float64(steps)})
		}
		if valSet != nil {
			v := valSet
			if valNoisy != nil {
				v = valNoisy
			}
			met, err := evaluate(m, spec, v, valSet, cfg.Batch)
			if err != nil {
				return res, fmt.Errorf("epoch %d: validation: %w", epoch+1, err)
			}
			e.ValLoss, e.ValAccuracy = met.Loss, met.Accuracy
		}
		e.Seconds = time.Since(t0).Seconds()
		res.History = append(res.History, e)
		if cfg.Log != nil {
			fmt.Fprintln(cfg.Log, e.String())
			if monitor {
				fmt.Fprint(cfg.Log, e.normsString())
			}
		}
		if cfg.Checkpoint != "" {
			if err := saveCheckpoint(m, cfg.Checkpoint, traj, epoch+1, res.History); err != nil {
				return res, err
			}
		}
		if cfg.Curves != "" {
			if err := WriteCurves(cfg.Curves, spec.Name, res.History); err != nil {
				return res, err
			}
		}
		if cfg.GradCurves != "" {
			if err := WriteGradCurves(cfg.GradCurves, spec.Name, res.History); err != nil {
				return res, err
			}
		}
	}
	res.Steps = m.Steps()
	if cfg.Weights != "" {
		if err := m.SaveWeights(cfg.Weights); err != nil {
			return res, err
		}
	}
	return res, nil
}

// lossWeight is the number of terms a batch's mean loss is over, relative to the
// other batches: its examples, or its labels that are not the ignore index when the
// model has one.
func lossWeight(spec *Spec, n int, labels []int32) int {
	if spec.Task == Classification && spec.Ignores {
		return spec.kept(labels[:n*spec.Labels])
	}
	return n
}

// String is the epoch's log line.
func (e Epoch) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "epoch %3d  lr %.3g  train loss %.4f", e.Epoch, e.LR, e.TrainLoss)
	if !math.IsNaN(e.ValLoss) {
		fmt.Fprintf(&b, "  val loss %.4f", e.ValLoss)
	}
	if !math.IsNaN(e.ValAccuracy) {
		fmt.Fprintf(&b, "  val accuracy %.2f%%", 100*e.ValAccuracy)
	}
	if !math.IsNaN(e.GradNorm) {
		fmt.Fprintf(&b, "  grad norm %.3g (max %.3g)", e.GradNorm, e.GradNormMax)
	}
	fmt.Fprintf(&b, "  %.1fs", e.Seconds)
	return b.String()
}

// normsString lists the epoch's mean gradient norm of every weight, a few to a
// line, each line indented and ended by a newline.
func (e Epoch) normsString() string {
	const head, indent = "    grad norms", "              "
	var b strings.Builder
	line := 0
	for _, n := range e.GradNorms {
		item := fmt.Sprintf("  %s %.3g", n.Name, n.Norm)
		switch {
		case line == 0:
			b.WriteString(head)
			line = len(head)
		case line+len(item) > 96:
			b.WriteString("\n" + indent)
			line = len(indent)
		}
		b.WriteString(item)
		line += len(item)
	}
	if line > 0 {
		b.WriteString("\n")
	}
	return b.String()
}

func learningRate(o rt.Optimizer) float64 {
	if s, ok := o.(rt.LRSetter); ok {
		return s.LearningRate()
	}
	return math.NaN()
}

// newBar returns a progress bar of total steps on w, or nil if w is nil.
func newBar(w io.Writer, total int, desc string) *progressbar.ProgressBar {
	if w == nil {
		return nil
	}
	return progressbar.NewOptions(total,
		progressbar.OptionSetWriter(w),
		progressbar.OptionSetDescription(desc),
		progressbar.OptionShowCount(),
		progressbar.OptionSetWidth(30),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionShowIts(),
		progressbar.OptionSetItsString("steps"),
		progressbar.OptionClearOnFinish(),
	)
}

// checkData checks that d fits the model: examples of the input's size, and labels
// in range for a classifier.
func checkData(spec *Spec, d *data.Dataset, what string) error {
	if err := d.Validate(); err != nil {
		return fmt.Errorf("%s data: %w", what, err)
	}
	if d.Len() == 0 {
		return fmt.Errorf("%s data has no examples", what)
	}
	if d.Size() != spec.InputSize() {
		return fmt.Errorf("%s data has examples of shape %v (%d values), but model %s's input %q takes %v (%d values)",
			what, d.Shape, d.Size(), spec.Name, spec.Input, spec.InputShape, spec.InputSize())
	}
	switch spec.Task {
	case Classification:
		if d.Y == nil {
			return fmt.Errorf("%s data has no labels, which classifier %s needs", what, spec.Name)
		}
		if d.Labels() != spec.Labels {
			return fmt.Errorf("%s data has %d labels per example, but model %s's labels %q are %v per example", what, d.Labels(), spec.Name, spec.Target, spec.TargetShape)
		}
		for i, y := range d.Y {
			if (y < 0 || int(y) >= spec.Classes) && !spec.ignored(y) {
				if spec.Labels > 1 {
					return fmt.Errorf("%s data: example %d has label %d at position %d, outside model %s's %d classes%s", what, i/spec.Labels, y, i%spec.Labels, spec.Name, spec.Classes, spec.notIgnore())
				}
				return fmt.Errorf("%s data: example %d has label %d, outside model %s's %d classes%s", what, i, y, spec.Name, spec.Classes, spec.notIgnore())
			}
		}
		// Every label ignored leaves nothing to learn or score (the loss is 0/0).
		if spec.kept(d.Y) == 0 {
			return fmt.Errorf("%s data: all its %d labels are model %s's ignore index %d", what, len(d.Y), spec.Name, spec.Ignore)
		}
	case Regression:
		if d.T == nil || d.TargetSize != spec.TargetSize() {
			return fmt.Errorf("%s data has %d float targets per example, but model %s's target %q takes %v (%d values)", what, d.TargetSize, spec.Name, spec.Target, spec.TargetShape, spec.TargetSize())
		}
	}
	if spec.IntInput {
		for i, v := range d.X {
			if v != float32(int32(v)) || v < 0 || int(v) >= spec.IDLimit {
				return fmt.Errorf("%s data: example %d: %g at position %d is not an id of model %s's input %q, in [0, %d)", what, i/spec.InputSize(), v, i%spec.InputSize(), spec.Name, spec.Input, spec.IDLimit)
			}
		}
	}
	return nil
}

// noise writes clip(x + factor·N(0,1), 0, 1) to dst for the examples of a batch,
// each value's normal deviate a function of (seed, stream, example index, position),
// so the noise of an example does not depend on the batch it lands in.
func noise(dst, x []float32, index []int, size int, factor float64, seed, stream uint64) {
	for k, i := range index {
		base := uint64(i) * uint64(size)
		for j := range size {
			v := float64(x[k*size+j]) + factor*rt.Normal(seed, stream, base+uint64(j))
			dst[k*size+j] = float32(min(max(v, 0), 1))
		}
	}
}

// AddNoise returns a copy of d whose inputs have Gaussian noise of the given factor,
// clipped to [0, 1] (see Config.Noise), drawn from (seed, stream), with d's clean
// inputs as the targets.
func AddNoise(d *data.Dataset, factor float64, seed, stream uint64) *data.Dataset {
	out := *d
	out.X = make([]float32, len(d.X))
	idx := make([]int, d.Len())
	for i := range idx {
		idx[i] = i
	}
	noise(out.X, d.X, idx, d.Size(), factor, seed, stream)
	return &out
}

// checkpoint is what loadCheckpoint read besides the tensors.
type checkpoint struct {
	epoch   int
	traj    trajectory
	history []Epoch
}

func saveCheckpoint(m Model, path string, traj trajectory, epoch int, history []Epoch) error {
	t, err := json.Marshal(traj)
	if err != nil {
		return err
	}
	h, err := json.Marshal(history)
	if err != nil {
		return err
	}
	c := &safetensors.Checkpoint{
		Params: m.Params(), Optim: m.OptimizerState(),
		Step: int64(m.Steps()), Epoch: int64(epoch),
		// Every random draw is a pure function of the seed and counters that the
		// step and epoch already record, so the seed is the whole generator state.
		RNG:      []uint64{traj.Seed},
		Metadata: map[string]string{metaModel: traj.Model, metaConfig: string(t), metaHistory: string(h)},
	}
	if err := safetensors.SaveCheckpoint(path, c); err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	return nil
}

// loadCheckpoint sets m's parameters, optimizer state (for the optimizer already
// set) and step from the checkpoint at path.
func loadCheckpoint(m Model, path string) (*checkpoint, error) {
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("-resume: %w", err)
	}
	c := &safetensors.Checkpoint{Params: m.Params(), Optim: m.OptimizerState()}
	if err := safetensors.LoadCheckpoint(path, c); err != nil {
		return nil, fmt.Errorf("-resume: %w", err)
	}
	ck := &checkpoint{epoch: int(c.Epoch)}
	if err := json.Unmarshal([]byte(c.Metadata[metaConfig]), &ck.traj); err != nil {
		return nil, fmt.Errorf("-resume: checkpoint %s: metadata %q: %v", path, metaConfig, err)
	}
	if err := json.Unmarshal([]byte(c.Metadata[metaHistory]), &ck.history); err != nil {
		return nil, fmt.Errorf("-resume: checkpoint %s: metadata %q: %v", path, metaHistory, err)
	}
	if len(c.RNG) != 1 || c.RNG[0] != ck.traj.Seed {
		return nil, fmt.Errorf("-resume: checkpoint %s: random state %v does not match its seed %d", path, c.RNG, ck.traj.Seed)
	}
	if c.Step < 0 || c.Epoch < 0 || len(ck.history) != ck.epoch {
		return nil, fmt.Errorf("-resume: checkpoint %s: step %d, epoch %d and %d history entries do not agree", path, c.Step, c.Epoch, len(ck.history))
	}
	m.SetSteps(uint64(c.Step))
	return ck, nil
}
