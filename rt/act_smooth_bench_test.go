package rt

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// smoothBench is one smooth activation or gradient as generated code computes it
// element by element in a loop (scalar), and its slice function (vector).
type smoothBench struct {
	name   string
	scalar func(y, x, dy []float32)
	vector func(y, x, dy []float32)
}

var smoothBenches = []smoothBench{
	{"Elu", func(y, x, _ []float32) {
		for i, v := range x {
			y[i] = Elu32(v, 1)
		}
	}, func(y, x, _ []float32) { Elu(y, x, 1) }},
	{"EluGrad", func(y, x, dy []float32) {
		for i, v := range x {
			y[i] = EluGrad32(v, dy[i], 1)
		}
	}, func(y, x, dy []float32) { EluGrad(y, x, dy, 1) }},
	{"Selu", func(y, x, _ []float32) {
		for i, v := range x {
			y[i] = Selu32(v)
		}
	}, func(y, x, _ []float32) { Selu(y, x) }},
	{"SeluGrad", func(y, x, dy []float32) {
		for i, v := range x {
			y[i] = SeluGrad32(v, dy[i])
		}
	}, SeluGrad},
	{"Softplus", func(y, x, _ []float32) {
		for i, v := range x {
			y[i] = Softplus32(v)
		}
	}, func(y, x, _ []float32) { Softplus(y, x) }},
	{"SoftplusGrad", func(y, x, dy []float32) {
		for i, v := range x {
			y[i] = SoftplusGrad32(v, dy[i])
		}
	}, SoftplusGrad},
	{"Gelu", func(y, x, _ []float32) {
		for i, v := range x {
			y[i] = Gelu32(v)
		}
	}, func(y, x, _ []float32) { Gelu(y, x) }},
	{"GeluGrad", func(y, x, dy []float32) {
		for i, v := range x {
			y[i] = GeluGrad32(v, dy[i])
		}
	}, GeluGrad},
	{"GeluTanh", func(y, x, _ []float32) {
		for i, v := range x {
			y[i] = GeluTanh32(v)
		}
	}, func(y, x, _ []float32) { GeluTanh(y, x) }},
	{"GeluTanhGrad", func(y, x, dy []float32) {
		for i, v := range x {
			y[i] = GeluTanhGrad32(v, dy[i])
		}
	}, GeluTanhGrad},
	{"Silu", func(y, x, _ []float32) {
		for i, v := range x {
			y[i] = Silu32(v)
		}
	}, func(y, x, _ []float32) { Silu(y, x) }},
	{"SiluGrad", func(y, x, dy []float32) {
		for i, v := range x {
			y[i] = SiluGrad32(v, dy[i])
		}
	}, SiluGrad},
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
// tensor of 4096 values and one of 100352 (32×28×28×4), in ns per value: element
// by element (scalar) and with its slice function (vector: AVX-512 or AVX2 where
// the CPU has it).
func BenchmarkSmoothActivations(b *testing.B) {
	for _, n := range []int{4096, 100352} {
		x, dy := benchInputs(n)
		y := make([]float32, n)
		for _, f := range smoothBenches {
			for _, way := range []struct {
				name string
				f    func(y, x, dy []float32)
			}{{"scalar", f.scalar}, {"vector", f.vector}} {
				b.Run(fmt.Sprintf("%s/%d/%s", f.name, n, way.name), func(b *testing.B) {
					for b.Loop() {
						way.f(y, x, dy)
					}
					b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/value")
				})
			}
		}
	}
}
