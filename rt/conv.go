package rt

import "fmt"

// Convolutions as matrix products. A convolution of one item is a product once its
// input is unrolled into a column matrix (im2col; Chellapilla, Puri and Simard, "High
// performance convolutional neural networks for document processing", 2006):
//
//	y (O × Ho·Wo) = w (O × C·KH·KW) · cols (C·KH·KW × Ho·Wo)
//
// where cols[(c·KH+i)·KW+j, p·Wo+q] = x[c, p·SH+i·DH-Top, q·SW+j·DW-Left], zero in
// the padding (DH = DW = 1 but for dilated kernels). The filter gradient is dy · colsᵀ, and the adjoint (the input gradient, a
// transposed convolution) is wᵀ · dy followed by col2im, which adds every column
// entry back to the input element it was read from.
//
// With stride 1 the columns are built "wide" instead: the image is zero-padded to
// Hp×Wp (Hp = Ho+KH-1, Wp = Wo+KW-1) and the product is computed at every one of the
// Ho×Wp positions, the last KW-1 of each row being discarded. Row (c,i,j) of the wide
// column matrix is then one contiguous run of the padded image, starting at
// (c, i, j), so building it is C·KH·KW long copies instead of C·KH·KW·Ho short ones;
// the price is Wp/Wo more columns in the product. Several items' columns sit side by
// side so that one product covers a group of them, sized to keep the columns in the
// L2 cache. The stride-1 adjoint is itself a stride-1 convolution, of the padded dy
// with the kernel flipped and its channel axes swapped, so it takes the same path.
//
// All scratch memory comes from the caller (the generated model's scratch buffer),
// sized at generation time by the *Scratch functions, so no call allocates.

// Window is the geometry of a convolution's sliding window over one item: C planes
// of H×W, a KH×KW kernel moved by strides SH and SW over the input padded with Top
// rows above and Left columns on the left, giving Ho×Wo windows. The bottom and right
// pads are implied by Ho and Wo: a window position past the input reads zeros.
//
// DH and DW dilate the kernel (PyTorch's dilation, Keras' dilation_rate): tap (i, j)
// reads the input DH·i rows and DW·j columns from the window's corner. 0 means 1,
// so that a literal without them is an undilated window. Dilated windows run on the
// im2col paths only (see newPlanWith).
type Window struct {
	C, H, W   int
	KH, KW    int
	SH, SW    int
	Top, Left int
	Ho, Wo    int
	DH, DW    int
}

// dilation returns the window's dilation, 0 read as 1.
func (g Window) dilation() (int, int) { return max(g.DH, 1), max(g.DW, 1) }

// dilated reports a kernel whose taps are spread apart along an axis where it has
// more than one: the paths that read the padded image as runs of KH×KW neighbours
// (wide, rows, direct, scatter, the dot products, the flipped adjoint) do not apply.
func (g Window) dilated() bool {
	dh, dw := g.dilation()
	return (dh > 1 && g.KH > 1) || (dw > 1 && g.KW > 1)
}

// Rows is the number of rows of the column matrix, C·KH·KW.
func (g Window) Rows() int { return g.C * g.KH * g.KW }

func (g Window) valid() bool {
	return g.C >= 1 && g.H >= 1 && g.W >= 1 && g.KH >= 1 && g.KW >= 1 && g.SH >= 1 && g.SW >= 1 &&
		g.Top >= 0 && g.Left >= 0 && g.Ho >= 1 && g.Wo >= 1 && g.DH >= 0 && g.DW >= 0
}

// pointwise reports a 1×1 window with stride 1 and no padding: the item itself,
// C×H·W, is the column matrix.
func (g Window) pointwise() bool {
	return g.KH == 1 && g.KW == 1 && g.SH == 1 && g.SW == 1 && g.Top == 0 && g.Left == 0 && g.Ho == g.H && g.Wo == g.W
}

// convColsBudget bounds the column matrix of one group of items (floats): half a
// megabyte, a good share of a core's L2 cache, so that the products read the
// columns from L2 right after they were written.
var convColsBudget = 1 << 17 // a variable so that tests can make groups small

// rowsMinK and rowsMaxO select the rows path for a stride-1 convolution. Its
// products have inner dimension C·KW, which must be at least rowsMinK (below it they
// spend more on reading and writing their result than on multiplying). The forward
// product runs over blocks of output channels small enough for Gemm to read the
// columns in place. The filter gradient's products read the columns transposed,
// which Gemm always packs: KH of them pack as much as the wide path's one, so the
// rows path pays only for at most rowsMaxO output channels (dy's rows).
var (
	rowsMinK = 16 // variables so that tests can choose the path
	rowsMaxO = 8
)

