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
	const mr = 14
	o, per := p.o, p.per
	blocks := (o + mr - 1) / mr
	chunk := (o + blocks - 1) / blocks
	// The kernels read rows k of B up to 32 values past each strip's start.
	_ = img[per-1+int(off[len(off)-1])+directSlack]
	_ = wr[p.k*o-1]
	_ = prod[(o-1)*p.ldc+per-1]
	for t0 := 0; t0 < per; t0 += 32 {
		nr := min(32, per-t0)
		h := 0
		if nr <= 16 {
			h = 1
		}
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
	chunk := min(scatterRows(g.C), 14)
	blocks := (r + chunk - 1) / chunk
	chunk = (r + blocks - 1) / blocks
	_ = dyw[(o-1)*p.ldc+per-1+directSlack]
	_ = dx[int(coff[r-1])+per-1]
	for t0 := 0; t0 < per; t0 += 32 {
		nr := min(32, per-t0)
		h := 0
		if nr <= 16 {
			h = 1
		}
		for k0 := 0; k0 < r; k0 += chunk {
			kc := min(chunk, r-k0)
			avx512Scatter[h][kc](o, &a[k0], r, &dyw[t0], p.ldc, &dx[t0], &coff[k0], 1, 1, nr)
		}
	}
}
