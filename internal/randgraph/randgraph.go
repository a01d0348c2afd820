// Package randgraph generates small random valid graphs of primitive ops, for
// testing passes by interpreter equivalence on more shapes and op combinations than
// hand-written models reach. A graph is built by repeatedly picking an op of the op
// table and inputs of fitting shapes among the nodes made so far; every primitive
// op that can appear in a forward graph has a proposer (proposers below), and a test
// walks ir.Ops and fails on a primitive that has none and is not listed in Skipped.
//
// The graphs are made to give passes work: they contain duplicated nodes (for CSE),
// subgraphs of constants and algebraic no-ops such as Scale(x, 1), Add(x, Fill 0),
// chained Scales and Reshapes (for folding and simplification), the inference form
// of batch norm after convolutions and dense layers (for batch-norm folding), dense
// layers on the last axis of (N, T, F) and (N, C, H, W) values, some followed by a
// batch norm that must not fold, and in training mode random masks and
// running-statistic updates.
//
// Values stay finite and well away from the domain edges of Log, Rsqrt and Div: the
// generator tracks, for every node, a bound on its magnitude and a lower bound on its
// elements, given parameters and inputs as Randomize and Feeds make them.
package randgraph

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sort"

	"github.com/dlgen/dlgen/ir"
	"github.com/dlgen/dlgen/ir/interp"
	"github.com/dlgen/dlgen/rt"
)

// MaxBatch is the largest batch Feeds should be asked for; magnitude bounds of ops
// that sum over the batch assume it.
const MaxBatch = 4

// maxMag is the largest magnitude bound a node may have; proposals above it are
// dropped, so no value overflows and sums stay well conditioned.
const maxMag = 1e6

// Skipped lists the primitive ops that random graphs do not contain, with the reason
// (none at present: a new op goes here only with a reason it cannot be generated).
var Skipped = map[string]string{}

// info is what the generator knows of a node's values.
type info struct {
	mag  float64 // every |element| ≤ mag
	lo   float64 // every element ≥ lo when lo ≥ 0; lo < 0 means the sign is unknown
	dead bool    // not to be read (RunningUpdate results, labels, targets)
}

type gen struct {
	rng    *rand.Rand
	g      *ir.Graph
	train  bool
	info   []info
	failed int // proposals the op table rejected
}

// New returns a random valid graph lowered for mode (ir.ModeInfer or ir.ModeTrain),
// the same for the same seed. Training graphs always have a loss, and may contain
// DropoutMask, KeepMask and RandomNormal sources and RunningUpdate effects;
// inference graphs have a loss about half of the time.
func New(seed uint64, mode string) (*ir.Graph, error) {
	if mode != ir.ModeInfer && mode != ir.ModeTrain {
		return nil, fmt.Errorf("randgraph: unknown mode %q", mode)
	}
	ge := &gen{
		rng:   rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15)),
		g:     ir.NewGraph(fmt.Sprintf("rand%d_%s", seed, mode)),
		train: mode == ir.ModeTrain,
	}
	ge.g.Mode = mode
	ge.input("x", ir.RoleData, ir.Float, ir.Shape{ir.Batch, 1 + ge.rng.IntN(3), 3 + ge.rng.IntN(4), 3 + ge.rng.IntN(4)})
	ge.input("v", ir.RoleData, ir.Float, ir.Shape{ir.Batch, 2 + ge.rng.IntN(5)})

	names := proposerNames()
	steps := 10 + ge.rng.IntN(12)
	for made := 0; made < steps; {
		op := names[ge.rng.IntN(len(names))]
		if ge.rng.IntN(mixOneIn) == 0 {
			op = mix[ge.rng.IntN(len(mix))]
		}
		if (op == ir.OpDropoutMask || op == ir.OpKeepMask || op == ir.OpRandomNormal || op == runningUpdate) && !ge.train {
			continue
		}
		if proposers[op](ge) {
			made++
		}
	}
	if err := ge.finish(); err != nil {
		return nil, err
	}
	if err := ir.Verify(ge.g); err != nil {
		return nil, fmt.Errorf("randgraph: seed %d made an invalid graph: %w", seed, err)
	}
	return ge.g, nil
}

// proposerNames are the proposers drawn uniformly: all but the mix.
func proposerNames() []string {
	names := make([]string, 0, len(proposers))
	for k := range proposers {
		if !slices.Contains(mix, k) {
			names = append(names, k)
		}
	}
	sort.Strings(names)
	return names
}

// mix are the proposers that plant work for the passes rather than ops to cover:
// duplicates for CSE and constant subgraphs for fold. One proposal in mixOneIn is
// one of them, whatever the number of ops, so that adding an op to the table does
// not make the passes' work rarer.
var mix = []string{duplicate, constants}

const mixOneIn = 16

// Pseudo-op names of composite proposers.
const (
	duplicate     = "duplicate"      // the same op, attributes and inputs as an existing node
	batchNorm     = "batch-norm"     // inference batch norm after a conv or dense layer
	denseLastAxis = "dense-last"     // a dense layer on the last axis of (N, T, F) or (N, C, H, W)
	runningUpdate = "running-update" // ChannelMean of x and the RunningUpdate of a state parameter
	constants     = "constants"      // a small subgraph of Fill nodes
)

// proposers maps op names to functions that try to append such a node (and what it
// needs) to the graph and report whether they did.
var proposers map[string]func(*gen) bool

