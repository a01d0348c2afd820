package passes

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"

	"github.com/dlgen/dlgen/ir"
)

// Lowering of the recurrent macro ops SimpleRNN, LSTM and GRU (PyTorch semantics,
// ir/ops.go): the sequence is unrolled over its static length T into primitive ops,
// so that autodiff derives backpropagation through time and the interpreter runs it.
//
// # What one layer becomes
//
// Once per forward pass (loop-invariant), for a macro node named P:
//
//	P/dropout_mask, P/dropped      training with rate > 0 only: x ⊙ mask, (N,T,F)
//	P/weight = Concat([w_ih, w_hh], axis 1)    (G·H, F+H)
//	P/bias   = b_ih + b_hh                     (G·H)
//
// and then, for every step k = 0..T-1 reading time s(k) = k (or T-1-k when the op
// reverses), the nodes "P/t<k>/<what>":
//
//	x_slice = Slice(x, axis 1, s(k), s(k)+1); x = Reshape(x_slice, (F))      (N,F)
//	xh      = Concat([x, h_{k-1}], axis 1)                                   (N,F+H)
//	matmul  = MatMul(xh, P/weight, trans_b); gates = BiasAdd(matmul, P/bias) (N,G·H)
//	then Slice of each gate, its activation and the cell update, ending in h (and c).
//
// So the G gate products of a step are ONE MatMul of the concatenated [x_t, h] with
// the concatenated weights (as cuDNN and Keras' fused kernels do), with one bias
// vector. GRU is the exception the brief allows: r multiplies W_hn·h + b_hn (PyTorch,
// Keras reset_after=True), so only r and z share the concatenated MatMul
// (P/weight_rz, (2H, F+H)); n has its own x part (MatMul with P/weight_in, plus b_in)
// and h part (P/weight_hn, plus b_hn). With reset_before (Keras reset_after=False),
// n = act(MatMul(Concat([x, r⊙h]), P/weight_n) + b_in + b_hn): two MatMuls per step.
//
// With a step mask m (extra[RNNMasked], Keras' mask_zero), P/x_mask = Concat([x, m,
// 1-m], axis 2) is sliced instead of x, and a step reshapes its slice to "x_mask"
// and slices it into x, m and m_hold (=1-m) with the same bounds at every step;
// each new state s becomes "<s>_masked" = m⊙s + m_hold⊙s_{k-1}, and with
// extra[RNNZeroMasked] the step's sequence output is "y" = m⊙h.
//
// h_{-1} and c_{-1} are the op's initial-state inputs (zeros, a Fill, unless the user
// gave states), so step 0 has exactly the shape of every other step. The result is
// step T-1's h, or with return sequences P/sequence = Reshape(Concat of every step's
// h in time order, axis 1) to (T, H), which puts the reverse direction's outputs back
// at their time positions as PyTorch and Keras do.
//
// # For code generation: steps are identical up to k
//
// Unrolling keeps every pass simple, but T = 256 must not give 256 copies of the step
// in generated source. The lowering therefore guarantees, for every macro node P:
//
//   - Step k's nodes are exactly the nodes named "P/t<k>/<what>", contiguous in the
//     graph, in the same order for every k, with the same <what>, op, attributes and
//     shape, except that the attributes of "P/t<k>/x_slice" are Start = s(k), End =
//     s(k)+1 with s(k) = k, or T-1-k when the op reverses.
//   - Each input of the j-th node of step k is one of: a node outside every step
//     (loop-invariant: x, the weights, the bias; the same node for every k), an
//     earlier node of step k (the same j' for every k), or, for k ≥ 1, the state
//     output of step k-1 (the same j' for every k); step 0 reads the initial state
//     nodes there instead.
//   - Nodes after the steps read them only through step T-1's state and, with return
//     sequences, the one Concat "P/sequence_flat" of every step's h.
//
// RecurrentLoops recovers this structure from a lowered graph and checks it, so a
// code generator can emit the body once, as a loop over k with the states in two
// buffers swapped per iteration (or written to slot k of a (T, N, H) history, which
// backward needs anyway), and the x_slice offset computed from k.
//
// After autodiff the gradient nodes of step k are named "d.P/t<k>/<what>.<i>"
// (GradBuilder names them after the forward node), so the backward steps group the
// same way. They are identical for 0 < k < T-1 up to the SliceGrad of x_slice, whose
// Start is s(k) like the forward slice; the last step differs (the gradient starts
// there, and the weight-gradient sums have no Add yet) and so does step 0 when the
// initial state is a constant, which a generator peels off as separate iterations.
// Two things a generator should not emit literally: the gradient of x (when x needs
// one, as in stacked layers) is T SliceGrads into full (N,T,F) buffers summed by T
// Adds, which is really a write of step k's dx into slot s(k); and the gradient of
// P/sequence_flat is T Slices of dy, which are views of it.

