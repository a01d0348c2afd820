package gonumpeer

import (
	"testing"

	"dlgenbench/wl"
)

// BenchmarkWorkloads is W1–W4 × {infer_b1, infer_bN, train_bN} (bench/run.sh runs it).
func BenchmarkWorkloads(b *testing.B) { wl.Run(b, Setup) }

func TestComputesWhatPyTorchComputes(t *testing.T) {
	for _, w := range wl.Names {
		t.Run(w+" inference and one SGD step match PyTorch", func(t *testing.T) {
			d := wl.MakeData(w)
			m, err := New(w, wl.Batch[w])
			if err != nil {
				t.Fatal(err)
			}
			if err := wl.CheckInference(w, wl.Checksum(m.Predict(d.X))); err != nil {
				t.Error(err)
			}
			l0 := m.TrainStep(d.X, d.Labels, d.Target, wl.CheckLR)
			l1 := m.TrainStep(d.X, d.Labels, d.Target, 0)
			if err := wl.CheckTraining(w, float64(l0), float64(l1)); err != nil {
				t.Error(err)
			}
		})
	}
}