func init() {
	proposers = map[string]func(*gen) bool{
		ir.OpFill:               (*gen).fill,
		ir.OpDropoutMask:        func(ge *gen) bool { return ge.mask(ir.OpDropoutMask) },
		ir.OpKeepMask:           func(ge *gen) bool { return ge.mask(ir.OpKeepMask) },
		ir.OpRandomNormal:       (*gen).noise,
		ir.OpIdentity:           func(ge *gen) bool { return ge.unary(ir.OpIdentity, ir.Attrs{}, 0) },
		ir.OpMatMul:             (*gen).matmul,
		ir.OpBiasAdd:            func(ge *gen) bool { return ge.channelVec(ir.OpBiasAdd) },
		ir.OpBiasAddLast:        (*gen).biasAddLast,
		ir.OpChannelMul:         func(ge *gen) bool { return ge.channelVec(ir.OpChannelMul) },
		ir.OpChannelSum:         func(ge *gen) bool { return ge.channelReduce(ir.OpChannelSum) },
		ir.OpChannelMean:        func(ge *gen) bool { return ge.channelReduce(ir.OpChannelMean) },
		ir.OpChannelBroadcast:   (*gen).channelBroadcast,
		ir.OpAdd:                func(ge *gen) bool { return ge.binary(ir.OpAdd) },
		ir.OpSub:                func(ge *gen) bool { return ge.binary(ir.OpSub) },
		ir.OpMul:                func(ge *gen) bool { return ge.binary(ir.OpMul) },
		ir.OpDiv:                func(ge *gen) bool { return ge.binary(ir.OpDiv) },
		ir.OpScale:              (*gen).scale,
		ir.OpAddScalar:          (*gen).addScalar,
		ir.OpSigmoid:            func(ge *gen) bool { return ge.unary(ir.OpSigmoid, ir.Attrs{}, 0) },
		ir.OpTanh:               func(ge *gen) bool { return ge.unary(ir.OpTanh, ir.Attrs{}, 0) },
		ir.OpRelu:               (*gen).relu,
		ir.OpLeakyRelu:          func(ge *gen) bool { return ge.unary(ir.OpLeakyRelu, ir.Attrs{Alpha: 0.05 + 0.25*ge.rng.Float64()}, 0) },
		ir.OpReluMax:            func(ge *gen) bool { return ge.unary(ir.OpReluMax, ir.Attrs{Alpha: 0.25 + 2*ge.rng.Float64()}, 0) },
		ir.OpExp:                func(ge *gen) bool { return ge.unary(ir.OpExp, ir.Attrs{}, 0) },
		ir.OpLog:                func(ge *gen) bool { return ge.unary(ir.OpLog, ir.Attrs{}, 0.05) },
		ir.OpSquare:             func(ge *gen) bool { return ge.unary(ir.OpSquare, ir.Attrs{}, 0) },
		ir.OpRsqrt:              func(ge *gen) bool { return ge.unary(ir.OpRsqrt, ir.Attrs{}, 0.05) },
		ir.OpAbs:                func(ge *gen) bool { return ge.unary(ir.OpAbs, ir.Attrs{}, 0) },
		ir.OpSoftmax:            (*gen).softmax,
		ir.OpReshape:            (*gen).reshape,
		ir.OpConcat:             (*gen).concat,
		ir.OpSlice:              (*gen).slice,
		ir.OpRepeat:             (*gen).repeat,
		ir.OpTranspose:          (*gen).transpose,
		ir.OpLayerNorm:          (*gen).layerNorm,
		ir.OpConv2D:             func(ge *gen) bool { return ge.conv(ir.OpConv2D) },
		ir.OpConv2DTranspose:    func(ge *gen) bool { return ge.conv(ir.OpConv2DTranspose) },
		ir.OpMaxPool2D:          func(ge *gen) bool { return ge.pool(ir.OpMaxPool2D) },
		ir.OpAvgPool2D:          func(ge *gen) bool { return ge.pool(ir.OpAvgPool2D) },
		ir.OpGlobalAvgPool2D:    func(ge *gen) bool { return ge.unary(ir.OpGlobalAvgPool2D, ir.Attrs{}, 0) },
		ir.OpUpSample2D:         (*gen).upsample,
		ir.OpPad2D:              (*gen).pad2D,
		ir.OpReduceSum:          func(ge *gen) bool { return ge.reduce(ir.OpReduceSum) },
		ir.OpReduceMean:         func(ge *gen) bool { return ge.reduce(ir.OpReduceMean) },
		ir.OpBroadcast:          (*gen).broadcast,
		ir.OpKLSparsity:         (*gen).klSparsity,
		ir.OpContractivePenalty: (*gen).contractive,
		ir.OpEmbedding:          (*gen).embedding,
		duplicate:               (*gen).duplicate,
		batchNorm:               (*gen).batchNorm,
		denseLastAxis:           (*gen).denseLast,
		runningUpdate:           (*gen).runningUpdate,
		constants:               (*gen).constants,
	}
}

// lossOps are the losses finish chooses from.
var lossOps = []string{ir.OpMSELoss, ir.OpMAELoss, ir.OpHuberLoss, ir.OpBCELoss, ir.OpBCEWithLogitsLoss,
	ir.OpSoftmaxCELoss, ir.OpSparseSoftmaxCELoss, ir.OpCategoricalCELoss}

// Covered reports whether random graphs can contain op: it has a proposer, is one of
// the losses that end a graph, is RunningUpdate (made, in training graphs only, by
// the running-update proposer with the ChannelMean it reads), OneHot (made by the
// loss, the one-hot target of a CategoricalCELoss), bilinear upsampling (made by the
// upsampling proposer), a smooth activation (made by the smooth-activation
// proposer) or PReLU (made by the Relu proposer).
func Covered(op string) bool {
	if _, ok := proposers[op]; ok || op == ir.OpRunningUpdate || op == ir.OpOneHot || op == ir.OpUpSampleBilinear2D || op == ir.OpPReLU || slices.Contains(smoothOps, op) || op == ir.OpLogSoftmax || op == ir.OpNLLLoss {
		return true
	}
	for _, l := range lossOps {
		if l == op {
			return true
		}
	}
	return false
}

// ---- building blocks ----

// add appends a node and records what is known of its values. It reports false,
// adding nothing, when the op table rejects the node or its values could be too
// large.
func (ge *gen) add(op string, attrs ir.Attrs, in info, inputs ...int) (int, bool) {
	if !(in.mag <= maxMag) {
		return -1, false
	}
	id := len(ge.g.Nodes)
	name := fmt.Sprintf("n%d_%s", id, op)
	id, err := ge.g.Add(op, name, fmt.Sprintf("l%d", id), attrs, inputs...)
	if err != nil {
		ge.failed++
		return -1, false
	}
	ge.info = append(ge.info, in)
	return id, true
}

func (ge *gen) input(name string, role ir.Role, dt ir.DType, shape ir.Shape) int {
	id, err := ge.g.Add(ir.OpInput, name, name, ir.Attrs{Shape: shape, Role: role, DType: dt})
	if err != nil {
		panic(err) // shapes made above are valid
	}
	in := info{mag: 1, lo: -1}
	switch {
	case role == ir.RoleTarget:
		in = info{mag: 1, lo: 0, dead: true} // Feeds draws targets from [0, 1)
	case dt == ir.Int:
		in.dead = true // ids: read by their Embedding only
	}
	ge.info = append(ge.info, in)
	return id
}

// param appends a weight (|w| ≤ 1.1 after Randomize) or a state parameter (in [0.5,
// 1.5] after Randomize).
func (ge *gen) param(shape ir.Shape, role ir.Role) int {
	id := len(ge.g.Nodes)
	init := &ir.Init{Kind: ir.InitUniform, Value: 1}
	in := info{mag: 1.1, lo: -1}
	if role == ir.RoleState {
		init = &ir.Init{Kind: ir.InitOnes}
		in = info{mag: 1.5, lo: 0.5}
	}
	id, err := ge.g.Add(ir.OpParam, fmt.Sprintf("p%d.%s", id, role), fmt.Sprintf("p%d", id), ir.Attrs{Shape: shape.Clone(), Role: role, Init: init})
	if err != nil {
		panic(err)
	}
	ge.info = append(ge.info, in)
	return id
}

// pick returns a readable node for which ok holds, preferring recent ones so that
// graphs grow deep as well as wide; -1 if there is none.
func (ge *gen) pick(ok func(n *ir.Node) bool) int {
	var c []int
	for _, n := range ge.g.Nodes {
		if !ge.info[n.ID].dead && ok(n) {
			c = append(c, n.ID)
		}
	}
	if len(c) == 0 {
		return -1
	}
	if ge.rng.IntN(2) == 0 && len(c) > 3 {
		return c[len(c)-1-ge.rng.IntN(3)]
	}
	return c[ge.rng.IntN(len(c))]
}

func batched(n *ir.Node) bool  { return n.Shape.Batched() }
func anyValue(n *ir.Node) bool { return n.Shape.Rank() > 0 }

func (ge *gen) shape(id int) ir.Shape { return ge.g.Nodes[id].Shape }

// batchElems bounds the number of elements of a tensor of shape s, batch included.
func batchElems(s ir.Shape) float64 {
	if s.Batched() {
		return float64(s.Elems() * MaxBatch)
	}
	return float64(s.Elems())
}

// sameShape returns a readable node of shape s for which ok holds, or -1.
func (ge *gen) sameShape(s ir.Shape, ok func(n *ir.Node) bool) int {
	return ge.pick(func(n *ir.Node) bool { return n.Shape.Equal(s) && ok(n) })
}

func (ge *gen) chance(p float64) bool { return ge.rng.Float64() < p }

func (ge *gen) oneOf(vals ...float64) float64 { return vals[ge.rng.IntN(len(vals))] }

// ---- proposers ----