// Step-node name parts.
const (
	stepPrefix = "t"
	sliceWhat  = "x_slice"
)

func init() {
	lowerRule(ir.OpSimpleRNN, lowerRecurrent)
	lowerRule(ir.OpLSTM, lowerRecurrent)
	lowerRule(ir.OpGRU, lowerRecurrent)
}

// rnnLowering holds what every step of one recurrent node needs.
type rnnLowering struct {
	l       *Lowerer
	n       *ir.Node
	t, f, h int
	act     string // cell activation (Keras activation)
	ract    string // gate activation (Keras recurrent_activation)
	x       int    // the input sequence, after dropout
}

func lowerRecurrent(l *Lowerer, n *ir.Node, ins []int) (int, error) {
	a := n.Attrs
	states := 1
	if n.Op == ir.OpLSTM {
		states = 2
	}
	mask := -1
	if ir.RNNFlag(a, ir.RNNMasked) {
		mask, ins = ins[len(ins)-1], ins[:len(ins)-1]
	}
	xs := l.G.Nodes[ins[0]].Shape
	r := &rnnLowering{l: l, n: n, t: xs[1], f: xs[2], h: l.G.Nodes[ins[2]].Shape[1], act: a.Act, ract: a.Sub, x: ins[0]}
	wih, whh := ins[1], ins[2]
	init := ins[3 : 3+states]
	bih, bhh := -1, -1
	if len(ins) == 3+states+2 {
		bih, bhh = ins[3+states], ins[4+states]
	}

	// Dropout on the input connections only (Zaremba et al., 2014): the mask is
	// applied to the whole sequence before the steps, so it can never reach the
	// recurrent state, and every step stays identical. One mask repeated over time is
	// Gal and Ghahramani's (2016) variational dropout.
	if l.Mode == ir.ModeTrain && a.Rate > 0 {
		mask := -1
		if ir.RNNFlag(a, ir.RNNVariational) {
			one := l.Do(ir.OpDropoutMask, "dropout_mask", ir.Attrs{Shape: ir.Shape{ir.Batch, 1, r.f}, Rate: a.Rate, Seed: a.Seed})
			copies := make([]int, r.t)
			for i := range copies {
				copies[i] = one
			}
			mask = l.Do(ir.OpConcat, "dropout_masks", ir.Attrs{Axis: 1}, copies...)
		} else {
			mask = l.Do(ir.OpDropoutMask, "dropout_mask", ir.Attrs{Shape: xs.Clone(), Rate: a.Rate, Seed: a.Seed})
		}
		r.x = l.Do(ir.OpMul, "dropped", ir.Attrs{}, r.x, mask)
	}

	// A mask m (Keras' mask_zero) travels with x: [x, m, 1-m] is one (N,T,F+2H)
	// sequence, so a step still reads its time position through the one x_slice and
	// splits it with slices that are the same at every step. The new states are then
	// m⊙new + (1-m)⊙previous, exact for m in {0, 1}: a masked step keeps the state
	// bit for bit, and its cell gets no gradient (nor do the x, the embedding rows,
	// that it read).
	if mask >= 0 {
		one := l.Do(ir.OpFill, "mask_one", ir.Attrs{Shape: ir.Shape{ir.Batch, r.t, r.h}, Alpha: 1})
		hold := l.Do(ir.OpSub, "mask_hold", ir.Attrs{}, one, mask)
		r.x = l.Do(ir.OpConcat, "x_mask", ir.Attrs{Axis: 2}, r.x, mask, hold)
	}

	var step func(k int, x int, state []int) []int
	switch n.Op {
	case ir.OpSimpleRNN, ir.OpLSTM:
		w := l.Do(ir.OpConcat, "weight", ir.Attrs{Axis: 1}, wih, whh)
		b := r.sum("bias", bih, bhh)
		if n.Op == ir.OpSimpleRNN {
			step = func(k, x int, s []int) []int { return []int{r.simpleStep(k, x, s[0], w, b)} }
		} else {
			step = func(k, x int, s []int) []int { return r.lstmStep(k, x, s[0], s[1], w, b) }
		}
	case ir.OpGRU:
		step = r.gruWeights(wih, whh, bih, bhh, ir.RNNFlag(a, ir.RNNResetBefore))
	default:
		return -1, &ir.Error{Layer: n.Layer, Op: n.Op, Msg: "not a recurrent op"}
	}

	state := append([]int(nil), init...)
	hs := make([]int, r.t) // h by time position
	for k := 0; k < r.t; k++ {
		s := k
		if ir.RNNFlag(a, ir.RNNReverse) {
			s = r.t - 1 - k
		}
		xslice := r.do(k, ir.OpSlice, sliceWhat, ir.Attrs{Axis: 1, Start: s, End: s + 1}, r.x)
		if mask < 0 {
			x := r.do(k, ir.OpReshape, "x", ir.Attrs{Shape: ir.Shape{r.f}}, xslice)
			state = step(k, x, state)
			hs[s] = state[0]
			continue
		}
		xm := r.do(k, ir.OpReshape, "x_mask", ir.Attrs{Shape: ir.Shape{r.f + 2*r.h}}, xslice)
		x := r.do(k, ir.OpSlice, "x", ir.Attrs{Axis: 1, Start: 0, End: r.f}, xm)
		m := r.do(k, ir.OpSlice, "m", ir.Attrs{Axis: 1, Start: r.f, End: r.f + r.h}, xm)
		hold := r.do(k, ir.OpSlice, "m_hold", ir.Attrs{Axis: 1, Start: r.f + r.h, End: r.f + 2*r.h}, xm)
		next := step(k, x, state)
		for i := range next {
			what := [...]string{"h", "c"}[i]
			kept := r.do(k, ir.OpMul, what+"_kept", ir.Attrs{}, m, next[i])
			held := r.do(k, ir.OpMul, what+"_held", ir.Attrs{}, hold, state[i])
			next[i] = r.do(k, ir.OpAdd, what+"_masked", ir.Attrs{}, kept, held)
		}
		state = next
		hs[s] = state[0]
		if ir.RNNFlag(a, ir.RNNZeroMasked) && ir.RNNFlag(a, ir.RNNReturnSequences) {
			// Keras' zero_output_for_mask: m⊙h is h at a word and 0 at a pad, exactly.
			hs[s] = r.do(k, ir.OpMul, "y", ir.Attrs{}, m, state[0])
		}
	}
	if l.Err() != nil {
		return -1, l.Err()
	}
	if !ir.RNNFlag(a, ir.RNNReturnSequences) {
		return state[0], nil
	}
	flat := l.Do(ir.OpConcat, "sequence_flat", ir.Attrs{Axis: 1}, hs...)
	y := l.Do(ir.OpReshape, "sequence", ir.Attrs{Shape: ir.Shape{r.t, r.h}}, flat)
	return y, l.Err()
}

