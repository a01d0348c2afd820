package nn

import (
	"math"

	"github.com/dlgen/dlgen/ir"
)

// Regularizers of autoencoder codes. Each returns a scalar T, a loss term to pass to
// Model.AddLoss (weight 1: the strength is the builder's own argument), so a sparse
// or contractive autoencoder is its reconstruction loss plus one of these:
//
//	code := x.Dense("code", 32, nn.Act("relu"))
//	recon := code.Dense("out", 784, nn.Act("sigmoid"))
//	m.AddLoss(nn.BinaryCrossEntropy("bce", recon, x), 1)
//	m.AddLoss(nn.L1Activity("sparsity", code, 1e-4), 1)
//
// Their nodes are "<name>" (the penalty before weighting), "<name>/scaled" (times
// the strength) and helpers "<name>/<step>".

// L1Activity is Keras' activity_regularizer=regularizers.l1(lambda) on h, as
// tf.keras 2 applies it: lambda·Σ|h| summed over every unit of every example, divided
// by the batch size so that the strength does not depend on it. (Keras 3 adds the sum
// without dividing; pass lambda/N to get its value for a batch of N.) The gradient of
// |h| at h = 0 is 0, as in PyTorch.
func L1Activity(name string, h *T, lambda float64) *T {
	l := h.beginPenalty(name, "L1Activity", "lambda", lambda)
	if l == nil {
		return h.failed()
	}
	// Σ|h|/N = E·mean(|h|), E the elements per example: the batch size is known only
	// at run time, and ReduceMean divides by it.
	e := float64(l.shapes()[0].Elems())
	abs := l.op(ir.OpAbs, "abs", ir.Attrs{}, l.x(0))
	mean := l.op(ir.OpReduceMean, "mean", ir.Attrs{}, abs)
	norm := l.op(ir.OpScale, "", ir.Attrs{Alpha: e}, mean)
	return l.result(l.scaled(norm, lambda))
}

// KLSparsity is the sparsity penalty of Ng's sparse-autoencoder notes (CS294A,
// 2011): beta·Σ_j KL(rho‖ρ̂_j), where ρ̂_j is the mean activation of unit j over the
// batch and KL(ρ‖ρ̂) = ρ·ln(ρ/ρ̂) + (1-ρ)·ln((1-ρ)/(1-ρ̂)) compares Bernoulli means.
// h must be the output of a sigmoid (Act("sigmoid") or Sigmoid), so that its values
// are in (0, 1); the units are every element of an example. ρ̂ is clipped to
// [1e-7, 1-1e-7] so the term stays finite when a unit saturates. Typical values are
// rho 0.05 and beta 3.
func KLSparsity(name string, h *T, rho, beta float64) *T {
	l := h.beginPenalty(name, "KLSparsity", "beta", beta)
	if l == nil {
		return h.failed()
	}
	if !(rho > 0 && rho < 1) {
		return l.fail("target activation rho %g must be in (0, 1)", rho)
	}
	if op := l.m.g.Nodes[l.x(0)].Op; op != ir.OpSigmoid {
		return l.fail("needs sigmoid activations in (0, 1), not the output of %s (add Act(\"sigmoid\") to the code layer)", op)
	}
	kl := l.op(ir.OpKLSparsity, "", ir.Attrs{Alpha: rho}, l.x(0))
	return l.result(l.scaled(kl, beta))
}

// ContractivePenalty is the penalty of a contractive autoencoder (Rifai et al.,
// 2011): lambda·‖J_f(x)‖²_F, the squared Frobenius norm of the Jacobian of the code
// with respect to the encoder's input, averaged over the batch. It is computed in
// closed form, lambda·Σ_i (h_i(1-h_i))²·Σ_j W_ij², which holds only for a dense
// sigmoid encoder h = sigmoid(x·Wᵀ + b); so h must be the output of a Dense layer
// with Act("sigmoid"), whose weight W the penalty reads (and trains: its gradient
// flows both directly and through h). The Jacobian is that of this layer with
// respect to its own input: for a deeper encoder, only its last layer is contracted.
func ContractivePenalty(name string, h *T, lambda float64) *T {
	l := h.beginPenalty(name, "ContractivePenalty", "lambda", lambda)
	if l == nil {
		return h.failed()
	}
	if x := l.shapes()[0]; x.Rank() != 2 {
		return l.fail("needs the (N, units) code of a Dense layer on (N, features), not %s: the closed form is that of one dense sigmoid encoder per example", x)
	}
	w, ok := denseSigmoidWeight(l.m.g, l.x(0))
	if !ok {
		return l.fail("%q is not the output of a Dense layer with Act(\"sigmoid\"): the closed form of the Jacobian norm holds only for a dense sigmoid encoder", l.m.g.Nodes[l.x(0)].Name)
	}
	p := l.op(ir.OpContractivePenalty, "", ir.Attrs{}, l.x(0), w)
	return l.result(l.scaled(p, lambda))
}

// denseSigmoidWeight returns the weight W of h = Sigmoid(BiasAdd(MatMul(x, W, Bᵀ), b))
// (or without the BiasAdd), as Dense builds it.
func denseSigmoidWeight(g *ir.Graph, h int) (int, bool) {
	n := g.Nodes[h]
	if n.Op != ir.OpSigmoid {
		return -1, false
	}
	n = g.Nodes[n.Inputs[0]]
	if n.Op == ir.OpBiasAdd {
		n = g.Nodes[n.Inputs[0]]
	}
	if n.Op != ir.OpMatMul || n.Attrs.TransA || !n.Attrs.TransB {
		return -1, false
	}
	w := g.Nodes[n.Inputs[1]]
	if w.Op != ir.OpParam || w.Attrs.Role != ir.RoleWeight {
		return -1, false
	}
	return w.ID, true
}

// beginPenalty starts a regularizer layer on h with a strength that must be positive
// and finite.
func (t *T) beginPenalty(name, kind, what string, strength float64) *builder {
	l := t.begin(name, kind, nil, 0)
	if l == nil {
		return nil
	}
	if !(strength > 0) || math.IsInf(strength, 0) {
		l.fail("%s %g must be positive and finite", what, strength)
		return nil
	}
	return l
}

// scaled multiplies the penalty p by its strength as node "<layer>/scaled", unless
// the strength is 1.
func (l *builder) scaled(p int, strength float64) int {
	if strength == 1 {
		return p
	}
	return l.op(ir.OpScale, "scaled", ir.Attrs{Alpha: strength}, p)
}
