package codegen

import (
	"fmt"
	"path"
	"slices"
	"strings"
	"text/template"

	"github.com/dlgen/dlgen/ir"
)

// trainPath is the package of the generic training application the command runs.
const trainPath = "github.com/dlgen/dlgen/train"

// emitAppFiles writes the files beyond the model's own code: weights.go for every
// package (and weights_test.go with Options.Tests); app.go, the methods that let package train drive the model, whenever the
// model fits train's convention (see appShape); and with Options.Cmd the command
// cmd/<package>/main.go, which then requires that convention.
func (m *model) emitAppFiles(predict, loss, train *program) ([]File, error) {
	w, err := m.emitWeights()
	if err != nil {
		return nil, err
	}
	files := []File{w}
	if m.opts.Tests {
		wt, err := m.emitWeightsTest()
		if err != nil {
			return nil, err
		}
		files = append(files, wt)
	}
	shape, why := m.appShape(predict, loss, train)
	if shape == nil {
		if m.opts.Cmd {
			return nil, fmt.Errorf("codegen: model %q cannot have a command: %s", m.g.Name, why)
		}
		return files, nil
	}
	app, err := renderTemplate("app.go", appTemplate, shape)
	if err != nil {
		return nil, err
	}
	files = append(files, app)
	if m.opts.Cmd {
		if m.opts.ImportPath == "" {
			return nil, fmt.Errorf("codegen: Options.Cmd needs Options.ImportPath, the import path of package %s", m.opts.Package)
		}
		alias := ""
		if m.opts.Package == "main" || m.opts.Package == "os" || m.opts.Package == "train" ||
			path.Base(m.opts.ImportPath) != m.opts.Package {
			alias = "model"
		}
		name := path.Join("cmd", m.opts.Package, "main.go")
		main, err := renderTemplate(name, mainTemplate, map[string]string{
			"Header": Header, "Package": m.opts.Package, "Model": m.g.Name,
			"ImportPath": m.opts.ImportPath, "Alias": alias, "Train": trainPath,
			"Ref": map[bool]string{true: alias, false: m.opts.Package}[alias != ""],
		})
		if err != nil {
			return nil, err
		}
		files = append(files, main)
	}
	return files, nil
}

// appData is what app.go needs to know: the one data input, the one target and the
// one output, and the arguments of each method in train's names (x, labels,
// target, y).
type appData struct {
	Header, Package, Model string
	Input, Output, Target  *arg
	Labels                 bool // the target is class labels, else a float tensor
	Classes                int
	Positions              string // per-position labels: their shape per item ("20"), else ""
	Ignore                 int    // with Ignoring, the label Loss and TrainStep also accept and leave out
	Ignoring               bool   // the labels have an ignore index (nn.IgnoreIndex)
	IDs                    int    // the int ids per item of an int input (0: a float input)
	PredictArgs            string
	LossArgs, TrainArgs    string
}

