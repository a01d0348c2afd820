package passes

import (
	"fmt"
	"slices"
	"sort"

	"github.com/dlgen/dlgen/ir"
)

// Static memory planning: every intermediate value of a program gets an offset in one
// float32 arena sized for the largest batch, so the generated code allocates nothing
// per call. Values whose lifetimes do not overlap share space.
//
// Some values have no storage of their own. A view (Reshape, Identity) is its input's
// storage read with another shape; RunningUpdate writes its state parameter in place
// and its value is that parameter. Everything a view is computed from is its root;
// only roots are placed, and a root lives until the last read of any of its views.
// (Views of parameters see later in-place updates of those parameters; the graphs
// lowering builds never read a state parameter after its RunningUpdate.)
//
// A kernel that computes element i of its result from element i of its operands
// only (an element-wise op, a fused chain of them) may write its result over an
// operand of the same size that nobody reads afterwards; the caller lists such
// operands in PlanRequest.InPlace. Such a chain of values is one buffer, live from
// the first value's definition to the last one's last read.
//
// Buffers are then placed by whichever of three heuristics gives the smallest arena
// (each is a few milliseconds even for an unrolled LSTM's training step):
//
//   - greedy by size, best fit: the largest buffer first, each at the smallest gap
//     between the buffers already placed whose lifetimes overlap its own (Pisarchyk
//     and Lee, "Efficient Memory Management for Deep Neural Net Inference", 2020,
//     the "Greedy by Size" offset calculation TensorFlow Lite uses);
//   - greedy by size, first fit: the same, at the lowest gap that fits (TensorFlow
//     Lite Micro's GreedyMemoryPlanner);
//   - execution order, first fit: buffers in the order they are defined, each at the
//     lowest free offset, as a malloc with a free list would (onnx2c).
//
// Greedy by size is usually best on the long-lived, different-sized values of a
// training step; in execution order wins on some chains. The plan records all three
// sizes, and Unplanned, the size without any sharing, for `dlgen dump -plan`.

// ViewInput returns which input of n holds n's value (n computes nothing into storage
// of its own), or -1.
func ViewInput(n *ir.Node) int {
	switch n.Op {
	case ir.OpReshape, ir.OpIdentity, ir.OpRunningUpdate:
		return 0
	}
	return -1
}

// StorageRoots returns, for every node, the node whose storage holds its value: the
// node itself, or for a view the root of its input.
func StorageRoots(g *ir.Graph) []int {
	root := make([]int, len(g.Nodes))
	for _, n := range g.Nodes {
		root[n.ID] = n.ID
		if i := ViewInput(n); i >= 0 {
			root[n.ID] = root[n.Inputs[i]]
		}
	}
	return root
}

// The placement heuristics, by name.
const (
	BestFit  = "greedy by size, best fit"
	FirstFit = "greedy by size, first fit"
	InOrder  = "execution order, first fit"
)

// PlanRequest describes one program to place in the arena.
type PlanRequest struct {
	// Order lists the nodes the program computes, in execution order. Nodes read but
	// not listed (inputs, parameters) are available from the start.
	Order []int
	// Arena[id] says that root id is stored in the arena. Roots stored elsewhere (the
	// caller's slices, parameter and gradient buffers) are not placed.
	Arena []bool
	// Keep lists values read after the last node of Order (the loss, results copied
	// out at the end); their roots live to the end.
	Keep []int
	// MaxBatch is the largest batch: a batched value takes MaxBatch·elements.
	MaxBatch int
	// Align rounds every offset and size up to a multiple of this many elements
	// (16 float32 = one 64-byte cache line); 0 or 1 means no rounding.
	Align int
	// Reads[id], when set, lists what node id's kernel reads instead of its graph
	// inputs: a fused kernel computes a chain of nodes, whose inner values are never
	// stored, from the chain's outside operands.
	Reads map[int][]int
	// InPlace[id] lists operands (among what id reads) whose storage id's result may
	// take when id is their last reader; the kernel must read element i of such an
	// operand before it writes element i of its result, and no other element after.
	InPlace map[int][]int
	// Strategy names the one heuristic to use (a key of MemPlan.Sizes); empty means
	// the best of all.
	Strategy string
}

