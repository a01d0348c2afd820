package codegen

import (
	"fmt"

	"github.com/dave/jennifer/jen"

	"github.com/dlgen/dlgen/ir"
	"github.com/dlgen/dlgen/rt"
)

// Convolution fusion.
//
// A convolution followed by its bias, its activation and a pooling layer
//
//	Conv2D → BiasAdd → Relu | LeakyRelu → MaxPool2D | AvgPool2D
//
// (any non-empty tail of that chain, in that order) is computed by one call of
// rt.Conv2DFused: the epilogue applies the bias, activation and pool to each block
// of the convolution's matrix product while the block is in cache, and stores only
// the last value of the chain (see rt/conv_fused.go). Without it the convolution
// writes its whole output, a bias+activation loop reads and rewrites it, and the
// pool reads it once more.
//
// The rules are element-wise fusion's (fuse.go), and so is the mechanism: a node
// joins when the previous one has exactly one reader in the method, it, and is not a
// result of the method; the group's root is its last node, which reads the group's
// leaves (the image, the weights and the bias vector) in the program's graph; the
// interpreter and every pass still see the separate ops. In inference a whole block
// fuses. In training the backward pass reads the activation (ReluGrad reads the
// ReLU's output, see passes/actgrad.go, and MaxPool2DGrad reads the pool's input),
// so the group ends at the activation: the conv output and the pre-activation are
// never stored, the activation is, once, for the backward pass and the pool.

// convTail lists, for each op that may follow a convolution in a group, the ops that
// may come right before it.
var convTail = map[string][]string{
	ir.OpBiasAdd:   {ir.OpConv2D},
	ir.OpRelu:      {ir.OpConv2D, ir.OpBiasAdd},
	ir.OpLeakyRelu: {ir.OpConv2D, ir.OpBiasAdd},
	ir.OpMaxPool2D: {ir.OpConv2D, ir.OpBiasAdd, ir.OpRelu, ir.OpLeakyRelu},
	ir.OpAvgPool2D: {ir.OpConv2D, ir.OpBiasAdd, ir.OpRelu, ir.OpLeakyRelu},
}

// findConvFusions returns the convolution groups of a program (nodes computed in
// order, values read after the end in keep), by root. exclude, if not nil, names
// nodes some other mechanism computes.
func findConvFusions(g *ir.Graph, order []int, keep []int, exclude func(id int) bool) map[int]*fusion {
	readers := map[int][]int{}
	for _, id := range order {
		for _, in := range g.Nodes[id].Inputs {
			readers[in] = append(readers[in], id)
		}
	}
	kept := map[int]bool{}
	for _, id := range keep {
		kept[id] = true
	}
	out := map[int]*fusion{}
	for _, id := range order {
		conv := g.Nodes[id]
		if conv.Op != ir.OpConv2D || (exclude != nil && exclude(id)) || stepOf(conv.Name) != "" {
			continue
		}
		members := []int{id}
		for {
			last := g.Nodes[members[len(members)-1]]
			rs := readers[last.ID]
			if kept[last.ID] || len(rs) != 1 {
				break
			}
			next := g.Nodes[rs[0]]
			if !convFollows(g, last, next) || (exclude != nil && exclude(next.ID)) || stepOf(next.Name) != "" {
				break
			}
			members = append(members, next.ID)
		}
		if len(members) < 2 {
			continue
		}
		f := &fusion{root: members[len(members)-1], conv: true, leaves: append([]int(nil), conv.Inputs...)}
		for _, m := range members {
			n := *g.Nodes[m]
			n.Inputs = append([]int(nil), n.Inputs...)
			f.nodes = append(f.nodes, n)
			if n.Op == ir.OpBiasAdd {
				f.leaves = append(f.leaves, n.Inputs[1])
			}
		}
		out[f.root] = f
	}
	return out
}

// convFollows reports whether next may extend a convolution group that ends in last:
// it is the next op of the chain and reads last as its (first) operand, a bias is a
// vector of the model rather than of the batch, and a pool's windows are ones the
// epilogue computes (each starts inside the padded plane).
func convFollows(g *ir.Graph, last, next *ir.Node) bool {
	ok := false
	for _, prev := range convTail[next.Op] {
		ok = ok || prev == last.Op
	}
	if !ok || len(next.Inputs) == 0 || next.Inputs[0] != last.ID {
		return false
	}
	switch next.Op {
	case ir.OpBiasAdd:
		return !g.Nodes[next.Inputs[1]].Shape.Batched() && next.Inputs[1] != last.ID
	case ir.OpMaxPool2D, ir.OpAvgPool2D:
		a := next.Attrs
		if len(a.Kernel) != 2 || len(a.Strides) != 2 || len(a.Pads) != 4 || last.Shape.Rank() != 4 {
			return false
		}
		h, w, ho, wo := last.Shape[2], last.Shape[3], next.Shape[2], next.Shape[3]
		return (ho-1)*a.Strides[0]-a.Pads[0] < h && (wo-1)*a.Strides[1]-a.Pads[1] < w
	}
	return true
}

