package rt

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// gemmCase is one call of Gemm with its inputs laid out as stored.
type gemmCase struct {
	transA, transB bool
	m, n, k        int
	alpha, beta    float32
	lda, ldb, ldc  int
	a, b, c        []float32
}

func (g gemmCase) String() string {
	t := func(b bool) string {
		if b {
			return "T"
		}
		return "N"
	}
	return fmt.Sprintf("%s%s m=%d n=%d k=%d alpha=%g beta=%g ld=%d,%d,%d",
		t(g.transA), t(g.transB), g.m, g.n, g.k, g.alpha, g.beta, g.lda, g.ldb, g.ldc)
}

// newGemmCase fills A and B with uniform values in [-1, 1) and C with uniform values,
// or with NaN when beta is 0 (it must not be read). Elements outside the matrices
// (stride padding) are NaN too, so a kernel that reads them poisons its result and a
// kernel that writes them is caught by checkGemmResult.
func newGemmCase(rng *rand.Rand, transA, transB bool, m, n, k int, alpha, beta float32, pad int) gemmCase {
	g := gemmCase{transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, beta: beta}
	ar, ac := m, k
	if transA {
		ar, ac = k, m
	}
	br, bc := k, n
	if transB {
		br, bc = n, k
	}
	nan := float32(math.NaN())
	fill := func(rows, cols, ld int, val func() float32) []float32 {
		s := make([]float32, rows*ld)
		for i := range s {
			s[i] = nan
		}
		for i := 0; i < rows; i++ {
			for j := 0; j < cols; j++ {
				s[i*ld+j] = val()
			}
		}
		return s
	}
	uni := func() float32 { return float32(rng.Float64()*2 - 1) }
	g.lda, g.ldb, g.ldc = ac+pad, bc+pad, n+pad
	g.a = fill(ar, ac, g.lda, uni)
	g.b = fill(br, bc, g.ldb, uni)
	if beta == 0 {
		g.c = fill(m, n, g.ldc, func() float32 { return nan })
	} else {
		g.c = fill(m, n, g.ldc, uni)
	}
	return g
}

// reference returns C = alpha·op(A)·op(B) + beta·C in float64, and per element the
// error bound a correct float32 kernel must meet:
//
//	|got − want| ≤ (k+4)·u·(|alpha|·Σp |op(A)ip·op(B)pj| + |beta·Cij|),  u = 2⁻²⁴.
//
// This is the classical bound for a recursively summed dot product, γk·Σ|x||y| with
// γk = k·u/(1−k·u) (Higham, Accuracy and Stability of Numerical Algorithms, §3.1),
// plus a few roundings for the alpha and beta terms; it holds for any summation order
// and with or without fused multiply-add. It is per element, so it is much tighter
// than k·u·max|a|·max|b| where the products cancel.
func (g gemmCase) reference() (want, bound []float64) {
	const u = 1.0 / (1 << 24)
	want = make([]float64, g.m*g.n)
	bound = make([]float64, g.m*g.n)
	for i := 0; i < g.m; i++ {
		for j := 0; j < g.n; j++ {
			var s, abs float64
			if g.alpha != 0 {
				for p := 0; p < g.k; p++ {
					ai, bi := i*g.lda+p, p*g.ldb+j
					if g.transA {
						ai = p*g.lda + i
					}
					if g.transB {
						bi = j*g.ldb + p
					}
					av, bv := g.a[ai], g.b[bi]
					s += float64(av) * float64(bv)
					abs += math.Abs(float64(av) * float64(bv))
				}
			}
			w := float64(g.alpha) * s
			e := math.Abs(float64(g.alpha)) * abs
			if g.beta != 0 {
				cv := float64(g.beta) * float64(g.c[i*g.ldc+j])
				w += cv
				e += math.Abs(cv)
			}
			want[i*g.n+j] = w
			bound[i*g.n+j] = float64(g.k+4) * u * e
		}
	}
	return want, bound
}

