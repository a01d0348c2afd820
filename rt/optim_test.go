package rt

import (
	"encoding/json"
	"fmt"
	"os"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestSGDFollowsPyTorch replays the trajectories torch.optim.SGD takes in
// testdata/sgd_golden.json (written by testdata/sgd_golden.py) for plain SGD,
// momentum, Nesterov, dampening and weight decay.
func TestSGDFollowsPyTorch(t *testing.T) {
	raw, err := os.ReadFile("testdata/sgd_golden.json")
	require.NoError(t, err)
	var golden struct {
		P0    []float32
		Grads [][]float32
		Cases []struct {
			Config struct {
				LR, Momentum, Dampening float32
				WeightDecay             float32 `json:"weight_decay"`
				Nesterov                bool
			}
			Trajectory [][]float32
		}
	}
	require.NoError(t, json.Unmarshal(raw, &golden))
	require.NotEmpty(t, golden.Cases)
	for _, c := range golden.Cases {
		o := SGD{LR: c.Config.LR, Momentum: c.Config.Momentum, Dampening: c.Config.Dampening, WeightDecay: c.Config.WeightDecay, Nesterov: c.Config.Nesterov}
		t.Run(fmt.Sprintf("%+v", o), func(t *testing.T) {
			p := append([]float32(nil), golden.P0...)
			state := make([]float32, len(o.Slots())*len(p))
			for step, g := range golden.Grads {
				o.Update(uint64(step), p, g, state)
				require.InDeltaSlice(t, c.Trajectory[step], p, 1e-6, "step %d", step)
			}
		})
	}
}

func TestSGDSlots(t *testing.T) {
	require.Empty(t, SGD{LR: 1}.Slots())
	require.Equal(t, []string{"momentum_buffer"}, SGD{LR: 1, Momentum: 0.5}.Slots())
}

func TestSGDUpdateDoesNotAllocate(t *testing.T) {
	var o Optimizer = SGD{LR: 0.1, Momentum: 0.9}
	p, g, s := make([]float32, 64), make([]float32, 64), make([]float32, 64)
	require.Zero(t, testing.AllocsPerRun(10, func() {
		o.Update(1, p, g, s)
		_ = o.Slots()
	}))
}