func (ge *gen) fill() bool {
	x := ge.pick(anyValue)
	if x < 0 {
		return false
	}
	a := ge.oneOf(0, 1, 0.5, -2, 3)
	_, ok := ge.add(ir.OpFill, ir.Attrs{Shape: ge.shape(x).Clone(), Alpha: a}, constInfo(a))
	return ok
}

func constInfo(a float64) info {
	in := info{mag: math.Abs(a), lo: -1}
	if a >= 0 {
		in.lo = a
	}
	return in
}

// constants builds Fill nodes and arithmetic on them, which constant folding
// evaluates, and uses the result.
func (ge *gen) constants() bool {
	x := ge.pick(batched)
	if x < 0 {
		return false
	}
	s := ge.shape(x).Clone()
	a, b := ge.oneOf(0.5, 2, -1), ge.oneOf(0.25, 1, 3)
	fa, _ := ge.add(ir.OpFill, ir.Attrs{Shape: s, Alpha: a}, constInfo(a))
	fb, _ := ge.add(ir.OpFill, ir.Attrs{Shape: s.Clone(), Alpha: b}, constInfo(b))
	sum, _ := ge.add(ir.OpAdd, ir.Attrs{}, constInfo(a+b), fa, fb)
	c, ok := ge.add(ir.OpScale, ir.Attrs{Alpha: 0.5}, constInfo(0.5*(a+b)), sum)
	if !ok {
		return false
	}
	op := []string{ir.OpAdd, ir.OpMul, ir.OpSub}[ge.rng.IntN(3)]
	xi := ge.info[x]
	in := info{mag: xi.mag + math.Abs(0.5*(a+b)), lo: -1}
	if op == ir.OpMul {
		in.mag = xi.mag * math.Abs(0.5*(a+b))
	}
	_, ok = ge.add(op, ir.Attrs{}, in, x, c)
	return ok
}

// mask multiplies a batched node by a random mask source.
func (ge *gen) mask(op string) bool {
	x := ge.pick(batched)
	if x < 0 {
		return false
	}
	rate := ge.oneOf(0.25, 0.5)
	scale := 1.0
	if op == ir.OpDropoutMask {
		scale = 1 / (1 - rate)
	}
	// Seeds repeat across nodes, so that CSE finds equal masks.
	m, ok := ge.add(op, ir.Attrs{Shape: ge.shape(x).Clone(), Rate: rate, Seed: uint64(1 + ge.rng.IntN(2))}, info{mag: scale, lo: 0})
	if !ok {
		return false
	}
	_, ok = ge.add(ir.OpMul, ir.Attrs{}, info{mag: ge.info[x].mag * scale, lo: -1}, x, m)
	return ok
}

// noise adds Gaussian noise to a batched node. Its magnitude bound is that of six
// standard deviations, which rt.Normal exceeds with probability 2e-9 per element.
func (ge *gen) noise() bool {
	x := ge.pick(batched)
	if x < 0 {
		return false
	}
	sd := ge.oneOf(0.1, 0.5)
	m, ok := ge.add(ir.OpRandomNormal, ir.Attrs{Shape: ge.shape(x).Clone(), Alpha: sd, Seed: uint64(1 + ge.rng.IntN(2))}, info{mag: 6 * sd, lo: -1})
	if !ok {
		return false
	}
	_, ok = ge.add(ir.OpAdd, ir.Attrs{}, info{mag: ge.info[x].mag + 6*sd, lo: -1}, x, m)
	return ok
}

// unary applies an element-wise op (or GlobalAvgPool2D, Softmax) whose input must be
// at least minLo when minLo > 0.
func (ge *gen) unary(op string, attrs ir.Attrs, minLo float64) bool {
	x := ge.pick(func(n *ir.Node) bool {
		xi := ge.info[n.ID]
		switch op {
		case ir.OpExp:
			return anyValue(n) && xi.mag <= 4
		case ir.OpSquare:
			return anyValue(n) && xi.mag <= 1000
		case ir.OpSoftmax, ir.OpLogSoftmax:
			return batched(n) && n.Shape.Rank() >= 2
		case ir.OpGlobalAvgPool2D:
			return n.Shape.Rank() == 4
		}
		return anyValue(n) && (minLo == 0 || xi.lo >= minLo)
	})
	if x < 0 {
		return false
	}
	xi := ge.info[x]
	out := xi
	out.dead = false
	switch op {
	case ir.OpSigmoid:
		out = info{mag: 1, lo: 1 / (1 + math.Exp(xi.mag))}
	case ir.OpTanh:
		out = info{mag: math.Min(1, xi.mag), lo: -1}
	case ir.OpRelu, ir.OpAbs:
		out.lo = math.Max(out.lo, 0)
	case ir.OpLeakyRelu:
		if xi.lo < 0 {
			out.lo = -1
		}
	case ir.OpReluMax:
		out = info{mag: math.Min(xi.mag, attrs.Alpha), lo: 0}
	case ir.OpExp:
		out = info{mag: math.Exp(xi.mag), lo: math.Exp(-xi.mag)}
	case ir.OpLog:
		out = info{mag: math.Max(math.Abs(math.Log(xi.lo)), math.Abs(math.Log(xi.mag))), lo: -1}
	case ir.OpSquare:
		out = info{mag: xi.mag * xi.mag, lo: 0}
	case ir.OpRsqrt:
		out = info{mag: 1 / math.Sqrt(xi.lo), lo: 1 / math.Sqrt(xi.mag)}
	case ir.OpSoftmax:
		c := float64(ge.shape(x)[ge.shape(x).Rank()-1])
		out = info{mag: 1, lo: math.Exp(-2*xi.mag) / c}
	case ir.OpLogSoftmax: // ln of the softmax's bounds: in [-(2·mag + ln C), 0]
		c := float64(ge.shape(x)[ge.shape(x).Rank()-1])
		out = info{mag: 2*xi.mag + math.Log(c), lo: -1}
	// The smooth activations: y ≥ -|alpha| (ELU), ≥ -λα (SELU), > 0 (softplus),
	// ≥ -0.17 (GELU), ≥ -0.28 (SiLU); on x ≥ lo ≥ 0 ELU and SELU keep x (times
	// λ), softplus exceeds x, and GELU and SiLU are at least x/2.
	case ir.OpElu:
		out.mag = math.Max(xi.mag, math.Abs(attrs.Alpha))
		if xi.lo < 0 {
			out.lo = -1
		}
	case ir.OpSelu:
		out.mag = ir.SeluScale * math.Max(xi.mag, ir.SeluAlpha)
		if xi.lo >= 0 {
			out.lo = ir.SeluScale * xi.lo
		}
	case ir.OpSoftplus:
		out = info{mag: xi.mag + math.Ln2, lo: math.Max(xi.lo, math.Log1p(math.Exp(-xi.mag)))}
	case ir.OpGelu, ir.OpSilu:
		out.mag = math.Max(xi.mag, 0.3)
		if xi.lo >= 0 {
			out.lo = xi.lo / 2
		}
	}
	_, ok := ge.add(op, attrs, out, x)
	return ok
}

