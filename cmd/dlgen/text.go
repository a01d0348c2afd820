package main

import (
	"bufio"
	"fmt"
	"io"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/dlgen/dlgen/ir"
)

// layer groups the nodes attributed to one user layer, in order of first appearance.
type layer struct {
	name      string
	nodes     []*ir.Node // every node of the layer, in graph order
	ops       []string   // distinct ops of its forward, non-parameter nodes
	out       *ir.Node   // the node holding the layer's output, or nil
	trainable int        // parameter elements with role weight
	fixed     int        // parameter elements with role state
}

// forward marks the nodes the model's results depend on: ancestors of the outputs,
// the loss and effect ops (batch-norm running statistics). What autodiff appended is
// not among them, so the summary describes the model and not its backward pass.
func forward(g *ir.Graph) []bool {
	fwd := make([]bool, len(g.Nodes))
	var stack []int
	push := func(id int) {
		if id >= 0 && id < len(fwd) && !fwd[id] {
			fwd[id] = true
			stack = append(stack, id)
		}
	}
	for _, o := range g.Outputs {
		push(o.ID)
	}
	push(g.Loss)
	for _, n := range g.Nodes {
		if def, ok := ir.Ops[n.Op]; ok && def.Effect {
			push(n.ID)
		}
	}
	if len(stack) == 0 {
		// No outputs, no loss: describe everything rather than nothing.
		for i := range fwd {
			fwd[i] = true
		}
		return fwd
	}
	for len(stack) > 0 {
		id := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		for _, in := range g.Nodes[id].Inputs {
			push(in)
		}
	}
	return fwd
}

// layers groups g's nodes by layer and finds each layer's ops, output and parameters.
func layers(g *ir.Graph) []*layer {
	fwd := forward(g)
	var ls []*layer
	byName := map[string]*layer{}
	for _, n := range g.Nodes {
		l := byName[n.Layer]
		if l == nil {
			l = &layer{name: n.Layer}
			byName[n.Layer] = l
			ls = append(ls, l)
		}
		l.nodes = append(l.nodes, n)
	}
	isResult := map[int]bool{g.Loss: true}
	for _, o := range g.Outputs {
		isResult[o.ID] = true
	}
	users := g.Users()
	for _, l := range ls {
		var last *ir.Node
		for _, n := range l.nodes {
			if n.Op == ir.OpParam {
				if n.Attrs.Role == ir.RoleWeight {
					l.trainable += n.Shape.Elems()
				} else {
					l.fixed += n.Shape.Elems()
				}
				continue
			}
			if !fwd[n.ID] {
				continue
			}
			if !slices.Contains(l.ops, n.Op) {
				l.ops = append(l.ops, n.Op)
			}
			if ir.Ops[n.Op] != nil && ir.Ops[n.Op].Effect {
				continue
			}
			last = n
			// The layer's output is the last value read outside it (or returned).
			if isResult[n.ID] {
				l.out = n
			}
			for _, u := range users[n.ID] {
				if fwd[u] && g.Nodes[u].Layer != l.name {
					l.out = n
				}
			}
		}
		if l.out == nil {
			l.out = last
		}
	}
	return ls
}

// writeText writes the summary table and then the IR listing.
func writeText(w io.Writer, g *ir.Graph) error {
	bw := bufio.NewWriter(w)
	writeSummary(bw, g)
	fmt.Fprintln(bw)
	writeIR(bw, g)
	return bw.Flush()
}

// writeSummary prints a table in the manner of Keras' model.summary(): one row per
// layer, then the parameter totals with their float32 size.
func writeSummary(w io.Writer, g *ir.Graph) {
	const opsWidth = 36 // longer op lists wrap onto continuation lines
	ls := layers(g)
	header := []string{"Layer", "Ops", "Output Shape", "Param #"}
	var rows [][]string // one per printed line; continuation lines leave other cells empty
	var total, trainable int
	for _, l := range ls {
		total += l.trainable + l.fixed
		trainable += l.trainable
		name := l.name
		if name == "" {
			name = "(no layer)"
		}
		shape := "-"
		if l.out != nil {
			shape = l.out.Shape.String()
		}
		ops := wrapList(l.ops, opsWidth)
		if len(ops) == 0 {
			ops = []string{"-"}
		}
		rows = append(rows, []string{name, ops[0], shape, thousands(l.trainable + l.fixed)})
		for _, more := range ops[1:] {
			rows = append(rows, []string{"", more, "", ""})
		}
	}
	width := make([]int, len(header))
	for i, h := range header {
		width[i] = utf8.RuneCountInString(h)
	}
	for _, r := range rows {
		for i, c := range r {
			width[i] = max(width[i], utf8.RuneCountInString(c))
		}
	}
	line := func(cells []string) {
		var b strings.Builder
		for i, c := range cells {
			pad := width[i] - utf8.RuneCountInString(c)
			if i == len(cells)-1 { // numbers right-aligned
				b.WriteString(strings.Repeat(" ", pad) + c)
			} else {
				b.WriteString(c + strings.Repeat(" ", pad) + "   ")
			}
		}
		fmt.Fprintln(w, strings.TrimRight(b.String(), " "))
	}
	full := 0
	for _, x := range width {
		full += x + 3
	}
	full -= 3

	title := fmt.Sprintf("Model: %q", g.Name)
	switch {
	case g.Mode != "" && len(g.Grads) > 0:
		title += fmt.Sprintf(" (lowered for %s, with %d gradients)", g.Mode, len(g.Grads))
	case g.Mode != "":
		title += fmt.Sprintf(" (lowered for %s)", g.Mode)
	}
	fmt.Fprintln(w, title)
	fmt.Fprintln(w, strings.Repeat("_", full))
	line(header)
	fmt.Fprintln(w, strings.Repeat("=", full))
	for _, r := range rows {
		line(r)
	}
	fmt.Fprintln(w, strings.Repeat("=", full))
	fmt.Fprintf(w, "Total params: %s (%s)\n", thousands(total), bytesize(total*4))
	fmt.Fprintf(w, "Trainable params: %s (%s)\n", thousands(trainable), bytesize(trainable*4))
	fmt.Fprintf(w, "Non-trainable params: %s (%s)\n", thousands(total-trainable), bytesize((total-trainable)*4))
	fmt.Fprintln(w, strings.Repeat("_", full))
}

