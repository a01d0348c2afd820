package rt

// Running a convolution over a range of items, on one thread or split by items
// across a pool.
//
// Conv2D, Conv2DFused and the stride-1 Conv2DTranspose compute every item
// independently: its columns, its share of a group's product (each output element
// is the same dot product whatever else the product computes) and its epilogue. So
// with a pool of several threads and a batch of several items, each thread takes a
// run of items and computes it whole, with its own scratch and single-threaded
// products, instead of all threads sharing each (small) product and one thread
// building every column matrix and running every epilogue. Every element is
// computed by the same instructions in the same order either way: the results are
// the same bit for bit for any number of threads.

// run computes items 0 … n-1 (x, y and the epilogue's Index start at item 0), on
// the pool's threads by items when it has several and there are several items.
func (p plan) run(pool *Pool, n int, x, w, y, scratch []float32, e *Epilogue) {
	if pool != nil && pool.Threads() > 1 && n > 1 {
		pool.convItems(p, n, x, w, y, scratch, e)
		return
	}
	p.items(pool, nil, n, x, w, y, scratch, e)
}

// itemScratch is the scratch one thread needs to run a plan over items: the plan's
// and one item's o×Ho×Wo product (Conv2DFusedScratch).
func (p plan) itemScratch() int { return p.size + p.o*p.g.Ho*p.g.Wo }

// items computes n items: x and y (and e.Index) start at the first. Products run on
// ws, single-threaded, when it is not nil, else on pool. e nil is Conv2D: the valid
// positions of each product are copied out; otherwise the epilogue computes the
// output planes.
func (p plan) items(pool *Pool, ws *workspace, n int, x, w, y, scratch []float32, e *Epilogue) {
	g := p.g
	chw, r := g.C*g.H*g.W, g.Rows()
	hw := g.Ho * g.Wo
	outPlane := hw
	if e != nil {
		outPlane = e.outPlane(g)
	}
	yItem := p.o * outPlane
	// out stores plane c of item b from src, whose rows are stride apart.
	out := func(b, c int, src []float32, stride int) {
		dst := y[b*yItem+c*outPlane : b*yItem+(c+1)*outPlane]
		if e != nil {
			e.plane(src, stride, g, c, dst, e.indexPlane(b*p.o+c, outPlane))
			return
		}
		for q := range g.Ho {
			copy(dst[q*g.Wo:][:g.Wo], src[q*stride:][:g.Wo])
		}
	}
	switch p.mode {
	case modeScatter:
		p.scatterItems(n, x, w, y, scratch)
		return
	case modePointwise, modeGather:
		// One product per item, straight into y without an epilogue.
		for b := range n {
			dst := y[b*yItem:]
			if e != nil {
				dst = scratch[p.size : p.size+p.o*hw]
			}
			if p.mode == modePointwise {
				gemmOn(pool, ws, false, false, p.o, hw, g.C, 1, w, g.C, x[b*chw:], hw, 0, dst, hw)
			} else {
				cols := scratch[:p.size]
				im2col(g, x[b*chw:(b+1)*chw], cols, p.ldc)
				gemmOn(pool, ws, false, false, p.o, p.ldc, r, 1, w, r, cols, p.ldc, 0, dst, p.ldc)
			}
			if e != nil {
				for c := range p.o {
					out(b, c, dst[c*hw:], g.Wo)
				}
			}
		}
		return
	}
	clear(scratch[p.img:p.out]) // the padding
	wr := w                     // the weights as the products read them
	if p.mode == modeRows || p.mode == modeDirect {
		if e != nil && e.Arranged != nil {
			wr = e.Arranged
		} else {
			wr = scratch[:p.o*r]
			p.arrange(wr, w)
		}
	}
	if p.mode == modeDirect {
		// Each item's image padded into one buffer (whose padding stays zero),
		// its product read from there, its planes stored.
		off := p.offsets(scratch)
		img, prod := scratch[p.img:p.out], scratch[p.out:p.size]
		for b := range n {
			for c := range g.C {
				p.pad(img[c*p.plane:], x[b*chw:], c)
			}
			if ws == nil {
				p.directOn(pool, wr, off, img, prod)
			} else {
				p.direct(wr, off, img, prod)
			}
			for c := range p.o {
				out(b, c, prod[c*p.ldc:], p.wp)
			}
		}
		return
	}
	cols, prod := scratch[p.cols:p.out], scratch[p.out:p.size]
	for b0 := 0; b0 < n; b0 += p.group {
		items := min(p.group, n-b0)
		p.columns(x, b0, items, scratch)
		p.product(pool, ws, items, wr, cols, prod)
		for k := range items {
			for c := range p.o {
				if !p.stacked {
					out(b0+k, c, prod[c*p.ldc+k*p.per:], p.wp)
					continue
				}
				// The stacked product holds one block per kernel row: block i is
				// kernel row i's contribution at the position i rows up, and the
				// plane is their sum, made in y (Conv2D) or for the epilogue.
				var plane []float32
				if e != nil {
					plane = scratch[p.size : p.size+hw]
				} else {
					plane = y[(b0+k)*yItem+c*outPlane:][:hw]
				}
				for q := range g.Ho {
					row := plane[q*g.Wo:][:g.Wo]
					copy(row, prod[c*p.ldc+k*p.plane+q*p.wp:])
					for i := 1; i < g.KH; i++ {
						src := prod[(i*p.o+c)*p.ldc+k*p.plane+(q+i)*p.wp:][:len(row)]
						for v, s := range src {
							row[v] += s
						}
					}
				}
				if e != nil {
					out(b0+k, c, plane, g.Wo)
				}
			}
		}
	}
}

