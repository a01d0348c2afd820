package rt

import "testing"

// BenchmarkFMAPeak measures this machine's single-thread FMA peak in GFLOP/s, the
// ceiling for BenchmarkGemm (see GEMM.md): 12 independent FMA chains on registers.
func BenchmarkFMAPeak(b *testing.B) {
	loops := []struct {
		name  string
		ok    bool
		lanes int
		f     func(int)
	}{
		{"zmm", cpu.avx512, 16, fmaLoopZ},
		{"ymm", cpu.avx2FMA, 8, fmaLoopY},
	}
	for _, l := range loops {
		b.Run(l.name, func(b *testing.B) {
			if !l.ok {
				b.Skip("CPU lacks it")
			}
			const n = 1 << 16
			cpu0 := processCPU()
			for b.Loop() {
				l.f(n)
			}
			flops := float64(12*2*l.lanes) * n * float64(b.N)
			b.ReportMetric(flops/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			if cpu := processCPU() - cpu0; cpu > 0 {
				b.ReportMetric(flops/cpu/1e9, "cpu-GFLOP/s")
			}
		})
	}
}
