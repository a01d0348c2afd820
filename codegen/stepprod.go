package codegen

import (
	"fmt"

	"github.com/dave/jennifer/jen"

	"github.com/dlgen/dlgen/ir"
)

// Weight gradients summed over the steps of a sequence, as one product.
//
// Autodiff writes a recurrent layer's weight gradient as one product per step,
// dW = Σₖ dGₖᵀ·Xₖ (step k's gate gradients, transposed, times step k's input), and
// loops.go sums it in place: each step's product adds itself to dW with beta 1. That
// is T products of k = n rows each, and every one reads and writes all of dW (256×96
// for the LSTM workload): at a batch of 16 the products spend as long on dW as on
// the sum, and each is too small to be worth splitting across threads.
//
// Nothing reads the partial sums, though, so when every step's dGₖ and Xₖ stay in
// storage until the last step of backward, the sum is one product over the steps'
// rows stacked, k = T·n, written once at the last step (rt.GemmStepsP). Both
// operands' families then keep one slot per step, step k's at base + k·stride, so at
// a full batch step k's rows follow step k-1's and the product is a single rt.Gemm
// over the pool's threads; at a smaller batch rt.GemmStepsP falls back to one product
// per step. Xₖ (the step's input, which forward computed) is kept for backward
// anyway; dGₖ needs T slots instead of one, T·MaxBatch·4H floats for an LSTM, so the
// sum is deferred only while that stays under stepProductLimit.
//
// The bias gradient is the same sum with a column sum for the product: Σₖ of the
// channel sums of dGₖ, a tree of Adds over one ChannelSum per step. Once dGₖ has a
// slot per step it too is one pass over the stacked rows (rt.ColSums64Steps), in
// float64 from the first row to the last instead of a float32 Add per step.
//
// It applies to a chain of sums (loops.go) whose members are products
// MatMul(transA) with one per step 0 … T-1 of one backward sequence, each reading
// its own step's members of two families, and Adds; a chain with any other member
// (a base value, a SliceGrad) keeps its products per step.

// stepProductLimit is the most floats the deferred operand's one-slot-per-step family
// may take (16 MiB).
const stepProductLimit = 1 << 22

// stepProduct is one weight gradient computed as a single product after the steps.
type stepProduct struct {
	emit  int     // the product written out: the last member in program order
	a, b  *family // the operands' families: dGₖ and Xₖ at slot k
	steps int
}

// stepSum is a bias gradient, Σₖ ChannelSum(dGₖ) summed by a tree of Adds, computed
// as one column sum over the steps' blocks of dG (rt.ColSums64Steps) at the last Add.
// Its ChannelSums and Adds compute nothing else: every one but the last has one
// reader, the next Add.
type stepSum struct {
	final int // the last Add, where the sum is written
	fam   *family
	x     int // one step's summed value, for the comment
	steps int
}

// findStepProducts finds the chains of per-step products that become one product
// and makes their operands' families keep one slot per step. It runs in
// findFamilies, after the reads have set each family's ring and before the slots are
// counted.
func (ls *loopState) findStepProducts(g *ir.Graph, order, root, keep []int) {
	pos := map[int]int{}
	for i, id := range order {
		pos[id] = i
	}
	seen := map[*sumChain]bool{}
	for _, id := range order {
		c := ls.chainOf[id]
		if c == nil || seen[c] {
			continue
		}
		seen[c] = true
		sp := ls.stepProductOf(g, c, root, pos)
		if sp == nil {
			continue
		}
		sp.a.ring, sp.b.ring = 0, 0
		for _, m := range c.members {
			if g.Nodes[m].Op == ir.OpMatMul {
				ls.stepProd[m] = sp
			}
		}
	}
	ls.findStepSums(g, order, root, keep)
}

// findStepSums finds the bias gradients that become one column sum over the steps
// and makes the summed values' families keep one slot per step.
func (ls *loopState) findStepSums(g *ir.Graph, order, root, keep []int) {
	users := orderUsers(g, order)
	kept := map[int]bool{}
	for _, id := range keep {
		kept[id] = true
	}
	// The latest Add of a tree comes first: a tree found is never part of a larger one.
	for i := len(order) - 1; i >= 0; i-- {
		id := order[i]
		if g.Nodes[id].Op != ir.OpAdd || ls.stepSum[id] != nil {
			continue
		}
		ss := &stepSum{final: id}
		var members []int
		steps := map[int]bool{}
		var seq *stepSeq
		var walk func(x int, top bool) bool
		walk = func(x int, top bool) bool {
			n := g.Nodes[x]
			if !top && (len(users[x]) != 1 || kept[x] || ls.stepSum[x] != nil) {
				return false
			}
			members = append(members, x)
			switch n.Op {
			case ir.OpAdd:
				return len(n.Inputs) == 2 && n.Inputs[0] != n.Inputs[1] && walk(n.Inputs[0], false) && walk(n.Inputs[1], false)
			case ir.OpChannelSum:
				in := g.Nodes[n.Inputs[0]]
				r := root[n.Inputs[0]]
				f, gr := ls.fam[r], ls.groupOf[r]
				if f == nil || gr == nil || (ss.fam != nil && f != ss.fam) || steps[gr.step] ||
					!in.Shape.Batched() || len(in.Shape) != 2 || in.Shape.Elems() != f.shape.Elems() {
					return false
				}
				if seq != nil && gr.seq != seq {
					return false
				}
				ss.fam, ss.x, seq = f, n.Inputs[0], gr.seq
				steps[gr.step] = true
				return true
			}
			return false
		}
		if !walk(id, true) || ss.fam == nil || !seq.regular {
			continue
		}
		ss.steps = len(steps)
		complete := ss.steps >= 2
		for k := range ss.steps {
			complete = complete && steps[k]
		}
		if !complete || (ss.fam.ring != 0 && ss.steps*ss.fam.shape.Elems()*ls.maxBatch > stepProductLimit) {
			continue
		}
		ss.fam.ring = 0
		for _, m := range members {
			ls.stepSum[m] = ss
		}
	}
}

