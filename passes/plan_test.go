package passes_test

import (
	"fmt"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dlgen/dlgen/internal/randgraph"
	"github.com/dlgen/dlgen/ir"
	"github.com/dlgen/dlgen/passes"
)

// planRequest plans a whole graph as one program: every node but inputs and
// parameters is computed in order, every root that is computed goes in the arena,
// and outputs, loss and gradients are kept to the end.
func planRequest(g *ir.Graph, maxBatch int) passes.PlanRequest {
	req := passes.PlanRequest{Arena: make([]bool, len(g.Nodes)), MaxBatch: maxBatch, Align: 16}
	root := passes.StorageRoots(g)
	for _, n := range g.Nodes {
		if n.Op == ir.OpInput || n.Op == ir.OpParam {
			continue
		}
		req.Order = append(req.Order, n.ID)
		if root[n.ID] == n.ID {
			req.Arena[n.ID] = true
		}
	}
	for _, o := range g.Outputs {
		req.Keep = append(req.Keep, o.ID)
	}
	if g.Loss >= 0 {
		req.Keep = append(req.Keep, g.Loss)
	}
	for _, gr := range g.Grads {
		req.Keep = append(req.Keep, gr.ID)
	}
	return req
}

func planSize(g *ir.Graph, id, maxBatch, align int) int {
	s := g.Nodes[id].Shape
	e := s.Elems()
	if s.Batched() {
		e *= maxBatch
	}
	return (e + align - 1) / align * align
}

// simulate runs the program on a tagged arena: computing a value writes its ID over
// its range, and every read (and every kept value at the end) must find its own ID
// there, so a value overwritten while still needed is found. A value the plan says
// was computed over an operand (MemPlan.Over) may overwrite that one operand.
func simulate(g *ir.Graph, req passes.PlanRequest, p *passes.MemPlan) error {
	tags := make([]int, p.Size)
	for i := range tags {
		tags[i] = -1
	}
	check := func(id int, when string) error {
		r := p.Root[id]
		if !req.Arena[r] {
			return nil
		}
		off, size := p.Offset[r], planSize(g, r, req.MaxBatch, req.Align)
		for i := off; i < off+size; i++ {
			if tags[i] != r {
				return fmt.Errorf("%s: %q at [%d, %d) was overwritten by node %d", when, g.Nodes[r].Name, off, off+size, tags[i])
			}
		}
		return nil
	}
	for _, id := range req.Order {
		n := g.Nodes[id]
		reads := n.Inputs
		if r, ok := req.Reads[id]; ok {
			reads = r
		}
		for _, in := range reads {
			if err := check(in, "reading "+n.Name); err != nil {
				return err
			}
		}
		over, isOver := p.Over[id]
		if isOver && !slices.ContainsFunc(req.InPlace[id], func(in int) bool { return p.Root[in] == over }) {
			return fmt.Errorf("%q was computed over %q, which it may not overwrite", n.Name, g.Nodes[over].Name)
		}
		if r := p.Root[id]; r == id && req.Arena[r] {
			off, size := p.Offset[r], planSize(g, r, req.MaxBatch, req.Align)
			if off < 0 || off%req.Align != 0 || off+size > p.Size {
				return fmt.Errorf("%q placed at %d (size %d) in an arena of %d", n.Name, off, size, p.Size)
			}
			for i := off; i < off+size; i++ {
				if tags[i] >= 0 && tags[i] != r && (!isOver || tags[i] != over) && p.Live[tags[i]][1] >= p.Live[r][0] {
					return fmt.Errorf("%q overwrites the live %q", n.Name, g.Nodes[tags[i]].Name)
				}
				tags[i] = r
			}
		}
		// A result never shares space with its operands, except the one it was
		// computed over: check them again.
		for _, in := range reads {
			if isOver && p.Root[in] == over {
				continue
			}
			if err := check(in, "after writing "+n.Name); err != nil {
				return err
			}
		}
	}
	for _, id := range req.Keep {
		if err := check(id, "at the end"); err != nil {
			return err
		}
	}
	return nil
}

// elementwise are the ops whose generated kernels may write over an operand.
var elementwise = map[string]bool{ir.OpRelu: true, ir.OpAdd: true, ir.OpMul: true, ir.OpSub: true, ir.OpScale: true,
	ir.OpExp: true, ir.OpTanh: true, ir.OpSigmoid: true, ir.OpReluGrad: true, ir.OpBiasAdd: true}

func TestPlansKeepEveryValueIntactUntilItsLastRead(t *testing.T) {
	const maxBatch = 5
	for _, mode := range []string{ir.ModeInfer, ir.ModeTrain} {
		for seed := uint64(0); seed < 100; seed++ {
			g, err := randgraph.New(seed, mode)
			require.NoError(t, err)
			if mode == ir.ModeTrain {
				g, err = passes.Autodiff(g)
				require.NoError(t, err)
			}
			req := planRequest(g, maxBatch)
			// Every element-wise node may overwrite its operands, on every other graph.
			if seed%2 == 1 {
				req.InPlace = map[int][]int{}
				for _, id := range req.Order {
					if elementwise[g.Nodes[id].Op] {
						req.InPlace[id] = g.Nodes[id].Inputs
					}
				}
			}
			for _, strategy := range []string{passes.BestFit, passes.FirstFit, passes.InOrder, ""} {
				req.Strategy = strategy
				p, err := passes.Plan(g, req)
				require.NoError(t, err)
				require.NoError(t, simulate(g, req, p), "random graph %d for %s, strategy %q", seed, mode, strategy)
				require.LessOrEqual(t, p.Size, p.Unplanned)
			}
		}
	}
}

