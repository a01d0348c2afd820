package train

import (
	"fmt"
	"math"
	"slices"

	"github.com/dlgen/dlgen/rt/data"
)

// maxExactID is the largest id a float32 holds exactly (2^24): token ids travel
// to the model as float32 in train's calling convention (train.Model), and the
// model's adapter turns them back into int32.
const maxExactID = 1 << 24

// numpyData turns a NumPy data set into the training and test sets of the model
// spec describes: x as the input (uint8 images scaled to [0, 1] as the MNIST files
// are, ids kept as they are for an int input), y as class labels or float targets.
func numpyData(s *data.NumPySet, spec *Spec) (train, test *data.Dataset, err error) {
	if train, err = numpySplit(s, spec, "x_train", s.XTrain, "y_train", s.YTrain); err != nil {
		return nil, nil, err
	}
	if test, err = numpySplit(s, spec, "x_test", s.XTest, "y_test", s.YTest); err != nil {
		return nil, nil, err
	}
	return train, test, nil
}

func numpySplit(s *data.NumPySet, spec *Spec, xName string, x *data.Array, yName string, y *data.Array) (*data.Dataset, error) {
	where := func(name string) string { return fmt.Sprintf("%s: %s", s.Path, name) }
	n := x.Count()
	if n < 1 {
		return nil, fmt.Errorf("%s is a %s: no items", where(xName), x)
	}
	// Items of the model's layout, or any items of its size for a flat input (an
	// MLP reads a (N, 28, 28) image array as 784 features, as Keras' Flatten would).
	flat := len(spec.InputShape) == 1 && prod(x.ItemShape()) == spec.InputSize()
	if !flat && !data.SameLayout(x.ItemShape(), spec.InputShape) {
		hint := ""
		if prod(x.ItemShape()) == spec.InputSize() && len(spec.InputShape) == 3 {
			hint = "; dlgen is channels-first (N, C, H, W): np.transpose(x, (0, 3, 1, 2)) converts channels-last images"
		}
		return nil, fmt.Errorf("%s is a %s, but model %s takes %q of shape %v per item%s", where(xName), x, spec.Name, spec.Input, spec.InputShape, hint)
	}
	d := &data.Dataset{Shape: slices.Clone(spec.InputShape)}
	switch {
	case spec.IntInput:
		ids, err := x.Int64() // whole-number floats pass, as np.float32 arrays of ids may
		if err != nil {
			return nil, fmt.Errorf("%s is a %s, but model %s's input %q takes integer ids: %v", where(xName), x, spec.Name, spec.Input, err)
		}
		d.X = make([]float32, len(ids))
		for i, v := range ids {
			if v < 0 || v >= int64(spec.IDLimit) {
				return nil, fmt.Errorf("%s: element %d (item %d) is %d, not an id of model %s's input %q, in [0, %d)", where(xName), i, i/spec.InputSize(), v, spec.Name, spec.Input, spec.IDLimit)
			}
			d.X[i] = float32(v)
		}
	case x.Uint8() != nil:
		d.X = data.ScaleBytes(x.Uint8())
	default:
		d.X = x.Float32()
		if i := firstNonFinite(d.X); i >= 0 {
			return nil, fmt.Errorf("%s: element %d (item %d) is %g", where(xName), i, i/spec.InputSize(), d.X[i])
		}
	}

	switch spec.Task {
	case Reconstruction:
		return d, nil // the target is x itself
	case Classification:
		if y == nil {
			return nil, fmt.Errorf("%s: no %s array, and classifier %s needs class labels", s.Path, yName, spec.Name)
		}
		labels, err := y.Int64()
		if err != nil {
			return nil, fmt.Errorf("%s is a %s; classifier %s needs integer class labels: %v", where(yName), y, spec.Name, err)
		}
		if y.Count() != n || !data.SameLayout(y.ItemShape(), spec.TargetShape) {
			if spec.Labels > 1 {
				return nil, fmt.Errorf("%s is a %s; classifier %s needs labels %q of shape %v for each of the %d items of %s", where(yName), y, spec.Name, spec.Target, spec.TargetShape, n, xName)
			}
			return nil, fmt.Errorf("%s is a %s; classifier %s needs one class label per item of %s, shape (%d,)", where(yName), y, spec.Name, xName, n)
		}
		per := max(1, spec.Labels)
		d.Y, d.LabelSize = make([]int32, len(labels)), per
		for i, v := range labels {
			if (v < 0 || v >= int64(spec.Classes)) && !(spec.Ignores && v == int64(spec.Ignore)) {
				at := ""
				if per > 1 {
					at = fmt.Sprintf(" at position %d", i%per)
				}
				return nil, fmt.Errorf("%s: item %d has label %d%s, outside model %s's %d classes%s", where(yName), i/per, v, at, spec.Name, spec.Classes, spec.notIgnore())
			}
			d.Y[i] = int32(v)
		}
	case Regression:
		if y == nil {
			return nil, fmt.Errorf("%s: no %s array, and model %s needs float targets %q", s.Path, yName, spec.Name, spec.Target)
		}
		if y.Count() != n || !data.SameLayout(y.ItemShape(), spec.TargetShape) {
			return nil, fmt.Errorf("%s is a %s; model %s needs a target %q of shape %v for each of the %d items of %s", where(yName), y, spec.Name, spec.Target, spec.TargetShape, n, xName)
		}
		d.T, d.TargetSize = y.Float32(), spec.TargetSize()
		if i := firstNonFinite(d.T); i >= 0 {
			return nil, fmt.Errorf("%s: element %d (item %d) is %g", where(yName), i, i/spec.TargetSize(), d.T[i])
		}
	}
	return d, nil
}

// firstNonFinite returns the index of the first NaN or infinity in v, or -1.
func firstNonFinite(v []float32) int {
	for i, x := range v {
		if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
			return i
		}
	}
	return -1
}