// wrapList joins items with ", " into lines of at most width runes (an item longer
// than width gets a line of its own).
func wrapList(items []string, width int) []string {
	var lines []string
	cur := ""
	for i, it := range items {
		piece := it
		if i < len(items)-1 {
			piece += ","
		}
		switch {
		case cur == "":
			cur = piece
		case utf8.RuneCountInString(cur)+1+utf8.RuneCountInString(piece) <= width:
			cur += " " + piece
		default:
			lines = append(lines, cur)
			cur = piece
		}
	}
	if cur != "" {
		lines = append(lines, cur)
	}
	return lines
}

// thousands prints n with comma separators, as Keras does: 61706 → "61,706".
func thousands(n int) string {
	s := strconv.Itoa(n)
	if n < 0 {
		return "-" + thousands(-n)
	}
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// bytesize prints a byte count in KiB/MiB as the float32 weights would take.
func bytesize(b int) string {
	switch {
	case b < 1024:
		return fmt.Sprintf("%d B", b)
	case b < 1024*1024:
		return fmt.Sprintf("%.2f KiB", float64(b)/1024)
	default:
		return fmt.Sprintf("%.2f MiB", float64(b)/(1024*1024))
	}
}

// writeIR prints the graph one node per line, then its outputs, loss and gradients:
//
//	%12 = Conv2D(%3, %11) strides=[1 1] pads=[2 2 2 2] : N×6×28×28   # conv1
func writeIR(w io.Writer, g *ir.Graph) {
	head := fmt.Sprintf("graph %q: %d nodes", g.Name, len(g.Nodes))
	if g.Mode != "" {
		head += ", lowered for " + g.Mode
	}
	fmt.Fprintln(w, head)
	for _, n := range g.Nodes {
		fmt.Fprintln(w, nodeLine(n))
	}
	if len(g.Outputs) > 0 || g.Loss >= 0 || len(g.Grads) > 0 {
		fmt.Fprintln(w)
	}
	for _, o := range g.Outputs {
		fmt.Fprintf(w, "output %s = %%%d\n", o.Name, o.ID)
	}
	if g.Loss >= 0 {
		fmt.Fprintf(w, "loss = %%%d\n", g.Loss)
	}
	for _, gr := range g.Grads {
		name := strconv.Itoa(gr.Of)
		if gr.Of >= 0 && gr.Of < len(g.Nodes) {
			name = g.Nodes[gr.Of].Name
		}
		fmt.Fprintf(w, "grad %s = %%%d\n", name, gr.ID)
	}
}

func nodeLine(n *ir.Node) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%%%d = %s(", n.ID, n.Op)
	for i, in := range n.Inputs {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%%%d", in)
	}
	b.WriteString(")")
	for _, a := range attrList(n) {
		b.WriteString(" " + a)
	}
	fmt.Fprintf(&b, " : %s   # %s", n.Shape, comment(n))
	return b.String()
}

// comment names the node for the reader: its layer, and its own name when that says
// more (parameters, lowered and gradient nodes).
func comment(n *ir.Node) string {
	switch {
	case n.Name == n.Layer || n.Name == "":
		return n.Layer
	case n.Layer == "" || strings.HasPrefix(n.Name, n.Layer):
		return n.Name
	default:
		return n.Layer + ": " + n.Name
	}
}

// attrList formats the attributes that are set, as name=value in the order of
// ir.Attrs. A shape attribute equal to the node's own shape (Input, Param) is left
// out: it is printed after the colon anyway.
func attrList(n *ir.Node) []string {
	var out []string
	v := reflect.ValueOf(n.Attrs)
	t := v.Type()
	for i := range t.NumField() {
		f := v.Field(i)
		if f.IsZero() {
			continue
		}
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		var val string
		switch x := f.Interface().(type) {
		case ir.Shape:
			if x.Equal(n.Shape) {
				continue
			}
			val = x.String()
		case *ir.Init:
			val = initString(x)
		case ir.DType:
			if x == ir.Float { // the default
				continue
			}
			val = string(x)
		case float64:
			val = strconv.FormatFloat(x, 'g', -1, 64)
		default:
			val = fmt.Sprint(x)
		}
		out = append(out, name+"="+val)
	}
	return out
}

func initString(in *ir.Init) string {
	var args []string
	if in.FanIn != 0 {
		args = append(args, fmt.Sprintf("fan_in=%d", in.FanIn))
	}
	if in.FanOut != 0 {
		args = append(args, fmt.Sprintf("fan_out=%d", in.FanOut))
	}
	if in.Value != 0 {
		args = append(args, "value="+strconv.FormatFloat(in.Value, 'g', -1, 64))
	}
	if len(args) == 0 {
		return in.Kind
	}
	return in.Kind + "(" + strings.Join(args, ", ") + ")"
}
