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
