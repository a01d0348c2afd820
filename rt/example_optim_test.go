package rt_test

import (
	"fmt"

	"github.com/dlgen/dlgen/rt"
)

// A training loop as generated code runs it: the optimizer held as rt.Optimizer, the
// schedule setting its rate once per epoch, the gradients clipped by their global
// norm before each update. The "model" minimises (w - 3)².
func ExampleCosineAnnealingLR() {
	var opt rt.Optimizer = rt.NewAdam()
	sched := rt.CosineAnnealingLR{TMax: 20, EtaMin: 0.01}
	w, grad := []float32{0}, []float32{0}
	state := make([]float32, len(opt.Slots())*len(w))
	step := uint64(0)
	for epoch := 0; epoch < 20; epoch++ {
		lr := sched.LR(0.5, epoch)
		if _, err := rt.SetLR(opt, lr); err != nil {
			panic(err)
		}
		for batch := 0; batch < 10; batch++ {
			grad[0] = 2 * (w[0] - 3)
			norm := rt.ClipByGlobalNorm([][]float32{grad}, 1)
			if norm != norm { // NaN: skip the step
				continue
			}
			opt.Update(step, w, grad, state)
			step++
		}
		if epoch%5 == 0 {
			fmt.Printf("epoch %2d lr %.4f w %.3f\n", epoch, lr, w[0])
		}
	}
	fmt.Printf("w %.3f\n", w[0])
	// Output:
	// epoch  0 lr 0.5000 w 3.897
	// epoch  5 lr 0.4282 w 3.049
	// epoch 10 lr 0.2550 w 3.003
	// epoch 15 lr 0.0818 w 3.000
	// w 3.000
}
