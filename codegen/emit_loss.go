package codegen

import (
	"github.com/dave/jennifer/jen"

	"github.com/dlgen/dlgen/ir"
)

// Emitters for the losses (reduction 'mean') and LossGrad, their gradient with
// respect to the prediction. Losses and their gradients are evaluated in float64
// from float32 operands: they are a small part of a step, and this keeps the
// cancellation in softmax - onehot and the clamps of BCE exact enough to match the
// interpreter. Each loss's formula is stated once, in the tables below, for both the
// loss and the gradient emitters.

func init() {
	for op := range pointLosses {
		register(op, emitPointLoss)
	}
	for op := range rowLosses {
		register(op, emitRowLoss)
	}
	register(ir.OpLossGrad, emitLossGrad)
	register(ir.OpOneHot, emitOneHot)
}

// emitOneHot writes 1 at each label's class and 0 elsewhere. The labels were checked
// against [0, classes) on entry (rt.CheckLabels).
func emitOneHot(k *Kernel) error {
	x, out := k.In(0), k.Out()
	if x.DType != ir.Int {
		return k.Errorf("class labels must be an int input, not %s", x.DType)
	}
	classes := out.Shape[len(out.Shape)-1]
	xs := k.Bind("x", x)
	ys := k.Bind("y", out)
	k.Emit(
		jen.Clear(ys),
		jen.For(jen.List(jen.Id("i"), jen.Id("c")).Op(":=").Range().Add(xs)).Block(
			jen.Add(ys).Index(jen.Id("i").Op("*").Lit(classes).Op("+").Int().Call(jen.Id("c"))).Op("=").Lit(1)),
	)
	return nil
}

var (
	pv, tv = jen.Id("pv"), jen.Id("tv") // one prediction and target element, as float64
	sum    = jen.Id("s")                // the loss accumulator
	grad   = jen.Id("g")                // ∂loss/∂p of one element, before the mean's divisor
)

// pointLoss is a loss that averages f(p, t) over every element.
type pointLoss struct {
	f  func(alpha float64) []jen.Code // statements adding f(pv, tv) to s
	df func(alpha float64) []jen.Code // statements setting g := ∂f/∂p
}

// bceLogFloor is where PyTorch's BCELoss clamps each log.
const bceLogFloor = -100

