// Package gradcheck checks the gradients that autodiff produces against central
// finite differences computed with the reference interpreter, in float64.
package gradcheck

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/dlgen/dlgen/ir"
	"github.com/dlgen/dlgen/ir/interp"
	"github.com/dlgen/dlgen/passes"
)

// Step is the finite-difference step. With float64 and O(1) values, central
// differences then have a truncation error around Step² and a rounding error around
// 1e-16/Step, both far below the 1e-6 relative tolerance the tests use.
const Step = 1e-5

// Result is the worst disagreement found for one tensor.
type Result struct {
	Name     string  // parameter or input name
	MaxRel   float64 // max over elements of |analytic-numeric| / max(|analytic|, |numeric|, Floor)
	Worst    int     // the element where it occurs
	Analytic float64
	Numeric  float64
}

// Floor keeps the relative error meaningful where both gradients are nearly zero:
// below it, the error is measured in absolute terms.
const Floor = 1e-3

func (r Result) String() string {
	return fmt.Sprintf("%s: max relative error %.3g at element %d (analytic %.10g, numeric %.10g)", r.Name, r.MaxRel, r.Worst, r.Analytic, r.Numeric)
}

// Check differentiates g (lowered, with a loss) with respect to its weights and the
// named inputs, and compares every gradient element with central differences of the
// loss. m holds g's parameter values (the same Params are used for the autodiff
// graph); feeds are the inputs.
func Check(g *ir.Graph, m *interp.Machine, feeds map[string]*interp.Tensor, wrtInputs ...string) ([]Result, error) {
	dg, err := passes.Autodiff(g, wrtInputs...)
	if err != nil {
		return nil, err
	}
	dm := &interp.Machine{G: dg, Params: m.Params, Step: m.Step}
	vals, err := dm.Run(feeds)
	if err != nil {
		return nil, err
	}
	loss := func() (float64, error) {
		v, err := m.Run(feeds)
		if err != nil {
			return 0, err
		}
		return v[g.Loss].Data[0], nil
	}
	var results []Result
	for _, gr := range dg.Grads {
		node := g.Nodes[gr.Of]
		var x *interp.Tensor
		if node.Op == ir.OpParam {
			x = m.Params[node.ID]
		} else {
			x = feeds[node.Name]
		}
		analytic := vals[gr.ID]
		r := Result{Name: node.Name}
		for i := range x.Data {
			orig := x.Data[i]
			x.Data[i] = orig + Step
			lp, err := loss()
			if err != nil {
				return nil, err
			}
			x.Data[i] = orig - Step
			lm, err := loss()
			if err != nil {
				return nil, err
			}
			x.Data[i] = orig
			num := (lp - lm) / (2 * Step)
			a := analytic.Data[i]
			rel := math.Abs(a-num) / math.Max(math.Max(math.Abs(a), math.Abs(num)), Floor)
			if rel > r.MaxRel || math.IsNaN(rel) {
				r.MaxRel, r.Worst, r.Analytic, r.Numeric = rel, i, a, num
				if math.IsNaN(rel) {
					r.MaxRel = math.Inf(1)
				}
			}
		}
		results = append(results, r)
	}
	return results, nil
}

// Operand describes one input of the op under test.
type Operand struct {
	Shape  ir.Shape  // full shape; a leading ir.Batch is fed with Batch items
	Param  bool      // a trainable parameter rather than an input
	Int    bool      // integer labels (not differentiated)
	Values []float64 // fixed values; otherwise uniform in [Lo, Hi)
	Lo, Hi float64   // range for random values; both zero means [-1, 1)
}

// BatchSize is the batch the op tests feed.
const BatchSize = 3

// OpGraph builds the graph loss = Σ op(operands)·R, R a fixed random tensor fed as an
// input, so that every element of the op's output gets a distinct weight in the loss.
// A scalar-valued op (a loss) is used as the loss directly.
func OpGraph(op string, attrs ir.Attrs, operands []Operand, seed uint64) (*ir.Graph, *interp.Machine, map[string]*interp.Tensor, []string, error) {
	g := ir.NewGraph("check_" + op)
	rng := rand.New(rand.NewPCG(seed, 99))
	feeds := map[string]*interp.Tensor{}
	values := map[int][]float64{}
	var ids []int
	var wrt []string
	for i, o := range operands {
		name := fmt.Sprintf("in%d", i)
		var id int
		var err error
		if o.Param {
			id, err = g.Add(ir.OpParam, name, "operands", ir.Attrs{Shape: o.Shape, Role: ir.RoleWeight, Init: &ir.Init{Kind: ir.InitZeros}})
		} else {
			a := ir.Attrs{Shape: o.Shape, Role: ir.RoleData}
			if o.Int {
				a.DType = ir.Int
			}
			id, err = g.Add(ir.OpInput, name, "operands", a)
		}
		if err != nil {
			return nil, nil, nil, nil, err
		}
		shape := o.Shape.Concrete(BatchSize)
		data := o.Values
		if data == nil {
			lo, hi := o.Lo, o.Hi
			if lo == 0 && hi == 0 {
				lo, hi = -1, 1
			}
			data = make([]float64, prodInts(shape))
			for j := range data {
				data[j] = lo + (hi-lo)*rng.Float64()
			}
		} else {
			data = append([]float64(nil), data...)
		}
		if len(data) != prodInts(shape) {
			return nil, nil, nil, nil, fmt.Errorf("operand %d: %d values for shape %v", i, len(data), shape)
		}
		if o.Param {
			values[id] = data
		} else {
			feeds[name] = interp.FromData(data, shape...)
			if !o.Int {
				wrt = append(wrt, name)
			}
		}
		ids = append(ids, id)
	}
	y, err := g.Add(op, "y", "op", attrs, ids...)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	if g.Nodes[y].Shape.Rank() == 0 {
		g.Loss = y
	} else {
		shape := g.Nodes[y].Shape
		r, err := g.Add(ir.OpInput, "r", "loss", ir.Attrs{Shape: shape.Clone(), Role: ir.RoleData})
		if err != nil {
			return nil, nil, nil, nil, err
		}
		cs := shape.Concrete(BatchSize)
		rd := make([]float64, prodInts(cs))
		for j := range rd {
			rd[j] = rng.Float64()*2 - 1
		}
		feeds["r"] = interp.FromData(rd, cs...)
		p, err := g.Add(ir.OpMul, "yr", "loss", ir.Attrs{}, y, r)
		if err != nil {
			return nil, nil, nil, nil, err
		}
		if g.Loss, err = g.Add(ir.OpReduceSum, "loss", "loss", ir.Attrs{}, p); err != nil {
			return nil, nil, nil, nil, err
		}
	}
	m, err := interp.New(g, seed)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	for id, data := range values {
		copy(m.Params[id].Data, data)
	}
	return g, m, feeds, wrt, nil
}

// CheckOp builds OpGraph and runs Check on it, with respect to every float input and
// parameter.
func CheckOp(op string, attrs ir.Attrs, operands []Operand, seed uint64) ([]Result, error) {
	g, m, feeds, wrt, err := OpGraph(op, attrs, operands, seed)
	if err != nil {
		return nil, err
	}
	return Check(g, m, feeds, wrt...)
}

func prodInts(s []int) int {
	p := 1
	for _, d := range s {
		p *= d
	}
	return p
}
