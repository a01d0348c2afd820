package codegen

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/dave/jennifer/jen"

	"github.com/dlgen/dlgen/ir"
	"github.com/dlgen/dlgen/passes"
	"github.com/dlgen/dlgen/rt"
)

// model is everything Generate knows about the package it writes.
type model struct {
	g       *ir.Graph // the user's graph
	opts    Options
	infer   *ir.Graph // compiled for inference
	train   *ir.Graph // compiled for training (nil without Options.Train or a loss)
	params  []*param  // in the order of the user's graph
	byName  map[string]*param
	weights []*param // the trainable subset, in the same order
	// weightElems is the number of elements of all weights together (the optimizer
	// state holds Slots() times as many).
	weightElems int

	fields *namer          // struct fields and methods of Model
	args   *namer          // method arguments (inputs and outputs share one namespace)
	inArg  map[string]*arg // by input name
	outArg map[string]*arg // by output name (may repeat an input's name)

	progs     []*program
	arenaSize int
	derived   *derivedValues // values computed from parameters alone (derived.go), or nil
	scratch64 int            // float64 accumulators kernels asked for (Kernel.Scratch64)
	scratch32 int            // float32 working storage kernels asked for (Kernel.Scratch32)

	kernelFuncs map[string]*kernelFunc // by rendered parameters and body
	kernelList  []*kernelFunc          // in order of first use
}

// param is one parameter of the model and the struct fields that hold it.
type param struct {
	node      *ir.Node // in the user's graph
	field     string   // the Go field holding its values
	gradField string   // the Go field holding its gradient (weights only)
	weight    bool
	elems     int
	offset    int // position among the weights, for the optimizer state
}

// arg is a method argument: a model input or (for Predict) an output.
type arg struct {
	name    string // IR name
	id      string // Go identifier
	dtype   ir.DType
	shape   ir.Shape
	classes int // for class-label inputs: the number of classes, checked on entry
	// For class labels: the ignore index accepted besides the classes (ignoring),
	// when every loss reading them has that one (PyTorch's ignore_index).
	ignore   int
	ignoring bool
	rows     int // for ids: the rows of the embedding weight they select, checked on entry
}

func (a *arg) goType() jen.Code {
	if a.dtype == ir.Int {
		return jen.Index().Int32()
	}
	return jen.Index().Float32()
}

// program is the code of one method: the nodes it computes, in order, and where
// each value lives.
type program struct {
	model  *model
	method string // Predict, Loss or TrainStep
	g      *ir.Graph
	order  []int // nodes to emit, in execution order
	plan   *passes.MemPlan
	inputs []*arg         // input arguments, in graph order
	outs   []*arg         // output arguments (Predict)
	outIDs []int          // the node of each output
	argOf  map[int]*arg   // Input node → argument
	param  map[int]*param // Param node → parameter
	// Results computed straight into the caller's output or into a gradient buffer:
	// root node → where.
	storeOut  map[int]*arg
	storeGrad map[int]*param
	// batchNormChecks lists RunningUpdate nodes that divide by m-1 (m the values per
	// channel), which the method must refuse for a batch that makes m = 1.
	unbiased []*ir.Node
	// fields holds the roots stored in Model fields rather than the arena: the
	// derived values of the inference graph (derived.go).
	fields map[int]string
	// fused holds the element-wise groups by root (fuse.go).
	fused map[int]*fusion
	// winnersOf maps an activation that is not stored to the max pool whose
	// convolution kernel stores its windows' winners in its place (fuse_conv.go).
	winnersOf map[int]int
	// loops is the step analysis of recurrent layers (loops.go); loop is the loop
	// being emitted, if any.
	loops *loopState
	loop  *loopCtx
	// reads and inPlace, when set before planning, are passed to passes.Plan as
	// PlanRequest.Reads and InPlace (by node of g).
	reads, inPlace map[int][]int
	// trainPacks are TrainStep's product operands packed once per call
	// (trainpack.go), by operand; trainPackList in the order they are found.
	trainPacks    map[trainPackKey]*trainPack
	trainPackList []*trainPack
	// itemSplit: Predict runs by ranges of items on several threads (items.go);
	// rows is set while the per-range method is emitted, whose batched values
	// start b0 rows into their storage.
	itemSplit, rows bool
	items           itemNames
	// segments are TrainStep's stretches run by ranges of items (segments.go), with
	// the Model fields that pass them the call's arguments; shift is set while a
	// segment's method is emitted, whose batched values start b0 rows into their
	// storage.
	segments []*segment
	segArgs  map[*arg]string
	shift    bool
}