// tileRows is the rows of one Gemm micro-tile, which Gemm computes reading its
// right operand in place: the forward rows path stacks its KH products into one if
// they fit (KH·o rows), and otherwise runs them in blocks of this many output
// channels. tileRowsOverride replaces it in tests.
func tileRows() int {
	if tileRowsOverride > 0 {
		return tileRowsOverride
	}
	return activeKernel.mr
}

var tileRowsOverride = 0

// filterGradTransposedRows is the smallest C·KH·KW for which the wide path's filter
// gradient is computed transposed (see Conv2DFilterGrad).
var filterGradTransposedRows = 64

// convMode is how a convolution is computed.
type convMode int

const (
	// modePointwise: a 1×1 window with stride 1 and no padding; the item itself,
	// C×H·W, is the column matrix.
	modePointwise convMode = iota
	// modeGather: strided or dilated windows; im2col and one product per item.
	modeGather
	// modeWide: stride 1 over few channels; wide columns (one row per c, i, j)
	// for a group of items side by side, one product per group.
	modeWide
	// modeDirect: stride 1, with AVX-512; no column matrix at all. Each item's
	// image is padded once, and the product reads row (c,i,j) of the wide
	// column matrix straight from it at offset c·Hp·Wp + i·Wp + j (indirect
	// convolution, conv_direct_amd64.go), over the item's Ho·Wp wide positions.
	modeDirect
	// modeScatter: the adjoint of a valid stride-1 convolution, with AVX-512:
	// each row (c,i,j) of wᵀ·dy, dy laid out W wide, is added straight into plane
	// c of dx shifted by i·W+j, by kernels that store their rows at offsets
	// (conv_direct_amd64.go); no column matrix, no separate adds.
	modeScatter
	// modeRows: stride 1; the group's padded images stacked per channel, and one
	// row per (c, j): that plane shifted j columns. Kernel row i reads the same
	// rows shifted i·Wp further, so there are KH products of inner dimension
	// C·KW, accumulated, instead of one of C·KH·KW, and KH times fewer columns to
	// build.
	modeRows
)

// plan is how a convolution with window g and o output channels is computed, and
// where its parts live in the scratch buffer.
type plan struct {
	g      Window
	o      int
	mode   convMode
	padded bool // wide: the image needs a padded copy
	hp, wp int  // padded image (wide, rows): Hp = Ho+KH-1, Wp = Wo+KW-1
	plane  int  // Hp·Wp
	per    int  // product columns per item: Ho·Wo (gather), Ho·Wp (wide), Hp·Wp (rows)
	k      int  // rows of the column matrix: C·KH·KW, or C·KW (rows)
	group  int  // items per group
	ldc    int  // row stride of the column matrix and of the out block: group·per
	// Scratch offsets: o·C·KH·KW values at 0 (the weights by kernel row, or the
	// filter gradient), the padded image (wide), the column matrix, and an o × ldc
	// block for the product (or for dy spread over the product's positions); size
	// is the total.
	img, cols, out, size int
	// stacked: the rows path's KH products are one, whose result has a block of
	// o rows per kernel row (outRows = KH·o), added up shifted afterwards; see conv
	// and Conv2DFilterGrad.
	stacked bool
	outRows int
	// src is the convolution whose adjoint a scatter plan computes (g is then
	// its flipped window, from dy to dx).
	src Window
}

// newPlan lays out the scratch of a convolution over batches of up to maxBatch
// items. A group holds as many items as fit convColsBudget, at most maxBatch, so a
// plan for a smaller batch never needs more scratch than the one it was sized with.
func newPlan(g Window, o, maxBatch int, filterGrad bool) plan {
	return newPlanWith(g, o, maxBatch, filterGrad, directConv)
}

// planSize is the scratch of a convolution's plan whichever way it runs, with or
// without the direct path: a model's scratch is sized when its code is generated,
// maybe on another CPU than the one it runs on.
func planSize(g Window, o, maxBatch int, filterGrad bool) int {
	return max(newPlanWith(g, o, maxBatch, filterGrad, false).size, newPlanWith(g, o, maxBatch, filterGrad, true).size)
}