// MemPlan is where every value of a program lives.
type MemPlan struct {
	Size   int   // elements of the arena the program needs
	Offset []int // by node ID: the arena offset of the value's root, or -1 when not in the arena
	Root   []int // by node ID: the node whose storage holds the value
	// Live[id] = {first, last} positions in Order during which root id occupies its
	// place (for tests and dumps).
	Live map[int][2]int
	// Over[id] = r: root id was computed over root r, an operand it read last
	// (PlanRequest.InPlace), so the two share their place.
	Over map[int]int
	// Unplanned is the arena size without any sharing: the sum of every placed
	// root's size. Sizes gives the size each heuristic tried reached (BestFit,
	// FirstFit, InOrder); Size is the smallest, by Strategy.
	Unplanned int
	Sizes     map[string]int
	Strategy  string
}

// Plan places the arena roots of one program. Values never overlap while both are
// live, and a node's result never shares space with its own inputs, except an input
// the request lets it overwrite in place; so kernels may assume their output does
// not alias what they read.
func Plan(g *ir.Graph, req PlanRequest) (*MemPlan, error) {
	if req.MaxBatch < 1 {
		return nil, fmt.Errorf("plan: MaxBatch %d must be positive", req.MaxBatch)
	}
	if len(req.Arena) != len(g.Nodes) {
		return nil, fmt.Errorf("plan: Arena has %d entries for %d nodes", len(req.Arena), len(g.Nodes))
	}
	align := max(req.Align, 1)
	root := StorageRoots(g)
	p := &MemPlan{Offset: make([]int, len(g.Nodes)), Root: root, Live: map[int][2]int{}, Over: map[int]int{}, Sizes: map[string]int{}}
	for i := range p.Offset {
		p.Offset[i] = -1
	}
	size := func(id int) int {
		s := g.Nodes[id].Shape
		e := s.Elems()
		if s.Batched() {
			e *= req.MaxBatch
		}
		return (e + align - 1) / align * align
	}
	reads := func(id int) []int {
		if r, ok := req.Reads[id]; ok {
			return r
		}
		return g.Nodes[id].Inputs
	}

	// Lifetimes of arena roots, in positions of Order.
	def := map[int]int{}
	last := map[int]int{}
	end := len(req.Order)
	var roots []int // in order of definition
	for t, id := range req.Order {
		if id < 0 || id >= len(g.Nodes) {
			return nil, fmt.Errorf("plan: order names node %d, which does not exist", id)
		}
		for _, in := range reads(id) {
			r := root[in]
			if !req.Arena[r] {
				continue
			}
			if _, ok := def[r]; !ok {
				return nil, &ir.Error{Layer: g.Nodes[id].Layer, Op: g.Nodes[id].Op, Msg: fmt.Sprintf("plan: reads %q before it is computed", g.Nodes[r].Name)}
			}
			last[r] = t
		}
		if r := root[id]; r == id && req.Arena[r] {
			if _, dup := def[r]; dup {
				return nil, fmt.Errorf("plan: node %d is computed twice", id)
			}
			def[r] = t
			last[r] = t
			roots = append(roots, r)
		}
	}
	for _, id := range req.Keep {
		r := root[id]
		if !req.Arena[r] {
			continue
		}
		if _, ok := def[r]; !ok {
			return nil, fmt.Errorf("plan: kept value %q is never computed", g.Nodes[id].Name)
		}
		last[r] = end
	}

	// Buffers: a root, and the roots computed over it in place after it.
	type buffer struct {
		first, last, size int
		roots             []int
	}
	var bufs []*buffer
	bufOf := map[int]*buffer{}
	for _, r := range roots {
		var b *buffer
		for _, in := range req.InPlace[r] {
			if !slices.Contains(reads(r), in) {
				return nil, &ir.Error{Layer: g.Nodes[r].Layer, Op: g.Nodes[r].Op, Msg: fmt.Sprintf("plan: may overwrite %q, which it does not read", g.Nodes[in].Name)}
			}
			o := root[in]
			ob := bufOf[o]
			if ob != nil && last[o] == def[r] && size(o) == size(r) && ob.roots[len(ob.roots)-1] == o {
				b = ob
				p.Over[r] = o
				break
			}
		}
		if b == nil {
			b = &buffer{first: def[r], size: size(r)}
			bufs = append(bufs, b)
		}
		b.roots = append(b.roots, r)
		b.last = last[r]
		bufOf[r] = b
		p.Unplanned += size(r)
	}

	// Place the buffers by each heuristic and keep the smallest arena.
	overlap := func(a, b *buffer) bool { return a.first <= b.last && b.first <= a.last }
	greedyBySize := func(bestFit bool) ([]int, int) {
		idx := make([]int, len(bufs))
		for i := range idx {
			idx[i] = i
		}
		sort.SliceStable(idx, func(i, j int) bool { return bufs[idx[i]].size > bufs[idx[j]].size })
		off := make([]int, len(bufs))
		var placed []int // indices of placed buffers, by offset
		top := 0
		for _, i := range idx {
			b := bufs[i]
			best, bestGap := -1, 0
			prevEnd := 0
			for _, j := range placed {
				if !overlap(b, bufs[j]) {
					continue
				}
				if gap := off[j] - prevEnd; gap >= b.size && (best < 0 || (bestFit && gap < bestGap)) {
					best, bestGap = prevEnd, gap
					if !bestFit {
						break
					}
				}
				prevEnd = max(prevEnd, off[j]+bufs[j].size)
			}
			if best < 0 {
				best = prevEnd
			}
			off[i] = best
			top = max(top, best+b.size)
			k := sort.Search(len(placed), func(k int) bool { return off[placed[k]] > best })
			placed = slices.Insert(placed, k, i)
		}
		return off, top
	}
	inOrder := func() ([]int, int) {
		// bufs are in order of their first definition.
		frees := make([][]int, end+1)
		for i, b := range bufs {
			frees[b.last] = append(frees[b.last], i)
		}
		off := make([]int, len(bufs))
		var free []segment // sorted by offset, never adjacent
		top := 0
		next := 0
		for t := 0; t <= end; t++ {
			for ; next < len(bufs) && bufs[next].first == t; next++ {
				sz := bufs[next].size
				o := -1
				for i, s := range free {
					if s.size >= sz {
						o = s.off
						free[i].off += sz
						free[i].size -= sz
						if free[i].size == 0 {
							free = append(free[:i], free[i+1:]...)
						}
						break
					}
				}
				if o < 0 {
					// Grow the arena; a free segment at the top is reused as its start.
					if n := len(free); n > 0 && free[n-1].off+free[n-1].size == top {
						o = free[n-1].off
						free = free[:n-1]
					} else {
						o = top
					}
					top = o + sz
				}
				off[next] = o
			}
			for _, i := range frees[t] {
				free = release(free, segment{off[i], bufs[i].size})
			}
		}
		return off, top
	}
	var bestOff []int
	for _, h := range []struct {
		name  string
		place func() ([]int, int)
	}{
		{BestFit, func() ([]int, int) { return greedyBySize(true) }},
		{FirstFit, func() ([]int, int) { return greedyBySize(false) }},
		{InOrder, inOrder},
	} {
		if req.Strategy != "" && req.Strategy != h.name {
			continue
		}
		off, top := h.place()
		p.Sizes[h.name] = top
		if bestOff == nil || top < p.Size {
			bestOff, p.Size, p.Strategy = off, top, h.name
		}
	}
	if bestOff == nil {
		return nil, fmt.Errorf("plan: unknown strategy %q", req.Strategy)
	}
	for i, b := range bufs {
		for _, r := range b.roots {
			p.Offset[r] = bestOff[i]
			p.Live[r] = [2]int{def[r], last[r]}
		}
	}
	for id := range p.Offset {
		if r := root[id]; p.Offset[r] >= 0 {
			p.Offset[id] = p.Offset[r]
		}
	}
	return p, nil
}

type segment struct{ off, size int }

// release returns s to the free list, merging it with its neighbours.
func release(free []segment, s segment) []segment {
	i := sort.Search(len(free), func(i int) bool { return free[i].off > s.off })
	free = append(free, segment{})
	copy(free[i+1:], free[i:])
	free[i] = s
	// Merge with the next, then with the previous.
	if i+1 < len(free) && free[i].off+free[i].size == free[i+1].off {
		free[i].size += free[i+1].size
		free = append(free[:i+1], free[i+2:]...)
	}
	if i > 0 && free[i-1].off+free[i-1].size == free[i].off {
		free[i-1].size += free[i].size
		free = append(free[:i], free[i+1:]...)
	}
	return free
}