// appShape returns app.go's data if the model fits package train's convention:
// Predict, Loss and TrainStep exist; Predict takes one input of role data (floats,
// or int ids, which train passes as whole float32 values) and returns one float
// output; Loss and TrainStep take that input and one target (int class labels or a
// float tensor) and nothing else. Otherwise it says why not.
func (m *model) appShape(predict, loss, train *program) (*appData, string) {
	if predict == nil || loss == nil || train == nil {
		return nil, "it needs Predict, Loss and TrainStep (generate with training, and give the model an output and a loss)"
	}
	if len(predict.inputs) != 1 || len(predict.outs) != 1 {
		return nil, fmt.Sprintf("Predict must take one input and return one output; it takes %d and returns %d", len(predict.inputs), len(predict.outs))
	}
	d := &appData{Header: Header, Package: m.opts.Package, Model: m.g.Name, Input: predict.inputs[0], Output: predict.outs[0]}
	if d.Input.dtype == ir.Int {
		d.IDs = d.Input.shape.Inner().Elems()
	}
	names := func(p *program) (string, string) {
		args := []string{"n"}
		for _, a := range p.inputs {
			switch {
			case a == d.Input && d.IDs > 0:
				args = append(args, "ids")
			case a == d.Input:
				args = append(args, "x")
			case d.Target == nil || a == d.Target:
				d.Target = a
				if a.dtype == ir.Int {
					args = append(args, "labels")
				} else {
					args = append(args, "target")
				}
			default:
				return "", fmt.Sprintf("%s takes the inputs %q and %q besides %q; train supports one data input and one target", p.method, d.Target.name, a.name, d.Input.name)
			}
		}
		return strings.Join(args, ", "), ""
	}
	var why string
	if d.LossArgs, why = names(loss); why != "" {
		return nil, why
	}
	if d.TrainArgs, why = names(train); why != "" {
		return nil, why
	}
	if d.Target == nil {
		return nil, "Loss takes no target input"
	}
	d.Labels = d.Target.dtype == ir.Int
	if d.Labels {
		// The ignore index that Loss's entry check lets through (every sparse loss
		// reading the labels has the same one) is the one train may pass.
		d.Ignore, d.Ignoring = d.Target.ignore, d.Target.ignoring
		// One label per item, or one per position with the classes on the output's
		// last axis (a tagger's per step).
		d.Classes = d.Output.shape.Elems()
		if d.Target.shape.Rank() > 1 {
			o := d.Output.shape
			if o.Rank() != d.Target.shape.Rank()+1 || !slices.Equal(o[:o.Rank()-1], d.Target.shape) {
				return nil, fmt.Sprintf("its labels %q are %s per item, and its output %q (%s) is not a score per class at each of those positions", d.Target.name, d.Target.shape.Inner(), d.Output.name, o.Inner())
			}
			d.Classes = o[o.Rank()-1]
			d.Positions = d.Target.shape.Inner().String()
		}
	}
	d.PredictArgs = "n, x, y"
	if d.IDs > 0 {
		d.PredictArgs = "n, ids, y"
	}
	return d, ""
}

// name and shape print an argument's IR name and per-item shape ("1×28×28")
// in the templates.
var appFuncs = template.FuncMap{
	"name":  func(a *arg) string { return fmt.Sprintf("%q", a.name) },
	"shape": func(a *arg) string { return a.shape.Inner().String() },
}

