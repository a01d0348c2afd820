package interp

import (
	"fmt"
	"math"

	"github.com/dlgen/dlgen/ir"
	"github.com/dlgen/dlgen/rt"
)

// Kernels for the autoencoder building blocks: the absolute value behind L1 activity
// regularization, the KL sparsity and contractive penalties with their gradients, and
// the noise sources of denoising and variational autoencoders.

// klSparsityClip keeps ρ̂ inside (0, 1) so that the logs of KLSparsity stay finite
// when every unit of the batch saturates its sigmoid.
const klSparsityClip = 1e-7

// unitMeans returns ρ̂_j, the mean over the batch of each unit of h (N, units...),
// and whether its clip to [klSparsityClip, 1-klSparsityClip] is active.
func unitMeans(h *Tensor) (rho []float64, clipped []bool) {
	n := h.Shape[0]
	units := len(h.Data) / n
	rho = make([]float64, units)
	clipped = make([]bool, units)
	for b := range n {
		for j, v := range h.Data[b*units : (b+1)*units] {
			rho[j] += v
		}
	}
	for j := range rho {
		rho[j] /= float64(n)
		switch {
		case rho[j] < klSparsityClip:
			rho[j], clipped[j] = klSparsityClip, true
		case rho[j] > 1-klSparsityClip:
			rho[j], clipped[j] = 1-klSparsityClip, true
		}
	}
	return rho, clipped
}

// rowNorms returns Σ_j w_ij² for each row i of the (H, D) encoder weight.
func rowNorms(w *Tensor) []float64 {
	h, d := w.Shape[0], w.Shape[1]
	s := make([]float64, h)
	for i := range h {
		for _, v := range w.Data[i*d : (i+1)*d] {
			s[i] += v * v
		}
	}
	return s
}

func init() {
	register(ir.OpAbs, func(c *Ctx, n *ir.Node, in []*Tensor) (*Tensor, error) {
		t := out(c, n)
		for i, v := range in[0].Data {
			t.Data[i] = math.Abs(v)
		}
		return t, nil
	})
	register(ir.OpAbsGrad, func(c *Ctx, n *ir.Node, in []*Tensor) (*Tensor, error) {
		t := out(c, n)
		for i, v := range in[0].Data {
			switch {
			case v > 0:
				t.Data[i] = in[1].Data[i]
			case v < 0:
				t.Data[i] = -in[1].Data[i]
			}
		}
		return t, nil
	})

	// KL(ρ‖ρ̂_j) between Bernoulli variables of means ρ and ρ̂_j, summed over units
	// (Ng, CS294A lecture notes "Sparse autoencoder", 2011).
	register(ir.OpKLSparsity, func(c *Ctx, n *ir.Node, in []*Tensor) (*Tensor, error) {
		p := n.Attrs.Alpha
		rho, _ := unitMeans(in[0])
		t := NewTensor()
		for _, q := range rho {
			t.Data[0] += p*math.Log(p/q) + (1-p)*math.Log((1-p)/(1-q))
		}
		return t, nil
	})
	// ∂/∂ρ̂ KL(ρ‖ρ̂) = -ρ/ρ̂ + (1-ρ)/(1-ρ̂), and ∂ρ̂_j/∂h[n,j] = 1/N.
	register(ir.OpKLSparsityGrad, func(c *Ctx, n *ir.Node, in []*Tensor) (*Tensor, error) {
		p, dy := n.Attrs.Alpha, in[1].Data[0]
		rho, clipped := unitMeans(in[0])
		t := out(c, n)
		batch := in[0].Shape[0]
		units := len(rho)
		for j, q := range rho {
			if clipped[j] {
				continue
			}
			g := dy * ((1-p)/(1-q) - p/q) / float64(batch)
			for b := range batch {
				t.Data[b*units+j] = g
			}
		}
		return t, nil
	})

	// Rifai et al. (2011): for h = sigmoid(x·wᵀ + b), ‖∂h/∂x‖²_F = Σ_i (h_i(1-h_i))²·Σ_j w_ij².
	register(ir.OpContractivePenalty, func(c *Ctx, n *ir.Node, in []*Tensor) (*Tensor, error) {
		h, w := in[0], in[1]
		if err := contractiveShapes(h, w); err != nil {
			return nil, err
		}
		s := rowNorms(w)
		batch, units := h.Shape[0], h.Shape[1]
		t := NewTensor()
		for b := range batch {
			for i, v := range h.Data[b*units : (b+1)*units] {
				a := v * (1 - v)
				t.Data[0] += a * a * s[i]
			}
		}
		t.Data[0] /= float64(batch)
		return t, nil
	})
	// d/dh (h(1-h))² = 2·h(1-h)·(1-2h).
	register(ir.OpContractivePenaltyGradH, func(c *Ctx, n *ir.Node, in []*Tensor) (*Tensor, error) {
		h, w, dy := in[0], in[1], in[2].Data[0]
		if err := contractiveShapes(h, w); err != nil {
			return nil, err
		}
		s := rowNorms(w)
		batch, units := h.Shape[0], h.Shape[1]
		t := out(c, n)
		k := 2 * dy / float64(batch)
		for b := range batch {
			for i := range units {
				v := h.Data[b*units+i]
				t.Data[b*units+i] = k * v * (1 - v) * (1 - 2*v) * s[i]
			}
		}
		return t, nil
	})
	register(ir.OpContractivePenaltyGradW, func(c *Ctx, n *ir.Node, in []*Tensor) (*Tensor, error) {
		h, w, dy := in[0], in[1], in[2].Data[0]
		if err := contractiveShapes(h, w); err != nil {
			return nil, err
		}
		batch, units, d := h.Shape[0], h.Shape[1], w.Shape[1]
		a2 := make([]float64, units) // Σ_n (h_ni(1-h_ni))²
		for b := range batch {
			for i, v := range h.Data[b*units : (b+1)*units] {
				a := v * (1 - v)
				a2[i] += a * a
			}
		}
		t := out(c, n)
		k := 2 * dy / float64(batch)
		for i := range units {
			for j := range d {
				t.Data[i*d+j] = k * w.Data[i*d+j] * a2[i]
			}
		}
		return t, nil
	})

	// Noise sources draw from rt's counter-based streams exactly as DropoutMask does:
	// the training step is the stream and the flat index the counter.
	register(ir.OpRandomNormal, func(c *Ctx, n *ir.Node, _ []*Tensor) (*Tensor, error) {
		t := out(c, n)
		for i := range t.Data {
			t.Data[i] = n.Attrs.Alpha * rt.Normal(n.Attrs.Seed, c.Step, uint64(i))
		}
		return t, nil
	})
	register(ir.OpKeepMask, func(c *Ctx, n *ir.Node, _ []*Tensor) (*Tensor, error) {
		t := out(c, n)
		threshold := rt.KeepThreshold(n.Attrs.Rate)
		for i := range t.Data {
			if rt.Keep(n.Attrs.Seed, c.Step, uint64(i), threshold) {
				t.Data[i] = 1
			}
		}
		return t, nil
	})
}

// contractiveShapes checks what the shape rule checked, against the run-time
// tensors, so a hand-built node cannot index out of range.
func contractiveShapes(h, w *Tensor) error {
	if len(h.Shape) != 2 || len(w.Shape) != 2 || w.Shape[0] != h.Shape[1] {
		return fmt.Errorf("h %v and encoder weight %v do not match", h.Shape, w.Shape)
	}
	return nil
}
