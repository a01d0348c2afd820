package codegen

import (
	"fmt"

	"github.com/dave/jennifer/jen"

	"github.com/dlgen/dlgen/ir"
	"github.com/dlgen/dlgen/passes"
	"github.com/dlgen/dlgen/rt"
)

// Values derived from parameters.
//
// Some nodes of the inference graph read parameters and constants only: after
// batch-norm folding (passes.BNFold) the folded weights W' = W·s and biases
// b' = b·s + t, and the scale and shift of a batch norm that cannot fold; the
// concatenated gate weights and summed biases of a recurrent layer. Their values
// change only when the parameters do, so Predict and Loss do not compute them:
// the Model holds each one that they read in a field, and deriveParams computes
// them all, at the start of the first Predict or Loss after the parameters may have
// changed.
//
// "May have changed" is a flag, cleared by Init, by Params (which returns views
// through which the caller may write, and which LoadWeights uses) and by TrainStep,
// and set by deriveParams. A caller who keeps the slices of an earlier Params call and
// writes through them later must call Params again (or Init) before predicting; the
// doc comment of Params says so. The training step reads the parameters themselves
// (its graph is not folded), so only inference pays nothing per call.

// derivedValues are the hoisted nodes of the inference graph and where they live.
type derivedValues struct {
	hoisted []bool         // by inference-graph node ID: computed by deriveParams, not by Predict or Loss
	field   map[int]string // storage root, or hoisted view of one → the Model field holding its value
	roots   []int          // the roots with fields, in graph order
	prog    *program       // deriveParams
	method  string         // the Go names of deriveParams and of the flag
	flag    string
	// packs are the weights Predict and Loss multiply by, packed once by
	// deriveParams into an rt.PackedB (packed.go in rt): by packKey.
	packs    map[string]*packedWeight
	packList []*packedWeight // in graph order
	// arranged are convolution weights laid out once by deriveParams as the
	// convolution multiplies by them (rt.ArrangeConvWeights): by arrangedKey.
	arranged     map[string]*arrangedWeight
	arrangedList []*arrangedWeight
}

// arrangedWeight is the weight of Conv2D nodes of the inference graph with one
// window, when rt runs that window on its rows path: deriveParams arranges it by
// kernel row once, instead of every call doing it.
type arrangedWeight struct {
	node   int    // the weight: a Param or a derived root, or a view of all of one
	name   string // its node's name
	window rt.Window
	o      int
	field  string
	src    string // the Model field holding the weight
	size   int
}

func arrangedKey(name string, w rt.Window) string { return fmt.Sprintf("%s/%+v", name, w) }

// convWindow is the rt.Window of Conv2D node n of g.
func convWindow(g *ir.Graph, n *ir.Node) (rt.Window, bool) {
	x, w, a := g.Nodes[n.Inputs[0]].Shape, g.Nodes[n.Inputs[1]].Shape, n.Attrs
	if x.Rank() != 4 || w.Rank() != 4 || n.Shape.Rank() != 4 || len(a.Strides) != 2 || len(a.Pads) != 4 {
		return rt.Window{}, false
	}
	win := rt.Window{C: x[1], H: x[2], W: x[3], KH: w[2], KW: w[3], SH: a.Strides[0], SW: a.Strides[1],
		Top: a.Pads[0], Left: a.Pads[1], Ho: n.Shape[2], Wo: n.Shape[3]}
	if dh, dw := ir.Dilation(a); dh != 1 || dw != 1 {
		win.DH, win.DW = dh, dw
	}
	return win, true
}

// packedWeight is the B operand of MatMul nodes of the inference graph that is a
// parameter or a stored derived value: every product by it (32 per Predict in an
// LSTM of 32 steps) reads the packed copy instead of packing B again.
type packedWeight struct {
	node   int  // B: a Param or a derived root, or a view of all of one
	transB bool // op(B) = Bᵀ
	field  string
	name   string   // B's node
	shape  ir.Shape // B's shape as stored
	src    string   // the Model field holding B
}

