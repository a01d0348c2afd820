package codegen

import (
	"github.com/dave/jennifer/jen"

	"github.com/dlgen/dlgen/ir"
	"github.com/dlgen/dlgen/rt"
)

// Emitters for the autoencoder building blocks: the absolute value behind L1
// activity regularization, the KL sparsity penalty (Ng, CS294A notes, 2011) and the
// contractive penalty (Rifai et al., 2011) with their gradients, and the noise
// sources of denoising and variational autoencoders. Penalties accumulate in float64.

func init() {
	register(ir.OpAbs, unaryFn(func(v *jen.Statement) jen.Code { return f32(mathFn("Abs", f64(v))) }))
	register(ir.OpAbsGrad, func(k *Kernel) error {
		return binaryStmt(k, func(x, dy, out *jen.Statement) jen.Code {
			return jen.If(jen.Add(x).Op(">").Lit(0)).Block(jen.Add(out).Op("=").Add(dy)).
				Else().If(jen.Add(x).Op("<").Lit(0)).Block(jen.Add(out).Op("=").Op("-").Add(dy)).
				Else().Block(jen.Add(out).Op("=").Lit(0))
		})
	})
	register(ir.OpKLSparsity, emitKLSparsity)
	register(ir.OpKLSparsityGrad, emitKLSparsity)
	register(ir.OpContractivePenalty, emitContractive)
	register(ir.OpContractivePenaltyGradH, emitContractive)
	register(ir.OpContractivePenaltyGradW, emitContractive)
	register(ir.OpRandomNormal, func(k *Kernel) error {
		ys := k.Bind("y", k.Out())
		a := k.Node.Attrs
		k.Emit(jen.For(jen.Id("i").Op(":=").Range().Add(ys)).Block(
			jen.Add(ys).Index(jen.Id("i")).Op("=").Add(f32(jen.Lit(a.Alpha).Op("*").Qual(rtPath, "Normal").Call(jen.Lit(a.Seed), k.Step(), jen.Uint64().Call(jen.Id("i"))))),
		))
		return nil
	})
	register(ir.OpKeepMask, func(k *Kernel) error {
		ys := k.Bind("y", k.Out())
		a := k.Node.Attrs
		k.Emit(jen.For(jen.Id("i").Op(":=").Range().Add(ys)).Block(
			jen.If(jen.Qual(rtPath, "Keep").Call(jen.Lit(a.Seed), k.Step(), jen.Uint64().Call(jen.Id("i")), jen.Lit(rt.KeepThreshold(a.Rate)))).
				Block(jen.Add(ys).Index(jen.Id("i")).Op("=").Lit(1)).
				Else().Block(jen.Add(ys).Index(jen.Id("i")).Op("=").Lit(0)),
		))
		return nil
	})
}

// klSparsityClip keeps ρ̂ inside (0, 1) so that the logs stay finite when every unit
// of the batch saturates its sigmoid; the clip passes no gradient.
const klSparsityClip = 1e-7

// emitKLSparsity emits KLSparsity (the scalar Σ_j KL(ρ‖ρ̂_j)) or its gradient
// dh[n,j] = dloss·((1-ρ)/(1-ρ̂_j) - ρ/ρ̂_j)/N, ρ̂_j the batch mean of unit j.
func emitKLSparsity(k *Kernel) error {
	h := k.In(0)
	units := h.Elems()
	rho := k.Node.Attrs.Alpha
	hs := k.Bind("h", h)
	grad := k.Node.Op == ir.OpKLSparsityGrad
	var dl *jen.Statement
	if grad {
		dl = k.Bind("dl", k.In(1))
	}
	ys := k.Bind("y", k.Out())
	mean := jen.Id("mean")
	k.Emit(
		jen.Add(mean).Op(":=").Add(k.Scratch64(units)),
		jen.Clear(jen.Add(mean).Index(jen.Op(":"))),
		loop("b", jen.Id("n"), jen.For(jen.List(jen.Id("j"), jen.Id("v")).Op(":=").Range().Add(row(hs, jen.Id("b"), units))).Block(
			jen.Add(mean).Index(jen.Id("j")).Op("+=").Add(f64(jen.Id("v"))))),
	)
	clip := func(body ...jen.Code) []jen.Code {
		return append([]jen.Code{
			jen.Id("q").Op(":=").Add(mean).Index(jen.Id("j")).Op("/").Add(f64(jen.Id("n"))),
			jen.Id("clipped").Op(":=").Id("q").Op("<").Lit(klSparsityClip).Op("||").Id("q").Op(">").Lit(1 - klSparsityClip),
			jen.Id("q").Op("=").Min(jen.Max(jen.Id("q"), jen.Lit(klSparsityClip)), jen.Lit(1-klSparsityClip)),
		}, body...)
	}
	if !grad {
		k.Emit(
			jen.Var().Id("s").Float64(),
			loop("j", jen.Lit(units), clip(
				jen.Id("_").Op("=").Id("clipped"),
				jen.Id("s").Op("+=").Lit(rho).Op("*").Add(mathFn("Log", jen.Lit(rho).Op("/").Id("q"))).Op("+").
					Lit(1-rho).Op("*").Add(mathFn("Log", jen.Lit(1-rho).Op("/").Parens(jen.Lit(1).Op("-").Id("q")))))...),
			jen.Add(ys).Index(jen.Lit(0)).Op("=").Add(f32(jen.Id("s"))),
		)
		return nil
	}
	// mean[j] becomes the gradient of every row's element j.
	k.Emit(
		jen.Id("scale").Op(":=").Add(f64(jen.Add(dl).Index(jen.Lit(0)))).Op("/").Add(f64(jen.Id("n"))),
		loop("j", jen.Lit(units), clip(
			jen.Add(mean).Index(jen.Id("j")).Op("=").Lit(0),
			jen.If(jen.Op("!").Id("clipped")).Block(
				jen.Add(mean).Index(jen.Id("j")).Op("=").Id("scale").Op("*").Parens(
					jen.Lit(1-rho).Op("/").Parens(jen.Lit(1).Op("-").Id("q")).Op("-").Lit(rho).Op("/").Id("q"))))...),
		loop("b", jen.Id("n"),
			jen.Id("yr").Op(":=").Add(row(ys, jen.Id("b"), units)),
			loop("j", jen.Lit(units), jen.Id("yr").Index(jen.Id("j")).Op("=").Add(f32(jen.Add(mean).Index(jen.Id("j")))))),
	)
	return nil
}

