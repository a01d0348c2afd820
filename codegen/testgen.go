package codegen

import (
	"fmt"

	"github.com/dave/jennifer/jen"

	"github.com/dlgen/dlgen/ir"
)

const gentestPath = "github.com/dlgen/dlgen/internal/gentest"

// emitTest writes model_test.go: an adapter from the typed methods to
// gentest.Model, a test that runs gentest's comparison with the interpreter, a test
// that the hot calls allocate nothing, and benchmarks at MaxBatch and batch 1.
func (m *model) emitTest(predict, loss, train *program) *jen.File {
	f := jen.NewFile(m.opts.Package)
	f.HeaderComment(Header)
	f.ImportName(rtPath, "rt")
	f.ImportName(gentestPath, "gentest")

	self := func() *jen.Statement { return jen.Params(jen.Id("a").Id("adapter")) }
	feedOf := func(a *arg) *jen.Statement {
		if a.dtype == ir.Int {
			return jen.Id("in").Dot("Int").Index(jen.Lit(a.name))
		}
		return jen.Id("in").Dot("Float").Index(jen.Lit(a.name))
	}
	callArgs := func(p *program) []jen.Code {
		args := []jen.Code{jen.Id("n")}
		for _, a := range p.inputs {
			args = append(args, feedOf(a))
		}
		for _, a := range p.outs {
			args = append(args, jen.Id("out").Index(jen.Lit(a.name)))
		}
		return args
	}
	feeds := jen.Id("in").Qual(gentestPath, "Feeds")
	missing := func(method string) jen.Code {
		return jen.Qual("errors", "New").Call(jen.Lit("the package has no " + method))
	}

	comment(f, "adapter presents the typed methods to gentest, which passes inputs by name.")
	f.Type().Id("adapter").Struct(jen.Id("m").Op("*").Id("Model"))
	f.Line()
	f.Func().Add(self()).Id("Init").Params(jen.Id("seed").Uint64()).Error().Block(jen.Return(jen.Id("a").Dot("m").Dot("Init").Call(jen.Id("seed"))))
	f.Func().Add(self()).Id("Params").Params().Index().Qual(rtPath, "Tensor").Block(jen.Return(jen.Id("a").Dot("m").Dot("Params").Call()))
	f.Func().Add(self()).Id("SetThreads").Params(jen.Id("n").Int()).Block(jen.Id("a").Dot("m").Dot("SetThreads").Call(jen.Id("n")))
	if train != nil {
		f.Func().Add(self()).Id("Grads").Params().Index().Qual(rtPath, "Tensor").Block(jen.Return(jen.Id("a").Dot("m").Dot("Grads").Call()))
		f.Func().Add(self()).Id("SetOptimizer").Params(jen.Id("o").Qual(rtPath, "Optimizer")).Block(jen.Id("a").Dot("m").Dot("Optimizer").Op("=").Id("o"))
	} else {
		f.Func().Add(self()).Id("Grads").Params().Index().Qual(rtPath, "Tensor").Block(jen.Return(jen.Nil()))
		f.Func().Add(self()).Id("SetOptimizer").Params(jen.Id("o").Qual(rtPath, "Optimizer")).Block()
	}
	outMap := jen.Id("out").Map(jen.String()).Index().Float32()
	if predict != nil {
		f.Func().Add(self()).Id("Predict").Params(jen.Id("n").Int(), feeds.Clone(), outMap.Clone()).Error().Block(
			jen.Return(jen.Id("a").Dot("m").Dot("Predict").Call(callArgs(predict)...)))
	} else {
		f.Func().Add(self()).Id("Predict").Params(jen.Id("n").Int(), feeds.Clone(), outMap.Clone()).Error().Block(jen.Return(missing("Predict")))
	}
	for _, p := range []*program{loss, train} {
		if p != nil {
			f.Func().Add(self()).Id(p.method).Params(jen.Id("n").Int(), feeds.Clone()).Params(jen.Float32(), jen.Error()).Block(
				jen.Return(jen.Id("a").Dot("m").Dot(p.method).Call(callArgs(p)...)))
		}
	}
	if train == nil {
		for _, name := range []string{"Loss", "TrainStep"} {
			f.Func().Add(self()).Id(name).Params(jen.Id("n").Int(), feeds.Clone()).Params(jen.Float32(), jen.Error()).Block(jen.Return(jen.Lit(0), missing(name)))
		}
	}
	f.Line()

	names, outNames := jen.Dict{}, jen.Dict{}
	for name, a := range m.inArg {
		names[jen.Lit(name)] = jen.Lit(a.id)
	}
	for name, a := range m.outArg {
		outNames[jen.Lit(name)] = jen.Lit(a.id)
	}
	args := jen.Dict{}
	for _, p := range []*program{predict, loss, train} {
		if p == nil {
			continue
		}
		var names []jen.Code
		for _, a := range p.inputs {
			names = append(names, jen.Lit(a.name))
		}
		args[jen.Lit(p.method)] = jen.Values(names...)
	}
	f.Var().Id("config").Op("=").Qual(gentestPath, "Config").Values(jen.Dict{
		jen.Id("Graph"):    jen.Id("GraphJSON").Call(),
		jen.Id("MaxBatch"): jen.Id("MaxBatch"),
		jen.Id("New"):      jen.Func().Params().Qual(gentestPath, "Model").Block(jen.Return(jen.Id("adapter").Values(jen.Id("New").Call()))),
		jen.Id("Predict"):  jen.Lit(predict != nil),
		jen.Id("Train"):    jen.Lit(train != nil),
		jen.Id("ArgNames"): jen.Map(jen.String()).String().Values(names),
		jen.Id("OutNames"): jen.Map(jen.String()).String().Values(outNames),
		jen.Id("Args"):     jen.Map(jen.String()).Index().String().Values(args),
	})
	f.Line()

	comment(f, fmt.Sprintf("TestMatchesTheInterpreter compares every method with the float64 interpreter\n(tolerance gentest.Tolerance, relative to each tensor's largest value) at batch sizes\n%v.", "1, 7 and MaxBatch"))
	f.Func().Id("TestMatchesTheInterpreter").Params(jen.Id("t").Op("*").Qual("testing", "T")).Block(
		jen.Qual(gentestPath, "Run").Call(jen.Id("t"), jen.Id("config")))
	f.Line()

	comment(f, "TestThreadsGiveTheBitsOfOne runs every method on 2 and 3 threads and on one, at batch\nsizes 1, 2, 3 and MaxBatch, and requires the same bits.")
	f.Func().Id("TestThreadsGiveTheBitsOfOne").Params(jen.Id("t").Op("*").Qual("testing", "T")).Block(
		jen.Qual(gentestPath, "Threads").Call(jen.Id("t"), jen.Id("config")))
	f.Line()

	// Typed variables for the hot-call tests and benchmarks, named <argument>Arg so
	// that no argument name shadows t, b, m or in.
	declare := func(n jen.Code, tb string) []jen.Code {
		code := []jen.Code{
			jen.Id("m").Op(":=").Id("New").Call(),
			jen.Id("in").Op(":=").Qual(gentestPath, "Inputs").Call(jen.Id(tb), jen.Id("config"), n, jen.Lit(1)),
		}
		for _, name := range m.g.Inputs() {
			a := m.inArg[name.Name]
			code = append(code, jen.Id(a.id+"Arg").Op(":=").Add(feedOf(a)))
		}
		for _, o := range m.g.Outputs {
			a := m.outArg[o.Name]
			code = append(code, jen.Id(a.id+"Arg").Op(":=").Make(jen.Index().Float32(), jen.Add(n).Op("*").Lit(a.shape.Elems())))
		}
		// Unused when a method does not read every input.
		for _, name := range m.g.Inputs() {
			code = append(code, jen.Id("_").Op("=").Id(m.inArg[name.Name].id+"Arg"))
		}
		for _, o := range m.g.Outputs {
			code = append(code, jen.Id("_").Op("=").Id(m.outArg[o.Name].id+"Arg"))
		}
		return code
	}
	typedCall := func(p *program, n jen.Code, fail string) jen.Code {
		args := []jen.Code{n}
		for _, a := range p.inputs {
			args = append(args, jen.Id(a.id+"Arg"))
		}
		for _, a := range p.outs {
			args = append(args, jen.Id(a.id+"Arg"))
		}
		call := jen.Id("m").Dot(p.method).Call(args...)
		if p.method == "Predict" {
			return jen.If(jen.Err().Op(":=").Add(call), jen.Err().Op("!=").Nil()).Block(jen.Id(fail).Dot("Fatal").Call(jen.Err()))
		}
		return jen.If(jen.List(jen.Id("_"), jen.Err()).Op(":=").Add(call), jen.Err().Op("!=").Nil()).Block(jen.Id(fail).Dot("Fatal").Call(jen.Err()))
	}

	allocBody := declare(jen.Id("MaxBatch"), "t")
	// The Go runtime's first garbage collection starts its background mark workers,
	// which allocates (8 objects on two processors); if it fell inside a measurement,
	// a call that allocates nothing would be charged with them. Collecting once first
	// leaves only the calls' own allocations to count.
	allocBody = append(allocBody,
		jen.Comment("The runtime's first garbage collection allocates (it starts the mark workers):"),
		jen.Comment("collect once first, so that only the calls' own allocations are counted."),
		jen.Qual("runtime", "GC").Call())
	for _, p := range []*program{predict, loss, train} {
		if p == nil {
			continue
		}
		allocBody = append(allocBody,
			jen.If(jen.Id("allocs").Op(":=").Qual("testing", "AllocsPerRun").Call(jen.Lit(5), jen.Func().Params().Block(typedCall(p, jen.Id("MaxBatch"), "t"))),
				jen.Id("allocs").Op("!=").Lit(0)).Block(
				jen.Id("t").Dot("Errorf").Call(jen.Lit(p.method+" allocates %v times per call, want 0"), jen.Id("allocs"))))
	}
	comment(f, "TestHotCallsDoNotAllocate requires zero allocations per call (after the first,\nwhich may allocate the optimizer state).")
	f.Func().Id("TestHotCallsDoNotAllocate").Params(jen.Id("t").Op("*").Qual("testing", "T")).Block(allocBody...)
	f.Line()

	for _, p := range []*program{predict, train} {
		if p == nil {
			continue
		}
		body := append(declare(jen.Id("n"), "b"), jen.Id("b").Dot("ReportAllocs").Call(),
			jen.For(jen.Id("b").Dot("Loop").Call()).Block(typedCall(p, jen.Id("n"), "b")))
		comment(f, fmt.Sprintf("Benchmark%s measures %s at MaxBatch and at batch 1.", p.method, p.method))
		f.Func().Id("Benchmark" + p.method).Params(jen.Id("b").Op("*").Qual("testing", "B")).Block(
			jen.For(jen.List(jen.Id("_"), jen.Id("n")).Op(":=").Range().Index().Int().Values(jen.Id("MaxBatch"), jen.Lit(1))).Block(
				jen.Id("b").Dot("Run").Call(jen.Qual("fmt", "Sprintf").Call(jen.Lit("n=%d"), jen.Id("n")), jen.Func().Params(jen.Id("b").Op("*").Qual("testing", "B")).Block(body...)),
			))
		f.Line()
	}
	return f
}
