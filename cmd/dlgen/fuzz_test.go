package main

import (
	"io"
	"testing"

	"github.com/dlgen/dlgen/ir"
)

// FuzzDump feeds dump arbitrary JSON: whatever ir.Decode accepts must print as text
// and as DOT without a panic.
func FuzzDump(f *testing.F) {
	g := ir.NewGraph("seed")
	x, _ := g.Add(ir.OpInput, "x", "in", ir.Attrs{Shape: ir.Shape{ir.Batch, 3}, Role: ir.RoleData})
	w, _ := g.Add(ir.OpParam, "fc.weight", "fc", ir.Attrs{Shape: ir.Shape{2, 3}, Role: ir.RoleWeight, Init: &ir.Init{Kind: ir.InitGlorotUniform, FanIn: 3, FanOut: 2}})
	y, _ := g.Add(ir.OpMatMul, "fc", "fc", ir.Attrs{TransB: true}, x, w)
	t, _ := g.Add(ir.OpInput, "t", "t", ir.Attrs{Shape: ir.Shape{ir.Batch, 2}, Role: ir.RoleTarget})
	l, _ := g.Add(ir.OpMSELoss, "loss", "loss", ir.Attrs{}, y, t)
	g.Outputs = []ir.Output{{Name: "y", ID: y}}
	g.Loss = l
	seed, err := ir.Encode(g)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(seed)
	f.Add([]byte(`{"name": "empty", "nodes": [], "loss": -1}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		g, err := ir.Decode(data)
		if err != nil {
			return
		}
		if err := writeText(io.Discard, g); err != nil {
			t.Fatal(err)
		}
		if err := writeDOT(io.Discard, g); err != nil {
			t.Fatal(err)
		}
	})
}
