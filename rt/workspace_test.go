package rt

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestPoolSizesEveryThreadForEveryPart checks that after one product of a shape,
// every thread of the pool can run every part of that shape without growing a
// buffer. Which thread takes which part depends on scheduling (the caller takes
// parts from the front, helpers from the back, a late helper none), so a buffer
// sized only by the parts its thread ran would grow, and allocate, in some later
// call of the same shape. Products with a pre-packed B (GemmPacked) pack only A.
func TestPoolSizesEveryThreadForEveryPart(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	// Each is split by minFlopsPerPart into parts of different sizes: the last
	// row or column block is ragged.
	shapes := []struct{ m, n, k int }{{64, 128, 784}, {45, 300, 100}, {300, 10, 1280}, {2, 7000, 300}, {129, 131, 65}}
	// requireFits runs one product on a new pool of 3 threads and checks every
	// thread's buffers against need, the floats each part needs.
	requireFits := func(t *testing.T, kern *gemmKernel, g gemmCase, run func(p *Pool), need func(pt gemmPart) (int, int)) {
		p := NewPool(3)
		defer p.Close()
		run(p)
		parts := make([]gemmPart, len(p.s.job.parts))
		used := splitGemm(parts, kern, g.m, g.n, g.k)
		for i, pt := range parts[:used] {
			na, nb := need(pt)
			for th := range p.s.ws {
				ws := &p.s.ws[th]
				what := fmt.Sprintf("%v, part %d of %d (%v), thread %d", g, i, used, pt, th)
				assert.GreaterOrEqual(t, cap(ws.a), na, "A buffer, %s", what)
				assert.GreaterOrEqual(t, cap(ws.b), nb, "B buffer, %s", what)
			}
		}
	}
	for _, kern := range testKernels(t) {
		t.Run(kern.name, func(t *testing.T) {
			withKernel(t, kern)
			for _, s := range shapes {
				for tr := range 4 {
					g := newGemmCase(rng, tr&1 != 0, tr&2 != 0, s.m, s.n, s.k, 1, 0, 0)
					requireFits(t, kern, g, func(p *Pool) {
						GemmP(p, g.transA, g.transB, g.m, g.n, g.k, g.alpha, g.a, g.lda, g.b, g.ldb, g.beta, g.c, g.ldc)
					}, func(pt gemmPart) (int, int) {
						return gemmPacking(kern, g.transB, pt.m1-pt.m0, pt.n1-pt.n0, g.k)
					})
				}
				g := newGemmCase(rng, false, true, s.m, s.n, s.k, 1, 0, 0)
				var pb PackedB
				pb.Pack(g.transB, g.k, g.n, g.b, g.ldb)
				requireFits(t, kern, g, func(p *Pool) {
					p.GemmPacked(false, g.m, 1, g.a, g.lda, &pb, 0, g.c, g.ldc)
				}, func(pt gemmPart) (int, int) {
					return packedPacking(&pb, pt.m1-pt.m0, pt.n1-pt.n0), 0
				})
			}
		})
	}
}

// TestAGrowingBufferGrowsToTheLargestNeedSoFar checks the free list's rule: two
// workspaces that the package-level Gemm hands to whichever goroutine asks first
// end at one size, so the one that ran only small products so far does not grow
// (allocate) when it meets the large product the other has already run.
func TestAGrowingBufferGrowsToTheLargestNeedSoFar(t *testing.T) {
	rng := rand.New(rand.NewPCG(15, 16))
	for _, kern := range testKernels(t) {
		t.Run(kern.name, func(t *testing.T) {
			withKernel(t, kern)
			cols := (kern.packAOver + 2) * kern.nr // enough panels that gemm packs A
			big := newGemmCase(rng, false, false, 3*kern.mr, cols, 200, 1, 0, 0)
			small := newGemmCase(rng, false, false, kern.mr+1, cols, 20, 1, 0, 0)
			na, nb := gemmPacking(kern, false, big.m, big.n, big.k)
			sa, sb := gemmPacking(kern, false, small.m, small.n, small.k)
			if na <= sa || nb <= sb {
				t.Fatalf("the large product needs %d and %d floats, the small one %d and %d: pick other shapes", na, nb, sa, sb)
			}
			var first, second workspace
			first.gemm(kern, false, false, big.m, big.n, big.k, 1, big.a, big.lda, big.b, big.ldb, 0, big.c, big.ldc)
			second.gemm(kern, false, false, small.m, small.n, small.k, 1, small.a, small.lda, small.b, small.ldb, 0, small.c, small.ldc)
			assert.GreaterOrEqual(t, cap(second.a), na, "A buffer")
			assert.GreaterOrEqual(t, cap(second.b), nb, "B buffer")
		})
	}
}
