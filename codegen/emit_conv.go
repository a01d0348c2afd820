package codegen

import (
	"fmt"

	"github.com/dave/jennifer/jen"

	"github.com/dlgen/dlgen/ir"
	"github.com/dlgen/dlgen/rt"
)

// Emitters for convolution, transposed convolution and the filter gradient. Each is
// one call of rt's batched kernels (rt/conv.go), which compute the convolution as
// matrix products over column matrices (im2col) built in the model's float32 scratch
// buffer; the window geometry is a constant rt.Window literal, and the scratch size
// comes from rt at generation time. A transposed convolution is rt.Conv2DTranspose,
// the adjoint of the convolution it transposes: with the op's weights (C, O, KH, KW)
// read as that convolution's OIHW weights, its window slides over y and gives x's
// positions.

func init() {
	register(ir.OpConv2D, emitConv2D)
	register(ir.OpConv2DTranspose, emitConv2DTranspose)
	register(ir.OpConv2DFilterGrad, emitConv2DFilterGrad)
}

// convGeom is a sliding window over one item (rt.Window): C planes of H×W read by a
// KH×KW kernel with strides and pads, giving Ho×Wo windows; the kernel's taps are
// dh rows and dw columns apart (1 but for dilated convolutions).
type convGeom struct {
	c, h, w, kh, kw, sh, sw, top, left, bottom, right, ho, wo int
	dh, dw                                                    int
}

// newConvGeom reads the strides, pads and dilations of node a for a kernel kh×kw
// over the C×H×W items of image, with the Ho×Wo windows given by the output shape.
func newConvGeom(k *Kernel, image ir.Shape, kh, kw, ho, wo int) (convGeom, error) {
	a := k.Node.Attrs
	if len(a.Strides) != 2 || len(a.Pads) != 4 || image.Rank() != 4 {
		return convGeom{}, k.Errorf("strides %v and pads %v must have 2 and 4 values, the image %s 4 dimensions", a.Strides, a.Pads, image)
	}
	dh, dw := ir.Dilation(a)
	g := convGeom{c: image[1], h: image[2], w: image[3], kh: kh, kw: kw, sh: a.Strides[0], sw: a.Strides[1],
		top: a.Pads[0], left: a.Pads[1], bottom: a.Pads[2], right: a.Pads[3], ho: ho, wo: wo, dh: dh, dw: dw}
	ekh, ekw := ir.DilatedKernel(kh, dh), ir.DilatedKernel(kw, dw)
	if dh < 1 || dw < 1 || (g.h+g.top+g.bottom-ekh)/g.sh+1 != ho || (g.w+g.left+g.right-ekw)/g.sw+1 != wo {
		return convGeom{}, k.Errorf("a %dx%d window dilated by %dx%d over %dx%d gives %dx%d, not %dx%d", kh, kw, dh, dw, g.h, g.w,
			(g.h+g.top+g.bottom-ekh)/g.sh+1, (g.w+g.left+g.right-ekw)/g.sw+1, ho, wo)
	}
	return g, nil
}

// geomOf is the convGeom of an rt.Window.
func geomOf(w rt.Window) convGeom {
	return convGeom{c: w.C, h: w.H, w: w.W, kh: w.KH, kw: w.KW, sh: w.SH, sw: w.SW, top: w.Top, left: w.Left, ho: w.Ho, wo: w.Wo,
		dh: max(w.DH, 1), dw: max(w.DW, 1)}
}

// dilated reports a dilation other than 1 along either axis.
func (g convGeom) dilated() bool { return g.dh != 1 || g.dw != 1 }

// rt is g as an rt.Window (DH and DW left 0, which rt reads as 1, when undilated).
func (g convGeom) rt() rt.Window {
	w := rt.Window{C: g.c, H: g.h, W: g.w, KH: g.kh, KW: g.kw, SH: g.sh, SW: g.sw, Top: g.top, Left: g.left, Ho: g.ho, Wo: g.wo}
	if g.dilated() {
		w.DH, w.DW = g.dh, g.dw
	}
	return w
}

