package main

import (
	"bufio"
	"fmt"
	"io"
	"strings"

	"github.com/dlgen/dlgen/ir"
)

// writeDOT writes g as a Graphviz digraph: one box per node labeled with its op and
// shape, one cluster per layer. Parameters and inputs are ellipses named after the
// tensor they hold, the loss has a double border, outputs are bold, and nodes that
// only the backward pass needs are shaded, so forward and backward read apart.
func writeDOT(w io.Writer, g *ir.Graph) error {
	bw := bufio.NewWriter(w)
	fwd := forward(g)
	isOutput := map[int]bool{}
	for _, o := range g.Outputs {
		isOutput[o.ID] = true
	}
	fmt.Fprintf(bw, "digraph %s {\n", dotQuote(g.Name))
	fmt.Fprintln(bw, `  graph [rankdir=TB, fontname="Helvetica", fontsize=11];`)
	fmt.Fprintln(bw, `  node [shape=box, style="rounded,filled", fillcolor=white, fontname="Helvetica", fontsize=10];`)
	fmt.Fprintln(bw, `  edge [arrowsize=0.6];`)
	node := func(indent string, n *ir.Node) {
		label := n.Op + `\n` + dotEscape(n.Shape.String())
		attrs := []string{}
		switch n.Op {
		case ir.OpParam:
			label = dotEscape(n.Name) + `\n` + dotEscape(n.Shape.String())
			attrs = append(attrs, "shape=ellipse", "fillcolor=lightgray")
		case ir.OpInput:
			label = dotEscape(n.Name) + `\n` + dotEscape(n.Shape.String())
			attrs = append(attrs, "shape=ellipse", "fillcolor=palegreen")
		}
		if !fwd[n.ID] {
			attrs = append(attrs, "fillcolor=lightyellow")
		}
		if n.ID == g.Loss {
			attrs = append(attrs, "peripheries=2")
		}
		if isOutput[n.ID] {
			attrs = append(attrs, "penwidth=2")
		}
		attrs = append(attrs, "tooltip="+dotQuote(n.Name))
		fmt.Fprintf(bw, "%sn%d [label=\"%s\", %s];\n", indent, n.ID, label, strings.Join(attrs, ", "))
	}
	for i, l := range layers(g) {
		if l.name == "" {
			for _, n := range l.nodes {
				node("  ", n)
			}
			continue
		}
		fmt.Fprintf(bw, "  subgraph cluster_%d {\n", i)
		fmt.Fprintf(bw, "    label=%s;\n", dotQuote(l.name))
		fmt.Fprintln(bw, `    style=rounded; color=gray60;`)
		for _, n := range l.nodes {
			node("    ", n)
		}
		fmt.Fprintln(bw, "  }")
	}
	for _, n := range g.Nodes {
		for _, in := range n.Inputs {
			fmt.Fprintf(bw, "  n%d -> n%d;\n", in, n.ID)
		}
	}
	fmt.Fprintln(bw, "}")
	return bw.Flush()
}

// dotEscape escapes text for a double-quoted DOT string.
func dotEscape(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`)
	return r.Replace(s)
}

func dotQuote(s string) string { return `"` + dotEscape(s) + `"` }
