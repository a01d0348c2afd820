package rt

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestSchedulesFollowPyTorch compares each closed form with the rates PyTorch's
// schedulers reach by stepping (testdata/torch/optim_schedule.json, written by
// optim_schedule.py), to |got-want| ≤ 1e-12 + 1e-9·|want|: both are float64, but
// PyTorch's cosine is a recursion that accumulates rounding over 40 epochs.
func TestSchedulesFollowPyTorch(t *testing.T) {
	raw, err := os.ReadFile("../testdata/torch/optim_schedule.json")
	require.NoError(t, err)
	var golden struct {
		Cases []struct {
			Scheduler string
			Config    struct {
				StepSize   int `json:"step_size"`
				Gamma      *float64
				Milestones []int
				TMax       int     `json:"T_max"`
				EtaMin     float64 `json:"eta_min"`
			}
			Base float64
			LRs  []float64
		}
	}
	require.NoError(t, json.Unmarshal(raw, &golden))
	require.NotEmpty(t, golden.Cases)
	for _, c := range golden.Cases {
		gamma := 0.1 // torch's default for StepLR and MultiStepLR
		if c.Config.Gamma != nil {
			gamma = *c.Config.Gamma
		}
		var s Schedule
		switch c.Scheduler {
		case "StepLR":
			s = StepLR{StepSize: c.Config.StepSize, Gamma: gamma}
		case "MultiStepLR":
			s = MultiStepLR{Milestones: c.Config.Milestones, Gamma: gamma}
		case "ExponentialLR":
			s = ExponentialLR{Gamma: gamma}
		case "CosineAnnealingLR":
			s = CosineAnnealingLR{TMax: c.Config.TMax, EtaMin: c.Config.EtaMin}
		default:
			t.Fatalf("no rt schedule for %s", c.Scheduler)
		}
		t.Run(fmt.Sprintf("%T%+v gives torch's rates", s, s), func(t *testing.T) {
			require.Len(t, c.LRs, 40)
			for epoch, want := range c.LRs {
				require.InDelta(t, want, s.LR(c.Base, epoch), 1e-12+1e-9*math.Abs(want), "epoch %d", epoch)
			}
		})
	}
}

func TestScheduleEdgeCases(t *testing.T) {
	t.Run("epoch 0 is the base rate for every schedule", func(t *testing.T) {
		for _, s := range []Schedule{StepLR{StepSize: 2, Gamma: 0.5}, MultiStepLR{Milestones: []int{1}, Gamma: 0.5},
			ExponentialLR{Gamma: 0.5}, CosineAnnealingLR{TMax: 3, EtaMin: 0.01}} {
			require.Equal(t, 0.25, s.LR(0.25, 0), "%T", s)
		}
	})
	t.Run("a schedule that would divide by zero returns the base rate and fails Validate", func(t *testing.T) {
		require.Equal(t, 0.3, StepLR{Gamma: 0.5}.LR(0.3, 5))
		require.Equal(t, 0.3, CosineAnnealingLR{}.LR(0.3, 5))
		var ae *ArgError
		require.ErrorAs(t, StepLR{}.Validate(), &ae)
		require.Equal(t, "StepSize", ae.Arg)
		require.ErrorAs(t, CosineAnnealingLR{TMax: -1}.Validate(), &ae)
		require.Contains(t, ae.Error(), "rt.CosineAnnealingLR: TMax = -1, want ≥ 1")
		require.NoError(t, StepLR{StepSize: 1}.Validate())
		require.NoError(t, CosineAnnealingLR{TMax: 1}.Validate())
	})
	t.Run("ScheduleFunc adapts a function", func(t *testing.T) {
		warmup := ScheduleFunc(func(base float64, epoch int) float64 { return base * math.Min(1, float64(epoch+1)/5) })
		require.InDelta(t, 0.02, warmup.LR(0.1, 0), 1e-15)
		require.InDelta(t, 0.1, warmup.LR(0.1, 9), 1e-15)
	})
}

func TestSetLR(t *testing.T) {
	t.Run("changes a pointer optimizer in place without allocating", func(t *testing.T) {
		for _, o := range []Optimizer{&SGD{LR: 1}, NewAdagrad(), NewAdadelta(), NewRMSprop(), NewAdam(), NewAdamW(), NewAdamax(), NewNAdam()} {
			got, err := SetLR(o, 0.125)
			require.NoError(t, err)
			require.Same(t, o.(LRSetter), got.(LRSetter))
			require.Equal(t, 0.125, o.(LRSetter).LearningRate(), "%T", o)
			require.Zero(t, testing.AllocsPerRun(10, func() { _, _ = SetLR(o, 0.5) }), "%T", o)
		}
	})
	t.Run("returns a changed copy of an optimizer held by value", func(t *testing.T) {
		for _, o := range []Optimizer{SGD{LR: 1}, *NewAdagrad(), *NewAdadelta(), *NewRMSprop(), *NewAdam(), *NewAdamW(), *NewAdamax(), *NewNAdam()} {
			got, err := SetLR(o, 0.125)
			require.NoError(t, err)
			require.IsType(t, o, got)
			var lr float64
			switch v := got.(type) {
			case SGD:
				lr = v.LearningRate()
			case Adagrad:
				lr = v.LR
			case Adadelta:
				lr = v.LR
			case RMSprop:
				lr = v.LR
			case Adam:
				lr = v.LR
			case AdamW:
				lr = v.LR
			case Adamax:
				lr = v.LR
			case NAdam:
				lr = v.LR
			}
			require.Equal(t, 0.125, lr, "%T", o)
		}
	})
	t.Run("refuses an optimizer it cannot change", func(t *testing.T) {
		_, err := SetLR(fixedOptimizer{}, 0.1)
		var ae *ArgError
		require.True(t, errors.As(err, &ae))
		require.Contains(t, err.Error(), "rt.fixedOptimizer")
	})
	t.Run("a schedule drives Adam's updates", func(t *testing.T) {
		// With the rate set to 0 by the schedule at TMax, Adam must not move p.
		o := NewAdam()
		s := CosineAnnealingLR{TMax: 4}
		p, g, st := []float32{1, 2}, []float32{0.5, -0.5}, make([]float32, 4)
		for epoch := 0; epoch <= 4; epoch++ {
			o.SetLearningRate(s.LR(1e-3, epoch))
			before := append([]float32(nil), p...)
			o.Update(uint64(epoch), p, g, st)
			if epoch == 4 {
				require.Equal(t, before, p)
			} else {
				require.NotEqual(t, before, p)
			}
		}
	})
}

// fixedOptimizer is an Optimizer from outside rt with no learning rate to set.
type fixedOptimizer struct{}

func (fixedOptimizer) Slots() []string                                { return nil }
func (fixedOptimizer) Update(uint64, []float32, []float32, []float32) {}
