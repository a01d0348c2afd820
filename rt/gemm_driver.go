package rt

import (
	"sync/atomic"
	"unsafe"
)

// The GEMM driver follows Goto and van de Geijn, "Anatomy of high-performance matrix
// multiplication" (ACM TOMS 34(3), 2008), in the loop order of BLIS (Van Zee and van
// de Geijn, 2015):
//
//	for jc in steps of nc:            B block kc×nc (L3)
//	  for pc in steps of kc:          k blocks of equal size
//	    pack B[pc:pc+kc, jc:jc+nc] into nr-wide panels
//	    for ic in steps of mc:        A block mc×kc (L2)
//	      pack A[ic:ic+mc, pc:pc+kc] into mr-high slivers, or read it in place
//	      for jr in steps of nr:      one B panel kc×nr ...
//	        for ir in steps of h:     ... against each A sliver in turn (h ≤ mr, sliverRows)
//	          micro-kernel: C[ir:ir+mr, jr:jr+nr] (+)= A sliver · B panel
//
// Packing B turns both orientations of B into one layout, k-major panels padded
// with zeros, so the kernel's inner loop never has a column edge case. The kernels
// read A through a stride in either orientation, so A is packed only where that
// pays (many panels reuse it). Row edges are handled by kernels specialised to
// 1..mr rows (no wasted FMAs), column edges by masked loads/stores of C in the
// kernel's epilogue, so edge elements go through exactly the same arithmetic as
// interior ones. Two shortcuts skip packing: see directB and packAll in gemm.

// gemmKernel is one micro-kernel family with the cache blocking that suits it.
type gemmKernel struct {
	name       string
	supported  bool // this CPU can run it
	mr, nr     int  // register tile: rows of A and columns of B per micro-kernel call
	kc, mc, nc int  // cache blocks: mc×kc A block in L2, kc×nc B block in L3
	// halfNR reports that the kernel has a variant for panels at most nr/2 wide, so
	// the driver packs such a last panel nr/2 wide and the kernel skips the zero half.
	halfNR bool
	// packAOver is the number of B panels per block above which the driver packs
	// A into slivers (see gemm); below it the kernel reads A in place, in either
	// orientation. 0 means always pack: kernelGo reads packed A only.
	packAOver int
	// tile computes C[0:rows, 0:cols] = alpha·op(A)·Bp + beta·C, reading C only when
	// beta != 0. op(A)(i, p) is a[i*lda+p], or a[p*lda+i] when transA (a packed
	// sliver is the latter with lda = rows). Bp is a k×cols panel with row stride bs,
	// zero-padded from cols to bs when packed. rows ≤ mr, cols ≤ bs ≤ nr, or
	// cols = nr ≤ bs when B is read in place.
	tile func(rows, cols, k int, a []float32, lda int, transA bool, bp []float32, bs int, c []float32, ldc int, alpha, beta float32)
	// packRows and transpose8, when set, are vector versions of packB's inner
	// loops (see gemm_pack_amd64.s); packB falls back to Go where they are nil.
	packRows   func(kc int, src *float32, lds int, dst *float32, ldd, w int)
	transpose8 func(nb int, src *float32, lds int, dst *float32, ldd int)
}

// workspace holds the packing buffers of one thread. They grow to the size the
// largest problem seen needs, bounded by mc·kc and kc·nc floats, and are then
// reused, so repeated calls allocate nothing.
//
// Which workspace runs which product is not fixed: a Pool's threads take the parts
// of a job in whatever order they reach them, and the free list behind the
// package-level Gemm hands its workspaces to whichever goroutine asks first. A
// buffer sized only by the products its own thread happened to run would then grow
// in some later call, when the thread meets a larger part for the first time, and
// that call would allocate. Two rules keep every call after the first with a given
// shape free of allocation whatever the scheduling: a Pool sizes every thread's
// buffers for the largest part of a job before posting it (fitParts), and a packing
// buffer that must grow grows to the largest size any workspace has needed so far
// (packHigh), so the free list's workspaces end at one size.
type workspace struct {
	a, b []float32
	conv []float32 // a convolution's scratch, for threads of a Pool other than the caller
}

