package rt

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"testing"

	"github.com/stretchr/testify/require"
)

// optimGolden is testdata/torch/optim_golden.json, written by optim_golden.py.
type optimGolden struct {
	P0    []float32
	Grads [][]float32
	Cases []struct {
		Optimizer  string
		Config     map[string]json.RawMessage
		Trajectory [][]float32
		State      map[string][]float32
	}
}

// torchOptimizer builds the rt optimizer for a torch.optim class name and keyword
// arguments, starting from the New<Name> defaults. An argument it does not know is an
// error, so the script and the test cannot drift apart silently.
func torchOptimizer(name string, cfg map[string]json.RawMessage) (Optimizer, error) {
	var o Optimizer
	fields := map[string]any{}
	betas := func(b1, b2 *float64) { fields["betas"] = &[]*float64{b1, b2} }
	switch name {
	case "Adagrad":
		a := NewAdagrad()
		fields["lr"], fields["lr_decay"], fields["weight_decay"] = &a.LR, &a.LRDecay, &a.WeightDecay
		fields["initial_accumulator_value"], fields["eps"] = &a.InitialAccumulatorValue, &a.Eps
		o = a
	case "Adadelta":
		a := NewAdadelta()
		fields["lr"], fields["rho"], fields["eps"], fields["weight_decay"] = &a.LR, &a.Rho, &a.Eps, &a.WeightDecay
		o = a
	case "RMSprop":
		a := NewRMSprop()
		fields["lr"], fields["alpha"], fields["eps"], fields["weight_decay"] = &a.LR, &a.Alpha, &a.Eps, &a.WeightDecay
		fields["momentum"], fields["centered"] = &a.Momentum, &a.Centered
		o = a
	case "Adam":
		a := NewAdam()
		fields["lr"], fields["eps"], fields["weight_decay"], fields["amsgrad"] = &a.LR, &a.Eps, &a.WeightDecay, &a.AMSGrad
		betas(&a.Beta1, &a.Beta2)
		o = a
	case "AdamW":
		a := NewAdamW()
		fields["lr"], fields["eps"], fields["weight_decay"], fields["amsgrad"] = &a.LR, &a.Eps, &a.WeightDecay, &a.AMSGrad
		betas(&a.Beta1, &a.Beta2)
		o = a
	case "Adamax":
		a := NewAdamax()
		fields["lr"], fields["eps"], fields["weight_decay"] = &a.LR, &a.Eps, &a.WeightDecay
		betas(&a.Beta1, &a.Beta2)
		o = a
	case "NAdam":
		a := NewNAdam()
		fields["lr"], fields["eps"], fields["weight_decay"], fields["momentum_decay"] = &a.LR, &a.Eps, &a.WeightDecay, &a.MomentumDecay
		betas(&a.Beta1, &a.Beta2)
		o = a
	default:
		return nil, fmt.Errorf("no rt optimizer for torch.optim.%s", name)
	}
	for k, raw := range cfg {
		dst, ok := fields[k]
		if !ok {
			return nil, fmt.Errorf("torch.optim.%s: argument %q has no rt field", name, k)
		}
		if err := json.Unmarshal(raw, dst); err != nil {
			return nil, fmt.Errorf("torch.optim.%s: %s: %w", name, k, err)
		}
	}
	return o, nil
}

// requireClose checks got against want element by element with
// |got-want| ≤ rtol·|want| + atol. The golden trajectories use rtol 1e-6 and
// atol 1e-7 (about one float32 ulp at 1, the size of the parameters): both sides
// compute in float32, in a different order, so they differ by a few ulps, and an
// element that passes near 0 keeps the absolute error of the larger operands that
// cancelled.
func requireClose(t *testing.T, want, got []float32, rtol, atol float64, msgAndArgs ...any) {
	t.Helper()
	require.Len(t, got, len(want), msgAndArgs...)
	for i := range want {
		w, g := float64(want[i]), float64(got[i])
		if math.IsNaN(w) || math.IsNaN(g) || math.Abs(g-w) > rtol*math.Abs(w)+atol {
			require.Failf(t, "values differ", "element %d: got %.9g, want %.9g (|diff| %.3g > %.3g): %s",
				i, g, w, math.Abs(g-w), rtol*math.Abs(w)+atol, fmt.Sprint(msgAndArgs...))
		}
	}
}

// TestOptimizersFollowPyTorch replays every trajectory of optim_golden.json: the
// parameters after each of the 8 steps and the final per-element state, matched to
// PyTorch's state_dict keys through Slots().
func TestOptimizersFollowPyTorch(t *testing.T) {
	raw, err := os.ReadFile("../testdata/torch/optim_golden.json")
	require.NoError(t, err)
	var golden optimGolden
	require.NoError(t, json.Unmarshal(raw, &golden))
	require.NotEmpty(t, golden.Cases)
	for _, c := range golden.Cases {
		cfg, _ := json.Marshal(c.Config)
		t.Run(fmt.Sprintf("%s %s matches torch.optim", c.Optimizer, cfg), func(t *testing.T) {
			o, err := torchOptimizer(c.Optimizer, c.Config)
			require.NoError(t, err)
			require.NoError(t, o.(interface{ Validate() error }).Validate())
			n := len(golden.P0)
			p := append([]float32(nil), golden.P0...)
			state := make([]float32, len(o.Slots())*n)
			require.Len(t, c.Trajectory, len(golden.Grads))
			for step, g := range golden.Grads {
				o.Update(uint64(step), p, g, state)
				requireClose(t, c.Trajectory[step], p, 1e-6, 1e-7, "parameters after step ", step+1)
			}
			require.Len(t, c.State, len(o.Slots()), "torch's per-element state is %v", stateKeys(c.State))
			for s, name := range o.Slots() {
				want, ok := c.State[name]
				require.True(t, ok, "slot %q is not in torch's state %v", name, stateKeys(c.State))
				requireClose(t, want, state[s*n:(s+1)*n], 1e-6, 1e-7, "final ", name)
			}
		})
	}
}

func stateKeys(m map[string][]float32) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	return ks
}
