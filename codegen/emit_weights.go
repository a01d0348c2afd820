package codegen

import (
	"bytes"
	"fmt"
	"go/format"
	"text/template"
)

// The files of this one and emit_cmd.go are fixed text around a few names, so they
// are written with text/template (and gofmt'd) rather than built node by node.

// renderTemplate executes t with data and gofmts the result into a File.
func renderTemplate(name string, t *template.Template, data any) (File, error) {
	var buf bytes.Buffer
	if err := t.Execute(&buf, data); err != nil {
		return File{}, fmt.Errorf("codegen: writing %s: %w", name, err)
	}
	src, err := format.Source(buf.Bytes())
	if err != nil {
		return File{}, fmt.Errorf("codegen: formatting %s: %w\n%s", name, err, buf.Bytes())
	}
	return File{Name: name, Data: src}, nil
}

// emitWeights writes weights.go: LoadWeights and SaveWeights, which every generated
// package has (inference-only ones too). The weight file is safetensors with the
// parameters under their graph names, which are PyTorch's state-dict names
// ("conv1.weight", "bn.running_mean"), so a file moves between dlgen and PyTorch
// without renaming.
func (m *model) emitWeights() (File, error) {
	return renderTemplate("weights.go", weightsTemplate, struct {
		Header, Package, Model string
	}{Header, m.opts.Package, m.g.Name})
}

var weightsTemplate = template.Must(template.New("weights.go").Parse(`// {{.Header}}

package {{.Package}}

import (
	"fmt"
	"strings"

	"github.com/dlgen/dlgen/rt"
	"github.com/dlgen/dlgen/rt/safetensors"
)

// SaveWeights writes every parameter (Params: the weights and state such as batch-norm
// running statistics) to the safetensors file at path, as float32 under the
// parameters' names with the metadata {"format": "pt"}, which PyTorch's
// safetensors.torch.load_file reads as a state dict. The file is written atomically:
// a crash leaves the old file or the new one, never part of one.
func (m *Model) SaveWeights(path string) error {
	if err := safetensors.Save(path, m.Params(), map[string]string{"format": "pt"}); err != nil {
		return fmt.Errorf("{{.Package}}.SaveWeights: %w", err)
	}
	return nil
}

// LoadWeights sets every parameter from the safetensors file at path, by name, as
// SaveWeights (or PyTorch's safetensors.torch.save_file of a state dict) writes it:
// every parameter must be there with its shape, as F32, F64, F16 or BF16, and the
// file may hold nothing else, except that the optimizer state in a dlgen training
// checkpoint is skipped. A missing, unexpected or misshapen tensor, a truncated or
// malformed file and a non-finite value are errors naming the file and the tensor.
// The model changes only when the whole file has loaded.
func (m *Model) LoadWeights(path string) error {
	const method = "{{.Package}}.LoadWeights"
	r, err := safetensors.Open(path)
	if err != nil {
		return fmt.Errorf("%s: %w", method, err)
	}
	defer r.Close()
	params := m.Params()
	var opts safetensors.LoadOptions
	if r.Metadata()[safetensors.MetaKind] == safetensors.CheckpointKind {
		// A checkpoint's optimizer state ("optim.<param>.<slot>") is not part of the
		// model; anything else unknown still is an error.
		opts.AllowUnexpected = true
		known := map[string]bool{}
		for _, p := range params {
			known[p.Name] = true
		}
		for _, t := range r.Tensors() {
			if !known[t.Name] && !strings.HasPrefix(t.Name, safetensors.OptimPrefix) {
				return fmt.Errorf("%s: checkpoint %s: tensor %q (%s %v) is not a parameter of model %q", method, path, t.Name, t.DType, t.Shape, {{printf "%q" .Model}})
			}
		}
	}
	// Read into new buffers, so that a bad file leaves the model as it was.
	loaded := make([]rt.Tensor, len(params))
	values := make([][]float32, len(params))
	for i, p := range params {
		values[i] = make([]float32, len(p.Data))
		loaded[i] = rt.Tensor{Name: p.Name, Shape: p.Shape, Data: values[i]}
	}
	if err := r.Load(loaded, opts); err != nil {
		return fmt.Errorf("%s: %w", method, err)
	}
	if k, i, bad := rt.FirstNonFinite(values); bad {
		return fmt.Errorf("%s: %s: tensor %q holds the non-finite value %g at element %d (a corrupted file?)", method, path, loaded[k].Name, values[k][i], i)
	}
	for i, p := range params {
		copy(p.Data, values[i])
	}
	return nil
}
`))
