// Package ir is dlgen's tensor intermediate representation: a graph in SSA form
// whose nodes are ops from one table (ops.go), each with static shapes except for a
// dynamic leading batch dimension.
//
// A Graph is a flat list of nodes in topological order. Node i produces value i;
// inputs name earlier nodes by index. Every node records the user layer it came from,
// so errors, dumps and generated code speak in the user's names.
package ir

import (
	"fmt"
	"strings"
)

// Batch marks the dynamic leading batch dimension in a Shape. It may appear only at
// index 0. A batched tensor has shape {Batch, d1, d2, ...}; parameters, per-channel
// statistics and scalar losses have no batch dimension.
const Batch = -1

// Shape is a tensor shape. Shape{} is a scalar.
type Shape []int

// Batched reports whether s has the dynamic batch dimension.
func (s Shape) Batched() bool { return len(s) > 0 && s[0] == Batch }

// Rank is the number of dimensions, the batch dimension included.
func (s Shape) Rank() int { return len(s) }

// Elems is the number of elements per batch item for a batched shape, or in total for
// an unbatched one.
func (s Shape) Elems() int {
	n := 1
	for i, d := range s {
		if i == 0 && d == Batch {
			continue
		}
		n *= d
	}
	return n
}

// Inner returns the dimensions after the batch dimension (or all of them).
func (s Shape) Inner() Shape {
	if s.Batched() {
		return s[1:]
	}
	return s
}

// Equal reports whether two shapes are identical.
func (s Shape) Equal(t Shape) bool {
	if len(s) != len(t) {
		return false
	}
	for i := range s {
		if s[i] != t[i] {
			return false
		}
	}
	return true
}

// Clone returns a copy of s that shares no memory with it.
func (s Shape) Clone() Shape {
	if s == nil {
		return nil
	}
	return append(Shape{}, s...)
}

// Concrete returns s with the batch dimension replaced by n.
func (s Shape) Concrete(n int) []int {
	out := make([]int, len(s))
	copy(out, s)
	if s.Batched() {
		out[0] = n
	}
	return out
}

// String prints a shape as "N×1×28×28"; a scalar prints as "scalar".
func (s Shape) String() string {
	if len(s) == 0 {
		return "scalar"
	}
	parts := make([]string, len(s))
	for i, d := range s {
		if d == Batch && i == 0 {
			parts[i] = "N"
		} else {
			parts[i] = fmt.Sprint(d)
		}
	}
	return strings.Join(parts, "×")
}

// DType is an element type. Everything is float except integer class labels and
// ids (the rows an Embedding selects).
type DType string

const (
	Float DType = "float" // float64 in the interpreter, float32 in generated code
	Int   DType = "int"   // class indices (sparse categorical cross-entropy labels) and Embedding ids
)

// Role says what an Input or Param node is for.
type Role string

const (
	RoleData   Role = "data"   // Input: a model input fed by the user
	RoleTarget Role = "target" // Input: a training target (labels, clean images)
	RoleWeight Role = "weight" // Param: trainable, updated by the optimizer
	RoleState  Role = "state"  // Param: not trainable, updated by its op (batch-norm running statistics)
)

// Init describes how a parameter is initialized from a seed. The numbers are those
// of the named distributions in PyTorch's torch.nn.init and Keras' initializers.
type Init struct {
	Kind   string  `json:"kind"`             // one of the Init* constants
	FanIn  int     `json:"fan_in,omitempty"` // for Glorot, He and LeCun
	FanOut int     `json:"fan_out,omitempty"`
	Value  float64 `json:"value,omitempty"` // for InitConst and InitUniform, the standard deviation for InitNormal
	// ZeroRows are rows (indices along the first axis) set to 0 after the draw: an
	// Embedding's padding row, which torch.nn.Embedding zeroes.
	ZeroRows []int `json:"zero_rows,omitempty"`
}