var appTemplate = template.Must(template.New("app.go").Funcs(appFuncs).Parse(`// {{.Header}}

package {{.Package}}

import (
{{- if .IDs}}
	"fmt"
{{end}}
	"github.com/dlgen/dlgen/rt"
)

// The methods in this file present the model in the calling convention of dlgen's
// train package (train.Model), which the generated command runs:
//
//   - x, the data input: {{name .Input}}, {{shape .Input}} per item{{if .IDs}}: int ids, which
//     train passes as whole float32 values and idsFromFloats converts{{end}}
//   - y, the output: {{name .Output}}, {{shape .Output}} per item
//   - the training target: {{if .Labels}}class labels {{name .Target}} ({{.Classes}} classes){{if .Positions}}, {{.Positions}} per item{{end}}{{if .Ignoring}}, or the
//     ignore index {{.Ignore}}, which counts in neither the loss nor the accuracy{{end}}{{else}}{{name .Target}}, {{shape .Target}} per item{{end}}

// GraphJSON returns the model's IR, as the package's GraphJSON does; package train
// reads the inputs, target and output from it.
func (m *Model) GraphJSON() string { return graphJSON }

// MaxBatchSize returns MaxBatch.
func (m *Model) MaxBatchSize() int { return MaxBatch }

{{if .Ignoring -}}
// IgnoreIndex returns {{.Ignore}}, the label that Loss and TrainStep accept besides the
// classes and leave out of the loss (nn.IgnoreIndex), and true.
func (m *Model) IgnoreIndex() (int, bool) { return {{.Ignore}}, true }
{{- else -}}
// IgnoreIndex returns false: the model's loss leaves no label value out (it has no
// nn.IgnoreIndex).
func (m *Model) IgnoreIndex() (int, bool) { return 0, false }
{{- end}}

// SetOptimizer sets the optimizer TrainStep applies, as assigning m.Optimizer does.
func (m *Model) SetOptimizer(o rt.Optimizer) { m.Optimizer = o }

// SetClip sets ClipValue and ClipNorm, the gradient clipping TrainStep applies
// before the update (0 for none).
func (m *Model) SetClip(value float32, norm float64) { m.ClipValue, m.ClipNorm = value, norm }

// SetMonitor sets m.Monitor: TrainStep then records every weight's gradient norm.
func (m *Model) SetMonitor(on bool) { m.Monitor = on }

// GradientNorms returns the last TrainStep's gradient norms before clipping: the
// global one (m.GradNorm) and, with m.Monitor, every weight's (m.GradNorms()).
func (m *Model) GradientNorms() (float64, []float64) { return m.GradNorm, m.GradNorms() }

// Steps returns m.Step, the number of training steps taken.
func (m *Model) Steps() uint64 { return m.Step }

// SetSteps sets m.Step, as resuming from a checkpoint does.
func (m *Model) SetSteps(step uint64) { m.Step = step }

// PredictBatch is Predict: y is {{name .Output}} of the n items of x.
func (m *Model) PredictBatch(n int, x, y []float32) error {
{{- if .IDs}}
	ids, err := m.idsFromFloats(n, x)
	if err != nil {
		return err
	}
{{- end}}
	return m.Predict({{.PredictArgs}})
}

// LossBatch is Loss. It reads {{if .Labels}}labels; target{{else}}target; labels{{end}} is unused.
func (m *Model) LossBatch(n int, x []float32, labels []int32, target []float32) (float32, error) {
{{- if .IDs}}
	ids, err := m.idsFromFloats(n, x)
	if err != nil {
		return 0, err
	}
{{- end}}
	return m.Loss({{.LossArgs}})
}

// TrainBatch is TrainStep. It reads {{if .Labels}}labels; target{{else}}target; labels{{end}} is unused.
func (m *Model) TrainBatch(n int, x []float32, labels []int32, target []float32) (float32, error) {
{{- if .IDs}}
	ids, err := m.idsFromFloats(n, x)
	if err != nil {
		return 0, err
	}
{{- end}}
	return m.TrainStep({{.TrainArgs}})
}
{{- if .IDs}}

// idsFromFloats converts the ids of the first n items of x, which train passes as
// whole float32 values, into m.appIDs, without allocating. A value that is not a
// whole number is an error naming its item and position; the methods it feeds check
// that each id is in range.
func (m *Model) idsFromFloats(n int, x []float32) ([]int32, error) {
	k := min(len(x), max(n, 0)*{{.IDs}}, len(m.appIDs))
	for i, v := range x[:k] {
		id := int32(v)
		if float32(id) != v {
			return nil, fmt.Errorf("%s[%d] = %g is not an id (item %d, position %d of %d)", {{name .Input}}, i, v, i/{{.IDs}}, i%{{.IDs}}, {{.IDs}})
		}
		m.appIDs[i] = id
	}
	return m.appIDs[:k], nil
}
{{- end}}
`))

var mainTemplate = template.Must(template.New("main.go").Parse(`// {{.Header}}

// Command {{.Package}} trains, evaluates, runs and benchmarks model {{printf "%q" .Model}}
// (package {{.ImportPath}}) with dlgen's train package:
//
//	{{.Package}} train -epochs 5 -weights {{.Package}}.safetensors -curves loss.png
//	{{.Package}} eval -weights {{.Package}}.safetensors
//	{{.Package}} predict -weights {{.Package}}.safetensors
//	{{.Package}} bench
//
// "{{.Package}} help" lists the flags of each.
package main

import (
	"os"

	{{.Alias}} "{{.ImportPath}}"
	"{{.Train}}"
)

func main() {
	os.Exit(train.Main({{printf "%q" .Package}}, func() train.Model { return {{.Ref}}.New() }, os.Args[1:]))
}
`))
