package codegen

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/dave/jennifer/jen"

	"github.com/dlgen/dlgen/ir"
	"github.com/dlgen/dlgen/passes"
)

// Loops over time.
//
// Lowering unrolls a recurrent layer P into T steps whose nodes are named
// "P/t<k>/<what>", and autodiff adds their backward, "d.P/t<k>/<what>.<i>"
// (passes/lower_rnn.go). Writing every step out would make the source grow with T
// (an LSTM of 256 steps would be megabytes that take minutes to compile), so a
// program emits each run of identical steps once, as the body of
//
//	for step := 1; step <= 254; step++ { ... }
//
// and writes out only the steps that differ (the first forward step reads the
// initial state; the first and last backward steps start and end the gradient).
// Nothing here knows about LSTMs: steps are recognised by their names and compared
// node by node, and any step that does not match its neighbours is simply written
// out, so the loops change how the code looks, never what it computes.
//
// # Storage indexed by step
//
// A loop body must find step k's values at addresses that are a function of k, so
// every value a step computes belongs to a family, (sequence, <what>), whose members
// are stored in slots of one arena block: step k's value is at base + slot(k)·stride,
// with stride the value's size at MaxBatch. A family has
//
//   - one slot when each member is read only by its own step (the gate
//     pre-activations, most of backward);
//   - two slots, slot(k) = k mod 2, when a member is also read by the next step or,
//     for the last two steps, after the sequence (h and c at inference);
//   - one slot per step otherwise (forward values that backward reads, the sequence
//     a later layer reads).
//
// The memory planner (passes.Plan) sees each family as one value, live from its
// first member to the last read of any member, so nothing else is placed on it
// while the loop runs.
//
// # Gradients written in place
//
// The adjoint of a Slice is a SliceGrad: zeros with the gradient written at the
// slice. Autodiff sums the SliceGrads of disjoint slices of one value with Adds:
// the four gate gradients of an LSTM step, and the gradient of a recurrent layer's
// input, which is T SliceGrads of (N,T,F) summed by T Adds, O(T²) work. Such a sum
// (a chain) is computed in place: every SliceGrad writes its block straight into
// the storage of the chain's result (which is zeroed first only when the blocks do
// not cover it) and the Adds emit nothing.
//
// # Slices of an outside value
//
// The backward of a layer returning sequences reads its step's block of dy through
// T Slices that autodiff puts before all the steps. Each is copied into the step that
// reads it (a Slice named "<prefix>/t<k>/<reader>@<input>"), so the steps stay
// identical except for the slice start, which a loop computes from the step as it
// does for x_slice.

// stepGroup is the nodes of one step of one sequence, in program order.
type stepGroup struct {
	seq   *stepSeq
	step  int
	nodes []int
}

// stepSeq is the steps of one recurrent layer's forward ("P") or backward ("d.P").
type stepSeq struct {
	prefix string
	groups []*stepGroup // in program order
	// regular: every group is contiguous in the program and the steps run one after
	// the other (k, k±1, ...). Only then may families share slots between steps.
	regular bool
	last2   map[int]bool // the two steps that run last
	lastPos int          // position of the last node of the last group
}

// family is the storage of one value of every step of a sequence.
type family struct {
	id     int
	seq    *stepSeq
	what   string
	shape  ir.Shape
	ring   int // 1 or 2 slots reused in turn; 0: one slot per step
	slots  int
	stride int // elements per slot
	base   int // arena offset, once planned
}

// slot is the slot of step k.
func (f *family) slot(k int) int {
	if f.ring == 0 {
		return k
	}
	return k % f.ring
}

// sumChain is a sum of SliceGrads computed in place (see the top of this file).
type sumChain struct {
	root  int  // the node whose storage holds the sum: the base, or the first write
	final int  // the last Add
	clear bool // no base and the written blocks do not cover the value: zero it first
	// role of each member: the base computes its value as usual, a write SliceGrad
	// copies its block, an add SliceGrad adds its block, a sum Add emits nothing.
	role    map[int]chainRole
	members []int
}

type chainRole int

const (
	roleSum chainRole = iota
	roleWrite
	roleAdd
	roleBase
)

// loopRun is a run of identical step groups emitted as one loop.
type loopRun struct {
	groups []*stepGroup // in program order
	dir    int          // +1 or -1: the step of groups[i] is groups[0].step + dir·i
	// starts[j] = {c, e}: the j-th node of the template (a Slice or SliceGrad) has
	// Start = c + e·step; e = 0 when it does not move.
	starts map[int][2]int
	// refs[r] = {c, e}: where the template reads or writes family member r, the
	// iteration for step k uses the member of step c + e·k (e is 1 for the group's
	// own values and its neighbours', -1 for the other direction of a
	// bidirectional layer, 0 for one fixed step).
	refs map[int][2]int
}

// loopState is the step analysis of one program.
type loopState struct {
	groupOf map[int]*stepGroup
	seqs    []*stepSeq
	fam     map[int]*family // family member (a storage root) → its family
	fams    []*family
	chainOf map[int]*sumChain
	runs    map[int]*loopRun // position in order of the first node → run
	// cells maps every node of a fused LSTM cell update to it (fuse_lstm.go).
	cells map[int]*lstmCell
	// stepProd maps every product of a weight gradient summed over the steps as one
	// product to it (stepprod.go).
	stepProd map[int]*stepProduct
	// stepSum maps every ChannelSum and Add of a bias gradient summed over the steps
	// as one column sum to it (stepprod.go).
	stepSum  map[int]*stepSum
	maxBatch int
	// edge marks the steps at the edges of TrainStep's segments, which no loop
	// may take in (segments.go).
	edge map[*stepGroup]bool
}

