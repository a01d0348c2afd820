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
	for i, v := range x {
		// v-v is 0 for every finite v and NaN for ±Inf and NaN.
		if v-v != 0 {
			return &ArgError{method, arg, fmt.Sprintf("holds the non-finite value %g at element %d", v, i)}
		}
	}
	return nil
}

// CheckLabels checks that every class index in x is in [0, classes).
func CheckLabels(method, arg string, x []int32, classes int) error {
	for i, v := range x {
		if v < 0 || int(v) >= classes {
			return &ArgError{method, arg, fmt.Sprintf("[%d] = %d is not a class index in [0, %d)", i, v, classes)}
		}
	}
	return nil
}
