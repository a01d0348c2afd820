package codegen

import (
	"fmt"
	"strings"

	"github.com/dave/jennifer/jen"

	"github.com/dlgen/dlgen/ir"
)

// emitMethod writes the program's method: argument checks, then the kernels in
// order, then copying out the results that were not computed in place.
func (p *program) emitMethod(f *jen.File) error {
	m := p.model
	returnsLoss := p.method != "Predict"
	ret := func(err jen.Code) jen.Code {
		if returnsLoss {
			return jen.Return(jen.Lit(0), err)
		}
		return jen.Return(err)
	}
	check := func(call jen.Code) jen.Code {
		return jen.If(jen.Err().Op(":=").Add(call), jen.Err().Op("!=").Nil()).Block(ret(jen.Err()))
	}
	method := jen.Id("method")
	body := []jen.Code{
		jen.Const().Id("method").Op("=").Lit(m.opts.Package + "." + p.method),
		check(jen.Qual(rtPath, "CheckBatch").Call(method, jen.Id("n"), jen.Id("MaxBatch"))),
	}
	params := []jen.Code{jen.Id("n").Int()}
	for _, a := range append(append([]*arg{}, p.inputs...), p.outs...) {
		params = append(params, jen.Id(a.id).Add(a.goType()))
		body = append(body, check(jen.Qual(rtPath, "CheckLen").Call(method, jen.Lit(a.id), jen.Len(jen.Id(a.id)), jen.Id("n"), jen.Lit(a.shape.Elems()), jen.Lit(a.shape.Batched()))))
	}
	for _, a := range p.inputs {
		switch {
		case a.dtype == ir.Float:
			body = append(body, check(jen.Qual(rtPath, "CheckFinite").Call(method, jen.Lit(a.id), jen.Id(a.id))))
		case a.classes > 0 && a.ignoring:
			// Labels of a loss with an ignore index: that value passes too.
			body = append(body, check(jen.Qual(rtPath, "CheckLabelsIgnoring").Call(method, jen.Lit(a.id), jen.Id(a.id), jen.Lit(a.shape.Elems()), jen.Lit(a.classes), jen.Lit(a.ignore))))
		case a.classes > 0 && a.shape.Elems() > 1:
			// A label per step: the error names the item and the step too.
			body = append(body, check(jen.Qual(rtPath, "CheckStepLabels").Call(method, jen.Lit(a.id), jen.Id(a.id), jen.Lit(a.shape.Elems()), jen.Lit(a.classes))))
		case a.classes > 0:
			body = append(body, check(jen.Qual(rtPath, "CheckLabels").Call(method, jen.Lit(a.id), jen.Id(a.id), jen.Lit(a.classes))))
		}
		if a.dtype == ir.Int && a.rows > 0 {
			// Ids, every one a row of the embedding (the error names the item and
			// the position when there are several per item).
			body = append(body, check(jen.Qual(rtPath, "CheckIndices").Call(method, jen.Lit(a.id), jen.Id(a.id), jen.Lit(a.shape.Elems()), jen.Lit(a.rows))))
		}
	}
	for _, n := range p.unbiased {
		x := p.g.Nodes[n.Inputs[2]].Shape
		inner := x.Elems() / x[1]
		if !x.Batched() || inner > 1 {
			if x.Elems()/x[1] < 2 && !x.Batched() {
				return &ir.Error{Layer: n.Layer, Op: n.Op, In: []ir.Shape{x}, Msg: "an unbiased variance needs more than one value per channel"}
			}
			continue
		}
		body = append(body, jen.If(jen.Id("n").Op("<").Lit(2)).Block(ret(jen.Op("&").Qual(rtPath, "ArgError").Values(jen.Dict{
			jen.Id("Method"): method,
			jen.Id("Arg"):    jen.Lit("n"),
			jen.Id("Msg"):    jen.Lit(fmt.Sprintf("= 1 leaves %s one value per channel; training batch norm needs n ≥ 2 (as PyTorch)", n.Layer)),
		}))))
	}
	if p.method == "TrainStep" {
		body = append(body, jen.If(jen.Id("m").Dot("Optimizer").Op("==").Nil()).Block(ret(jen.Op("&").Qual(rtPath, "ArgError").Values(jen.Dict{
			jen.Id("Method"): method,
			jen.Id("Arg"):    jen.Lit("m.Optimizer"),
			jen.Id("Msg"):    jen.Lit("is nil"),
		}))))
	}
	if p.fields != nil {
		body = append(body, m.derived.refresh()...)
	}
	body = append(body, p.itemsCall()...)
	kernels, err := p.kernels()
	if err != nil {
		return err
	}
	body = append(body, kernels...)
	if p.method == "TrainStep" {
		// The weights change below, and the running statistics already have.
		body = append(body, m.derived.invalidate()...)
	}

	// Results not computed in place.
	for i, a := range p.outs {
		if p.storeOut[p.plan.Root[p.outIDs[i]]] != a {
			body = append(body, jen.Copy(jen.Id(a.id), p.value(p.outIDs[i]).Slice()))
		}
	}
	if p.method == "TrainStep" {
		for _, gr := range p.g.Grads {
			w := m.byName[p.g.Nodes[gr.Of].Name]
			if p.storeGrad[p.plan.Root[gr.ID]] != w {
				body = append(body, jen.Copy(jen.Id("m").Dot(w.gradField).Index(jen.Op(":")), p.value(gr.ID).Slice()))
			}
		}
	}
	var doc string
	switch p.method {
	case "Predict":
		doc = fmt.Sprintf("Predict computes %s for a batch of n items (1 ≤ n ≤ MaxBatch), in inference mode.", argList(p.outs))
	case "Loss":
		doc = "Loss returns the loss of a batch of n items (1 ≤ n ≤ MaxBatch) in inference mode: no dropout, batch norm with its running statistics."
	case "TrainStep":
		doc = "TrainStep runs one training step on a batch of n items (1 ≤ n ≤ MaxBatch): the forward pass in training mode, the backward pass, which leaves the gradients in Grads, and the update of every weight by m.Optimizer. It returns the loss before the update and then increments m.Step.\n\nBetween the backward pass and the update it sets m.GradNorm (and GradNorms with m.Monitor) from the gradients as computed, then clips them by value (m.ClipValue) and by global norm (m.ClipNorm) if those are set. If a gradient holds a NaN or an infinity, it skips the update and returns the loss with an *rt.NonFiniteError naming the weight: the weights, the optimizer state and m.Step keep their values, and Grads holds the offending gradients."
	}
	bad := "a class label"
	for _, a := range p.inputs {
		if a.rows > 0 {
			bad = "an id or a class label"
		}
	}
	doc += "\n\n" + argDocs(p.inputs, p.outs) + "\nA wrong size, a non-finite input or " + bad + " out of range is an error naming the argument; the method never panics on bad input and allocates nothing."
	if returnsLoss {
		lossExpr := p.value(p.g.Loss).Scalar()
		body = append(body, jen.Id("loss").Op(":=").Add(lossExpr))
		if p.method == "TrainStep" {
			body = append(body,
				jen.If(jen.Err().Op(":=").Id("m").Dot("prepareGrads").Call(), jen.Err().Op("!=").Nil()).Block(jen.Return(jen.Id("loss"), jen.Err())),
				jen.Id("m").Dot("update").Call(), jen.Id("m").Dot("Step").Op("++"))
		}
		body = append(body, jen.Return(jen.Id("loss"), jen.Nil()))
		comment(f, doc)
		f.Func().Params(jen.Id("m").Op("*").Id("Model")).Id(p.method).Params(params...).Params(jen.Float32(), jen.Error()).Block(body...)
	} else {
		body = append(body, jen.Return(jen.Nil()))
		comment(f, doc)
		f.Func().Params(jen.Id("m").Op("*").Id("Model")).Id(p.method).Params(params...).Error().Block(body...)
	}
	f.Line()
	return nil
}