// binary combines a node with another of its shape, itself, or a constant.
func (ge *gen) binary(op string) bool {
	a := ge.pick(anyValue)
	if a < 0 {
		return false
	}
	s := ge.shape(a)
	var b int
	if op == ir.OpDiv {
		b = ge.sameShape(s, func(n *ir.Node) bool { return ge.info[n.ID].lo >= 0.05 })
		if b < 0 || ge.chance(0.3) {
			alpha := ge.oneOf(1, 2, 0.5)
			var ok bool
			if b, ok = ge.add(ir.OpFill, ir.Attrs{Shape: s.Clone(), Alpha: alpha}, constInfo(alpha)); !ok {
				return false
			}
		}
	} else {
		b = ge.sameShape(s, func(*ir.Node) bool { return true })
		if ge.chance(0.3) { // an identity element, or another constant
			alpha := ge.oneOf(0, 1, 2)
			var ok bool
			if b, ok = ge.add(ir.OpFill, ir.Attrs{Shape: s.Clone(), Alpha: alpha}, constInfo(alpha)); !ok {
				return false
			}
		}
	}
	if b < 0 {
		return false
	}
	if ge.chance(0.5) && op != ir.OpDiv {
		a, b = b, a
	}
	ia, ib := ge.info[a], ge.info[b]
	out := info{lo: -1}
	switch op {
	case ir.OpAdd:
		out.mag = ia.mag + ib.mag
		if ia.lo >= 0 && ib.lo >= 0 {
			out.lo = ia.lo + ib.lo
		}
	case ir.OpSub:
		out.mag = ia.mag + ib.mag
	case ir.OpMul:
		out.mag = ia.mag * ib.mag
		if ia.lo >= 0 && ib.lo >= 0 {
			out.lo = ia.lo * ib.lo
		}
	case ir.OpDiv:
		out.mag = ia.mag / ib.lo
		if ia.lo >= 0 {
			out.lo = ia.lo / ib.mag
		}
	}
	_, ok := ge.add(op, ir.Attrs{}, out, a, b)
	return ok
}

// scale multiplies by a constant, often one of a Scale, often by 1.
func (ge *gen) scale() bool {
	x := -1
	if ge.chance(0.4) {
		x = ge.pick(func(n *ir.Node) bool { return n.Op == ir.OpScale })
	}
	if x < 0 {
		x = ge.pick(anyValue)
	}
	if x < 0 {
		return false
	}
	a := ge.oneOf(1, -1, 0.5, 2, 0.1+ge.rng.Float64())
	xi := ge.info[x]
	out := info{mag: math.Abs(a) * xi.mag, lo: -1}
	if a > 0 && xi.lo >= 0 {
		out.lo = a * xi.lo
	}
	_, ok := ge.add(ir.OpScale, ir.Attrs{Alpha: a}, out, x)
	return ok
}

func (ge *gen) addScalar() bool {
	x := ge.pick(anyValue)
	if x < 0 {
		return false
	}
	a := ge.oneOf(0, 0.5, 1, -0.3)
	xi := ge.info[x]
	out := info{mag: xi.mag + math.Abs(a), lo: -1}
	if xi.lo >= 0 && xi.lo+a >= 0 {
		out.lo = xi.lo + a
	}
	_, ok := ge.add(ir.OpAddScalar, ir.Attrs{Alpha: a}, out, x)
	return ok
}

// matmul applies a dense layer to an (N, features) node: a new weight, or an
// existing parameter-only matrix, in either layout.
func (ge *gen) matmul() bool {
	x := ge.pick(func(n *ir.Node) bool { return batched(n) && n.Shape.Rank() == 2 })
	if x < 0 {
		return false
	}
	return ge.dense(x)
}

// denseLast applies a dense layer to the last axis of a batched node of rank ≥ 3,
// (N, T, features) or (N, C, H, W), as Dense does: a MatMul of the stacked rows,
// often its bias along the last axis, and sometimes inference batch norm after it,
// whose channels (axis 1) are not the layer's units, so that it must not fold.
func (ge *gen) denseLast() bool {
	// Not a layer's own output, which batch-norm folding wants read once.
	x := ge.pick(func(n *ir.Node) bool {
		return batched(n) && n.Shape.Rank() > 2 && n.Shape.Elems() <= 256 && !layerOps[n.Op]
	})
	if x < 0 || !ge.dense(x) {
		return false
	}
	y := len(ge.g.Nodes) - 1
	if ge.chance(0.7) {
		b := ge.vector(ge.shape(y)[ge.shape(y).Rank()-1], 0)
		var ok bool
		if y, ok = ge.add(ir.OpBiasAddLast, ir.Attrs{}, info{mag: ge.info[y].mag + ge.info[b].mag, lo: -1}, y, b); !ok {
			return true
		}
	}
	if ge.chance(0.3) {
		ge.bnOn(y)
	}
	return true
}

// layerOps are the ops of layers batch norm may follow.
var layerOps = map[string]bool{ir.OpConv2D: true, ir.OpConv2DTranspose: true, ir.OpMatMul: true, ir.OpBiasAdd: true}

// dense multiplies x's last axis by a weight.
func (ge *gen) dense(x int) bool {
	f := ge.shape(x)[ge.shape(x).Rank()-1]
	out := 1 + ge.rng.IntN(5)
	trans := ge.chance(0.5)
	ws := ir.Shape{f, out}
	if trans {
		ws = ir.Shape{out, f}
	}
	w := ge.pick(func(n *ir.Node) bool { return !batched(n) && n.Shape.Equal(ws) && n.Op != ir.OpFill })
	if w < 0 || ge.chance(0.5) {
		w = ge.param(ws, ir.RoleWeight)
	}
	_, ok := ge.add(ir.OpMatMul, ir.Attrs{TransB: trans}, info{mag: float64(f) * ge.info[x].mag * ge.info[w].mag, lo: -1}, x, w)
	return ok
}

// vector returns a parameter-only vector of length c: an existing one, a new weight,
// or (for BiasAdd and ChannelMul's identities) a constant.
func (ge *gen) vector(c int, identity float64) int {
	if ge.chance(0.2) {
		id, _ := ge.add(ir.OpFill, ir.Attrs{Shape: ir.Shape{c}, Alpha: identity}, constInfo(identity))
		return id
	}
	v := ge.pick(func(n *ir.Node) bool { return !batched(n) && n.Shape.Equal(ir.Shape{c}) })
	if v < 0 || ge.chance(0.5) {
		v = ge.param(ir.Shape{c}, ir.RoleWeight)
	}
	return v
}

func (ge *gen) channelVec(op string) bool {
	x := ge.pick(func(n *ir.Node) bool { return n.Shape.Rank() >= 2 })
	if x < 0 {
		return false
	}
	identity := 0.0
	if op == ir.OpChannelMul {
		identity = 1
	}
	v := ge.vector(ge.shape(x)[1], identity)
	if v < 0 {
		return false
	}
	xi, vi := ge.info[x], ge.info[v]
	out := info{mag: xi.mag + vi.mag, lo: -1}
	if op == ir.OpChannelMul {
		out.mag = xi.mag * vi.mag
	}
	_, ok := ge.add(op, ir.Attrs{}, out, x, v)
	return ok
}

// biasAddLast adds a vector along the last axis, as Dense's bias on (N, T, F).
func (ge *gen) biasAddLast() bool {
	x := ge.pick(func(n *ir.Node) bool { return n.Shape.Rank() >= 2 })
	if x < 0 {
		return false
	}
	v := ge.vector(ge.shape(x)[ge.shape(x).Rank()-1], 0)
	if v < 0 {
		return false
	}
	_, ok := ge.add(ir.OpBiasAddLast, ir.Attrs{}, info{mag: ge.info[x].mag + ge.info[v].mag, lo: -1}, x, v)
	return ok
}

func (ge *gen) channelReduce(op string) bool {
	x := ge.pick(func(n *ir.Node) bool { return n.Shape.Rank() >= 2 })
	if x < 0 {
		return false
	}
	s := ge.shape(x)
	xi := ge.info[x]
	out := info{mag: xi.mag, lo: xi.lo}
	if op == ir.OpChannelSum {
		out.mag *= batchElems(s) / float64(s[1])
		out.lo = -1
	}
	_, ok := ge.add(op, ir.Attrs{}, out, x)
	return ok
}