// do appends node "t<k>/<what>" of step k.
func (r *rnnLowering) do(k int, op, what string, attrs ir.Attrs, inputs ...int) int {
	return r.l.Do(op, fmt.Sprintf("%s%d/%s", stepPrefix, k, what), attrs, inputs...)
}

// activate applies activation act to in as node "t<k>/<what>"; linear adds no node.
func (r *rnnLowering) activate(k int, act, what string, in int) int {
	op := map[string]string{"tanh": ir.OpTanh, "sigmoid": ir.OpSigmoid, "relu": ir.OpRelu}[act]
	if op == "" {
		return in
	}
	return r.do(k, op, what, ir.Attrs{}, in)
}

// gate slices gate block i (of H rows) out of the (N, G·H) pre-activations.
func (r *rnnLowering) gate(k int, what string, z, i int) int {
	return r.do(k, ir.OpSlice, what, ir.Attrs{Axis: 1, Start: i * r.h, End: (i + 1) * r.h}, z)
}

// sum is b_ih + b_hh once per forward pass, or -1 without biases.
func (r *rnnLowering) sum(what string, a, b int) int {
	if a < 0 {
		return -1
	}
	return r.l.Do(ir.OpAdd, what, ir.Attrs{}, a, b)
}

// affine is MatMul(in, w, trans_b) as "t<k>/<what>_matmul", plus bias b (if any) as
// "t<k>/<what>".
func (r *rnnLowering) affine(k int, what string, in, w, b int) int {
	if b < 0 {
		return r.do(k, ir.OpMatMul, what, ir.Attrs{TransB: true}, in, w)
	}
	y := r.do(k, ir.OpMatMul, what+"_matmul", ir.Attrs{TransB: true}, in, w)
	return r.do(k, ir.OpBiasAdd, what, ir.Attrs{}, y, b)
}