func newModel(g *ir.Graph, opts Options) (*model, error) {
	m := &model{
		g: g, opts: opts, byName: map[string]*param{}, inArg: map[string]*arg{}, outArg: map[string]*arg{},
		fields: newNamer("Optimizer", "Step", "Init", "Params", "Grads", "Predict", "Loss", "TrainStep",
			"OptimizerState", "arena", "scratch64", "scratch32", "optState", "params", "grads", "update", "optimizerState",
			"ClipValue", "ClipNorm", "Monitor", "GradNorm", "GradNorms", "gradData", "gradNorms", "nonFinite", "prepareGrads"),
		args: newNamer("n", "m", "err", "rt", "math", "fmt", "embed", "method", "loss", loopVar),
	}
	for _, p := range g.Params() {
		in := p.Attrs.Init
		// Check the initializer now, so that the generated Init cannot fail.
		if err := rt.InitParam([]float64{}, in.Kind, in.FanIn, in.FanOut, in.Value, 0, p.Name); err != nil {
			return nil, &ir.Error{Layer: p.Layer, Op: p.Op, Msg: err.Error()}
		}
		pp := &param{node: p, field: m.fields.name(p.Name, false), weight: p.Attrs.Role == ir.RoleWeight, elems: p.Shape.Elems()}
		m.params = append(m.params, pp)
		m.byName[p.Name] = pp
	}
	for _, p := range m.params {
		if p.weight {
			p.gradField = m.fields.name(p.node.Name+" grad", false)
			p.offset = m.weightElems
			m.weightElems += p.elems
			m.weights = append(m.weights, p)
		}
	}
	for _, n := range g.Inputs() {
		m.inArg[n.Name] = &arg{name: n.Name, id: m.args.name(n.Name, false), dtype: dtypeOf(n), shape: n.Shape}
	}
	for _, o := range g.Outputs {
		if _, dup := m.outArg[o.Name]; dup {
			return nil, fmt.Errorf("codegen: two outputs are named %q", o.Name)
		}
		m.outArg[o.Name] = &arg{name: o.Name, id: m.args.name(o.Name, false), dtype: ir.Float, shape: g.Nodes[o.ID].Shape}
	}
	return m, nil
}

func dtypeOf(n *ir.Node) ir.DType {
	if n.Attrs.DType == ir.Int {
		return ir.Int
	}
	return ir.Float
}