// Initializer kinds.
const (
	InitZeros         = "zeros"
	InitOnes          = "ones"
	InitConst         = "const"
	InitGlorotUniform = "glorot_uniform" // U(±sqrt(6/(fan_in+fan_out)))
	InitGlorotNormal  = "glorot_normal"  // N(0, 2/(fan_in+fan_out))
	InitHeUniform     = "he_uniform"     // U(±sqrt(6/fan_in))
	InitHeNormal      = "he_normal"      // N(0, 2/fan_in)
	InitLeCunUniform  = "lecun_uniform"  // U(±sqrt(3/fan_in))
	InitLeCunNormal   = "lecun_normal"   // N(0, 1/fan_in)
	InitUniform       = "uniform"        // U(±Value)
	InitNormal        = "normal"         // N(0, Value²): Value is the standard deviation
	InitOrthogonal    = "orthogonal"     // orthonormal rows or columns of the (len/fan_in, fan_in) matrix (Saxe et al., 2014)
)

// Attrs holds every attribute any op takes. Each op's definition in the op table
// lists which fields it reads; the rest stay zero. One typed struct (rather than a map)
// keeps JSON round trips exact and makes a misspelt attribute a compile error.
type Attrs struct {
	Kernel   []int   `json:"kernel,omitempty"`   // pooling / conv-gradient window {kh, kw}
	Strides  []int   `json:"strides,omitempty"`  // {sh, sw}
	Pads     []int   `json:"pads,omitempty"`     // {top, left, bottom, right}
	OutPad   []int   `json:"out_pad,omitempty"`  // Conv2DTranspose extra output rows/cols {h, w}
	Scale    []int   `json:"scale,omitempty"`    // UpSample2D, UpSampleBilinear2D factors {sh, sw}
	Shape    Shape   `json:"shape,omitempty"`    // Reshape target, or the input shape a gradient op restores
	Axis     int     `json:"axis,omitempty"`     // Concat, Slice, Softmax axis (batch is axis 0)
	Start    int     `json:"start,omitempty"`    // Slice
	End      int     `json:"end,omitempty"`      // Slice (exclusive)
	Alpha    float64 `json:"alpha,omitempty"`    // LeakyReLU slope, Scale/AddScalar constant, Huber delta
	Rate     float64 `json:"rate,omitempty"`     // dropout probability of dropping
	Eps      float64 `json:"eps,omitempty"`      // batch norm epsilon
	Momentum float64 `json:"momentum,omitempty"` // batch norm running-average momentum (PyTorch convention)
	Seed     uint64  `json:"seed,omitempty"`     // random streams (dropout masks, noise)
	Mean     bool    `json:"mean,omitempty"`     // ChannelBroadcast: divide by the reduced count
	Exclude  bool    `json:"exclude,omitempty"`  // AvgPool2D: exclude padding from the divisor (Keras/TF)
	Unbiased bool    `json:"unbiased,omitempty"` // RunningUpdate: apply m/(m-1) before averaging
	Act      string  `json:"act,omitempty"`      // macro ops: activation name
	Extra    []int   `json:"extra,omitempty"`    // op-specific integers: the recurrent ops' switches, Embedding's padding index, a sparse loss's ignore index
	Training bool    `json:"training,omitempty"` // macro ops: lowered for training
	Sub      string  `json:"sub,omitempty"`      // macro ops: variant name
	Init     *Init   `json:"init,omitempty"`     // Param: initializer
	Role     Role    `json:"role,omitempty"`     // Input, Param
	DType    DType   `json:"dtype,omitempty"`    // Input: element type (default Float)
	TransA   bool    `json:"trans_a,omitempty"`  // MatMul: use Aᵀ
	TransB   bool    `json:"trans_b,omitempty"`  // MatMul: use Bᵀ
	Repeats  int     `json:"repeats,omitempty"`  // Repeat: copies along the new axis (Keras RepeatVector's n)
	// Dilations is the convolution ops' kernel dilation {dh, dw} (PyTorch dilation,
	// Keras dilation_rate): kernel tap (i, j) reads the input i·dh rows and j·dw
	// columns from the window's corner. Empty means {1, 1}.
	Dilations []int `json:"dilations,omitempty"`
	// Perm is Transpose's permutation of all the axes, the batch included: axis i of
	// the result is axis Perm[i] of the input (PyTorch's x.permute(*perm)).
	Perm []int `json:"perm,omitempty"`
}

