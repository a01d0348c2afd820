package rt

import "fmt"

// Pre-packed B operands.
//
// Gemm packs op(B) into kernel panels on every call (gemm_driver.go). For a weight
// that is multiplied many times without changing — every step of a recurrent layer,
// every Predict call — that copy is wasted work: an LSTM step at batch 1 spent more
// time packing its 256×96 weight than multiplying by it. A PackedB holds op(B)
// packed once, in exactly the layout the driver would have built, and GemmPacked
// multiplies by it without touching B again.
//
// Layout: k is cut into the driver's equal blocks (kc floats at most, see gemm);
// block b starting at row pc holds the panels of op(B)[pc:pc+kc, :], panel j (columns
// j·nr up to j·nr+nr) at offset pc·panels·nr + j·kc·nr, as kc rows of its packed
// width (nr, or nr/2 for a narrow last panel, zero-padded).

// gemvFunc computes rows of A against gemvPanels full packed B panels ps floats
// apart (gemv in gemm_gen.go); a + i·ra + p·sa is op(A)(i, p).
type gemvFunc func(rows, k int, a *float32, sa, ra int, b *float32, ps int, c *float32, ldc int, alpha, beta float32)

// gemvPanels is the number of panels a gemvFunc computes per call (gemm_gen.go).
const gemvPanels = 4

// PackedB is a k×n matrix op(B) packed for GemmPacked by Pack. The zero value is
// empty; Pack allocates its storage on the first call and reuses it afterwards
// (for the same or a smaller size), so a model can re-pack its weights after each
// update without allocating.
type PackedB struct {
	kern     *gemmKernel // the kernel whose layout data has (the active one at Pack)
	k, n     int
	kc       int // k block size: every block but the last has kc rows
	panels   int // nr-wide panels
	data     []float32
	gemv     gemvFunc
	gemvRows int
}

// Pack stores op(B) — B when transB is false, Bᵀ when it is true — where op(B) is
// k×n and B is stored row-major with row stride ldb. It panics, as Gemm does, if b
// is too short for the shape.
func (pb *PackedB) Pack(transB bool, k, n int, b []float32, ldb int) {
	if k < 0 || n < 0 {
		panic(fmt.Sprintf("rt.PackedB.Pack: negative size k=%d n=%d", k, n))
	}
	br, bc := k, n
	if transB {
		br, bc = n, k
	}
	checkMat("B", b, br, bc, ldb)
	kern := activeKernel
	pb.kern, pb.k, pb.n = kern, k, n
	pb.gemv, pb.gemvRows = gemvFor(kern)
	pb.panels = (n + kern.nr - 1) / kern.nr
	pb.kc = 0
	if k > 0 {
		// The driver's k blocks (gemm): equal blocks of at most kern.kc, rounded up to
		// whole 8×8 transposes.
		kBlocks := (k + kern.kc - 1) / kern.kc
		pb.kc = min(roundUp((k+kBlocks-1)/kBlocks, 8), k)
	}
	size := k * pb.panels * kern.nr
	if cap(pb.data) < size {
		pb.data = floats(nil, size)
	}
	pb.data = pb.data[:size]
	for pc := 0; pc < k; pc += pb.kc {
		kc := min(pb.kc, k-pc)
		for j := 0; j < pb.panels; j++ {
			j0 := j * kern.nr
			packB(kern, pb.data[pb.offset(pc, kc, j):], transB, b, ldb, pc, j0, kc, min(kern.nr, n-j0))
		}
	}
}

// K and N report the shape of the packed op(B).
func (pb *PackedB) K() int { return pb.k }

// N reports the columns of the packed op(B).
func (pb *PackedB) N() int { return pb.n }

// offset is where panel j of the k block starting at pc (kc rows) begins.
func (pb *PackedB) offset(pc, kc, j int) int { return pc*pb.panels*pb.kern.nr + j*kc*pb.kern.nr }

// GemmPacked computes C = alpha·op(A)·B + beta·C with B packed by pb.Pack: op(A) is
// m×pb.K(), C is m×pb.N(). It gives the same bits as Gemm with the unpacked operand
// (on the kernel that was active at Pack), on the calling goroutine.
func GemmPacked(transA bool, m int, alpha float32, a []float32, lda int, pb *PackedB, beta float32, c []float32, ldc int) {
	checkPacked(transA, m, a, lda, pb, c, ldc)
	ws := getWorkspace()
	ws.gemmPacked(transA, m, 0, pb.n, alpha, a, lda, pb, beta, c, ldc)
	putWorkspace(ws)
}

// GemmPackedP is GemmPacked on the threads of p (nil: the calling goroutine); the
// result does not depend on the number of threads.
func GemmPackedP(p *Pool, transA bool, m int, alpha float32, a []float32, lda int, pb *PackedB, beta float32, c []float32, ldc int) {
	if p == nil {
		GemmPacked(transA, m, alpha, a, lda, pb, beta, c, ldc)
		return
	}
	p.GemmPacked(transA, m, alpha, a, lda, pb, beta, c, ldc)
}

