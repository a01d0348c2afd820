package passes

import (
	"fmt"
	"sort"

	"github.com/dlgen/dlgen/ir"
)

// Static memory planning: every intermediate value of a program gets an offset in one
// float32 arena sized for the largest batch, so the generated code allocates nothing
// per call. Values whose lifetimes do not overlap share space (greedy first-fit over
// the execution order, as in onnx2c and Glow's bundles).
//
// Some values have no storage of their own. A view (Reshape, Identity) is its input's
// storage read with another shape; RunningUpdate writes its state parameter in place
// and its value is that parameter. Everything a view is computed from is its root;
// only roots are placed, and a root lives until the last read of any of its views.
// (Views of parameters see later in-place updates of those parameters; the graphs
// lowering builds never read a state parameter after its RunningUpdate.)

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
}

// MemPlan is where every value of a program lives.
type MemPlan struct {
	Size   int   // elements of the arena the program needs
	Offset []int // by node ID: the arena offset of the value's root, or -1 when not in the arena
	Root   []int // by node ID: the node whose storage holds the value
	// Live[id] = {first, last} positions in Order during which root id occupies its
	// place (for tests and dumps).
	Live map[int][2]int
}

// Plan places the arena roots of one program. Values never overlap while both are
// live, and a node's result never shares space with its own inputs, so kernels may
// assume their output does not alias what they read.
func Plan(g *ir.Graph, req PlanRequest) (*MemPlan, error) {
	if req.MaxBatch < 1 {
		return nil, fmt.Errorf("plan: MaxBatch %d must be positive", req.MaxBatch)
	}
	if len(req.Arena) != len(g.Nodes) {
		return nil, fmt.Errorf("plan: Arena has %d entries for %d nodes", len(req.Arena), len(g.Nodes))
	}
	align := max(req.Align, 1)
	root := StorageRoots(g)
	p := &MemPlan{Offset: make([]int, len(g.Nodes)), Root: root, Live: map[int][2]int{}}
	for i := range p.Offset {
		p.Offset[i] = -1
	}

	// Lifetimes of arena roots, in positions of Order.
	def := map[int]int{}
	last := map[int]int{}
	end := len(req.Order)
	for t, id := range req.Order {
		if id < 0 || id >= len(g.Nodes) {
			return nil, fmt.Errorf("plan: order names node %d, which does not exist", id)
		}
		if r := root[id]; r == id && req.Arena[r] {
			if _, dup := def[r]; dup {
				return nil, fmt.Errorf("plan: node %d is computed twice", id)
			}
			def[r] = t
			last[r] = t
		}
		for _, in := range g.Nodes[id].Inputs {
			r := root[in]
			if !req.Arena[r] {
				continue
			}
			if _, ok := def[r]; !ok {
				return nil, &ir.Error{Layer: g.Nodes[id].Layer, Op: g.Nodes[id].Op, Msg: fmt.Sprintf("plan: reads %q before it is computed", g.Nodes[r].Name)}
			}
			last[r] = t
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

	// Values to free after each position.
	frees := make([][]int, end+1)
	for r, t := range last {
		frees[t] = append(frees[t], r)
	}
	for _, f := range frees {
		sort.Ints(f) // map order must not make the plan differ between runs
	}

	var free []segment // sorted by offset, never adjacent
	top := 0
	size := func(id int) int {
		s := g.Nodes[id].Shape
		e := s.Elems()
		if s.Batched() {
			e *= req.MaxBatch
		}
		return (e + align - 1) / align * align
	}
	for t, id := range req.Order {
		if r := root[id]; r == id && req.Arena[r] {
			sz := size(r)
			off := -1
			for i, s := range free {
				if s.size >= sz {
					off = s.off
					free[i].off += sz
					free[i].size -= sz
					if free[i].size == 0 {
						free = append(free[:i], free[i+1:]...)
					}
					break
				}
			}
			if off < 0 {
				// Grow the arena; a free segment at the top is reused as its start.
				if n := len(free); n > 0 && free[n-1].off+free[n-1].size == top {
					off = free[n-1].off
					free = free[:n-1]
				} else {
					off = top
				}
				top = off + sz
			}
			p.Offset[r] = off
			p.Live[r] = [2]int{t, last[r]}
		}
		for _, r := range frees[t] {
			free = release(free, segment{p.Offset[r], size(r)})
		}
	}
	for id := range p.Offset {
		if r := root[id]; p.Offset[r] >= 0 {
			p.Offset[id] = p.Offset[r]
		}
	}
	p.Size = top
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
