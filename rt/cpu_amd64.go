package rt

// CPU feature detection for the assembly kernels, done here rather than with
// golang.org/x/sys/cpu so that rt depends on the standard library only.

//go:noescape
func cpuid(eaxArg, ecxArg uint32) (eax, ebx, ecx, edx uint32)

func xgetbv() (eax, edx uint32)

// spinPause executes one PAUSE instruction (a waiter's spin loop calls it).
func spinPause()

// cpuFeatures says which vector instruction sets the CPU has and the OS enables.
type cpuFeatures struct {
	avx2FMA bool // AVX2 and FMA3, with YMM state saved by the OS
	avx512  bool // AVX-512 Foundation, with ZMM and opmask state saved by the OS
}

var cpu = detectCPU()

func detectCPU() cpuFeatures {
	maxID, _, _, _ := cpuid(0, 0)
	if maxID < 7 {
		return cpuFeatures{}
	}
	_, _, ecx1, _ := cpuid(1, 0)
	_, ebx7, _, _ := cpuid(7, 0)
	const (
		fma     = 1 << 12 // CPUID.1:ECX
		osxsave = 1 << 27 // CPUID.1:ECX: XGETBV is usable
		avx     = 1 << 28 // CPUID.1:ECX
		avx2    = 1 << 5  // CPUID.7.0:EBX
		avx512f = 1 << 16 // CPUID.7.0:EBX
	)
	if ecx1&osxsave == 0 || ecx1&avx == 0 {
		return cpuFeatures{}
	}
	xcr0, _ := xgetbv()
	// XCR0 bits: 1 SSE, 2 AVX (upper YMM halves); 5 opmask, 6 upper ZMM0-15 halves,
	// 7 ZMM16-31. A CPU can have the instructions while the OS does not save
	// their registers across context switches; then they must not be used.
	ymmOS := xcr0&0x6 == 0x6
	zmmOS := xcr0&0xe6 == 0xe6
	f := cpuFeatures{avx2FMA: ymmOS && ecx1&fma != 0 && ebx7&avx2 != 0}
	f.avx512 = f.avx2FMA && zmmOS && ebx7&avx512f != 0
	return f
}

// fmaLoopZ and fmaLoopY run 12·n independent FMAs on 512- and 256-bit registers;
// BenchmarkFMAPeak uses them to measure the peak the GEMM kernels are held to.
func fmaLoopZ(n int)
func fmaLoopY(n int)