// newProgram plans the method that computes roots of g. outputs are Predict's
// results (written to the caller's slices), grads are TrainStep's.
func (m *model) newProgram(method string, g *ir.Graph, roots []int, outputs []ir.Output, grads []ir.Grad) (*program, error) {
	p := &program{model: m, method: method, g: g, argOf: map[int]*arg{}, param: map[int]*param{},
		storeOut: map[int]*arg{}, storeGrad: map[int]*param{}}
	if m.derived != nil && g == m.infer {
		p.fields = m.derived.field
	}
	live := passes.Live(g, roots)
	for _, n := range g.Nodes {
		if !live[n.ID] {
			continue
		}
		switch n.Op {
		case ir.OpInput:
			a := m.inArg[n.Name]
			if a == nil {
				return nil, fmt.Errorf("codegen: %s reads input %q, which the user's graph does not have", method, n.Name)
			}
			p.argOf[n.ID] = a
			p.inputs = append(p.inputs, a)
		case ir.OpParam:
			pp := m.byName[n.Name]
			if pp == nil || !pp.node.Shape.Equal(n.Shape) {
				return nil, fmt.Errorf("codegen: %s reads parameter %q, which the user's graph does not have with shape %s", method, n.Name, n.Shape)
			}
			p.param[n.ID] = pp
		default:
			if p.fields != nil && method != m.derived.method && m.derived.hoisted[n.ID] {
				continue // computed by deriveParams
			}
			if _, ok := Emitters[n.Op]; !ok {
				return nil, &ir.Error{Layer: n.Layer, Op: n.Op, Msg: "codegen: no emitter for this op yet"}
			}
			if err := checkAttrs(n); err != nil {
				return nil, err
			}
			p.order = append(p.order, n.ID)
		}
	}
	var keep []int
	for _, o := range outputs {
		keep = append(keep, o.ID)
	}
	for _, gr := range grads {
		keep = append(keep, gr.ID)
	}
	if g.Loss >= 0 && live[g.Loss] {
		keep = append(keep, g.Loss)
	}
	// Recurrent steps (loops.go): slices copied into the steps that read them, sums
	// of slice gradients computed in place, values of every step in families.
	var err error
	if g, p.order, err = splitStepSlices(g, p.order, keep); err != nil {
		return nil, err
	}
	p.g = g
	p.segArgs = map[*arg]string{}
	p.loops = &loopState{fam: map[int]*family{}, runs: map[int]*loopRun{}, stepProd: map[int]*stepProduct{}, stepSum: map[int]*stepSum{}, edge: map[*stepGroup]bool{}, maxBatch: m.opts.MaxBatch}
	p.loops.chainOf = findChains(g, p.order, keep)
	if !m.opts.NoFusion {
		p.fuse(keep)
		g = p.g
	}
	root := storageRoots(g, p.order, p.loops.chainOf)
	p.loops.groupOf, p.loops.seqs = stepGroups(g, p.order)
	p.loops.findFamilies(g, p.order, root, keep)

	computed := map[int]bool{}
	for _, id := range p.order {
		computed[id] = true
	}
	count := map[int]int{}
	for _, o := range outputs {
		count[root[o.ID]]++
	}
	for _, gr := range grads {
		count[root[gr.ID]]++
	}
	for _, o := range outputs {
		a := m.outArg[o.Name]
		p.outs = append(p.outs, a)
		p.outIDs = append(p.outIDs, o.ID)
		if r := root[o.ID]; computed[r] && count[r] == 1 && p.loops.fam[r] == nil && g.Nodes[r].Shape.Batched() == g.Nodes[o.ID].Shape.Batched() {
			p.storeOut[r] = a
		}
	}
	for _, gr := range grads {
		if r := root[gr.ID]; computed[r] && count[r] == 1 && p.loops.fam[r] == nil && !g.Nodes[r].Shape.Batched() {
			p.storeGrad[r] = m.byName[g.Nodes[gr.Of].Name]
		}
	}
	arena := make([]bool, len(g.Nodes))
	for _, id := range p.order {
		if r := root[id]; r == id && p.storeOut[r] == nil && p.storeGrad[r] == nil && p.loops.fam[r] == nil && p.fields[r] == "" {
			arena[id] = true
		}
	}
	p.findSegments(root)
	plan, err := p.planArena(root, arena, keep, m.opts.MaxBatch)
	if err != nil {
		return nil, err
	}
	p.plan = plan
	p.nameSegments()
	m.arenaSize = max(m.arenaSize, plan.Size)
	p.loops.findRuns(p)
	if method == "TrainStep" {
		p.findTrainPacks()
	}
	p.findItemSplit()
	p.nameItems()

	// Class labels are checked on entry against the classes of the op reading them:
	// the last axis of a sparse loss's logits (or an NLL loss's log-probabilities), or
	// of a OneHot's result; ids against
	// the rows of the embedding weight.
	for _, id := range p.order {
		n := g.Nodes[id]
		labels, classes := -1, ir.Shape(nil)
		ignore, ignoring := 0, false
		switch {
		case sparseLoss(n.Op) || (n.Op == ir.OpLossGrad && sparseLoss(n.Attrs.Sub)):
			labels, classes = n.Inputs[1], g.Nodes[n.Inputs[0]].Shape
			ignore, ignoring = ir.LossIgnore(n.Attrs)
		case n.Op == ir.OpOneHot:
			labels, classes = n.Inputs[0], n.Shape
		}
		if labels >= 0 {
			if a := p.argOf[root[labels]]; a != nil && a.dtype == ir.Int {
				c := classes[len(classes)-1]
				// The ignore index is accepted only if every reader ignores it.
				if a.classes == 0 {
					a.ignore, a.ignoring = ignore, ignoring
				} else if a.ignoring && (!ignoring || ignore != a.ignore) {
					a.ignoring = false
				}
				if a.classes == 0 || c < a.classes {
					a.classes = c
				}
			}
		}
		// Embedding ids are checked against the rows of the weight they select.
		if n.Op == ir.OpEmbedding || n.Op == ir.OpEmbeddingGrad {
			rows := g.Nodes[n.Inputs[1]].Shape
			if n.Op == ir.OpEmbeddingGrad {
				rows = n.Attrs.Shape
			}
			if a := p.argOf[root[n.Inputs[0]]]; a != nil && a.dtype == ir.Int && (a.rows == 0 || rows[0] < a.rows) {
				a.rows = rows[0]
			}
		}
		if n.Op == ir.OpRunningUpdate && n.Attrs.Unbiased {
			p.unbiased = append(p.unbiased, n)
		}
	}
	return p, nil
}

