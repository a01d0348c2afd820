package codegen

import (
	"github.com/dlgen/dlgen/ir"
)

// MethodPlan is how one generated method computes and stores its values, for
// `dlgen dump -plan`. Sizes count float32 values at MaxBatch.
type MethodPlan struct {
	Method  string
	Nodes   int // nodes of the compiled graph the method computes
	Fused   int // of which computed inside a fused loop, never stored
	Loops   int // fused loops
	Derived int // nodes Predict and Loss leave to deriveParams
	Values  int // values placed in the arena (a recurrent family counts once)
	InPlace int // of which written over an operand they read last
	// Unplanned is the arena without planning: the sum of the sizes of every value
	// placed. Arena is the planned size, by the best of the heuristics (Heuristics
	// gives each one's, Strategy names the best).
	Unplanned  int
	Arena      int
	Heuristics map[string]int
	Strategy   string
}

// PlanReport is the memory plan of every method of a model.
type PlanReport struct {
	Model    string
	MaxBatch int
	Methods  []MethodPlan
	Arena    int // the Model's arena: one serves every method, so the largest
}

// Plans compiles g as Generate does and reports each method's plan, without
// writing any code.
func Plans(g *ir.Graph, opts Options) (*PlanReport, error) {
	if opts.Package == "" {
		opts.Package = "model"
	}
	m, predict, loss, train, err := compile(g, opts)
	if err != nil {
		return nil, err
	}
	r := &PlanReport{Model: g.Name, MaxBatch: opts.MaxBatch, Arena: m.arenaSize}
	var derive *program
	if m.derived != nil {
		derive = m.derived.prog
	}
	for _, p := range []*program{predict, loss, train, derive} {
		if p == nil {
			continue
		}
		mp := MethodPlan{Method: p.method, Nodes: len(p.order), Loops: len(p.fused), Values: len(p.plan.Live) + len(p.loops.fams),
			InPlace: len(p.plan.Over), Unplanned: p.plan.Unplanned, Arena: p.plan.Size, Heuristics: p.plan.Sizes, Strategy: p.plan.Strategy}
		for _, f := range p.fused {
			mp.Fused += len(f.nodes) - 1
		}
		mp.Nodes += mp.Fused
		if p.fields != nil && p != derive {
			for _, h := range m.derived.hoisted {
				if h {
					mp.Derived++
				}
			}
		}
		r.Methods = append(r.Methods, mp)
	}
	return r, nil
}
