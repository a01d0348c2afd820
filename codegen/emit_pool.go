package codegen

import (
	"fmt"

	"github.com/dave/jennifer/jen"

	"github.com/dlgen/dlgen/ir"
)

// Emitters for pooling and nearest-neighbour upsampling and their gradients, written
// inline: one loop over the N·C planes, constant window bounds within a plane. A
// window is clipped to the input ([h0, h1) × [v0, v1)), which is how padding is
// skipped: it never wins a max and adds nothing to a sum. Bilinear upsampling and its
// gradient call rt's kernels, whose weights repeat along each axis with the factor.

func init() {
	register(ir.OpMaxPool2D, func(k *Kernel) error { return emitMaxPool(k, false) })
	register(ir.OpMaxPool2DGrad, func(k *Kernel) error { return emitMaxPool(k, true) })
	register(ir.OpAvgPool2D, func(k *Kernel) error { return emitAvgPool(k, false) })
	register(ir.OpAvgPool2DGrad, func(k *Kernel) error { return emitAvgPool(k, true) })
	register(ir.OpGlobalAvgPool2D, emitGlobalAvgPool)
	register(ir.OpGlobalAvgPool2DGrad, emitGlobalAvgPoolGrad)
	register(ir.OpUpSample2D, emitUpSample)
	register(ir.OpUpSample2DGrad, emitUpSampleGrad)
	register(ir.OpUpSampleBilinear2D, func(k *Kernel) error { return emitUpSampleBilinear(k, "UpSampleBilinear") })
	register(ir.OpUpSampleBilinear2DGrad, func(k *Kernel) error { return emitUpSampleBilinear(k, "UpSampleBilinearGrad") })
}

// poolGeom is the window of a pooling op over the planes of image (N,C,H,W), with
// the Ho×Wo of its pooled shape.
func poolGeom(k *Kernel, image, pooled ir.Shape) (convGeom, error) {
	a := k.Node.Attrs
	if len(a.Kernel) != 2 {
		return convGeom{}, k.Errorf("kernel %v must be {kh, kw}", a.Kernel)
	}
	return newConvGeom(k, image, a.Kernel[0], a.Kernel[1], pooled[2], pooled[3])
}

// clipped emits h0, h1, v0, v1: the rows and columns of window (p, q) that lie in
// the input. Without padding the whole window does.
func (g convGeom) clipped() []jen.Code {
	pad := g.top > 0 || g.left > 0 || g.bottom > 0 || g.right > 0
	start := func(i string, s, pad int) *jen.Statement {
		e := jen.Id(i)
		if s != 1 {
			e = jen.Id(i).Op("*").Lit(s)
		}
		if pad > 0 {
			e = e.Op("-").Lit(pad)
		}
		return e
	}
	if !pad {
		return []jen.Code{
			jen.Id("h0").Op(":=").Add(start("p", g.sh, 0)),
			jen.Id("h1").Op(":=").Id("h0").Op("+").Lit(g.kh),
			jen.Id("v0").Op(":=").Add(start("q", g.sw, 0)),
			jen.Id("v1").Op(":=").Id("v0").Op("+").Lit(g.kw),
		}
	}
	return []jen.Code{
		jen.Id("h0").Op(":=").Add(start("p", g.sh, g.top)),
		jen.Id("h1").Op(":=").Min(jen.Id("h0").Op("+").Lit(g.kh), jen.Lit(g.h)),
		jen.Id("h0").Op("=").Max(jen.Id("h0"), jen.Lit(0)),
		jen.Id("v0").Op(":=").Add(start("q", g.sw, g.left)),
		jen.Id("v1").Op(":=").Min(jen.Id("v0").Op("+").Lit(g.kw), jen.Lit(g.w)),
		jen.Id("v0").Op("=").Max(jen.Id("v0"), jen.Lit(0)),
	}
}

// overWindow is `for h := h0; h < h1; h++ { for v := v0; v < v1; v++ { body } }`,
// row-major like the interpreter's window scan.
func overWindow(body ...jen.Code) jen.Code {
	return jen.For(jen.Id("h").Op(":=").Id("h0"), jen.Id("h").Op("<").Id("h1"), jen.Id("h").Op("++")).Block(
		jen.For(jen.Id("v").Op(":=").Id("v0"), jen.Id("v").Op("<").Id("v1"), jen.Id("v").Op("++")).Block(body...))
}

// overPlanes is `for pl := range N·C { xp, yp := plane pl of each }`: pointers to the
// fixed-size planes, so that indexing them needs no bounds checks.
func overPlanes(count jen.Code, views []jen.Code, body ...jen.Code) jen.Code {
	return loop("pl", count, append(views, body...)...)
}

func planeView(name string, s *jen.Statement, size int) jen.Code {
	return jen.Id(name).Op(":=").Add(row(s, jen.Id("pl"), size))
}