// newPlanWith is newPlan, taking the direct path for a stride-1 forward
// convolution when direct is true.
func newPlanWith(g Window, o, maxBatch int, filterGrad, direct bool) plan {
	p := plan{g: g, o: o}
	switch {
	case g.pointwise():
		p.mode = modePointwise
		return p
	case g.SH != 1 || g.SW != 1 || g.dilated():
		p.mode, p.per, p.k, p.group = modeGather, g.Ho*g.Wo, g.Rows(), 1
		p.ldc = p.per
		p.size = p.k * p.ldc
		return p
	}
	p.hp, p.wp = g.Ho+g.KH-1, g.Wo+g.KW-1
	p.plane = p.hp * p.wp
	if direct && !filterGrad {
		// The weights as K×o (the kernels' transposed A), the offset table (r
		// int32s in float32 slots), one padded image with directSlack values
		// after it that the last tile reads, and one item's product.
		r := g.Rows()
		p.mode, p.per, p.k, p.group = modeDirect, g.Ho*p.wp, r, 1
		p.img = o*r + r
		p.cols = p.img
		p.out = p.img + g.C*p.plane + g.KW + directSlack
		p.outRows = o
		p.ldc = lineStride(p.per)
		p.size = p.out + o*p.ldc
		return p
	}
	// Both paths keep o·C·KH·KW values at the start: the weights by kernel row
	// (rows), or the filter gradient as it accumulates.
	p.img = o * g.Rows()
	p.cols = p.img
	p.outRows = o
	if g.C*g.KW >= rowsMinK && (!filterGrad || o <= rowsMaxO) {
		p.mode, p.per, p.k = modeRows, p.plane, g.C*g.KW
		p.stacked = filterGrad || g.KH*o <= tileRows()
		if p.stacked {
			p.outRows = g.KH * o
		}
	} else {
		p.mode, p.per, p.k = modeWide, g.Ho*p.wp, g.Rows()
		p.padded = g.Top > 0 || g.Left > 0 || p.hp != g.H || p.wp != g.W
		if p.padded {
			p.cols += g.C * p.plane
		}
	}
	p.group = max(1, min(maxBatch, convColsBudget/(p.k*p.per)))
	p.ldc = lineStride(p.group * p.per)
	p.out = p.cols + p.k*p.ldc
	p.size = p.out + p.outRows*p.ldc
	return p
}

// lineStride rounds a row length up to a stride of an odd number of 64-byte cache
// lines. The products read their column matrices in place, a few values from each
// of many rows; rows a power of two apart (a group of 32×32 planes is 4096 floats)
// would all fall into the same few cache sets and evict each other.
func lineStride(n int) int {
	s := (n + 15) / 16
	if s%2 == 0 {
		s++
	}
	return 16 * s
}

// checkConv panics unless g is a window, the batch is not negative, each (got, want)
// pair of lens holds enough values and the scratch is large enough: a wrong size is
// a bug in the generated code, as for Gemm.
func checkConv(fn string, g Window, o, n, scratch, need int, lens ...int) {
	if !g.valid() || o < 1 || n < 0 {
		panic(fmt.Sprintf("rt.%s: bad window %+v with %d output channels, batch %d", fn, g, o, n))
	}
	for i := 0; i+1 < len(lens); i += 2 {
		if lens[i] < lens[i+1] {
			panic(fmt.Sprintf("rt.%s: operand %d has %d values, needs %d", fn, i/2, lens[i], lens[i+1]))
		}
	}
	if scratch < need {
		panic(fmt.Sprintf("rt.%s: scratch has %d values, needs %d", fn, scratch, need))
	}
}

// pad copies plane c of the C×H×W item x into dst, the top-left corner of a zeroed
// Hp×Wp plane, at row Top and column Left. Pads may reach past the kernel (then
// some input rows or columns are never read and are left out).
func (p plan) pad(dst, x []float32, c int) {
	g := p.g
	rows, cols := max(0, min(g.H, p.hp-g.Top)), max(0, min(g.W, p.wp-g.Left))
	src := x[c*g.H*g.W:]
	for h := range rows {
		copy(dst[(h+g.Top)*p.wp+g.Left:][:cols], src[h*g.W:])
	}
}

