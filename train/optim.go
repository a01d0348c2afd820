package train

import (
	"fmt"
	"math"
	"strings"

	"github.com/dlgen/dlgen/rt"
)

// Optimizers lists the names NewOptimizer accepts, as the -optimizer flag does.
var Optimizers = []string{"sgd", "momentum", "nesterov", "adagrad", "adadelta", "rmsprop", "adam", "adamax", "nadam", "amsgrad", "adamw"}

// Schedules lists the learning-rate schedules NewSchedule accepts.
var Schedules = []string{"none", "step", "exp", "cosine"}

// Hyper holds the optimizer's hyper-parameters that the command line sets. A nil
// field means the optimizer's own default (PyTorch 1.13's, see the rt types).
type Hyper struct {
	LR          *float64
	Momentum    *float64 // sgd, momentum, nesterov and rmsprop only
	WeightDecay *float64
}

// Float returns a pointer to v, for the optional fields of Hyper.
func Float(v float64) *float64 { return &v }

// NewOptimizer returns the named optimizer (one of Optimizers) with PyTorch's
// defaults and the hyper-parameters h sets:
//
//	sgd       rt.SGD, lr 0.01 (torch.optim.SGD has no default; Keras uses 0.01)
//	momentum  rt.SGD with momentum 0.9
//	nesterov  rt.SGD with momentum 0.9 and Nesterov's update
//	adagrad   rt.Adagrad, lr 0.01       adadelta  rt.Adadelta, lr 1
//	rmsprop   rt.RMSprop, lr 0.01       adam      rt.Adam, lr 0.001
//	adamax    rt.Adamax, lr 0.002       nadam     rt.NAdam, lr 0.002
//	amsgrad   rt.Adam with AMSGrad      adamw     rt.AdamW, lr 0.001, weight decay 0.01
//
// The result is a pointer, so that a schedule can set its learning rate in place
// (rt.SetLR). Weight decay is L2 regularisation added to the gradient, except for
// adamw, whose decay is decoupled (Loshchilov & Hutter). Momentum for an optimizer
// without it, and values PyTorch rejects, are errors.
func NewOptimizer(name string, h Hyper) (rt.Optimizer, error) {
	set := func(dst *float64, v *float64) {
		if v != nil {
			*dst = *v
		}
	}
	wd := 0.0
	set(&wd, h.WeightDecay)
	if h.Momentum != nil {
		switch name {
		case "sgd", "momentum", "nesterov", "rmsprop":
		default:
			return nil, fmt.Errorf("-momentum applies to sgd, momentum, nesterov and rmsprop, not %s", name)
		}
	}
	var o rt.Optimizer
	switch name {
	case "sgd", "momentum", "nesterov":
		lr, mom := 0.01, 0.0
		if name != "sgd" {
			mom = 0.9
		}
		set(&lr, h.LR)
		set(&mom, h.Momentum)
		if err := firstBad(nonNeg("-lr", lr), nonNeg("-momentum", mom), nonNeg("-weight-decay", wd)); err != nil {
			return nil, err
		}
		if name != "sgd" && mom == 0 {
			return nil, fmt.Errorf("%s needs -momentum > 0 (use sgd for none)", name)
		}
		o = &rt.SGD{LR: float32(lr), Momentum: float32(mom), WeightDecay: float32(wd), Nesterov: name == "nesterov"}
	case "adagrad":
		a := rt.NewAdagrad()
		set(&a.LR, h.LR)
		a.WeightDecay = wd
		o = a
	case "adadelta":
		a := rt.NewAdadelta()
		set(&a.LR, h.LR)
		a.WeightDecay = wd
		o = a
	case "rmsprop":
		a := rt.NewRMSprop()
		set(&a.LR, h.LR)
		set(&a.Momentum, h.Momentum)
		a.WeightDecay = wd
		o = a
	case "adam", "amsgrad":
		a := rt.NewAdam()
		set(&a.LR, h.LR)
		a.WeightDecay = wd
		a.AMSGrad = name == "amsgrad"
		o = a
	case "adamax":
		a := rt.NewAdamax()
		set(&a.LR, h.LR)
		a.WeightDecay = wd
		o = a
	case "nadam":
		a := rt.NewNAdam()
		set(&a.LR, h.LR)
		a.WeightDecay = wd
		o = a
	case "adamw":
		a := rt.NewAdamW()
		set(&a.LR, h.LR)
		set(&a.WeightDecay, h.WeightDecay)
		o = a
	default:
		return nil, fmt.Errorf("unknown optimizer %q; choose one of %s", name, strings.Join(Optimizers, ", "))
	}
	if v, ok := o.(interface{ Validate() error }); ok {
		if err := v.Validate(); err != nil {
			return nil, err
		}
	}
	return o, nil
}

func nonNeg(flag string, v float64) error {
	if v >= 0 && !math.IsInf(v, 1) {
		return nil
	}
	return fmt.Errorf("%s = %g, want a finite value ≥ 0", flag, v)
}

func firstBad(errs ...error) error {
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}

// NewSchedule returns the named learning-rate schedule (one of Schedules) for a run
// of epochs epochs, evaluated once per epoch as PyTorch's lr_scheduler.step() per
// epoch does: "none" keeps the rate; "step" multiplies it by gamma (default 0.1)
// every stepSize epochs (default a third of the run); "exp" by gamma (default
// 0.95) every epoch; "cosine" anneals it to 0 over the run (Loshchilov & Hutter,
// SGDR, without restarts). gamma ≤ 0 and stepSize ≤ 0 mean the defaults.
func NewSchedule(name string, epochs int, gamma float64, stepSize int) (rt.Schedule, error) {
	switch name {
	case "none", "":
		return nil, nil
	case "step":
		if gamma <= 0 {
			gamma = 0.1
		}
		if stepSize <= 0 {
			stepSize = max(1, epochs/3)
		}
		return rt.StepLR{StepSize: stepSize, Gamma: gamma}, nil
	case "exp":
		if gamma <= 0 {
			gamma = 0.95
		}
		return rt.ExponentialLR{Gamma: gamma}, nil
	case "cosine":
		return rt.CosineAnnealingLR{TMax: max(1, epochs)}, nil
	}
	return nil, fmt.Errorf("unknown schedule %q; choose one of %s", name, strings.Join(Schedules, ", "))
}