// window is the rt.Window literal of g; DH and DW only when dilated.
func (g convGeom) window() *jen.Statement {
	field := func(name string, v int) jen.Code { return jen.Id(name).Op(":").Lit(v) }
	fields := []jen.Code{
		field("C", g.c), field("H", g.h), field("W", g.w), field("KH", g.kh), field("KW", g.kw),
		field("SH", g.sh), field("SW", g.sw), field("Top", g.top), field("Left", g.left),
		field("Ho", g.ho), field("Wo", g.wo)}
	if g.dilated() {
		fields = append(fields, field("DH", g.dh), field("DW", g.dw))
	}
	return jen.Qual(rtPath, "Window").Values(fields...)
}

// describe is a comment on the geometry: "5×5 window, strides 1×1, pads {top 2,
// left 2, bottom 2, right 2} over 1×28×28: 28×28 windows", with "dilated by 2×2"
// after the window when it is.
func (g convGeom) describe() string {
	dil := ""
	if g.dilated() {
		dil = fmt.Sprintf(" dilated by %d×%d", g.dh, g.dw)
	}
	return fmt.Sprintf("%d×%d window%s, strides %d×%d, pads {top %d, left %d, bottom %d, right %d} over %d×%d×%d: %d×%d windows",
		g.kh, g.kw, dil, g.sh, g.sw, g.top, g.left, g.bottom, g.right, g.c, g.h, g.w, g.ho, g.wo)
}

// convCall emits rt.<fn>P(m.pool, win, o, count, a, b, c, scratch) with the scratch rt
// asks for: the products run on the model's pool (threads.go).
func convCall(k *Kernel, fn string, g convGeom, o int, count jen.Code, size func(rt.Window, int, int) int, args ...jen.Code) {
	scratch := jen.Nil()
	if s := size(g.rt(), o, k.prog.model.opts.MaxBatch); s > 0 {
		scratch = k.Scratch32(s)
	}
	k.Emit(jen.Comment(g.describe()),
		jen.Qual(rtPath, fn+"P").Call(append(append([]jen.Code{k.prog.pool(), g.window(), jen.Lit(o), count}, args...), scratch)...))
}

// emitConv2D: y = conv(x, w).
func emitConv2D(k *Kernel) error {
	x, w, y := k.In(0), k.In(1), k.Out()
	g, err := newConvGeom(k, x.Shape, w.Shape[2], w.Shape[3], y.Shape[2], y.Shape[3])
	if err != nil {
		return err
	}
	xs := k.Bind("x", x)
	ws := k.Bind("w", w)
	ys := k.Bind("y", y)
	convCall(k, "Conv2D", g, w.Shape[0], x.Prod(0, 1), rt.Conv2DScratch, xs, ws, ys)
	return nil
}

// emitConv2DFilterGrad: dw = Σ over items and windows of dy·x.
func emitConv2DFilterGrad(k *Kernel) error {
	x, dy, dw := k.In(0), k.In(1), k.Out()
	g, err := newConvGeom(k, x.Shape, dw.Shape[2], dw.Shape[3], dy.Shape[2], dy.Shape[3])
	if err != nil {
		return err
	}
	xs := k.Bind("x", x)
	dys := k.Bind("dy", dy)
	dws := k.Bind("dw", dw)
	convCall(k, "Conv2DFilterGrad", g, dy.Shape[1], x.Prod(0, 1), rt.Conv2DFilterGradScratch, xs, dys, dws)
	return nil
}

// emitConv2DTranspose: y = the adjoint of the convolution from y's space to x's.
func emitConv2DTranspose(k *Kernel) error {
	x, w, y := k.In(0), k.In(1), k.Out()
	g, err := newConvGeom(k, y.Shape, w.Shape[2], w.Shape[3], x.Shape[2], x.Shape[3])
	if err != nil {
		return err
	}
	xs := k.Bind("x", x)
	ws := k.Bind("w", w)
	ys := k.Bind("y", y)
	convCall(k, "Conv2DTranspose", g, w.Shape[0], x.Prod(0, 1), rt.Conv2DTransposeScratch, xs, ws, ys)
	return nil
}
