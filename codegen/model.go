package codegen

import (
	"fmt"

	"github.com/dave/jennifer/jen"

	"github.com/dlgen/dlgen/rt"
)

// emitModel writes model.go: the Model type with all its storage, New, Init, the
// parameter, gradient and optimizer-state views, the optimizer update, and the
// embedded graph.
func (m *model) emitModel(predict, loss, train *program) *jen.File {
	f := m.newFile()
	f.PackageComment(lineComments(fmt.Sprintf("Package %s is the dlgen-generated code of model %q: forward, backward and optimizer step\nspecialised to its shapes, allocation-free after New. See dlgen's codegen/doc.go for the layout.", m.opts.Package, m.g.Name)))
	f.Anon("embed")

	comment(f, "MaxBatch is the largest batch size n the methods accept; it sizes the arena.")
	f.Const().Id("MaxBatch").Op("=").Lit(m.opts.MaxBatch)
	f.Line()
	comment(f, "arenaSize is the number of float32 values of intermediate storage, planned for\nMaxBatch: values whose lifetimes do not overlap share space.")
	f.Const().Id("arenaSize").Op("=").Lit(m.arenaSize)
	f.Line()
	comment(f, "//go:embed "+GraphFile)
	f.Var().Id("graphJSON").String()
	f.Line()
	comment(f, "GraphJSON returns the model's IR as the builder made it (read it with ir.Decode);\ntests rebuild the reference interpreter from it.")
	f.Func().Id("GraphJSON").Params().String().Block(jen.Return(jen.Id("graphJSON")))
	f.Line()

	// The struct.
	var fields []jen.Code
	training := train != nil
	if training {
		fields = append(fields,
			cmt("Optimizer updates the weights at the end of TrainStep."),
			jen.Id("Optimizer").Qual(rtPath, "Optimizer"))
	}
	fields = append(fields,
		cmt("Step counts the training steps taken. It selects the random draws (dropout masks,\nnoise: the same as interp.Machine.Step) and the optimizer's first step."),
		jen.Id("Step").Uint64(),
		jen.Line(),
	)
	for _, p := range m.params {
		role := "state, updated by its op"
		if p.weight {
			role = "weight"
		}
		fields = append(fields, jen.Id(p.field).Index(jen.Lit(p.elems)).Float32().Comment(fmt.Sprintf("%s %s, %s", p.node.Name, p.node.Shape, role)))
	}
	fields = append(fields, m.derived.structFields(m.infer)...)
	fields = append(fields, train.trainPackFields()...)
	fields = append(fields, predict.itemFields()...)
	fields = append(fields, loss.segmentFields()...)
	fields = append(fields, train.segmentFields()...)
	if training {
		fields = append(fields, jen.Line())
		for _, p := range m.weights {
			fields = append(fields, jen.Id(p.gradField).Index(jen.Lit(p.elems)).Float32().Comment("gradient of "+p.node.Name))
		}
		fields = append(fields, jen.Line(),
			cmt("optState holds the optimizer's slots for every weight: weight w's are\noptState[k·off(w) : k·(off(w)+len(w))], k = len(Optimizer.Slots())."),
			jen.Id("optState").Index().Float32(),
			jen.Line(),
			cmt("ClipValue, when positive, clamps every gradient element into [-ClipValue,\nClipValue] before the update (torch.nn.utils.clip_grad_value_)."),
			jen.Id("ClipValue").Float32(),
			cmt("ClipNorm, when positive, then scales all the gradients together to a global\nL2 norm of at most ClipNorm (torch.nn.utils.clip_grad_norm_)."),
			jen.Id("ClipNorm").Float64(),
			cmt("Monitor makes TrainStep record the L2 norm of every weight's gradient\n(GradNorms)."),
			jen.Id("Monitor").Bool(),
			cmt("GradNorm is the global L2 norm of the last TrainStep's gradients, before\nclipping."),
			jen.Id("GradNorm").Float64(),
			jen.Line(),
			jen.Id("gradData").Index().Index().Float32().Comment("the gradient arrays, for rt.PrepareGrads"),
			jen.Id("gradNorms").Index(jen.Lit(len(m.weights))).Float64(),
			jen.Id("nonFinite").Qual(rtPath, "NonFiniteError"),
		)
	}
	if app, _ := m.appShape(predict, loss, train); app != nil && app.IDs > 0 {
		fields = append(fields, jen.Line(),
			cmt("appIDs holds the int ids that app.go converts from train's float32 values."),
			jen.Id("appIDs").Index(jen.Id("MaxBatch").Op("*").Lit(app.IDs)).Int32())
	}
	fields = append(fields, jen.Line())
	fields = append(fields, poolField()...)
	fields = append(fields,
		cmt("scratch64 holds float64 accumulators for whichever kernel is running."),
		jen.Id("scratch64").Index(jen.Lit(max(m.scratch64, 1))).Float64(),
	)
	if m.scratch32 > 0 {
		fields = append(fields,
			cmt("scratch32 is float32 working storage for whichever kernel is running (the\ncolumn matrix of a convolution)."),
			jen.Id("scratch32").Index(jen.Lit(m.scratch32)).Float32())
	}
	fields = append(fields,
		cmt("arena holds every intermediate value, at offsets fixed by the memory plan."),
		jen.Id("arena").Index(jen.Id("arenaSize")).Float32(),
		jen.Line(),
		jen.Id("params").Index().Qual(rtPath, "Tensor"),
	)
	if training {
		fields = append(fields, jen.Id("grads").Index().Qual(rtPath, "Tensor"))
	}
	comment(f, fmt.Sprintf("Model is model %q with its parameters%s and all\nintermediate storage, allocated once by New. A Model is not safe for concurrent use.",
		m.g.Name, map[bool]string{true: ", gradients, optimizer state", false: ""}[training]))
	f.Type().Id("Model").Struct(fields...)
	f.Line()

	// New.
	tensors := func(grad bool) jen.Code {
		var items []jen.Code
		for _, p := range m.params {
			if grad && !p.weight {
				continue
			}
			field := p.field
			if grad {
				field = p.gradField
			}
			var dims []jen.Code
			for _, d := range p.node.Shape {
				dims = append(dims, jen.Lit(d))
			}
			items = append(items, jen.Values(
				jen.Id("Name").Op(":").Lit(p.node.Name),
				jen.Id("Shape").Op(":").Index().Int().Values(dims...),
				jen.Id("Data").Op(":").Id("m").Dot(field).Index(jen.Op(":")),
			))
		}
		return jen.Index().Qual(rtPath, "Tensor").Values(items...)
	}
	newBody := []jen.Code{}
	if training {
		newBody = append(newBody, jen.Id("m").Op(":=").Op("&").Id("Model").Values(jen.Dict{
			jen.Id("Optimizer"): jen.Qual(rtPath, "SGD").Values(jen.Dict{jen.Id("LR"): jen.Lit(0.01)}),
		}))
	} else {
		newBody = append(newBody, jen.Id("m").Op(":=").New(jen.Id("Model")))
	}
	newBody = append(newBody, poolNew(), jen.Id("m").Dot("params").Op("=").Add(tensors(false)))
	newBody = append(newBody, predict.itemsNew()...)
	newBody = append(newBody, predict.itemsThreads()...)
	newBody = append(newBody, loss.segmentsNew()...)
	newBody = append(newBody, train.segmentsNew()...)
	if training {
		newBody = append(newBody, jen.Id("m").Dot("grads").Op("=").Add(tensors(true)))
		var data []jen.Code
		for _, p := range m.weights {
			data = append(data, jen.Id("m").Dot(p.gradField).Index(jen.Op(":")))
		}
		newBody = append(newBody, jen.Id("m").Dot("gradData").Op("=").Index().Index().Float32().Values(data...))
	}
	newBody = append(newBody,
		cmt("The initializers were checked when this package was generated, so Init cannot fail."),
		jen.Id("_").Op("=").Id("m").Dot("Init").Call(jen.Lit(0)),
		jen.Return(jen.Id("m")))
	opt := ""
	if training {
		opt = " The optimizer is plain SGD with learning rate 0.01 until\nyou set m.Optimizer."
	}
	comment(f, "New allocates a model, its parameters initialized with Init(0)."+opt)
	f.Func().Id("New").Params().Op("*").Id("Model").Block(newBody...)
	f.Line()
	emitThreads(f, predict.itemsThreads())

	// Init.
	var initBody []jen.Code
	for _, p := range m.params {
		in := p.node.Attrs.Init
		initBody = append(initBody, jen.If(jen.Err().Op(":=").Qual(rtPath, "InitParam").Call(
			jen.Id("m").Dot(p.field).Index(jen.Op(":")), jen.Lit(in.Kind), jen.Lit(in.FanIn), jen.Lit(in.FanOut), jen.Lit(in.Value),
			jen.Id("seed"), jen.Lit(p.node.Name)), jen.Err().Op("!=").Nil()).Block(jen.Return(jen.Err())))
		if len(in.ZeroRows) > 0 {
			row := p.elems / p.node.Shape[0]
			initBody = append(initBody, jen.Comment(fmt.Sprintf("The zero rows of %s (an embedding's padding row).", p.node.Name)))
			for _, r := range in.ZeroRows {
				initBody = append(initBody, jen.Clear(jen.Id("m").Dot(p.field).Index(jen.Lit(r*row), jen.Lit((r+1)*row))))
			}
		}
	}
	initBody = append(initBody, m.derived.invalidate()...)
	initBody = append(initBody, jen.Id("m").Dot("Step").Op("=").Lit(0))
	if training {
		initBody = append(initBody, jen.Clear(jen.Id("m").Dot("optState")))
	}
	initBody = append(initBody, jen.Return(jen.Nil()))
	comment(f, "Init sets every parameter from its initializer under seed, to the same values as\ninterp.New(graph, seed) (rounded to float32)"+map[bool]string{true: ", and resets Step and the optimizer state", false: ", and resets Step"}[training]+".")
	f.Func().Params(jen.Id("m").Op("*").Id("Model")).Id("Init").Params(jen.Id("seed").Uint64()).Error().Block(initBody...)
	f.Line()

	paramsDoc := "Params returns every parameter (weights and state such as batch-norm running\nstatistics) in the graph's order, named as in the graph. Data are views of the model's\nstorage: writing them sets the parameters."
	if m.derived != nil {
		paramsDoc += fmt.Sprintf("\n\nPredict and Loss use values computed from the parameters (%s) until Params, Init,\nLoadWeights or TrainStep is called: after writing through views kept from an earlier\ncall, call Params again before predicting.", m.derived.method)
	}
	comment(f, paramsDoc)
	f.Func().Params(jen.Id("m").Op("*").Id("Model")).Id("Params").Params().Index().Qual(rtPath, "Tensor").Block(
		append(m.derived.invalidate(), jen.Return(jen.Id("m").Dot("params")))...)
	f.Line()
	if !training {
		return f
	}
	comment(f, "Grads returns the gradient of every weight from the last TrainStep, in the order\nof Params with the state parameters left out.")
	f.Func().Params(jen.Id("m").Op("*").Id("Model")).Id("Grads").Params().Index().Qual(rtPath, "Tensor").Block(jen.Return(jen.Id("m").Dot("grads")))
	f.Line()

	comment(f, "GradNorms returns the L2 norm of every weight's gradient in the last TrainStep,\nbefore clipping, in the order of Grads, when m.Monitor is set (zeros otherwise). It\nis a view of the model's storage, overwritten by the next step.")
	f.Func().Params(jen.Id("m").Op("*").Id("Model")).Id("GradNorms").Params().Index().Float64().Block(jen.Return(jen.Id("m").Dot("gradNorms").Index(jen.Op(":"))))
	f.Line()
	comment(f, "prepareGrads measures, checks and clips the gradients between the backward pass\nand the update (rt.PrepareGrads): it sets GradNorm (and GradNorms with Monitor), and\nreturns an *rt.NonFiniteError naming the weight when a gradient holds a NaN or an\ninfinity, in which case the caller skips the update.")
	f.Func().Params(jen.Id("m").Op("*").Id("Model")).Id("prepareGrads").Params().Error().Block(
		jen.Var().Id("norms").Index().Float64(),
		jen.If(jen.Id("m").Dot("Monitor")).Block(jen.Id("norms").Op("=").Id("m").Dot("gradNorms").Index(jen.Op(":"))),
		jen.List(jen.Id("norm"), jen.Id("t"), jen.Id("i")).Op(":=").Qual(rtPath, "PrepareGrads").Call(jen.Id("m").Dot("gradData"), jen.Id("norms"), jen.Id("m").Dot("ClipValue"), jen.Id("m").Dot("ClipNorm")),
		jen.Id("m").Dot("GradNorm").Op("=").Id("norm"),
		jen.If(jen.Id("t").Op(">=").Lit(0)).Block(
			jen.Id("m").Dot("nonFinite").Op("=").Qual(rtPath, "NonFiniteError").Values(jen.Dict{
				jen.Id("Method"): jen.Lit(m.opts.Package + ".TrainStep"),
				jen.Id("Param"):  jen.Id("m").Dot("grads").Index(jen.Id("t")).Dot("Name"),
				jen.Id("Index"):  jen.Id("i"),
				jen.Id("Value"):  jen.Id("m").Dot("gradData").Index(jen.Id("t")).Index(jen.Id("i")),
			}),
			jen.Return(jen.Op("&").Id("m").Dot("nonFinite"))),
		jen.Return(jen.Nil()),
	)
	f.Line()

	// Optimizer state.
	comment(f, "optimizerState returns the optimizer's state, allocating it (zeroed) the first\ntime and whenever the optimizer's number of slots changes.")
	f.Func().Params(jen.Id("m").Op("*").Id("Model")).Id("optimizerState").Params().Index().Float32().Block(
		jen.If(jen.Id("need").Op(":=").Len(jen.Id("m").Dot("Optimizer").Dot("Slots").Call()).Op("*").Lit(m.weightElems), jen.Len(jen.Id("m").Dot("optState")).Op("!=").Id("need")).Block(
			jen.Id("m").Dot("optState").Op("=").Make(jen.Index().Float32(), jen.Id("need"))),
		jen.Return(jen.Id("m").Dot("optState")),
	)
	f.Line()
	var stateItems []jen.Code
	var update []jen.Code
	if len(m.weights) > 0 {
		update = append(update,
			jen.Id("state").Op(":=").Id("m").Dot("optimizerState").Call(),
			jen.Id("k").Op(":=").Len(jen.Id("m").Dot("Optimizer").Dot("Slots").Call()),
		)
	}
	for _, p := range m.weights {
		lo := jen.Id("k").Op("*").Lit(p.offset)
		hi := jen.Id("k").Op("*").Lit(p.offset + p.elems)
		args := []jen.Code{jen.Id("m").Dot("Step"),
			jen.Id("m").Dot(p.field).Index(jen.Op(":")), jen.Id("m").Dot(p.gradField).Index(jen.Op(":")), jen.Id("state").Index(lo, hi)}
		if p.elems >= rt.UpdateSplitMin {
			// Large weights are updated on the pool's threads (rt.UpdateP).
			update = append(update, jen.Qual(rtPath, "UpdateP").Call(append([]jen.Code{pooled(), jen.Id("m").Dot("Optimizer")}, args...)...))
		} else {
			update = append(update, jen.Id("m").Dot("Optimizer").Dot("Update").Call(args...))
		}
		var dims []jen.Code
		for _, d := range p.node.Shape {
			dims = append(dims, jen.Lit(d))
		}
		stateItems = append(stateItems, jen.Qual(rtPath, "Tensor").Values(
			jen.Id("Name").Op(":").Lit("optim."+p.node.Name+".").Op("+").Id("slot"),
			jen.Id("Shape").Op(":").Index().Int().Values(dims...),
			jen.Id("Data").Op(":").Id("state").Index(jen.Id("k").Op("*").Lit(p.offset).Op("+").Id("s").Op("*").Lit(p.elems), jen.Id("k").Op("*").Lit(p.offset).Op("+").Parens(jen.Id("s").Op("+").Lit(1)).Op("*").Lit(p.elems)),
		))
	}
	comment(f, "update applies the optimizer to every weight.")
	f.Func().Params(jen.Id("m").Op("*").Id("Model")).Id("update").Params().Block(update...)
	f.Line()
	comment(f, "OptimizerState returns the optimizer's state as one tensor per weight and slot,\nnamed \"optim.<weight>.<slot>\" (rt/safetensors' checkpoint convention), as views of\nthe model's storage. It allocates the state if no step has yet.")
	if len(m.weights) == 0 {
		f.Func().Params(jen.Id("m").Op("*").Id("Model")).Id("OptimizerState").Params().Index().Qual(rtPath, "Tensor").Block(jen.Return(jen.Nil()))
		return f
	}
	f.Func().Params(jen.Id("m").Op("*").Id("Model")).Id("OptimizerState").Params().Index().Qual(rtPath, "Tensor").Block(
		jen.Id("state").Op(":=").Id("m").Dot("optimizerState").Call(),
		jen.Id("slots").Op(":=").Id("m").Dot("Optimizer").Dot("Slots").Call(),
		jen.Id("k").Op(":=").Len(jen.Id("slots")),
		jen.Var().Id("out").Index().Qual(rtPath, "Tensor"),
		jen.For(jen.List(jen.Id("s"), jen.Id("slot")).Op(":=").Range().Id("slots")).Block(
			jen.Id("out").Op("=").Append(append([]jen.Code{jen.Id("out")}, stateItems...)...),
		),
		jen.Return(jen.Id("out")),
	)
	return f
}
