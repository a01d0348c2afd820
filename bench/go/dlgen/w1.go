//go:build !nodlgen_w1

package dlgenbench

import (
	"dlgenbench/wl"
	"github.com/dlgen/dlgen/generated/mlp"
	"github.com/dlgen/dlgen/rt"
)

// W1 is generated/mlp (models.MLP).
func init() {
	factories["W1"] = setup("W1",
		func() model[int32] { return mlp.New() },
		func(m model[int32], o rt.Optimizer) { m.(*mlp.Model).Optimizer = o },
		func(d wl.Data) []int32 { return d.Labels }, 10)
}