// checkGemmResult compares got (C after the call) with the reference, and checks
// that the stride padding of C is still the NaN it was.
func checkGemmResult(t *testing.T, g gemmCase, got []float32, want, bound []float64) {
	t.Helper()
	bad := 0
	for i := 0; i < g.m; i++ {
		for j := 0; j < g.ldc; j++ {
			v := got[i*g.ldc+j]
			if j >= g.n {
				if !math.IsNaN(float64(v)) {
					bad++
					if bad <= 3 {
						t.Errorf("%v: wrote C[%d][%d] in the stride padding", g, i, j)
					}
				}
				continue
			}
			w, e := want[i*g.n+j], bound[i*g.n+j]
			if d := math.Abs(float64(v) - w); !(d <= e) {
				bad++
				if bad <= 3 {
					t.Errorf("%v: C[%d][%d] = %g, want %g ± %.3g (off by %.3g)", g, i, j, v, w, e, d)
				}
			}
		}
	}
	if bad > 3 {
		t.Errorf("%v: %d wrong elements in all", g, bad)
	}
}

// withKernel makes kern the active kernel for the rest of the test.
func withKernel(t *testing.T, kern *gemmKernel) {
	old := activeKernel
	activeKernel = kern
	t.Cleanup(func() { activeKernel = old })
}

// testKernels returns every kernel the CPU can run, each also in a copy with tiny
// cache blocks, so that the small test matrices still cross every kc, mc and nc
// block boundary of the driver.
func testKernels(t *testing.T) []*gemmKernel {
	var ks []*gemmKernel
	for _, k := range allKernels {
		if !k.supported {
			t.Logf("skipping kernel %s: this CPU lacks it", k.name)
			continue
		}
		ks = append(ks, k)
		tiny := *k
		tiny.name += "/tiny-blocks"
		// kc = 9 leaves a remainder after the 8×8 packing transposes; packAOver = 1
		// makes the driver pack A whenever there are two panels.
		tiny.kc, tiny.mc, tiny.nc = 9, 2*k.mr, 2*k.nr
		tiny.packAOver = min(k.packAOver, 1)
		ks = append(ks, &tiny)
	}
	return ks
}

func TestGemmMatchesFloat64Reference(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	small := []int{1, 3, 17, 63, 65}
	type shape struct{ m, n, k int }
	var shapes []shape
	for _, m := range small {
		for _, n := range small {
			for _, k := range small {
				shapes = append(shapes, shape{m, n, k})
			}
		}
	}
	// 257 crosses the real kc block (256) and several mr/nr tiles; one large
	// dimension at a time keeps the float64 reference cheap.
	shapes = append(shapes, shape{257, 17, 65}, shape{3, 257, 63}, shape{17, 65, 257},
		shape{65, 63, 257}, shape{257, 257, 3}, shape{65, 257, 63}, shape{17, 257, 257})
	if testing.Short() {
		var few []shape
		for i := 0; i < len(shapes); i += 3 {
			few = append(few, shapes[i])
		}
		shapes = few
	}
	scalars := []struct{ alpha, beta float32 }{
		{1, 0}, {1, 1}, {0.75, -1.5}, {-2, 0}, {1.25, 1},
	}
	kernels := testKernels(t)
	for si, s := range shapes {
		for tr := 0; tr < 4; tr++ {
			sc := scalars[(si+tr)%len(scalars)]
			pad := (si + tr) % 3 // 0: dense, else ld > cols
			g := newGemmCase(rng, tr&1 != 0, tr&2 != 0, s.m, s.n, s.k, sc.alpha, sc.beta, pad)
			want, bound := g.reference()
			for _, kern := range kernels {
				withKernel(t, kern)
				got := append([]float32(nil), g.c...)
				Gemm(g.transA, g.transB, g.m, g.n, g.k, g.alpha, g.a, g.lda, g.b, g.ldb, g.beta, got, g.ldc)
				checkGemmResult(t, g, got, want, bound)
				if t.Failed() {
					t.Fatalf("kernel %s failed; stopping at the first bad case", kern.name)
				}
			}
		}
	}
}

