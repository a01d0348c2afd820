//go:build !nodlgen_w2

package dlgenbench

import (
	"dlgenbench/wl"
	"github.com/dlgen/dlgen/generated/lenet"
	"github.com/dlgen/dlgen/rt"
)

// W2 is generated/lenet (models.LeNet).
func init() {
	factories["W2"] = setup("W2",
		func() model[int32] { return lenet.New() },
		func(m model[int32], o rt.Optimizer) { m.(*lenet.Model).Optimizer = o },
		func(d wl.Data) []int32 { return d.Labels }, 10)
}
