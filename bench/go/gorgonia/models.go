// Package gorgoniapeer is W1–W4 written with Gorgonia (gorgonia.org/gorgonia v0.9.18,
// tensor v0.9.24): an expression graph per batch size, run by a TapeMachine; training
// takes the symbolic gradient (G.Grad) and Gorgonia's VanillaSolver (plain SGD). NCHW,
// with the seeded weights of bench/go/wl.
package gorgoniapeer

import (
	"fmt"

	"dlgenbench/wl"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// model is one workload's graph at one batch size.
type model struct {
	g      *G.ExprGraph
	x      *G.Node
	out    *G.Node // logits (W1–W3) or pre-sigmoid image (W4)
	learns G.Nodes
}

// weight makes a learnable node holding a copy of data.
func weight(g *G.ExprGraph, name string, shape []int, data []float32) *G.Node {
	v := tensor.New(tensor.WithShape(shape...), tensor.WithBacking(append([]float32(nil), data...)))
	return G.NewTensor(g, tensor.Float32, len(shape), G.WithShape(shape...), G.WithName(name), G.WithValue(v))
}

// kerasKernel turns a PyTorch Linear weight [out,in] into the [in,out] matrix of x·W.
func kerasKernel(t wl.Tensor) ([]int, []float32) {
	r, c := t.Shape[0], t.Shape[1]
	d := make([]float32, r*c)
	for i := range r {
		for j := range c {
			d[j*r+i] = t.Data[i*c+j]
		}
	}
	return []int{c, r}, d
}

func build(w string, n int) (m *model, err error) {
	defer func() {
		if r := recover(); r != nil { // Gorgonia's builders panic through G.Must
			err = fmt.Errorf("building the graph: %v", r)
		}
	}()
	g := G.NewGraph()
	m = &model{g: g}
	p := wl.TorchWeights(w)
	k := 0
	next := func() wl.Tensor { k++; return p[k-1] }
	dense := func(x *G.Node) *G.Node {
		shape, d := kerasKernel(next())
		wn := weight(g, fmt.Sprintf("w%d", k), shape, d)
		b := next()
		bn := weight(g, fmt.Sprintf("b%d", k), []int{1, b.Shape[0]}, b.Data)
		m.learns = append(m.learns, wn, bn)
		return G.Must(G.BroadcastAdd(G.Must(G.Mul(x, wn)), bn, nil, []byte{0}))
	}
	conv := func(x *G.Node, pad int) *G.Node {
		wt := next()
		wn := weight(g, fmt.Sprintf("w%d", k), wt.Shape, wt.Data)
		b := next()
		bn := weight(g, fmt.Sprintf("b%d", k), []int{1, b.Shape[0], 1, 1}, b.Data)
		m.learns = append(m.learns, wn, bn)
		kk := wt.Shape[2]
		y := G.Must(G.Conv2d(x, wn, tensor.Shape{kk, kk}, []int{pad, pad}, []int{1, 1}, []int{1, 1}))
		return G.Must(G.BroadcastAdd(y, bn, nil, []byte{0, 2, 3}))
	}
	relu := func(x *G.Node) *G.Node { return G.Must(G.Rectify(x)) }
	pool := func(x *G.Node) *G.Node {
		return G.Must(G.MaxPool2D(x, tensor.Shape{2, 2}, []int{0, 0}, []int{2, 2}))
	}
	up := func(x *G.Node) *G.Node { return G.Must(G.Upsample2D(x, 2)) }
	in := func(shape ...int) *G.Node {
		m.x = G.NewTensor(g, tensor.Float32, len(shape), G.WithShape(shape...), G.WithName("x"))
		return m.x
	}
	switch w {
	case "W1":
		m.out = dense(relu(dense(in(n, 784))))
	case "W2":
		h := pool(relu(conv(in(n, 1, 28, 28), 2)))
		h = pool(relu(conv(h, 0)))
		h = G.Must(G.Reshape(h, tensor.Shape{n, 400})) // CHW order, as TorchWeights' fc1
		m.out = dense(relu(dense(relu(dense(h)))))
	case "W3":
		h := lstm(g, in(n, wl.Seq, wl.Feat), p[:4], &m.learns)
		k = 4
		m.out = dense(h)
	case "W4":
		h := pool(relu(conv(in(n, 1, 28, 28), 1)))
		h = pool(relu(conv(h, 1)))
		h = up(relu(conv(h, 1)))
		h = up(relu(conv(h, 1)))
		m.out = conv(h, 1)
	default:
		return nil, fmt.Errorf("unknown workload %q", w)
	}
	return m, nil
}

// lstm unrolls PyTorch's LSTM (gates i,f,g,o) over the sequence from matmuls, with the
// four gates in one [·,4H] projection split by Slice, and returns the last h [n,H].
func lstm(g *G.ExprGraph, x *G.Node, p []wl.Tensor, learns *G.Nodes) *G.Node {
	n, steps, H := x.Shape()[0], x.Shape()[1], wl.Hidden
	sk, dk := kerasKernel(p[0])
	wx := weight(g, "lstm_wx", sk, dk)
	sr, dr := kerasKernel(p[1])
	wh := weight(g, "lstm_wh", sr, dr)
	// Two biases, as PyTorch: both get the gate gradient, so SGD moves their sum twice as
	// far as one merged bias would.
	bi := weight(g, "lstm_bih", []int{1, 4 * H}, p[2].Data)
	bh := weight(g, "lstm_bhh", []int{1, 4 * H}, p[3].Data)
	*learns = append(*learns, wx, wh, bi, bh)
	zeros := func(name string) *G.Node {
		return G.NewMatrix(g, tensor.Float32, G.WithShape(n, H), G.WithName(name), G.WithInit(G.Zeroes()))
	}
	h, c := zeros("h0"), zeros("c0")
	gate := func(z *G.Node, i int) *G.Node { return G.Must(G.Slice(z, nil, G.S(i*H, (i+1)*H))) }
	for t := range steps {
		xt := G.Must(G.Slice(x, nil, G.S(t), nil))
		z := G.Must(G.Add(G.Must(G.Mul(xt, wx)), G.Must(G.Mul(h, wh))))
		z = G.Must(G.BroadcastAdd(z, bi, nil, []byte{0}))
		z = G.Must(G.BroadcastAdd(z, bh, nil, []byte{0}))
		i, f := G.Must(G.Sigmoid(gate(z, 0))), G.Must(G.Sigmoid(gate(z, 1)))
		u, o := G.Must(G.Tanh(gate(z, 2))), G.Must(G.Sigmoid(gate(z, 3)))
		c = G.Must(G.Add(G.Must(G.HadamardProd(f, c)), G.Must(G.HadamardProd(i, u))))
		h = G.Must(G.HadamardProd(o, G.Must(G.Tanh(c))))
	}
	return h
}

// loss is the mean softmax cross-entropy against one-hot y (W1–W3) or the mean binary
// cross-entropy of sigmoid(out) against y (W4).
func (m *model) loss(w string, y *G.Node) *G.Node {
	if w != "W4" {
		ll := G.Must(G.HadamardProd(G.Must(G.LogSoftMax(m.out)), y))
		return G.Must(G.Neg(G.Must(G.Mean(G.Must(G.Sum(ll, 1))))))
	}
	p := G.Must(G.Sigmoid(m.out))
	one := G.NewConstant(float32(1))
	a := G.Must(G.HadamardProd(y, G.Must(G.Log(p))))
	b := G.Must(G.HadamardProd(G.Must(G.Sub(one, y)), G.Must(G.Log(G.Must(G.Sub(one, p))))))
	return G.Must(G.Neg(G.Must(G.Mean(G.Must(G.Add(a, b))))))
}

// Setup is this engine's wl.Setup.
func Setup(w string, train bool, n int) (p wl.Prepared, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic: %v", r)
		}
	}()
	m, err := build(w, n)
	if err != nil {
		return p, err
	}
	d := wl.MakeData(w)
	xs := m.x.Shape().Clone()
	xv := tensor.New(tensor.WithShape(xs...), tensor.WithBacking(d.X[:n*wl.Sample(w)]))
	if !train {
		var pred *G.Node
		if w == "W4" {
			pred = G.Must(G.Sigmoid(m.out))
		} else {
			pred = G.Must(G.SoftMax(m.out))
		}
		var out G.Value
		G.Read(pred, &out)
		vm := G.NewTapeMachine(m.g)
		return wl.Prepared{
			Step: func() (float32, error) {
				if err := G.Let(m.x, xv); err != nil {
					return 0, err
				}
				defer vm.Reset()
				return 0, vm.RunAll()
			},
			Out: func() []float32 { return out.Data().([]float32) },
		}, nil
	}
	var yv *tensor.Dense
	if w == "W4" {
		yv = tensor.New(tensor.WithShape(xs...), tensor.WithBacking(d.Target))
	} else {
		yv = tensor.New(tensor.WithShape(n, 10), tensor.WithBacking(wl.OneHot(d.Labels[:n])))
	}
	y := G.NewTensor(m.g, tensor.Float32, yv.Dims(), G.WithShape(yv.Shape()...), G.WithName("y"))
	cost := m.loss(w, y)
	var lossV G.Value
	G.Read(cost, &lossV)
	if _, err := G.Grad(cost, m.learns...); err != nil {
		return p, fmt.Errorf("G.Grad: %w", err)
	}
	vm := G.NewTapeMachine(m.g, G.BindDualValues(m.learns...))
	solver := G.NewVanillaSolver(G.WithLearnRate(float64(wl.LR)))
	grads := G.NodesToValueGrads(m.learns)
	return wl.Prepared{Step: func() (float32, error) {
		if err := G.Let(m.x, xv); err != nil {
			return 0, err
		}
		if err := G.Let(y, yv); err != nil {
			return 0, err
		}
		defer vm.Reset()
		if err := vm.RunAll(); err != nil {
			return 0, err
		}
		l := lossV.Data().(float32)
		return l, solver.Step(grads)
	}}, nil
}