// gemmOn is Gemm on ws (single-threaded) when it is not nil, else GemmP on pool.
func gemmOn(pool *Pool, ws *workspace, transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	if ws == nil {
		GemmP(pool, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		return
	}
	checkGemm(transA, transB, m, n, k, a, lda, b, ldb, c, ldc)
	ws.gemm(activeKernel, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// convJob is a convolution split by items across a pool (Pool.convItems): part i
// is items [i·per, min((i+1)·per, n)).
type convJob struct {
	p          plan
	n, per     int
	x, w, y    []float32
	scratch    []float32 // the caller's, for thread 0
	e          Epilogue
	fused      bool
	chw, yItem int
	outPlane   int
}

// convItems runs p over n items split by items across the pool's threads. The
// caller's thread uses scratch; the others use scratch of their own workspace,
// grown on its first use and kept.
func (pl *Pool) convItems(p plan, n int, x, w, y, scratch []float32, e *Epilogue) {
	s := pl.s
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		panic("rt: convolution on a closed Pool")
	}
	parts := min(n, partsPerThread*len(s.ws))
	per := (n + parts - 1) / parts
	parts = (n + per - 1) / per
	outPlane := p.g.Ho * p.g.Wo
	j := convJob{p: p, n: n, per: per, x: x, w: w, y: y, scratch: scratch, chw: p.g.C * p.g.H * p.g.W}
	if e != nil {
		j.e, j.fused, outPlane = *e, true, e.outPlane(p.g)
	}
	j.outPlane, j.yItem = outPlane, p.o*outPlane
	// Every thread's buffers reach their final size now, whichever parts it
	// takes (the helpers are idle: no job is posted).
	for t := range s.ws {
		s.ws[t].reserve(activeKernel)
		if t > 0 {
			s.ws[t].conv = floats(s.ws[t].conv, p.itemScratch())
		}
	}
	s.conv, s.convRun = j, true
	s.run(parts)
	s.conv, s.convRun = convJob{}, false // drop the references to the caller's slices
}

// runConvPart computes part i of the convolution job on thread t.
func (s *poolState) runConvPart(t, i int) {
	j := &s.conv
	b0 := i * j.per
	b1 := min(j.n, b0+j.per)
	if b0 >= b1 {
		return
	}
	scratch := j.scratch
	if t > 0 {
		scratch = s.ws[t].conv
	}
	var e *Epilogue
	if j.fused {
		ec := j.e
		if ec.Index != nil {
			ec.Index = ec.Index[b0*j.yItem:]
		}
		e = &ec
	}
	j.p.items(nil, &s.ws[t], b1-b0, j.x[b0*j.chw:], j.w, j.y[b0*j.yItem:], scratch, e)
}