// packHigh holds the most floats any workspace's A (0) and B (1) packing buffer has
// needed; a buffer that grows grows at least to it.
var packHigh [2]atomic.Int64

// fit makes the packing buffers hold at least na and nb floats (0: leave it),
// growing a short one to the larger of its need and packHigh.
func (ws *workspace) fit(na, nb int) {
	ws.a = growPacking(ws.a, na, &packHigh[0])
	ws.b = growPacking(ws.b, nb, &packHigh[1])
}

func growPacking(buf []float32, n int, high *atomic.Int64) []float32 {
	if n == 0 {
		return buf
	}
	if cap(buf) >= n {
		return buf[:n]
	}
	for {
		h := high.Load()
		if int64(n) <= h {
			return floats(nil, int(h))[:n]
		}
		if high.CompareAndSwap(h, int64(n)) {
			return floats(nil, n)
		}
	}
}

// floats returns a 64-byte aligned slice of n floats, reusing buf when it is big enough.
// Cache-line alignment keeps each packed row of a panel within whole lines.
func floats(buf []float32, n int) []float32 {
	if cap(buf) >= n {
		return buf[:n]
	}
	s := make([]float32, n+16)
	off := int(uintptr(unsafe.Pointer(&s[0]))&63) / 4
	if off != 0 {
		off = 16 - off
	}
	return s[off : off+n : off+n]
}

// reserve grows the packing buffers to the most any product needs. A pool thread
// that runs whole convolutions for others (conv_items.go) meets products of many
// shapes in an order that depends on which thread takes which part; reserving up
// front keeps every call after the first free of allocation.
func (ws *workspace) reserve(kern *gemmKernel) {
	ws.fit(kern.mc*kern.kc, kern.kc*kern.nc)
}

func (ws *workspace) gemm(kern *gemmKernel, transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	if m == 0 || n == 0 {
		return
	}
	if k == 0 || alpha == 0 {
		scaleC(m, n, beta, c, ldc)
		return
	}
	mr, nr := kern.mr, kern.nr
	kcMax, directB, packAll := gemmBlocking(kern, transB, m, n, k)
	ws.fit(packingOf(kern, m, n, kcMax, directB, packAll))
	for jc := 0; jc < n; jc += kern.nc {
		nc := min(kern.nc, n-jc)
		for pc := 0; pc < k; pc += kcMax {
			kc := min(kcMax, k-pc)
			// Later k blocks accumulate onto what the first one stored.
			bet := beta
			if pc > 0 {
				bet = 1
			}
			if !directB {
				for jr := 0; jr < nc; jr += nr {
					packB(kern, ws.b[jr*kc:], transB, b, ldb, pc, jc+jr, kc, min(nr, nc-jr))
				}
			}
			for ic := 0; ic < m; ic += kern.mc {
				mc := min(kern.mc, m-ic)
				h := sliverRows(mc, mr)
				if packAll {
					packA(kern, ws.a, transA, a, lda, ic, pc, mc, kc, h)
				}
				for jr := 0; jr < nc; jr += nr {
					cols := min(nr, nc-jr)
					bs := panelWidth(kern, cols)
					var bp []float32
					switch {
					case !directB:
						bp = ws.b[jr*kc:]
					case cols == nr:
						bp, bs = b[pc*ldb+jc+jr:], ldb
					default:
						bp = ws.b
						packB(kern, bp, false, b, ldb, pc, jc+jr, kc, cols)
					}
					for ir := 0; ir < mc; ir += h {
						rows := min(h, mc-ir)
						var at []float32
						ald, atr := lda, transA
						switch {
						case packAll:
							at, ald, atr = ws.a[ir*kc:], rows, true
						case transA:
							at = a[pc*lda+ic+ir:]
						default:
							at = a[(ic+ir)*lda+pc:]
						}
						kern.tile(rows, cols, kc, at, ald, atr, bp, bs,
							c[(ic+ir)*ldc+jc+jr:], ldc, alpha, bet)
					}
				}
			}
		}
	}
}