// columns writes the column matrix of items b0 … b0+items-1 of x. The caller
// cleared the padding (the padded image, or the rows' first block) before the
// first group; later groups write only the positions inside the input.
func (p plan) columns(x []float32, b0, items int, scratch []float32) {
	g := p.g
	chw := g.C * g.H * g.W
	cols := scratch[p.cols:p.out]
	switch p.mode {
	case modeWide:
		// Row (c,i,j) is the run of the padded image from (c, i, j), Ho·Wp long,
		// zero-filled where it runs past the plane's end (only positions past the
		// last window of the last row, which are discarded).
		for k := range items {
			img := x[(b0+k)*chw : (b0+k+1)*chw]
			if p.padded {
				img = scratch[p.img : p.img+g.C*p.plane]
				for c := range g.C {
					p.pad(img[c*p.plane:], x[(b0+k)*chw:], c)
				}
			}
			r := 0
			for c := range g.C {
				src := img[c*p.plane : (c+1)*p.plane]
				for i := range g.KH {
					for j := range g.KW {
						dst := cols[r*p.ldc+k*p.per : r*p.ldc+(k+1)*p.per]
						r++
						m := copy(dst, src[i*p.wp+j:])
						clear(dst[m:])
					}
				}
			}
		}
	case modeRows:
		// Row (c, 0) holds the padded planes of channel c side by side; row (c, j)
		// is row (c, 0) shifted j to the left.
		used := items * p.plane
		for c := range g.C {
			base := cols[c*g.KW*p.ldc : (c*g.KW+1)*p.ldc]
			for k := range items {
				p.pad(base[k*p.plane:], x[(b0+k)*chw:], c)
			}
			for j := 1; j < g.KW; j++ {
				row := cols[(c*g.KW+j)*p.ldc:][:used]
				m := copy(row, base[j:used])
				clear(row[m:])
			}
		}
	}
}

// products is the number of product columns of a group of items: every position
// of every item but the rows past the last window of the last one (rows), or every
// item's Ho·Wp (wide).
func (p plan) products(items int) int {
	if p.mode == modeRows {
		return (items-1)*p.plane + p.g.Ho*p.wp
	}
	return items * p.per
}

// byRow lays out w (o×C×KH×KW) as KH matrices o × C·KW, one per kernel row, in
// dst: the operands of the rows path's products.
func (p plan) byRow(dst, w []float32) {
	g := p.g
	ckw := g.C * g.KW
	// Element by element: the runs are KW long (3 or 5), where a copy call costs
	// more than the values it moves (ConvDAE's batch-1 Predict spent a quarter of
	// its time here).
	src := w[:p.o*g.Rows()]
	for oc := range p.o {
		for c := range g.C {
			for i := range g.KH {
				d := dst[(i*p.o+oc)*ckw+c*g.KW:][:g.KW]
				for j, v := range src[((oc*g.C+c)*g.KH+i)*g.KW:][:g.KW] {
					d[j] = v
				}
			}
		}
	}
}

// Conv2DScratch is the scratch Conv2D needs for batches of up to maxBatch items.
func Conv2DScratch(g Window, o, maxBatch int) int { return planSize(g, o, maxBatch, false) }

// Conv2D computes y = conv(x, w) for n items: x is n×C×H×W, w is o×C×KH×KW (OIHW),
// y is n×o×Ho×Wo, y[b,o,p,q] = Σ_c,i,j x[b,c,p·SH+i·DH-Top,q·SW+j·DW-Left]·w[o,c,i,j].
// scratch holds at least Conv2DScratch(g, o, n) values.
func Conv2D(g Window, o, n int, x, w, y, scratch []float32) {
	Conv2DP(nil, g, o, n, x, w, y, scratch)
}

// Conv2DP is Conv2D on the threads of pool (nil: one thread, as Conv2D). With
// several items and threads, each thread computes whole items (conv_items.go);
// otherwise the products are split across the threads. The result is the same bit
// for bit for any number of threads.
func Conv2DP(pool *Pool, g Window, o, n int, x, w, y, scratch []float32) {
	p := newPlan(g, o, n, false)
	chw, r, out := g.C*g.H*g.W, g.Rows(), o*g.Ho*g.Wo
	checkConv("Conv2D", g, o, n, len(scratch), Conv2DScratch(g, o, n), len(x), n*chw, len(w), o*r, len(y), n*out)
	p.run(pool, n, x, w, y, scratch, nil)
}

