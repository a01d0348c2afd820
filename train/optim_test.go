package train

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dlgen/dlgen/generated/mlp"
	"github.com/dlgen/dlgen/rt"
)

// optimizerFromFlags parses a train command line as the command does and builds its
// optimizer.
func optimizerFromFlags(t *testing.T, args ...string) (rt.Optimizer, error) {
	t.Helper()
	c := &cli{env: Env{Stdout: &strings.Builder{}, Stderr: &strings.Builder{}}, name: "mlp"}
	a, err := c.parseTrain(args)
	require.NoError(t, err)
	return NewOptimizer(a.cfg.Optimizer, a.cfg.Hyper)
}

func TestEveryOptimizerFlagMapsToItsRtTypeAndHyperParameters(t *testing.T) {
	cases := []struct {
		args []string
		want rt.Optimizer
	}{
		{nil, &rt.Adam{LR: 1e-3, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8}},
		{[]string{"-optimizer", "sgd"}, &rt.SGD{LR: 0.01}},
		{[]string{"-optimizer", "sgd", "-lr", "0.5", "-momentum", "0.8", "-weight-decay", "1e-4"}, &rt.SGD{LR: 0.5, Momentum: 0.8, WeightDecay: 1e-4}},
		{[]string{"-optimizer", "momentum"}, &rt.SGD{LR: 0.01, Momentum: 0.9}},
		{[]string{"-optimizer", "momentum", "-momentum", "0.5", "-lr", "0.1"}, &rt.SGD{LR: 0.1, Momentum: 0.5}},
		{[]string{"-optimizer", "nesterov"}, &rt.SGD{LR: 0.01, Momentum: 0.9, Nesterov: true}},
		{[]string{"-optimizer", "nesterov", "-weight-decay", "5e-4"}, &rt.SGD{LR: 0.01, Momentum: 0.9, Nesterov: true, WeightDecay: 5e-4}},
		{[]string{"-optimizer", "adagrad"}, &rt.Adagrad{LR: 1e-2, Eps: 1e-10}},
		{[]string{"-optimizer", "adagrad", "-lr", "0.1", "-weight-decay", "0.01"}, &rt.Adagrad{LR: 0.1, Eps: 1e-10, WeightDecay: 0.01}},
		{[]string{"-optimizer", "adadelta"}, &rt.Adadelta{LR: 1, Rho: 0.9, Eps: 1e-6}},
		{[]string{"-optimizer", "adadelta", "-lr", "0.5"}, &rt.Adadelta{LR: 0.5, Rho: 0.9, Eps: 1e-6}},
		{[]string{"-optimizer", "rmsprop"}, &rt.RMSprop{LR: 1e-2, Alpha: 0.99, Eps: 1e-8}},
		{[]string{"-optimizer", "rmsprop", "-momentum", "0.9", "-weight-decay", "1e-3"}, &rt.RMSprop{LR: 1e-2, Alpha: 0.99, Eps: 1e-8, Momentum: 0.9, WeightDecay: 1e-3}},
		{[]string{"-optimizer", "adam", "-lr", "3e-4", "-weight-decay", "1e-5"}, &rt.Adam{LR: 3e-4, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, WeightDecay: 1e-5}},
		{[]string{"-optimizer", "amsgrad"}, &rt.Adam{LR: 1e-3, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, AMSGrad: true}},
		{[]string{"-optimizer", "adamax"}, &rt.Adamax{LR: 2e-3, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8}},
		{[]string{"-optimizer", "nadam"}, &rt.NAdam{LR: 2e-3, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, MomentumDecay: 4e-3}},
		{[]string{"-optimizer", "nadam", "-weight-decay", "0.01"}, &rt.NAdam{LR: 2e-3, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, MomentumDecay: 4e-3, WeightDecay: 0.01}},
		{[]string{"-optimizer", "adamw"}, &rt.AdamW{LR: 1e-3, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, WeightDecay: 1e-2}},
		{[]string{"-optimizer", "adamw", "-weight-decay", "0"}, &rt.AdamW{LR: 1e-3, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8}},
	}
	covered := map[string]bool{}
	for _, c := range cases {
		name := strings.Join(c.args, " ")
		if name == "" {
			name = "no flags"
		}
		t.Run(name+" gives "+fmt.Sprintf("%T", c.want), func(t *testing.T) {
			got, err := optimizerFromFlags(t, c.args...)
			require.NoError(t, err)
			assert.Equal(t, c.want, got)
		})
		opt := "adam"
		for i, a := range c.args {
			if a == "-optimizer" {
				opt = c.args[i+1]
			}
		}
		covered[opt] = true
	}
	for _, o := range Optimizers {
		assert.True(t, covered[o], "optimizer %s has no case", o)
	}
}

