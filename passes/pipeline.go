package passes

import (
	"fmt"
	"slices"

	"github.com/dlgen/dlgen/ir"
)

// The compiler's graph passes, in order. Each is a function from graph to graph in
// its own file, with an interpreter-equivalence test (equiv_test.go); this list is the
// whole pipeline, so a reader sees every step and the modes it runs in on one screen
// (the layout of Go's cmd/compile/internal/ssa/compile.go, with Glow's modes).
//
// A user graph is compiled twice: for inference (Predict, Loss) and for training
// (TrainStep). After Compile, code generation works per generated method (program):
// it fuses chains of element-wise nodes into one loop (codegen/fuse.go), hoists
// values computed from parameters alone out of Predict and Loss (codegen/derived.go;
// after bnfold these are the folded weights), and places every value in the arena
// (Plan, plan.go). Those steps depend on which nodes a method computes, so they are
// not graph passes; `dlgen dump -plan` shows their result.

// Modes says in which compilations a pass runs.
type Modes uint8

const (
	Infer Modes = 1 << iota // compiling for inference (Predict, Loss)
	Train                   // compiling for training (TrainStep)
	Both  = Infer | Train
)

// Has reports whether mode (ir.ModeInfer or ir.ModeTrain) is among ms.
func (ms Modes) Has(mode string) bool {
	return (mode == ir.ModeInfer && ms&Infer != 0) || (mode == ir.ModeTrain && ms&Train != 0)
}

func (ms Modes) String() string {
	switch ms {
	case Infer:
		return "infer"
	case Train:
		return "train"
	case Both:
		return "both"
	}
	return "none"
}

// Pass is one step of the pipeline.
type Pass struct {
	Name  string
	Fn    func(g *ir.Graph, mode string) (*ir.Graph, error)
	Modes Modes
	// Required passes cannot be disabled (Config.Disable): without them there is no
	// code to generate (macro ops have no emitters; training needs gradients).
	Required bool
	Doc      string // one line, for `dlgen dump -passes`
}

// Pipeline lists the passes in the order they run.
var Pipeline = []Pass{
	{"lower", Lower, Both, true, "expand macro ops (BatchNorm, Dropout, LSTM, GRU, SimpleRNN) into primitives for the mode"},
	{"autodiff", graphOnly(func(g *ir.Graph) (*ir.Graph, error) { return Autodiff(g) }), Train, true, "append the backward graph: the gradient of the loss for every weight"},
	{"fold", graphOnly(Fold), Both, false, "constant folding: evaluate nodes whose inputs are all constants (Fill)"},
	{"simplify", graphOnly(Simplify), Both, false, "algebraic identities: x·1, x+0, Scale of Scale, no-op reshapes, slices and pools; a product narrowed to the columns read"},
	{"cse", graphOnly(CSE), Both, false, "common-subexpression elimination: merge nodes computing the same value"},
	{"dce", graphOnly(DCE), Both, false, "dead-code elimination: drop nodes no output, loss, gradient or update needs"},
	{"bnfold", graphOnly(BNFold), Infer, false, "fold inference batch norm into the conv or dense layer before it"},
}

// passOrder lists the constraints between passes: a must run before b, for the
// reason given. CheckPipeline verifies them against Pipeline (and a test runs it at
// start-up of every test binary of this package).
var passOrder = []struct{ a, b, why string }{
	{"lower", "autodiff", "autodiff has gradient rules for primitive ops only; macro ops must be expanded first"},
	{"autodiff", "fold", "the backward graph is fold's main source of constants: the seed gradient is Fill 1, and loss weights scale it"},
	{"autodiff", "dce", "dce keeps what g.Grads names; before autodiff there is no backward graph to keep, and the forward values backward reads would look dead"},
	{"lower", "fold", "lowering makes constants (zero initial states of recurrent layers), and fold has no rules for macro ops"},
	{"fold", "simplify", "folding makes the Fill 0 and Fill 1 operands that simplify's x+0 and x·1 rules remove (Mul(x, Scale(Fill 2, 0.5)))"},
	{"simplify", "cse", "removing an Identity or a no-op makes nodes equal that were not (Relu(Identity(x)) and Relu(x))"},
	{"cse", "dce", "cse leaves the duplicates it replaced unused; dce removes them"},
	{"lower", "bnfold", "bnfold matches the primitives inference batch norm is lowered to (ChannelMul, BiasAdd)"},
	{"simplify", "bnfold", "an Identity (a linear Activation layer) between a layer and its batch norm hides the pattern"},
	{"dce", "bnfold", "a layer's output must have a single reader to fold, and a dead reader counts; bnfold leaves no dead nodes itself"},
}

