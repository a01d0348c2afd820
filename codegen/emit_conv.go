package codegen

import (
	"fmt"

	"github.com/dave/jennifer/jen"

	"github.com/dlgen/dlgen/ir"
)

// Emitters for convolution, transposed convolution and the filter gradient. Each is
// a matrix product per batch item over a column matrix (rt.Im2col): with R = C·KH·KW
// rows and P = Ho·Wo columns, for item i
//
//	Conv2D            y_i (O×P)  = w (O×R) · cols(x_i) (R×P)
//	Conv2DFilterGrad  dw  (O×R) += dy_i (O×P) · cols(x_i)ᵀ
//	Conv2DTranspose   cols (R'×H·W) = w(C×R')ᵀ · x_i (C×H·W), then y_i = col2im(cols)
//
// where the transposed convolution's R' = O·KH·KW runs over its output channels: it
// is the adjoint of the Conv2D from y's space to x's, so its columns are added back
// into y (rt.Col2im). The column matrix lives in the model's float32 scratch buffer.
// A 1×1 convolution with stride 1 and no padding needs no columns: the item itself,
// C×H·W, is the matrix.

func init() {
	register(ir.OpConv2D, emitConv2D)
	register(ir.OpConv2DTranspose, emitConv2DTranspose)
	register(ir.OpConv2DFilterGrad, emitConv2DFilterGrad)
}

// convGeom is a sliding window over one item (rt.Window): C planes of H×W read by a
// KH×KW kernel with strides and pads, giving Ho×Wo windows.
type convGeom struct {
	c, h, w, kh, kw, sh, sw, top, left, bottom, right, ho, wo int
}

// newConvGeom reads the strides and pads of node a for a kernel kh×kw over the
// C×H×W items of image, with the Ho×Wo windows given by the output shape.
func newConvGeom(k *Kernel, image ir.Shape, kh, kw, ho, wo int) (convGeom, error) {
	a := k.Node.Attrs
	if len(a.Strides) != 2 || len(a.Pads) != 4 || image.Rank() != 4 {
		return convGeom{}, k.Errorf("strides %v and pads %v must have 2 and 4 values, the image %s 4 dimensions", a.Strides, a.Pads, image)
	}
	g := convGeom{c: image[1], h: image[2], w: image[3], kh: kh, kw: kw, sh: a.Strides[0], sw: a.Strides[1],
		top: a.Pads[0], left: a.Pads[1], bottom: a.Pads[2], right: a.Pads[3], ho: ho, wo: wo}
	if (g.h+g.top+g.bottom-g.kh)/g.sh+1 != ho || (g.w+g.left+g.right-g.kw)/g.sw+1 != wo {
		return convGeom{}, k.Errorf("a %dx%d window over %dx%d gives %dx%d, not %dx%d", kh, kw, g.h, g.w,
			(g.h+g.top+g.bottom-g.kh)/g.sh+1, (g.w+g.left+g.right-g.kw)/g.sw+1, ho, wo)
	}
	return g, nil
}

// rows is R = C·KH·KW, the rows of the column matrix; cols is P = Ho·Wo.
func (g convGeom) rows() int { return g.c * g.kh * g.kw }
func (g convGeom) cols() int { return g.ho * g.wo }

// pointwise reports a 1×1 window with stride 1 and no padding, whose column matrix
// is the item itself.
func (g convGeom) pointwise() bool {
	return g.kh == 1 && g.kw == 1 && g.sh == 1 && g.sw == 1 && g.top == 0 && g.left == 0 && g.bottom == 0 && g.right == 0
}

// window is the rt.Window literal of g.
func (g convGeom) window() *jen.Statement {
	field := func(name string, v int) jen.Code { return jen.Id(name).Op(":").Lit(v) }
	return jen.Qual(rtPath, "Window").Values(
		field("C", g.c), field("H", g.h), field("W", g.w), field("KH", g.kh), field("KW", g.kw),
		field("SH", g.sh), field("SW", g.sw), field("Top", g.top), field("Left", g.left),
		field("Ho", g.ho), field("Wo", g.wo))
}

// describe is a comment on the geometry: "5×5 window, strides 1×1, pads
// {2,2,2,2}: columns 25×784".
func (g convGeom) describe() string {
	return fmt.Sprintf("%d×%d window, strides %d×%d, pads {top %d, left %d, bottom %d, right %d} over %d×%d×%d: columns %d×%d",
		g.kh, g.kw, g.sh, g.sw, g.top, g.left, g.bottom, g.right, g.c, g.h, g.w, g.rows(), g.cols())
}

// item is s[i·size : i·size+size], batch item i of a slice.
func item(s *jen.Statement, i string, size int) *jen.Statement {
	lo := jen.Id(i).Op("*").Lit(size)
	return jen.Add(s).Index(lo, jen.Id(i).Op("*").Lit(size).Op("+").Lit(size))
}

