package codegen

import (
	"fmt"

	"github.com/dave/jennifer/jen"

	"github.com/dlgen/dlgen/ir"
)

// Emitters for the parametric ReLU and its gradients. α broadcasts over x's first
// (batch) axis and over its own axes of size 1, so an item of x is a nest of blocks:
// x's axes after the first, adjacent axes merged when α either runs along both or is
// shared along both. The kernels loop over the items and that nest with constant
// bounds; the innermost loop reads one α (a shared innermost block: the plane of a
// channel) or a run of α beside a run of x. PReLU's own element-wise loop rather
// than a fused one: no element-wise op broadcasts an operand (elementwise's rules
// see elements of one shape).

func init() {
	register(ir.OpPReLU, emitPReLU)
	register(ir.OpPReLUGrad, emitPReLUGrad)
	register(ir.OpPReLUAlphaGrad, emitPReLUAlphaGrad)
}

// preluBlock is one level of the nest: size elements, whether α runs along it (else
// it is shared), and the strides of one step in x's item and in α.
type preluBlock struct {
	size, xStride, aStride int
	perElem                bool
}

// preluNest merges x's axes after the first into blocks, outermost first.
func preluNest(x, alpha ir.Shape) []preluBlock {
	var dims []preluBlock
	for i, d := range x[1:] {
		per := i < len(alpha) && alpha[i] != 1
		if last := len(dims) - 1; last >= 0 && (dims[last].perElem == per || d == 1) {
			dims[last].size *= d
			continue
		}
		if d == 1 && len(dims) == 0 {
			per = false
		}
		dims = append(dims, preluBlock{size: d, perElem: per})
	}
	xs, as := 1, 1
	for i := len(dims) - 1; i >= 0; i-- {
		dims[i].xStride = xs
		xs *= dims[i].size
		if dims[i].perElem {
			dims[i].aStride = as
			as *= dims[i].size
		}
	}
	return dims
}

// offset is Σ i_j·stride_j over the outer blocks (the innermost block is a run).
func offset(dims []preluBlock, stride func(preluBlock) int) *jen.Statement {
	var terms []jen.Code
	for j, d := range dims[:len(dims)-1] {
		switch s := stride(d); s {
		case 0:
		case 1:
			terms = append(terms, jen.Id(fmt.Sprintf("i%d", j)))
		default:
			terms = append(terms, jen.Id(fmt.Sprintf("i%d", j)).Op("*").Lit(s))
		}
	}
	if len(terms) == 0 {
		return jen.Lit(0)
	}
	s := jen.Add(terms[0])
	for _, t := range terms[1:] {
		s = s.Op("+").Add(t)
	}
	return s
}

// preluNestLoops emits the loop over the items b of x, holding the statements items
// and the loops over the outer blocks, which hold the offsets of the innermost run in
// the item ("xo") and in α ("ao") and then the statements inner.
func preluNestLoops(k *Kernel, x Value, dims []preluBlock, items, inner []jen.Code) {
	body := append([]jen.Code{
		jen.Id("xo").Op(":=").Add(offset(dims, func(d preluBlock) int { return d.xStride })),
		jen.Id("ao").Op(":=").Add(offset(dims, func(d preluBlock) int { return d.aStride })),
	}, inner...)
	for j := len(dims) - 2; j >= 0; j-- {
		body = []jen.Code{loop(fmt.Sprintf("i%d", j), jen.Lit(dims[j].size), body...)}
	}
	k.Emit(loop("b", x.Prod(0, 1), append(items, body...)...))
}

// preluLoops emits, for each item b of x and each run of the innermost block, the
// statements head (given the run's offsets in the item, "xo", and in α, "ao") and a
// loop over the run whose body is body(i, a), a being the α of element i of the run.
func preluLoops(k *Kernel, x Value, alpha ir.Shape, items []jen.Code, head []jen.Code, body func(a jen.Code) []jen.Code) {
	dims := preluNest(x.Shape, alpha)
	in := dims[len(dims)-1]
	var a jen.Code = jen.Id("ar").Index(jen.Id("i"))
	var inner []jen.Code
	if in.perElem {
		inner = append(inner, jen.Id("ar").Op(":=").Add(arrayOf(in.size, jen.Float32(), jen.Id("alpha").Index(jen.Id("ao"), jen.Empty()))))
	} else {
		a = jen.Id("a")
		inner = append(inner, jen.Id("a").Op(":=").Id("alpha").Index(jen.Id("ao")))
	}
	inner = append(inner, head...)
	inner = append(inner, loop("i", jen.Lit(in.size), body(a)...))
	preluNestLoops(k, x, dims, items, inner)
}

// run is (*[size]float32)(s[xo:]), the innermost run at offset xo of an item.
func run(s string, size int) *jen.Statement {
	return arrayOf(size, jen.Float32(), jen.Id(s).Index(jen.Id("xo"), jen.Empty()))
}

// itemOf is s's item b as a slice of e elements.
func itemOf(s *jen.Statement, e int) *jen.Statement {
	return jen.Add(s).Index(jen.Id("b").Op("*").Lit(e), jen.Parens(jen.Id("b").Op("+").Lit(1)).Op("*").Lit(e))
}

func preluComment(k *Kernel, what string, x Value, alpha ir.Shape) {
	k.Emit(jen.Comment(fmt.Sprintf("%s: α %s broadcast over %s", what, alpha, x.Shape)))
}