func (ge *gen) channelBroadcast() bool {
	v := ge.pick(func(n *ir.Node) bool { return n.Shape.Rank() == 1 && !batched(n) })
	if v < 0 {
		return false
	}
	c := ge.shape(v)[0]
	t := ge.pick(func(n *ir.Node) bool { return n.Shape.Rank() >= 2 && n.Shape[1] == c })
	if t < 0 {
		return false
	}
	_, ok := ge.add(ir.OpChannelBroadcast, ir.Attrs{Shape: ge.shape(t).Clone(), Mean: ge.chance(0.5)}, info{mag: ge.info[v].mag, lo: -1}, v)
	return ok
}

// reshape flattens, splits or merges axes; sometimes to the same shape, sometimes of
// a Reshape.
func (ge *gen) reshape() bool {
	x := -1
	if ge.chance(0.4) {
		x = ge.pick(func(n *ir.Node) bool { return n.Op == ir.OpReshape })
	}
	if x < 0 {
		x = ge.pick(anyValue)
	}
	if x < 0 {
		return false
	}
	inner := ge.shape(x).Inner()
	e := inner.Elems()
	var target ir.Shape
	switch ge.rng.IntN(4) {
	case 0:
		target = ir.Shape{e}
	case 1:
		target = inner.Clone()
	case 2:
		var divs []int
		for d := 1; d <= e; d++ {
			if e%d == 0 {
				divs = append(divs, d)
			}
		}
		d := divs[ge.rng.IntN(len(divs))]
		target = ir.Shape{d, e / d}
	default:
		target = append(ir.Shape{1}, inner...)
	}
	xi := ge.info[x]
	xi.dead = false
	_, ok := ge.add(ir.OpReshape, ir.Attrs{Shape: target}, xi, x)
	return ok
}

func (ge *gen) concat() bool {
	x := ge.pick(func(n *ir.Node) bool { return n.Shape.Rank() >= 2 || (!batched(n) && n.Shape.Rank() >= 1) })
	if x < 0 {
		return false
	}
	s := ge.shape(x)
	first := 0
	if s.Batched() {
		first = 1
	}
	axis := first + ge.rng.IntN(s.Rank()-first)
	ins := []int{x}
	for k := ge.rng.IntN(3); k > 0; k-- {
		y := ge.pick(func(n *ir.Node) bool {
			t := n.Shape
			if t.Rank() != s.Rank() {
				return false
			}
			for i := range t {
				if i != axis && t[i] != s[i] {
					return false
				}
			}
			return true
		})
		if y >= 0 {
			ins = append(ins, y)
		}
	}
	out := info{lo: math.Inf(1)}
	for _, in := range ins {
		out.mag = math.Max(out.mag, ge.info[in].mag)
		out.lo = math.Min(out.lo, ge.info[in].lo)
	}
	_, ok := ge.add(ir.OpConcat, ir.Attrs{Axis: axis}, out, ins...)
	return ok
}

func (ge *gen) slice() bool {
	x := ge.pick(func(n *ir.Node) bool { return n.Shape.Rank() >= 2 || (!batched(n) && n.Shape.Rank() >= 1) })
	if x < 0 {
		return false
	}
	s := ge.shape(x)
	first := 0
	if s.Batched() {
		first = 1
	}
	axis := first + ge.rng.IntN(s.Rank()-first)
	start := ge.rng.IntN(s[axis])
	end := start + 1 + ge.rng.IntN(s[axis]-start)
	if ge.chance(0.15) {
		start, end = 0, s[axis] // the whole axis: simplification removes it
	}
	xi := ge.info[x]
	xi.dead = false
	_, ok := ge.add(ir.OpSlice, ir.Attrs{Axis: axis, Start: start, End: end}, xi, x)
	return ok
}

// repeat appends a Repeat of a small value: 1 to 3 copies along a new axis at any
// place after the batch (axis 1 on (N, F) is Keras' RepeatVector). Copies keep the
// bounds of the values.
func (ge *gen) repeat() bool {
	x := ge.pick(func(n *ir.Node) bool { return n.Shape.Rank() >= 1 && n.Shape.Rank() <= 3 && n.Shape.Elems() <= 24 })
	if x < 0 {
		return false
	}
	s := ge.shape(x)
	first := 0
	if s.Batched() {
		first = 1
	}
	xi := ge.info[x]
	xi.dead = false
	_, ok := ge.add(ir.OpRepeat, ir.Attrs{Axis: first + ge.rng.IntN(s.Rank()+1-first), Repeats: 1 + ge.rng.IntN(3)}, xi, x)
	return ok
}

// transpose appends a Transpose of a value of rank 2 to 5 by a random permutation of
// its axes (Keras' Permute; the batch stays first), identity included. Moving values
// keeps their bounds.
func (ge *gen) transpose() bool {
	x := ge.pick(func(n *ir.Node) bool { return n.Shape.Rank() >= 2 && n.Shape.Rank() <= 5 })
	if x < 0 {
		return false
	}
	s := ge.shape(x)
	first := 0
	if s.Batched() {
		first = 1
	}
	perm := make([]int, s.Rank())
	for i := range perm {
		perm[i] = i
	}
	ge.rng.Shuffle(len(perm)-first, func(i, j int) { perm[first+i], perm[first+j] = perm[first+j], perm[first+i] })
	xi := ge.info[x]
	xi.dead = false
	_, ok := ge.add(ir.OpTranspose, ir.Attrs{Perm: perm}, xi, x)
	return ok
}

// layerNorm appends a LayerNorm over the last 1 to 3 axes of a value (never the
// batch), with γ and β, γ alone or neither. Its input has |x| ≤ 100 and eps is
// 1e-3, 1e-2 or 0.1: normalising divides by at most 1/√eps, so a row whose spread is
// near float32's rounding of its values would turn that rounding into an error
// beyond the comparison's tolerance; such rows are the input's conditioning, not the
// kernel's, and these bounds keep random graphs clear of them. |y| ≤ √F·|γ| + |β|,
// as no element of a row of F is more than √(F-1) deviations from its mean.
func (ge *gen) layerNorm() bool {
	x := ge.pick(func(n *ir.Node) bool {
		return (n.Shape.Rank() >= 2 || (!batched(n) && n.Shape.Rank() >= 1)) && n.Shape.Elems() <= 256
	})
	if x < 0 || ge.info[x].mag > 100 {
		return false
	}
	s := ge.shape(x)
	first := 0
	if s.Batched() {
		first = 1
	}
	axis := s.Rank() - 1 - ge.rng.IntN(min(3, s.Rank()-first))
	eps := []float64{1e-3, 1e-2, 0.1}[ge.rng.IntN(3)]
	in := []int{x}
	switch ge.rng.IntN(3) {
	case 0: // γ and β
		in = append(in, ge.param(s[axis:], ir.RoleWeight), ge.param(s[axis:], ir.RoleWeight))
	case 1: // γ alone
		in = append(in, ge.param(s[axis:], ir.RoleWeight))
	}
	f := float64(s[axis:].Elems())
	_, ok := ge.add(ir.OpLayerNorm, ir.Attrs{Axis: axis, Eps: eps}, info{mag: math.Sqrt(f)*1.1 + 1.1, lo: -1}, in...)
	return ok
}

// relu appends a Relu or, one time in three, a PReLU (which has no proposer of its
// own, so that adding it did not make the other proposals rarer).
func (ge *gen) relu() bool {
	if ge.rng.IntN(3) == 0 {
		return ge.prelu()
	}
	return ge.unary(ir.OpRelu, ir.Attrs{}, 0)
}