// product computes a group's matrix product into prod from the group's columns
// (built by columns) and the weights wr: as they are, or on the rows path by
// kernel row (byRow).
func (p plan) product(pool *Pool, ws *workspace, items int, wr, cols, prod []float32) {
	g := p.g
	nn := p.products(items)
	switch {
	case p.stacked:
		// One product for all kernel rows: block i of the result is kernel row
		// i's contribution at the position i rows up. For few output channels
		// this keeps Gemm's micro-tile full (KH·o rows instead of o) and reads
		// the columns once.
		gemmOn(pool, ws, false, false, g.KH*p.o, items*p.plane, p.k, 1, wr, p.k, cols, p.ldc, 0, prod, p.ldc)
	case p.mode == modeRows:
		// In blocks of at most one micro-tile of output channels, for which Gemm
		// reads the columns in place instead of packing them for each of the KH
		// products; blocks of equal size (16 channels as 8+8, not 14+2), since a
		// tile of few rows has too few accumulators to hide the FMA latency.
		blocks := (p.o + tileRows() - 1) / tileRows()
		chunk := (p.o + blocks - 1) / blocks
		for o0 := 0; o0 < p.o; o0 += chunk {
			oc := min(chunk, p.o-o0)
			for i := range g.KH {
				gemmOn(pool, ws, false, false, oc, nn, p.k, 1, wr[(i*p.o+o0)*p.k:], p.k, cols[i*p.wp:], p.ldc, float32(min(i, 1)), prod[o0*p.ldc:], p.ldc)
			}
		}
	default:
		gemmOn(pool, ws, false, false, p.o, nn, p.k, 1, wr, p.k, cols, p.ldc, 0, prod, p.ldc)
	}
}

// Conv2DFilterGradScratch is the scratch Conv2DFilterGrad needs for batches of up to
// maxBatch items.
func Conv2DFilterGradScratch(g Window, o, maxBatch int) int {
	return planSize(g, o, maxBatch, true)
}

// Conv2DFilterGrad computes the gradient of Conv2D with respect to its weights,
// dw[o,c,i,j] = Σ_b,p,q dy[b,o,p,q]·x[b,c,p·SH+i·DH-Top,q·SW+j·DW-Left]: x is n×C×H×W, dy
// is n×o×Ho×Wo, dw is o×C×KH×KW. scratch holds at least
// Conv2DFilterGradScratch(g, o, n) values.
func Conv2DFilterGrad(g Window, o, n int, x, dy, dw, scratch []float32) {
	Conv2DFilterGradP(nil, g, o, n, x, dy, dw, scratch)
}

// Conv2DFilterGradP is Conv2DFilterGrad with its matrix products computed on the threads of pool (nil: one
// thread, as Conv2DFilterGrad). The result is the same bit for bit for any number of threads
// (Pool.Gemm computes every element as Gemm does); only the products run in
// parallel, the column building and copies run on the caller. On the dot-product
// path (conv_dot.go) each thread computes its own filters' or channels' dw.
func Conv2DFilterGradP(pool *Pool, g Window, o, n int, x, dy, dw, scratch []float32) {
	p := newPlan(g, o, n, true)
	chw, r, out := g.C*g.H*g.W, g.Rows(), o*g.Ho*g.Wo
	checkConv("Conv2DFilterGrad", g, o, n, len(scratch), p.size, len(x), n*chw, len(dy), n*out, len(dw), o*r)
	if dotFilterGrad(pool, g, o, n, p.size, x, dy, dw, scratch) { // conv_dot.go
		return
	}
	clear(dw[:o*r])
	switch p.mode {
	case modePointwise:
		hw := g.H * g.W
		for b := range n {
			GemmP(pool, false, true, o, g.C, hw, 1, dy[b*out:], hw, x[b*chw:], hw, 1, dw, g.C)
		}
	case modeGather:
		cols := scratch[:p.size]
		for b := range n {
			im2col(g, x[b*chw:(b+1)*chw], cols, p.ldc)
			GemmP(pool, false, true, o, r, p.ldc, 1, dy[b*out:], p.ldc, cols, p.ldc, 1, dw, r)
		}
	default:
		// dw = Σ over groups of dy_spread · colsᵀ, where dy_spread puts dy at the
		// product positions of its windows and zeros at the discarded ones, so
		// that those add nothing. The sum accumulates at the start of scratch:
		// the wide path's as dwᵀ = Σ cols · dy_spreadᵀ when the columns have many
		// rows (Gemm packs the transposed operand of o rows faster than that of
		// C·KH·KW), the rows path's as one o × C·KW block per kernel row; both
		// are rearranged into dw at the end.
		clear(scratch[:p.size])
		acc, cols, dys := scratch[:o*r], scratch[p.cols:p.out], scratch[p.out:p.size]
		transposed := p.mode == modeWide && r >= filterGradTransposedRows
		for b0 := 0; b0 < n; b0 += p.group {
			items := min(p.group, n-b0)
			p.columns(x, b0, items, scratch)
			for k := range items {
				dyb := dy[(b0+k)*out : (b0+k+1)*out]
				for c := range o {
					dst := dys[c*p.ldc+k*p.per:]
					for q := range g.Ho {
						copy(dst[q*p.wp:][:g.Wo], dyb[(c*g.Ho+q)*g.Wo:])
					}
				}
			}
			nn := p.products(items)
			switch {
			case p.mode == modeRows:
				// Kernel row i pairs dy with the columns i rows further on,
				// which is dy moved i rows on with the columns as they are: block
				// i of the spread dy is block 0 shifted i·Wp, and one product
				// gives every kernel row's o × C·KW block (the stacked plan).
				used := items * p.plane
				for i := 1; i < g.KH; i++ {
					for c := range o {
						row := dys[(i*o+c)*p.ldc:]
						copy(row[i*p.wp:used], dys[c*p.ldc:][:used-i*p.wp])
					}
				}
				GemmP(pool, false, true, g.KH*o, p.k, used, 1, dys, p.ldc, cols, p.ldc, 1, acc, p.k)
			case transposed:
				GemmP(pool, false, true, r, o, nn, 1, cols, p.ldc, dys, p.ldc, 1, acc, o)
			default:
				GemmP(pool, false, true, o, r, nn, 1, dys, p.ldc, cols, p.ldc, 1, dw, r)
			}
		}
		switch {
		case p.mode == modeRows:
			for oc := range o {
				for c := range g.C {
					for i := range g.KH {
						copy(dw[((oc*g.C+c)*g.KH+i)*g.KW:][:g.KW], acc[(i*o+oc)*p.k+c*g.KW:])
					}
				}
			}
		case transposed:
			for rr := range r {
				for oc := range o {
					dw[oc*r+rr] = acc[rr*o+oc]
				}
			}
		}
	}
}

