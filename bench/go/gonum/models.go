package gonumpeer

import (
	"fmt"

	"dlgenbench/wl"
)

// Net is one workload at a fixed batch size n.
type Net struct {
	w      string
	n      int
	layers []layer
	out    []float32 // probabilities [n,10], or W4's reconstruction
	dz     []float32
	ws, gs [][]float32
}

// New builds workload w at batch n with wl.TorchWeights (a private copy).
func New(w string, n int) (*Net, error) {
	var p [][]float32
	for _, t := range wl.TorchWeights(w) {
		p = append(p, t.Data)
	}
	var ls []layer
	add := func(l ...layer) { ls = append(ls, l...) }
	outSize := n * 10
	switch w {
	case "W1":
		add(newDense(n, 784, 128, p[0], p[1]), newReLU(n*128), newDense(n, 128, 10, p[2], p[3]))
	case "W2":
		add(newConv(n, 1, 6, 5, 2, 28, 28, p[0], p[1]), newReLU(n*6*784), newMaxPool(n*6, 28, 28))
		add(newConv(n, 6, 16, 5, 0, 14, 14, p[2], p[3]), newReLU(n*16*100), newMaxPool(n*16, 10, 10))
		add(newDense(n, 400, 120, p[4], p[5]), newReLU(n*120))
		add(newDense(n, 120, 84, p[6], p[7]), newReLU(n*84), newDense(n, 84, 10, p[8], p[9]))
	case "W3":
		add(newLSTM(n, wl.Seq, wl.Feat, wl.Hidden, p[0], p[1], p[2], p[3]), newDense(n, wl.Hidden, 10, p[4], p[5]))
	case "W4":
		add(newConv(n, 1, 32, 3, 1, 28, 28, p[0], p[1]), newReLU(n*32*784), newMaxPool(n*32, 28, 28))
		add(newConv(n, 32, 32, 3, 1, 14, 14, p[2], p[3]), newReLU(n*32*196), newMaxPool(n*32, 14, 14))
		add(newConv(n, 32, 32, 3, 1, 7, 7, p[4], p[5]), newReLU(n*32*49), newUpsample(n*32, 7, 7))
		add(newConv(n, 32, 32, 3, 1, 14, 14, p[6], p[7]), newReLU(n*32*196), newUpsample(n*32, 14, 14))
		add(newConv(n, 32, 1, 3, 1, 28, 28, p[8], p[9]))
		outSize = n * 784
	default:
		return nil, fmt.Errorf("unknown workload %q", w)
	}
	net := &Net{w: w, n: n, layers: ls, out: make([]float32, outSize), dz: make([]float32, outSize)}
	for _, l := range ls {
		ws, gs := l.params()
		net.ws, net.gs = append(net.ws, ws...), append(net.gs, gs...)
	}
	return net, nil
}

func (m *Net) forward(x []float32) []float32 {
	for _, l := range m.layers {
		x = l.forward(x)
	}
	return x
}

// Predict returns class probabilities (W1–W3) or the sigmoid reconstruction (W4).
func (m *Net) Predict(x []float32) []float32 {
	z := m.forward(x)
	if m.w == "W4" {
		for i, v := range z {
			m.out[i] = sigmoid(v)
		}
	} else {
		softmaxRows(z, m.out, m.n, 10)
	}
	return m.out
}

// TrainStep runs forward, the loss (softmax cross-entropy on labels, or binary
// cross-entropy against target for W4), backward and SGD with lr, and returns the loss
// before the update.
func (m *Net) TrainStep(x []float32, labels []int32, target []float32, lr float32) float32 {
	z := m.forward(x)
	var loss float32
	if m.w == "W4" {
		loss = sigmoidBCE(z, m.out, m.dz, target)
	} else {
		loss = softmaxCE(z, m.out, m.dz, labels, m.n)
	}
	for _, g := range m.gs {
		clear(g)
	}
	d := m.dz
	for i := len(m.layers) - 1; i >= 0; i-- {
		d = m.layers[i].backward(d, i > 0)
	}
	sgd(m.ws, m.gs, lr)
	return loss
}

// Setup is this engine's wl.Setup.
func Setup(w string, train bool, n int) (wl.Prepared, error) {
	m, err := New(w, n)
	if err != nil {
		return wl.Prepared{}, err
	}
	d := wl.MakeData(w)
	x := d.X[:n*wl.Sample(w)]
	if train {
		return wl.Prepared{Step: func() (float32, error) { return m.TrainStep(x, d.Labels, d.Target, wl.LR), nil }}, nil
	}
	return wl.Prepared{
		Step: func() (float32, error) { m.Predict(x); return 0, nil },
		Out:  func() []float32 { return m.out },
	}, nil
}
