package safetensors

import (
	"fmt"
	"slices"
	"sort"
	"strings"
)

// ProblemKind classifies one mismatch between a file and the destination tensors.
type ProblemKind int

// The kinds of mismatch Load reports.
const (
	Missing    ProblemKind = iota // a destination tensor is not in the file
	Unexpected                    // a file tensor has no destination
	WrongShape                    // the shapes differ
	WrongDType                    // the file's type cannot be read as float32
	Duplicate                     // two destinations share a name
	BadDest                       // a destination's Data does not match its Shape
)

var kindNames = [...]string{"missing", "unexpected", "wrong shape", "wrong dtype", "duplicate", "bad destination"}

func (k ProblemKind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("ProblemKind(%d)", int(k))
}

// Problem is one mismatch, named by tensor.
type Problem struct {
	Name   string
	Kind   ProblemKind
	Detail string
}

func (p Problem) String() string { return fmt.Sprintf("%q: %s", p.Name, p.Detail) }

// MismatchError lists every way the file's tensors differ from the destinations, so
// one failed load tells the whole story.
type MismatchError struct {
	File     string
	Problems []Problem
}

func (e *MismatchError) Error() string {
	parts := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		parts[i] = p.String()
	}
	noun := "mismatches"
	if len(parts) == 1 {
		noun = "mismatch"
	}
	return fmt.Sprintf("safetensors %s: %d %s with the model: %s", e.File, len(parts), noun, strings.Join(parts, "; "))
}

// LoadOptions relaxes Load's strictness. The zero value is strict, like PyTorch's
// load_state_dict(strict=True).
type LoadOptions struct {
	// AllowUnexpected ignores file tensors that no destination names (for example
	// optimizer state when loading only the weights of a checkpoint).
	AllowUnexpected bool
	// AllowMissing leaves destinations that the file lacks untouched.
	AllowMissing bool
}

// batchCount reports whether t is the num_batches_tracked counter PyTorch's
// state_dict keeps beside a batch norm's running statistics ("<bn>.num_batches_tracked",
// an integer scalar) of a batch norm whose "<bn>.running_mean" is wanted. A strict
// Load skips it instead of calling it unexpected: its only use in PyTorch is the
// cumulative average of momentum=None, which dlgen's batch norm (a fixed momentum)
// does not have, so a state dict saved as PyTorch writes it loads unchanged.
func batchCount(t Info, want map[string]bool) bool {
	bn, ok := strings.CutSuffix(t.Name, ".num_batches_tracked")
	if !ok || t.DType.IsFloat() || t.DType == BOOL {
		return false
	}
	return t.NumElems() == 1 && want[bn+".running_mean"]
}

// Load reads the named tensors of the file into dst. Before reading anything it
// checks names (missing, unexpected, duplicate), shapes and dtypes, and reports every
// mismatch in one *MismatchError. Float types are converted to float32 (see
// DType.IsFloat). If reading fails midway (an I/O error) some destinations may
// already hold new values.
func (r *Reader) Load(dst []Tensor, opts LoadOptions) error {
	var probs []Problem
	want := map[string]bool{}
	for _, d := range dst {
		if want[d.Name] {
			probs = append(probs, Problem{d.Name, Duplicate, "two destination tensors have this name"})
			continue
		}
		want[d.Name] = true
		n := 1
		for _, s := range d.Shape {
			n *= s
		}
		if n != len(d.Data) || slices.ContainsFunc(d.Shape, func(s int) bool { return s < 0 }) {
			probs = append(probs, Problem{d.Name, BadDest, fmt.Sprintf("destination has shape %s but %d values", shapeString(d.Shape), len(d.Data))})
			continue
		}
		t, ok := r.Info(d.Name)
		if !ok {
			if !opts.AllowMissing {
				probs = append(probs, Problem{d.Name, Missing, "missing from the file"})
			}
			continue
		}
		if !slices.Equal(t.Shape, d.Shape) {
			probs = append(probs, Problem{d.Name, WrongShape, fmt.Sprintf("shape %s in the file, %s in the model", shapeString(t.Shape), shapeString(d.Shape))})
		}
		if !t.DType.IsFloat() {
			probs = append(probs, Problem{d.Name, WrongDType, fmt.Sprintf("dtype %s in the file cannot be read as F32", t.DType)})
		}
	}
	if !opts.AllowUnexpected {
		var extra []string
		for _, t := range r.tensors {
			if !want[t.Name] && !batchCount(t, want) {
				extra = append(extra, t.Name)
			}
		}
		sort.Strings(extra)
		for _, name := range extra {
			t, _ := r.Info(name)
			probs = append(probs, Problem{name, Unexpected, fmt.Sprintf("in the file (%s %s) but not in the model", t.DType, shapeString(t.Shape))})
		}
	}
	if len(probs) > 0 {
		return &MismatchError{File: r.name, Problems: probs}
	}
	for _, d := range dst {
		t, ok := r.Info(d.Name)
		if !ok {
			continue
		}
		if err := r.readInto(t, d.Data); err != nil {
			return err
		}
	}
	return nil
}

// Load opens the file at path, loads it strictly into dst (see Reader.Load) and
// returns its metadata.
func Load(path string, dst []Tensor) (map[string]string, error) {
	return LoadWith(path, dst, LoadOptions{})
}

// LoadWith is Load with options.
func LoadWith(path string, dst []Tensor, opts LoadOptions) (map[string]string, error) {
	r, err := Open(path)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	if err := r.Load(dst, opts); err != nil {
		return nil, err
	}
	return r.Metadata(), nil
}