func packKey(name string, transB bool) string { return fmt.Sprintf("%s/%v", name, transB) }

// stableParamOnly reports, per node of g, whether it depends on parameters alone and
// on no state a RunningUpdate of g writes: such a value could change within a call
// (random graphs read updated state; lowering never does). Those are the values
// computed once for many uses (deriveParams, TrainStep's packed weights).
func stableParamOnly(g *ir.Graph) []bool {
	paramOnly := passes.ParamOnly(g)
	for _, n := range g.Nodes {
		if n.Op == ir.OpRunningUpdate {
			paramOnly[n.Inputs[0]] = false
		}
	}
	for _, n := range g.Nodes {
		for _, in := range n.Inputs {
			paramOnly[n.ID] = paramOnly[n.ID] && paramOnly[in]
		}
	}
	return paramOnly
}

// findDerived decides which nodes of the inference graph g Predict and Loss leave to
// deriveParams, for methods that compute roots (one list per method). It returns nil
// when they read no derived value.
func (m *model) findDerived(g *ir.Graph, roots ...[]int) *derivedValues {
	paramOnly := stableParamOnly(g)
	root := passes.StorageRoots(g)
	users := g.Users()
	d := &derivedValues{hoisted: make([]bool, len(g.Nodes)), field: map[int]string{}}
	stored := map[int]bool{}
	for _, rs := range roots {
		live := passes.Live(g, rs)
		for _, n := range g.Nodes {
			if live[n.ID] && paramOnly[n.ID] && n.Op != ir.OpParam {
				d.hoisted[n.ID] = true
			}
		}
		// A view of a parameter is the parameter's storage: it stays with its readers,
		// hoisted only when they all are.
		for i := len(g.Nodes) - 1; i >= 0; i-- {
			if d.hoisted[i] && g.Nodes[root[i]].Op == ir.OpParam && i != root[i] {
				for _, u := range users[i] {
					d.hoisted[i] = d.hoisted[i] && (d.hoisted[u] || !live[u])
				}
				for _, r := range rs {
					d.hoisted[i] = d.hoisted[i] && r != i
				}
			}
		}
		need := func(id int) {
			if d.hoisted[id] {
				stored[root[id]] = true
			}
		}
		for _, n := range g.Nodes {
			if live[n.ID] && !d.hoisted[n.ID] {
				for _, in := range n.Inputs {
					need(in)
				}
			}
		}
		for _, r := range rs {
			need(r)
		}
	}
	// Weights of matrix products, packed once (a product's B operand that is a
	// parameter or a derived root, as a whole; a view of one is multiplied as is).
	type packUse struct {
		node   int
		transB bool
	}
	var packUses []packUse
	seen := map[packUse]bool{}
	for _, rs := range roots {
		live := passes.Live(g, rs)
		for _, n := range g.Nodes {
			if !live[n.ID] || d.hoisted[n.ID] || n.Op != ir.OpMatMul {
				continue
			}
			// B is a parameter or a stored derived value, or a view of all of one (a
			// reshape, a value computed in place): then the storage holds B's
			// elements in B's row-major order.
			b := n.Inputs[1]
			r := root[b]
			if !paramOnly[b] || g.Nodes[b].Shape.Batched() || g.Nodes[b].Shape.Elems() != g.Nodes[r].Shape.Elems() ||
				(g.Nodes[r].Op != ir.OpParam && !stored[r]) {
				continue
			}
			u := packUse{b, n.Attrs.TransB}
			if !seen[u] {
				seen[u] = true
				packUses = append(packUses, u)
			}
		}
	}
	// Convolution weights the rows and direct paths multiply by rearranged (by
	// kernel row, or transposed), arranged once (under the same conditions as
	// packed weights).
	type arrangeUse struct {
		node int
		win  rt.Window
		o    int
	}
	var arrangeUses []arrangeUse
	arrangeSeen := map[string]bool{}
	for _, rs := range roots {
		live := passes.Live(g, rs)
		for _, n := range g.Nodes {
			if !live[n.ID] || d.hoisted[n.ID] || n.Op != ir.OpConv2D {
				continue
			}
			w := n.Inputs[1]
			r := root[w]
			win, ok := convWindow(g, n)
			if !ok || !paramOnly[w] || g.Nodes[w].Shape.Elems() != g.Nodes[r].Shape.Elems() ||
				(g.Nodes[r].Op != ir.OpParam && !stored[r]) || rt.ConvArrangedSize(win, g.Nodes[w].Shape[0]) == 0 {
				continue
			}
			if key := arrangedKey(g.Nodes[w].Name, win); !arrangeSeen[key] {
				arrangeSeen[key] = true
				arrangeUses = append(arrangeUses, arrangeUse{w, win, g.Nodes[w].Shape[0]})
			}
		}
	}
	if len(stored) == 0 && len(packUses) == 0 && len(arrangeUses) == 0 {
		return nil
	}
	d.arranged = map[string]*arrangedWeight{}
	for _, u := range arrangeUses {
		name := g.Nodes[u.node].Name
		aw := &arrangedWeight{node: u.node, name: name, window: u.win, o: u.o, field: m.fields.name(name+" arranged", false), size: rt.ConvArrangedSize(u.win, u.o)}
		d.arranged[arrangedKey(name, u.win)] = aw
		d.arrangedList = append(d.arrangedList, aw)
	}
	d.packs = map[string]*packedWeight{}
	for _, u := range packUses {
		name := g.Nodes[u.node].Name
		what := " packed"
		if !u.transB {
			what = " packed n"
		}
		pw := &packedWeight{node: u.node, transB: u.transB, field: m.fields.name(name+what, false), name: name, shape: g.Nodes[u.node].Shape}
		d.packs[packKey(name, u.transB)] = pw
		d.packList = append(d.packList, pw)
	}
	for _, n := range g.Nodes {
		if stored[n.ID] {
			d.field[n.ID] = m.fields.name(n.Name, false)
			d.roots = append(d.roots, n.ID)
		}
	}
	// A view of a stored value reads its field (a program resolves views only among
	// the nodes it computes).
	for _, n := range g.Nodes {
		if f := d.field[root[n.ID]]; f != "" && d.hoisted[n.ID] {
			d.field[n.ID] = f
		}
	}
	// The Model field holding a weight: its parameter's, or its derived root's.
	srcField := func(node int) string {
		if r := g.Nodes[root[node]]; r.Op == ir.OpParam {
			return m.byName[r.Name].field
		}
		return d.field[root[node]]
	}
	for _, pw := range d.packList {
		pw.src = srcField(pw.node)
	}
	for _, aw := range d.arrangedList {
		aw.src = srcField(aw.node)
	}
	d.method = m.fields.name("derive params", false)
	d.flag = m.fields.name("derived", false)
	return d
}

