package nn

import (
	"fmt"
	"math"
	"strings"

	"github.com/dlgen/dlgen/ir"
)

// Model builds one network. Create it with New, add inputs, layers, outputs and a
// loss, then call Build. A Model is not safe for concurrent use.
type Model struct {
	g       *ir.Graph
	seed    uint64
	err     error
	layers  map[string]bool
	nodes   map[string]string // node name → the layer that made it
	outputs map[string]bool
	// masks: the tensors that carry a Keras mask (nn.MaskZero), by node ID.
	masks map[int]*stepMask
}

// T is a tensor of a model under construction: the value of one graph node. Layers
// are methods on T and return a new T, so a network reads as a chain. A T whose layer
// failed (or that was made after the model's first error) is still usable: every call
// on it does nothing, and Build reports the first error.
type T struct {
	m  *Model
	id int // -1 after an error
}

// New starts a model. The only option it takes is Seed, from which Dropout layers
// derive their random streams (parameter initial values come from the seed given to
// the generated code or interpreter, so they do not depend on it).
func New(name string, opts ...Option) *Model {
	m := &Model{g: ir.NewGraph(name), layers: map[string]bool{}, nodes: map[string]string{}, outputs: map[string]bool{}}
	if name == "" {
		m.err = fmt.Errorf("nn: a model needs a name")
		return m
	}
	c, err := parseOptions(opts, optSeed)
	if err != nil {
		m.err = fmt.Errorf("nn: model %q: %w", name, err)
		return m
	}
	m.seed = c.seed
	return m
}

// Name is the model's name.
func (m *Model) Name() string { return m.g.Name }

// Err returns the first error recorded so far, or nil. Build returns it too.
func (m *Model) Err() error { return m.err }

// Input adds a batched float input of shape (N, dims...), e.g. Input("image", 1, 28,
// 28) for NCHW images.
func (m *Model) Input(name string, dims ...int) *T {
	return m.input(name, "Input", ir.RoleData, ir.Float, dims)
}

// Target adds a batched float training target of shape (N, dims...): regression
// values, one-hot or soft labels, the clean image of a denoising autoencoder.
func (m *Model) Target(name string, dims ...int) *T {
	return m.input(name, "Target", ir.RoleTarget, ir.Float, dims)
}

// Labels adds integer class indices, the target of SparseCategoricalCrossEntropy:
// one per example, (N), or with dims one per position of (N, dims...), e.g.
// Labels("tags", 20) for a tagger's (N, 20, classes) predictions, one class per step.
func (m *Model) Labels(name string, dims ...int) *T {
	return m.input(name, "Labels", ir.RoleTarget, ir.Int, dims)
}

// Indices adds batched int ids, the input of an Embedding: one per example, (N), or
// with dims one per position, e.g. Indices("tokens", 200) for sentences of 200
// token ids (Keras' Input(shape=(200,), dtype="int32"), a PyTorch LongTensor (N,
// 200)). Generated methods take them as []int32 and refuse an id outside the
// embedding's [0, vocab), naming the argument and the position.
func (m *Model) Indices(name string, dims ...int) *T {
	return m.input(name, "Indices", ir.RoleData, ir.Int, dims)
}

func (m *Model) input(name, kind string, role ir.Role, dt ir.DType, dims []int) *T {
	l := m.begin(name, kind, nil, 0)
	if l == nil {
		return m.failed()
	}
	if dt == ir.Float && len(dims) == 0 {
		return l.fail("needs the size of each example, e.g. %s(%q, 784) or (%q, 1, 28, 28)", kind, name, name)
	}
	shape := append(ir.Shape{ir.Batch}, dims...)
	for _, d := range dims {
		if d <= 0 {
			return l.fail("sizes %s must be positive", ints(dims))
		}
	}
	return l.result(l.op(ir.OpInput, "", ir.Attrs{Shape: shape, Role: role, DType: dt}))
}