// prelu appends a PReLU of a batched value with an α parameter that runs along
// each axis after the batch or is shared along it (PyTorch's one α, one per channel,
// Keras' shared axes). |α| ≤ 1.1 bounds |y| by 1.1·|x|.
func (ge *gen) prelu() bool {
	x := ge.pick(func(n *ir.Node) bool { return batched(n) && n.Shape.Rank() >= 2 && n.Shape.Elems() <= 256 })
	if x < 0 {
		return false
	}
	s := ge.shape(x)
	alpha := make(ir.Shape, s.Rank()-1)
	for i := range alpha {
		alpha[i] = 1
		if ge.chance(0.5) {
			alpha[i] = s[i+1]
		}
	}
	xi := ge.info[x]
	_, ok := ge.add(ir.OpPReLU, ir.Attrs{}, info{mag: 1.1 * xi.mag, lo: -1}, x, ge.param(alpha, ir.RoleWeight))
	return ok
}

// window returns random kernel, stride and padding attributes for a 2-D window op.
func (ge *gen) window() (k, s, p []int) {
	k = []int{1 + ge.rng.IntN(3), 1 + ge.rng.IntN(3)}
	s = []int{1 + ge.rng.IntN(2), 1 + ge.rng.IntN(2)}
	p = []int{ge.rng.IntN(k[0]), ge.rng.IntN(k[1]), ge.rng.IntN(k[0]), ge.rng.IntN(k[1])}
	if ge.chance(0.3) {
		p = []int{0, 0, 0, 0}
	}
	return k, s, p
}

func (ge *gen) conv(op string) bool {
	x := ge.pick(func(n *ir.Node) bool { return batched(n) && n.Shape.Rank() == 4 && n.Shape[2] <= 8 && n.Shape[3] <= 8 })
	if x < 0 {
		return false
	}
	c := ge.shape(x)[1]
	o := 1 + ge.rng.IntN(4)
	k, s, p := ge.window()
	attrs := ir.Attrs{Strides: s, Pads: p}
	if ge.chance(0.3) {
		// Dilations 1 to 3 per axis, with any stride (PyTorch); a kernel whose span
		// outgrows the padded input fails the shape rule and is not added.
		attrs.Dilations = []int{1 + ge.rng.IntN(3), 1 + ge.rng.IntN(3)}
	}
	ws := ir.Shape{o, c, k[0], k[1]}
	if op == ir.OpConv2DTranspose {
		ws = ir.Shape{c, o, k[0], k[1]}
		attrs.OutPad = []int{ge.rng.IntN(s[0]), ge.rng.IntN(s[1])}
	}
	w := ge.param(ws, ir.RoleWeight)
	mag := float64(c*k[0]*k[1]) * ge.info[x].mag * ge.info[w].mag
	y, ok := ge.add(op, attrs, info{mag: mag, lo: -1}, x, w)
	if ok && ge.chance(0.5) { // the layer's bias
		b := ge.param(ir.Shape{o}, ir.RoleWeight)
		ge.add(ir.OpBiasAdd, ir.Attrs{}, info{mag: mag + 1.1, lo: -1}, y, b)
	}
	return ok
}

func (ge *gen) pool(op string) bool {
	x := ge.pick(func(n *ir.Node) bool { return n.Shape.Rank() == 4 })
	if x < 0 {
		return false
	}
	k, s, p := ge.window()
	attrs := ir.Attrs{Kernel: k, Strides: s, Pads: p, Exclude: op == ir.OpAvgPool2D && ge.chance(0.5)}
	out := ge.info[x]
	out.dead = false
	if op == ir.OpAvgPool2D && !attrs.Exclude && p[0]+p[1]+p[2]+p[3] > 0 && out.lo > 0 {
		out.lo = 0 // padding counts as zeros
	}
	_, ok := ge.add(op, attrs, out, x)
	return ok
}

// upsample appends an upsampling, nearest or bilinear (one proposer for both, so
// that they share the share upsampling had). Bilinear outputs are convex
// combinations of inputs: the bounds carry over, as for nearest.
func (ge *gen) upsample() bool {
	x := ge.pick(func(n *ir.Node) bool { return n.Shape.Rank() == 4 && n.Shape[2] <= 6 && n.Shape[3] <= 6 })
	if x < 0 {
		return false
	}
	out := ge.info[x]
	out.dead = false
	op := ir.OpUpSample2D
	if ge.chance(0.5) {
		op = ir.OpUpSampleBilinear2D
	}
	_, ok := ge.add(op, ir.Attrs{Scale: []int{1 + ge.rng.IntN(3), 1 + ge.rng.IntN(3)}}, out, x)
	return ok
}

// pad2D appends a zero padding or crop of an image's rows and columns: each side
// from -2 to 2, a side's crop never reaching past the other's, sometimes no pads at
// all (simplification removes it). Added zeros lower the lower bound to 0.
func (ge *gen) pad2D() bool {
	x := ge.pick(func(n *ir.Node) bool { return n.Shape.Rank() == 4 && n.Shape[2] <= 8 && n.Shape[3] <= 8 })
	if x < 0 {
		return false
	}
	s := ge.shape(x)
	p := make([]int, 4)
	for i := range p {
		p[i] = ge.rng.IntN(5) - 2
	}
	for a := range 2 {
		for max(0, -p[a])+max(0, -p[a+2]) >= s[2+a] { // would crop everything: crop less
			if p[a] < 0 {
				p[a]++
			} else {
				p[a+2]++
			}
		}
	}
	if ge.chance(0.1) {
		p = []int{0, 0, 0, 0}
	}
	out := ge.info[x]
	out.dead = false
	if slices.ContainsFunc(p, func(v int) bool { return v > 0 }) && out.lo > 0 {
		out.lo = 0
	}
	_, ok := ge.add(ir.OpPad2D, ir.Attrs{Pads: p}, out, x)
	return ok
}

func (ge *gen) reduce(op string) bool {
	x := ge.pick(anyValue)
	if x < 0 {
		return false
	}
	xi := ge.info[x]
	out := info{mag: xi.mag, lo: xi.lo}
	if op == ir.OpReduceSum {
		out = info{mag: xi.mag * batchElems(ge.shape(x)), lo: -1}
	}
	_, ok := ge.add(op, ir.Attrs{}, out, x)
	return ok
}

// broadcast spreads a scalar (a reduction, made here if there is none) over the
// shape of another node.
func (ge *gen) broadcast() bool {
	v := ge.pick(func(n *ir.Node) bool { return n.Shape.Rank() == 0 })
	if v < 0 {
		if !ge.reduce(ir.OpReduceMean) {
			return false
		}
		v = len(ge.g.Nodes) - 1
	}
	t := ge.pick(anyValue)
	if t < 0 {
		return false
	}
	_, ok := ge.add(ir.OpBroadcast, ir.Attrs{Shape: ge.shape(t).Clone(), Mean: ge.chance(0.5)}, info{mag: ge.info[v].mag, lo: -1}, v)
	return ok
}

// klSparsity adds the sparsity penalty of a sigmoid layer to the graph's scalars,
// which finish may add to the loss.
func (ge *gen) klSparsity() bool {
	x := ge.pick(func(n *ir.Node) bool { return batched(n) && n.Shape.Rank() >= 2 })
	if x < 0 {
		return false
	}
	h, ok := ge.add(ir.OpSigmoid, ir.Attrs{}, info{mag: 1, lo: 0}, x)
	if !ok {
		return false
	}
	// ρ̂ is clipped to [1e-7, 1-1e-7], so each unit contributes at most about 16.
	_, ok = ge.add(ir.OpKLSparsity, ir.Attrs{Alpha: ge.oneOf(0.05, 0.2)}, info{mag: 20 * float64(ge.shape(h).Elems()), lo: 0}, h)
	return ok
}

