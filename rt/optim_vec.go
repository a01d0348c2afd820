package rt

// The per-call scalars of the adaptive optimizers' element loops. Each Update
// computes them once (in float64, rounded to float32 once, see optim_adaptive.go)
// and hands them to <name>Step, which runs the AVX-512 kernel of
// optim_vec_amd64.s when the CPU has it and the portable loop <name>Go otherwise.
//
// A kernel does exactly the float32 operations of its loop, in the same order:
// each product that is added is rounded on its own (the loops say so with an
// explicit float32 conversion, which the Go spec requires the compiler to honour,
// so GOAMD64=v3 cannot fuse it into an FMA either); VSQRTPS and VDIVPS round
// correctly, as sqrtF32 and float32 division do; and each maximum is a compare
// with the loop's own predicate and a blend, so a NaN goes where the loop sends it.
// The two paths thus give the same bits (NaN for NaN), which optim_vec_test.go
// checks.
//
// The flags say which optional terms a step has. They are not folded into the
// arithmetic (adding 0·p instead of skipping the weight decay would turn an
// infinite weight's update into NaN and a -0 gradient into +0).

// adamArgs are the scalars of an Adam or AdamW step (adamUpdate).
type adamArgs struct {
	stepSize, ibc2     float32 // -LR/(1-β₁ᵗ), 1/√(1-β₂ᵗ)
	b1, omb1, b2, omb2 float32 // β₁, 1-β₁, β₂, 1-β₂
	wd, eps, shrink    float32 // L2 weight decay, ε, AdamW's 1-LR·decay
	l2, decay          bool    // add wd·p to the gradient; shrink p first
}

// adamaxArgs are the scalars of an Adamax step.
type adamaxArgs struct {
	clr, b1, omb1, b2, wd, eps float32 // -LR/(1-β₁ᵗ), β₁, 1-β₁, β₂, weight decay, ε
	l2                         bool
}

// nadamArgs are the scalars of a NAdam step.
type nadamArgs struct {
	cg, cm, ibc2       float32 // the gradient's and the moment's factors, 1/(1-β₂ᵗ)
	b1, omb1, b2, omb2 float32
	wd, eps            float32
	l2                 bool
}

// adagradArgs are the scalars of an Adagrad step.
type adagradArgs struct {
	clr, wd, eps, init float32 // -decayed LR, weight decay, ε, value added to the sum first
	l2                 bool
}

// adadeltaArgs are the scalars of an Adadelta step.
type adadeltaArgs struct {
	lr, rho, omr, wd, eps float32 // -LR, ρ, 1-ρ, weight decay, ε
	l2                    bool
}

// rmspropArgs are the scalars of an RMSprop step; the momentum buffer and the
// gradient average are there when their slices are not nil.
type rmspropArgs struct {
	lr, alpha, oma, wd, eps, mom float32 // -LR, α, 1-α, weight decay, ε, momentum
	l2                           bool
}