// emitContractive emits the contractive penalty mean_n Σ_i (h_ni(1-h_ni))²·Σ_j w_ij²
// or one of its partial derivatives (ContractivePenaltyGradH, ...GradW).
func emitContractive(k *Kernel) error {
	h, w := k.In(0), k.In(1)
	units, d := h.Shape[1], w.Shape[1]
	hs := k.Bind("h", h)
	ws := k.BindArray("w", w)
	var dl *jen.Statement
	if k.Node.Op != ir.OpContractivePenalty {
		dl = k.Bind("dl", k.In(2))
	}
	ys := k.Bind("y", k.Out())
	acc := jen.Id("acc")
	k.Emit(jen.Add(acc).Op(":=").Add(k.Scratch64(units)), jen.Clear(jen.Add(acc).Index(jen.Op(":"))))
	a := jen.Id("v").Op("*").Parens(jen.Lit(1).Op("-").Id("v"))
	if k.Node.Op == ir.OpContractivePenaltyGradW {
		// acc[i] = Σ_n (h_ni(1-h_ni))²; dw[i,j] = dloss·(2/N)·w_ij·acc[i].
		k.Emit(
			loop("b", jen.Id("n"), jen.For(jen.List(jen.Id("i"), jen.Id("hv")).Op(":=").Range().Add(row(hs, jen.Id("b"), units))).Block(
				jen.Id("v").Op(":=").Add(f64(jen.Id("hv"))),
				jen.Id("a").Op(":=").Add(a),
				jen.Add(acc).Index(jen.Id("i")).Op("+=").Id("a").Op("*").Id("a"))),
			jen.Id("scale").Op(":=").Lit(2).Op("*").Add(f64(jen.Add(dl).Index(jen.Lit(0)))).Op("/").Add(f64(jen.Id("n"))),
			loop("i", jen.Lit(units), loop("j", jen.Lit(d),
				jen.Add(ys).Index(jen.Id("i").Op("*").Lit(d).Op("+").Id("j")).Op("=").Add(f32(
					jen.Id("scale").Op("*").Add(f64(jen.Add(ws).Index(jen.Id("i").Op("*").Lit(d).Op("+").Id("j")))).Op("*").Add(acc).Index(jen.Id("i")))))),
		)
		return nil
	}
	// acc[i] = Σ_j w_ij².
	k.Emit(loop("i", jen.Lit(units), loop("j", jen.Lit(d),
		jen.Id("wv").Op(":=").Add(f64(jen.Add(ws).Index(jen.Id("i").Op("*").Lit(d).Op("+").Id("j")))),
		jen.Add(acc).Index(jen.Id("i")).Op("+=").Id("wv").Op("*").Id("wv"))))
	if k.Node.Op == ir.OpContractivePenalty {
		k.Emit(
			jen.Var().Id("s").Float64(),
			loop("b", jen.Id("n"), jen.For(jen.List(jen.Id("i"), jen.Id("hv")).Op(":=").Range().Add(row(hs, jen.Id("b"), units))).Block(
				jen.Id("v").Op(":=").Add(f64(jen.Id("hv"))),
				jen.Id("a").Op(":=").Add(a),
				jen.Id("s").Op("+=").Id("a").Op("*").Id("a").Op("*").Add(acc).Index(jen.Id("i")))),
			jen.Add(ys).Index(jen.Lit(0)).Op("=").Add(f32(jen.Id("s").Op("/").Add(f64(jen.Id("n"))))),
		)
		return nil
	}
	// dh[n,i] = dloss·(2/N)·h(1-h)(1-2h)·acc[i].
	k.Emit(
		jen.Id("scale").Op(":=").Lit(2).Op("*").Add(f64(jen.Add(dl).Index(jen.Lit(0)))).Op("/").Add(f64(jen.Id("n"))),
		loop("b", jen.Id("n"),
			jen.Id("yr").Op(":=").Add(row(ys, jen.Id("b"), units)),
			jen.For(jen.List(jen.Id("i"), jen.Id("hv")).Op(":=").Range().Add(row(hs, jen.Id("b"), units))).Block(
				jen.Id("v").Op(":=").Add(f64(jen.Id("hv"))),
				jen.Id("yr").Index(jen.Id("i")).Op("=").Add(f32(jen.Id("scale").Op("*").Add(a).Op("*").Parens(jen.Lit(1).Op("-").Lit(2).Op("*").Id("v")).Op("*").Add(acc).Index(jen.Id("i")))))),
	)
	return nil
}
