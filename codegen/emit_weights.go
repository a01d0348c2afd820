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

// emitWeightsTest writes weights_test.go (with Options.Tests): a SaveWeights and
// LoadWeights round trip, and LoadWeights refusing truncated, corrupted and
// mismatched files with an error that names the file and the tensor while the
// model keeps its weights.
func (m *model) emitWeightsTest() (File, error) {
	return renderTemplate("weights_test.go", weightsTestTemplate, struct {
		Header, Package string
	}{Header, m.opts.Package})
}

var weightsTestTemplate = template.Must(template.New("weights_test.go").Parse(`// {{.Header}}

package {{.Package}}

import (
	"encoding/binary"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dlgen/dlgen/rt"
	"github.com/dlgen/dlgen/rt/safetensors"
)

// snapshot copies every parameter's values.
func snapshot(m *Model) [][]float32 {
	var out [][]float32
	for _, p := range m.Params() {
		out = append(out, append([]float32(nil), p.Data...))
	}
	return out
}

// sameBits reports whether the parameters hold exactly the values of snap.
func sameBits(m *Model, snap [][]float32) bool {
	for i, p := range m.Params() {
		for j, v := range p.Data {
			if math.Float32bits(v) != math.Float32bits(snap[i][j]) {
				return false
			}
		}
	}
	return true
}

// TestSaveWeightsThenLoadWeightsRestoresEveryBit saves seeded weights and loads them
// into a model initialised from another seed.
func TestSaveWeightsThenLoadWeightsRestoresEveryBit(t *testing.T) {
	path := filepath.Join(t.TempDir(), "w.safetensors")
	a := New()
	if err := a.Init(7); err != nil {
		t.Fatal(err)
	}
	if err := a.SaveWeights(path); err != nil {
		t.Fatal(err)
	}
	r, err := safetensors.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := r.Metadata()["format"]; got != "pt" {
		t.Errorf("metadata format = %q, want \"pt\"", got)
	}
	r.Close()
	b := New()
	before := snapshot(b)
	if err := b.LoadWeights(path); err != nil {
		t.Fatal(err)
	}
	if len(before) > 0 && sameBits(b, before) && !sameBits(a, before) {
		t.Fatal("LoadWeights changed nothing")
	}
	if !sameBits(b, snapshot(a)) {
		t.Error("the loaded weights differ from the saved ones")
	}
}

// TestLoadWeightsRefusesBadFilesAndKeepsTheWeights damages a saved file in several
// ways; each load must fail with an error naming the file (and the tensor, where
// there is one) and leave the model's weights as they were.
func TestLoadWeightsRefusesBadFilesAndKeepsTheWeights(t *testing.T) {
	params := New().Params()
	if len(params) == 0 {
		t.Skip("the model has no parameters")
	}
	dir := t.TempDir()
	good := filepath.Join(dir, "good.safetensors")
	if err := New().SaveWeights(good); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	hdrEnd := 8 + int(binary.LittleEndian.Uint64(data))
	// Tensors are stored sorted by name; the last one's data ends the file.
	last, first := params[0], params[0]
	for _, p := range params {
		if p.Name > last.Name {
			last = p
		}
		if p.Name < first.Name {
			first = p
		}
	}
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	nan := append([]byte(nil), data...)
	binary.LittleEndian.PutUint32(nan[hdrEnd:], math.Float32bits(float32(math.NaN())))
	badHeader := append([]byte(nil), data...)
	badHeader[8] = '['
	missing := filepath.Join(dir, "missing.safetensors")
	if err := safetensors.Save(missing, params[1:], nil); err != nil {
		t.Fatal(err)
	}
	reshaped := append([]rt.Tensor(nil), params...)
	reshaped[0] = rt.Tensor{Name: params[0].Name, Shape: []int{len(params[0].Data)}, Data: params[0].Data}
	if len(params[0].Shape) == 1 {
		reshaped[0].Shape = []int{1, len(params[0].Data)}
	}
	wrongShape := filepath.Join(dir, "shape.safetensors")
	if err := safetensors.Save(wrongShape, reshaped, nil); err != nil {
		t.Fatal(err)
	}
	extra := filepath.Join(dir, "extra.safetensors")
	if err := safetensors.Save(extra, append(append([]rt.Tensor(nil), params...), rt.Tensor{Name: "stray.weight", Shape: []int{2}, Data: []float32{1, 2}}), nil); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, path string
		want       []string // substrings of the error
	}{
		{"a file cut inside the last tensor", write("cut.safetensors", data[:len(data)-2]), []string{"truncated", last.Name}},
		{"a file cut inside the header", write("cuthdr.safetensors", data[:hdrEnd-3]), []string{"truncated"}},
		{"a NaN in the data", write("nan.safetensors", nan), []string{"non-finite", first.Name}},
		{"a corrupted header", write("hdr.safetensors", badHeader), []string{"header"}},
		{"a missing tensor", missing, []string{"missing", params[0].Name}},
		{"a tensor of the wrong shape", wrongShape, []string{"shape", params[0].Name}},
		{"a tensor the model lacks", extra, []string{"stray.weight"}},
		{"no file at all", filepath.Join(dir, "absent.safetensors"), nil},
	}
	for _, c := range cases {
		t.Run("it refuses "+c.name, func(t *testing.T) {
			m := New()
			if err := m.Init(3); err != nil {
				t.Fatal(err)
			}
			before := snapshot(m)
			err := m.LoadWeights(c.path)
			if err == nil {
				t.Fatal("LoadWeights succeeded")
			}
			t.Log(err)
			for _, w := range append([]string{filepath.Base(c.path)}, c.want...) {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
			if !sameBits(m, before) {
				t.Error("the failed load changed the weights")
			}
		})
	}
}
`))