// emitPReLU: y = x where x > 0, else α·x.
func emitPReLU(k *Kernel) error {
	x, al, y := k.In(0), k.In(1), k.Out()
	e, size := x.ConstProd(1, len(x.Shape)), preluNest(x.Shape, al.Shape)
	xs := k.Bind("x", x)
	k.BindArray("alpha", al)
	ys := k.Bind("y", y)
	preluComment(k, "PReLU", x, al.Shape)
	in := size[len(size)-1].size
	preluLoops(k, x, al.Shape,
		[]jen.Code{jen.Id("xb").Op(":=").Add(itemOf(xs, e)), jen.Id("yb").Op(":=").Add(itemOf(ys, e))},
		[]jen.Code{jen.Id("xr").Op(":=").Add(run("xb", in)), jen.Id("yr").Op(":=").Add(run("yb", in))},
		func(a jen.Code) []jen.Code {
			return []jen.Code{
				jen.If(jen.Id("v").Op(":=").Id("xr").Index(jen.Id("i")), jen.Id("v").Op(">").Lit(0)).Block(
					jen.Id("yr").Index(jen.Id("i")).Op("=").Id("v"),
				).Else().Block(
					jen.Id("yr").Index(jen.Id("i")).Op("=").Add(a).Op("*").Id("v"),
				),
			}
		})
	return nil
}

// emitPReLUGrad: dx = dy where x > 0, else α·dy.
func emitPReLUGrad(k *Kernel) error {
	x, al, dy, dx := k.In(0), k.In(1), k.In(2), k.Out()
	e, in := x.ConstProd(1, len(x.Shape)), preluNest(x.Shape, al.Shape)
	xs := k.Bind("x", x)
	k.BindArray("alpha", al)
	ds := k.Bind("dy", dy)
	os := k.Bind("dx", dx)
	preluComment(k, "PReLUGrad", x, al.Shape)
	size := in[len(in)-1].size
	preluLoops(k, x, al.Shape,
		[]jen.Code{jen.Id("xb").Op(":=").Add(itemOf(xs, e)), jen.Id("db").Op(":=").Add(itemOf(ds, e)), jen.Id("ob").Op(":=").Add(itemOf(os, e))},
		[]jen.Code{jen.Id("xr").Op(":=").Add(run("xb", size)), jen.Id("dr").Op(":=").Add(run("db", size)), jen.Id("or").Op(":=").Add(run("ob", size))},
		func(a jen.Code) []jen.Code {
			return []jen.Code{
				jen.If(jen.Id("xr").Index(jen.Id("i")).Op(">").Lit(0)).Block(
					jen.Id("or").Index(jen.Id("i")).Op("=").Id("dr").Index(jen.Id("i")),
				).Else().Block(
					jen.Id("or").Index(jen.Id("i")).Op("=").Add(a).Op("*").Id("dr").Index(jen.Id("i")),
				),
			}
		})
	return nil
}

// emitPReLUAlphaGrad: dα = Σ dy·x over the elements with x ≤ 0 (NaN included) that
// use each α, accumulated in float64 over the items in order and rounded once.
func emitPReLUAlphaGrad(k *Kernel) error {
	x, dy, da := k.In(0), k.In(1), k.Out()
	alpha := k.Node.Attrs.Shape
	e, nest := x.ConstProd(1, len(x.Shape)), preluNest(x.Shape, alpha)
	in := nest[len(nest)-1]
	f := da.Elems()
	xs := k.Bind("x", x)
	ds := k.Bind("dy", dy)
	gs := k.BindArray("dalpha", da)
	preluComment(k, "PReLUAlphaGrad", x, alpha)
	k.Emit(jen.Id("acc").Op(":=").Add(k.Scratch64(f)), jen.Clear(jen.Id("acc").Index(jen.Op(":"))))
	// The loops address α as "alpha": here the float64 accumulators.
	k.Emit(jen.Id("alpha").Op(":=").Id("acc").Index(jen.Op(":")))
	add := func(target jen.Code) []jen.Code {
		return []jen.Code{
			jen.If(jen.Id("v").Op(":=").Id("xr").Index(jen.Id("i")), jen.Op("!").Parens(jen.Id("v").Op(">").Lit(0))).Block(
				jen.Add(target).Op("+=").Add(f64(jen.Id("dr").Index(jen.Id("i")))).Op("*").Add(f64(jen.Id("v"))),
			),
		}
	}
	items := []jen.Code{jen.Id("xb").Op(":=").Add(itemOf(xs, e)), jen.Id("db").Op(":=").Add(itemOf(ds, e))}
	head := []jen.Code{jen.Id("xr").Op(":=").Add(run("xb", in.size)), jen.Id("dr").Op(":=").Add(run("db", in.size))}
	inner := append([]jen.Code{}, head...)
	if in.perElem {
		inner = append(inner, jen.Id("ar").Op(":=").Id("alpha").Index(jen.Id("ao"), jen.Id("ao").Op("+").Lit(in.size)))
		inner = append(inner, loop("i", jen.Lit(in.size), add(jen.Id("ar").Index(jen.Id("i")))...))
	} else {
		// A shared innermost run sums into one local, added to its α at the end.
		inner = append(inner, jen.Var().Id("s").Float64())
		inner = append(inner, loop("i", jen.Lit(in.size), add(jen.Id("s"))...))
		inner = append(inner, jen.Id("alpha").Index(jen.Id("ao")).Op("+=").Id("s"))
	}
	preluNestLoops(k, x, nest, items, inner)
	k.Emit(loop("j", jen.Lit(f), jen.Add(gs).Index(jen.Id("j")).Op("=").Add(f32(jen.Id("acc").Index(jen.Id("j"))))))
	return nil
}
