package interp

import (
	"fmt"

	"github.com/dlgen/dlgen/ir"
)

// Kernels for per-channel ops: axis 1 is the channel axis (NCHW, or (N, C) after a
// dense layer), and a per-channel vector has one value per channel.

func init() {
	register(ir.OpBiasAdd, channelVec(func(x, b float64) float64 { return x + b }))
	register(ir.OpChannelMul, channelVec(func(x, s float64) float64 { return x * s }))
	register(ir.OpChannelSum, func(c *Ctx, n *ir.Node, in []*Tensor) (*Tensor, error) {
		return channelSum(in[0]), nil
	})
	register(ir.OpChannelMean, func(c *Ctx, n *ir.Node, in []*Tensor) (*Tensor, error) {
		s := channelSum(in[0])
		m := float64(perChannel(in[0].Shape))
		for i := range s.Data {
			s.Data[i] /= m
		}
		return s, nil
	})
	register(ir.OpChannelBroadcast, func(c *Ctx, n *ir.Node, in []*Tensor) (*Tensor, error) {
		t := out(c, n)
		scale := 1.0
		if n.Attrs.Mean {
			scale = 1 / float64(perChannel(t.Shape))
		}
		outer, ch, inner := channelDims(t.Shape)
		for o := 0; o < outer; o++ {
			for k := 0; k < ch; k++ {
				v := in[0].Data[k] * scale
				row := t.Data[(o*ch+k)*inner : (o*ch+k+1)*inner]
				for i := range row {
					row[i] = v
				}
			}
		}
		return t, nil
	})
	register(ir.OpRunningUpdate, runningUpdate)
}

// runningUpdate is state ← (1-momentum)·state + momentum·stat', PyTorch's
// exponential moving average of batch-norm statistics, with stat' = stat·m/(m-1)
// (Bessel's correction) when unbiased. The state tensor is the machine's parameter,
// so it is updated in place; the result is a copy, so later in-place updates cannot
// change a value already computed.
func runningUpdate(c *Ctx, n *ir.Node, in []*Tensor) (*Tensor, error) {
	state, stat, x := in[0], in[1], in[2]
	mom := n.Attrs.Momentum
	corr := 1.0
	if n.Attrs.Unbiased {
		m := perChannel(x.Shape)
		if m < 2 {
			// PyTorch refuses too: "Expected more than 1 value per channel when training".
			return nil, fmt.Errorf("an unbiased variance needs more than 1 value per channel, x %v has %d", x.Shape, m)
		}
		corr = float64(m) / float64(m-1)
	}
	for i := range state.Data {
		state.Data[i] = (1-mom)*state.Data[i] + mom*stat.Data[i]*corr
	}
	return state.Clone(), nil
}

// channelVec is the kernel y[n,c,...] = f(x[n,c,...], v[c]).
func channelVec(f func(x, v float64) float64) Kernel {
	return func(c *Ctx, n *ir.Node, in []*Tensor) (*Tensor, error) {
		x, v := in[0], in[1]
		t := NewTensor(x.Shape...)
		outer, ch, inner := channelDims(x.Shape)
		for o := 0; o < outer; o++ {
			for k := 0; k < ch; k++ {
				base := (o*ch + k) * inner
				for i := base; i < base+inner; i++ {
					t.Data[i] = f(x.Data[i], v.Data[k])
				}
			}
		}
		return t, nil
	}
}

// channelSum sums x over every axis but 1.
func channelSum(x *Tensor) *Tensor {
	outer, ch, inner := channelDims(x.Shape)
	s := NewTensor(ch)
	for o := 0; o < outer; o++ {
		for k := 0; k < ch; k++ {
			base := (o*ch + k) * inner
			for i := base; i < base+inner; i++ {
				s.Data[k] += x.Data[i]
			}
		}
	}
	return s
}

// channelDims views a concrete shape (d0, C, d2, ...) as (outer, C, inner) with
// outer = d0 and inner the product of the axes after the channels.
func channelDims(shape []int) (outer, ch, inner int) {
	return shape[0], shape[1], prod(shape[2:])
}

// perChannel is the number of elements of each channel, batch included.
func perChannel(shape []int) int { return prod(shape) / shape[1] }