// validStride1 reports a stride-1 window without padding (Keras/PyTorch 'valid').
func (g Window) validStride1() bool {
	return !g.dilated() && g.SH == 1 && g.SW == 1 && g.Top == 0 && g.Left == 0 && g.H == g.Ho+g.KH-1 && g.W == g.Wo+g.KW-1
}

// wideAdjoint is the layout of transposeWide: groups of items whose dy, laid out W
// wide (per = Ho·W values per item), sit side by side in rows ld apart.
type wideAdjoint struct{ group, per, ld int }

func newWideAdjoint(g Window, maxBatch int) wideAdjoint {
	per := g.Ho * g.W
	group := max(1, min(maxBatch, convColsBudget/(g.Rows()*per)))
	return wideAdjoint{group, per, lineStride(group * per)}
}

// transposeWide is the adjoint of a valid stride-1 convolution, dx = Σ over (c,i,j)
// of the kernel's column (c,i,j) of wᵀ·dy shifted i rows and j columns. With dy laid
// out W wide (its Wo values per row, then zeros), the product's row (c,i,j) is
// exactly the part of plane c it adds to, shifted by i·W+j: one contiguous run of
// Ho·W values (the zero columns land on the next row's first j, adding nothing),
// so each is one vector add instead of Ho short ones (col2im), and the product
// needs no padded copy of dy as the flipped convolution does. For LeNet's conv2
// (6×14×14 from 16×10×10) that flipped convolution computes on 18×18 planes, 1.65
// times the positions it keeps.
func (g Window) transposeWide(pool *Pool, o, n int, dy, w, dx, scratch []float32) {
	wa := newWideAdjoint(g, n)
	r, chw, hw, in := g.Rows(), g.C*g.H*g.W, g.H*g.W, o*g.Ho*g.Wo
	dyw, cols := scratch[:o*wa.ld], scratch[o*wa.ld:(o+r)*wa.ld]
	clear(dyw) // the columns past Wo stay zero
	clear(dx[:n*chw])
	for b0 := 0; b0 < n; b0 += wa.group {
		items := min(wa.group, n-b0)
		for k := range items {
			src := dy[(b0+k)*in : (b0+k+1)*in]
			for oc := range o {
				for p := range g.Ho {
					copy(dyw[oc*wa.ld+k*wa.per+p*g.W:][:g.Wo], src[(oc*g.Ho+p)*g.Wo:])
				}
			}
		}
		GemmP(pool, true, false, r, items*wa.per, o, 1, w, r, dyw, wa.ld, 0, cols, wa.ld)
		for k := range items {
			x := dx[(b0+k)*chw : (b0+k+1)*chw]
			row := 0
			for c := range g.C {
				plane := x[c*hw : (c+1)*hw]
				for i := range g.KH {
					for j := range g.KW {
						// The last j values of the run are zero columns past the
						// plane's end: left out.
						addTo(plane[i*g.W+j:], cols[row*wa.ld+k*wa.per:][:wa.per-j])
						row++
					}
				}
			}
		}
	}
}

