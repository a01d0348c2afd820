package rt

import "fmt"

// Argument checks for generated methods. Each returns nil on the success path without
// allocating; only a failing check builds its error.

// ArgError reports a bad argument to a generated method. Callers can tell it from
// other errors with errors.As.
type ArgError struct {
	Method string // "mlp.Predict"
	Arg    string // the argument's name, "n" for the batch size
	Msg    string
}

func (e *ArgError) Error() string {
	sep := " "
	if len(e.Msg) > 0 && e.Msg[0] == '[' { // an element: "label[3] = 12 is ..."
		sep = ""
	}
	return e.Method + ": " + e.Arg + sep + e.Msg
}

// CheckBatch checks that the batch size n is in [1, max].
func CheckBatch(method string, n, max int) error {
	if n >= 1 && n <= max {
		return nil
	}
	return &ArgError{method, "n", fmt.Sprintf("= %d is outside [1, %d] (MaxBatch is fixed when the model is generated)", n, max)}
}

// CheckLen checks that an argument holds want values: n items of per values each for a
// batched argument (per > 0 and batched), else exactly per values.
func CheckLen(method, arg string, got, n, per int, batched bool) error {
	want := per
	if batched {
		want = n * per
	}
	if got == want {
		return nil
	}
	if batched {
		return &ArgError{method, arg, fmt.Sprintf("has %d values, want n×%d = %d for n = %d", got, per, want, n)}
	}
	return &ArgError{method, arg, fmt.Sprintf("has %d values, want %d", got, want)}
}

// CheckFinite checks that x holds no NaN or infinity.
func CheckFinite(method, arg string, x []float32) error {
	if allFinite(x) {
		return nil
	}
	for i, v := range x {
		if v-v != 0 { // 0 for every finite v, NaN for ±Inf and NaN
			return &ArgError{method, arg, fmt.Sprintf("holds the non-finite value %g at element %d", v, i)}
		}
	}
	return nil
}

// allFiniteGo sums v·0 over x, which is 0 unless some v is NaN or infinite (then the
// sum is NaN). Four independent accumulators, without a branch per element, run
// about 2.5 times as fast as testing each element, which matters for a check that
// every Predict makes on its whole input. allFinite runs it with AVX-512 when the
// CPU has it (vec_amd64.s).
func allFiniteGo(x []float32) bool {
	var a0, a1, a2, a3 float32
	for len(x) >= 8 {
		c := (*[8]float32)(x)
		a0 += c[0]*0 + c[4]*0
		a1 += c[1]*0 + c[5]*0
		a2 += c[2]*0 + c[6]*0
		a3 += c[3]*0 + c[7]*0
		x = x[8:]
	}
	for _, v := range x {
		a0 += v * 0
	}
	return (a0+a1)+(a2+a3) == 0
}

// CheckLabels checks that every class index in x is in [0, classes).
func CheckLabels(method, arg string, x []int32, classes int) error {
	return CheckStepLabels(method, arg, x, 1, classes)
}

// CheckStepLabels is CheckLabels for per labels per item (a class for every step of
// a sequence, say): when per > 1 the error also names the item and the position
// within it, "tags[14] = 4 is not a class index in [0, 4) (item 2, position 4 of 5)".
func CheckStepLabels(method, arg string, x []int32, per, classes int) error {
	return checkRange(method, arg, x, per, classes, "a class index")
}

// CheckLabelsIgnoring is CheckStepLabels for labels read by a loss with an ignore
// index (PyTorch's ignore_index): ignore is accepted besides [0, classes), "tags[3]
// = -1 is not a class index in [0, 4) or the ignore index -100 (item 0, position 3
// of 5)".
func CheckLabelsIgnoring(method, arg string, x []int32, per, classes int, ignore int32) error {
	for i, v := range x {
		if v != ignore && (v < 0 || int(v) >= classes) {
			msg := fmt.Sprintf("[%d] = %d is not a class index in [0, %d) or the ignore index %d", i, v, classes, ignore)
			if per > 1 {
				msg += fmt.Sprintf(" (item %d, position %d of %d)", i/per, i%per, per)
			}
			return &ArgError{method, arg, msg}
		}
	}
	return nil
}

// CheckIndices checks that every id in x, per ids per item, selects one of the rows
// of an embedding: "tokens[14] = 50 is not an embedding index in [0, 50) (item 1,
// position 2 of 12)" (the item and position when per > 1).
func CheckIndices(method, arg string, x []int32, per, rows int) error {
	return checkRange(method, arg, x, per, rows, "an embedding index")
}

func checkRange(method, arg string, x []int32, per, limit int, what string) error {
	for i, v := range x {
		if v < 0 || int(v) >= limit {
			msg := fmt.Sprintf("[%d] = %d is not %s in [0, %d)", i, v, what, limit)
			if per > 1 {
				msg += fmt.Sprintf(" (item %d, position %d of %d)", i/per, i%per, per)
			}
			return &ArgError{method, arg, msg}
		}
	}
	return nil
}