// emitMaxPool emits MaxPool2D, or with grad MaxPool2DGrad (inputs x, dy), which
// sends each dy to the first maximum of its window in row-major order, as the
// interpreter and PyTorch do: the running best is replaced only by a strictly
// greater value.
func emitMaxPool(k *Kernel, grad bool) error {
	x := k.In(0)
	pooled := k.Out().Shape
	if grad {
		pooled = k.In(1).Shape
	}
	g, err := poolGeom(k, x.Shape, pooled)
	if err != nil {
		return err
	}
	hw, pq := g.h*g.w, g.ho*g.wo
	xs := k.Bind("x", x)
	var views []jen.Code
	var store jen.Code
	if grad {
		dys := k.Bind("dy", k.In(1))
		dxs := k.Bind("dx", k.Out())
		k.Emit(jen.Clear(dxs))
		views = []jen.Code{planeView("xp", xs, hw), planeView("dyp", dys, pq), planeView("dxp", dxs, hw)}
		if g.kh*g.kw == 1 && !g.padded() {
			views = views[1:] // a one-tap window reads no x (unrolledMax)
		}
		store = jen.Id("dxp").Index(jen.Id("best")).Op("+=").Id("dyp").Index(jen.Id("p").Op("*").Lit(g.wo).Op("+").Id("q"))
	} else {
		ys := k.Bind("y", k.Out())
		views = []jen.Code{planeView("xp", xs, hw), planeView("yp", ys, pq)}
		store = jen.Id("yp").Index(jen.Id("p").Op("*").Lit(g.wo).Op("+").Id("q")).Op("=").Id("xp").Index(jen.Id("best"))
	}
	if !g.padded() && g.kh*g.kw <= maxUnrolledWindow {
		k.Emit(overPlanes(x.Prod(0, 2), views, loop("p", jen.Lit(g.ho), loop("q", jen.Lit(g.wo), g.unrolledMax(grad)...))))
		return nil
	}
	window := append(g.clipped(),
		jen.Id("best").Op(":=").Id("h0").Op("*").Lit(g.w).Op("+").Id("v0"),
		overWindow(
			jen.If(jen.Id("xp").Index(jen.Id("h").Op("*").Lit(g.w).Op("+").Id("v")).Op(">").Id("xp").Index(jen.Id("best"))).Block(
				jen.Id("best").Op("=").Id("h").Op("*").Lit(g.w).Op("+").Id("v"))),
		store)
	k.Emit(overPlanes(x.Prod(0, 2), views, loop("p", jen.Lit(g.ho), loop("q", jen.Lit(g.wo), window...))))
	return nil
}

// maxUnrolledWindow is the largest window whose scan is written out element by
// element (5×5): a loop over a small window costs more in branches and index
// arithmetic than its comparisons, which pooling is made of.
const maxUnrolledWindow = 25

func (g convGeom) padded() bool { return g.top > 0 || g.left > 0 || g.bottom > 0 || g.right > 0 }

// unrolledMax is the body of the (p, q) loop of a max pool without padding, whose
// windows lie inside the input: the window's elements are at constant offsets from
// its first, k. The scan has no branches, because which element wins is
// data-dependent and mispredicted branches cost several times the comparisons: the
// forward pass is the builtin max (it differs from the first maximum only in the
// sign of a zero and in returning NaN if any element is NaN), and the gradient keeps
// the offset of the first maximum in row-major order with rt.Pick, a later element
// winning only when strictly greater than the running maximum, as in the
// interpreter.
func (g convGeom) unrolledMax(grad bool) []jen.Code {
	first := jen.Id("p").Op("*").Lit(g.sh * g.w)
	if g.sw == 1 {
		first = first.Op("+").Id("q")
	} else {
		first = first.Op("+").Id("q").Op("*").Lit(g.sw)
	}
	var offs []int
	for i := range g.kh {
		for j := range g.kw {
			offs = append(offs, i*g.w+j)
		}
	}
	at := func(off int) *jen.Statement {
		if off == 0 {
			return jen.Id("xp").Index(jen.Id("k"))
		}
		return jen.Id("xp").Index(jen.Id("k").Op("+").Lit(off))
	}
	out := jen.Id("p").Op("*").Lit(g.wo).Op("+").Id("q")
	code := []jen.Code{jen.Id("k").Op(":=").Add(first)}
	if !grad {
		var args []jen.Code
		for _, off := range offs {
			args = append(args, at(off))
		}
		if len(args) == 1 {
			return append(code, jen.Id("yp").Index(out).Op("=").Add(args[0]))
		}
		return append(code, jen.Id("yp").Index(out).Op("=").Max(args...))
	}
	if len(offs) == 1 {
		// A one-tap window: its only element is the maximum.
		return append(code, jen.Id("dxp").Index(jen.Id("k")).Op("+=").Id("dyp").Index(out))
	}
	code = append(code, jen.Id("v").Op(":=").Add(at(0)), jen.Id("best").Op(":=").Lit(0))
	for i, off := range offs[1:] {
		assign := "="
		if i == 0 {
			assign = ":="
		}
		code = append(code,
			jen.Id("u").Op(assign).Add(at(off)),
			jen.Id("best").Op("=").Qual(rtPath, "Pick").Call(jen.Id("u").Op(">").Id("v"), jen.Lit(off), jen.Id("best")))
		if i < len(offs)-2 {
			code = append(code, jen.Id("v").Op("=").Max(jen.Id("v"), jen.Id("u")))
		}
	}
	return append(code, jen.Id("dxp").Index(jen.Id("k").Op("+").Id("best")).Op("+=").Id("dyp").Index(out))
}