// The pipeline is checked when the program starts, as Go's SSA compiler checks its
// own: a violated constraint is a bug in this file, found by any test of any package
// that imports passes.
func init() {
	if err := CheckPipeline(Pipeline); err != nil {
		panic(err)
	}
	for _, c := range passOrder {
		for _, name := range []string{c.a, c.b} {
			if _, ok := PassNamed(name); !ok {
				panic(fmt.Sprintf("passes: ordering constraint names pass %q, which is not in Pipeline", name))
			}
		}
	}
}

func graphOnly(f func(*ir.Graph) (*ir.Graph, error)) func(*ir.Graph, string) (*ir.Graph, error) {
	return func(g *ir.Graph, _ string) (*ir.Graph, error) { return f(g) }
}

// CheckPipeline reports a violated ordering constraint or a duplicate pass name.
// Constraints naming a pass that p leaves out are not checked. Cleanup passes that
// run twice must have distinct names ("early dce", "late dce").
func CheckPipeline(p []Pass) error {
	pos := map[string]int{}
	for i, ps := range p {
		if _, dup := pos[ps.Name]; dup {
			return fmt.Errorf("passes: pass %q appears twice; give each occurrence its own name", ps.Name)
		}
		if ps.Fn == nil || ps.Modes == 0 {
			return fmt.Errorf("passes: pass %q has no function or runs in no mode", ps.Name)
		}
		pos[ps.Name] = i
	}
	for _, c := range passOrder {
		i, okA := pos[c.a]
		j, okB := pos[c.b]
		if !okA || !okB {
			continue // a pipeline under test may leave passes out
		}
		if i >= j {
			return fmt.Errorf("passes: %q must run before %q: %s", c.a, c.b, c.why)
		}
	}
	return nil
}

// Constraint is one entry of the ordering constraints: pass A must run before B.
type Constraint struct{ A, B, Why string }

// Constraints returns the ordering constraints of the pipeline, with their reasons.
func Constraints() []Constraint {
	out := make([]Constraint, len(passOrder))
	for i, c := range passOrder {
		out[i] = Constraint{c.a, c.b, c.why}
	}
	return out
}

// PassNamed returns the pass of Pipeline with the given name.
func PassNamed(name string) (Pass, bool) {
	i := slices.IndexFunc(Pipeline, func(p Pass) bool { return p.Name == name })
	if i < 0 {
		return Pass{}, false
	}
	return Pipeline[i], true
}

// Config holds what a caller may hook into the pipeline.
type Config struct {
	// Before and Dump, when set, are called with the graph before and after each
	// pass that runs (for `dlgen dump -before/-after`).
	Before func(pass, mode string, g *ir.Graph)
	Dump   func(pass, mode string, g *ir.Graph)
	// Disable names optional passes to skip (to compare code with and without them,
	// or to find which pass changed something). Naming a required pass or one that
	// does not exist is an error.
	Disable []string
}

// Compile runs the passes of Pipeline that apply to mode (ir.ModeTrain or
// ir.ModeInfer) on the user's graph g, which is not modified. The graph is verified
// after every pass, so a pass that breaks an invariant is named.
func Compile(g *ir.Graph, mode string, cfg Config) (*ir.Graph, error) {
	if mode != ir.ModeTrain && mode != ir.ModeInfer {
		return nil, fmt.Errorf("passes: unknown mode %q", mode)
	}
	for _, name := range cfg.Disable {
		p, ok := PassNamed(name)
		if !ok {
			return nil, fmt.Errorf("passes: cannot disable %q: there is no such pass", name)
		}
		if p.Required {
			return nil, fmt.Errorf("passes: cannot disable %q: it is required", name)
		}
	}
	if err := ir.Verify(g); err != nil {
		return nil, err
	}
	for _, p := range Pipeline {
		if !p.Modes.Has(mode) || slices.Contains(cfg.Disable, p.Name) {
			continue
		}
		if cfg.Before != nil {
			cfg.Before(p.Name, mode, g)
		}
		out, err := p.Fn(g, mode)
		if err != nil {
			return nil, fmt.Errorf("%s (%s): %w", p.Name, mode, err)
		}
		if err := ir.Verify(out); err != nil {
			return nil, fmt.Errorf("after pass %s (%s): %w", p.Name, mode, err)
		}
		if cfg.Dump != nil {
			cfg.Dump(p.Name, mode, out)
		}
		g = out
	}
	return g, nil
}
