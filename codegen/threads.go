package codegen

import "github.com/dave/jennifer/jen"

// The generated Model computes its matrix products (rt.GemmP, and rt.Conv2DP & co.,
// which call it) on a thread pool it owns: m.pool, rt.NewPool(0) in New, i.e. one
// thread per GOMAXPROCS. rt.Pool.Gemm gives the bits of rt.Gemm for any number of
// threads, so the results do not depend on the thread count either; SetThreads(1)
// is the single-thread path without helper goroutines. Everything else (element-wise
// loops, im2col, pooling) runs on the caller.

// poolField is the Model's pool field.
func poolField() []jen.Code {
	return []jen.Code{
		cmt("pool runs the matrix products (nil after Close: the calling goroutine alone)."),
		jen.Id("pool").Op("*").Qual(rtPath, "Pool"),
	}
}

// poolNew creates the pool in New.
func poolNew() jen.Code {
	return jen.Id("m").Dot("pool").Op("=").Qual(rtPath, "NewPool").Call(jen.Lit(0))
}

// pooled is the pool argument of the rt calls that take one.
func pooled() *jen.Statement { return jen.Id("m").Dot("pool") }

// emitThreads writes SetThreads, Threads and Close.
func emitThreads(f *jen.File, sizing []jen.Code) {
	model := func() *jen.Statement { return jen.Id("m").Op("*").Id("Model") }
	comment(f, "SetThreads makes the model compute its matrix products on n threads (the caller\nand n-1 goroutines); n ≤ 0 means runtime.GOMAXPROCS(0), New's choice. The results\nare the same bit for bit for every n: the products are split on the boundaries of\nrt.Gemm's micro-tiles, and every value is computed as on one thread.")
	f.Func().Params(model()).Id("SetThreads").Params(jen.Id("n").Int()).Block(append([]jen.Code{
		jen.If(jen.Id("m").Dot("pool").Op("!=").Nil()).Block(jen.Id("m").Dot("pool").Dot("Close").Call()),
		jen.Id("m").Dot("pool").Op("=").Qual(rtPath, "NewPool").Call(jen.Id("n")),
	}, sizing...)...)
	f.Line()
	comment(f, "Threads reports how many threads the matrix products run on.")
	f.Func().Params(model()).Id("Threads").Params().Int().Block(
		jen.If(jen.Id("m").Dot("pool").Op("==").Nil()).Block(jen.Return(jen.Lit(1))),
		jen.Return(jen.Id("m").Dot("pool").Dot("Threads").Call()),
	)
	f.Line()
	comment(f, "Close stops the goroutines of the model's thread pool (the runtime also does when\nthe model becomes unreachable). The model stays usable, on one thread, until\nSetThreads.")
	f.Func().Params(model()).Id("Close").Params().Block(
		jen.If(jen.Id("m").Dot("pool").Op("!=").Nil()).Block(
			jen.Id("m").Dot("pool").Dot("Close").Call(),
			jen.Id("m").Dot("pool").Op("=").Nil()),
	)
	f.Line()
}
