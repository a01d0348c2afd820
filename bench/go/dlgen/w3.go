//go:build !nodlgen_w3

package dlgenbench

import (
	"dlgenbench/wl"
	"github.com/dlgen/dlgen/generated/lstm"
	"github.com/dlgen/dlgen/rt"
)

// W3 is generated/lstm (models.LSTM).
func init() {
	factories["W3"] = setup("W3",
		func() model[int32] { return lstm.New() },
		func(m model[int32], o rt.Optimizer) { m.(*lstm.Model).Optimizer = o },
		func(d wl.Data) []int32 { return d.Labels }, 10)
}