// gemm is a call of rt.Gemm.
func gemm(ta, tb bool, m, n, kk int, a jen.Code, lda int, b jen.Code, ldb int, beta int, c jen.Code, ldc int) *jen.Statement {
	return jen.Qual(rtPath, "Gemm").Call(jen.Lit(ta), jen.Lit(tb), jen.Lit(m), jen.Lit(n), jen.Lit(kk), jen.Lit(1),
		a, jen.Lit(lda), b, jen.Lit(ldb), jen.Lit(beta), c, jen.Lit(ldc))
}

// emitConv2D: y_i = w · cols(x_i) for every item.
func emitConv2D(k *Kernel) error {
	x, w, y := k.In(0), k.In(1), k.Out()
	g, err := newConvGeom(k, x.Shape, w.Shape[2], w.Shape[3], y.Shape[2], y.Shape[3])
	if err != nil {
		return err
	}
	o := w.Shape[0]
	xs := k.Bind("x", x)
	ws := k.Bind("w", w)
	ys := k.Bind("y", y)
	xi, yi := item(xs, "i", x.Elems()), item(ys, "i", y.Elems())
	if g.pointwise() {
		k.Emit(loop("i", x.Prod(0, 1), gemm(false, false, o, g.cols(), g.c, ws, g.c, xi, g.cols(), 0, yi, g.cols())))
		return nil
	}
	k.Emit(
		jen.Comment(g.describe()),
		jen.Id("win").Op(":=").Add(g.window()),
		jen.Id("cols").Op(":=").Add(k.Scratch32(g.rows()*g.cols())),
		loop("i", x.Prod(0, 1),
			jen.Qual(rtPath, "Im2col").Call(jen.Id("win"), xi, jen.Id("cols"), jen.Lit(g.cols())),
			gemm(false, false, o, g.cols(), g.rows(), ws, g.rows(), jen.Id("cols"), g.cols(), 0, yi, g.cols())),
	)
	return nil
}

// emitConv2DFilterGrad: dw = Σ_i dy_i · cols(x_i)ᵀ, accumulated by the products
// (beta 1) onto a cleared dw.
func emitConv2DFilterGrad(k *Kernel) error {
	x, dy, dw := k.In(0), k.In(1), k.Out()
	g, err := newConvGeom(k, x.Shape, dw.Shape[2], dw.Shape[3], dy.Shape[2], dy.Shape[3])
	if err != nil {
		return err
	}
	o := dy.Shape[1]
	xs := k.Bind("x", x)
	dys := k.Bind("dy", dy)
	dws := k.Bind("dw", dw)
	xi, dyi := item(xs, "i", x.Elems()), item(dys, "i", dy.Elems())
	k.Emit(jen.Clear(dws))
	if g.pointwise() {
		k.Emit(loop("i", x.Prod(0, 1), gemm(false, true, o, g.c, g.cols(), dyi, g.cols(), xi, g.cols(), 1, dws, g.c)))
		return nil
	}
	k.Emit(
		jen.Comment(g.describe()),
		jen.Id("win").Op(":=").Add(g.window()),
		jen.Id("cols").Op(":=").Add(k.Scratch32(g.rows()*g.cols())),
		loop("i", x.Prod(0, 1),
			jen.Qual(rtPath, "Im2col").Call(jen.Id("win"), xi, jen.Id("cols"), jen.Lit(g.cols())),
			gemm(false, true, o, g.rows(), g.cols(), dyi, g.cols(), jen.Id("cols"), g.cols(), 1, dws, g.rows())),
	)
	return nil
}

// emitConv2DTranspose: cols = wᵀ · x_i, then y_i = col2im(cols). The window slides
// over y (O planes of Ho×Wo) and gives x's H×W positions.
func emitConv2DTranspose(k *Kernel) error {
	x, w, y := k.In(0), k.In(1), k.Out()
	g, err := newConvGeom(k, y.Shape, w.Shape[2], w.Shape[3], x.Shape[2], x.Shape[3])
	if err != nil {
		return err
	}
	c := w.Shape[0]
	xs := k.Bind("x", x)
	ws := k.Bind("w", w)
	ys := k.Bind("y", y)
	xi, yi := item(xs, "i", x.Elems()), item(ys, "i", y.Elems())
	if g.pointwise() {
		k.Emit(loop("i", x.Prod(0, 1), gemm(true, false, g.c, g.cols(), c, ws, g.c, xi, g.cols(), 0, yi, g.cols())))
		return nil
	}
	k.Emit(
		jen.Comment(g.describe()),
		jen.Id("win").Op(":=").Add(g.window()),
		jen.Id("cols").Op(":=").Add(k.Scratch32(g.rows()*g.cols())),
		jen.Clear(ys),
		loop("i", x.Prod(0, 1),
			gemm(true, false, g.rows(), g.cols(), c, ws, g.rows(), xi, g.cols(), 0, jen.Id("cols"), g.cols()),
			jen.Qual(rtPath, "Col2im").Call(jen.Id("win"), jen.Id("cols"), jen.Lit(g.cols()), yi)),
	)
	return nil
}