// simpleStep is h' = act([x, h]·[w_ih, w_hh]ᵀ + b_ih + b_hh).
func (r *rnnLowering) simpleStep(k, x, h, w, b int) int {
	xh := r.do(k, ir.OpConcat, "xh", ir.Attrs{Axis: 1}, x, h)
	z := r.affine(k, "gates", xh, w, b)
	return r.activate(k, r.act, "h", z)
}

// lstmStep is one LSTM step (Hochreiter and Schmidhuber, 1997, with the forget gate
// of Gers et al., 2000) in PyTorch's gate order i, f, g, o.
func (r *rnnLowering) lstmStep(k, x, h, c, w, b int) []int {
	xh := r.do(k, ir.OpConcat, "xh", ir.Attrs{Axis: 1}, x, h)
	z := r.affine(k, "gates", xh, w, b)
	i := r.activate(k, r.ract, "i", r.gate(k, "i_pre", z, 0))
	f := r.activate(k, r.ract, "f", r.gate(k, "f_pre", z, 1))
	g := r.activate(k, r.act, "g", r.gate(k, "g_pre", z, 2))
	o := r.activate(k, r.ract, "o", r.gate(k, "o_pre", z, 3))
	fc := r.do(k, ir.OpMul, "fc", ir.Attrs{}, f, c)
	ig := r.do(k, ir.OpMul, "ig", ir.Attrs{}, i, g)
	c2 := r.do(k, ir.OpAdd, "c", ir.Attrs{}, fc, ig)
	ca := r.activate(k, r.act, "c_act", c2)
	h2 := r.do(k, ir.OpMul, "h", ir.Attrs{}, o, ca)
	return []int{h2, c2}
}

// gruWeights appends the GRU's loop-invariant weight slices and returns its step
// function (Cho et al., 2014, in PyTorch's formulation).
func (r *rnnLowering) gruWeights(wih, whh, bih, bhh int, resetBefore bool) func(k, x int, s []int) []int {
	l, h := r.l, r.h
	rows := func(what string, w, from, to int) int {
		return l.Do(ir.OpSlice, what, ir.Attrs{Axis: 0, Start: from * h, End: to * h}, w)
	}
	// r and z: one MatMul of [x, h] with [w_ih, w_hh] restricted to their rows.
	wrz := l.Do(ir.OpConcat, "weight_rz", ir.Attrs{Axis: 1}, rows("weight_ih_rz", wih, 0, 2), rows("weight_hh_rz", whh, 0, 2))
	brz, bin, bhn := -1, -1, -1
	if bih >= 0 {
		brz = rows("bias_rz", r.sum("bias", bih, bhh), 0, 2)
		bin, bhn = rows("bias_in", bih, 2, 3), rows("bias_hn", bhh, 2, 3)
	}
	win, whn := rows("weight_in", wih, 2, 3), rows("weight_hn", whh, 2, 3)
	if resetBefore {
		wn := l.Do(ir.OpConcat, "weight_n", ir.Attrs{Axis: 1}, win, whn)
		bn := r.sum("bias_n", bin, bhn)
		return func(k, x int, s []int) []int {
			hp := s[0]
			rg, z := r.gruRZ(k, x, hp, wrz, brz)
			rh := r.do(k, ir.OpMul, "rh", ir.Attrs{}, rg, hp)
			xrh := r.do(k, ir.OpConcat, "xrh", ir.Attrs{Axis: 1}, x, rh)
			n := r.activate(k, r.act, "n", r.affine(k, "n_pre", xrh, wn, bn))
			return []int{r.gruMix(k, z, n, hp)}
		}
	}
	return func(k, x int, s []int) []int {
		hp := s[0]
		rg, z := r.gruRZ(k, x, hp, wrz, brz)
		xn := r.affine(k, "xn", x, win, bin)
		hn := r.affine(k, "hn", hp, whn, bhn)
		rhn := r.do(k, ir.OpMul, "rhn", ir.Attrs{}, rg, hn)
		n := r.activate(k, r.act, "n", r.do(k, ir.OpAdd, "n_pre", ir.Attrs{}, xn, rhn))
		return []int{r.gruMix(k, z, n, hp)}
	}
}

// gruRZ computes the reset and update gates from one MatMul.
func (r *rnnLowering) gruRZ(k, x, h, w, b int) (int, int) {
	xh := r.do(k, ir.OpConcat, "xh", ir.Attrs{Axis: 1}, x, h)
	z := r.affine(k, "rz", xh, w, b)
	return r.activate(k, r.ract, "r", r.gate(k, "r_pre", z, 0)), r.activate(k, r.ract, "z", r.gate(k, "z_pre", z, 1))
}

