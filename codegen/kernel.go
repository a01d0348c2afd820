package codegen

import (
	"fmt"

	"github.com/dave/jennifer/jen"

	"github.com/dlgen/dlgen/ir"
)

// Emitter appends to k the Go statements that compute k.Node. There is one per op,
// registered from the emit_*.go file of the op's family; a test walks the op table
// and fails on any op that can reach code generation without one.
type Emitter func(k *Kernel) error

// Emitters maps op names to their emitters.
var Emitters = map[string]Emitter{}

func register(op string, e Emitter) {
	if _, dup := Emitters[op]; dup {
		panic("codegen: emitter registered twice: " + op) // a programming error in this package
	}
	Emitters[op] = e
}

// Kernel is what an emitter sees of one node: its operands and result as Values
// (typed views of wherever the program stores them), and the code it writes.
//
// An emitter binds the values it reads and writes (Bind, BindArray) and emits
// statements that use those locals. When it binds every operand and the result, the
// kernel becomes a method of the generated Model whose parameters are the bound
// locals (plus n), and the node's code is one call: kernels with the same body (the
// 32 steps of an unrolled LSTM) share one method, which keeps generated files small.
// Otherwise the kernel is written inline as its own block, so emitters may declare
// short local names (x, y, w) without clashing with other kernels.
type Kernel struct {
	Node  *ir.Node
	prog  *program
	binds []binding
	bound map[int]bool // node IDs bound
	body  []jen.Code
	// method says what the kernel computes when the op's name does not (a fused
	// loop: "BiasAdd+Relu"); its method is named after it (biasAddRelu).
	method string
}

// binding is a local bound to a value: a parameter of the kernel method, or a
// declaration at the top of an inline block.
type binding struct {
	name string
	typ  jen.Code
	val  jen.Code
}

// In returns operand i.
func (k *Kernel) In(i int) Value { return k.prog.value(k.Node.Inputs[i]) }

// Out returns the node's result.
func (k *Kernel) Out() Value { return k.prog.value(k.Node.ID) }

// Emit appends statements to the kernel's code.
func (k *Kernel) Emit(code ...jen.Code) { k.body = append(k.body, code...) }

// Bind binds a local to v's full slice and returns it. Emitters bind every operand
// they read and the result, and refer to values only through the returned locals.
// (Inline, the bindings are one parallel declaration, x, y := <x>, <y>, whose right
// side is evaluated before any of them is in scope, so a local may have the name of
// a method argument: the body never refers to arguments, only to locals.)
func (k *Kernel) Bind(name string, v Value) *jen.Statement {
	return k.bind(name, v, v.sliceType(), v.Slice())
}

// BindArray is Bind for an unbatched value as a pointer to a fixed-size array, so
// loops with constant bounds index it without bounds checks.
func (k *Kernel) BindArray(name string, v Value) *jen.Statement {
	return k.bind(name, v, jen.Op("*").Index(jen.Lit(v.Elems())).Add(v.elemType()), v.Array())
}

// BindInt binds an int local to the expression val: a kernel method parameter for a
// value that differs between calls of one kernel, such as the start of a slice that
// moves with the step of a recurrent loop.
func (k *Kernel) BindInt(name string, val jen.Code) *jen.Statement {
	for _, b := range k.binds {
		if b.name == name {
			panic("codegen: " + k.Node.Op + " emitter binds " + name + " twice") // a bug in the emitter
		}
	}
	k.binds = append(k.binds, binding{name, jen.Int(), val})
	return jen.Id(name)
}

func (k *Kernel) bind(id string, v Value, typ, val jen.Code) *jen.Statement {
	for _, b := range k.binds {
		if b.name == id {
			panic("codegen: " + k.Node.Op + " emitter binds " + id + " twice") // a bug in the emitter
		}
	}
	if k.bound == nil {
		k.bound = map[int]bool{}
	}
	k.bound[v.ID] = true
	k.binds = append(k.binds, binding{id, typ, val})
	return jen.Id(id)
}

// boundAll reports whether every operand and the result were bound.
func (k *Kernel) boundAll() bool {
	if len(k.binds) == 0 || !k.bound[k.Node.ID] {
		return false
	}
	for _, in := range k.Node.Inputs {
		if !k.bound[in] {
			return false
		}
	}
	return true
}

// Step is the expression of the training step counter (dropout streams).
func (k *Kernel) Step() *jen.Statement { return jen.Id("m").Dot("Step") }

// Scratch64 returns a float64 array of size elements that the kernel may use as
// accumulators while it runs; the model reserves one such buffer for all kernels.
func (k *Kernel) Scratch64(size int) *jen.Statement {
	k.notInSegment()
	k.prog.model.scratch64 = max(k.prog.model.scratch64, size)
	return jen.Parens(jen.Op("*").Index(jen.Lit(size)).Float64()).Call(jen.Id("m").Dot("scratch64").Index(jen.Op(":")))
}