// Node is one SSA value: an op applied to earlier values.
type Node struct {
	ID     int    `json:"id"`
	Op     string `json:"op"`
	Name   string `json:"name"`  // unique within the graph; parameters are "layer.weight", "layer.bias"
	Layer  string `json:"layer"` // the user layer this node belongs to
	Inputs []int  `json:"inputs,omitempty"`
	Attrs  Attrs  `json:"attrs"`
	Shape  Shape  `json:"shape"`
}

// Output is a named graph output (what Predict returns).
type Output struct {
	Name string `json:"name"`
	ID   int    `json:"id"`
}

// Grad records that node ID holds the gradient of the loss with respect to node Of.
type Grad struct {
	Of int `json:"of"`
	ID int `json:"id"`
}

// Graph is a model: nodes in topological order, named outputs, an optional scalar
// loss, and (after autodiff) the gradient of the loss for each parameter.
type Graph struct {
	Name    string   `json:"name"`
	Nodes   []*Node  `json:"nodes"`
	Outputs []Output `json:"outputs,omitempty"`
	Loss    int      `json:"loss"` // node ID of the scalar loss, or -1
	Grads   []Grad   `json:"grads,omitempty"`
	// Mode is "" for a graph as the user built it, ModeTrain or ModeInfer once the
	// macro ops have been lowered for one use.
	Mode string `json:"mode,omitempty"`
}

// Modes a graph is lowered for.
const (
	ModeTrain = "train"
	ModeInfer = "infer"
)

// NewGraph returns an empty graph with no loss.
func NewGraph(name string) *Graph { return &Graph{Name: name, Loss: -1} }

// Add appends a node, infers its shape with the op table and returns its ID. On a
// shape error the node is not added and the error names the layer, the op and the
// input shapes.
func (g *Graph) Add(op, name, layer string, attrs Attrs, inputs ...int) (int, error) {
	n := &Node{ID: len(g.Nodes), Op: op, Name: name, Layer: layer, Inputs: inputs, Attrs: attrs}
	s, err := g.Infer(n)
	if err != nil {
		return -1, err
	}
	n.Shape = s
	g.Nodes = append(g.Nodes, n)
	return n.ID, nil
}

// Infer computes the output shape of n (not yet necessarily in g) from the shapes of
// its inputs, which must already be in g.
func (g *Graph) Infer(n *Node) (Shape, error) {
	def, ok := Ops[n.Op]
	if !ok {
		return nil, &Error{Layer: n.Layer, Op: n.Op, Msg: "unknown op"}
	}
	if len(n.Inputs) < def.MinInputs || (def.MaxInputs >= 0 && len(n.Inputs) > def.MaxInputs) {
		return nil, &Error{Layer: n.Layer, Op: n.Op, Msg: fmt.Sprintf("takes %s inputs, got %d", def.arity(), len(n.Inputs))}
	}
	in := make([]Shape, len(n.Inputs))
	for i, id := range n.Inputs {
		if id < 0 || id >= len(g.Nodes) || (n.ID >= 0 && id >= n.ID) {
			return nil, &Error{Layer: n.Layer, Op: n.Op, Msg: fmt.Sprintf("input %d refers to node %d, which is not an earlier node (a cycle or a dangling reference)", i, id)}
		}
		in[i] = g.Nodes[id].Shape
	}
	for _, i := range def.IntInputs {
		if x := g.Nodes[n.Inputs[i]]; x.Op != OpInput || x.Attrs.DType != Int {
			return nil, &Error{Layer: n.Layer, Op: n.Op, In: in, Msg: fmt.Sprintf("input %d must be an int input (ids), not %s %q", i, x.Op, x.Name)}
		}
	}
	s, err := def.Infer(n, in)
	if err != nil {
		return nil, &Error{Layer: n.Layer, Op: n.Op, In: in, Msg: err.Error()}
	}
	if err := checkShape(s); err != nil {
		return nil, &Error{Layer: n.Layer, Op: n.Op, In: in, Msg: err.Error()}
	}
	return s, nil
}

