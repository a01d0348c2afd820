package main

import (
	"flag"
	"fmt"
	"os"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/dlgen/dlgen/codegen"
	"github.com/dlgen/dlgen/internal/load"
	"github.com/dlgen/dlgen/ir"
	"github.com/dlgen/dlgen/passes"
)

const (
	modeUser = "user"
)

var dumpCmd = &command{
	name:     "dump",
	synopsis: "[-pkg pattern] [-model Name,...] [-format text|dot|json] [-mode user|train|infer] [-grad | -before pass | -after pass] [-disable pass,...] [file.json] | -passes | -plan [-max-batch n] [-pkg ... | file.json]",
	short:    "print a model's layers and IR as text, Graphviz DOT or JSON",
	long: `Dump prints a model to standard output.

The model is either an IR graph in a JSON file (as written by -format json) or, without
a file, every //dlgen:model constructor in the package -pkg (only those named by
-model, if given), run as 'dlgen generate' runs them.

Formats:
  text  a Keras-style summary (each layer's ops, output shape and parameter count,
        then total, trainable and non-trainable parameters) followed by the IR, one
        node per line:
          %12 = Conv2D(%3, %11) strides=[1 1] pads=[2 2 2 2] : N×6×28×28   # conv1
        N is the dynamic batch dimension.
  dot   a Graphviz digraph with one box per IR node (op and shape) and one cluster per
        layer: dlgen dump -format dot | dot -Tsvg > model.svg
  json  the graph as JSON, readable again by dump and by the ir package.

Modes:
  user   the graph as the constructor built it, macro ops (BatchNorm, Dropout) intact
  train  macro ops lowered for training (passes.Lower)
  infer  macro ops lowered for inference
With -grad the backward graph (passes.Autodiff) is appended; it implies -mode train.

The optimizing pipeline (dlgen dump -passes lists it, with the reason for its order):
  -after pass   the graph as 'dlgen generate' compiles it for -mode infer (the
                default) or train, up to and including the pass
  -before pass  the same, up to the pass but not including it
  -disable a,b  skip these optional passes (to see what one of them does)
For example, dlgen dump -model LeNet -after bnfold shows the inference graph that
code is generated from.

With -plan, dump prints instead how each generated method (Predict, Loss, TrainStep,
deriveParams) stores its values, without element-wise fusion and with it (as
'dlgen generate' writes it): nodes computed, nodes fused into other loops, values
placed in the arena and how many are written over an operand, the arena without
planning (the sum of all those values) and planned, in float32 values for
-max-batch items.`,
	setup: func(fs *flag.FlagSet) func(e *env, args []string) error {
		pkg := fs.String("pkg", ".", "the `pattern` of the package holding the model constructors")
		model := fs.String("model", "", "comma-separated constructor `names` to dump (default: all of them)")
		format := fs.String("format", "text", "output `format`: text, dot or json")
		mode := fs.String("mode", "", "`mode`: user, train or infer (default user, or train with -grad)")
		grad := fs.Bool("grad", false, "append the backward pass, the gradient of the loss for every weight (implies -mode train)")
		list := fs.Bool("passes", false, "list the compiler's passes, the modes they run in, and the constraints on their order")
		after := fs.String("after", "", "show the graph after the compiler `pass` (see -passes)")
		before := fs.String("before", "", "show the graph before the compiler `pass` (see -passes)")
		disable := fs.String("disable", "", "comma-separated optional `passes` to skip with -after or -before")
		plan := fs.Bool("plan", false, "print each generated method's memory plan, with and without fusion")
		maxBatch := fs.Int("max-batch", 64, "with -plan: the largest batch `n`, which sizes the arena")
		return func(e *env, args []string) error {
			if *list {
				if len(args) > 0 || fs.NFlag() > 1 {
					return usagef("-passes takes no other flags or arguments")
				}
				return writePasses(e)
			}
			if *plan {
				for _, f := range []string{"format", "mode", "grad", "after", "before", "disable"} {
					if flagSet(fs, f) {
						return usagef("-plan cannot be combined with -%s", f)
					}
				}
				if *maxBatch < 1 {
					return usagef("-max-batch must be at least 1, got %d", *maxBatch)
				}
			} else if flagSet(fs, "max-batch") {
				return usagef("-max-batch needs -plan")
			}
			at, err := pipelinePoint(*after, *before, *disable, *grad, mode)
			if err != nil {
				return err
			}
			switch *format {
			case "text", "dot", "json":
			default:
				return usagef("unknown format %q: use text, dot or json", *format)
			}
			switch *mode {
			case "":
				*mode = modeUser
				if *grad {
					*mode = ir.ModeTrain
				}
			case modeUser, ir.ModeTrain, ir.ModeInfer:
			default:
				return usagef("unknown mode %q: use user, train or infer", *mode)
			}
			if *grad && *mode != ir.ModeTrain {
				return usagef("-grad needs -mode train: gradients are taken of the training graph")
			}
			if len(args) > 1 {
				return usagef("dump reads at most one JSON file, got %d arguments", len(args))
			}
			var graphs []*ir.Graph
			if len(args) == 1 {
				if flagSet(fs, "pkg") || flagSet(fs, "model") {
					return usagef("give either a JSON file or -pkg/-model, not both")
				}
				data, err := os.ReadFile(args[0])
				if err != nil {
					return err
				}
				g, err := ir.Decode(data)
				if err != nil {
					return fmt.Errorf("%s: %w", args[0], err)
				}
				graphs = []*ir.Graph{g}
			} else {
				ms, err := load.Load(".", []string{*pkg}, splitList(*model))
				if err != nil {
					return err
				}
				for _, m := range ms {
					graphs = append(graphs, m.Graph)
				}
			}
			if *plan {
				for i, g := range graphs {
					if i > 0 {
						fmt.Fprintln(e.stdout)
					}
					if err := writePlans(e, g, *maxBatch); err != nil {
						return err
					}
				}
				return nil
			}
			for i, g := range graphs {
				var err error
				if at != nil {
					g, err = at.compile(g)
				} else {
					g, err = prepare(g, *mode, *grad)
				}
				if err != nil {
					return err
				}
				if i > 0 && *format == "text" {
					fmt.Fprintln(e.stdout)
				}
				if err := writeGraph(e, g, *format); err != nil {
					return err
				}
			}
			return nil
		}
	},
}