// checkAttrs refuses attribute values that cannot be written as Go constants.
func checkAttrs(n *ir.Node) error {
	for _, v := range []float64{n.Attrs.Alpha, n.Attrs.Rate, n.Attrs.Eps, n.Attrs.Momentum} {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return &ir.Error{Layer: n.Layer, Op: n.Op, Msg: fmt.Sprintf("codegen: attribute value %g is not finite", v)}
		}
	}
	return nil
}

// value returns node id of the program's graph as a Value: a view of the argument,
// parameter, gradient buffer or arena range that holds it.
func (p *program) value(id int) Value {
	n := p.g.Nodes[id]
	r := p.plan.Root[id]
	rn := p.g.Nodes[r]
	v := Value{ID: id, Shape: n.Shape, DType: dtypeOf(n)}
	if n.Op != ir.OpInput {
		v.DType = ir.Float
	}
	elem := jen.Float32()
	if v.DType == ir.Int {
		elem = jen.Int32()
	}
	e := n.Shape.Elems()
	switch {
	case rn.Op == ir.OpInput:
		a := p.argOf[r]
		v.slice = jen.Id(a.id)
		if !n.Shape.Batched() {
			v.array = arrayOf(e, elem, jen.Id(a.id))
		}
	case p.fields[r] != "":
		f := jen.Id("m").Dot(p.fields[r])
		v.slice = jen.Add(f).Index(jen.Op(":"))
		v.array = jen.Op("&").Add(f)
	case rn.Op == ir.OpParam:
		f := jen.Id("m").Dot(p.param[r].field)
		v.slice = jen.Add(f).Index(jen.Op(":"))
		v.array = jen.Op("&").Add(f)
	case p.storeGrad[r] != nil:
		f := jen.Id("m").Dot(p.storeGrad[r].gradField)
		v.slice = jen.Add(f).Index(jen.Op(":"))
		v.array = jen.Op("&").Add(f)
	case p.storeOut[r] != nil:
		a := p.storeOut[r]
		v.slice = jen.Id(a.id)
		if !n.Shape.Batched() {
			v.array = arrayOf(e, elem, jen.Id(a.id))
		}
	default:
		if p.plan.Offset[r] < 0 && p.loops.fam[r] == nil {
			panic(fmt.Sprintf("codegen: %s reads %q, which has no storage", p.method, n.Name)) // a planner bug
		}
		arena := p.arenaRef()
		off, c, constant := p.offset(r)
		if p.shift && n.Shape.Batched() {
			// Inside a segment: this range's rows, b0 items into the storage.
			rows := jen.Id("b0").Op("*").Lit(rn.Shape.Elems())
			if !constant || c != 0 {
				rows = off.Op("+").Add(rows)
			}
			off, constant = rows, false
		}
		switch {
		case constant && c == 0:
			v.slice = jen.Add(arena).Index(jen.Empty(), v.Len())
		default:
			v.slice = jen.Add(arena).Index(off, off.Clone().Op("+").Add(v.Len()))
		}
		if !n.Shape.Batched() {
			v.array = arrayOf(e, elem, jen.Add(arena).Index(off.Clone(), jen.Empty()))
		}
		v.first = jen.Add(arena).Index(off.Clone())
	}
	return v
}

