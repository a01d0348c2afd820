package rt

// directConv says whether stride-1 convolutions take the direct path: on CPUs
// with AVX-512, whose kernels it needs. A variable so that tests can compare the
// paths.
var directConv = cpu.avx512

// direct computes one item's product on the direct path: prod (o rows, ldc apart,
// Ho·Wp wide positions) = wrᵀ · the wide column matrix of img, the item's padded
// image, whose row k is img[off[k]:]. Output channels go in equal blocks of at
// most one tile (16 as 8+8: a tile of few rows has too few accumulators to hide
// the FMA latency); positions in strips of 32, the last one 16 wide if it fits,
// each strip's block of the image reused by every channel block while in L1.
func (p plan) direct(wr []float32, off []int32, img, prod []float32) {
	p.directStrips(wr, off, img, prod, 0, p.strips())
}

// directStrips is direct over strips s0 … s1-1 of positions alone (strip s starts
// at position 32·s), every channel block of each: the part of the product a pool
// thread computes (Pool.direct). Each strip is computed as direct computes it.
func (p plan) directStrips(wr []float32, off []int32, img, prod []float32, s0, s1 int) {
	o, per := p.o, p.per
	chunk := equalBlocks(o, 14)
	// The kernels read rows k of B up to 32 values past each strip's start.
	_ = img[per-1+int(off[len(off)-1])+directSlack]
	_ = wr[p.k*o-1]
	_ = prod[(o-1)*p.ldc+per-1]
	for t0 := 32 * s0; t0 < min(per, 32*s1); t0 += 32 {
		nr, h := strip(per, t0)
		for o0 := 0; o0 < o; o0 += chunk {
			oc := min(chunk, o-o0)
			avx512Indirect[h][oc](p.k, &wr[o0], o, &img[t0], &off[0], &prod[o0*p.ldc+t0], p.ldc, 1, 0, nr)
		}
	}
}

// haveDirect reports whether this CPU can run the direct path.
func haveDirect() bool { return cpu.avx512 }

// scatter adds one item's wᵀ·dy into dx on the scatter path: row k of the product
// (a's column k, times the wide dy) goes to dx[coff[k]:], over the positions of
// the wide dy up to its last value (the rows' zero columns add into the next row's
// first positions, inside the plane), in strips of 32 and blocks of scatterRows
// rows.
func (p plan) scatter(a []float32, coff []int32, dyw, dx []float32) {
	g := p.src
	o, r, per := p.k, g.Rows(), p.per
	chunk := equalBlocks(r, min(scatterRows(g.C), 14))
	_ = dyw[(o-1)*p.ldc+per-1+directSlack]
	_ = dx[int(coff[r-1])+per-1]
	for t0 := 0; t0 < per; t0 += 32 {
		nr, h := strip(per, t0)
		for k0 := 0; k0 < r; k0 += chunk {
			kc := min(chunk, r-k0)
			avx512Scatter[h][kc](o, &a[k0], r, &dyw[t0], p.ldc, &dx[t0], &coff[k0], 1, 1, nr)
		}
	}
}

// equalBlocks returns the size of the blocks that cut n into as few equal blocks
// of at most most as possible (the last may be smaller).
func equalBlocks(n, most int) int {
	blocks := (n + most - 1) / most
	return (n + blocks - 1) / blocks
}

// strip returns the width nr of the strip of positions from t0 (at most 32 of
// per) and which kernel computes it: h = 0 the full 32-wide panel, h = 1 the
// half-width one when nr fits in 16.
func strip(per, t0 int) (nr, h int) {
	nr = min(32, per-t0)
	if nr <= 16 {
		h = 1
	}
	return nr, h
}