// flipped returns the stride-1 adjoint of a convolution with window g and o output
// channels as a convolution, and whether there is one: its window slides over the
// o×Ho×Wo input of the adjoint, padded by KH-1-Top above and KW-1-Left on the left,
// and gives the C×H×W output. That needs pads no larger than the kernel's reach
// (always so for valid, same and full padding).
func (g Window) flipped(o int) (Window, bool) {
	if g.SH != 1 || g.SW != 1 || g.dilated() {
		return Window{}, false
	}
	f := Window{C: o, H: g.Ho, W: g.Wo, KH: g.KH, KW: g.KW, SH: 1, SW: 1,
		Top: g.KH - 1 - g.Top, Left: g.KW - 1 - g.Left, Ho: g.H, Wo: g.W}
	bottom := f.Ho + f.KH - 1 - f.H - f.Top
	right := f.Wo + f.KW - 1 - f.W - f.Left
	return f, f.Top >= 0 && f.Left >= 0 && bottom >= 0 && right >= 0
}

// Conv2DTransposeScratch is the scratch Conv2DTranspose needs for batches of up to
// maxBatch items.
func Conv2DTransposeScratch(g Window, o, maxBatch int) int {
	switch f, flip := g.flipped(o); {
	case g.pointwise():
		return 0
	case g.validStride1():
		return max((o+g.Rows())*newWideAdjoint(g, maxBatch).ld, newScatterPlan(g, o, maxBatch).size)
	case flip:
		return o*g.Rows() + planSize(f, g.C, maxBatch, false)
	default:
		return g.Rows() * g.Ho * g.Wo
	}
}

// Conv2DTranspose computes the adjoint of Conv2D(g, o) with the same weights: x is
// n×o×Ho×Wo, w is o×C×KH×KW, y is n×C×H×W, and y[b,c,h,v] = Σ x[b,o,p,q]·w[o,c,i,j]
// over the p, q, i, j with h = p·SH+i·DH-Top and v = q·SW+j·DW-Left. It is both the
// gradient of Conv2D with respect to its input and a transposed convolution (PyTorch
// ConvTranspose2d, whose C_in×C_out×KH×KW weight is w here). scratch holds at least
// Conv2DTransposeScratch(g, o, n) values.
func Conv2DTranspose(g Window, o, n int, x, w, y, scratch []float32) {
	Conv2DTransposeP(nil, g, o, n, x, w, y, scratch)
}

// Conv2DTransposeP is Conv2DTranspose on the threads of pool (nil: one thread, as
// Conv2DTranspose): by items, when it runs as a flipped convolution (as Conv2DP),
// else by splitting its products, whose scatter into dx runs on the caller. The
// result is the same bit for bit for any number of threads.
func Conv2DTransposeP(pool *Pool, g Window, o, n int, x, w, y, scratch []float32) {
	chw, r, in := g.C*g.H*g.W, g.Rows(), o*g.Ho*g.Wo
	checkConv("Conv2DTranspose", g, o, n, len(scratch), Conv2DTransposeScratch(g, o, n), len(x), n*in, len(w), o*r, len(y), n*chw)
	f, flip := g.flipped(o)
	switch {
	case g.pointwise():
		hw := g.H * g.W
		for b := range n {
			GemmP(pool, true, false, g.C, hw, o, 1, w, g.C, x[b*in:], hw, 0, y[b*chw:], hw)
		}
	case g.validStride1() && directConv:
		newScatterPlan(g, o, n).run(pool, n, x, w, y, scratch, nil)
	case g.validStride1():
		g.transposeWide(pool, o, n, x, w, y, scratch)
	case flip:
		// wf[c,o,i,j] = w[o,c,KH-1-i,KW-1-j]: the adjoint gathers what Conv2D
		// scattered, through the kernel turned around.
		kk := g.KH * g.KW
		wf := scratch[:o*r]
		for oc := range o {
			for c := range g.C {
				src := w[(oc*g.C+c)*kk : (oc*g.C+c+1)*kk]
				dst := wf[(c*o+oc)*kk : (c*o+oc+1)*kk]
				for t, v := range src {
					dst[kk-1-t] = v
				}
			}
		}
		newPlan(f, g.C, n, false).run(pool, n, x, wf, y, scratch[o*r:], nil)
	default:
		ldc := g.Ho * g.Wo
		cols := scratch[:r*ldc]
		clear(y[:n*chw])
		for b := range n {
			GemmP(pool, true, false, r, ldc, o, 1, w, r, x[b*in:], ldc, 0, cols, ldc)
			col2im(g, cols, ldc, y[b*chw:(b+1)*chw])
		}
	}
}

