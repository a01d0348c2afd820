// Package train is the application behind every command dlgen generates
// (generated/<model>/cmd/<model>): it trains a generated model on a data set,
// evaluates it, runs it on examples and measures its speed.
//
// A generated package presents its model through the methods of Model (its app.go),
// so one generated main.go is a line:
//
//	os.Exit(train.Main("lenet", func() train.Model { return lenet.New() }, os.Args[1:]))
//
// The same functions serve Go programs directly: Train runs a training loop
// (optimizer, schedule, clipping, validation, checkpoints, resume), Evaluate measures
// loss and accuracy, and WriteCurves and WriteGrid draw the loss curves and an
// autoencoder's images.
//
// Two tasks are supported, read from the model's graph (SpecOf): classification,
// when the target is class labels (accuracy is the arg-max of the output), and
// reconstruction, when the target is a float tensor of the input's size, fed with
// the clean example while the input gets Gaussian noise (Config.Noise) for a
// denoising autoencoder.
//
// Every random draw is a function of the seed, the epoch and the example (the
// epoch's shuffle, a noise value) or of the model's step counter (dropout), never of
// hidden generator state, so a run is reproducible bit for bit on one machine, and a
// run resumed from a checkpoint continues exactly as if never interrupted.
package train

import (
	"fmt"
	"slices"

	"github.com/dlgen/dlgen/ir"
	"github.com/dlgen/dlgen/rt"
)

// Model is a generated model as package train drives it. Every package that dlgen
// generates for a model with one data input, one output and one target implements
// it (in its app.go); Init, Params, Grads and OptimizerState are the package's own
// methods.
type Model interface {
	// GraphJSON returns the model's IR as the builder made it (ir.Encode).
	GraphJSON() string
	// MaxBatchSize is the largest batch the methods accept.
	MaxBatchSize() int
	// Init sets the parameters from their initializers under seed and resets the
	// step counter and the optimizer state.
	Init(seed uint64) error
	// Params, Grads and OptimizerState return views of the model's parameters (with
	// state such as batch-norm statistics), of the last step's gradients (weights
	// only, in Params' order) and of the optimizer's slots ("optim.<param>.<slot>").
	Params() []rt.Tensor
	Grads() []rt.Tensor
	OptimizerState() []rt.Tensor
	// SetOptimizer sets the optimizer TrainBatch applies after computing the
	// gradients.
	SetOptimizer(o rt.Optimizer)
	// SetClip sets the gradient clipping TrainBatch applies before the update:
	// every element into [-value, value], then all gradients together to a global L2
	// norm of at most norm (0 for none).
	SetClip(value float32, norm float64)
	// SetMonitor makes TrainBatch record every weight's gradient norm, and
	// GradientNorms returns the last step's norms before clipping: the global L2
	// norm of all gradients, and each weight's in Grads' order (zeros unless
	// monitoring; the slice is the model's storage, overwritten by the next step).
	SetMonitor(on bool)
	GradientNorms() (global float64, each []float64)
	// Steps and SetSteps read and set the number of training steps taken, which
	// selects dropout masks and the optimizer's step.
	Steps() uint64
	SetSteps(step uint64)
	// LoadWeights and SaveWeights read and write Params as safetensors.
	LoadWeights(path string) error
	SaveWeights(path string) error
	// PredictBatch computes the output y of n examples x in inference mode.
	PredictBatch(n int, x, y []float32) error
	// LossBatch returns the mean loss of n examples in inference mode, and
	// TrainBatch takes one training step on them and returns the loss before it.
	// A classifier reads labels and a reconstruction model target; the other is
	// ignored.
	LossBatch(n int, x []float32, labels []int32, target []float32) (float32, error)
	TrainBatch(n int, x []float32, labels []int32, target []float32) (float32, error)
	// IgnoreIndex returns the label value that LossBatch and TrainBatch accept
	// besides the classes and leave out of the loss (PyTorch's ignore_index, which
	// nn.IgnoreIndex sets on every loss reading the labels), and whether there is
	// one.
	IgnoreIndex() (int, bool)
}

// Task is what a model learns, which decides the target fed to it and the metrics.
type Task int

const (
	// Classification: the target is a class label per example, the output holds a
	// score per class (probabilities), and accuracy is the share of examples whose
	// highest score is their label.
	Classification Task = iota
	// Reconstruction: the target is the clean example itself and the output its
	// reconstruction (an autoencoder); the input may get noise (Config.Noise).
	Reconstruction
	// Regression: the target is a float tensor per example that the data supplies
	// (a NumPy data set's y arrays), and the loss is the only metric.
	Regression
)

func (t Task) String() string {
	return [...]string{"classification", "reconstruction", "regression"}[t]
}