// GemmPacked is GemmPacked split across the pool's threads, on micro-tile
// boundaries like Pool.Gemm.
func (p *Pool) GemmPacked(transA bool, m int, alpha float32, a []float32, lda int, pb *PackedB, beta float32, c []float32, ldc int) {
	checkPacked(transA, m, a, lda, pb, c, ldc)
	s := p.s
	if len(s.ws) == 1 {
		// One thread: no job to post (the lock still serialises callers).
		s.mu.Lock()
		defer s.mu.Unlock()
		s.ws[0].gemmPacked(transA, m, 0, pb.n, alpha, a, lda, pb, beta, c, ldc)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.job = gemmJob{
		kern: pb.kern, transA: transA, m: m, n: pb.n, k: pb.k,
		alpha: alpha, beta: beta, a: a, c: c, lda: lda, ldc: ldc, pb: pb,
		parts: s.job.parts,
	}
	if s.closed {
		panic("rt: GemmPacked on a closed Pool")
	}
	used := splitGemm(s.job.parts, pb.kern, m, pb.n, pb.k)
	s.fitParts(used)
	s.run(used)
	s.job.a, s.job.c, s.job.pb = nil, nil, nil
}

func checkPacked(transA bool, m int, a []float32, lda int, pb *PackedB, c []float32, ldc int) {
	if pb.kern == nil {
		panic("rt.GemmPacked: the PackedB was never packed")
	}
	if m < 0 {
		panic(fmt.Sprintf("rt.GemmPacked: negative size m=%d", m))
	}
	ar, ac := m, pb.k
	if transA {
		ar, ac = pb.k, m
	}
	checkMat("A", a, ar, ac, lda)
	checkMat("C", c, m, pb.n, ldc)
}

// gemmPacked computes columns j0..j0+n-1 of C = alpha·op(A)·B + beta·C (j0 a
// multiple of nr; c starts at column j0) with the loops of gemm, reading B's panels
// from pb instead of packing them. Slivers of at most pb.gemvRows rows go through
// the multi-panel kernel, four full panels at a time, which computes the same sums
// in the same order as the tile.
func (ws *workspace) gemmPacked(transA bool, m, j0, n int, alpha float32, a []float32, lda int, pb *PackedB, beta float32, c []float32, ldc int) {
	kern, k := pb.kern, pb.k
	if m == 0 || n == 0 {
		return
	}
	if k == 0 || alpha == 0 {
		scaleC(m, n, beta, c, ldc)
		return
	}
	mr, nr := kern.mr, kern.nr
	na := packedPacking(pb, m, n)
	packAll := na > 0
	ws.fit(na, 0)
	p0 := j0 / nr
	for pc := 0; pc < k; pc += pb.kc {
		kc := min(pb.kc, k-pc)
		bet := beta
		if pc > 0 {
			bet = 1
		}
		ps := kc * nr // floats between panels
		for ic := 0; ic < m; ic += kern.mc {
			mc := min(kern.mc, m-ic)
			h := sliverRows(mc, mr)
			if packAll {
				packA(kern, ws.a, transA, a, lda, ic, pc, mc, kc, h)
			}
			sliver := func(ir int) ([]float32, int, bool) {
				switch {
				case packAll:
					return ws.a[ir*kc:], min(h, mc-ir), true
				case transA:
					return a[pc*lda+ic+ir:], lda, true
				default:
					return a[(ic+ir)*lda+pc:], lda, false
				}
			}
			// A last sliver of few rows goes through the multi-panel kernel where
			// there are four full panels; gv is the columns it covers.
			last := (mc - 1) / h * h
			gv := 0
			if rows := mc - last; rows <= pb.gemvRows {
				gv = n / (gemvPanels * nr) * gemvPanels * nr
				at, ald, atr := sliver(last)
				sa, ra := 1, ald
				if atr {
					sa, ra = ald, 1
				}
				for jr := 0; jr < gv; jr += gemvPanels * nr {
					pb.gemv(rows, kc, &at[0], sa, ra, &pb.data[pb.offset(pc, kc, p0+jr/nr)], ps,
						&c[(ic+last)*ldc+jr], ldc, alpha, bet)
				}
			}
			for jr := 0; jr < n; jr += nr {
				cols := min(nr, n-jr)
				bs := panelWidth(kern, cols)
				bp := pb.data[pb.offset(pc, kc, p0+jr/nr):]
				for ir := 0; ir < mc; ir += h {
					if ir == last && jr < gv {
						continue
					}
					at, ald, atr := sliver(ir)
					kern.tile(min(h, mc-ir), cols, kc, at, ald, atr, bp, bs,
						c[(ic+ir)*ldc+jr:], ldc, alpha, bet)
				}
			}
		}
	}
}

// packedPacksA reports whether gemmPacked packs A for m rows and n columns of pb:
// as gemm does, but a product of at most gemvRows rows never packs A (it all goes
// through the multi-panel kernel or one tile, which read A in place).
func packedPacksA(pb *PackedB, m, n int) bool {
	kern := pb.kern
	return m > pb.gemvRows && roundUp(min(n, kern.nc), kern.nr)/kern.nr > kern.packAOver
}

// packedPacking returns the floats gemmPacked's A buffer needs for m rows and n
// columns of pb (0 when it reads A in place).
func packedPacking(pb *PackedB, m, n int) int {
	if m == 0 || n == 0 || pb.k == 0 || !packedPacksA(pb, m, n) {
		return 0
	}
	return min(pb.kern.mc, roundUp(m, pb.kern.mr)) * pb.kc
}