func TestGemmSpecialScalars(t *testing.T) {
	nan := float32(math.NaN())
	for _, kern := range testKernels(t) {
		t.Run(kern.name, func(t *testing.T) {
			withKernel(t, kern)
			t.Run("beta 0 overwrites NaN garbage in C", func(t *testing.T) {
				a := []float32{1, 2, 3, 4}
				b := []float32{5, 6, 7, 8}
				c := []float32{nan, nan, nan, nan}
				Gemm(false, false, 2, 2, 2, 1, a, 2, b, 2, 0, c, 2)
				assert.Equal(t, []float32{19, 22, 43, 50}, c)
			})
			t.Run("alpha 0 reads neither A nor B and scales C", func(t *testing.T) {
				a := []float32{nan, nan, nan, nan}
				c := []float32{1, 2, 3, 4}
				Gemm(false, true, 2, 2, 2, 0, a, 2, a, 2, 0.5, c, 2)
				assert.Equal(t, []float32{0.5, 1, 1.5, 2}, c)
			})
			t.Run("k 0 with beta 0 zeroes C", func(t *testing.T) {
				c := []float32{nan, nan, nan}
				Gemm(true, false, 1, 3, 0, 1, nil, 1, nil, 3, 0, c, 3)
				assert.Equal(t, []float32{0, 0, 0}, c)
			})
			t.Run("empty C is a no-op", func(t *testing.T) {
				assert.NotPanics(t, func() { Gemm(false, false, 0, 5, 5, 1, nil, 5, make([]float32, 25), 5, 0, nil, 5) })
			})
			t.Run("beta 0 result does not depend on what C held", func(t *testing.T) {
				rng := rand.New(rand.NewPCG(3, 4))
				g := newGemmCase(rng, false, true, 37, 45, 29, 1.5, 0, 2)
				want := append([]float32(nil), g.c...)
				Gemm(g.transA, g.transB, g.m, g.n, g.k, g.alpha, g.a, g.lda, g.b, g.ldb, 0, want, g.ldc)
				got := append([]float32(nil), g.c...)
				for i := range got {
					if i%g.ldc < g.n {
						got[i] = float32(math.Inf(1))
					}
				}
				Gemm(g.transA, g.transB, g.m, g.n, g.k, g.alpha, g.a, g.lda, g.b, g.ldb, 0, got, g.ldc)
				assert.Equal(t, bitsOf(want), bitsOf(got))
			})
		})
	}
}

func bitsOf(s []float32) []uint32 {
	u := make([]uint32, len(s))
	for i, v := range s {
		u[i] = math.Float32bits(v)
	}
	return u
}

func TestGemmRejectsShortSlices(t *testing.T) {
	cases := []struct {
		name string
		call func()
	}{
		{"A shorter than m×k", func() {
			Gemm(false, false, 2, 2, 2, 1, make([]float32, 3), 2, make([]float32, 4), 2, 0, make([]float32, 4), 2)
		}},
		{"B shorter than its transposed shape", func() {
			Gemm(false, true, 2, 3, 2, 1, make([]float32, 4), 2, make([]float32, 5), 2, 0, make([]float32, 6), 3)
		}},
		{"ldc less than n", func() {
			Gemm(false, false, 2, 2, 2, 1, make([]float32, 4), 2, make([]float32, 4), 2, 0, make([]float32, 4), 1)
		}},
		{"negative size", func() { Gemm(false, false, -1, 2, 2, 1, nil, 2, nil, 2, 0, nil, 2) }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { assert.Panics(t, c.call) })
	}
}