func TestBadOptimizerFlagsAreRefused(t *testing.T) {
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"-optimizer", "lbfgs"}, "unknown optimizer"},
		{[]string{"-optimizer", "adam", "-momentum", "0.9"}, "-momentum applies to"},
		{[]string{"-optimizer", "nesterov", "-momentum", "0"}, "needs -momentum > 0"},
		{[]string{"-optimizer", "sgd", "-lr", "-1"}, "-lr = -1"},
		{[]string{"-optimizer", "adam", "-lr", "-1"}, "LR"},
		{[]string{"-optimizer", "adadelta", "-weight-decay", "-0.1"}, "WeightDecay"},
	}
	for _, c := range cases {
		t.Run(strings.Join(c.args, " "), func(t *testing.T) {
			_, err := optimizerFromFlags(t, c.args...)
			require.Error(t, err)
			assert.Contains(t, err.Error(), c.want)
		})
	}
}

// reference is an independent float64 implementation of each optimizer's update,
// written from the equations in PyTorch 1.13's documentation of torch.optim (and
// the papers it cites), not from package rt. step is 1 on the first update.
type reference struct {
	name        string
	lr, mom, wd float64
	state       map[int][][]float64 // per tensor: slots
	mu          float64             // NAdam's running product of μ
}

func (r *reference) slots(k, n, count int) [][]float64 {
	if r.state == nil {
		r.state = map[int][][]float64{}
	}
	if _, ok := r.state[k]; !ok {
		s := make([][]float64, count)
		for i := range s {
			s[i] = make([]float64, n)
		}
		r.state[k] = s
	}
	return r.state[k]
}

func (r *reference) update(step int, k int, p, g []float64) {
	n := len(p)
	t := float64(step)
	const b1, b2 = 0.9, 0.999
	// decayed is the gradient with L2 weight decay, g + λp, formed in float32 as
	// PyTorch does for float32 parameters (grad.add(param, alpha=λ)). Where g ≈ -λp
	// the sum cancels, and the float32 rounding then decides the step of the
	// methods that divide by a running |d| (Adam's d/(|d|+ε) on the first step).
	decayed := func(i int) float64 {
		if r.wd == 0 {
			return g[i]
		}
		return float64(float32(g[i]) + float32(r.wd)*float32(p[i]))
	}
	switch r.name {
	case "sgd", "momentum", "nesterov":
		s := r.slots(k, n, 1)
		for i := range p {
			d := decayed(i)
			if r.mom != 0 {
				if step == 1 {
					s[0][i] = d
				} else {
					s[0][i] = r.mom*s[0][i] + d
				}
				if r.name == "nesterov" {
					d += r.mom * s[0][i]
				} else {
					d = s[0][i]
				}
			}
			p[i] -= r.lr * d
		}
	case "adagrad": // lr_decay 0, initial accumulator 0, eps 1e-10
		s := r.slots(k, n, 1)
		for i := range p {
			d := decayed(i)
			s[0][i] += d * d
			p[i] -= r.lr * d / (math.Sqrt(s[0][i]) + 1e-10)
		}
	case "adadelta": // rho 0.9, eps 1e-6 (Zeiler 2012, Algorithm 1, with PyTorch's lr)
		s := r.slots(k, n, 2)
		for i := range p {
			d := decayed(i)
			s[0][i] = 0.9*s[0][i] + 0.1*d*d
			delta := math.Sqrt(s[1][i]+1e-6) / math.Sqrt(s[0][i]+1e-6) * d
			s[1][i] = 0.9*s[1][i] + 0.1*delta*delta
			p[i] -= r.lr * delta
		}
	case "rmsprop": // alpha 0.99, eps 1e-8, not centered
		s := r.slots(k, n, 2)
		for i := range p {
			d := decayed(i)
			s[0][i] = 0.99*s[0][i] + 0.01*d*d
			u := d / (math.Sqrt(s[0][i]) + 1e-8)
			if r.mom > 0 {
				s[1][i] = r.mom*s[1][i] + u
				u = s[1][i]
			}
			p[i] -= r.lr * u
		}
	case "adam", "amsgrad", "adamw":
		s := r.slots(k, n, 3)
		for i := range p {
			var d float64
			if r.name == "adamw" {
				p[i] *= 1 - r.lr*r.wd
				d = g[i]
			} else {
				d = decayed(i)
			}
			s[0][i] = b1*s[0][i] + (1-b1)*d
			s[1][i] = b2*s[1][i] + (1-b2)*d*d
			v := s[1][i]
			if r.name == "amsgrad" {
				s[2][i] = math.Max(s[2][i], v)
				v = s[2][i]
			}
			mhat := s[0][i] / (1 - math.Pow(b1, t))
			vhat := v / (1 - math.Pow(b2, t))
			p[i] -= r.lr * mhat / (math.Sqrt(vhat) + 1e-8)
		}
	case "adamax":
		s := r.slots(k, n, 2)
		for i := range p {
			d := decayed(i)
			s[0][i] = b1*s[0][i] + (1-b1)*d
			s[1][i] = math.Max(b2*s[1][i], math.Abs(d)+1e-8)
			p[i] -= r.lr / (1 - math.Pow(b1, t)) * s[0][i] / s[1][i]
		}
	case "nadam": // momentum_decay 4e-3 (Dozat 2016, PyTorch's documented algorithm)
		s := r.slots(k, n, 2)
		mu := b1 * (1 - 0.5*math.Pow(0.96, t*4e-3))
		muNext := b1 * (1 - 0.5*math.Pow(0.96, (t+1)*4e-3))
		prod := r.mu * mu // r.mu is the product up to the previous step
		for i := range p {
			d := decayed(i)
			s[0][i] = b1*s[0][i] + (1-b1)*d
			s[1][i] = b2*s[1][i] + (1-b2)*d*d
			vhat := s[1][i] / (1 - math.Pow(b2, t))
			den := math.Sqrt(vhat) + 1e-8
			p[i] -= r.lr*(1-mu)/(1-prod)*d/den + r.lr*muNext/(1-prod*muNext)*s[0][i]/den
		}
	default:
		panic("no reference for " + r.name)
	}
}