// loopCtx is the loop being emitted: values of the template's step are addressed
// relative to the loop variable.
type loopCtx struct {
	run   *loopRun
	step0 int // the template group's step
	index map[int]int
}

// loopVar is the name of the loop variable (reserved among method arguments).
const loopVar = "step"

// parseStep splits "P/t<k>/<what>" (what contains no '/').
func parseStep(name string) (prefix string, k int, what string, ok bool) {
	slash := strings.LastIndexByte(name, '/')
	if slash < 0 {
		return "", 0, "", false
	}
	what, rest := name[slash+1:], name[:slash]
	slash = strings.LastIndexByte(rest, '/')
	if slash < 0 || what == "" || !strings.HasPrefix(rest[slash+1:], "t") {
		return "", 0, "", false
	}
	digits := rest[slash+2:]
	k, err := strconv.Atoi(digits)
	if err != nil || k < 0 || strconv.Itoa(k) != digits {
		return "", 0, "", false
	}
	return rest[:slash], k, what, true
}

// stepGroups groups the nodes of order by step.
func stepGroups(g *ir.Graph, order []int) (map[int]*stepGroup, []*stepSeq) {
	groupOf := map[int]*stepGroup{}
	seqOf := map[string]*stepSeq{}
	var seqs []*stepSeq
	byStep := map[string]map[int]*stepGroup{}
	for _, id := range order {
		prefix, k, _, ok := parseStep(g.Nodes[id].Name)
		if !ok {
			continue
		}
		s := seqOf[prefix]
		if s == nil {
			s = &stepSeq{prefix: prefix}
			seqOf[prefix] = s
			seqs = append(seqs, s)
			byStep[prefix] = map[int]*stepGroup{}
		}
		gr := byStep[prefix][k]
		if gr == nil {
			gr = &stepGroup{seq: s, step: k}
			byStep[prefix][k] = gr
			s.groups = append(s.groups, gr)
		}
		gr.nodes = append(gr.nodes, id)
		groupOf[id] = gr
	}
	return groupOf, seqs
}

// splitStepSlices gives every step group its own copy of each Slice of an outside
// value that it reads (the blocks of dy a layer returning sequences receives), so
// that the steps stay identical. A Slice that several steps of one sequence read (a
// GRU's block of its recurrent weight) is the same value for all of them: it stays
// where it is, computed once rather than copied into every step. It returns the
// graph (a clone when it changes anything) and the new order.
func splitStepSlices(g *ir.Graph, order []int, keep []int) (*ir.Graph, []int, error) {
	sharedBySteps := func(groups []*stepGroup) bool {
		seen := map[*stepSeq]bool{}
		for _, gr := range groups {
			if seen[gr.seq] {
				return true
			}
			seen[gr.seq] = true
		}
		return false
	}
	groupOf, _ := stepGroups(g, order)
	if len(groupOf) == 0 {
		return g, order, nil
	}
	kept := map[int]bool{}
	for _, id := range keep {
		kept[id] = true
	}
	users := orderUsers(g, order)
	type split struct {
		orig    int
		readers map[*stepGroup][]int
		groups  []*stepGroup
	}
	var splits []*split
	for _, id := range order {
		n := g.Nodes[id]
		if n.Op != ir.OpSlice || groupOf[id] != nil || kept[id] || len(users[id]) == 0 {
			continue
		}
		if _, in := groupOf[n.Inputs[0]]; in {
			continue
		}
		s := &split{orig: id, readers: map[*stepGroup][]int{}}
		for _, u := range users[id] {
			gr := groupOf[u]
			if gr == nil {
				s = nil
				break
			}
			if len(s.readers[gr]) == 0 {
				s.groups = append(s.groups, gr)
			}
			if !slices.Contains(s.readers[gr], u) {
				s.readers[gr] = append(s.readers[gr], u)
			}
		}
		if s != nil && !sharedBySteps(s.groups) {
			splits = append(splits, s)
		}
	}
	if len(splits) == 0 {
		return g, order, nil
	}
	g = g.Clone()
	before := map[int][]int{} // reader → copies to place just before it
	removed := map[int]bool{}
	for _, s := range splits {
		n := g.Nodes[s.orig]
		for _, gr := range s.groups {
			first := s.readers[gr][0]
			_, _, what, _ := parseStep(g.Nodes[first].Name)
			at := slices.Index(g.Nodes[first].Inputs, s.orig)
			name := fmt.Sprintf("%s/t%d/%s@%d", gr.seq.prefix, gr.step, what, at)
			id, err := g.Add(ir.OpSlice, name, n.Layer, n.Attrs, n.Inputs[0])
			if err != nil {
				return nil, nil, fmt.Errorf("codegen: copying %s into step %d: %w", n.Name, gr.step, err)
			}
			for _, u := range s.readers[gr] {
				for i, in := range g.Nodes[u].Inputs {
					if in == s.orig {
						g.Nodes[u].Inputs[i] = id
					}
				}
			}
			// Place it before the first node of the group that reads it.
			pos := map[int]int{}
			for i, v := range gr.nodes {
				pos[v] = i
			}
			firstReader := s.readers[gr][0]
			for _, u := range s.readers[gr] {
				if pos[u] < pos[firstReader] {
					firstReader = u
				}
			}
			before[firstReader] = append(before[firstReader], id)
		}
		removed[s.orig] = true
	}
	var out []int
	for _, id := range order {
		out = append(out, before[id]...)
		if !removed[id] {
			out = append(out, id)
		}
	}
	return g, out, nil
}