// gruMix is h' = (1-z)⊙n + z⊙h, computed as n + z⊙(h-n) to save a node.
func (r *rnnLowering) gruMix(k, z, n, h int) int {
	d := r.do(k, ir.OpSub, "h_minus_n", ir.Attrs{}, h, n)
	zd := r.do(k, ir.OpMul, "z_h_minus_n", ir.Attrs{}, z, d)
	return r.do(k, ir.OpAdd, "h", ir.Attrs{}, n, zd)
}

// RefKind says where an input of a step node comes from.
type RefKind int

const (
	// RefInvariant is a node outside the steps, the same one for every step.
	RefInvariant RefKind = iota
	// RefLocal is an earlier node of the same step.
	RefLocal
	// RefCarried is a node of the previous step (the recurrent state); step 0 reads
	// an initial-state node outside the steps instead.
	RefCarried
)

// StepRef is one input of a step node, as it is in every step.
type StepRef struct {
	Kind RefKind
	J    int // RefLocal, RefCarried: the node's index within a step
	Node int // RefInvariant: the node; RefCarried: the node step 0 reads instead
}

// Loop is the unrolled time loop of one recurrent macro node in a lowered graph, as
// RecurrentLoops finds it.
type Loop struct {
	Prefix  string      // the macro node's name P: step k's nodes are "P/t<k>/<what>"
	Steps   [][]int     // Steps[k][j]: the ID of the j-th node of step k
	Inputs  [][]StepRef // Inputs[j][i]: input i of the j-th node of every step
	Slice   int         // the index j of the x_slice node
	Reverse bool        // step k reads time T-1-k rather than k
}

// T is the number of steps.
func (l *Loop) T() int { return len(l.Steps) }

// Time is the time position step k reads (and, with return sequences, writes).
func (l *Loop) Time(k int) int {
	if l.Reverse {
		return len(l.Steps) - 1 - k
	}
	return k
}

// stepName splits "P/t<k>/<what>"; what contains no '/'.
func stepName(name string) (prefix string, k int, what string, ok bool) {
	slash := strings.LastIndexByte(name, '/')
	if slash < 0 {
		return "", 0, "", false
	}
	what, rest := name[slash+1:], name[:slash]
	slash = strings.LastIndexByte(rest, '/')
	if slash < 0 || what == "" || !strings.HasPrefix(rest[slash+1:], stepPrefix) {
		return "", 0, "", false
	}
	digits := rest[slash+1+len(stepPrefix):]
	k, err := strconv.Atoi(digits)
	if err != nil || k < 0 || strconv.Itoa(k) != digits {
		return "", 0, "", false
	}
	return rest[:slash], k, what, true
}

// RecurrentLoops finds the unrolled steps of every recurrent layer in the forward
// part of a lowered graph (gradient nodes, named "d.…", are ignored) and checks the
// guarantees listed at the top of this file: it returns an error naming the first
// step node that breaks them. A code generator can emit Loop.Steps[0] once as the
// body of a loop over k, reading RefInvariant inputs directly, RefLocal ones from
// this iteration, RefCarried ones from the previous iteration (Node at k = 0), and
// computing the x_slice offset as Time(k).
func RecurrentLoops(g *ir.Graph) ([]Loop, error) {
	type group struct {
		steps map[int][]int
	}
	groups := map[string]*group{}
	var order []string
	for _, n := range g.Nodes {
		if strings.HasPrefix(n.Name, "d.") {
			continue
		}
		p, k, _, ok := stepName(n.Name)
		if !ok {
			continue
		}
		gr := groups[p]
		if gr == nil {
			gr = &group{steps: map[int][]int{}}
			groups[p] = gr
			order = append(order, p)
		}
		gr.steps[k] = append(gr.steps[k], n.ID)
	}
	var loops []Loop
	for _, p := range order {
		steps := make([][]int, len(groups[p].steps))
		for k := range steps {
			s, ok := groups[p].steps[k]
			if !ok {
				return nil, fmt.Errorf("recurrent loop %q: steps are not numbered 0 to %d: step %d is missing", p, len(steps)-1, k)
			}
			steps[k] = s
		}
		l, err := checkLoop(g, p, steps)
		if err != nil {
			return nil, err
		}
		loops = append(loops, l)
	}
	return loops, nil
}