// Output names a tensor that Predict returns.
func (m *Model) Output(name string, t *T) {
	if m.err != nil {
		return
	}
	if name == "" {
		m.fail(fmt.Errorf("nn: an output needs a name"))
		return
	}
	if err := m.own(t, "output "+name); err != nil {
		m.fail(err)
		return
	}
	if n := m.g.Nodes[t.id]; n.Attrs.DType == ir.Int {
		m.fail(&ir.Error{Layer: n.Layer, Op: "Output", Msg: fmt.Sprintf("output %q would be the int input %q; outputs are float tensors", name, n.Name)})
		return
	}
	if m.outputs[name] {
		m.fail(fmt.Errorf("nn: output %q is given twice", name))
		return
	}
	m.outputs[name] = true
	m.g.Outputs = append(m.g.Outputs, ir.Output{Name: name, ID: t.id})
}

// Loss sets the scalar training loss, as returned by a loss builder such as
// SparseCategoricalCrossEntropy. To combine several terms use AddLoss.
func (m *Model) Loss(t *T) {
	if m.err != nil {
		return
	}
	if m.g.Loss >= 0 {
		m.fail(fmt.Errorf("nn: the loss is already set; use AddLoss to add a term"))
		return
	}
	if err := m.scalar(t, "loss"); err != nil {
		m.fail(err)
		return
	}
	m.g.Loss = t.id
}

// AddLoss adds weight·t to the training loss (or starts it), so that a model can sum
// a reconstruction loss and regularizers. Each term's nodes are named after its loss
// layer: "<layer>/weighted" for the product with weight (none when weight is 1) and
// "<layer>/total" for the running sum.
func (m *Model) AddLoss(t *T, weight float64) {
	if m.err != nil {
		return
	}
	if err := m.scalar(t, "loss term"); err != nil {
		m.fail(err)
		return
	}
	layer := m.g.Nodes[t.id].Layer
	if weight == 0 || math.IsNaN(weight) || math.IsInf(weight, 0) {
		m.fail(&ir.Error{Layer: layer, Op: "AddLoss", Msg: fmt.Sprintf("weight %g must be finite and not zero", weight)})
		return
	}
	l := &builder{m: m, name: layer, kind: "AddLoss"}
	id := t.id
	if weight != 1 {
		id = l.op(ir.OpScale, "weighted", ir.Attrs{Alpha: weight}, id)
	}
	if m.g.Loss >= 0 {
		id = l.op(ir.OpAdd, "total", ir.Attrs{}, m.g.Loss, id)
	}
	if m.err == nil {
		m.g.Loss = id
	}
}

func (m *Model) scalar(t *T, what string) error {
	if err := m.own(t, what); err != nil {
		return err
	}
	n := m.g.Nodes[t.id]
	if n.Shape.Rank() != 0 {
		return &ir.Error{Layer: n.Layer, Op: n.Op, Msg: fmt.Sprintf("a %s must be a scalar, not %s (use a loss builder such as nn.MSE)", what, n.Shape)}
	}
	return nil
}

// own checks that t is a live tensor of m.
func (m *Model) own(t *T, what string) error {
	switch {
	case t == nil:
		return fmt.Errorf("nn: %s is a nil tensor", what)
	case t.m == nil:
		return fmt.Errorf("nn: %s is a tensor not made by a model (use Model.Input)", what)
	case t.m != m:
		return fmt.Errorf("nn: %s is a tensor of model %q, not of %q", what, t.m.g.Name, m.g.Name)
	case t.id < 0 || t.id >= len(m.g.Nodes):
		return fmt.Errorf("nn: %s is a tensor whose layer failed", what)
	}
	return nil
}

// Build returns the model's graph, verified, or the first error any builder call
// met. It never panics, and the Model stays usable: each Build returns a new copy.
func (m *Model) Build() (*ir.Graph, error) {
	if m.err != nil {
		return nil, m.err
	}
	if len(m.g.Outputs) == 0 {
		return nil, fmt.Errorf("nn: model %q has no output; name what Predict returns with Output", m.g.Name)
	}
	g := m.g.Clone()
	if err := ir.Verify(g); err != nil {
		return nil, fmt.Errorf("nn: model %q: %w", m.g.Name, err)
	}
	return g, nil
}