// contractive adds the contractive penalty of a dense sigmoid encoder.
func (ge *gen) contractive() bool {
	x := ge.pick(func(n *ir.Node) bool { return batched(n) && n.Shape.Rank() == 2 })
	if x < 0 {
		return false
	}
	d := ge.shape(x)[1]
	units := 1 + ge.rng.IntN(4)
	w := ge.param(ir.Shape{units, d}, ir.RoleWeight)
	z, ok := ge.add(ir.OpMatMul, ir.Attrs{TransB: true}, info{mag: float64(d) * ge.info[x].mag * 1.1, lo: -1}, x, w)
	if !ok {
		return false
	}
	h, ok := ge.add(ir.OpSigmoid, ir.Attrs{}, info{mag: 1, lo: 0}, z)
	if !ok {
		return false
	}
	_, ok = ge.add(ir.OpContractivePenalty, ir.Attrs{}, info{mag: float64(units*d) * 1.21 / 16, lo: 0}, h, w)
	return ok
}

// embedding looks up new int ids, (N) or (N, T), in a new (V, D) weight (|w| ≤ 1.1
// after Randomize), sometimes with a padding row.
func (ge *gen) embedding() bool {
	shape := ir.Shape{ir.Batch}
	if ge.chance(0.7) {
		shape = append(shape, 1+ge.rng.IntN(4))
	}
	ids := ge.input(fmt.Sprintf("ids%d", len(ge.g.Nodes)), ir.RoleData, ir.Int, shape)
	vocab, dim := 2+ge.rng.IntN(5), 1+ge.rng.IntN(4)
	w := ge.param(ir.Shape{vocab, dim}, ir.RoleWeight)
	var a ir.Attrs
	if ge.chance(0.3) {
		a.Extra = []int{ge.rng.IntN(vocab)}
	}
	_, ok := ge.add(ir.OpEmbedding, a, info{mag: ge.info[w].mag, lo: -1}, ids, w)
	return ok
}

// duplicate appends a copy of an existing computed node: same op, attributes and
// inputs.
func (ge *gen) duplicate() bool {
	x := ge.pick(func(n *ir.Node) bool {
		return ir.Ops[n.Op].Kind == ir.Primitive && !ir.Ops[n.Op].Effect || n.Op == ir.OpFill || n.Op == ir.OpDropoutMask
	})
	if x < 0 {
		return false
	}
	n := ge.g.Nodes[x]
	_, ok := ge.add(n.Op, n.Attrs, ge.info[x], n.Inputs...)
	return ok
}

// batchNorm appends batch norm in its lowered inference form (passes/lower.go) to
// the output of a convolution or dense layer, or of its bias.
func (ge *gen) batchNorm() bool {
	// Mostly a layer nothing else reads yet, which folding can take.
	readers := make([]int, len(ge.g.Nodes))
	for _, n := range ge.g.Nodes {
		for _, in := range n.Inputs {
			readers[in]++
		}
	}
	layer := func(fresh bool) func(n *ir.Node) bool {
		return func(n *ir.Node) bool {
			if fresh && readers[n.ID] > 0 {
				return false
			}
			if n.Op == ir.OpBiasAdd {
				if fresh && readers[n.Inputs[0]] > 1 {
					return false
				}
				n = ge.g.Nodes[n.Inputs[0]]
			}
			return batched(n) && (n.Op == ir.OpConv2D || n.Op == ir.OpConv2DTranspose || n.Op == ir.OpMatMul)
		}
	}
	x := ge.pick(layer(true))
	if x < 0 {
		x = ge.pick(layer(false))
	}
	if x < 0 {
		return false
	}
	return ge.bnOn(x)
}

// bnOn appends batch norm's lowered inference form over the channels (axis 1) of x.
func (ge *gen) bnOn(x int) bool {
	c := ir.Shape{ge.shape(x)[1]}
	gamma, beta := ge.param(c, ir.RoleWeight), ge.param(c, ir.RoleWeight)
	mean, variance := ge.param(c, ir.RoleState), ge.param(c, ir.RoleState)
	varEps, _ := ge.add(ir.OpAddScalar, ir.Attrs{Alpha: 1e-5}, info{mag: 1.6, lo: 0.5}, variance)
	invStd, _ := ge.add(ir.OpRsqrt, ir.Attrs{}, info{mag: 1.5, lo: 0.7}, varEps)
	scale, _ := ge.add(ir.OpMul, ir.Attrs{}, info{mag: 1.7, lo: -1}, gamma, invStd)
	meanScaled, _ := ge.add(ir.OpMul, ir.Attrs{}, info{mag: 2.6, lo: -1}, mean, scale)
	shift, _ := ge.add(ir.OpSub, ir.Attrs{}, info{mag: 3.7, lo: -1}, beta, meanScaled)
	scaled, ok := ge.add(ir.OpChannelMul, ir.Attrs{}, info{mag: ge.info[x].mag * 1.7, lo: -1}, x, scale)
	if !ok {
		return false
	}
	_, ok = ge.add(ir.OpBiasAdd, ir.Attrs{}, info{mag: ge.info[x].mag*1.7 + 3.7, lo: -1}, scaled, shift)
	return ok
}

// runningUpdate updates a state parameter with the channel means of a batched node,
// as lowered training batch norm does. Its result is not read.
func (ge *gen) runningUpdate() bool {
	x := ge.pick(func(n *ir.Node) bool { return batched(n) && n.Shape.Rank() >= 2 })
	if x < 0 {
		return false
	}
	stat, ok := ge.add(ir.OpChannelMean, ir.Attrs{}, info{mag: ge.info[x].mag, lo: -1}, x)
	if !ok {
		return false
	}
	state := ge.param(ir.Shape{ge.shape(x)[1]}, ir.RoleState)
	// Bessel's correction needs two values per channel: the batch has at least two
	// (Feeds' callers use batches 2 to MaxBatch).
	_, ok = ge.add(ir.OpRunningUpdate, ir.Attrs{Momentum: 0.1, Unbiased: ge.chance(0.5)}, info{mag: math.Max(1.5, ge.info[x].mag), lo: -1, dead: true}, state, stat, x)
	ge.info[state].dead = ok // read no more: the update changes it in place
	return ok
}

// ---- outputs and loss ----

// finish names outputs and adds the loss.
func (ge *gen) finish() error {
	var cands []int
	for _, n := range ge.g.Nodes {
		if batched(n) && n.Op != ir.OpInput && !ge.info[n.ID].dead {
			cands = append(cands, n.ID)
		}
	}
	if len(cands) == 0 {
		return fmt.Errorf("randgraph: no batched node to output")
	}
	outs := []int{cands[len(cands)-1]}
	for k := ge.rng.IntN(3); k > 0; k-- {
		outs = append(outs, cands[ge.rng.IntN(len(cands))])
	}
	for i, id := range outs {
		ge.g.Outputs = append(ge.g.Outputs, ir.Output{Name: fmt.Sprintf("out%d", i), ID: id})
	}
	if !ge.train && ge.chance(0.5) {
		return nil
	}
	loss, err := ge.loss(cands)
	if err != nil {
		return err
	}
	// Add any penalties and scalar reductions, weighted, as AddLoss does.
	for _, n := range ge.g.Nodes {
		if n.Shape.Rank() == 0 && n.ID != loss && !ge.info[n.ID].dead && ge.chance(0.7) {
			w, ok := ge.add(ir.OpScale, ir.Attrs{Alpha: ge.oneOf(0.1, 0.5)}, info{mag: ge.info[n.ID].mag / 2, lo: -1}, n.ID)
			if !ok {
				continue
			}
			if sum, ok := ge.add(ir.OpAdd, ir.Attrs{}, info{mag: ge.info[loss].mag + ge.info[w].mag, lo: -1}, loss, w); ok {
				loss = sum
			}
		}
	}
	ge.g.Loss = loss
	return nil
}