func argList(as []*arg) string {
	names := make([]string, len(as))
	for i, a := range as {
		names[i] = a.id
	}
	return strings.Join(names, ", ")
}

// argDocs describes each argument's layout.
func argDocs(ins, outs []*arg) string {
	var b strings.Builder
	line := func(a *arg, what string) {
		n := fmt.Sprint(a.shape.Elems())
		if a.shape.Batched() {
			n = "n×" + n
		}
		fmt.Fprintf(&b, "  - %s: %s %s values, shape %s (%q)\n", a.id, what, n, a.shape, a.name)
	}
	for _, a := range ins {
		what := "input,"
		switch {
		case a.dtype == ir.Int && a.rows > 0 && a.classes > 0:
			what = fmt.Sprintf("class labels in [0, %d) and embedding ids in [0, %d),", a.classes, a.rows)
		case a.dtype == ir.Int && a.rows > 0:
			what = fmt.Sprintf("embedding ids in [0, %d),", a.rows)
		case a.dtype == ir.Int && a.ignoring:
			what = fmt.Sprintf("class labels in [0, %d) or the ignore index %d,", a.classes, a.ignore)
		case a.dtype == ir.Int:
			what = fmt.Sprintf("class labels in [0, %d),", a.classes)
		}
		line(a, what)
	}
	for _, a := range outs {
		line(a, "output,")
	}
	return b.String()
}
