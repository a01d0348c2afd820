package passes

import (
	"fmt"

	"github.com/dlgen/dlgen/ir"
)

// The compiler's passes, in order. Each is a function from graph to graph in its own
// file; this list is the whole pipeline, so a reader sees every step and the mode it
// runs in on one screen (the layout of Go's cmd/compile/internal/ssa/compile.go).
//
// A user graph is compiled twice: for inference (Predict, Loss) and for training
// (TrainStep). Passes that only make sense in one mode say so.

// Pass is one step of the pipeline.
type Pass struct {
	Name  string
	Fn    func(g *ir.Graph, mode string) (*ir.Graph, error)
	Infer bool // runs when compiling for inference
	Train bool // runs when compiling for training
}

// Pipeline lists the passes in the order they run.
var Pipeline = []Pass{
	{Name: "lower", Fn: Lower, Infer: true, Train: true},
	{Name: "autodiff", Fn: func(g *ir.Graph, _ string) (*ir.Graph, error) { return Autodiff(g) }, Train: true},
	{Name: "dce", Fn: func(g *ir.Graph, _ string) (*ir.Graph, error) { return DCE(g) }, Infer: true, Train: true},
}

// passOrder lists the constraints between passes: a must run before b, for the
// reason given. CheckPipeline verifies them against Pipeline.
var passOrder = []struct{ a, b, why string }{
	{"lower", "autodiff", "autodiff has gradient rules for primitive ops only; macro ops must be expanded first"},
	{"autodiff", "dce", "dce keeps what g.Grads names; before autodiff there is no backward graph to keep, and the forward values backward reads would look dead"},
}

// CheckPipeline reports a violated ordering constraint or a duplicate pass name.
func CheckPipeline(p []Pass) error {
	pos := map[string]int{}
	for i, ps := range p {
		if _, dup := pos[ps.Name]; dup {
			return fmt.Errorf("passes: pass %q appears twice; give each occurrence its own name", ps.Name)
		}
		pos[ps.Name] = i
	}
	for _, c := range passOrder {
		i, okA := pos[c.a]
		j, okB := pos[c.b]
		if okA && okB && i >= j {
			return fmt.Errorf("passes: %q must run before %q: %s", c.a, c.b, c.why)
		}
	}
	return nil
}

// Config holds what a caller may hook into the pipeline.
type Config struct {
	// Dump, when set, is called with the graph after each pass (for `dlgen dump`).
	Dump func(pass, mode string, g *ir.Graph)
}

// Compile runs the passes of Pipeline that apply to mode (ir.ModeTrain or
// ir.ModeInfer) on the user's graph g, which is not modified. The graph is verified
// after every pass, so a pass that breaks an invariant is named.
func Compile(g *ir.Graph, mode string, cfg Config) (*ir.Graph, error) {
	if mode != ir.ModeTrain && mode != ir.ModeInfer {
		return nil, fmt.Errorf("passes: unknown mode %q", mode)
	}
	if err := CheckPipeline(Pipeline); err != nil {
		return nil, err
	}
	if err := ir.Verify(g); err != nil {
		return nil, err
	}
	for _, p := range Pipeline {
		if (mode == ir.ModeTrain && !p.Train) || (mode == ir.ModeInfer && !p.Infer) {
			continue
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
