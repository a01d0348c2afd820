package interp

import (
	"github.com/dlgen/dlgen/ir"
	"github.com/dlgen/dlgen/rt"
)

// Kernels for random sources. They draw from rt's counter-based streams exactly as
// generated code does, so both keep the same dropout units.

func init() {
	// Inverted dropout (Srivastava et al., 2014, with the scaling moved to training
	// time): element i of the batched tensor survives with probability 1-rate and is
	// then scaled by 1/(1-rate), so the expected value of x·mask is x. The training
	// step is the stream, so each step draws a fresh mask; the flat index is the
	// counter, so batch item b keeps the same units whatever the batch size.
	register(ir.OpDropoutMask, func(c *Ctx, n *ir.Node, _ []*Tensor) (*Tensor, error) {
		t := out(c, n)
		rate := n.Attrs.Rate
		threshold := rt.KeepThreshold(rate)
		scale := 1 / (1 - rate)
		for i := range t.Data {
			if rt.Keep(n.Attrs.Seed, c.Step, uint64(i), threshold) {
				t.Data[i] = scale
			}
		}
		return t, nil
	})
}