var pointLosses = map[string]pointLoss{
	ir.OpMSELoss: {
		f: func(float64) []jen.Code {
			return []jen.Code{jen.Id("d").Op(":=").Add(pv).Op("-").Add(tv), jen.Add(sum).Op("+=").Id("d").Op("*").Id("d")}
		},
		df: func(float64) []jen.Code {
			return []jen.Code{jen.Add(grad).Op(":=").Lit(2).Op("*").Parens(jen.Add(pv).Op("-").Add(tv))}
		},
	},
	ir.OpMAELoss: {
		f: func(float64) []jen.Code {
			return []jen.Code{jen.Add(sum).Op("+=").Add(mathFn("Abs", jen.Add(pv).Op("-").Add(tv)))}
		},
		// The subgradient 0 at p = t.
		df: func(float64) []jen.Code {
			return []jen.Code{
				jen.Add(grad).Op(":=").Lit(0.0),
				jen.If(jen.Add(pv).Op(">").Add(tv)).Block(jen.Add(grad).Op("=").Lit(1)).
					Else().If(jen.Add(pv).Op("<").Add(tv)).Block(jen.Add(grad).Op("=").Lit(-1)),
			}
		},
	},
	ir.OpHuberLoss: {
		f: func(delta float64) []jen.Code {
			return []jen.Code{
				jen.Id("d").Op(":=").Add(mathFn("Abs", jen.Add(pv).Op("-").Add(tv))),
				jen.If(jen.Id("d").Op("<=").Lit(delta)).Block(jen.Add(sum).Op("+=").Lit(0.5).Op("*").Id("d").Op("*").Id("d")).
					Else().Block(jen.Add(sum).Op("+=").Lit(delta).Op("*").Parens(jen.Id("d").Op("-").Lit(0.5 * delta))),
			}
		},
		df: func(delta float64) []jen.Code {
			return []jen.Code{
				jen.Add(grad).Op(":=").Add(pv).Op("-").Add(tv),
				jen.If(jen.Add(grad).Op(">").Lit(delta)).Block(jen.Add(grad).Op("=").Lit(delta)).
					Else().If(jen.Add(grad).Op("<").Lit(-delta)).Block(jen.Add(grad).Op("=").Lit(-delta)),
			}
		},
	},
	ir.OpBCELoss: {
		f: func(float64) []jen.Code {
			return []jen.Code{jen.Add(sum).Op("-=").Add(tv).Op("*").Max(mathFn("Log", pv), jen.Lit(bceLogFloor)).Op("+").
				Parens(jen.Lit(1).Op("-").Add(tv)).Op("*").Max(mathFn("Log", jen.Lit(1).Op("-").Add(pv)), jen.Lit(bceLogFloor))}
		},
		// PyTorch's backward (ir.BCEEpsilon): (p-t)/max((1-p)·p, eps).
		df: func(float64) []jen.Code {
			return []jen.Code{
				jen.Add(grad).Op(":=").Parens(jen.Add(pv).Op("-").Add(tv)).Op("/").
					Max(jen.Parens(jen.Lit(1).Op("-").Add(pv)).Op("*").Add(pv), jen.Lit(ir.BCEEpsilon)),
			}
		},
	},
	// max(z,0) - z·t + ln(1+e^-|z|): the logits form, which never overflows.
	ir.OpBCEWithLogitsLoss: {
		f: func(float64) []jen.Code {
			return []jen.Code{jen.Add(sum).Op("+=").Max(pv, jen.Lit(0)).Op("-").Add(pv).Op("*").Add(tv).Op("+").
				Add(mathFn("Log1p", mathFn("Exp", jen.Op("-").Add(mathFn("Abs", pv)))))}
		},
		df: func(float64) []jen.Code {
			return []jen.Code{jen.Add(grad).Op(":=").Lit(1).Op("/").Parens(jen.Lit(1).Op("+").Add(mathFn("Exp", jen.Op("-").Add(pv)))).Op("-").Add(tv)}
		},
	},
}

// bindPT declares p and t (and ties t's length to p's, for bounds-check elimination).
func bindPT(k *Kernel) (p, t *jen.Statement) {
	p = k.Bind("p", k.In(0))
	t = k.Bind("t", k.In(1))
	k.Emit(jen.Add(t).Op("=").Add(t).Index(jen.Empty(), jen.Len(p)))
	return p, t
}

func elementLoop(p, t *jen.Statement, body []jen.Code) *jen.Statement {
	head := []jen.Code{jen.Add(pv).Op(":=").Add(f64(jen.Id("v"))), jen.Add(tv).Op(":=").Add(f64(jen.Add(t).Index(jen.Id("i"))))}
	return jen.For(jen.List(jen.Id("i"), jen.Id("v")).Op(":=").Range().Add(p)).Block(append(head, body...)...)
}

func emitPointLoss(k *Kernel) error {
	l := pointLosses[k.Node.Op]
	p, t := bindPT(k)
	y := k.Bind("y", k.Out())
	k.Emit(jen.Var().Add(sum).Float64(), elementLoop(p, t, l.f(k.Node.Attrs.Alpha)))
	k.Emit(jen.Add(y).Index(jen.Lit(0)).Op("=").Add(f32(jen.Add(sum).Op("/").Add(f64(k.In(0).Len())))))
	return nil
}

// rowLoss is a loss over distributions along the last axis, averaged over the rows.
// Its emitters write the per-row statements given the row variables zr/tr (or the
// label k) and the row accumulator.
type rowLoss struct {
	f  func(k *Kernel, cols int) []jen.Code // adds the row's loss to s
	df func(k *Kernel, cols int) []jen.Code // writes the row's gradient, times scale, to gr
}

// rowMax emits mx := max(zr) and se := Σ exp(zr - mx), in float64.
func rowMaxSumExp() []jen.Code {
	return []jen.Code{
		jen.Id("mx").Op(":=").Add(f64(jen.Id("zr").Index(jen.Lit(0)))),
		jen.For(jen.List(jen.Id("_"), jen.Id("v")).Op(":=").Range().Id("zr")).Block(jen.Id("mx").Op("=").Max(jen.Id("mx"), f64(jen.Id("v")))),
		jen.Var().Id("se").Float64(),
		jen.For(jen.List(jen.Id("_"), jen.Id("v")).Op(":=").Range().Id("zr")).Block(
			jen.Id("se").Op("+=").Add(mathFn("Exp", f64(jen.Id("v")).Op("-").Id("mx")))),
	}
}

