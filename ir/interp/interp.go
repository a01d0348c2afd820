// Package interp is dlgen's reference interpreter: it executes any lowered IR graph
// in float64, one op at a time, with kernels written for clarity rather than speed.
// It is the oracle that passes and generated code are tested against, so every
// kernel follows the op's documented semantics (ir/ops.go) literally.
package interp

import (
	"errors"
	"fmt"
	"math"

	"github.com/dlgen/dlgen/ir"
	"github.com/dlgen/dlgen/rt"
)

// Tensor is a dense row-major float64 tensor with a concrete shape.
type Tensor struct {
	Shape []int
	Data  []float64
}

// NewTensor returns a zero tensor of the given shape.
func NewTensor(shape ...int) *Tensor {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return &Tensor{Shape: append([]int(nil), shape...), Data: make([]float64, n)}
}

// FromData wraps data (not copied) in a tensor of the given shape.
func FromData(data []float64, shape ...int) *Tensor {
	return &Tensor{Shape: append([]int(nil), shape...), Data: data}
}

// Clone returns a deep copy.
func (t *Tensor) Clone() *Tensor {
	return &Tensor{Shape: append([]int(nil), t.Shape...), Data: append([]float64(nil), t.Data...)}
}

// Ctx is what a kernel may know besides its node and inputs.
type Ctx struct {
	N    int    // the batch size of this run
	Step uint64 // the training step, which selects fresh dropout masks
}

// Kernel computes node n from its input values.
type Kernel func(c *Ctx, n *ir.Node, in []*Tensor) (*Tensor, error)

// Kernels maps every op of the table that can execute (all but macro ops) to its
// reference kernel. A test walks ir.Ops and fails on any gap.
var Kernels = map[string]Kernel{}

func register(op string, k Kernel) {
	if _, dup := Kernels[op]; dup {
		panic("interp: kernel registered twice: " + op)
	}
	Kernels[op] = k
}

// Machine holds a graph and its parameter values.
type Machine struct {
	G      *ir.Graph
	Params map[int]*Tensor // by node ID: weights and state
	Step   uint64          // incremented by the caller between training steps
}

// New creates a machine for g with parameters initialized from seed, exactly as
// generated code initializes them.
func New(g *ir.Graph, seed uint64) (*Machine, error) {
	m := &Machine{G: g, Params: map[int]*Tensor{}}
	for _, p := range g.Params() {
		t := NewTensor(p.Shape...)
		in := p.Attrs.Init
		if err := rt.InitParam(t.Data, in.Kind, in.FanIn, in.FanOut, in.Value, seed, p.Name); err != nil {
			return nil, fmt.Errorf("interp: %w", err)
		}
		for _, r := range in.ZeroRows { // rows of a parameter of rank ≥ 1 (ir checks)
			row := len(t.Data) / p.Shape[0]
			clear(t.Data[r*row : (r+1)*row])
		}
		m.Params[p.ID] = t
	}
	return m, nil
}

// Param returns the tensor of the parameter with the given name, or nil.
func (m *Machine) Param(name string) *Tensor {
	n := m.G.ByName(name)
	if n == nil || n.Op != ir.OpParam {
		return nil
	}
	return m.Params[n.ID]
}

// Run evaluates every node of the graph on the given inputs (by input name) and
// returns all values, indexed by node ID.
func (m *Machine) Run(feeds map[string]*Tensor) ([]*Tensor, error) {
	g := m.G
	n := -1
	for _, in := range g.Inputs() {
		t, ok := feeds[in.Name]
		if !ok {
			return nil, fmt.Errorf("interp: missing input %q", in.Name)
		}
		if len(t.Shape) != len(in.Shape) {
			return nil, fmt.Errorf("interp: input %q has shape %v, want %s", in.Name, t.Shape, in.Shape)
		}
		for i, d := range in.Shape {
			if i == 0 && d == ir.Batch {
				if n == -1 {
					n = t.Shape[0]
				} else if t.Shape[0] != n {
					return nil, fmt.Errorf("interp: input %q has batch %d, other inputs %d", in.Name, t.Shape[0], n)
				}
			} else if t.Shape[i] != d {
				return nil, fmt.Errorf("interp: input %q has shape %v, want %s", in.Name, t.Shape, in.Shape)
			}
		}
		if len(t.Data) != prod(t.Shape) {
			return nil, fmt.Errorf("interp: input %q has %d values for shape %v", in.Name, len(t.Data), t.Shape)
		}
		for i, v := range t.Data {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, fmt.Errorf("interp: input %q holds a non-finite value %g at element %d", in.Name, v, i)
			}
		}
	}
	if n < 1 {
		if n == -1 {
			n = 1 // a graph without batched inputs
		} else {
			return nil, fmt.Errorf("interp: batch size %d must be positive", n)
		}
	}
	ctx := &Ctx{N: n, Step: m.Step}
	vals := make([]*Tensor, len(g.Nodes))
	for _, node := range g.Nodes {
		var (
			t   *Tensor
			err error
		)
		switch node.Op {
		case ir.OpInput:
			t = feeds[node.Name]
		case ir.OpParam:
			t = m.Params[node.ID]
		default:
			k, ok := Kernels[node.Op]
			if !ok {
				return nil, &ir.Error{Layer: node.Layer, Op: node.Op, Msg: "the interpreter has no kernel for this op (macro ops must be lowered first)"}
			}
			in := make([]*Tensor, len(node.Inputs))
			for i, id := range node.Inputs {
				in[i] = vals[id]
			}
			t, err = k(ctx, node, in)
			var ie *inputError
			if errors.As(err, &ie) {
				// Name the value at fault: "tokens[7] = 50 is not ...".
				return nil, &ir.Error{Layer: node.Layer, Op: node.Op, Msg: g.Nodes[node.Inputs[ie.input]].Name + ie.msg}
			}
			if err != nil {
				return nil, &ir.Error{Layer: node.Layer, Op: node.Op, Msg: err.Error()}
			}
		}
		if want := node.Shape.Concrete(n); !equalInts(t.Shape, want) {
			return nil, &ir.Error{Layer: node.Layer, Op: node.Op, Msg: fmt.Sprintf("kernel produced shape %v, want %v", t.Shape, want)}
		}
		vals[node.ID] = t
	}
	return vals, nil
}

func prod(s []int) int {
	p := 1
	for _, d := range s {
		p *= d
	}
	return p
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// inputError is a kernel's error about the values of its input number input (an
// id out of range); Run puts the name of the node that input reads before msg.
type inputError struct {
	input int
	msg   string
}

func (e *inputError) Error() string { return fmt.Sprintf("input %d%s", e.input, e.msg) }

// out allocates the output tensor of node n for batch size c.N.
func out(c *Ctx, n *ir.Node) *Tensor { return NewTensor(n.Shape.Concrete(c.N)...) }