// emitConvFused writes a convolution group as one rt.Conv2DFusedP call.
func emitConvFused(k *Kernel, f *fusion) error {
	k.method = f.ops()
	conv := f.nodes[0]
	x, w, y := k.prog.value(f.leaves[0]), k.prog.value(f.leaves[1]), k.Out()
	ck := &Kernel{Node: &conv, prog: k.prog}
	ho, wo := conv.Shape[2], conv.Shape[3]
	g, err := newConvGeom(ck, x.Shape, w.Shape[2], w.Shape[3], ho, wo)
	if err != nil {
		return err
	}
	o := w.Shape[0]
	xs := k.Bind("x", x)
	ws := k.Bind("w", w)
	var fields []jen.Code
	var what []string
	for _, n := range f.nodes[1:] {
		switch n.Op {
		case ir.OpBiasAdd:
			fields = append(fields, jen.Id("Bias").Op(":").Add(k.BindArray("bias", k.prog.value(f.leaves[2]))).Index(jen.Op(":")))
			what = append(what, "adds the bias")
		case ir.OpRelu:
			fields = append(fields, jen.Id("Act").Op(":").Qual(rtPath, "ActReLU"))
			what = append(what, "applies ReLU")
		case ir.OpLeakyRelu:
			fields = append(fields, jen.Id("Act").Op(":").Qual(rtPath, "ActLeakyReLU"), jen.Id("Alpha").Op(":").Lit(float32(n.Attrs.Alpha)))
			what = append(what, fmt.Sprintf("applies leaky ReLU (slope %g)", n.Attrs.Alpha))
		case ir.OpMaxPool2D, ir.OpAvgPool2D:
			pk := &Kernel{Node: &n, prog: k.prog}
			pg, err := poolGeom(pk, ir.Shape{ir.Batch, o, ho, wo}, n.Shape)
			if err != nil {
				return err
			}
			op, name := "PoolMax", "max"
			if n.Op == ir.OpAvgPool2D {
				op, name = "PoolAvg", "average"
				if n.Attrs.Exclude {
					fields = append(fields, jen.Id("Exclude").Op(":").True())
					name += " (padding excluded from the divisor)"
				}
			}
			fields = append(fields, jen.Id("Pool").Op(":").Qual(rtPath, op), jen.Id("Window").Op(":").Add(pg.window()))
			what = append(what, fmt.Sprintf("%s-pools %d×%d windows (strides %d×%d, pads top %d, left %d) into %d×%d",
				name, pg.kh, pg.kw, pg.sh, pg.sw, pg.top, pg.left, pg.ho, pg.wo))
		}
	}
	ys := k.Bind("y", y)
	scratch := k.Scratch32(rt.Conv2DFusedScratch(g.rt(), o, k.prog.model.opts.MaxBatch))
	how := "the epilogue, applied to each block of the product as it is copied out, "
	if f.nodes[len(f.nodes)-1].Op == ir.OpMaxPool2D || f.nodes[len(f.nodes)-1].Op == ir.OpAvgPool2D {
		how = "the epilogue, applied to each block of the product while it is in cache (the convolution's output is never stored whole), "
	}
	k.Emit(jen.Comment(g.describe()+";"), jen.Comment(how+joinAnd(what)),
		jen.Qual(rtPath, "Conv2DFusedP").Call(pooled(), g.window(), jen.Lit(o), x.Prod(0, 1), xs, ws, ys, scratch,
			jen.Qual(rtPath, "Epilogue").Values(fields...)))
	return nil
}

// joinAnd joins phrases as "a, b and c".
func joinAnd(s []string) string {
	switch len(s) {
	case 0:
		return ""
	case 1:
		return s[0]
	}
	out := s[0]
	for _, p := range s[1 : len(s)-1] {
		out += ", " + p
	}
	return out + " and " + s[len(s)-1]
}