func (m *Model) fail(err error) {
	if m.err == nil {
		m.err = err
	}
}

// failed is the result of a layer that could not be built; without a model (every
// input nil) there is nothing to report to, and it is nil.
func (m *Model) failed() *T {
	if m == nil {
		return nil
	}
	return &T{m: m, id: -1}
}

// Shape returns the tensor's shape (ir.Batch first), or nil for a failed tensor.
func (t *T) Shape() ir.Shape {
	if t == nil || t.id < 0 {
		return nil
	}
	return t.m.g.Nodes[t.id].Shape.Clone()
}

// Name returns the name of the graph node holding t ("" for a failed tensor).
func (t *T) Name() string {
	if t == nil || t.id < 0 {
		return ""
	}
	return t.m.g.Nodes[t.id].Name
}

// Model returns the model t belongs to.
func (t *T) Model() *Model {
	if t == nil {
		return nil
	}
	return t.m
}

// builder is one layer under construction: it names its nodes and records the first
// error in the model, after which every step does nothing.
type builder struct {
	m    *Model
	name string
	kind string // the user-facing layer type for messages: "Dense", "Conv2D", "MSE"
	in   []*T
	c    config
	oneD bool // a 1-D layer, built on a (N, C, 1, L) view (layers1d.go)
}

// begin starts layer name of the given kind on ins. It returns nil if the model has
// already failed or the layer cannot start (the error is then recorded).
func (m *Model) begin(name, kind string, opts []Option, allowed optKind, ins ...*T) *builder {
	return m.beginTyped(name, kind, opts, allowed, -1, ins...)
}

// beginTyped is begin where input intArg (or none, if -1) must be int (labels, or
// an Embedding's ids) and the rest float.
func (m *Model) beginTyped(name, kind string, opts []Option, allowed optKind, intArg int, ins ...*T) *builder {
	if m == nil || m.err != nil {
		return nil
	}
	l := &builder{m: m, name: name, kind: kind, in: ins}
	switch {
	case name == "":
		l.fail("a layer needs a name")
		return nil
	case strings.ContainsAny(name, "/ \t\n"):
		l.fail("layer names may not contain '/' or spaces ('/' separates a layer's op nodes)")
		return nil
	case m.layers[name]:
		l.fail("the name %q is already used by another layer", name)
		return nil
	}
	m.layers[name] = true
	for i, t := range ins {
		if err := m.own(t, fmt.Sprintf("input %d of %s (%s)", i+1, name, kind)); err != nil {
			m.fail(err)
			return nil
		}
		n := m.g.Nodes[t.id]
		isInt := n.Op == ir.OpInput && n.Attrs.DType == ir.Int
		switch {
		case i == intArg && !isInt && kind == "Embedding":
			l.fail("ids must be int indices from Model.Indices, not the float tensor %q", n.Name)
			return nil
		case i == intArg && !isInt:
			l.fail("labels must be int class indices from Model.Labels, not the float tensor %q", n.Name)
			return nil
		case i != intArg && isInt && n.Attrs.Role == ir.RoleData:
			l.fail("%q holds int ids, which only Embedding reads (its vectors are what other layers take)", n.Name)
			return nil
		case i != intArg && isInt:
			l.fail("%q holds int class labels, which only SparseCategoricalCrossEntropy and NLLLoss read", n.Name)
			return nil
		case !n.Shape.Batched():
			l.fail("%q is a scalar (a loss); layers take batched tensors (add losses with Model.AddLoss)", n.Name)
			return nil
		}
	}
	c, err := parseOptions(opts, allowed)
	if err != nil {
		l.fail("%v", err)
		return nil
	}
	l.c = c
	// A masked tensor may enter only the layers that honour the mask (as the sequence
	// of a recurrent layer), pass it on, or drop it: any other layer would compute
	// what Keras computes only where no step is padded.
	for i, t := range ins {
		if mk := m.masks[t.id]; mk != nil && !(i == 0 && (recurrentKind(kind) || maskPassing[kind] || kind == "DropMask")) {
			from := m.g.Nodes[t.id].Layer // the layer that made it, as the user named it
			if from == "" {
				from = t.Name()
			}
			l.fail("%q carries the step mask of Embedding %q (nn.MaskZero); only SimpleRNN, LSTM, GRU and Bidirectional honour it "+
				"(Dense, Activation and Dropout pass it on), and %s would compute every step where Keras masks them (or refuses the mask): "+
				"end the masked part with a recurrent layer without nn.ReturnSequences, or drop the mask explicitly (T.DropMask) where the loss leaves the padded steps out itself (nn.IgnoreIndex)", from, mk.layer, kind)
			return nil
		}
	}
	return l
}