// orderUsers lists the readers of every node among the nodes of order.
func orderUsers(g *ir.Graph, order []int) [][]int {
	users := make([][]int, len(g.Nodes))
	for _, id := range order {
		for _, in := range g.Nodes[id].Inputs {
			users[in] = append(users[in], id)
		}
	}
	return users
}

// findChains finds the sums of SliceGrads (see the top of this file): trees of Adds
// whose leaves are SliceGrads of one shape and axis and at most one other value, the
// base. Every member but the last Add has one reader, the next Add, and none is kept,
// so nothing observes the partial sums. Without a base, SliceGrads of disjoint blocks
// write them and the first zeroes the value if the blocks leave gaps; SliceGrads
// that come after the base (or overlap what is there) add their block to it, and
// must come after every member of the base in program order.
func findChains(g *ir.Graph, order []int, keep []int) map[int]*sumChain {
	kept := map[int]bool{}
	for _, id := range keep {
		kept[id] = true
	}
	users := orderUsers(g, order)
	pos := map[int]int{}
	for i, id := range order {
		pos[id] = i
	}
	type partial struct {
		members []int
		writes  []int    // SliceGrads that copy their block
		blocks  [][2]int // their blocks along the axis, sorted
		adds    []int    // SliceGrads that add their block
		base    int      // a plain value summed into, or -1
		last    int      // the largest position of a member
		axis    int
		shape   ir.Shape
	}
	parts := map[int]*partial{}
	part := func(id int) *partial {
		if p := parts[id]; p != nil {
			return p
		}
		n := g.Nodes[id]
		if n.Op == ir.OpMatMul {
			// A product adds itself to a base (rt.Gemm with beta 1); it covers the
			// whole value, so it never joins a sum of disjoint blocks.
			return &partial{members: []int{id}, writes: []int{id}, blocks: [][2]int{{0, 1 << 30}}, base: -1, last: pos[id], axis: -1, shape: n.Shape}
		}
		if n.Op != ir.OpSliceGrad {
			return nil
		}
		in := g.Nodes[n.Inputs[0]].Shape
		return &partial{members: []int{id}, writes: []int{id}, blocks: [][2]int{{n.Attrs.Start, n.Attrs.Start + in[n.Attrs.Axis]}},
			base: -1, last: pos[id], axis: n.Attrs.Axis, shape: n.Shape}
	}
	single := func(id, user int) bool { return len(users[id]) == 1 && users[id][0] == user && !kept[id] }
	// baseOf makes a value that is not a chain the base of one: a value computed by
	// the program into storage of its own.
	baseOf := func(id int, shape ir.Shape) *partial {
		n := g.Nodes[id]
		if _, computed := pos[id]; !computed || passes.ViewInput(n) >= 0 || !n.Shape.Equal(shape) {
			return nil
		}
		return &partial{members: []int{id}, base: id, last: pos[id], shape: n.Shape}
	}
	for _, id := range order {
		n := g.Nodes[id]
		if n.Op != ir.OpAdd || len(n.Inputs) != 2 || n.Inputs[0] == n.Inputs[1] {
			continue
		}
		a, b := n.Inputs[0], n.Inputs[1]
		if !single(a, id) || !single(b, id) || !g.Nodes[a].Shape.Equal(n.Shape) || !g.Nodes[b].Shape.Equal(n.Shape) {
			continue
		}
		pa, pb := part(a), part(b)
		var merged *partial
		switch {
		case pa != nil && pb != nil && pa.axis == pb.axis && pa.base < 0 && pb.base < 0 && len(pa.adds) == 0 && len(pb.adds) == 0 && disjoint(pa.blocks, pb.blocks):
			blocks := append(append([][2]int{}, pa.blocks...), pb.blocks...)
			sort.Slice(blocks, func(i, j int) bool { return blocks[i][0] < blocks[j][0] })
			merged = &partial{writes: append(append([]int{}, pa.writes...), pb.writes...), blocks: blocks, base: -1, axis: pa.axis}
		default:
			// One side is the base, the other a chain without one, all of whose
			// SliceGrads come later.
			if pa == nil && pb != nil {
				pa = baseOf(a, n.Shape)
			} else if pb == nil && pa != nil {
				pb = baseOf(b, n.Shape)
			}
			if pa == nil || pb == nil {
				break
			}
			if pa.base >= 0 && len(pa.writes) > 0 || pb.base >= 0 && len(pb.writes) > 0 {
				break
			}
			based, added := pa, pb
			if pb.last < pa.last {
				based, added = pb, pa
			}
			if added.base >= 0 || len(added.adds) > 0 || slices.ContainsFunc(added.writes, func(w int) bool { return pos[w] < based.last }) {
				break
			}
			merged = &partial{writes: based.writes, blocks: based.blocks, adds: append(append([]int{}, based.adds...), added.writes...),
				base: based.base, axis: based.axis}
			if based.base >= 0 {
				merged.axis = added.axis
			}
		}
		if merged == nil {
			continue
		}
		merged.members = append(append(append([]int{}, pa.members...), pb.members...), id)
		merged.last, merged.shape = pos[id], n.Shape
		parts[id] = merged
		delete(parts, a)
		delete(parts, b)
	}
	chains := map[int]*sumChain{}
	for final, p := range parts {
		if g.Nodes[final].Op != ir.OpAdd {
			continue
		}
		c := &sumChain{final: final, members: p.members, role: map[int]chainRole{}}
		sort.Slice(c.members, func(i, j int) bool { return pos[c.members[i]] < pos[c.members[j]] })
		c.root = c.members[0]
		for _, id := range p.writes {
			c.role[id] = roleWrite
		}
		for _, id := range p.adds {
			c.role[id] = roleAdd
		}
		if p.base >= 0 {
			c.role[p.base] = roleBase
		}
		if p.base < 0 && p.axis >= 0 {
			at := 0
			for _, b := range p.blocks {
				if b[0] != at {
					break
				}
				at = b[1]
			}
			c.clear = at != p.shape[p.axis]
		}
		for _, id := range c.members {
			chains[id] = c
		}
	}
	return chains
}