// rowMaxSumExpKept is rowMaxSumExp keeping each exp(zr[c] - mx) in ez (cols
// float64s of scratch), so that a gradient reads them instead of computing every
// exponential twice: the same values, half the calls to math.Exp.
func rowMaxSumExpKept(k *Kernel, cols int) []jen.Code {
	return []jen.Code{
		jen.Id("ez").Op(":=").Add(k.Scratch64(cols)),
		jen.Id("mx").Op(":=").Add(f64(jen.Id("zr").Index(jen.Lit(0)))),
		jen.For(jen.List(jen.Id("_"), jen.Id("v")).Op(":=").Range().Id("zr")).Block(jen.Id("mx").Op("=").Max(jen.Id("mx"), f64(jen.Id("v")))),
		jen.Var().Id("se").Float64(),
		jen.For(jen.List(jen.Id("c"), jen.Id("v")).Op(":=").Range().Id("zr")).Block(
			jen.Id("e").Op(":=").Add(mathFn("Exp", f64(jen.Id("v")).Op("-").Id("mx"))),
			jen.Id("ez").Index(jen.Id("c")).Op("=").Id("e"),
			jen.Id("se").Op("+=").Id("e")),
	}
}

// softmaxAt is softmax(zr)[c] given ez (rowMaxSumExpKept) and se.
func softmaxAt(c jen.Code) *jen.Statement {
	return jen.Id("ez").Index(c).Op("/").Id("se")
}

// kerasEpsilon is Keras' backend epsilon, the clip bound of categorical_crossentropy.
const kerasEpsilon = 1e-7