// gemmBlocking returns how gemm cuts and packs an m×n×k product: k blocks of at most
// kcMax, B read in place (directB) or packed, A packed (packAll) or read in place.
func gemmBlocking(kern *gemmKernel, transB bool, m, n, k int) (kcMax int, directB, packAll bool) {
	// Split k into equal blocks of at most kern.kc (rounded up to whole 8×8
	// transposes), rather than full blocks and a sliver: k = 784 with kc = 384 runs
	// as 264+264+256, not 384+384+16, whose last block would spend as long storing
	// C as computing.
	kBlocks := (k + kern.kc - 1) / kern.kc
	kcMax = min(roundUp((k+kBlocks-1)/kBlocks, 8), k)
	// When all of C is one row of tiles, each element of B is used once, so packing
	// B would only copy it: the kernel reads full-width panels of an untransposed B
	// in place, and only a narrow last panel is packed (so the kernel can read a
	// whole panel width without running off the end of b).
	directB = !transB && m <= kern.mr
	// Packing A costs a pass over it per B block, and pays when each packed block
	// is then read by many B panels: contiguous slivers stream better, and do not
	// collide in the cache sets as the rows of an A with a large power-of-two
	// stride do (at 1024×1024 that costs a fifth of the speed). For a few panels
	// reading A in place is cheaper.
	packAll = roundUp(min(n, kern.nc), kern.nr)/kern.nr > kern.packAOver
	return kcMax, directB, packAll
}

// gemmPacking returns the floats gemm's A and B packing buffers need for an m×n×k
// product (0 when it does not pack that operand).
func gemmPacking(kern *gemmKernel, transB bool, m, n, k int) (na, nb int) {
	if m == 0 || n == 0 || k == 0 {
		return 0, 0
	}
	kcMax, directB, packAll := gemmBlocking(kern, transB, m, n, k)
	return packingOf(kern, m, n, kcMax, directB, packAll)
}

// packingOf is gemmPacking for the blocking gemmBlocking chose.
func packingOf(kern *gemmKernel, m, n, kcMax int, directB, packAll bool) (na, nb int) {
	if packAll {
		na = min(kern.mc, roundUp(m, kern.mr)) * kcMax
	}
	if directB {
		nb = kcMax * kern.nr
	} else {
		nb = kcMax * min(kern.nc, roundUp(n, kern.nr))
	}
	return na, nb
}

func roundUp(x, m int) int { return (x + m - 1) / m * m }

// panelWidth is the packed width of a B panel holding cols columns.
func panelWidth(kern *gemmKernel, cols int) int {
	if kern.halfNR && cols <= kern.nr/2 {
		return kern.nr / 2
	}
	return kern.nr
}

// scaleC sets C = beta·C, writing zeros without reading C when beta is 0.
func scaleC(m, n int, beta float32, c []float32, ldc int) {
	if beta == 1 {
		return
	}
	for i := 0; i < m; i++ {
		row := c[i*ldc : i*ldc+n]
		if beta == 0 {
			clear(row)
			continue
		}
		for j := range row {
			row[j] *= beta
		}
	}
}

// sliverRows is the height of the A slivers that cover mc rows: as few slivers as
// tiles of mr rows take, all of one height but a shorter last one, so that 16 rows
// are 8+8 rather than 14+2. A sliver of few rows leaves the kernel's FMA latency
// uncovered (2 rows of the 14×32 tile are 4 independent accumulator chains, where 8
// are in flight), and ran at a sixth of the tile's speed. Every element of C still
// gets the same sums in the same order, so the split does not change any bits.
func sliverRows(mc, mr int) int {
	n := (mc + mr - 1) / mr
	return (mc + n - 1) / n
}