// structFields are the Model's fields for derived values and the flag.
func (d *derivedValues) structFields(g *ir.Graph) []jen.Code {
	if d == nil {
		return nil
	}
	code := []jen.Code{jen.Line(), cmt(fmt.Sprintf("Values computed from the parameters alone, by %s (folded batch norms, concatenated\nrecurrent weights), which Predict and Loss read instead of computing them; %s\nsays they are up to date with the parameters.", d.method, d.flag))}
	for _, r := range d.roots {
		n := g.Nodes[r]
		code = append(code, jen.Id(d.field[r]).Index(jen.Lit(n.Shape.Elems())).Float32().Comment(fmt.Sprintf("%s %s (%s)", n.Name, n.Shape, n.Op)))
	}
	for _, pw := range d.packList {
		op := pw.name
		if pw.transB {
			op += "ᵀ"
		}
		code = append(code, jen.Id(pw.field).Qual(rtPath, "PackedB").Comment(fmt.Sprintf("%s, packed for the products by it", op)))
	}
	for _, aw := range d.arrangedList {
		code = append(code, jen.Id(aw.field).Index(jen.Lit(aw.size)).Float32().Comment(fmt.Sprintf("%s arranged as the convolution multiplies by it (rt.ArrangeConvWeights)", aw.name)))
	}
	return append(code, jen.Id(d.flag).Bool())
}