// disjoint reports whether no block of a overlaps one of b.
func disjoint(a, b [][2]int) bool {
	for _, x := range a {
		for _, y := range b {
			if x[0] < y[1] && y[0] < x[1] {
				return false
			}
		}
	}
	return true
}

// storageRoots is passes.StorageRoots with the members of sum chains stored in
// their chain's root, computed in program order.
func storageRoots(g *ir.Graph, order []int, chains map[int]*sumChain) []int {
	root := make([]int, len(g.Nodes))
	for i := range root {
		root[i] = i
	}
	for _, id := range order {
		n := g.Nodes[id]
		if c := chains[id]; c != nil {
			root[id] = c.root
		} else if i := passes.ViewInput(n); i >= 0 {
			root[id] = root[n.Inputs[i]]
		}
	}
	return root
}

// findFamilies assigns the storage roots computed by step groups to families and
// decides how many slots each needs.
func (ls *loopState) findFamilies(g *ir.Graph, order []int, root []int, keep []int) {
	pos := map[int]int{}
	for i, id := range order {
		pos[id] = i
	}
	for _, s := range ls.seqs {
		s.regular = true
		s.last2 = map[int]bool{}
		dir := 0
		for i, gr := range s.groups {
			first := pos[gr.nodes[0]]
			for j, id := range gr.nodes {
				if pos[id] != first+j {
					s.regular = false
				}
			}
			if i > 0 {
				prev := s.groups[i-1]
				d := gr.step - prev.step
				if (d != 1 && d != -1) || (dir != 0 && d != dir) || pos[gr.nodes[0]] <= pos[prev.nodes[len(prev.nodes)-1]] {
					s.regular = false
				}
				dir = d
			}
		}
		n := len(s.groups)
		s.last2[s.groups[n-1].step] = true
		if n > 1 {
			s.last2[s.groups[n-2].step] = true
		}
		last := s.groups[n-1].nodes
		s.lastPos = pos[last[len(last)-1]]
	}

	// Families: one per (sequence, what, shape), of storage roots that are step nodes
	// and not the root of a chain that spans several steps.
	byKey := map[string]*family{}
	var members []int
	for _, id := range order {
		gr := ls.groupOf[id]
		if gr == nil || root[id] != id {
			continue
		}
		if c := ls.chainOf[id]; c != nil {
			for _, m := range c.members {
				if ls.groupOf[m] != gr {
					c = nil
					break
				}
			}
			if c == nil {
				continue
			}
		}
		// The shape is part of the key: autodiff numbers a step's gradient nodes in
		// the order it creates them, so "gates_matmul.1" is dh at one step and the
		// weight gradient at the first, which needs no dh.
		_, _, what, _ := parseStep(g.Nodes[id].Name)
		key := gr.seq.prefix + "\x00" + what + "\x00" + g.Nodes[id].Shape.String()
		f := byKey[key]
		if f == nil {
			f = &family{seq: gr.seq, what: what, shape: g.Nodes[id].Shape, ring: 1}
			if !gr.seq.regular {
				f.ring = 0 // steps may interleave: never share a slot
			}
			byKey[key] = f
		}
		ls.fam[id] = f
		members = append(members, id)
	}

	// Slots: what reads each member, through views and chains.
	read := func(r, at int, reader *stepGroup) {
		f := ls.fam[r]
		if f == nil || f.ring == 0 {
			return
		}
		gr := ls.groupOf[r]
		switch {
		case !f.seq.regular:
			f.ring = 0
		case reader == gr:
		case reader != nil && reader.seq == gr.seq && (reader.step-gr.step == 1 || reader.step-gr.step == -1):
			f.ring = 2
		case at > f.seq.lastPos && f.seq.last2[gr.step]:
			f.ring = 2
		default:
			f.ring = 0
		}
	}
	for i, id := range order {
		for _, in := range g.Nodes[id].Inputs {
			read(root[in], i, ls.groupOf[id])
		}
	}
	for _, id := range keep {
		read(root[id], len(order), nil)
	}
	ls.findStepProducts(g, order, root, keep)
	for _, id := range members {
		if f := ls.fam[id]; f != nil && f.slots == 0 {
			f.id = len(ls.fams)
			ls.fams = append(ls.fams, f)
			f.slots = f.ring
			if f.ring == 0 {
				for _, gr := range f.seq.groups {
					f.slots = max(f.slots, gr.step+1)
				}
			}
		}
	}
}