var rowLosses = map[string]rowLoss{
	// -Σ t_c·log_softmax(z)_c; gradient softmax(z)·Σt - t.
	ir.OpSoftmaxCELoss: {
		f: func(k *Kernel, cols int) []jen.Code {
			return append(rowMaxSumExp(),
				jen.Id("lse").Op(":=").Id("mx").Op("+").Add(mathFn("Log", jen.Id("se"))),
				jen.For(jen.List(jen.Id("c"), jen.Id("v")).Op(":=").Range().Id("zr")).Block(
					jen.Add(sum).Op("-=").Add(f64(jen.Id("tr").Index(jen.Id("c")))).Op("*").Parens(f64(jen.Id("v")).Op("-").Id("lse"))))
		},
		df: func(k *Kernel, cols int) []jen.Code {
			return append(rowMaxSumExpKept(k, cols),
				jen.Var().Id("st").Float64(),
				jen.For(jen.List(jen.Id("_"), jen.Id("v")).Op(":=").Range().Id("tr")).Block(jen.Id("st").Op("+=").Add(f64(jen.Id("v")))),
				loop("c", jen.Lit(cols), jen.Id("gr").Index(jen.Id("c")).Op("=").Add(f32(jen.Id("scale").Op("*").Parens(
					softmaxAt(jen.Id("c")).Op("*").Id("st").Op("-").Add(f64(jen.Id("tr").Index(jen.Id("c")))))))))
		},
	},
	// lse(z) - z[label]; gradient softmax(z) - onehot(label). Labels were checked
	// against [0, classes) on entry.
	ir.OpSparseSoftmaxCELoss: {
		f: func(k *Kernel, cols int) []jen.Code {
			return append(rowMaxSumExp(),
				jen.Add(sum).Op("+=").Id("mx").Op("+").Add(mathFn("Log", jen.Id("se"))).Op("-").Add(f64(jen.Id("zr").Index(jen.Id("label")))))
		},
		df: func(k *Kernel, cols int) []jen.Code {
			return append(rowMaxSumExpKept(k, cols),
				loop("c", jen.Lit(cols), jen.Id("gr").Index(jen.Id("c")).Op("=").Add(f32(jen.Id("scale").Op("*").Add(softmaxAt(jen.Id("c")))))),
				jen.Id("gr").Index(jen.Id("label")).Op("-=").Add(f32(jen.Id("scale"))))
		},
	},
	// PyTorch's NLLLoss: -x[label]; gradient -onehot(label). Labels were checked
	// against [0, classes) on entry.
	ir.OpNLLLoss: {
		f: func(k *Kernel, cols int) []jen.Code {
			return []jen.Code{jen.Add(sum).Op("-=").Add(f64(jen.Id("zr").Index(jen.Id("label"))))}
		},
		df: func(k *Kernel, cols int) []jen.Code {
			return []jen.Code{
				jen.Op("*").Id("gr").Op("=").Index(jen.Lit(cols)).Float32().Values(),
				jen.Id("gr").Index(jen.Id("label")).Op("=").Add(f32(jen.Op("-").Id("scale"))),
			}
		},
	},
	// Keras: q = p/Σp, r = clip(q, ε, 1-ε), loss -Σ t·ln r. The clip passes the
	// gradient only where q is within [ε, 1-ε] (TensorFlow's clip_by_value), and the
	// normalisation gives ∂loss/∂p_j = (g_j - Σ_c g_c·q_c)/Σp for g_c = ∂loss/∂q_c.
	ir.OpCategoricalCELoss: {
		f: func(k *Kernel, cols int) []jen.Code {
			return []jen.Code{
				jen.Var().Id("ps").Float64(),
				jen.For(jen.List(jen.Id("_"), jen.Id("v")).Op(":=").Range().Id("zr")).Block(jen.Id("ps").Op("+=").Add(f64(jen.Id("v")))),
				jen.For(jen.List(jen.Id("c"), jen.Id("v")).Op(":=").Range().Id("zr")).Block(
					jen.Id("q").Op(":=").Min(jen.Max(f64(jen.Id("v")).Op("/").Id("ps"), jen.Lit(kerasEpsilon)), jen.Lit(1-kerasEpsilon)),
					jen.Add(sum).Op("-=").Add(f64(jen.Id("tr").Index(jen.Id("c")))).Op("*").Add(mathFn("Log", jen.Id("q")))),
			}
		},
		df: func(k *Kernel, cols int) []jen.Code {
			return []jen.Code{
				jen.Id("gq").Op(":=").Add(k.Scratch64(cols)),
				jen.Var().Id("ps").Float64(),
				jen.For(jen.List(jen.Id("_"), jen.Id("v")).Op(":=").Range().Id("zr")).Block(jen.Id("ps").Op("+=").Add(f64(jen.Id("v")))),
				jen.Var().Id("dot").Float64(),
				jen.For(jen.List(jen.Id("c"), jen.Id("v")).Op(":=").Range().Id("zr")).Block(
					jen.Id("q").Op(":=").Add(f64(jen.Id("v"))).Op("/").Id("ps"),
					jen.Id("gq").Index(jen.Id("c")).Op("=").Lit(0),
					jen.If(jen.Id("q").Op(">=").Lit(kerasEpsilon).Op("&&").Id("q").Op("<=").Lit(1-kerasEpsilon)).Block(
						jen.Id("gq").Index(jen.Id("c")).Op("=").Op("-").Add(f64(jen.Id("tr").Index(jen.Id("c")))).Op("/").Id("q")),
					jen.Id("dot").Op("+=").Id("gq").Index(jen.Id("c")).Op("*").Id("q")),
				loop("c", jen.Lit(cols), jen.Id("gr").Index(jen.Id("c")).Op("=").Add(f32(jen.Id("scale").Op("*").Parens(
					jen.Id("gq").Index(jen.Id("c")).Op("-").Id("dot")).Op("/").Id("ps")))),
			}
		},
	},
}

// rowHead binds p and t and returns the loop head over rows: zr (unless the body
// does not read the values: values false), and tr (or the class label).
func rowHead(k *Kernel, values bool) (rows *jen.Statement, cols int, head []jen.Code, err error) {
	p, t := k.In(0), k.In(1)
	rows, cols, err = lastAxis(k, p)
	if err != nil {
		return nil, 0, nil, err
	}
	ps := k.Bind("p", p)
	ts := k.Bind("t", t)
	if values {
		head = []jen.Code{jen.Id("zr").Op(":=").Add(row(ps, jen.Id("r"), cols))}
	}
	if sparseLoss(k.Node.Op) || sparseLoss(k.Node.Attrs.Sub) {
		if t.DType != ir.Int {
			return nil, 0, nil, k.Errorf("class labels must be an int input, not %s", t.DType)
		}
		head = append(head, jen.Id("label").Op(":=").Add(ts).Index(jen.Id("r")))
	} else {
		head = append(head, jen.Id("tr").Op(":=").Add(row(ts, jen.Id("r"), cols)))
	}
	return rows, cols, head, nil
}

