package wl

import (
	"fmt"
	"sync"
	"testing"
)

// Cases are the three measurements per workload: inference at batch 1 and at the
// workload batch, and one training step (forward, backward, SGD lr 0.01) at the
// workload batch.
var Cases = []string{"infer_b1", "infer_bN", "train_bN"}

// LR is the SGD learning rate of every engine's training step (a variable so that the
// engines' tests can check a step at CheckLR).
var LR float32 = 0.01

// Prepared is one engine's ready-to-run case.
type Prepared struct {
	// Step runs one inference batch or one training step; a training step returns its
	// loss (before the update).
	Step func() (loss float32, err error)
	// Out returns the output of the last inference Step (probabilities for W1–W3, the
	// reconstruction for W4), for the checksum. Nil for training.
	Out func() []float32
}

// Setup prepares workload w for case c ("infer" with n = 1 or Batch[w], or "train"):
// build the model, load KerasWeights/TorchWeights, bind MakeData's batch (its first n
// samples). Build time is not measured.
type Setup func(w string, train bool, n int) (Prepared, error)

var printed sync.Map

// Run is the benchmark body of every Go engine: sub-benchmarks W1/infer_b1 … W4/train_bN.
// A case the engine cannot do prints "FAILED <name>: <reason>" (bench/report.py shows
// it as n/a) and is skipped; a panic inside the engine is such a failure, not a crash.
// The first call's checksum or loss is printed once as "CHECK <name> <value>".
func Run(b *testing.B, setup Setup) {
	for _, w := range Names {
		for _, c := range Cases {
			b.Run(w+"/"+c, func(b *testing.B) {
				train, n := c == "train_bN", Batch[w]
				if c == "infer_b1" {
					n = 1
				}
				var p Prepared
				err := guard(func() (err error) { p, err = setup(w, train, n); return err })
				var loss float32
				if err == nil {
					err = guard(func() (err error) { loss, err = p.Step(); return err })
				}
				if err != nil {
					fmt.Printf("FAILED %s: %v\n", b.Name(), err)
					b.Skip(err)
				}
				if _, done := printed.LoadOrStore(b.Name(), true); !done {
					v := float64(loss)
					if !train {
						v = Checksum(p.Out())
					}
					fmt.Printf("CHECK %s %.9g\n", b.Name(), v)
				}
				for range 2 {
					if _, err := p.Step(); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportAllocs()
				for b.Loop() {
					if _, err := p.Step(); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

func guard(f func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic: %v", r)
		}
	}()
	return f()
}