// Spec is what package train knows about a model, read from its graph.
type Spec struct {
	Name     string
	MaxBatch int
	Task     Task
	// Input, Output and Target name the data input, the output and the target, with
	// their shapes per example (without the batch dimension).
	Input, Output, Target                string
	InputShape, OutputShape, TargetShape []int
	// Classes is the number of classes of a classifier: its output's size, or the
	// size of the output's last axis when there are labels per position.
	Classes int
	// Labels is the number of class labels per example of a classifier: 1, or one
	// per position of a tagger's sequence (the target's per-example size).
	Labels int
	// IntInput is set when the input holds int ids (nn's Model.Indices); train
	// passes them as whole float32 values, which the model's adapter converts.
	IntInput bool
	// IDLimit bounds an int input's ids to [0, IDLimit): the smallest vocabulary
	// of the embeddings that read it.
	IDLimit int
	// LogProbs is set when a classifier's output is log-probabilities (a
	// LogSoftmax, as for a model trained with NLLLoss): the arg-max is the class
	// all the same, and predict shows exp of the score as its probability.
	LogProbs bool
	// Ignores is set when a classifier's labels may hold Ignore besides the classes
	// (the model's IgnoreIndex): such a position counts in neither the loss nor the
	// accuracy, as padding in a tagger's sequences.
	Ignores bool
	Ignore  int
}

// ignored reports whether label y is the ignore index of a classifier that has one.
func (s *Spec) ignored(y int32) bool { return s.Ignores && int(y) == s.Ignore }

// notIgnore completes the error of a label outside the classes: nor is it the
// ignore index, when the model has one.
func (s *Spec) notIgnore() string {
	if !s.Ignores {
		return ""
	}
	return fmt.Sprintf(" and not its ignore index %d", s.Ignore)
}

// kept counts the labels in y that are not the ignore index.
func (s *Spec) kept(y []int32) int {
	n := 0
	for _, v := range y {
		if !s.ignored(v) {
			n++
		}
	}
	return n
}

// InputSize, OutputSize and TargetSize are the values per example.
func (s *Spec) InputSize() int  { return prod(s.InputShape) }
func (s *Spec) OutputSize() int { return prod(s.OutputShape) }
func (s *Spec) TargetSize() int { return prod(s.TargetShape) }

func prod(shape []int) int {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return n
}

// SpecOf reads m's graph: it must have one data input, one target and one output.
// Int class labels, one per example, make a classifier; a float target and output
// of the input's size an autoencoder (Reconstruction); any other float target a
// regression model.
func SpecOf(m Model) (*Spec, error) {
	g, err := ir.Decode([]byte(m.GraphJSON()))
	if err != nil {
		return nil, fmt.Errorf("train: reading the model's graph: %w", err)
	}
	s := &Spec{Name: g.Name, MaxBatch: m.MaxBatchSize()}
	var data, target []*ir.Node
	for _, n := range g.Inputs() {
		if n.Attrs.Role == ir.RoleTarget {
			target = append(target, n)
		} else {
			data = append(data, n)
		}
	}
	names := func(ns []*ir.Node) []string {
		var out []string
		for _, n := range ns {
			out = append(out, n.Name)
		}
		return out
	}
	switch {
	case len(data) != 1:
		return nil, fmt.Errorf("train: model %q has %d data inputs %q; train supports one", g.Name, len(data), names(data))
	case len(target) != 1:
		return nil, fmt.Errorf("train: model %q has %d targets %q; train supports one (class labels or a tensor)", g.Name, len(target), names(target))
	case len(g.Outputs) != 1:
		return nil, fmt.Errorf("train: model %q has %d outputs; train supports one", g.Name, len(g.Outputs))
	case g.Loss < 0:
		return nil, fmt.Errorf("train: model %q has no loss", g.Name)
	}
	in, tg, out := data[0], target[0], g.Nodes[g.Outputs[0].ID]
	if s.IntInput = in.Attrs.DType == ir.Int; s.IntInput {
		s.IDLimit = maxExactID
		for _, n := range g.Nodes {
			if n.Op == ir.OpEmbedding && n.Inputs[0] == in.ID {
				s.IDLimit = min(s.IDLimit, g.Nodes[n.Inputs[1]].Shape[0])
			}
		}
	}
	s.Input, s.InputShape = in.Name, slices.Clone([]int(in.Shape.Inner()))
	s.Target, s.TargetShape = tg.Name, slices.Clone([]int(tg.Shape.Inner()))
	s.Output, s.OutputShape = g.Outputs[0].Name, slices.Clone([]int(out.Shape.Inner()))
	if tg.Attrs.DType == ir.Int {
		s.Task = Classification
		s.LogProbs = out.Op == ir.OpLogSoftmax
		s.Labels = s.TargetSize()
		s.Ignore, s.Ignores = m.IgnoreIndex()
		if len(s.TargetShape) == 0 {
			s.Classes = s.OutputSize()
			return s, nil
		}
		// Labels per position (a tagger's per step): the output holds a score per
		// class for each, classes on its last axis.
		o := s.OutputShape
		if len(o) != len(s.TargetShape)+1 || !slices.Equal(o[:len(o)-1], s.TargetShape) {
			return nil, fmt.Errorf("train: model %q: labels %q of shape %v per example need an output of that shape and a class axis; %q is %v",
				g.Name, tg.Name, s.TargetShape, s.Output, o)
		}
		s.Classes = o[len(o)-1]
		return s, nil
	}
	s.Task = Regression
	if !s.IntInput && s.TargetSize() == s.InputSize() && s.OutputSize() == s.InputSize() {
		s.Task = Reconstruction
	}
	return s, nil
}