// kernels emits the blocks of every node in order, each under a comment that names
// the IR node it computes; a run of identical recurrent steps is one loop.
func (p *program) kernels() ([]jen.Code, error) {
	return p.kernelsIn(-1, len(p.order))
}

// kernelsIn emits the nodes at positions from … to-1 of the order (from -1: all of
// them, after the packs that go first), a segment (segments.go) as one call.
func (p *program) kernelsIn(from, to int) ([]jen.Code, error) {
	var code []jen.Code
	if from < 0 {
		code = p.packsAfter(-1)
		from = 0
	}
	segAt := map[int]*segment{}
	if !p.shift {
		for _, seg := range p.segments {
			segAt[seg.first] = seg
		}
	}
	for i := from; i < to; i++ {
		if seg := segAt[i]; seg != nil {
			code = append(code, p.segmentCall(seg)...)
			i = seg.last
			code = append(code, p.packsAfter(i)...)
			continue
		}
		if r := p.loops.runs[i]; r != nil {
			loop, err := p.emitRun(r)
			if err != nil {
				return nil, err
			}
			code = append(code, loop...)
			for _, gr := range r.groups {
				i += len(gr.nodes)
			}
			i--
			continue
		}
		c, err := p.emitNode(p.order[i])
		if err != nil {
			return nil, err
		}
		code = append(code, c...)
		packs := p.packsAfter(i)
		if p.shift && len(packs) > 0 {
			return nil, fmt.Errorf("codegen: %s packs a weight after %q, inside a segment run by items", p.method, p.g.Nodes[p.order[i]].Name) // a bug in findSegments
		}
		code = append(code, packs...)
	}
	return code, nil
}

// emitNode is the code of one node under a comment naming it: a call of its kernel
// method, or its kernel inline.
func (p *program) emitNode(id int) ([]jen.Code, error) {
	n := p.g.Nodes[id]
	if _, ok := p.winnersOf[id]; ok {
		return []jen.Code{p.winnersComment(id)}, nil
	}
	k := &Kernel{Node: n, prog: p}
	done, err := p.override(k)
	f := p.fused[id]
	switch {
	case err == nil && !done && f != nil && f.unpool:
		err = emitUnpool(k, f)
	case err == nil && !done && f != nil && f.conv:
		err = emitConvFused(k, f)
	case err == nil && !done && f != nil:
		err = emitFused(k, f)
	case err == nil && !done:
		err = Emitters[n.Op](k)
	}
	if err != nil {
		return nil, err
	}
	comment := describe(p.g, n)
	if f != nil {
		comment = f.describe(p.g)
	}
	if p.loop != nil {
		comment = p.loopComment(comment)
	}
	switch {
	case len(k.body) == 0 && p.loops.chainOf[id] != nil && p.loops.chainOf[id].role[id] == roleSum:
		return []jen.Code{jen.Comment(comment + ": " + p.loops.sumNote(p.g, p.loops.chainOf[id]) + ", no code")}, nil
	case len(k.body) == 0:
		return []jen.Code{jen.Comment(comment + ": a view, no code")}, nil
	case k.boundAll():
		args := []jen.Code{jen.Id("n")}
		for _, b := range k.binds {
			args = append(args, b.val)
		}
		name, err := p.model.kernelMethod(k)
		if err != nil {
			return nil, err
		}
		return []jen.Code{jen.Comment(comment), jen.Id("m").Dot(name).Call(args...)}, nil
	case len(k.binds) == 0:
		// Nothing declared (a call of rt.Gemm): no block needed.
		return append([]jen.Code{jen.Comment(comment)}, k.body...), nil
	default:
		return []jen.Code{jen.Comment(comment), inlineBlock(k)}, nil
	}
}