// pipelinePoint is a place in the pass pipeline: before or after one pass, for one mode.
type pipelineAt struct {
	pass    string
	after   bool
	mode    string
	disable []string
}

// pipelinePoint checks -after, -before and -disable, and settles the mode: infer by
// default, train for a pass that only runs in training. It returns nil when neither
// -after nor -before is given.
func pipelinePoint(after, before, disable string, grad bool, mode *string) (*pipelineAt, error) {
	if after == "" && before == "" {
		if disable != "" {
			return nil, usagef("-disable needs -after or -before")
		}
		return nil, nil
	}
	if after != "" && before != "" {
		return nil, usagef("give -after or -before, not both")
	}
	if grad {
		return nil, usagef("-grad cannot be combined with -after or -before: in -mode train the pipeline differentiates the graph itself (pass autodiff)")
	}
	pt := &pipelineAt{pass: after, after: true, disable: splitList(disable)}
	if before != "" {
		pt.pass, pt.after = before, false
	}
	p, ok := passes.PassNamed(pt.pass)
	if !ok {
		return nil, usagef("unknown pass %q; the passes are: %s", pt.pass, passNames())
	}
	switch *mode {
	case "":
		*mode = ir.ModeInfer
		if !p.Modes.Has(ir.ModeInfer) {
			*mode = ir.ModeTrain
		}
	case modeUser:
		return nil, usagef("-mode user is the graph before every pass; use -mode infer or train with -after or -before")
	}
	if !p.Modes.Has(*mode) {
		return nil, usagef("pass %q runs only when compiling for %s, not %s", p.Name, p.Modes, *mode)
	}
	if slices.Contains(pt.disable, pt.pass) {
		return nil, usagef("pass %q is disabled, so there is no graph after or before it", pt.pass)
	}
	pt.mode = *mode
	return pt, nil
}

