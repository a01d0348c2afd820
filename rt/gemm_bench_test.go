package rt

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// BenchmarkGemm reports GFLOP/s (2·m·n·k per call) of the active kernel for the
// shapes dlgen meets: a Dense layer's forward product X·Wᵀ (64×784 · (128×784)ᵀ),
// the backward products of the same layer, an im2col convolution with few output
// channels, and square matrices, on 1 and 2 threads.
//
//	go test ./rt -run '^$' -bench Gemm -count 10
//
// Besides wall-clock GFLOP/s it reports cpu-GFLOP/s: the same work divided by the
// CPU time the process used (Linux only). On a shared machine the wall-clock figure
// drops whenever another process takes the core; the CPU-time figure does not, so
// it measures the code rather than the neighbours. With 2 threads it is the speed
// per busy core, spinning included, and the wall-clock figure shows the scaling.
func BenchmarkGemm(b *testing.B) {
	shapes := []struct {
		name           string
		transA, transB bool
		m, n, k        int
	}{
		{"dense-fwd-64x784x128-NT", false, true, 64, 128, 784},
		{"dense-dx-64x128x784-NN", false, false, 64, 784, 128},
		{"dense-dw-128x784x64-TN", true, false, 128, 784, 64},
		{"dense-64x784x128-NN", false, false, 64, 128, 784},
		{"conv-6x25x50176-NN", false, false, 6, 50176, 25},
		{"out-64x128x10-NT", false, true, 64, 10, 128},
		{"small-64x12x32-NT", false, true, 64, 32, 12},
		{"tiny-1x24x4-NT", false, true, 1, 4, 24},
		{"square-512-NN", false, false, 512, 512, 512},
		{"square-1024-NN", false, false, 1024, 1024, 1024},
	}
	for _, s := range shapes {
		for _, threads := range []int{1, 2} {
			b.Run(fmt.Sprintf("%s/%s/threads=%d", activeKernel.name, s.name, threads), func(b *testing.B) {
				benchGemm(b, activeKernel, threads, s.transA, s.transB, s.m, s.n, s.k)
			})
		}
	}
}

// BenchmarkGemmKernels compares every kernel this CPU supports on one thread.
func BenchmarkGemmKernels(b *testing.B) {
	for _, kern := range allKernels {
		if !kern.supported {
			continue
		}
		for _, n := range []int{64, 256, 512} {
			b.Run(fmt.Sprintf("%s/square-%d-NN", kern.name, n), func(b *testing.B) {
				benchGemm(b, kern, 1, false, false, n, n, n)
			})
		}
	}
}

func benchGemm(b *testing.B, kern *gemmKernel, threads int, transA, transB bool, m, n, k int) {
	old := activeKernel
	activeKernel = kern
	defer func() { activeKernel = old }()
	rng := rand.New(rand.NewPCG(1, 1))
	g := newGemmCase(rng, transA, transB, m, n, k, 1, 0, 0)
	p := NewPool(threads)
	defer p.Close()
	p.Gemm(transA, transB, m, n, k, 1, g.a, g.lda, g.b, g.ldb, 0, g.c, g.ldc)
	cpu0 := processCPU()
	for b.Loop() {
		p.Gemm(transA, transB, m, n, k, 1, g.a, g.lda, g.b, g.ldb, 0, g.c, g.ldc)
	}
	cpu := processCPU() - cpu0
	flops := 2 * float64(m) * float64(n) * float64(k) * float64(b.N)
	b.ReportMetric(flops/b.Elapsed().Seconds()/1e9, "GFLOP/s")
	if cpu > 0 {
		b.ReportMetric(flops/cpu/1e9, "cpu-GFLOP/s")
	}
}