// planArena places the program's values with passes.Plan. Each family is one value
// of slots·stride elements, placed just before its first member; members are views
// of it. Members of chains are views of the chain's root.
func (p *program) planArena(root []int, arena []bool, keep []int, maxBatch int) (*passes.MemPlan, error) {
	const align = 16
	g := p.g
	sg := &ir.Graph{}
	idx := make([]int, len(g.Nodes))
	add := func(n *ir.Node) int {
		n.ID = len(sg.Nodes)
		sg.Nodes = append(sg.Nodes, n)
		return n.ID
	}
	inOrder := make([]bool, len(g.Nodes))
	for _, id := range p.order {
		inOrder[id] = true
	}
	for _, n := range g.Nodes {
		if !inOrder[n.ID] {
			idx[n.ID] = add(&ir.Node{Op: ir.OpInput, Shape: n.Shape})
		}
	}
	var order []int
	var sgArena []bool
	famNode := map[*family]int{}
	segEnd := map[int]*segment{}
	for _, seg := range p.segments {
		segEnd[seg.last] = seg
	}
	for i, id := range p.order {
		n := g.Nodes[id]
		r := root[id]
		f := p.loops.fam[r]
		if f != nil {
			if _, ok := famNode[f]; !ok {
				e := f.shape.Elems()
				if f.shape.Batched() {
					e *= maxBatch
				}
				f.stride = (e + align - 1) / align * align
				famNode[f] = add(&ir.Node{Op: ir.OpFill, Shape: ir.Shape{f.slots * f.stride}})
				order = append(order, famNode[f])
			}
		}
		op, ins := n.Op, []int{}
		switch {
		case r != id:
			op, ins = ir.OpIdentity, []int{idx[r]}
		case f != nil:
			op, ins = ir.OpIdentity, []int{famNode[f]}
		}
		for _, in := range n.Inputs {
			ins = append(ins, idx[in])
		}
		idx[id] = add(&ir.Node{Op: op, Shape: n.Shape, Inputs: ins, Name: n.Name, Layer: n.Layer})
		order = append(order, idx[id])
		if seg := segEnd[i]; seg != nil {
			// A node that stores nothing and reads every value the segment touches
			// holds them all until the segment ends (segments.go).
			var held []int
			for _, h := range p.holds(seg) {
				held = append(held, idx[h])
			}
			order = append(order, add(&ir.Node{Op: ir.OpConcat, Shape: ir.Shape{1}, Inputs: held, Name: fmt.Sprintf("(segment %d … %d held)", seg.first, seg.last)}))
		}
	}
	sgArena = make([]bool, len(sg.Nodes))
	for _, id := range p.order {
		sgArena[idx[id]] = arena[id]
	}
	for _, sid := range famNode {
		sgArena[sid] = true
	}
	var sgKeep []int
	for _, id := range keep {
		sgKeep = append(sgKeep, idx[id])
	}
	req := passes.PlanRequest{Order: order, Arena: sgArena, Keep: sgKeep, MaxBatch: maxBatch, Align: align}
	// Hints from fusion, in the planner's numbering. A family member or a chain
	// member never takes another value's place: its storage is the family's or the
	// chain's.
	stored := func(id int) bool { return p.loops.fam[root[id]] != nil || p.loops.chainOf[id] != nil }
	for id, reads := range p.reads {
		if req.Reads == nil {
			req.Reads = map[int][]int{}
		}
		for _, r := range reads {
			req.Reads[idx[id]] = append(req.Reads[idx[id]], idx[r])
		}
	}
	for id, over := range p.inPlace {
		if stored(id) || p.loops.cells[id] != nil {
			continue
		}
		for _, o := range over {
			if stored(o) {
				continue
			}
			if req.InPlace == nil {
				req.InPlace = map[int][]int{}
			}
			req.InPlace[idx[id]] = append(req.InPlace[idx[id]], idx[o])
		}
	}
	sp, err := passes.Plan(sg, req)
	if err != nil {
		return nil, err
	}
	plan := &passes.MemPlan{Size: sp.Size, Root: root, Offset: make([]int, len(g.Nodes)), Live: map[int][2]int{},
		Over: map[int]int{}, Unplanned: sp.Unplanned, Sizes: sp.Sizes, Strategy: sp.Strategy}
	back := map[int]int{} // the planner's numbering → the program's
	for _, id := range p.order {
		back[idx[id]] = id
	}
	for s, o := range sp.Over {
		plan.Over[back[s]] = back[o]
	}
	for s, l := range sp.Live {
		if id, ok := back[s]; ok {
			plan.Live[id] = l // families have no node of their own
		}
	}
	for id := range plan.Offset {
		plan.Offset[id] = -1
		if r := root[id]; p.loops.fam[r] == nil && inOrder[r] {
			plan.Offset[id] = sp.Offset[idx[r]]
		}
	}
	for f, sid := range famNode {
		f.base = sp.Offset[sid]
	}
	return plan, nil
}