// emitStepSum writes the one column sum at the tree's last Add; its other members
// say where their share is computed.
func (p *program) emitStepSum(k *Kernel, ss *stepSum) {
	if k.Node.ID != ss.final {
		k.Emit(jen.Comment(fmt.Sprintf("summed over the steps by rt.ColSums64Steps at %s", p.g.Nodes[ss.final].Name)))
		return
	}
	cols := ss.fam.shape.Elems()
	s := p.value(k.Node.ID)
	k.Emit(jen.Comment(fmt.Sprintf("the column sums of all %d steps' %s as one, in float64", ss.steps, anyStep(p.g, ss.x))),
		jen.Block(
			jen.Id("s").Op(":=").Add(s.Array()),
			jen.Id("acc").Op(":=").Add(k.Scratch64(cols)),
			jen.Clear(jen.Id("acc").Index(jen.Op(":"))),
			jen.Qual(rtPath, "ColSums64Steps").Call(jen.Id("acc").Index(jen.Op(":")), p.familyArray(ss.fam), jen.Id("n"), jen.Lit(ss.steps), jen.Lit(cols), jen.Lit(ss.fam.stride)),
			loop("c", jen.Lit(cols), jen.Id("s").Index(jen.Id("c")).Op("=").Add(f32(jen.Id("acc").Index(jen.Id("c"))))),
		))
}

// stepProductOf returns the single product chain c's products become, or nil.
func (ls *loopState) stepProductOf(g *ir.Graph, c *sumChain, root []int, pos map[int]int) *stepProduct {
	sp := &stepProduct{emit: -1}
	var seq *stepSeq
	steps := map[int]bool{}
	for _, m := range c.members {
		n := g.Nodes[m]
		switch c.role[m] {
		case roleSum:
			if n.Op != ir.OpAdd {
				return nil
			}
			continue
		case roleWrite, roleAdd:
		default:
			return nil
		}
		if n.Op != ir.OpMatMul || !n.Attrs.TransA || n.Attrs.TransB || len(n.Shape) != 2 || n.Shape.Batched() {
			return nil
		}
		gr := ls.groupOf[m]
		if gr == nil || (seq != nil && gr.seq != seq) || steps[gr.step] {
			return nil
		}
		seq = gr.seq
		steps[gr.step] = true
		var fams [2]*family
		for i, in := range n.Inputs[:2] {
			v, r := g.Nodes[in], root[in]
			f, rg := ls.fam[r], ls.groupOf[r]
			if f == nil || rg == nil || rg.step != gr.step || !v.Shape.Batched() || len(v.Shape) != 2 || v.Shape.Elems() != f.shape.Elems() {
				return nil
			}
			fams[i] = f
		}
		if sp.a == nil {
			sp.a, sp.b = fams[0], fams[1]
		}
		if fams[0] != sp.a || fams[1] != sp.b || sp.a == sp.b {
			return nil
		}
		if sp.emit < 0 || pos[m] > pos[sp.emit] {
			sp.emit = m
		}
	}
	sp.steps = len(steps)
	for k := range sp.steps {
		if !steps[k] {
			return nil
		}
	}
	if sp.emit < 0 || !seq.regular || sp.steps < 2 || sp.steps*sp.a.shape.Elems()*ls.maxBatch > stepProductLimit {
		return nil
	}
	return sp
}

// emitStepProduct writes the one product at the chain's last product; the others
// say where their step's share is computed.
func (p *program) emitStepProduct(k *Kernel, sp *stepProduct) {
	if k.Node.ID != sp.emit {
		k.Emit(jen.Comment(fmt.Sprintf("summed over the steps by rt.GemmStepsP at %s", p.g.Nodes[sp.emit].Name)))
		return
	}
	a, b, c := k.In(0), k.In(1), k.Out()
	k.Emit(
		jen.Comment(fmt.Sprintf("the products of all %d steps as one, Σₖ %sᵀ·%s: step k's rows are slot k of each block", sp.steps, anyStep(p.g, k.Node.Inputs[0]), anyStep(p.g, k.Node.Inputs[1]))),
		jen.Qual(rtPath, "GemmStepsP").Call(p.pool(), jen.Lit(a.Shape[1]), jen.Lit(b.Shape[1]), a.Prod(0, 1), jen.Lit(sp.steps),
			p.familyArray(sp.a), jen.Lit(a.Shape[1]), jen.Lit(sp.a.stride),
			p.familyArray(sp.b), jen.Lit(b.Shape[1]), jen.Lit(sp.b.stride),
			c.Slice(), jen.Lit(c.Shape[1])))
}

// sumNote says how a chain's Adds are computed, for their comment.
func (ls *loopState) sumNote(g *ir.Graph, c *sumChain) string {
	for _, m := range c.members {
		if sp := ls.stepProd[m]; sp != nil {
			return "one product over the steps (rt.GemmStepsP at " + g.Nodes[sp.emit].Name + ")"
		}
		if g.Nodes[m].Op == ir.OpMatMul {
			return "accumulated in place by its products"
		}
	}
	return "written in place by its SliceGrads"
}

// anyStep is the name of a step's node with its step written k ("d.l/t[k]/xh").
func anyStep(g *ir.Graph, id int) string {
	prefix, _, what, _ := parseStep(g.Nodes[id].Name)
	return prefix + "/t[k]/" + what
}
