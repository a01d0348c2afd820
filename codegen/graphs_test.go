package codegen

import (
	"fmt"

	"github.com/dlgen/dlgen/ir"
)

// gb builds test graphs directly with ir.Graph.Add, in the shapes and names package
// nn gives them, so these tests do not depend on the builder.
type gb struct {
	g   *ir.Graph
	err error
}

func newGB(name string) *gb { return &gb{g: ir.NewGraph(name)} }

func (b *gb) add(op, name, layer string, a ir.Attrs, in ...int) int {
	if b.err != nil {
		return -1
	}
	id, err := b.g.Add(op, name, layer, a, in...)
	if err != nil {
		b.err = fmt.Errorf("%s: %w", name, err)
	}
	return id
}

func (b *gb) input(name string, role ir.Role, dt ir.DType, dims ...int) int {
	return b.add(ir.OpInput, name, name, ir.Attrs{Shape: append(ir.Shape{ir.Batch}, dims...), Role: role, DType: dt})
}

func (b *gb) param(name, layer string, role ir.Role, init ir.Init, dims ...int) int {
	return b.add(ir.OpParam, name, layer, ir.Attrs{Shape: ir.Shape(dims), Role: role, Init: &init})
}

// dense is x·Wᵀ + b with PyTorch's (out, in) weight.
func (b *gb) dense(name string, x, in, out int) int {
	w := b.param(name+".weight", name, ir.RoleWeight, ir.Init{Kind: ir.InitHeUniform, FanIn: in, FanOut: out}, out, in)
	bias := b.param(name+".bias", name, ir.RoleWeight, ir.Init{Kind: ir.InitUniform, Value: 0.1}, out)
	y := b.add(ir.OpMatMul, name+"/matmul", name, ir.Attrs{TransB: true}, x, w)
	return b.add(ir.OpBiasAdd, name+"/bias", name, ir.Attrs{}, y, bias)
}

func (b *gb) build() (*ir.Graph, error) {
	if b.err != nil {
		return nil, b.err
	}
	return b.g, ir.Verify(b.g)
}

// mlpGraph is workload W1: 784 → Dense 128 ReLU → Dense 10, sparse softmax CE.
func mlpGraph() (*ir.Graph, error) {
	b := newGB("mlp")
	x := b.input("image", ir.RoleData, "", 784)
	label := b.input("label", ir.RoleTarget, ir.Int)
	h := b.add(ir.OpRelu, "fc1/relu", "fc1", ir.Attrs{}, b.dense("fc1", x, 784, 128))
	logits := b.dense("fc2", h, 128, 10)
	probs := b.add(ir.OpSoftmax, "probs", "probs", ir.Attrs{}, logits)
	b.g.Outputs = []ir.Output{{Name: "probs", ID: probs}}
	b.g.Loss = b.add(ir.OpSparseSoftmaxCELoss, "loss", "loss", ir.Attrs{}, logits, label)
	return b.build()
}
