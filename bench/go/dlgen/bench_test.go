package dlgenbench

import (
	"testing"

	"dlgenbench/wl"
)

// BenchmarkWorkloads is W1–W4 × {infer_b1, infer_bN, train_bN} (bench/run.sh runs it).
func BenchmarkWorkloads(b *testing.B) { wl.Run(b, Setup) }

func TestComputesWhatPyTorchComputes(t *testing.T) {
	for _, w := range wl.Names {
		t.Run(w+" inference and one SGD step match PyTorch", func(t *testing.T) {
			if _, ok := factories[w]; !ok {
				t.Skipf("%s's generated package is left out of this build", w)
			}
			n := wl.Batch[w]
			p, err := Setup(w, false, n)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := p.Step(); err != nil {
				t.Fatal(err)
			}
			if err := wl.CheckInference(w, wl.Checksum(p.Out())); err != nil {
				t.Error(err)
			}
			wl.LR = wl.CheckLR
			defer func() { wl.LR = 0.01 }()
			tr, err := Setup(w, true, n)
			if err != nil {
				t.Fatal(err)
			}
			l0, err := tr.Step()
			if err != nil {
				t.Fatal(err)
			}
			l1, err := tr.Step()
			if err != nil {
				t.Fatal(err)
			}
			if err := wl.CheckTraining(w, float64(l0), float64(l1)); err != nil {
				t.Error(err)
			}
		})
	}
}