func checkShape(s Shape) error {
	for i, d := range s {
		if d == Batch && i == 0 {
			continue
		}
		if d <= 0 {
			return fmt.Errorf("output would be %s: every size must be positive", s)
		}
	}
	return nil
}

// Node returns node id.
func (g *Graph) Node(id int) *Node { return g.Nodes[id] }

// ByName returns the node with the given name, or nil.
func (g *Graph) ByName(name string) *Node {
	for _, n := range g.Nodes {
		if n.Name == name {
			return n
		}
	}
	return nil
}

// Inputs returns the Input nodes in order.
func (g *Graph) Inputs() []*Node { return g.filter(OpInput) }

// Params returns the Param nodes (weights and state) in order.
func (g *Graph) Params() []*Node { return g.filter(OpParam) }

// Weights returns the trainable parameters in order.
func (g *Graph) Weights() []*Node {
	var out []*Node
	for _, n := range g.Params() {
		if n.Attrs.Role == RoleWeight {
			out = append(out, n)
		}
	}
	return out
}

func (g *Graph) filter(op string) []*Node {
	var out []*Node
	for _, n := range g.Nodes {
		if n.Op == op {
			out = append(out, n)
		}
	}
	return out
}

// GradOf returns the node holding the gradient with respect to node id, or -1.
func (g *Graph) GradOf(id int) int {
	for _, gr := range g.Grads {
		if gr.Of == id {
			return gr.ID
		}
	}
	return -1
}

// Clone returns a deep copy of g.
func (g *Graph) Clone() *Graph {
	c := *g
	c.Nodes = make([]*Node, len(g.Nodes))
	for i, n := range g.Nodes {
		m := *n
		m.Inputs = append([]int(nil), n.Inputs...)
		m.Shape = n.Shape.Clone()
		m.Attrs = n.Attrs.clone()
		c.Nodes[i] = &m
	}
	c.Outputs = append([]Output(nil), g.Outputs...)
	c.Grads = append([]Grad(nil), g.Grads...)
	return &c
}

func (a Attrs) clone() Attrs {
	b := a
	cp := func(x []int) []int {
		if x == nil {
			return nil
		}
		return append([]int{}, x...)
	}
	b.Kernel, b.Strides, b.Pads, b.OutPad, b.Scale, b.Extra = cp(a.Kernel), cp(a.Strides), cp(a.Pads), cp(a.OutPad), cp(a.Scale), cp(a.Extra)
	b.Dilations = cp(a.Dilations)
	b.Perm = cp(a.Perm)
	b.Shape = a.Shape.Clone()
	if a.Init != nil {
		in := *a.Init
		in.ZeroRows = cp(a.Init.ZeroRows)
		b.Init = &in
	}
	return b
}

// Users returns, for every node, the IDs of the nodes that read it.
func (g *Graph) Users() [][]int {
	u := make([][]int, len(g.Nodes))
	for _, n := range g.Nodes {
		for _, in := range n.Inputs {
			u[in] = append(u[in], n.ID)
		}
	}
	return u
}

// Error is a model error. It names the layer and the op, and the input shapes when
// they are known, so that a user can find the line of their model that is wrong.
type Error struct {
	Layer string
	Op    string
	In    []Shape
	Msg   string
}

func (e *Error) Error() string {
	var b strings.Builder
	if e.Layer != "" {
		fmt.Fprintf(&b, "%s ", e.Layer)
	}
	fmt.Fprintf(&b, "(%s)", e.Op)
	if len(e.In) > 0 {
		parts := make([]string, len(e.In))
		for i, s := range e.In {
			parts[i] = s.String()
		}
		fmt.Fprintf(&b, " on input %s", strings.Join(parts, ", "))
	}
	fmt.Fprintf(&b, ": %s", e.Msg)
	return b.String()
}