func (l *builder) shapes() []ir.Shape {
	s := make([]ir.Shape, len(l.in))
	for i, t := range l.in {
		s[i] = l.m.g.Nodes[t.id].Shape
	}
	return s
}

// fail records an error naming the layer, its type and its input shapes, and returns
// a failed tensor.
func (l *builder) fail(format string, args ...any) *T {
	var in []ir.Shape
	ok := true
	for _, t := range l.in {
		ok = ok && t != nil && t.m == l.m && t.id >= 0
	}
	if ok {
		in = l.shapes()
	}
	l.m.fail(&ir.Error{Layer: l.name, Op: l.kind, In: in, Msg: fmt.Sprintf(format, args...)})
	return l.m.failed()
}

// x returns the node ID of input i.
func (l *builder) x(i int) int { return l.in[i].id }

// op appends a node named after the layer ("<layer>" for suffix "", else
// "<layer>/<suffix>") and returns its ID, or -1 once the model has failed.
func (l *builder) op(op, suffix string, attrs ir.Attrs, inputs ...int) int {
	name := l.name
	if suffix != "" {
		name += "/" + suffix
	}
	return l.add(op, name, attrs, inputs...)
}

// param appends a parameter "<layer>.<suffix>", as PyTorch names state_dict entries.
func (l *builder) param(suffix string, shape ir.Shape, role ir.Role, init *ir.Init) int {
	return l.add(ir.OpParam, l.name+"."+suffix, ir.Attrs{Shape: shape, Role: role, Init: init})
}

func (l *builder) add(op, name string, attrs ir.Attrs, inputs ...int) int {
	m := l.m
	if m.err != nil {
		return -1
	}
	for _, in := range inputs {
		if in < 0 {
			return -1
		}
	}
	if other, dup := m.nodes[name]; dup {
		l.fail("node name %q is already used by layer %q", name, other)
		return -1
	}
	id, err := m.g.Add(op, name, l.name, attrs, inputs...)
	if err != nil {
		m.fail(err)
		return -1
	}
	m.nodes[name] = l.name
	return id
}

// result wraps node id as the layer's output.
func (l *builder) result(id int) *T {
	if id < 0 || l.m.err != nil {
		return l.m.failed()
	}
	// The step-local layers that Keras lets a mask through pass it on.
	if maskPassing[l.kind] && len(l.in) > 0 {
		if mk := l.m.masks[l.in[0].id]; mk != nil {
			l.m.masks[id] = mk
		}
	}
	return &T{m: l.m, id: id}
}

// maskPassing are the layers that take a masked tensor and pass the mask on, as
// Keras' do (supports_masking): they compute each step on its own, so a padded
// step's values only reach what the mask keeps them from.
var maskPassing = map[string]bool{"Dense": true, "Activation": true, "Dropout": true, "SpatialDropout1D": true}

// begin starts a layer on t; for a nil t there is no model to report to, so it
// returns nil and the layer method returns nil, which Output and later layers
// report.
func (t *T) begin(name, kind string, opts []Option, allowed optKind) *builder {
	if t == nil {
		return nil
	}
	return t.m.begin(name, kind, opts, allowed, t)
}

// failed is the result of a layer that could not start.
func (t *T) failed() *T {
	if t == nil {
		return nil
	}
	return t.m.failed()
}
