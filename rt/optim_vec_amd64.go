package rt

// The adaptive optimizers' element loops on AVX-512 (optim_vec_amd64.s); each
// kernel gives the bits of its portable loop (see optim_vec.go). A nil pointer
// stands for an absent slot (AMSGrad's maximum, RMSprop's buffer and average).

//go:noescape
func adamAVX512(p, grad, m, v, vmax *float32, n int, stepSize, ibc2, b1, omb1, b2, omb2, wd, eps, shrink float32, l2, decay, amsgrad bool)

//go:noescape
func adamaxAVX512(p, grad, m, u *float32, n int, clr, b1, omb1, b2, wd, eps float32, l2 bool)

//go:noescape
func nadamAVX512(p, grad, m, v *float32, n int, cg, cm, ibc2, b1, omb1, b2, omb2, wd, eps float32, l2 bool)

//go:noescape
func adagradAVX512(p, grad, s *float32, n int, clr, wd, eps, init float32, l2 bool)

//go:noescape
func adadeltaAVX512(p, grad, s, a *float32, n int, lr, rho, omr, wd, eps float32, l2 bool)

//go:noescape
func rmspropAVX512(p, grad, s, buf, avg *float32, n int, lr, alpha, oma, wd, eps, mom float32, l2, momentum, centered bool)

// adamStep is adamGo, with AVX-512 when the CPU has it.
func adamStep(p, g, m, v, vmax []float32, k adamArgs) {
	n := len(p)
	if !cpu.avx512 || n == 0 {
		adamGo(p, g, m, v, vmax, k)
		return
	}
	_, _, _ = g[n-1], m[n-1], v[n-1]
	var pm *float32
	if vmax != nil {
		_ = vmax[n-1]
		pm = &vmax[0]
	}
	adamAVX512(&p[0], &g[0], &m[0], &v[0], pm, n, k.stepSize, k.ibc2, k.b1, k.omb1, k.b2, k.omb2,
		k.wd, k.eps, k.shrink, k.l2, k.decay, vmax != nil)
}

// adamaxStep is adamaxGo, with AVX-512 when the CPU has it.
func adamaxStep(p, g, m, u []float32, k adamaxArgs) {
	n := len(p)
	if !cpu.avx512 || n == 0 {
		adamaxGo(p, g, m, u, k)
		return
	}
	_, _, _ = g[n-1], m[n-1], u[n-1]
	adamaxAVX512(&p[0], &g[0], &m[0], &u[0], n, k.clr, k.b1, k.omb1, k.b2, k.wd, k.eps, k.l2)
}

// nadamStep is nadamGo, with AVX-512 when the CPU has it.
func nadamStep(p, g, m, v []float32, k nadamArgs) {
	n := len(p)
	if !cpu.avx512 || n == 0 {
		nadamGo(p, g, m, v, k)
		return
	}
	_, _, _ = g[n-1], m[n-1], v[n-1]
	nadamAVX512(&p[0], &g[0], &m[0], &v[0], n, k.cg, k.cm, k.ibc2, k.b1, k.omb1, k.b2, k.omb2, k.wd, k.eps, k.l2)
}

// adagradStep is adagradGo, with AVX-512 when the CPU has it.
func adagradStep(p, g, s []float32, k adagradArgs) {
	n := len(p)
	if !cpu.avx512 || n == 0 {
		adagradGo(p, g, s, k)
		return
	}
	_, _ = g[n-1], s[n-1]
	adagradAVX512(&p[0], &g[0], &s[0], n, k.clr, k.wd, k.eps, k.init, k.l2)
}

// adadeltaStep is adadeltaGo, with AVX-512 when the CPU has it.
func adadeltaStep(p, g, s, a []float32, k adadeltaArgs) {
	n := len(p)
	if !cpu.avx512 || n == 0 {
		adadeltaGo(p, g, s, a, k)
		return
	}
	_, _, _ = g[n-1], s[n-1], a[n-1]
	adadeltaAVX512(&p[0], &g[0], &s[0], &a[0], n, k.lr, k.rho, k.omr, k.wd, k.eps, k.l2)
}

// rmspropStep is rmspropGo, with AVX-512 when the CPU has it.
func rmspropStep(p, g, s, buf, avg []float32, k rmspropArgs) {
	n := len(p)
	if !cpu.avx512 || n == 0 {
		rmspropGo(p, g, s, buf, avg, k)
		return
	}
	_, _ = g[n-1], s[n-1]
	var pb, pa *float32
	if buf != nil {
		_ = buf[n-1]
		pb = &buf[0]
	}
	if avg != nil {
		_ = avg[n-1]
		pa = &avg[0]
	}
	rmspropAVX512(&p[0], &g[0], &s[0], pb, pa, n, k.lr, k.alpha, k.oma, k.wd, k.eps, k.mom, k.l2, buf != nil, avg != nil)
}
