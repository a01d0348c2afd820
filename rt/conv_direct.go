package rt

import "unsafe"

// The direct path of a stride-1 convolution (modeDirect): no column matrix. Row
// (c,i,j) of the wide column matrix (see modeWide) is the run of the padded image
// from (c, i, j), so the product's kernels read it in place, through a table of
// offsets c·Hp·Wp + i·Wp + j, one per row. This saves building C·KH·KW rows of
// Ho·Wp values per item, which cost as much as a good part of the product, and
// computes Ho·Wp positions per item instead of the rows path's Hp·Wp.

// directSlack is how many values past the padded image the last tile of a row of
// the product may read (they land in discarded columns): a tile is 32 wide.
const directSlack = 32

// offsets returns the direct path's offset table, kept in scratch after the
// arranged weights (r int32s in as many float32 slots), filled in.
func (p plan) offsets(scratch []float32) []int32 {
	g := p.g
	r := g.Rows()
	s := scratch[p.o*r : p.o*r+r]
	off := unsafe.Slice((*int32)(unsafe.Pointer(unsafe.SliceData(s))), len(s))
	k := 0
	for c := range g.C {
		for i := range g.KH {
			for j := range g.KW {
				off[k] = int32(c*p.plane + i*p.wp + j)
				k++
			}
		}
	}
	return off
}

// arrange writes w (o×C×KH×KW) in the layout the plan's products read: by kernel
// row (rows path), transposed to C·KH·KW × o (direct path), or as it is.
func (p plan) arrange(dst, w []float32) {
	switch p.mode {
	case modeRows:
		p.byRow(dst, w)
	case modeDirect:
		r := p.g.Rows()
		for oc := range p.o {
			for k, v := range w[oc*r : (oc+1)*r] {
				dst[k*p.o+oc] = v
			}
		}
	default:
		copy(dst, w[:p.o*p.g.Rows()])
	}
}

// scatterRows is how many rows of wᵀ·dy one scatter kernel call computes for an
// adjoint with c input channels. Its rows are ordered by (i, j, c), c fastest, so a
// block of at most c rows adds into as many different planes; a row that adds into
// a plane an earlier row of the same call just stored to, shifted by a value or
// two, must wait for that store to reach the cache. But a tile of one or two rows
// has too few accumulators to hide the FMA latency, so few channels take several
// kernel positions per call anyway. A variable so that tests can try every height.
var scatterRows = func(c int) int {
	if c >= 14 {
		return 14
	}
	return c * max(1, 8/c)
}

// newScatterPlan is the plan of the adjoint of the valid stride-1 convolution g
// with o output channels on the scatter path: it runs over the flipped window
// (from dy to dx) and keeps in scratch the weights arranged as o × C·KH·KW with
// rows in (i, j, c) order, the table of the dx offsets of those rows, and one
// item's dy laid out W wide (Ho rows of W values, zeros past Wo, then 32 more
// that the last strip reads).
func newScatterPlan(g Window, o, maxBatch int) plan {
	f, _ := g.flipped(o)
	r := g.Rows()
	p := plan{g: f, o: g.C, mode: modeScatter, src: g, k: o, group: 1}
	p.per = (g.Ho-1)*g.W + g.Wo // the positions of the wide dy up to its last value
	p.ldc = lineStride(g.Ho*g.W + directSlack)
	p.img = o*r + r
	p.cols, p.out = p.img, p.img
	p.size = p.img + o*p.ldc
	return p
}

// scatterItems computes the adjoint for n items on the scatter path: x is dy
// (n×o×Ho×Wo), y is dx (n×C×H×W).
func (p plan) scatterItems(n int, dy, w, dx, scratch []float32) {
	g := p.src
	o, r := p.k, g.Rows()
	hw, chw, in := g.H*g.W, g.C*g.H*g.W, o*g.Ho*g.Wo
	a := scratch[:o*r]
	cs := scratch[o*r : o*r+r]
	coff := unsafe.Slice((*int32)(unsafe.Pointer(unsafe.SliceData(cs))), len(cs))
	k := 0
	for i := range g.KH {
		for j := range g.KW {
			for c := range g.C {
				coff[k] = int32(c*hw + i*g.W + j)
				for q := range o {
					a[q*r+k] = w[q*r+(c*g.KH+i)*g.KW+j]
				}
				k++
			}
		}
	}
	dyw := scratch[p.img:p.size]
	clear(dyw) // the zero columns past Wo and the slack stay zero
	for b := range n {
		src := dy[b*in : (b+1)*in]
		for q := range o {
			for row := range g.Ho {
				copy(dyw[q*p.ldc+row*g.W:][:g.Wo], src[(q*g.Ho+row)*g.Wo:])
			}
		}
		x := dx[b*chw : (b+1)*chw]
		clear(x)
		p.scatter(a, coff, dyw, x)
	}
}

// strips is the number of 32-wide strips of positions of one item's product on the
// direct path (the last may be narrower).
func (p plan) strips() int { return (p.per + 31) / 32 }

// directOn computes one item's product on the direct path, split by strips of
// positions across pool's threads when the product is large enough to pay for the
// split (minFlopsPerPart), else on the calling thread. The split changes which
// thread computes a strip, never how: the result is the same bits either way. It is
// what lets a batch of one item, which Pool.convItems cannot split, use every
// thread.
func (p plan) directOn(pool *Pool, wr []float32, off []int32, img, prod []float32) {
	strips := p.strips()
	if pool == nil || pool.Threads() == 1 {
		p.direct(wr, off, img, prod)
		return
	}
	parts := min(strips, partsPerThread*pool.Threads(), p.o*p.k*p.per/minFlopsPerPart)
	if parts < 2 {
		p.direct(wr, off, img, prod)
		return
	}
	pool.direct(p, parts, wr, off, img, prod)
}

// directJob is one item's direct-path product split by strips across a pool
// (Pool.direct): part i computes strips [shareStart(strips, parts, i),
// shareStart(strips, parts, i+1)).
type directJob struct {
	p         plan
	parts     int
	wr        []float32
	off       []int32
	img, prod []float32
}

// direct runs p.directStrips over parts ranges of strips on the pool's threads.
// No thread needs a buffer of its own: every part reads the shared image and
// weights and writes its own columns of prod.
func (pl *Pool) direct(p plan, parts int, wr []float32, off []int32, img, prod []float32) {
	s := pl.s
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		panic("rt: convolution on a closed Pool")
	}
	s.dir = directJob{p: p, parts: parts, wr: wr, off: off, img: img, prod: prod}
	s.dirRun = true
	s.run(parts)
	s.dir, s.dirRun = directJob{}, false // drop the references to the caller's slices
}

// runDirectPart computes part i of the direct job.
func (s *poolState) runDirectPart(i int) {
	j := &s.dir
	strips := j.p.strips()
	j.p.directStrips(j.wr, j.off, j.img, j.prod, shareStart(strips, j.parts, i), shareStart(strips, j.parts, i+1))
}