func TestPoolMatchesGemmBitForBit(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	shapes := []struct{ m, n, k int }{
		{64, 128, 784}, {6, 3000, 25}, {300, 10, 128}, {129, 131, 65}, {1, 1, 1}, {2, 700, 300},
		// Large enough to be split (minFlopsPerPart) in each of the shapes above.
		{6, 30000, 25}, {300, 10, 1280}, {2, 7000, 300},
	}
	for _, kern := range testKernels(t) {
		t.Run(kern.name, func(t *testing.T) {
			withKernel(t, kern)
			for _, threads := range []int{2, 3, 5} {
				p := NewPool(threads)
				defer p.Close()
				for _, s := range shapes {
					for tr := 0; tr < 4; tr++ {
						g := newGemmCase(rng, tr&1 != 0, tr&2 != 0, s.m, s.n, s.k, 0.5, float32(tr%2), 1)
						want := append([]float32(nil), g.c...)
						Gemm(g.transA, g.transB, g.m, g.n, g.k, g.alpha, g.a, g.lda, g.b, g.ldb, g.beta, want, g.ldc)
						got := append([]float32(nil), g.c...)
						GemmP(p, g.transA, g.transB, g.m, g.n, g.k, g.alpha, g.a, g.lda, g.b, g.ldb, g.beta, got, g.ldc)
						require.Equal(t, bitsOf(want), bitsOf(got), "%d threads, %v", threads, g)
					}
				}
			}
		})
	}
}

func TestSplitGemmCoversCOnce(t *testing.T) {
	kern := &gemmKernel{mr: 14, nr: 32}
	for _, threads := range []int{1, 2, 3, 4, 7, 16} {
		for _, s := range []struct{ m, n, k int }{{1, 1, 1}, {6, 50176, 25}, {64, 128, 784}, {1000, 10, 1000}, {512, 512, 512}, {15, 33, 10000}} {
			parts := make([]gemmPart, threads)
			used := splitGemm(parts, kern, s.m, s.n, s.k)
			require.GreaterOrEqual(t, used, 1)
			require.LessOrEqual(t, used, threads)
			count := make([]int, s.m*s.n)
			for _, p := range parts[:used] {
				assert.Zero(t, p.m0%kern.mr, "row split off a tile boundary")
				assert.Zero(t, p.n0%kern.nr, "column split off a tile boundary")
				for i := p.m0; i < p.m1; i++ {
					for j := p.n0; j < p.n1; j++ {
						count[i*s.n+j]++
					}
				}
			}
			for i, c := range count {
				if c != 1 {
					t.Fatalf("%d threads, %v: element %d computed %d times", threads, s, i, c)
				}
			}
		}
	}
}

func TestGemmDoesNotAllocate(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	g := newGemmCase(rng, false, true, 40, 70, 300, 1, 0, 0)
	p := NewPool(2)
	defer p.Close()
	for _, kern := range testKernels(t) {
		withKernel(t, kern)
		allocs := testing.AllocsPerRun(10, func() {
			Gemm(g.transA, g.transB, g.m, g.n, g.k, g.alpha, g.a, g.lda, g.b, g.ldb, g.beta, g.c, g.ldc)
		})
		assert.Zero(t, allocs, "Gemm with %s", kern.name)
		allocs = testing.AllocsPerRun(10, func() {
			p.Gemm(g.transA, g.transB, g.m, g.n, g.k, g.alpha, g.a, g.lda, g.b, g.ldb, g.beta, g.c, g.ldc)
		})
		assert.Zero(t, allocs, "Pool.Gemm with %s", kern.name)
	}
}