// findRuns finds the runs of identical step groups of every regular sequence.
func (ls *loopState) findRuns(p *program) {
	pos := map[int]int{}
	for i, id := range p.order {
		pos[id] = i
	}
	for _, s := range ls.seqs {
		if !s.regular || len(s.groups) < 2 {
			continue
		}
		sigs := make([]string, len(s.groups))
		for i, gr := range s.groups {
			sigs[i] = ls.signature(p, gr)
		}
		for i := 0; i < len(s.groups); {
			r := &loopRun{groups: []*stepGroup{s.groups[i]}}
			for j := i + 1; j < len(s.groups) && sigs[j] == sigs[i]; j++ {
				prev := s.groups[j-1]
				if pos[s.groups[j].nodes[0]] != pos[prev.nodes[len(prev.nodes)-1]]+1 {
					break
				}
				if !r.extend(p, s.groups[j]) {
					break
				}
			}
			if len(r.groups) >= 2 {
				ls.runs[pos[r.groups[0].nodes[0]]] = r
			}
			i += len(r.groups)
		}
	}
}

// extend adds gr to the run if the slice starts of its nodes and the steps of the
// family members it uses continue the arithmetic progressions of the run's.
func (r *loopRun) extend(p *program, gr *stepGroup) bool {
	g, ls := p.g, p.loops
	first := r.groups[0]
	dir := gr.step - r.groups[len(r.groups)-1].step
	if len(r.groups) > 1 && dir != r.dir {
		return false
	}
	dk := gr.step - first.step
	affine := func(s0, s int) ([2]int, bool) {
		if (s-s0)%dk != 0 {
			return [2]int{}, false
		}
		e := (s - s0) / dk
		return [2]int{s0 - e*first.step, e}, true
	}
	starts, refs := map[int][2]int{}, map[int][2]int{}
	ref := func(id0, id int) bool {
		r0, r1 := p.plan.Root[id0], p.plan.Root[id]
		if ls.fam[r0] == nil {
			return true // the signature compared them
		}
		ce, ok := affine(ls.groupOf[r0].step, ls.groupOf[r1].step)
		if prev, seen := refs[r0]; ok && seen && prev != ce {
			ok = false
		}
		refs[r0] = ce
		return ok
	}
	for j, id0 := range first.nodes {
		id := gr.nodes[j]
		n0, n := g.Nodes[id0], g.Nodes[id]
		if !ref(id0, id) {
			return false
		}
		for i := range n0.Inputs {
			if !ref(n0.Inputs[i], n.Inputs[i]) {
				return false
			}
		}
		if n.Op == ir.OpSlice || n.Op == ir.OpSliceGrad {
			ce, ok := affine(n0.Attrs.Start, n.Attrs.Start)
			if !ok {
				return false
			}
			starts[j] = ce
		}
	}
	if len(r.groups) > 1 && !(maps.Equal(starts, r.starts) && maps.Equal(refs, r.refs)) {
		return false
	}
	if len(r.groups) == 1 {
		r.dir, r.starts, r.refs = dir, starts, refs
	}
	r.groups = append(r.groups, gr)
	return true
}

// signature describes a group so that two groups with the same signature compute
// the same thing at addresses that differ only by their step: ops, attributes
// (Slice starts aside, checked by extend), shapes, and where every operand and
// result is stored, relative to the group's step.
func (ls *loopState) signature(p *program, gr *stepGroup) string {
	var b strings.Builder
	where := func(id int) {
		r := p.plan.Root[id]
		fmt.Fprintf(&b, " %s", p.g.Nodes[id].Shape)
		if f := ls.fam[r]; f != nil {
			fmt.Fprintf(&b, "@f%d", f.id)
		} else {
			fmt.Fprintf(&b, "@n%d", r)
		}
	}
	for _, id := range gr.nodes {
		n := p.g.Nodes[id]
		a := n.Attrs
		switch n.Op {
		case ir.OpSlice:
			a.Start, a.End = 0, a.End-a.Start
		case ir.OpSliceGrad:
			a.Start = 0
		}
		attrs, _ := json.Marshal(a)
		fmt.Fprintf(&b, "%s %s", n.Op, attrs)
		if f := p.fused[id]; f != nil {
			fmt.Fprintf(&b, " fused(%s)", f.signature())
		}
		if c := ls.chainOf[id]; c != nil {
			fmt.Fprintf(&b, " chain(role=%d root=%v clear=%v final=%v)", c.role[id], c.root == id, c.clear && c.root == id, c.final == id)
		}
		if sp := ls.stepProd[id]; sp != nil && sp.emit == id {
			b.WriteString(" step-product") // the one call: never in a loop
		}
		if ss := ls.stepSum[id]; ss != nil && ss.final == id {
			b.WriteString(" step-sum")
		}
		if ls.edge[gr] {
			fmt.Fprintf(&b, " segment-edge(%d)", gr.step) // a loop of its own, not crossing the edge
		}
		where(id)
		b.WriteString(" <-")
		for _, in := range n.Inputs {
			where(in)
		}
		b.WriteString("\n")
	}
	return b.String()
}

