package rt

import (
	"fmt"
	"math"
)

// Learning-rate schedules and the way a training loop applies them.
//
// A Schedule is a pure function of the base learning rate and the epoch, PyTorch's
// closed forms of torch.optim.lr_scheduler, so it keeps no state and a run resumed
// from a checkpoint at epoch k gets the same rate as one that never stopped. A
// training loop sets the optimizer's rate once per epoch, outside TrainStep, which
// stays allocation-free:
//
//	opt := rt.NewAdam()
//	m.Optimizer = opt
//	sched := rt.CosineAnnealingLR{TMax: epochs}
//	for epoch := 0; epoch < epochs; epoch++ {
//		opt.LR = sched.LR(1e-3, epoch)   // or rt.SetLR(m.Optimizer, ...)
//		... m.TrainStep(...) for every batch ...
//	}
//
// "Epoch" is PyTorch's last_epoch: the number of scheduler.step() calls so far, so
// epoch 0 is the base rate. Calling LR with the global step count instead gives
// per-iteration schedules, as calling scheduler.step() per batch does in PyTorch.

// Schedule gives the learning rate at an epoch (0 first) for a base learning rate.
type Schedule interface {
	LR(base float64, epoch int) float64
}

// ScheduleFunc adapts a function to Schedule (torch's LambdaLR with lr = f(base, epoch)).
type ScheduleFunc func(base float64, epoch int) float64

// LR calls f.
func (f ScheduleFunc) LR(base float64, epoch int) float64 { return f(base, epoch) }

// StepLR is torch.optim.lr_scheduler.StepLR: the rate decays by Gamma every StepSize
// epochs, lr = base·Gamma^⌊epoch/StepSize⌋. PyTorch's default Gamma is 0.1.
// StepSize < 1 is invalid (Validate); LR then returns base.
type StepLR struct {
	StepSize int
	Gamma    float64
}

// LR is base·Gamma^⌊epoch/StepSize⌋.
func (s StepLR) LR(base float64, epoch int) float64 {
	if s.StepSize < 1 || epoch < 0 {
		return base
	}
	return base * math.Pow(s.Gamma, float64(epoch/s.StepSize))
}

// MultiStepLR is torch.optim.lr_scheduler.MultiStepLR: the rate decays by Gamma at
// each epoch in Milestones, lr = base·Gamma^(number of milestones ≤ epoch). The
// order does not matter and a repeated milestone decays twice, as in PyTorch.
type MultiStepLR struct {
	Milestones []int
	Gamma      float64
}

// LR is base·Gamma^(number of milestones ≤ epoch).
func (s MultiStepLR) LR(base float64, epoch int) float64 {
	k := 0
	for _, m := range s.Milestones {
		if m <= epoch {
			k++
		}
	}
	return base * math.Pow(s.Gamma, float64(k))
}

// ExponentialLR is torch.optim.lr_scheduler.ExponentialLR: lr = base·Gamma^epoch.
type ExponentialLR struct {
	Gamma float64
}

// LR is base·Gamma^epoch.
func (s ExponentialLR) LR(base float64, epoch int) float64 {
	if epoch < 0 {
		return base
	}
	return base * math.Pow(s.Gamma, float64(epoch))
}

// CosineAnnealingLR is torch.optim.lr_scheduler.CosineAnnealingLR, the annealing
// part of SGDR (Loshchilov & Hutter, "SGDR: Stochastic Gradient Descent with Warm
// Restarts", ICLR 2017, eq. 5) without restarts:
//
//	lr = EtaMin + (base - EtaMin)·(1 + cos(π·epoch/TMax))/2
//
// Past TMax the rate climbs back along the same cosine (period 2·TMax), which is
// what PyTorch's recursive form computes too. TMax < 1 is invalid (Validate); LR
// then returns base.
type CosineAnnealingLR struct {
	TMax   int
	EtaMin float64
}

// LR is EtaMin + (base-EtaMin)·(1+cos(π·epoch/TMax))/2.
func (s CosineAnnealingLR) LR(base float64, epoch int) float64 {
	if s.TMax < 1 || epoch < 0 {
		return base
	}
	return s.EtaMin + (base-s.EtaMin)*(1+math.Cos(math.Pi*float64(epoch)/float64(s.TMax)))/2
}