// packedB returns the packed weight that MatMul node n of p can multiply by, or
// nil: only in Predict and Loss (programs of the inference graph other than
// deriveParams, which fills the packed copies).
func (p *program) packedB(n *ir.Node) *packedWeight {
	d := p.model.derived
	if d == nil || p.fields == nil || p.method == d.method || len(d.packs) == 0 {
		return nil
	}
	return d.packs[packKey(p.g.Nodes[n.Inputs[1]].Name, n.Attrs.TransB)]
}

// arrangedWeights returns the arranged weight a Conv2D node of p with window w can
// use, or nil: only in Predict and Loss, as packedB.
func (p *program) arrangedWeights(weight string, w rt.Window) *arrangedWeight {
	d := p.model.derived
	if d == nil || p.fields == nil || p.method == d.method || len(d.arranged) == 0 {
		return nil
	}
	return d.arranged[arrangedKey(weight, w)]
}

// refresh is the statement at the start of Predict and Loss.
func (d *derivedValues) refresh() []jen.Code {
	if d == nil {
		return nil
	}
	return []jen.Code{jen.If(jen.Op("!").Id("m").Dot(d.flag)).Block(jen.Id("m").Dot(d.method).Call())}
}

// invalidate is the statement of Init, Params and TrainStep.
func (d *derivedValues) invalidate() []jen.Code {
	if d == nil {
		return nil
	}
	return []jen.Code{jen.Id("m").Dot(d.flag).Op("=").False()}
}

// emit writes deriveParams.
func (d *derivedValues) emit(f *jen.File) error {
	if d == nil {
		return nil
	}
	var body []jen.Code
	if len(d.roots) > 0 {
		kernels, err := d.prog.kernels()
		if err != nil {
			return err
		}
		body = append(body,
			jen.Comment("Every value here is unbatched: kernels take the batch size n but do not read it."),
			jen.Const().Id("n").Op("=").Lit(1))
		body = append(body, kernels...)
	}
	for _, pw := range d.packList {
		k, cols := pw.shape[0], pw.shape[1]
		if pw.transB {
			k, cols = cols, k
		}
		op := pw.name
		if pw.transB {
			op += "ᵀ"
		}
		body = append(body, jen.Comment(fmt.Sprintf("%s, packed for the products by it", op)),
			jen.Id("m").Dot(pw.field).Dot("Pack").Call(jen.Lit(pw.transB), jen.Lit(k), jen.Lit(cols), jen.Id("m").Dot(pw.src).Index(jen.Op(":")), jen.Lit(pw.shape[1])))
	}
	for _, aw := range d.arrangedList {
		g := geomOf(aw.window)
		body = append(body, jen.Comment(fmt.Sprintf("%s arranged as the convolution multiplies by it (rt.ArrangeConvWeights)", aw.name)),
			jen.Qual(rtPath, "ArrangeConvWeights").Call(g.window(), jen.Lit(aw.o), jen.Id("m").Dot(aw.src).Index(jen.Op(":")), jen.Id("m").Dot(aw.field).Index(jen.Op(":"))))
	}
	body = append(body, jen.Id("m").Dot(d.flag).Op("=").True())
	comment(f, fmt.Sprintf("%s computes the values Predict and Loss read that depend on the parameters alone,\nand records that they are up to date.", d.method))
	f.Func().Params(jen.Id("m").Op("*").Id("Model")).Id(d.method).Params().Block(body...)
	f.Line()
	return nil
}