// emitAvgPool emits AvgPool2D, or with grad AvgPool2DGrad (input dy), which spreads
// dy/divisor over the window. The divisor is the whole window, or with exclude only
// its part inside the input (Keras 'same').
func emitAvgPool(k *Kernel, grad bool) error {
	image, pooled := k.In(0).Shape, k.Out().Shape
	if grad {
		image, pooled = k.Out().Shape, k.In(0).Shape
	}
	g, err := poolGeom(k, image, pooled)
	if err != nil {
		return err
	}
	hw, pq := g.h*g.w, g.ho*g.wo
	divisor := jen.Lit(float32(g.kh * g.kw))
	if k.Node.Attrs.Exclude {
		divisor = f32(jen.Parens(jen.Id("h1").Op("-").Id("h0")).Op("*").Parens(jen.Id("v1").Op("-").Id("v0")))
	}
	at := jen.Id("h").Op("*").Lit(g.w).Op("+").Id("v")
	out := jen.Id("p").Op("*").Lit(g.wo).Op("+").Id("q")
	var views, window []jen.Code
	if grad {
		dys := k.Bind("dy", k.In(0))
		dxs := k.Bind("dx", k.Out())
		k.Emit(jen.Clear(dxs))
		views = []jen.Code{planeView("dyp", dys, pq), planeView("dxp", dxs, hw)}
		window = append(g.clipped(),
			jen.Id("d").Op(":=").Id("dyp").Index(out).Op("/").Add(divisor),
			overWindow(jen.Id("dxp").Index(at).Op("+=").Id("d")))
	} else {
		xs := k.Bind("x", k.In(0))
		ys := k.Bind("y", k.Out())
		views = []jen.Code{planeView("xp", xs, hw), planeView("yp", ys, pq)}
		window = append(g.clipped(),
			jen.Var().Id("s").Float32(),
			overWindow(jen.Id("s").Op("+=").Id("xp").Index(at)),
			jen.Id("yp").Index(out).Op("=").Id("s").Op("/").Add(divisor))
	}
	count := k.Out().Prod(0, 2)
	k.Emit(overPlanes(count, views, loop("p", jen.Lit(g.ho), loop("q", jen.Lit(g.wo), window...))))
	return nil
}

// emitGlobalAvgPool: y[pl] = mean of plane pl, summed in float64.
func emitGlobalAvgPool(k *Kernel) error {
	x, y := k.In(0), k.Out()
	hw := x.ConstProd(2, 4)
	xs := k.Bind("x", x)
	ys := k.Bind("y", y)
	k.Emit(overPlanes(x.Prod(0, 2), []jen.Code{planeView("xp", xs, hw)},
		jen.Var().Id("s").Float64(),
		jen.For(jen.List(jen.Id("_"), jen.Id("v")).Op(":=").Range().Id("xp")).Block(jen.Id("s").Op("+=").Add(f64(jen.Id("v")))),
		jen.Add(ys).Index(jen.Id("pl")).Op("=").Add(f32(jen.Id("s").Op("/").Lit(float64(hw)))),
	))
	return nil
}

// emitGlobalAvgPoolGrad: every element of plane pl is dy[pl]/(H·W).
func emitGlobalAvgPoolGrad(k *Kernel) error {
	dy, dx := k.In(0), k.Out()
	hw := dx.ConstProd(2, 4)
	dys := k.Bind("dy", dy)
	dxs := k.Bind("dx", dx)
	k.Emit(overPlanes(dx.Prod(0, 2), []jen.Code{planeView("dxp", dxs, hw)},
		jen.Id("d").Op(":=").Add(f32(f64(jen.Add(dys).Index(jen.Id("pl"))).Op("/").Lit(float64(hw)))),
		jen.For(jen.Id("i").Op(":=").Range().Id("dxp")).Block(jen.Id("dxp").Index(jen.Id("i")).Op("=").Id("d")),
	))
	return nil
}

