package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/dlgen/dlgen/internal/load"
	"github.com/dlgen/dlgen/ir"
	"github.com/dlgen/dlgen/passes"
)

const (
	modeUser = "user"
)

var dumpCmd = &command{
	name:     "dump",
	synopsis: "[-pkg pattern] [-model Name,...] [-format text|dot|json] [-mode user|train|infer] [-grad] [file.json]",
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
With -grad the backward graph (passes.Autodiff) is appended; it implies -mode train.`,
	setup: func(fs *flag.FlagSet) func(e *env, args []string) error {
		pkg := fs.String("pkg", ".", "the `pattern` of the package holding the model constructors")
		model := fs.String("model", "", "comma-separated constructor `names` to dump (default: all of them)")
		format := fs.String("format", "text", "output `format`: text, dot or json")
		mode := fs.String("mode", "", "`mode`: user, train or infer (default user, or train with -grad)")
		grad := fs.Bool("grad", false, "append the backward pass, the gradient of the loss for every weight (implies -mode train)")
		return func(e *env, args []string) error {
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
			for i, g := range graphs {
				g, err := prepare(g, *mode, *grad)
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