func checkLoop(g *ir.Graph, p string, steps [][]int) (Loop, error) {
	l := Loop{Prefix: p, Steps: steps, Slice: -1}
	bad := func(id int, format string, args ...any) (Loop, error) {
		return Loop{}, fmt.Errorf("recurrent loop %q: node %q: %s", p, g.Nodes[id].Name, fmt.Sprintf(format, args...))
	}
	step := make(map[int]int)  // node ID → step k
	index := make(map[int]int) // node ID → j
	for k, s := range steps {
		if len(s) != len(steps[0]) {
			return bad(s[0], "step %d has %d nodes, step 0 has %d", k, len(s), len(steps[0]))
		}
		for j, id := range s {
			if id != s[0]+j {
				return bad(id, "the nodes of step %d are not contiguous", k)
			}
			step[id], index[id] = k, j
		}
	}
	t := len(steps)
	// The template of the inputs is step 1, the first that reads a previous step.
	tk := min(1, t-1)
	l.Inputs = make([][]StepRef, len(steps[0]))
	for j, id := range steps[tk] {
		for _, in := range g.Nodes[id].Inputs {
			ref := StepRef{Kind: RefInvariant, Node: in}
			if k, ok := step[in]; ok {
				switch k {
				case tk:
					ref = StepRef{Kind: RefLocal, J: index[in]}
				case tk - 1:
					ref = StepRef{Kind: RefCarried, J: index[in], Node: -1}
				default:
					return bad(id, "reads %q of step %d", g.Nodes[in].Name, k)
				}
			}
			l.Inputs[j] = append(l.Inputs[j], ref)
		}
	}
	for k, s := range steps {
		for j, id := range s {
			n, m := g.Nodes[id], g.Nodes[steps[0][j]]
			_, _, what, _ := stepName(n.Name)
			_, _, what0, _ := stepName(m.Name)
			a, a0 := n.Attrs, m.Attrs
			if what == sliceWhat {
				if k == 0 {
					if l.Slice >= 0 {
						return bad(id, "a step has two %s nodes", sliceWhat)
					}
					l.Slice, l.Reverse = j, a.Start == t-1 && t > 1
				}
				if a.Start != l.Time(k) || a.End != a.Start+1 {
					return bad(id, "slices [%d:%d] at step %d, want [%d:%d]", a.Start, a.End, k, l.Time(k), l.Time(k)+1)
				}
				a.Start, a.End, a0.Start, a0.End = 0, 0, 0, 0
			}
			switch {
			case what != what0 || n.Op != m.Op:
				return bad(id, "is %s %q at step %d but %s %q at step 0", n.Op, what, k, m.Op, what0)
			case !n.Shape.Equal(m.Shape):
				return bad(id, "has shape %s at step %d but %s at step 0", n.Shape, k, m.Shape)
			case !reflect.DeepEqual(a, a0):
				return bad(id, "has attributes %+v at step %d but %+v at step 0", a, k, a0)
			case len(n.Inputs) != len(l.Inputs[j]):
				return bad(id, "has %d inputs at step %d, %d at step %d", len(n.Inputs), k, len(l.Inputs[j]), tk)
			}
			for i, in := range n.Inputs {
				ref := &l.Inputs[j][i]
				var ok bool
				switch ref.Kind {
				case RefInvariant:
					ok = in == ref.Node
				case RefLocal:
					ok = step[in] == k && index[in] == ref.J && isStep(step, in)
				case RefCarried:
					if k == 0 {
						ok = !isStep(step, in)
						ref.Node = in
					} else {
						ok = isStep(step, in) && step[in] == k-1 && index[in] == ref.J
					}
				}
				if !ok {
					return bad(id, "input %d (%q) at step %d does not match the other steps", i, g.Nodes[in].Name, k)
				}
			}
		}
	}
	if l.Slice < 0 {
		return bad(steps[0][0], "a step has no %s node", sliceWhat)
	}
	// Outside the loop, only the final states and the sequence Concat read steps.
	users := g.Users()
	for k, s := range steps[:t-1] {
		for _, id := range s {
			for _, u := range users[id] {
				if _, in := step[u]; in || strings.HasPrefix(g.Nodes[u].Name, "d.") || g.Nodes[u].Name == p+"/sequence_flat" {
					continue
				}
				return bad(id, "of step %d is read by %q outside the loop", k, g.Nodes[u].Name)
			}
		}
	}
	return l, nil
}

func isStep(step map[int]int, id int) bool {
	_, ok := step[id]
	return ok
}