// TestTrainStepFollowsEachOptimizersEquations takes three steps of the generated
// MLP's TrainStep with each optimizer (and with gradient clipping) and compares the
// weights after every step with the reference equations applied in float64 to the
// weights before the step and the same gradients, the optimizer state carried in
// float64 from step to step. The gradients come from a second model that has the
// same weights and plain SGD with learning rate 0, so they are the raw ones even
// where the first model clips them in place. Tolerance: every weight within
// 1e-4·lr (a ten-thousandth of a typical step) plus 4 float32 ulps of the weight; a
// wrong hyper-parameter moves some weight by 1e-2·lr or more.
func TestTrainStepFollowsEachOptimizersEquations(t *testing.T) {
	trainSet, _ := subset(t)
	const n = 32
	x, labels := trainSet.X[:n*784], trainSet.Y[:n]
	cases := []struct {
		name      string
		hyper     Hyper
		clipNorm  float64
		clipValue float64
	}{
		{name: "sgd", hyper: Hyper{LR: Float(0.05), WeightDecay: Float(1e-2)}},
		{name: "momentum", hyper: Hyper{LR: Float(0.05), Momentum: Float(0.8), WeightDecay: Float(1e-2)}},
		{name: "nesterov", hyper: Hyper{LR: Float(0.05), WeightDecay: Float(1e-2)}},
		{name: "adagrad", hyper: Hyper{WeightDecay: Float(1e-2)}},
		{name: "adadelta", hyper: Hyper{WeightDecay: Float(1e-2)}},
		{name: "rmsprop", hyper: Hyper{LR: Float(1e-3), Momentum: Float(0.5), WeightDecay: Float(1e-2)}},
		{name: "adam", hyper: Hyper{WeightDecay: Float(1e-2)}},
		{name: "amsgrad", hyper: Hyper{WeightDecay: Float(1e-2)}},
		{name: "adamax", hyper: Hyper{WeightDecay: Float(1e-2)}},
		{name: "nadam", hyper: Hyper{WeightDecay: Float(1e-2)}},
		{name: "adamw", hyper: Hyper{LR: Float(1e-2)}},
		{name: "sgd", hyper: Hyper{LR: Float(0.05)}, clipNorm: 0.5},
		{name: "adam", hyper: Hyper{}, clipValue: 1e-3},
		{name: "momentum", hyper: Hyper{LR: Float(0.05)}, clipValue: 0.01, clipNorm: 0.1},
	}
	for _, c := range cases {
		title := c.name
		if c.clipNorm > 0 {
			title += fmt.Sprintf(" with -clip-norm %g", c.clipNorm)
		}
		if c.clipValue > 0 {
			title += fmt.Sprintf(" with -clip-value %g", c.clipValue)
		}
		t.Run(title+" matches its update equations", func(t *testing.T) {
			opt, err := NewOptimizer(c.name, c.hyper)
			require.NoError(t, err)
			lr := learningRate(opt)
			ref := &reference{name: c.name, lr: lr, mu: 1}
			switch o := opt.(type) {
			case *rt.SGD:
				ref.mom, ref.wd = float64(o.Momentum), float64(o.WeightDecay)
			case *rt.RMSprop:
				ref.mom, ref.wd = o.Momentum, o.WeightDecay
			case *rt.Adagrad:
				ref.wd = o.WeightDecay
			case *rt.Adadelta:
				ref.wd = o.WeightDecay
			case *rt.Adam:
				ref.wd = o.WeightDecay
			case *rt.AdamW:
				ref.wd = o.WeightDecay
			case *rt.Adamax:
				ref.wd = o.WeightDecay
			case *rt.NAdam:
				ref.wd = o.WeightDecay
			}
			a, probe := mlp.New(), mlp.New()
			require.NoError(t, a.Init(11))
			a.SetClip(float32(c.clipValue), c.clipNorm)
			a.SetOptimizer(opt)
			probe.SetOptimizer(&rt.SGD{LR: 0})
			for step := 1; step <= 3; step++ {
				want := toFloat64(a.Params())
				for i, p := range probe.Params() {
					copy(p.Data, a.Params()[i].Data)
				}
				_, err := probe.TrainBatch(n, x, labels, nil)
				require.NoError(t, err)
				grads := toFloat64(probe.Grads())
				clipReference(grads, c.clipValue, c.clipNorm)
				_, err = a.TrainBatch(n, x, labels, nil)
				require.NoError(t, err)
				for k := range want {
					ref.update(step, k, want[k], grads[k])
				}
				if c.name == "nadam" {
					ref.mu *= 0.9 * (1 - 0.5*math.Pow(0.96, float64(step)*4e-3))
				}
				worst, where := 0.0, ""
				for k, p := range a.Params() {
					for i, v := range p.Data {
						tol := 1e-4*lr + 4*ulp32(want[k][i])
						if e := math.Abs(float64(v)-want[k][i]) / tol; e > worst {
							worst, where = e, fmt.Sprintf("%s[%d] = %g, want %g", p.Name, i, v, want[k][i])
						}
					}
				}
				require.LessOrEqual(t, worst, 1.0, "step %d: %s (error/tolerance %.3g)", step, where, worst)
				t.Logf("step %d: largest error %.3g of the tolerance", step, worst)
			}
		})
	}
}

// clipReference clips gradients in float64 as torch.nn.utils.clip_grad_value_ and
// clip_grad_norm_ (max_norm/(norm+1e-6)) do, in that order.
func clipReference(grads [][]float64, value, norm float64) {
	if value > 0 {
		for _, g := range grads {
			for i := range g {
				g[i] = math.Max(-value, math.Min(value, g[i]))
			}
		}
	}
	if norm > 0 {
		s := 0.0
		for _, g := range grads {
			for _, v := range g {
				s += v * v
			}
		}
		if c := norm / (math.Sqrt(s) + 1e-6); c < 1 {
			for _, g := range grads {
				for i := range g {
					g[i] *= c
				}
			}
		}
	}
}

func toFloat64(ts []rt.Tensor) [][]float64 {
	out := make([][]float64, len(ts))
	for k, t := range ts {
		out[k] = make([]float64, len(t.Data))
		for i, v := range t.Data {
			out[k][i] = float64(v)
		}
	}
	return out
}

// ulp32 is the spacing of float32 values at v.
func ulp32(v float64) float64 {
	f := float32(math.Abs(v))
	return float64(math.Nextafter32(f, float32(math.Inf(1))) - f)
}