// offset is the arena offset of storage root r as an expression, and as a constant
// when it does not depend on the loop variable.
func (p *program) offset(r int) (*jen.Statement, int, bool) {
	f := p.loops.fam[r]
	if f == nil {
		off := p.plan.Offset[r]
		return jen.Lit(off), off, true
	}
	k := p.loops.groupOf[r].step
	if p.loop == nil || f.ring == 1 {
		off := f.base + f.slot(k)*f.stride
		return jen.Lit(off), off, true
	}
	ce, ok := p.loop.run.refs[r]
	if !ok {
		panic(fmt.Sprintf("codegen: %s: loop over %s reads %q, which it did not compare", p.method, p.loop.run.groups[0].seq.prefix, p.g.Nodes[r].Name)) // a bug in extend
	}
	step := affineStep(ce)
	if ce[1] == 0 {
		off := f.base + f.slot(ce[0])*f.stride
		return jen.Lit(off), off, true
	}
	switch {
	case f.ring == 2:
		step = jen.Parens(jen.Parens(step).Op("&").Lit(1))
	case ce != [2]int{0, 1}:
		step = jen.Parens(step)
	}
	e := jen.Add(step).Op("*").Lit(f.stride)
	if f.base != 0 {
		e = jen.Lit(f.base).Op("+").Add(e)
	}
	return e, 0, false
}

// affineStep is the expression c + e·step.
func affineStep(ce [2]int) *jen.Statement {
	c, e := ce[0], ce[1]
	var s *jen.Statement
	switch e {
	case 0:
		return jen.Lit(c)
	case 1:
		s = jen.Id(loopVar)
	case -1:
		if c != 0 {
			return jen.Lit(c).Op("-").Id(loopVar)
		}
		s = jen.Op("-").Id(loopVar)
	default:
		s = jen.Lit(e).Op("*").Id(loopVar)
	}
	switch {
	case c > 0:
		s = s.Op("+").Lit(c)
	case c < 0:
		s = s.Op("-").Lit(-c)
	}
	return s
}

// familyArray is the whole block of family f.
func (p *program) familyArray(f *family) *jen.Statement {
	return p.arenaRef().Index(jen.Lit(f.base), jen.Lit(f.base+f.slots*f.stride))
}

// emitRun writes one loop for the run starting at position i of the order and
// returns the position after it.
func (p *program) emitRun(r *loopRun) ([]jen.Code, error) {
	first, last := r.groups[0], r.groups[len(r.groups)-1]
	p.loop = &loopCtx{run: r, step0: first.step, index: map[int]int{}}
	defer func() { p.loop = nil }()
	for j, id := range first.nodes {
		p.loop.index[id] = j
	}
	var body []jen.Code
	for _, id := range first.nodes {
		code, err := p.emitNode(id)
		if err != nil {
			return nil, err
		}
		body = append(body, code...)
	}
	cond, post := jen.Op("<="), jen.Op("++")
	if r.dir < 0 {
		cond, post = jen.Op(">="), jen.Op("--")
	}
	head := fmt.Sprintf("%s/t%d … %s/t%d: %d steps, one iteration each", first.seq.prefix, first.step, last.seq.prefix, last.step, len(r.groups))
	return []jen.Code{
		jen.Comment(head),
		jen.For(jen.Id(loopVar).Op(":=").Lit(first.step), jen.Id(loopVar).Add(cond).Lit(last.step), jen.Id(loopVar).Add(post)).Block(body...),
	}, nil
}

// loopComment writes the names of the template step's nodes in a comment (the node
// and what is fused with it) with the loop variable for the step: "lstm/t[step]/c".
func (p *program) loopComment(s string) string {
	first := p.loop.run.groups[0]
	prefix := first.seq.prefix
	if strings.HasPrefix(prefix, "d.") {
		// Gradient nodes name the forward node they are the gradient of.
		s = strings.ReplaceAll(s, fmt.Sprintf("%s/t%d/", prefix, first.step), fmt.Sprintf("%s/t[%s]/", prefix, loopVar))
		prefix = prefix[len("d."):]
	}
	return strings.ReplaceAll(s, fmt.Sprintf("%s/t%d/", prefix, first.step), fmt.Sprintf("%s/t[%s]/", prefix, loopVar))
}

// override emits the nodes the loop machinery computes differently from their op's
// emitter: members of sum chains, slices whose start moves with the loop, and
// Concats of a family's steps. It reports whether it handled n.
func (p *program) override(k *Kernel) (bool, error) {
	n := k.Node
	if c := p.loops.cells[n.ID]; c != nil {
		p.emitLSTMCell(k, c)
		return true, nil
	}
	start := func() jen.Code {
		if p.loop != nil {
			if j, ok := p.loop.index[n.ID]; ok {
				if ce := p.loop.run.starts[j]; ce[1] != 0 {
					return affineStep(ce)
				}
			}
		}
		return nil
	}
	if sp := p.loops.stepProd[n.ID]; sp != nil {
		p.emitStepProduct(k, sp)
		return true, nil
	}
	if ss := p.loops.stepSum[n.ID]; ss != nil {
		p.emitStepSum(k, ss)
		return true, nil
	}
	if c := p.loops.chainOf[n.ID]; c != nil {
		switch c.role[n.ID] {
		case roleSum:
			return true, nil // its SliceGrads wrote the sum
		case roleAdd, roleWrite:
			if n.Op == ir.OpMatMul {
				beta := 0
				if c.role[n.ID] == roleAdd {
					beta = 1
				}
				return true, emitGemm(k, beta)
			}
			st := start()
			if st == nil {
				st = jen.Lit(n.Attrs.Start)
			}
			emitSliceGradAt(k, st, c.role[n.ID] == roleAdd, c.clear && c.root == n.ID)
			return true, nil
		}
	}
	if st := start(); st != nil {
		switch n.Op {
		case ir.OpSlice:
			emitSliceAt(k, st)
			return true, nil
		case ir.OpSliceGrad:
			emitSliceGradAt(k, st, false, true)
			return true, nil
		}
	}
	if n.Op == ir.OpConcat && len(n.Inputs) > 2 {
		return p.emitGather(k), nil
	}
	return false, nil
}

