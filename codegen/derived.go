package codegen

import (
	"fmt"

	"github.com/dave/jennifer/jen"

	"github.com/dlgen/dlgen/ir"
	"github.com/dlgen/dlgen/passes"
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
}

// findDerived decides which nodes of the inference graph g Predict and Loss leave to
// deriveParams, for methods that compute roots (one list per method). It returns nil
// when they read no derived value.
func (m *model) findDerived(g *ir.Graph, roots ...[]int) *derivedValues {
	// Parameters only, and no state a RunningUpdate of this graph writes: such a value
	// could change within a call (random graphs read updated state; lowering never
	// does).
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
	if len(stored) == 0 {
		return nil
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
	return append(code, jen.Id(d.flag).Bool())
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
	kernels, err := d.prog.kernels()
	if err != nil {
		return err
	}
	body := []jen.Code{
		jen.Comment("Every value here is unbatched: kernels take the batch size n but do not read it."),
		jen.Const().Id("n").Op("=").Lit(1),
	}
	body = append(body, kernels...)
	body = append(body, jen.Id("m").Dot(d.flag).Op("=").True())
	comment(f, fmt.Sprintf("%s computes the values Predict and Loss read that depend on the parameters alone,\nand records that they are up to date.", d.method))
	f.Func().Params(jen.Id("m").Op("*").Id("Model")).Id(d.method).Params().Block(body...)
	f.Line()
	return nil
}