func TestPlanTakesTheSmallestOfItsHeuristics(t *testing.T) {
	won := map[string]int{}
	for seed := uint64(0); seed < 100; seed++ {
		g, err := randgraph.New(seed, ir.ModeTrain)
		require.NoError(t, err)
		g, err = passes.Autodiff(g)
		require.NoError(t, err)
		p, err := passes.Plan(g, planRequest(g, 3))
		require.NoError(t, err)
		require.Len(t, p.Sizes, 3)
		for name, size := range p.Sizes {
			require.LessOrEqual(t, p.Size, size, name)
		}
		require.Equal(t, p.Size, p.Sizes[p.Strategy])
		won[p.Strategy]++
	}
	assert.Greater(t, won[passes.BestFit]+won[passes.FirstFit], 0, "greedy by size never wins: %v", won)
	_, err := passes.Plan(chain(t, 2), func() passes.PlanRequest { r := planRequest(chain(t, 2), 1); r.Strategy = "random"; return r }())
	require.ErrorContains(t, err, `unknown strategy "random"`)
}

// In execution order, a small value placed first makes a later large one go above
// it; greedy by size places the large ones first and fits the small one around them.
func TestGreedyBySizeFitsSmallValuesAroundLargeOnes(t *testing.T) {
	b := eqNew(t, ir.ModeInfer)
	x := b.input(100)
	small := b.op(ir.OpRelu, ir.Attrs{}, b.op(ir.OpReduceSum, ir.Attrs{}, x)) // 1 element, alive to the end
	big1 := b.op(ir.OpExp, ir.Attrs{}, x)
	big2 := b.op(ir.OpExp, ir.Attrs{}, big1)
	big3 := b.op(ir.OpExp, ir.Attrs{}, big2)
	b.output(big3)
	b.output(small)
	req := planRequest(b.g, 1)
	req.Align = 1
	p, err := passes.Plan(b.g, req)
	require.NoError(t, err)
	require.NoError(t, simulate(b.g, req, p))
	assert.Equal(t, 201, p.Size, "two of the three large values and the small one")
	assert.Greater(t, p.Sizes[passes.InOrder], p.Size)
	assert.Equal(t, 1+1+300, p.Unplanned)
}

func TestPlanComputesElementwiseChainsInPlace(t *testing.T) {
	g := chain(t, 10)
	req := planRequest(g, 4)
	req.InPlace = map[int][]int{}
	for _, id := range req.Order {
		req.InPlace[id] = g.Nodes[id].Inputs
	}
	p, err := passes.Plan(g, req)
	require.NoError(t, err)
	require.NoError(t, simulate(g, req, p))
	assert.Equal(t, 400, p.Size, "every Relu after the first overwrites the one before")
	assert.Equal(t, 10*400, p.Unplanned)
	for id := 2; id <= 10; id++ {
		assert.Equal(t, id-1, p.Over[id])
		assert.Equal(t, p.Offset[1], p.Offset[id])
	}

	t.Run("not over a value read later", func(t *testing.T) {
		g := ir.NewGraph("fork")
		x, _ := g.Add(ir.OpInput, "x", "x", ir.Attrs{Shape: ir.Shape{ir.Batch, 4}, Role: ir.RoleData})
		e, _ := g.Add(ir.OpExp, "e", "e", ir.Attrs{}, x)
		r, _ := g.Add(ir.OpRelu, "r", "r", ir.Attrs{}, e)
		s, _ := g.Add(ir.OpAdd, "s", "s", ir.Attrs{}, r, e) // reads e after r
		g.Outputs = []ir.Output{{Name: "s", ID: s}}
		req := planRequest(g, 1)
		req.InPlace = map[int][]int{r: {e}, s: {r, e}}
		p, err := passes.Plan(g, req)
		require.NoError(t, err)
		require.NoError(t, simulate(g, req, p))
		assert.NotContains(t, p.Over, r, "e is read again by s")
		assert.Equal(t, r, p.Over[s], "s may take r's place (the first operand it may overwrite)")
	})
	t.Run("not over an operand it does not read", func(t *testing.T) {
		req := planRequest(g, 1)
		req.InPlace = map[int][]int{3: {1}}
		_, err := passes.Plan(g, req)
		require.ErrorContains(t, err, "which it does not read")
	})
}