// packA copies op(A)[ic:ic+mc, pc:pc+kc] into dst as consecutive slivers of h rows
// (h ≤ mr, from sliverRows; the last one may have fewer); within a sliver of r rows,
// element (i, p) is at p*r+i, the order in which the micro-kernel broadcasts it.
func packA(kern *gemmKernel, dst []float32, transA bool, a []float32, lda, ic, pc, mc, kc, h int) {
	for ir := 0; ir < mc; ir += h {
		r := min(h, mc-ir)
		s := dst[ir*kc : ir*kc+r*kc]
		if transA {
			// op(A)(i, p) = a[p*lda+i]: each k step is a contiguous run of r floats.
			if kern.packRows != nil && r >= 8 {
				kern.packRows(kc, &a[pc*lda+ic+ir], lda, &s[0], r, r)
				continue
			}
			for p := 0; p < kc; p++ {
				src := a[(pc+p)*lda+ic+ir:]
				copy(s[p*r:p*r+r], src[:r])
			}
			continue
		}
		// op(A)(i, p) = a[i*lda+p]: a transpose. With r ≥ 8 rows, rows 0–7 and rows
		// r−8…r−1 go through 8×8 register transposes (overlapping rows are written
		// twice with the same values); the last kc mod 8 steps are gathered in Go.
		p0 := 0
		if kern.transpose8 != nil && r >= 8 && kc >= 8 {
			nb := kc / 8
			p0 = nb * 8
			row0 := (ic+ir)*lda + pc
			kern.transpose8(nb, &a[row0], lda, &s[0], r)
			kern.transpose8(nb, &a[row0+(r-8)*lda], lda, &s[r-8], r)
		}
		for i := 0; i < r; i++ {
			src := a[(ic+ir+i)*lda+pc : (ic+ir+i)*lda+pc+kc]
			for p := p0; p < kc; p++ {
				s[p*r+i] = src[p]
			}
		}
	}
}

// packB copies the panel op(B)[pc:pc+kc, j0:j0+cols] into dst, element (p, j) at
// p*w+j where w is the panel's packed width, with columns cols..w-1 set to zero.
func packB(kern *gemmKernel, dst []float32, transB bool, b []float32, ldb, pc, j0, kc, cols int) {
	w := panelWidth(kern, cols)
	s := dst[:kc*w]
	if cols < w {
		// A ragged last panel: zero it all at once, then fill the live columns.
		// (Per-row clears of a few floats cost more than the whole GEMM of a
		// tiny matrix.)
		clear(s)
	}
	if !transB {
		// op(B)(p, j) = b[p*ldb+j]: each k step is a contiguous run of cols floats.
		if kern.packRows != nil && cols >= 8 {
			kern.packRows(kc, &b[pc*ldb+j0], ldb, &s[0], w, cols)
			return
		}
		for p := 0; p < kc; p++ {
			src := b[(pc+p)*ldb+j0 : (pc+p)*ldb+j0+cols]
			row := s[p*w : p*w+cols]
			for j, v := range src {
				row[j] = v
			}
		}
		return
	}
	// op(B)(p, j) = b[j*ldb+p]: a transpose. Groups of 8 stored rows go through
	// 8×8 register transposes; what is left (the last kc mod 8 steps of those
	// rows, and the last cols mod 8 rows) is gathered one element at a time.
	j, p0 := 0, 0
	if kern.transpose8 != nil && kc >= 8 {
		nb := kc / 8
		p0 = nb * 8
		for ; j+8 <= cols; j += 8 {
			kern.transpose8(nb, &b[(j0+j)*ldb+pc], ldb, &s[j], w)
		}
	}
	for jj := 0; jj < cols; jj++ {
		start := p0
		if jj >= j {
			start = 0
		}
		src := b[(j0+jj)*ldb+pc : (j0+jj)*ldb+pc+kc]
		for p := start; p < kc; p++ {
			s[p*w+jj] = src[p]
		}
	}
}
