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
// may come right before it. The smooth activations (Elu, Selu, Softplus, Gelu,
// Silu) are not among them: the epilogue's ReLU and leaky ReLU commute with max
// pooling and cost nothing, and their gradients read the pre-activation, which
// training stores anyway. After a convolution they end its group at the BiasAdd and
// are an element-wise loop, and a pool after them is a kernel of its own.
var convTail = map[string][]string{
	ir.OpBiasAdd:   {ir.OpConv2D},
	ir.OpRelu:      {ir.OpConv2D, ir.OpBiasAdd},
	ir.OpLeakyRelu: {ir.OpConv2D, ir.OpBiasAdd},
	ir.OpMaxPool2D: {ir.OpConv2D, ir.OpBiasAdd, ir.OpRelu, ir.OpLeakyRelu},
	ir.OpAvgPool2D: {ir.OpConv2D, ir.OpBiasAdd, ir.OpRelu, ir.OpLeakyRelu},
}

// findConvFusionsIgnoring returns the convolution groups of a program (nodes
// computed in order, values read after the end in keep), by root. exclude, if not
// nil, names nodes some other mechanism computes; readers in ignore do not count
// (the backward pass of a max pool that keeps its winners).
func findConvFusionsIgnoring(g *ir.Graph, order []int, keep []int, exclude func(id int) bool, ignore map[int]bool) map[int]*fusion {
	readers, kept := readersOf(g, order, ignore), setOf(keep)
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
			if f.winners != 0 {
				fields = append(fields, jen.Id("Index").Op(":").Add(k.Bind("winners", k.prog.value(f.winners))))
				name += " (keeping each window's winner for the backward pass)"
			}
			what = append(what, fmt.Sprintf("%s-pools %d×%d windows (strides %d×%d, pads top %d, left %d) into %d×%d",
				name, pg.kh, pg.kw, pg.sh, pg.sw, pg.top, pg.left, pg.ho, pg.wo))
		}
	}
	if aw := k.prog.arrangedWeights(k.prog.g.Nodes[f.leaves[1]].Name, g.rt()); aw != nil {
		fields = append(fields, jen.Id("Arranged").Op(":").Id("m").Dot(aw.field).Index(jen.Op(":")))
		what = append([]string{"multiplies by the weights as deriveParams arranged them"}, what...)
	}
	ys := k.Bind("y", y)
	scratch := k.Scratch32(rt.Conv2DFusedScratch(g.rt(), o, k.prog.model.opts.MaxBatch))
	how := "the epilogue, applied to each block of the product as it is copied out, "
	if f.nodes[len(f.nodes)-1].Op == ir.OpMaxPool2D || f.nodes[len(f.nodes)-1].Op == ir.OpAvgPool2D {
		how = "the epilogue, applied to each block of the product while it is in cache (the convolution's output is never stored whole), "
	}
	k.Emit(jen.Comment(g.describe()+";"), jen.Comment(how+joinAnd(what)),
		jen.Qual(rtPath, "Conv2DFusedP").Call(k.prog.pool(), g.window(), jen.Lit(o), x.Prod(0, 1), xs, ws, ys, scratch,
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

// Max-pool winners in training.
//
// In training, a max pool after a convolution group is read by MaxPool2DGrad, and
// the activation before it by the pool, MaxPool2DGrad and the activation's gradient
// (ReluGrad reads the activation): the whole activated plane would be stored for
// the backward pass, which uses only one value per window. When those are the
// activation's only readers, the convolution kernel keeps instead, for every pooled
// value, the winner of its window, coded with the sign of the activation there
// (rt.Epilogue.Index), and the backward pair MaxPool2DGrad → ReluGrad becomes one
// rt.MaxUnpool2D, which scatters dy to the winners. The activation's node stays in
// the program as the holder of the winners, with the pooled shape, so the planner
// keeps that storage from the forward kernel to the backward one; nothing else of
// the convolution's size is stored.

// indexedPool is a max pool whose backward pass can run from its winners: act is the
// pooled value (the pool's input), grad its MaxPool2DGrad and mask the activation's
// gradient after it (-1 when act is not an activation).
type indexedPool struct {
	act, grad, mask int
}

// findIndexedPools returns the max pools of a program whose input is read only by
// the pool, its MaxPool2DGrad and (for an activation) the activation's gradient of
// that MaxPool2DGrad, by pool node.
func findIndexedPools(g *ir.Graph, order, keep []int) map[int]*indexedPool {
	readers, kept := readersOf(g, order, nil), setOf(keep)
	out := map[int]*indexedPool{}
	for _, id := range order {
		pool := g.Nodes[id]
		if pool.Op != ir.OpMaxPool2D {
			continue
		}
		act := g.Nodes[pool.Inputs[0]]
		if kept[act.ID] || stepOf(act.Name) != "" {
			continue
		}
		ip := &indexedPool{act: act.ID, grad: -1, mask: -1}
		ok := true
		for _, r := range readers[act.ID] {
			n := g.Nodes[r]
			switch {
			case r == id:
			case n.Op == ir.OpMaxPool2DGrad && n.Inputs[0] == act.ID && ip.grad < 0 && samePool(n.Attrs, pool.Attrs):
				ip.grad = r
			case (n.Op == ir.OpReluGrad && act.Op == ir.OpRelu || n.Op == ir.OpLeakyReluGrad && act.Op == ir.OpLeakyRelu &&
				act.Attrs.Alpha >= 0 && n.Attrs.Alpha == act.Attrs.Alpha) && n.Inputs[0] == act.ID && ip.mask < 0:
				ip.mask = r
			default:
				ok = false
			}
		}
		activation := act.Op == ir.OpRelu || act.Op == ir.OpLeakyRelu
		if !ok || ip.grad < 0 || kept[ip.grad] || activation != (ip.mask >= 0) {
			continue
		}
		if ip.mask >= 0 {
			m := g.Nodes[ip.mask]
			if m.Inputs[1] != ip.grad || len(readers[ip.grad]) != 1 {
				continue
			}
		}
		out[id] = ip
	}
	return out
}

func samePool(a, b ir.Attrs) bool {
	return fmt.Sprint(a.Kernel, a.Strides, a.Pads) == fmt.Sprint(b.Kernel, b.Strides, b.Pads)
}

// fuseConvolutions finds the program's convolution groups, and the backward pairs
// of the max pools among them that keep their winners, into p.fused, and returns
// the nodes they take (for element-wise fusion to leave alone).
func (p *program) fuseConvolutions(keep []int, exclude func(id int) bool) map[int]bool {
	pools := findIndexedPools(p.g, p.order, keep)
	// The backward readers of an indexed pool's input do not count as readers
	// when the group grows through it.
	backward := map[int]bool{}
	for _, ip := range pools {
		backward[ip.grad] = true
		if ip.mask >= 0 {
			backward[ip.mask] = true
		}
	}
	p.fused = findConvFusionsIgnoring(p.g, p.order, keep, exclude, backward)
	p.winnersOf = map[int]int{}
	taken := map[int]bool{}
	for root, f := range p.fused {
		for _, n := range f.nodes {
			taken[n.ID] = true
		}
		ip := pools[root]
		if ip == nil || len(f.nodes) < 2 || f.nodes[len(f.nodes)-2].ID != ip.act {
			continue
		}
		f.winners = ip.act
		p.winnersOf[ip.act] = root
		grad := *p.g.Nodes[ip.grad]
		grad.Inputs = append([]int(nil), grad.Inputs...)
		u := &fusion{root: ip.grad, unpool: true, nodes: []ir.Node{grad}, leaves: []int{ip.act, grad.Inputs[1]}}
		if ip.mask >= 0 {
			mask := *p.g.Nodes[ip.mask]
			mask.Inputs = append([]int(nil), mask.Inputs...)
			u.root, u.nodes = ip.mask, append(u.nodes, mask)
		}
		p.fused[u.root] = u
		for _, n := range u.nodes {
			taken[n.ID] = true
		}
	}
	return taken
}

// placeWinners puts the holder of each group's winners back into the program after
// applyFusions took it out with the group's inner nodes: right before the group,
// with no inputs (the group's kernel writes it) and the pooled shape.
func (p *program) placeWinners() {
	if len(p.winnersOf) == 0 {
		return
	}
	var order []int
	for _, id := range p.order {
		if f := p.fused[id]; f != nil && f.conv && f.winners != 0 {
			w := p.g.Nodes[f.winners]
			w.Inputs, w.Shape = nil, p.g.Nodes[id].Shape.Clone()
			order = append(order, f.winners)
		}
		order = append(order, id)
	}
	p.order = order
}

// winnersComment is the code of a holder of winners: a comment saying so.
func (p *program) winnersComment(id int) jen.Code {
	f := p.fused[p.winnersOf[id]]
	for _, n := range f.nodes {
		if n.ID == id {
			return jen.Comment(fmt.Sprintf("%s: %s %s is not stored: %s's kernel writes here the winner of each of its windows (%s), all the backward pass needs",
				n.Name, n.Op, n.Shape, p.g.Nodes[f.root].Name, p.g.Nodes[id].Shape))
		}
	}
	panic("codegen: a holder of winners is not in its group") // a bug in fuseConvolutions
}

// emitUnpool writes MaxPool2DGrad and the activation gradient after it as one
// rt.MaxUnpool2D call.
func emitUnpool(k *Kernel, f *fusion) error {
	k.method = f.ops()
	winners, dy, dx := k.prog.value(f.leaves[0]), k.prog.value(f.leaves[1]), k.Out()
	if dx.Shape.Rank() != 4 || dy.Shape.Rank() != 4 {
		return k.Errorf("max unpooling needs (N,C,H,W) values, not %s and %s", dy.Shape, dx.Shape)
	}
	var neg float32
	what := "MaxPool2DGrad"
	if last := f.nodes[len(f.nodes)-1]; last.Op == ir.OpLeakyReluGrad {
		neg, what = float32(last.Attrs.Alpha), what+" and LeakyReluGrad"
	} else if last.Op == ir.OpReluGrad {
		what += " and ReluGrad"
	}
	ws := k.Bind("winners", winners)
	dys := k.Bind("dy", dy)
	dxs := k.Bind("dx", dx)
	plane, pooled := dx.Shape[2]*dx.Shape[3], dy.Shape[2]*dy.Shape[3]
	k.Emit(jen.Comment(fmt.Sprintf("%s from the winners the forward kernel kept: each dy to its window's winner", what)),
		jen.Qual(rtPath, "MaxUnpool2D").Call(dx.Prod(0, 2), jen.Lit(plane), jen.Lit(pooled), ws, dys, jen.Lit(neg), dxs))
	return nil
}