// TestKernelTilesEveryShape calls each kernel's tile function directly for every row
// count 1..mr, full, half-width and ragged panels, A in both orientations (and
// packed, as a sliver with lda = rows), beta 0 and not, and k around the unroll
// factor, so that every generated routine and every epilogue path runs at least once.
func TestKernelTilesEveryShape(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	nan := float32(math.NaN())
	for _, kern := range allKernels {
		if !kern.supported {
			t.Logf("skipping kernel %s: this CPU lacks it", kern.name)
			continue
		}
		colsList := []int{kern.nr, kern.nr - 1, kern.nr/2 + 1, kern.nr / 2, 1}
		for rows := 1; rows <= kern.mr; rows++ {
			for _, cols := range colsList {
				for _, k := range []int{1, 4, 7, 9} {
					for _, layout := range []string{"rows", "transposed", "packed"} {
						if kern.packAOver == 0 && layout != "packed" {
							continue // this kernel reads packed A only
						}
						for _, beta := range []float32{0, 0.5} {
							bs := panelWidth(kern, cols)
							// A with a stride larger than its rows, NaN in the gaps.
							lda, transA := k+3, false
							switch layout {
							case "transposed":
								lda, transA = rows+2, true
							case "packed":
								lda, transA = rows, true
							}
							op := func(i, p int) int {
								if transA {
									return p*lda + i
								}
								return i*lda + p
							}
							a := make([]float32, op(rows-1, k-1)+1)
							for i := range a {
								a[i] = nan
							}
							bp := make([]float32, k*bs)
							for i := 0; i < rows; i++ {
								for p := 0; p < k; p++ {
									a[op(i, p)] = float32(rng.Float64()*2 - 1)
								}
							}
							for p := 0; p < k; p++ {
								for j := 0; j < cols; j++ {
									bp[p*bs+j] = float32(rng.Float64()*2 - 1)
								}
							}
							ldc := cols + 1
							c := make([]float32, rows*ldc)
							for i := range c {
								c[i] = nan
								if beta != 0 && i%ldc < cols {
									c[i] = float32(rng.Float64())
								}
							}
							got := append([]float32(nil), c...)
							kern.tile(rows, cols, k, a, lda, transA, bp, bs, got, ldc, 1.5, beta)
							for i := 0; i < rows; i++ {
								for j := 0; j < ldc; j++ {
									v := got[i*ldc+j]
									if j >= cols {
										require.True(t, math.IsNaN(float64(v)), "%s rows=%d cols=%d: wrote past the tile", kern.name, rows, cols)
										continue
									}
									var s, e float64
									for p := 0; p < k; p++ {
										x := float64(a[op(i, p)]) * float64(bp[p*bs+j])
										s += x
										e += math.Abs(x)
									}
									want := 1.5 * s
									e *= 1.5
									if beta != 0 {
										want += float64(beta) * float64(c[i*ldc+j])
										e += math.Abs(float64(beta) * float64(c[i*ldc+j]))
									}
									require.InDelta(t, want, v, float64(k+4)*e/(1<<24)+1e-30,
										"%s %s A, rows=%d cols=%d k=%d beta=%g: C[%d][%d]", kern.name, layout, rows, cols, k, beta, i, j)
								}
							}
						}
					}
				}
			}
		}
	}
}

// take hands out every part of a job exactly once when the caller takes from the
// front and helpers from the back at the same time, and nothing once the range is
// empty; on two threads with no contention the caller gets the first half.
func TestTakeHandsOutEachPartOnce(t *testing.T) {
	var s poolState
	for _, parts := range []int{1, 2, 3, 4, 7, 64, 1000} {
		counts := make([]atomic.Int32, parts)
		s.next.Store(int64(parts))
		var wg sync.WaitGroup
		for th := range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					i, ok := s.take(th == 0)
					if !ok {
						return
					}
					counts[i].Add(1)
				}
			}()
		}
		wg.Wait()
		for i := range counts {
			require.EqualValues(t, 1, counts[i].Load(), "%d parts: part %d", parts, i)
		}
		_, ok := s.take(true)
		require.False(t, ok)
		_, ok = s.take(false)
		require.False(t, ok)
	}
	s.next.Store(4)
	var got []int
	for range 2 {
		i, _ := s.take(true)
		j, _ := s.take(false)
		got = append(got, i, j)
	}
	require.Equal(t, []int{0, 3, 1, 2}, got)
}
