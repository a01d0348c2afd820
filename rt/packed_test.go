package rt

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// packedShapes are the sizes of the packed-B tests: the odd sizes of the Gemm tests,
// plus row counts that leave a last sliver of 1, 2 or 3 rows for the multi-panel
// kernels (16 = 14+2 on AVX-512), and column counts with at least four full panels
// (65 on AVX2, 257 on AVX-512).
func packedShapes(short bool) [][3]int {
	var s [][3]int
	sizes := []int{1, 3, 17, 63, 65}
	for _, m := range []int{1, 2, 3, 16, 17} {
		for _, n := range sizes {
			for _, k := range sizes {
				s = append(s, [3]int{m, n, k})
			}
		}
	}
	s = append(s, [3]int{1, 257, 96}, [3]int{2, 257, 63}, [3]int{3, 257, 257}, [3]int{16, 256, 96},
		[3]int{17, 257, 65}, [3]int{257, 17, 65}, [3]int{65, 257, 3}, [3]int{1, 1, 257})
	if short {
		var few [][3]int
		for i := 0; i < len(s); i += 3 {
			few = append(few, s[i])
		}
		s = append(few, s[len(s)-8:]...)
	}
	return s
}

func TestGemmPackedMatchesGemmAndTheReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	scalars := []struct{ alpha, beta float32 }{{1, 0}, {1, 1}, {0.75, -1.5}, {-2, 0}}
	kernels := testKernels(t)
	for si, s := range packedShapes(testing.Short()) {
		for tr := 0; tr < 4; tr++ {
			sc := scalars[(si+tr)%len(scalars)]
			g := newGemmCase(rng, tr&1 != 0, tr&2 != 0, s[0], s[1], s[2], sc.alpha, sc.beta, (si+tr)%3)
			want, bound := g.reference()
			for _, kern := range kernels {
				withKernel(t, kern)
				var pb PackedB
				pb.Pack(g.transB, g.k, g.n, g.b, g.ldb)
				got := append([]float32(nil), g.c...)
				GemmPacked(g.transA, g.m, g.alpha, g.a, g.lda, &pb, g.beta, got, g.ldc)
				checkGemmResult(t, g, got, want, bound)
				plain := append([]float32(nil), g.c...)
				Gemm(g.transA, g.transB, g.m, g.n, g.k, g.alpha, g.a, g.lda, g.b, g.ldb, g.beta, plain, g.ldc)
				if !assert.Equal(t, bitsOf(plain), bitsOf(got), "%v on %s: GemmPacked differs from Gemm", g, kern.name) || t.Failed() {
					t.Fatalf("kernel %s failed; stopping at the first bad case", kern.name)
				}
			}
		}
	}
}

func TestGemmPackedOnAPoolMatchesOneThreadBitForBit(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	for _, s := range [][3]int{{1, 256, 96}, {16, 256, 96}, {64, 128, 784}, {3, 1000, 65}, {129, 131, 65}} {
		g := newGemmCase(rng, false, true, s[0], s[1], s[2], 1, 0.5, 1)
		var pb PackedB
		pb.Pack(true, g.k, g.n, g.b, g.ldb)
		want := append([]float32(nil), g.c...)
		GemmPacked(false, g.m, 1, g.a, g.lda, &pb, 0.5, want, g.ldc)
		for _, threads := range []int{1, 2, 3} {
			t.Run(fmt.Sprintf("%v on %d threads", s, threads), func(t *testing.T) {
				p := NewPool(threads)
				defer p.Close()
				got := append([]float32(nil), g.c...)
				GemmPackedP(p, false, g.m, 1, g.a, g.lda, &pb, 0.5, got, g.ldc)
				assert.Equal(t, bitsOf(want), bitsOf(got))
			})
		}
	}
}

func TestPackedBRepacksWithoutAllocating(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	g := newGemmCase(rng, false, true, 16, 256, 96, 1, 0, 0)
	p := NewPool(1)
	defer p.Close()
	var pb PackedB
	pb.Pack(true, g.k, g.n, g.b, g.ldb)
	GemmPackedP(p, false, 1, 1, g.a, g.lda, &pb, 0, g.c, g.ldc)
	allocs := testing.AllocsPerRun(20, func() {
		pb.Pack(true, g.k, g.n, g.b, g.ldb)
		GemmPackedP(p, false, 1, 1, g.a, g.lda, &pb, 0, g.c, g.ldc)
		GemmPackedP(p, false, 16, 1, g.a, g.lda, &pb, 0, g.c, g.ldc)
	})
	assert.Zero(t, allocs)
}

func TestGemmPackedRejectsBadOperands(t *testing.T) {
	var pb PackedB
	assert.Panics(t, func() { GemmPacked(false, 1, 1, make([]float32, 4), 4, &pb, 0, make([]float32, 4), 4) }, "an empty PackedB")
	assert.Panics(t, func() { pb.Pack(true, 4, 3, make([]float32, 11), 4) }, "B shorter than its transposed shape")
	pb.Pack(false, 4, 3, make([]float32, 12), 3)
	require.Equal(t, 4, pb.K())
	require.Equal(t, 3, pb.N())
	assert.Panics(t, func() { GemmPacked(false, 2, 1, make([]float32, 7), 4, &pb, 0, make([]float32, 6), 3) }, "A shorter than m×k")
	assert.Panics(t, func() { GemmPacked(false, 2, 1, make([]float32, 8), 4, &pb, 0, make([]float32, 6), 2) }, "ldc less than n")
}

// BenchmarkGemmPacked compares a product by a pre-packed weight with Gemm packing
// it on every call, at the shapes of an LSTM step (4·64 gates, 32 inputs + 64
// hidden) and batches 1 and 16.
func BenchmarkGemmPacked(b *testing.B) {
	rng := rand.New(rand.NewPCG(13, 14))
	for _, m := range []int{1, 16} {
		g := newGemmCase(rng, false, true, m, 256, 96, 1, 0, 0)
		b.Run(fmt.Sprintf("Gemm/m=%d", m), func(b *testing.B) {
			for b.Loop() {
				Gemm(false, true, g.m, g.n, g.k, 1, g.a, g.lda, g.b, g.ldb, 0, g.c, g.ldc)
			}
		})
		var pb PackedB
		pb.Pack(true, g.k, g.n, g.b, g.ldb)
		b.Run(fmt.Sprintf("GemmPacked/m=%d", m), func(b *testing.B) {
			for b.Loop() {
				GemmPacked(false, g.m, 1, g.a, g.lda, &pb, 0, g.c, g.ldc)
			}
		})
	}
}