// loss applies a random loss op to a batched prediction and a new target input.
func (ge *gen) loss(cands []int) (int, error) {
	for try := 0; try < 20; try++ {
		// One of the last few values, or after ten failures any of them (the last
		// few may all be too large for every loss).
		p := cands[len(cands)-1-ge.rng.IntN(min(len(cands), 4))]
		if try >= 10 {
			p = cands[ge.rng.IntN(len(cands))]
		}
		ps := ge.shape(p)
		op := lossOps[ge.rng.IntN(len(lossOps))]
		pi := ge.info[p]
		switch op {
		case ir.OpBCELoss: // needs probabilities
			if pi.lo < 0 || pi.mag > 1 {
				continue
			}
		case ir.OpCategoricalCELoss, ir.OpSoftmaxCELoss:
			if op == ir.OpCategoricalCELoss && pi.lo < 0.01 { // normalises positive values
				continue
			}
			// Every other one against one-hot class labels (on probabilities, a
			// sparse cross-entropy as nn builds it), chosen by the node count so
			// that the random draws stay as they were.
			if ps.Rank() >= 2 && ps.Batched() && len(ge.g.Nodes)%2 == 0 {
				labels := ge.input(fmt.Sprintf("labels%d", len(ge.g.Nodes)), ir.RoleTarget, ir.Int, ps[:ps.Rank()-1].Clone())
				onehot, ok := ge.add(ir.OpOneHot, ir.Attrs{Shape: ps.Clone()}, info{mag: 1, lo: 0, dead: true}, labels)
				if !ok {
					continue
				}
				if id, ok := ge.add(op, ir.Attrs{}, info{mag: 100 + (pi.mag+1)*(pi.mag+1), lo: -1}, p, onehot); ok {
					return id, nil
				}
				continue
			}
		case ir.OpSparseSoftmaxCELoss: // one label per row of the last axis
			if ps.Rank() < 2 || !ps.Batched() {
				continue
			}
			labels := ge.input(fmt.Sprintf("labels%d", len(ge.g.Nodes)), ir.RoleTarget, ir.Int, ps[:ps.Rank()-1].Clone())
			li := info{mag: 2 * pi.mag, lo: 0}
			if len(ge.g.Nodes)%2 == 0 {
				// Every other one NLL (by the node count, so that the random draws
				// stay as they were), on any values: -p[label] averaged.
				op, li = ir.OpNLLLoss, info{mag: pi.mag, lo: -1}
			}
			attrs := ir.Attrs{}
			if len(ge.g.Nodes)%3 == 0 {
				// Every third one ignores the label -1 (PyTorch's ignore_index),
				// again by the node count; Feeds puts -1 in some rows.
				attrs.Extra = []int{-1}
			}
			id, ok := ge.add(op, attrs, li, p, labels)
			if ok {
				return id, nil
			}
			continue
		}
		t := ge.input(fmt.Sprintf("target%d", len(ge.g.Nodes)), ir.RoleTarget, ir.Float, ps.Clone())
		attrs := ir.Attrs{}
		if op == ir.OpHuberLoss {
			attrs.Alpha = ge.oneOf(0.5, 1)
		}
		if id, ok := ge.add(op, attrs, info{mag: 100 + (pi.mag+1)*(pi.mag+1), lo: -1}, p, t); ok {
			return id, nil
		}
	}
	return -1, fmt.Errorf("randgraph: found no loss for the graph's outputs")
}

// ---- values ----

// Randomize sets the machine's parameters to what the generator assumes, and what
// makes equivalence tests meaningful on any graph: every weight is its initial value
// plus uniform noise in ±0.1 (so biases, batch-norm γ and β are not 0 and 1), every
// state parameter (batch-norm running statistics) is uniform in [0.5, 1.5].
func Randomize(m *interp.Machine, seed uint64) {
	for _, p := range m.G.Params() {
		t := m.Params[p.ID]
		stream := rt.NameStream(p.Name)
		for i := range t.Data {
			u := rt.Uniform(seed, stream, uint64(i))
			if p.Attrs.Role == ir.RoleState {
				t.Data[i] = 0.5 + u
			} else {
				t.Data[i] += 0.2*u - 0.1
			}
		}
	}
}

// Feeds returns inputs for batch n drawn from seed: data uniform in [-1, 1), targets
// uniform in [0, 1) (valid for the binary cross-entropies), class labels spread over
// the classes of the loss that reads them, ids over the rows of their embedding.
// Labels of a loss with an ignore index hold it at every third element but the
// first (so never all of them).
func Feeds(g *ir.Graph, n int, seed uint64) map[string]*interp.Tensor {
	classes := map[int]int{}
	ignore := map[int]int{}
	for _, node := range g.Nodes {
		switch node.Op {
		case ir.OpSparseSoftmaxCELoss, ir.OpNLLLoss:
			s := g.Nodes[node.Inputs[0]].Shape
			classes[node.Inputs[1]] = s[len(s)-1]
			if ig, ok := ir.LossIgnore(node.Attrs); ok {
				ignore[node.Inputs[1]] = ig
			}
		case ir.OpOneHot:
			classes[node.Inputs[0]] = node.Shape[len(node.Shape)-1]
		case ir.OpEmbedding:
			classes[node.Inputs[0]] = g.Nodes[node.Inputs[1]].Shape[0]
		}
	}
	f := map[string]*interp.Tensor{}
	for _, in := range g.Inputs() {
		t := interp.NewTensor(in.Shape.Concrete(n)...)
		stream := rt.NameStream(in.Name)
		for i := range t.Data {
			u := rt.Uniform(seed, stream, uint64(i))
			switch {
			case in.Attrs.DType == ir.Int:
				c := max(classes[in.ID], 1)
				t.Data[i] = float64(int(u*float64(c)) % c)
				if ig, ok := ignore[in.ID]; ok && i%3 == 1 {
					t.Data[i] = float64(ig)
				}
			case in.Attrs.Role == ir.RoleTarget:
				t.Data[i] = u
			default:
				t.Data[i] = 2*u - 1
			}
		}
		f[in.Name] = t
	}
	return f
}

// smoothActivation is the pseudo-op of the proposer of the smooth activations: one
// name for the five ops, so that they take one share of the proposals between them
// and the rest of the mix (the duplicates CSE looks for, the constants fold looks
// for) keeps its frequency.
const smoothActivation = "smooth-activation"

// smoothOps are the ops the smooth-activation proposer makes.
var smoothOps = []string{ir.OpElu, ir.OpSelu, ir.OpSoftplus, ir.OpGelu, ir.OpSilu}

// smooth appends one of the smooth activations: ELU with PyTorch's alpha of 1 or
// another, SELU, softplus, GELU in either form or SiLU.
func (ge *gen) smooth() bool {
	op := smoothOps[ge.rng.IntN(len(smoothOps))]
	var a ir.Attrs
	switch op {
	case ir.OpElu:
		a.Alpha = ge.oneOf(1, 0.2+1.3*ge.rng.Float64())
	case ir.OpGelu:
		a.Sub = []string{"", ir.GeluTanh}[ge.rng.IntN(2)]
	}
	return ge.unary(op, a, 0)
}

func init() { proposers[smoothActivation] = (*gen).smooth }

// softmax appends a Softmax or, every other time (by the node count, so that the
// random draws stay as they were), a LogSoftmax.
func (ge *gen) softmax() bool {
	if len(ge.g.Nodes)%2 == 1 {
		return ge.unary(ir.OpLogSoftmax, ir.Attrs{}, 0)
	}
	return ge.unary(ir.OpSoftmax, ir.Attrs{}, 0)
}