// upsampleScale reads the {sh, sw} factors of an upsampling op.
func upsampleScale(k *Kernel) (int, int, error) {
	s := k.Node.Attrs.Scale
	if len(s) != 2 || s[0] < 1 || s[1] < 1 {
		return 0, 0, k.Errorf("scale %v must be two positive factors", s)
	}
	return s[0], s[1], nil
}

// emitUpSample: each input row is widened into the first of its sh output rows,
// which is then copied to the others.
func emitUpSample(k *Kernel) error {
	x, y := k.In(0), k.Out()
	sh, sw, err := upsampleScale(k)
	if err != nil {
		return err
	}
	h, w := x.Shape[2], x.Shape[3]
	wo := w * sw
	xs := k.Bind("x", x)
	ys := k.Bind("y", y)
	var widen jen.Code
	if sw == 1 {
		widen = jen.Op("*").Id("yr").Op("=").Op("*").Id("xr")
	} else {
		var body []jen.Code
		for j := range sw {
			body = append(body, jen.Id("yr").Index(jen.Id("v").Op("*").Lit(sw).Op("+").Lit(j)).Op("=").Id("xv"))
		}
		widen = jen.For(jen.List(jen.Id("v"), jen.Id("xv")).Op(":=").Range().Id("xr")).Block(body...)
	}
	body := []jen.Code{
		jen.Id("xr").Op(":=").Add(row(jen.Id("xp"), jen.Id("r"), w)),
		jen.Id("yr").Op(":=").Add(row(jen.Id("yp"), jen.Parens(jen.Id("r").Op("*").Lit(sh)), wo)),
		widen,
	}
	for i := 1; i < sh; i++ {
		body = append(body, jen.Op("*").Add(row(jen.Id("yp"), jen.Parens(jen.Id("r").Op("*").Lit(sh).Op("+").Lit(i)), wo)).Op("=").Op("*").Id("yr"))
	}
	k.Emit(overPlanes(x.Prod(0, 2), []jen.Code{planeView("xp", xs, h*w), planeView("yp", ys, h*w*sh*sw)}, loop("r", jen.Lit(h), body...)))
	return nil
}

// emitUpSampleGrad: dx[r,v] = Σ of dy over the sh×sw block that x[r,v] was copied to.
func emitUpSampleGrad(k *Kernel) error {
	dy, dx := k.In(0), k.Out()
	sh, sw, err := upsampleScale(k)
	if err != nil {
		return err
	}
	h, w := dx.Shape[2], dx.Shape[3]
	wo := w * sw
	dys := k.Bind("dy", dy)
	dxs := k.Bind("dx", dx)
	var sum []jen.Code
	for i := range sh {
		for j := range sw {
			sum = append(sum, jen.Id("s").Op("+=").Id("dyp").Index(
				jen.Parens(jen.Id("r").Op("*").Lit(sh).Op("+").Lit(i)).Op("*").Lit(wo).Op("+").Id("v").Op("*").Lit(sw).Op("+").Lit(j)))
		}
	}
	k.Emit(overPlanes(dx.Prod(0, 2), []jen.Code{planeView("dyp", dys, h*w*sh*sw), planeView("dxp", dxs, h*w)},
		loop("r", jen.Lit(h), loop("v", jen.Lit(w),
			append(append([]jen.Code{jen.Var().Id("s").Float32()}, sum...),
				jen.Id("dxp").Index(jen.Id("r").Op("*").Lit(w).Op("+").Id("v")).Op("=").Id("s"))...))))
	return nil
}

// emitUpSampleBilinear emits UpSampleBilinear2D (fn rt.UpSampleBilinear: y from x)
// or its gradient (fn rt.UpSampleBilinearGrad: dx from dy), one call over the N·C
// planes with the input's H×W and the factors.
func emitUpSampleBilinear(k *Kernel, fn string) error {
	sh, sw, err := upsampleScale(k)
	if err != nil {
		return err
	}
	in, out := k.In(0), k.Out()
	image := in.Shape // the small side, H×W
	names := [2]string{"x", "y"}
	if fn == "UpSampleBilinearGrad" {
		image, names = out.Shape, [2]string{"dy", "dx"}
	}
	src := k.Bind(names[0], in)
	dst := k.Bind(names[1], out)
	what := "bilinear"
	if fn == "UpSampleBilinearGrad" {
		what = "the adjoint of bilinear"
	}
	k.Emit(jen.Comment(fmt.Sprintf("%s upsampling with half-pixel centres, %d×%d → %d×%d per plane", what, image[2], image[3], image[2]*sh, image[3]*sw)))
	k.Emit(jen.Qual(rtPath, fn).Call(dst, src, in.Prod(0, 2), jen.Lit(image[2]), jen.Lit(image[3]), jen.Lit(sh), jen.Lit(sw)))
	return nil
}