// inlineBlock writes a kernel as a block: one parallel declaration of its bound
// locals, whose right side is evaluated before any of them is in scope (so a local
// named like a method argument cannot capture another binding's argument), then its
// body.
func inlineBlock(k *Kernel) *jen.Statement {
	var names, vals []jen.Code
	for _, b := range k.binds {
		names = append(names, jen.Id(b.name))
		vals = append(vals, b.val)
	}
	return jen.Block(append([]jen.Code{jen.List(names...).Op(":=").List(vals...)}, k.body...)...)
}

// kernelFunc is a kernel method of the generated Model, shared by every node whose
// kernel has the same parameters and body.
type kernelFunc struct {
	name  string
	code  *jen.Statement // the method, without its doc comment
	op    string
	shape ir.Shape
	users []string // the nodes that call it
}

// kernelMethod returns the name of the Model method that runs k's body, creating it
// the first time that body is seen.
func (m *model) kernelMethod(k *Kernel) (string, error) {
	params := []jen.Code{jen.Id("n").Int()}
	for _, b := range k.binds {
		params = append(params, jen.Id(b.name).Add(b.typ))
	}
	var key string
	if err := func() (err error) {
		// GoString panics on code that does not format: an emitter bug, reported as
		// an error naming the node.
		defer func() {
			if r := recover(); r != nil {
				err = k.Errorf("emitted code does not compile: %v", r)
			}
		}()
		key = jen.Func().Id("kernel").Params(params...).Block(k.body...).GoString()
		return nil
	}(); err != nil {
		return "", err
	}
	if m.kernelFuncs == nil {
		m.kernelFuncs = map[string]*kernelFunc{}
	}
	f := m.kernelFuncs[key]
	if f == nil {
		op := k.Node.Op
		if k.method != "" {
			op = k.method
		}
		name := m.fields.name(op, false)
		f = &kernelFunc{name: name, op: op, shape: k.Node.Shape,
			code: jen.Func().Params(jen.Id("m").Op("*").Id("Model")).Id(name).Params(params...).Block(k.body...)}
		m.kernelFuncs[key] = f
		m.kernelList = append(m.kernelList, f)
	}
	if !slices.Contains(f.users, k.Node.Name) {
		f.users = append(f.users, k.Node.Name)
	}
	return f.name, nil
}

// emitKernels writes kernels.go: the kernel methods the other files call.
func (m *model) emitKernels() *jen.File {
	f := m.newFile()
	for _, kf := range m.kernelList {
		users := strings.Join(kf.users, ", ")
		if len(kf.users) > 3 {
			users = fmt.Sprintf("%s, %s and %d more", kf.users[0], kf.users[1], len(kf.users)-2)
		}
		comment(f, fmt.Sprintf("%s computes %s %s, for %s.", kf.name, kf.op, kf.shape, users))
		f.Add(kf.code)
		f.Line()
	}
	return f
}

// describe is the one-line summary of a node in kernel comments:
// "fc1/relu: Relu N×128", with the layer when the name does not show it.
func describe(g *ir.Graph, n *ir.Node) string {
	s := fmt.Sprintf("%s: %s %s", n.Name, n.Op, n.Shape)
	if n.Op == ir.OpLossGrad {
		s = fmt.Sprintf("%s: %s of %s %s", n.Name, n.Op, n.Attrs.Sub, n.Shape)
	}
	if n.Layer != "" && !strings.Contains(n.Name, n.Layer) {
		s += " (layer " + n.Layer + ")"
	}
	return s
}
