package rt

import (
	"fmt"
	"testing"
)

// The smooth activations' slice functions take AVX-512 where the CPU has it, else
// AVX2, else Go: the tests that compare them with the scalar functions run again
// with each path the CPU has.
func TestSmoothSliceFunctionsOnEveryPath(t *testing.T) {
	saved := cpu
	defer func() { cpu = saved }()
	for _, path := range []struct {
		name string
		ok   bool
		cpu  cpuFeatures
	}{
		{"AVX-512", saved.avx512, saved},
		{"AVX2", saved.avx2FMA, cpuFeatures{avx2FMA: true}},
		{"Go", true, cpuFeatures{}},
	} {
		t.Run(path.name, func(t *testing.T) {
			if !path.ok {
				t.Skip("the CPU lacks it")
			}
			cpu = path.cpu
			t.Run("the scalar functions' bits", TestSmoothSliceFunctionsAreTheScalarOnes)
			t.Run("every length", TestSmoothSliceFunctionsAtEveryLength)
			t.Run("every float32", TestSmoothSliceFunctionsOnEveryFloat32)
		})
	}
}

// BenchmarkSmoothActivationsAVX2 is BenchmarkSmoothActivations' vector case with
// AVX-512 turned off (the AVX2 kernels and the Go tail).
func BenchmarkSmoothActivationsAVX2(b *testing.B) {
	if !cpu.avx2FMA {
		b.Skip("the CPU lacks AVX2")
	}
	saved := cpu
	defer func() { cpu = saved }()
	cpu = cpuFeatures{avx2FMA: true}
	for _, n := range []int{4096, 100352} {
		x, dy := benchInputs(n)
		y := make([]float32, n)
		for _, f := range smoothBenches {
			b.Run(fmt.Sprintf("%s/%d", f.name, n), func(b *testing.B) {
				for b.Loop() {
					f.vector(y, x, dy)
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/value")
			})
		}
	}
}