// span returns the window columns [q0, q1) whose kernel column j reads inside the
// input: 0 ≤ q·SW+j·DW-Left < W.
func (g Window) span(j int) (q0, q1 int) {
	_, dw := g.dilation()
	j *= dw
	lo := g.Left - j // q·SW ≥ lo
	if lo > 0 {
		q0 = (lo + g.SW - 1) / g.SW
	}
	hi := g.W - 1 + g.Left - j // q·SW ≤ hi
	if hi < 0 {
		return 0, 0
	}
	q1 = min(hi/g.SW+1, g.Wo)
	return min(q0, q1), q1
}

// im2col writes the column matrix of the C×H×W image x into cols, whose rows are
// ldc apart (ldc ≥ Ho·Wo), the kernel's taps DH and DW apart. Every element of the
// Rows()×Ho·Wo matrix is written,
// padding as zeros.
func im2col(g Window, x []float32, cols []float32, ldc int) {
	hw, n := g.H*g.W, g.Ho*g.Wo
	dh, dw := g.dilation()
	r := 0
	for c := range g.C {
		plane := x[c*hw : (c+1)*hw]
		for i := range g.KH {
			for j := range g.KW {
				dst := cols[r*ldc : r*ldc+n]
				r++
				q0, q1 := g.span(j)
				off := j*dw - g.Left // input column of window column q is q·SW+off
				for p := range g.Ho {
					d := dst[p*g.Wo : (p+1)*g.Wo]
					h := p*g.SH + i*dh - g.Top
					if h < 0 || h >= g.H || q0 == q1 {
						clear(d)
						continue
					}
					src := plane[h*g.W : (h+1)*g.W]
					// The pads at the ends are a few values: a loop is cheaper
					// than calling clear.
					for k := range d[:q0] {
						d[k] = 0
					}
					for k := q1; k < len(d); k++ {
						d[k] = 0
					}
					if g.SW == 1 {
						copy(d[q0:q1], src[q0+off:q1+off])
						continue
					}
					for q := q0; q < q1; q++ {
						d[q] = src[q*g.SW+off]
					}
				}
			}
		}
	}
}

// col2im adds the column matrix cols (rows ldc apart) back into the C×H×W image x:
// x[c, p·SH+i·DH-Top, q·SW+j·DW-Left] += cols[(c·KH+i)·KW+j, p·Wo+q] for every element that
// lies inside x. It is the adjoint (transpose) of im2col; x is not cleared first.
func col2im(g Window, cols []float32, ldc int, x []float32) {
	hw, n := g.H*g.W, g.Ho*g.Wo
	dh, dw := g.dilation()
	r := 0
	for c := range g.C {
		plane := x[c*hw : (c+1)*hw]
		for i := range g.KH {
			for j := range g.KW {
				src := cols[r*ldc : r*ldc+n]
				r++
				q0, q1 := g.span(j)
				if q0 == q1 {
					continue
				}
				off := j*dw - g.Left
				for p := range g.Ho {
					h := p*g.SH + i*dh - g.Top
					if h < 0 || h >= g.H {
						continue
					}
					s := src[p*g.Wo+q0 : p*g.Wo+q1]
					dst := plane[h*g.W : (h+1)*g.W]
					if g.SW == 1 {
						d := dst[q0+off : q1+off]
						d = d[:len(s)]
						for k, v := range s {
							d[k] += v
						}
						continue
					}
					for k, v := range s {
						dst[(q0+k)*g.SW+off] += v
					}
				}
			}
		}
	}
}
