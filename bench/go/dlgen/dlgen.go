// Package dlgenbench runs dlgen's generated packages (generated/mlp, lenet, lstm,
// convdae of this repository) on the benchmark workloads, with the seeded weights of
// bench/go/wl loaded through Params(), so that they compute what every peer computes.
//
// Each workload's package is wired in by its own file (w1.go … w4.go) behind a build
// tag, so that bench/run.sh can leave out a package that does not exist yet
// (-tags nodlgen_w2) and report that workload as n/a instead of failing the build.
package dlgenbench

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"dlgenbench/wl"
	"github.com/dlgen/dlgen/rt"
)

// model is what bench needs of a generated package; T is the training target's element
// type (class labels for W1–W3, the clean image for W4).
type model[T any] interface {
	Predict(n int, x, out []float32) error
	TrainStep(n int, x []float32, target []T) (float32, error)
	Params() []rt.Tensor
}

// factories holds, per workload, a constructor of its generated model as a wl.Setup.
var factories = map[string]wl.Setup{}

// setup builds a wl.Setup from a generated package's constructor.
func setup[T any](w string, newModel func() model[T], optimizer func(model[T], rt.Optimizer), target func(wl.Data) []T, outPer int) wl.Setup {
	return func(_ string, train bool, n int) (wl.Prepared, error) {
		m := newModel()
		if err := load(m.Params(), wl.TorchWeights(w)); err != nil {
			return wl.Prepared{}, fmt.Errorf("%s: %w", w, err)
		}
		optimizer(m, rt.SGD{LR: wl.LR})
		d := wl.MakeData(w)
		x := d.X[:n*wl.Sample(w)]
		if train {
			y := target(d)
			return wl.Prepared{Step: func() (float32, error) { return m.TrainStep(n, x, y) }}, nil
		}
		out := make([]float32, n*outPer)
		return wl.Prepared{
			Step: func() (float32, error) { return 0, m.Predict(n, x, out) },
			Out:  func() []float32 { return out },
		}, nil
	}
}

// load copies the seeded PyTorch-layout weights into the model's parameters, which
// dlgen keeps in PyTorch's layout and order.
func load(params []rt.Tensor, ws []wl.Tensor) error {
	if len(params) != len(ws) {
		return fmt.Errorf("model has %d parameters, the workload %d", len(params), len(ws))
	}
	for i, p := range params {
		if fmt.Sprint(p.Shape) != fmt.Sprint(ws[i].Shape) {
			return fmt.Errorf("parameter %d (%s) has shape %v, the workload's is %v", i, p.Name, p.Shape, ws[i].Shape)
		}
		copy(p.Data, ws[i].Data)
	}
	return nil
}

// Setup is this engine's wl.Setup.
func Setup(w string, train bool, n int) (wl.Prepared, error) {
	f, ok := factories[w]
	if !ok {
		// bench/run.sh says why it left the package out: "W2=reason;W3=reason;".
		for _, kv := range strings.Split(os.Getenv("DLGEN_BENCH_MISSING"), ";") {
			if why, ok := strings.CutPrefix(kv, w+"="); ok {
				return wl.Prepared{}, errors.New(why)
			}
		}
		return wl.Prepared{}, fmt.Errorf("%s's generated package is left out of this build (-tags nodlgen_%s)", w, strings.ToLower(w))
	}
	return f(w, train, n)
}
