package rt

import (
	"encoding/json"
	"os"
	"testing"

	"github.com/stretchr/testify/require"
)

// newOptimizers are the New<Name> constructors by torch.optim class name.
var newOptimizers = map[string]func() Optimizer{
	"Adagrad":  func() Optimizer { return NewAdagrad() },
	"Adadelta": func() Optimizer { return NewAdadelta() },
	"RMSprop":  func() Optimizer { return NewRMSprop() },
	"Adam":     func() Optimizer { return NewAdam() },
	"AdamW":    func() Optimizer { return NewAdamW() },
	"Adamax":   func() Optimizer { return NewAdamax() },
	"NAdam":    func() Optimizer { return NewNAdam() },
}

// TestConstructorsHoldPyTorchDefaults builds each optimizer from torch's own
// defaults dictionary (optim_golden.json) and requires it to equal New<Name>().
func TestConstructorsHoldPyTorchDefaults(t *testing.T) {
	raw, err := os.ReadFile("../testdata/torch/optim_golden.json")
	require.NoError(t, err)
	var golden struct {
		Defaults map[string]map[string]json.RawMessage
	}
	require.NoError(t, json.Unmarshal(raw, &golden))
	require.Len(t, golden.Defaults, len(newOptimizers))
	for name, defaults := range golden.Defaults {
		t.Run("New"+name+" holds torch.optim."+name+"'s defaults", func(t *testing.T) {
			fromTorch, err := torchOptimizer(name, defaults)
			require.NoError(t, err)
			require.Equal(t, newOptimizers[name](), fromTorch)
			require.NoError(t, fromTorch.(interface{ Validate() error }).Validate())
		})
	}
}

func TestSlots(t *testing.T) {
	for _, c := range []struct {
		name string
		opt  Optimizer
		want []string
	}{
		{"Adagrad keeps the sum of squares", Adagrad{}, []string{"sum"}},
		{"Adadelta keeps two averages", Adadelta{}, []string{"square_avg", "acc_delta"}},
		{"RMSprop keeps the square average", RMSprop{}, []string{"square_avg"}},
		{"RMSprop with momentum adds a buffer", RMSprop{Momentum: 0.9}, []string{"square_avg", "momentum_buffer"}},
		{"centered RMSprop adds the gradient average", RMSprop{Centered: true}, []string{"square_avg", "grad_avg"}},
		{"centered RMSprop with momentum keeps all three", RMSprop{Momentum: 0.9, Centered: true}, []string{"square_avg", "momentum_buffer", "grad_avg"}},
		{"Adam keeps two moments", Adam{}, []string{"exp_avg", "exp_avg_sq"}},
		{"AMSGrad adds the maximum", Adam{AMSGrad: true}, []string{"exp_avg", "exp_avg_sq", "max_exp_avg_sq"}},
		{"AdamW keeps two moments", AdamW{}, []string{"exp_avg", "exp_avg_sq"}},
		{"AdamW with AMSGrad adds the maximum", AdamW{AMSGrad: true}, []string{"exp_avg", "exp_avg_sq", "max_exp_avg_sq"}},
		{"Adamax keeps the moment and the infinity norm", Adamax{}, []string{"exp_avg", "exp_inf"}},
		{"NAdam keeps two moments", NAdam{}, []string{"exp_avg", "exp_avg_sq"}},
	} {
		t.Run(c.name, func(t *testing.T) { require.Equal(t, c.want, c.opt.Slots()) })
	}
}

// TestUpdatesDoNotAllocate runs every optimizer, by value and by pointer, through
// the Optimizer interface as TrainStep does.
func TestUpdatesDoNotAllocate(t *testing.T) {
	var opts []Optimizer
	for _, c := range refCases() {
		opts = append(opts, c.opt)
	}
	for _, newOpt := range newOptimizers {
		opts = append(opts, newOpt())
	}
	for _, o := range opts {
		p, g := make([]float32, 64), make([]float32, 64)
		for i := range g {
			g[i] = float32(i%7) - 3
		}
		s := make([]float32, 64*len(o.Slots()))
		require.Zero(t, testing.AllocsPerRun(10, func() {
			o.Update(3, p, g, s)
			_ = o.Slots()
		}), "%T%+v", o, o)
	}
}