// Scratch32 returns a slice of size float32 values that the kernel may use as
// working storage while it runs (the column matrix of a convolution); the model
// reserves one such buffer for all kernels, sized at generation time, and declares it
// only if some kernel asks for it.
func (k *Kernel) Scratch32(size int) *jen.Statement {
	k.notInSegment()
	k.prog.model.scratch32 = max(k.prog.model.scratch32, size)
	return jen.Id("m").Dot("scratch32").Index(jen.Empty(), jen.Lit(size))
}

// Errorf reports a generation error naming the node.
func (k *Kernel) Errorf(format string, args ...any) error {
	return &ir.Error{Layer: k.Node.Layer, Op: k.Node.Op, Msg: "codegen: " + fmt.Sprintf(format, args...)}
}

// Value is a tensor operand as generated code sees it: a []float32 (or []int32 for
// class labels) of n·Elems() values for a batched value, Elems() otherwise.
type Value struct {
	ID    int
	Shape ir.Shape
	DType ir.DType
	slice *jen.Statement // the full slice
	array *jen.Statement // for unbatched values: a *[Elems]T expression
	first *jen.Statement // the first element, for scalars
}

func (v Value) elemType() *jen.Statement {
	if v.DType == ir.Int {
		return jen.Int32()
	}
	return jen.Float32()
}

func (v Value) sliceType() *jen.Statement { return jen.Index().Add(v.elemType()) }

// Scalar is an expression for the first element (the value of a scalar).
func (v Value) Scalar() *jen.Statement {
	if v.first != nil {
		return jen.Add(v.first)
	}
	return v.Slice().Index(jen.Lit(0))
}

// Slice is an expression for the whole value as a slice.
func (v Value) Slice() *jen.Statement { return jen.Add(v.slice) }

// Array is an expression for an unbatched value as a pointer to an array of
// Elems() values.
func (v Value) Array() *jen.Statement {
	if v.array == nil {
		panic("codegen: Array of a batched value") // emitters check Batched first
	}
	return jen.Add(v.array)
}

// Batched reports whether the value has the dynamic batch dimension.
func (v Value) Batched() bool { return v.Shape.Batched() }

// Elems is the number of elements per batch item (all of them when unbatched).
func (v Value) Elems() int { return v.Shape.Elems() }

// Len is an expression for the total number of elements: n·Elems() or Elems().
func (v Value) Len() *jen.Statement { return scaled(v.Batched(), v.Elems()) }

// Prod is an expression for the product of dimensions [from, to) of the shape, with
// the batch dimension written n.
func (v Value) Prod(from, to int) *jen.Statement {
	batched, c := false, 1
	for i := from; i < to; i++ {
		if i == 0 && v.Batched() {
			batched = true
		} else {
			c *= v.Shape[i]
		}
	}
	return scaled(batched, c)
}

// ConstProd is the product of dimensions [from, to), which must not include the batch.
func (v Value) ConstProd(from, to int) int {
	c := 1
	for i := from; i < to; i++ {
		if i == 0 && v.Batched() {
			panic("codegen: ConstProd over the batch dimension")
		}
		c *= v.Shape[i]
	}
	return c
}

// scaled is n·c when batched, else the constant c.
func scaled(batched bool, c int) *jen.Statement {
	switch {
	case !batched:
		return jen.Lit(c)
	case c == 1:
		return jen.Id("n")
	default:
		return jen.Id("n").Op("*").Lit(c)
	}
}

// arrayOf converts a slice expression to a pointer to its first size elements.
func arrayOf(size int, elem jen.Code, slice jen.Code) *jen.Statement {
	return jen.Parens(jen.Op("*").Index(jen.Lit(size)).Add(elem)).Call(slice)
}

// row is the expression (*[size]float32)(s[i*size:]): row i of a slice of rows.
func row(s *jen.Statement, i jen.Code, size int) *jen.Statement {
	var start *jen.Statement
	if size == 1 {
		start = jen.Add(i)
	} else {
		start = jen.Add(i).Op("*").Lit(size)
	}
	return arrayOf(size, jen.Float32(), jen.Add(s).Index(start, jen.Empty()))
}

// loop is `for i := range count { body }`.
func loop(i string, count jen.Code, body ...jen.Code) *jen.Statement {
	return jen.For(jen.Id(i).Op(":=").Range().Add(count)).Block(body...)
}

// f64 is float64(x); f32 is float32(x).
func f64(x jen.Code) *jen.Statement { return jen.Float64().Call(x) }
func f32(x jen.Code) *jen.Statement { return jen.Float32().Call(x) }

// mathFn calls a function of package math.
func mathFn(name string, args ...jen.Code) *jen.Statement {
	return jen.Qual("math", name).Call(args...)
}

const rtPath = "github.com/dlgen/dlgen/rt"

// notInSegment refuses the Model's shared scratch to a kernel inside a segment run by
// ranges of items (segments.go), where several threads would use it at once:
// findSegments admits no op whose kernel asks for it.
func (k *Kernel) notInSegment() {
	if k.prog.shift {
		panic(fmt.Sprintf("codegen: %s (%s) asks for the shared scratch inside a segment run by items", k.Node.Name, k.Node.Op)) // a bug in itemLocal
	}
}