// emitSliceAt is emitSlice with the start an int parameter.
func emitSliceAt(k *Kernel, start jen.Code) {
	a := k.Node.Attrs
	x, y := k.In(0), k.Out()
	outer, size, inner := axisDims(x, a.Axis)
	block := (a.End - a.Start) * inner
	xs := k.Bind("x", x)
	ys := k.Bind("y", y)
	st := k.BindInt("start", start)
	lo := jen.Id("o").Op("*").Lit(size * inner).Op("+").Id("at")
	k.Emit(
		jen.Id("at").Op(":=").Add(st).Op("*").Lit(inner),
		loop("o", outer, jen.Copy(span(ys, "o", block, 0, block), jen.Add(xs).Index(lo, lo.Clone().Op("+").Lit(block)))))
}

// emitSliceGradAt writes dy at start along the axis of the result, or adds it there
// if add; it zeroes the result first if clear.
func emitSliceGradAt(k *Kernel, start jen.Code, add, clear bool) {
	a := k.Node.Attrs
	dy, y := k.In(0), k.Out()
	outer, size, inner := axisDims(y, a.Axis)
	block := dy.Shape[a.Axis] * inner
	ds := k.Bind("dy", dy)
	ys := k.Bind("y", y)
	st := k.BindInt("start", start)
	if clear {
		k.Emit(jen.Clear(ys))
	}
	k.Emit(jen.Id("at").Op(":=").Add(st).Op("*").Lit(inner))
	lo := jen.Id("o").Op("*").Lit(size * inner).Op("+").Id("at")
	if !add {
		k.Emit(loop("o", outer, jen.Copy(jen.Add(ys).Index(lo, lo.Clone().Op("+").Lit(block)), span(ds, "o", block, 0, block))))
		return
	}
	k.Emit(loop("o", outer,
		jen.Id("yo").Op(":=").Add(ys).Index(lo, lo.Clone().Op("+").Lit(block)),
		jen.For(jen.List(jen.Id("i"), jen.Id("v")).Op(":=").Range().Add(span(ds, "o", block, 0, block))).Block(
			jen.Id("yo").Index(jen.Id("i")).Op("+=").Id("v"))))
}

// emitGather writes a Concat whose inputs are the steps of one family in an
// arithmetic progression (a layer's output sequence), or one value repeated (a
// variational dropout mask), as a loop over the inputs rather than one copy each.
func (p *program) emitGather(k *Kernel) bool {
	n := k.Node
	ins := n.Inputs
	shape := p.g.Nodes[ins[0]].Shape
	for _, in := range ins {
		if !p.g.Nodes[in].Shape.Equal(shape) {
			return false
		}
	}
	var src Value
	var first, step, stride int
	if r := p.plan.Root[ins[0]]; slices.IndexFunc(ins, func(in int) bool { return in != ins[0] }) < 0 {
		src = p.value(ins[0])
	} else {
		f := p.loops.fam[r]
		if f == nil || f.ring != 0 || !f.shape.Equal(shape) {
			return false
		}
		first = p.loops.groupOf[r].step
		for i, in := range ins {
			rr := p.plan.Root[in]
			if p.loops.fam[rr] != f {
				return false
			}
			if i == 1 {
				step = p.loops.groupOf[rr].step - first
			}
			if p.loops.groupOf[rr].step != first+i*step {
				return false
			}
		}
		stride = f.stride
		src = Value{ID: ins[0], Shape: shape, DType: ir.Float, slice: p.familyArray(f)}
	}
	ax := n.Attrs.Axis
	y := k.Out()
	outer, size, inner := axisDims(y, ax)
	block := shape[ax] * inner
	ys := k.Bind("y", y)
	xs := k.Bind("x", src)
	for _, in := range ins {
		k.bound[in] = true
	}
	off := jen.Lit(first * stride)
	switch {
	case stride == 0 || step == 0:
		off = jen.Lit(0)
	case step == 1:
		off = jen.Parens(jen.Lit(first).Op("+").Id("i")).Op("*").Lit(stride)
	default:
		off = jen.Parens(jen.Lit(first).Op("+").Lit(step).Op("*").Id("i")).Op("*").Lit(stride)
	}
	k.Emit(loop("i", jen.Lit(len(ins)),
		jen.Id("xi").Op(":=").Add(xs).Index(off, jen.Empty()),
		loop("o", outer, jen.Copy(
			jen.Add(ys).Index(jen.Id("o").Op("*").Lit(size*inner).Op("+").Id("i").Op("*").Lit(block), jen.Id("o").Op("*").Lit(size*inner).Op("+").Parens(jen.Id("i").Op("+").Lit(1)).Op("*").Lit(block)),
			span(jen.Id("xi"), "o", block, 0, block)))))
	return true
}