// compile runs the pipeline on the user's graph g and returns the graph at the point.
func (pt *pipelineAt) compile(g *ir.Graph) (*ir.Graph, error) {
	if g.Mode != "" {
		return nil, fmt.Errorf("graph %q is already lowered for %s; -after and -before need the graph as built", g.Name, g.Mode)
	}
	var at *ir.Graph
	cfg := passes.Config{Disable: pt.disable}
	hook := func(pass, _ string, g *ir.Graph) {
		if pass == pt.pass {
			at = g.Clone()
		}
	}
	if pt.after {
		cfg.Dump = hook
	} else {
		cfg.Before = hook
	}
	if _, err := passes.Compile(g, pt.mode, cfg); err != nil {
		return nil, err
	}
	if at == nil {
		return nil, fmt.Errorf("pass %q did not run", pt.pass) // pipelinePoint checked it would
	}
	return at, nil
}

func passNames() string {
	var names []string
	for _, p := range passes.Pipeline {
		names = append(names, p.Name)
	}
	return strings.Join(names, ", ")
}

// writePasses lists the pipeline, one pass a line, then the ordering constraints.
func writePasses(e *env) error {
	w := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "pass\tmodes\t\twhat it does")
	for _, p := range passes.Pipeline {
		req := ""
		if p.Required {
			req = "required"
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", p.Name, p.Modes, req, p.Doc)
	}
	if err := w.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(e.stdout, "\nordering constraints (checked when dlgen starts):")
	for _, c := range passes.Constraints() {
		fmt.Fprintf(e.stdout, "  %s before %s: %s\n", c.A, c.B, c.Why)
	}
	fmt.Fprintln(e.stdout, "\nthen, for each generated method: element-wise fusion, hoisting of values computed from\nparameters alone out of Predict and Loss, and memory planning (see dlgen dump -plan)")
	return nil
}

// writePlans prints the memory plan of g's generated methods, without fusion and
// with it.
func writePlans(e *env, g *ir.Graph, maxBatch int) error {
	if g.Mode != "" {
		return fmt.Errorf("graph %q is already lowered for %s; -plan needs the graph as built", g.Name, g.Mode)
	}
	var reports [2]*codegen.PlanReport
	for i, noFusion := range []bool{true, false} {
		r, err := codegen.Plans(g, codegen.Options{MaxBatch: maxBatch, Train: g.Loss >= 0, NoFusion: noFusion})
		if err != nil {
			return fmt.Errorf("model %s: %w", g.Name, err)
		}
		reports[i] = r
	}
	fmt.Fprintf(e.stdout, "%s: memory plan at MaxBatch %d, in float32 values\n", g.Name, maxBatch)
	w := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(w, "method\tfusion\tnodes\tfused\tloops\tvalues\tin place\tunplanned\tplanned\tplanned/unplanned\t")
	for j := range reports[1].Methods {
		for i, r := range reports {
			mp := r.Methods[j]
			ratio := 0.0
			if mp.Unplanned > 0 {
				ratio = float64(mp.Arena) / float64(mp.Unplanned)
			}
			fmt.Fprintf(w, "%s\t%s\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%.2f\t\n", mp.Method, [2]string{"off", "on"}[i],
				mp.Nodes, mp.Fused, mp.Loops, mp.Values, mp.InPlace, mp.Unplanned, mp.Arena, ratio)
		}
	}
	if err := w.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "arena (one for all methods, the largest): %d without fusion, %d with\n", reports[0].Arena, reports[1].Arena)
	for _, mp := range reports[1].Methods {
		if mp.Derived > 0 {
			fmt.Fprintf(e.stdout, "Predict and Loss leave %d nodes computed from parameters alone to %s\n", mp.Derived, reports[1].Methods[len(reports[1].Methods)-1].Method)
			break
		}
	}
	return nil
}

func flagSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

// prepare runs the passes the mode asks for. A graph read from a file may already be
// lowered or differentiated; those steps are then not repeated.
func prepare(g *ir.Graph, mode string, grad bool) (*ir.Graph, error) {
	if mode != modeUser && g.Mode != mode {
		lowered, err := passes.Lower(g, mode)
		if err != nil {
			return nil, err
		}
		g = lowered
	}
	if grad && len(g.Grads) == 0 {
		d, err := passes.Autodiff(g)
		if err != nil {
			return nil, err
		}
		g = d
	}
	return g, nil
}

func writeGraph(e *env, g *ir.Graph, format string) error {
	switch format {
	case "json":
		data, err := ir.Encode(g)
		if err != nil {
			return err
		}
		_, err = e.stdout.Write(data)
		return err
	case "dot":
		return writeDOT(e.stdout, g)
	default:
		return writeText(e.stdout, g)
	}
}
