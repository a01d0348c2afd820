package rt

import "fmt"

// Column matrices for convolutions. A convolution of one item is a matrix product
// once its input is unrolled into columns (im2col; Chellapilla, Puri and Simard, "High
// performance convolutional neural networks for document processing", 2006):
//
//	y (O × Ho·Wo) = w (O × C·KH·KW) · cols (C·KH·KW × Ho·Wo)
//
// where cols[(c·KH+i)·KW+j, p·Wo+q] = x[c, p·SH+i-Top, q·SW+j-Left], zero in the
// padding. The gradient with respect to x, and a transposed convolution, go the other
// way: a product gives the columns, and Col2im adds each back to the input element it
// was read from, the adjoint of Im2col.

// Window is the geometry of a convolution's sliding window over one item: C planes
// of H×W, a KH×KW kernel moved by strides SH and SW over the input padded with Top
// rows above and Left columns on the left, giving Ho×Wo windows. The bottom and right
// pads are implied by Ho and Wo: a window position past the input reads zeros.
type Window struct {
	C, H, W   int
	KH, KW    int
	SH, SW    int
	Top, Left int
	Ho, Wo    int
}

// Rows is the number of rows of the column matrix, C·KH·KW.
func (g Window) Rows() int { return g.C * g.KH * g.KW }

// check panics unless x holds C·H·W values and cols a Rows()×Ho·Wo matrix with row
// stride ldc: a wrong size is a bug in the generated code, as for Gemm.
func (g Window) check(fn string, x []float32, cols []float32, ldc int) {
	if g.C < 1 || g.H < 1 || g.W < 1 || g.KH < 1 || g.KW < 1 || g.SH < 1 || g.SW < 1 || g.Top < 0 || g.Left < 0 || g.Ho < 1 || g.Wo < 1 {
		panic(fmt.Sprintf("rt.%s: bad window %+v", fn, g))
	}
	if len(x) < g.C*g.H*g.W {
		panic(fmt.Sprintf("rt.%s: image has %d values, %d×%d×%d needs %d", fn, len(x), g.C, g.H, g.W, g.C*g.H*g.W))
	}
	if ldc < g.Ho*g.Wo || len(cols) < (g.Rows()-1)*ldc+g.Ho*g.Wo {
		panic(fmt.Sprintf("rt.%s: columns have %d values with stride %d, a %d×%d matrix needs more", fn, len(cols), ldc, g.Rows(), g.Ho*g.Wo))
	}
}

// span returns the window columns [q0, q1) whose kernel column j reads inside the
// input: 0 ≤ q·SW+j-Left < W.
func (g Window) span(j int) (q0, q1 int) {
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

// Im2col writes the column matrix of the C×H×W image x into cols, whose rows are
// ldc apart (ldc ≥ Ho·Wo, so that several items' columns can sit side by side).
// Every element of the Rows()×Ho·Wo matrix is written, padding as zeros.
func Im2col(g Window, x []float32, cols []float32, ldc int) {
	g.check("Im2col", x, cols, ldc)
	hw, n := g.H*g.W, g.Ho*g.Wo
	r := 0
	for c := range g.C {
		plane := x[c*hw : (c+1)*hw]
		for i := range g.KH {
			for j := range g.KW {
				dst := cols[r*ldc : r*ldc+n]
				r++
				q0, q1 := g.span(j)
				off := j - g.Left // input column of window column q is q·SW+off
				for p := range g.Ho {
					d := dst[p*g.Wo : (p+1)*g.Wo]
					h := p*g.SH + i - g.Top
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

// Col2im adds the column matrix cols (rows ldc apart) back into the C×H×W image x:
// x[c, p·SH+i-Top, q·SW+j-Left] += cols[(c·KH+i)·KW+j, p·Wo+q] for every element that
// lies inside x. It is the adjoint (transpose) of Im2col; x is not cleared first.
func Col2im(g Window, cols []float32, ldc int, x []float32) {
	g.check("Col2im", x, cols, ldc)
	hw, n := g.H*g.W, g.Ho*g.Wo
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
				off := j - g.Left
				for p := range g.Ho {
					h := p*g.SH + i - g.Top
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