// Validate reports a StepSize PyTorch would divide by zero with.
func (s StepLR) Validate() error {
	if s.StepSize < 1 {
		return &ArgError{Method: "rt.StepLR", Arg: "StepSize", Msg: fmt.Sprintf("= %d, want ≥ 1", s.StepSize)}
	}
	return nil
}

// Validate reports a TMax PyTorch would divide by zero with.
func (s CosineAnnealingLR) Validate() error {
	if s.TMax < 1 {
		return &ArgError{Method: "rt.CosineAnnealingLR", Arg: "TMax", Msg: fmt.Sprintf("= %d, want ≥ 1", s.TMax)}
	}
	return nil
}

// LRSetter is an optimizer whose learning rate a schedule can change between steps.
// The pointers to rt's optimizers (*SGD, *Adam, ..., as returned by New<Name>)
// implement it; their values do not, because an interface holding a value holds a
// copy.
type LRSetter interface {
	LearningRate() float64
	SetLearningRate(lr float64)
}

// LearningRate returns LR.
func (o *SGD) LearningRate() float64 { return float64(o.LR) }

// SetLearningRate sets LR (rounded to float32, SGD's type for it).
func (o *SGD) SetLearningRate(lr float64) { o.LR = float32(lr) }

// LearningRate returns LR.
func (o *Adagrad) LearningRate() float64 { return o.LR }

// SetLearningRate sets LR.
func (o *Adagrad) SetLearningRate(lr float64) { o.LR = lr }

// LearningRate returns LR.
func (o *Adadelta) LearningRate() float64 { return o.LR }

// SetLearningRate sets LR.
func (o *Adadelta) SetLearningRate(lr float64) { o.LR = lr }

// LearningRate returns LR.
func (o *RMSprop) LearningRate() float64 { return o.LR }

// SetLearningRate sets LR.
func (o *RMSprop) SetLearningRate(lr float64) { o.LR = lr }

// LearningRate returns LR.
func (o *Adam) LearningRate() float64 { return o.LR }

// SetLearningRate sets LR.
func (o *Adam) SetLearningRate(lr float64) { o.LR = lr }

// LearningRate returns LR.
func (o *AdamW) LearningRate() float64 { return o.LR }

// SetLearningRate sets LR. AdamW's decay step LR·WeightDecay follows it, as in
// PyTorch where the schedule changes the group's lr.
func (o *AdamW) SetLearningRate(lr float64) { o.LR = lr }

// LearningRate returns LR.
func (o *Adamax) LearningRate() float64 { return o.LR }

// SetLearningRate sets LR.
func (o *Adamax) SetLearningRate(lr float64) { o.LR = lr }

// LearningRate returns LR.
func (o *NAdam) LearningRate() float64 { return o.LR }

// SetLearningRate sets LR.
func (o *NAdam) SetLearningRate(lr float64) { o.LR = lr }

// SetLR sets o's learning rate and returns the optimizer to use from now on. An
// LRSetter is changed in place and returned as is (no allocation); an rt optimizer
// held by value (m.Optimizer = rt.SGD{...}) is returned as a changed copy, which the
// caller must store back (that boxing allocates once per call, so call it per epoch,
// not per step). Any other optimizer is an error.
func SetLR(o Optimizer, lr float64) (Optimizer, error) {
	switch v := o.(type) {
	case LRSetter:
		v.SetLearningRate(lr)
		return o, nil
	case SGD:
		v.LR = float32(lr)
		return v, nil
	case Adagrad:
		v.LR = lr
		return v, nil
	case Adadelta:
		v.LR = lr
		return v, nil
	case RMSprop:
		v.LR = lr
		return v, nil
	case Adam:
		v.LR = lr
		return v, nil
	case AdamW:
		v.LR = lr
		return v, nil
	case Adamax:
		v.LR = lr
		return v, nil
	case NAdam:
		v.LR = lr
		return v, nil
	}
	return o, &ArgError{Method: "rt.SetLR", Arg: "o", Msg: fmt.Sprintf("is a %T, which has no learning rate to set (implement rt.LRSetter)", o)}
}
