//go:build !nodlgen_w4

package dlgenbench

import (
	"dlgenbench/wl"
	"github.com/dlgen/dlgen/generated/convdae"
	"github.com/dlgen/dlgen/rt"
)

// W4 is generated/convdae (models.ConvDAE).
func init() {
	factories["W4"] = setup("W4",
		func() model[float32] { return convdae.New() },
		func(m model[float32], o rt.Optimizer) { m.(*convdae.Model).Optimizer = o },
		func(d wl.Data) []float32 { return d.Target }, 784)
}