// TestUpdateAcceptsLongerGradientAndState: like SGD, the optimizers read only the
// first len(p) gradient values and their slots from the front of state.
func TestUpdateAcceptsLongerGradientAndState(t *testing.T) {
	for _, c := range refCases() {
		n := 3
		p1, p2 := []float32{1, -2, 0.5}, []float32{1, -2, 0.5}
		g := []float32{0.3, -0.7, 1.1, 99}
		s1 := make([]float32, n*len(c.opt.Slots()))
		s2 := make([]float32, len(s1)+5)
		for step := uint64(0); step < 3; step++ {
			c.opt.Update(step, p1, g[:n], s1)
			c.opt.Update(step, p2, g, s2)
		}
		require.Equal(t, p1, p2, "%T", c.opt)
		require.Equal(t, s1, s2[:len(s1)], "%T", c.opt)
	}
}

func TestAdagradStartsTheSumAtTheInitialAccumulator(t *testing.T) {
	o := Adagrad{LR: 1, InitialAccumulatorValue: 3}
	p, s := []float32{0}, []float32{0}
	o.Update(0, p, []float32{1}, s)
	require.Equal(t, float32(4), s[0])
	require.InDelta(t, -0.5, p[0], 1e-7) // -1/√4
	o.Update(1, p, []float32{0}, s)
	require.Equal(t, float32(4), s[0], "the initial value is added once")
}

func TestValidate(t *testing.T) {
	type validator interface{ Validate() error }
	for _, c := range []struct {
		name string
		opt  validator
		want string
	}{
		{"a negative learning rate", Adam{LR: -1, Beta1: 0.9, Beta2: 0.999}, "rt.Adam: LR = -1, want a finite value ≥ 0"},
		{"beta1 of 1", Adam{LR: 1, Beta1: 1, Beta2: 0.999}, "rt.Adam: Beta1 = 1 is outside [0, 1)"},
		{"a negative beta2", AdamW{LR: 1, Beta1: 0.9, Beta2: -0.1}, "rt.AdamW: Beta2 = -0.1 is outside [0, 1)"},
		{"a negative eps", Adamax{LR: 1, Beta1: 0.9, Beta2: 0.9, Eps: -1e-8}, "rt.Adamax: Eps = -1e-08, want a finite value ≥ 0"},
		{"a negative momentum decay", NAdam{LR: 1, Beta1: 0.9, Beta2: 0.9, MomentumDecay: -1}, "rt.NAdam: MomentumDecay = -1, want a finite value ≥ 0"},
		{"rho above 1", Adadelta{LR: 1, Rho: 1.5}, "rt.Adadelta: Rho = 1.5 is outside [0, 1]"},
		{"a negative initial accumulator", Adagrad{LR: 1, InitialAccumulatorValue: -1}, "rt.Adagrad: InitialAccumulatorValue = -1, want a finite value ≥ 0"},
		{"a negative momentum", RMSprop{LR: 1, Momentum: -0.5}, "rt.RMSprop: Momentum = -0.5, want a finite value ≥ 0"},
	} {
		t.Run("rejects "+c.name, func(t *testing.T) {
			err := c.opt.Validate()
			require.EqualError(t, err, c.want)
			var ae *ArgError
			require.ErrorAs(t, err, &ae)
		})
	}
	t.Run("accepts rho of 1 and betas of 0", func(t *testing.T) {
		require.NoError(t, Adadelta{LR: 1, Rho: 1}.Validate())
		require.NoError(t, Adam{LR: 1}.Validate())
	})
}

// Per-element cost of one update on a layer-sized parameter.
func BenchmarkUpdate(b *testing.B) {
	const n = 1 << 16
	for name, newOpt := range newOptimizers {
		o := newOpt()
		p, g, s := make([]float32, n), make([]float32, n), make([]float32, n*len(o.Slots()))
		for i := range g {
			g[i] = float32(i%13) - 6
		}
		b.Run(name, func(b *testing.B) {
			b.SetBytes(4 * n)
			for i := 0; i < b.N; i++ {
				o.Update(uint64(i), p, g, s)
			}
		})
	}
}
