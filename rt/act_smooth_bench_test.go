package rt

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// smoothBench is one smooth activation or gradient as generated code computes it
// element by element in a loop (scalar).
type smoothBench struct {
	name   string
	scalar func(y, x, dy []float32)
}

var smoothBenches = []smoothBench{
	{"Elu", func(y, x, _ []float32) {
		for i, v := range x {
			y[i] = Elu32(v, 1)
		}
	}},
	{"EluGrad", func(y, x, dy []float32) {
		for i, v := range x {
			y[i] = EluGrad32(v, dy[i], 1)
		}
	}},
	{"Selu", func(y, x, _ []float32) {
		for i, v := range x {
			y[i] = Selu32(v)
		}
	}},
	{"SeluGrad", func(y, x, dy []float32) {
		for i, v := range x {
			y[i] = SeluGrad32(v, dy[i])
		}
	}},
	{"Softplus", func(y, x, _ []float32) {
		for i, v := range x {
			y[i] = Softplus32(v)
		}
	}},
	{"SoftplusGrad", func(y, x, dy []float32) {
		for i, v := range x {
			y[i] = SoftplusGrad32(v, dy[i])
		}
	}},
	{"Gelu", func(y, x, _ []float32) {
		for i, v := range x {
			y[i] = Gelu32(v)
		}
	}},
	{"GeluGrad", func(y, x, dy []float32) {
		for i, v := range x {
			y[i] = GeluGrad32(v, dy[i])
		}
	}},
	{"GeluTanh", func(y, x, _ []float32) {
		for i, v := range x {
			y[i] = GeluTanh32(v)
		}
	}},
	{"GeluTanhGrad", func(y, x, dy []float32) {
		for i, v := range x {
			y[i] = GeluTanhGrad32(v, dy[i])
		}
	}},
	{"Silu", func(y, x, _ []float32) {
		for i, v := range x {
			y[i] = Silu32(v)
		}
	}},
	{"SiluGrad", func(y, x, dy []float32) {
		for i, v := range x {
			y[i] = SiluGrad32(v, dy[i])
		}
	}},
}

// benchInputs are n pre-activations as a layer feeds them to an activation: normal
// with standard deviation 2 (so every branch of the functions is taken, in random
// order), and n output gradients.
func benchInputs(n int) (x, dy []float32) {
	rng := rand.New(rand.NewPCG(3, 4))
	x, dy = make([]float32, n), make([]float32, n)
	for i := range x {
		x[i] = float32(2 * rng.NormFloat64())
		dy[i] = float32(rng.NormFloat64())
	}
	return x, dy
}

// BenchmarkSmoothActivations times each smooth activation and gradient over a
// tensor of 4096 values and one of 100352 (32×28×28×4), in ns per value.
func BenchmarkSmoothActivations(b *testing.B) {
	for _, n := range []int{4096, 100352} {
		x, dy := benchInputs(n)
		y := make([]float32, n)
		for _, f := range smoothBenches {
			b.Run(fmt.Sprintf("%s/%d/scalar", f.name, n), func(b *testing.B) {
				for b.Loop() {
					f.scalar(y, x, dy)
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/value")
			})
		}
	}
}