// A fused kernel reads the outside operands of its chain; its inner nodes are not
// computed and take no space.
func TestPlanHonoursWhatFusedKernelsRead(t *testing.T) {
	g := ir.NewGraph("fused")
	x, _ := g.Add(ir.OpInput, "x", "x", ir.Attrs{Shape: ir.Shape{ir.Batch, 8}, Role: ir.RoleData})
	a, _ := g.Add(ir.OpExp, "a", "a", ir.Attrs{}, x)
	b, _ := g.Add(ir.OpTanh, "b", "b", ir.Attrs{}, a)
	c, _ := g.Add(ir.OpRelu, "c", "c", ir.Attrs{}, b) // b → c fused: reads a
	d, _ := g.Add(ir.OpAdd, "d", "d", ir.Attrs{}, c, x)
	g.Outputs = []ir.Output{{Name: "d", ID: d}}
	req := passes.PlanRequest{Order: []int{a, c, d}, Arena: make([]bool, len(g.Nodes)), MaxBatch: 2, Align: 1,
		Reads: map[int][]int{c: {a}}, Keep: []int{d}}
	for _, id := range req.Order {
		req.Arena[id] = true
	}
	p, err := passes.Plan(g, req)
	require.NoError(t, err)
	require.NoError(t, simulate(g, req, p))
	assert.Equal(t, -1, p.Offset[b])
	assert.Equal(t, [2]int{0, 1}, p.Live[a], "a lives until the fused kernel c reads it")
	assert.Equal(t, 32, p.Size)
}

// chain is x → n Relus → output: with reuse, two buffers suffice however long it is.
func chain(t *testing.T, n int) *ir.Graph {
	g := ir.NewGraph("chain")
	x, err := g.Add(ir.OpInput, "x", "x", ir.Attrs{Shape: ir.Shape{ir.Batch, 100}, Role: ir.RoleData})
	require.NoError(t, err)
	for i := range n {
		x, err = g.Add(ir.OpRelu, fmt.Sprintf("relu%d", i), "relu", ir.Attrs{}, x)
		require.NoError(t, err)
	}
	g.Outputs = []ir.Output{{Name: "y", ID: x}}
	return g
}

func TestPlanReusesSpaceOfDeadValues(t *testing.T) {
	g := chain(t, 10)
	req := planRequest(g, 4)
	p, err := passes.Plan(g, req)
	require.NoError(t, err)
	require.NoError(t, simulate(g, req, p))
	assert.Equal(t, 2*400, p.Size, "a chain needs its input and its output, nothing more")
	assert.NotEqual(t, p.Offset[1], p.Offset[2], "a result never overlaps its operand")
	assert.Equal(t, p.Offset[1], p.Offset[3], "relu0's space is free again for relu2")
}

func TestViewsShareTheirRootsStorage(t *testing.T) {
	g := ir.NewGraph("views")
	add := func(op, name string, a ir.Attrs, in ...int) int {
		id, err := g.Add(op, name, name, a, in...)
		require.NoError(t, err)
		return id
	}
	x := add(ir.OpInput, "x", ir.Attrs{Shape: ir.Shape{ir.Batch, 2, 3}, Role: ir.RoleData})
	e := add(ir.OpExp, "exp", ir.Attrs{}, x)
	r := add(ir.OpReshape, "flat", ir.Attrs{Shape: ir.Shape{6}}, e)
	i := add(ir.OpIdentity, "id", ir.Attrs{}, r)
	s := add(ir.OpSquare, "sq", ir.Attrs{}, x)     // computed while exp is alive only through its views
	y := add(ir.OpReduceSum, "sum", ir.Attrs{}, i) // the last read of exp, through two views
	g.Outputs = []ir.Output{{Name: "y", ID: y}, {Name: "s", ID: s}}
	req := planRequest(g, 3)
	p, err := passes.Plan(g, req)
	require.NoError(t, err)
	require.NoError(t, simulate(g, req, p))
	assert.Equal(t, []int{e, e, e}, []int{p.Root[e], p.Root[r], p.Root[i]})
	assert.Equal(t, p.Offset[e], p.Offset[i])
	assert.NotEqual(t, p.Offset[e], p.Offset[s], "exp is alive through its views while sq is computed")
	assert.Equal(t, x, p.Root[x])
	assert.Equal(t, -1, p.Offset[x], "inputs are not in the arena")
}

func TestPlanRefusesBadRequests(t *testing.T) {
	g := chain(t, 2)
	good := planRequest(g, 2)
	cases := []struct {
		name string
		req  func() passes.PlanRequest
		want string
	}{
		{"a zero MaxBatch", func() passes.PlanRequest { r := good; r.MaxBatch = 0; return r }, "MaxBatch"},
		{"an Arena of the wrong length", func() passes.PlanRequest { r := good; r.Arena = r.Arena[:1]; return r }, "Arena"},
		{"a read before the value is computed", func() passes.PlanRequest {
			r := good
			r.Order = []int{2, 1}
			return r
		}, "before it is computed"},
		{"a node computed twice", func() passes.PlanRequest { r := good; r.Order = []int{1, 1, 2}; return r }, "twice"},
		{"a kept value never computed", func() passes.PlanRequest { r := good; r.Order = []int{1}; return r }, "never computed"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := passes.Plan(g, c.req())
			require.ErrorContains(t, err, c.want)
		})
	}
}