func emitRowLoss(k *Kernel) error {
	rows, cols, head, err := rowHead(k, true)
	if err != nil {
		return err
	}
	y := k.Bind("y", k.Out())
	divisor := f64(rows)
	if ig, ok := ir.LossIgnore(k.Node.Attrs); ok {
		// PyTorch's ignore_index: a row labelled ig adds nothing and is not
		// counted; with every row ignored the mean is 0/0 = NaN, as PyTorch's.
		head = append(head,
			jen.If(jen.Id("label").Op("==").Lit(ig)).Block(jen.Continue()),
			jen.Id("kept").Op("++"))
		k.Emit(jen.Var().Id("kept").Int())
		divisor = f64(jen.Id("kept"))
	}
	k.Emit(jen.Var().Add(sum).Float64(), loop("r", rows, append(head, rowLosses[k.Node.Op].f(k, cols)...)...))
	k.Emit(jen.Add(y).Index(jen.Lit(0)).Op("=").Add(f32(jen.Add(sum).Op("/").Add(divisor))))
	return nil
}

// emitLossGrad writes dloss·∂loss/∂p, the loss named by the Sub attribute.
func emitLossGrad(k *Kernel) error {
	sub := k.Node.Attrs.Sub
	if l, ok := pointLosses[sub]; ok {
		p, t := bindPT(k)
		dl := f64(jen.Add(k.Bind("dl", k.In(2))).Index(jen.Lit(0)))
		g := k.Bind("gr", k.Out())
		k.Emit(jen.Add(g).Op("=").Add(g).Index(jen.Empty(), jen.Len(p)))
		k.Emit(jen.Id("scale").Op(":=").Add(dl).Op("/").Add(f64(k.In(0).Len())))
		body := append(l.df(k.Node.Attrs.Alpha), jen.Add(g).Index(jen.Id("i")).Op("=").Add(f32(jen.Id("scale").Op("*").Add(grad))))
		k.Emit(elementLoop(p, t, body))
		return nil
	}
	l, ok := rowLosses[sub]
	if !ok {
		return k.Errorf("%q is not a loss op", sub)
	}
	// NLL's gradient is -1 at the label whatever the values.
	rows, cols, head, err := rowHead(k, sub != ir.OpNLLLoss)
	if err != nil {
		return err
	}
	dl := f64(jen.Add(k.Bind("dl", k.In(2))).Index(jen.Lit(0)))
	g := k.Bind("g", k.Out())
	head = append(head, jen.Id("gr").Op(":=").Add(row(g, jen.Id("r"), cols)))
	if ig, ok := ir.LossIgnore(k.Node.Attrs); ok {
		// PyTorch's ignore_index: the mean is over the rows not labelled ig, and
		// the ignored rows get 0 (all of them when every row is ignored, whatever
		// the infinite scale).
		k.Emit(
			jen.Var().Id("kept").Int(),
			loop("r", rows, jen.If(jen.Id("t").Index(jen.Id("r")).Op("!=").Lit(ig)).Block(jen.Id("kept").Op("++"))),
			jen.Id("scale").Op(":=").Add(dl).Op("/").Add(f64(jen.Id("kept"))))
		head = append(head, jen.If(jen.Id("label").Op("==").Lit(ig)).Block(jen.Clear(jen.Id("gr").Index(jen.Op(":"))), jen.Continue()))
	} else {
		k.Emit(jen.Id("scale").Op(":=").Add(dl).Op("/").Add(f64(rows)))
	}
	k.Emit(loop("r", rows, append(head, l.df(k, cols)...)...))
	return nil
}

// sparseLoss reports whether op is a loss whose target is one class label per row
// of its prediction's last axis.
func sparseLoss(op string) bool { return op == ir.OpSparseSoftmaxCELoss || op == ir.OpNLLLoss }
