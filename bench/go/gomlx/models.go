// Package gomlxpeer is W1–W4 in GoMLX (github.com/gomlx/gomlx v0.26.0) on its pure-Go
// backend, simplego: graphs built from GoMLX's layers (Dense, Convolution) and graph ops
// in channels-last layout, which takes the Keras-layout seeded weights of bench/go/wl
// as they are; training is GoMLX's autodiff and its SGD optimizer. What the backend
// cannot do (the convolution gradient in v0.26) is reported by the benchmark as a
// failure, not worked around.
package gomlxpeer

import (
	"fmt"
	"strings"

	"dlgenbench/wl"
	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/backends/simplego"
	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:revive // GoMLX code is written against the dot-import
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/ml/layers"
	"github.com/gomlx/gomlx/pkg/ml/layers/activations"
	"github.com/gomlx/gomlx/pkg/ml/train/losses"
	"github.com/gomlx/gomlx/pkg/ml/train/optimizers"
)

// newContext returns a context whose variables hold workload w's seeded weights, in the
// scopes and under the names ("weights", "biases") that layers.Dense and
// layers.Convolution look up, so the layers use them instead of initializing their own.
func newContext(w string) *context.Context {
	ctx := context.New().Checked(false)
	set := func(scope string, t wl.Tensor, name string) {
		c := ctx
		for _, s := range strings.Split(scope, "/") {
			c = c.In(s)
		}
		c.VariableWithValue(name, tensors.FromFlatDataAndDimensions(append([]float32(nil), t.Data...), t.Shape...))
	}
	k := wl.KerasWeights(w)
	if w == "W3" {
		// One kernel per gate (i, f, g, o: Keras' i, f, c, o), so that the graph never
		// slices a variable (whose gradient needs Pad, which simplego v0.26 lacks).
		H := wl.Hidden
		for gi, gate := range []string{"i", "f", "g", "o"} {
			cols := func(t wl.Tensor) wl.Tensor {
				rows := t.Shape[0]
				d := make([]float32, rows*H)
				for r := range rows {
					copy(d[r*H:(r+1)*H], t.Data[r*4*H+gi*H:])
				}
				return wl.Tensor{Shape: []int{rows, H}, Data: d}
			}
			set("lstm_"+gate, cols(k[0]), "wx")
			set("lstm_"+gate, cols(k[1]), "wh")
			// Two biases per gate, as PyTorch: SGD moves their sum twice as far as one.
			set("lstm_"+gate, wl.Tensor{Shape: []int{H}, Data: k[2].Data[gi*H : (gi+1)*H]}, "b")
			set("lstm_"+gate, wl.Tensor{Shape: []int{H}, Data: make([]float32, H)}, "b2")
		}
		set("fc/dense", k[3], "weights")
		set("fc/dense", k[4], "biases")
		return ctx
	}
	for i := 0; i < len(k); i += 2 {
		sub := "dense" // layers.Dense and layers.Convolution open these sub-scopes
		if len(k[i].Shape) == 4 {
			sub = "conv"
		}
		set(fmt.Sprintf("l%d", i/2)+"/"+sub, k[i], "weights")
		set(fmt.Sprintf("l%d", i/2)+"/"+sub, k[i+1], "biases")
	}
	return ctx
}

func maxPool(x *Node) *Node { return MaxPool(x).Window(2).Done() }

// upsample2 is ×2 nearest-neighbour upsampling of [B,H,W,C] by broadcasting.
func upsample2(x *Node) *Node {
	d := x.Shape().Dimensions
	x = Reshape(x, d[0], d[1], 1, d[2], 1, d[3])
	return Reshape(BroadcastToDims(x, d[0], d[1], 2, d[2], 2, d[3]), d[0], 2*d[1], 2*d[2], d[3])
}

// forward returns logits (W1–W3) or W4's pre-sigmoid image, from x in NHWC (W2, W4),
// [B,784] (W1) or [B,T,F] (W3).
func forward(w string, ctx *context.Context, x *Node) *Node {
	dense := func(i int, x *Node, out int) *Node { return layers.Dense(ctx.In(fmt.Sprintf("l%d", i)), x, true, out) }
	conv := func(i int, x *Node, ch, k int, same bool) *Node {
		c := layers.Convolution(ctx.In(fmt.Sprintf("l%d", i)), x).Channels(ch).KernelSize(k)
		if same {
			c = c.PadSame()
		} else {
			c = c.NoPadding()
		}
		return c.Done()
	}
	relu := activations.Relu
	switch w {
	case "W1":
		return dense(1, relu(dense(0, x, 128)), 10)
	case "W2":
		b := x.Shape().Dimensions[0]
		h := maxPool(relu(conv(0, x, 6, 5, true)))
		h = maxPool(relu(conv(1, h, 16, 5, false)))
		h = Reshape(h, b, 400) // HWC order, as the Keras fc1 kernel
		return dense(4, relu(dense(3, relu(dense(2, h, 120)), 84)), 10)
	case "W3":
		return layers.Dense(ctx.In("fc"), lstm(ctx, x), true, 10)
	default:
		h := maxPool(relu(conv(0, x, 32, 3, true)))
		h = maxPool(relu(conv(1, h, 32, 3, true)))
		h = upsample2(relu(conv(2, h, 32, 3, true)))
		h = upsample2(relu(conv(3, h, 32, 3, true)))
		return conv(4, h, 1, 3, true)
	}
}

// lstm unrolls the LSTM over the sequence from matmuls, one weight set per gate.
func lstm(ctx *context.Context, x *Node) *Node {
	g := x.Graph()
	d := x.Shape().Dimensions
	b, steps, f := d[0], d[1], d[2]
	type gate struct{ wx, wh, b, b2 *Node }
	gates := make([]gate, 4)
	for i, name := range []string{"i", "f", "g", "o"} {
		c := ctx.In("lstm_" + name)
		gates[i] = gate{
			wx: c.GetVariable("wx").ValueGraph(g),
			wh: c.GetVariable("wh").ValueGraph(g),
			b:  ExpandAxes(c.GetVariable("b").ValueGraph(g), 0),
			b2: ExpandAxes(c.GetVariable("b2").ValueGraph(g), 0),
		}
	}
	h := ZerosLike(MatMul(Reshape(Slice(x, AxisRange(), AxisElem(0), AxisRange()), b, f), gates[0].wx))
	c := h
	for t := range steps {
		xt := Reshape(Slice(x, AxisRange(), AxisElem(t), AxisRange()), b, f)
		pre := func(k gate) *Node { return Add(Add(Add(MatMul(xt, k.wx), k.b), MatMul(h, k.wh)), k.b2) }
		i, fg, u, o := Sigmoid(pre(gates[0])), Sigmoid(pre(gates[1])), Tanh(pre(gates[2])), Sigmoid(pre(gates[3]))
		c = Add(Mul(fg, c), Mul(i, u))
		h = Mul(o, Tanh(c))
	}
	return h
}

// backend returns a simplego backend. W3's graph (hundreds of small ops) deadlocked
// the default parallel op scheduler of v0.26 in the peers' runs, so it runs ops
// sequentially (matmuls still use the worker pool).
func backend(w string) (backends.Backend, error) {
	if w == "W3" {
		return simplego.New("ops_sequential")
	}
	return simplego.New("")
}

func guard(f func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%v", r)
		}
	}()
	return f()
}

// Setup is this engine's wl.Setup.
func Setup(w string, train bool, n int) (wl.Prepared, error) {
	be, err := backend(w)
	if err != nil {
		return wl.Prepared{}, err
	}
	d := wl.MakeData(w)
	dims := map[string][]int{"W1": {n, 784}, "W2": {n, 28, 28, 1}, "W3": {n, wl.Seq, wl.Feat}, "W4": {n, 28, 28, 1}}[w]
	x := tensors.FromFlatDataAndDimensions(d.X[:n*wl.Sample(w)], dims...)
	ctx := newContext(w)
	var p wl.Prepared
	if !train {
		exec, err := context.NewExec(be, ctx, func(ctx *context.Context, x *Node) *Node {
			z := forward(w, ctx, x)
			if w == "W4" {
				return Sigmoid(z)
			}
			return Softmax(z, -1)
		})
		if err != nil {
			return p, err
		}
		var out []float32
		p.Step = func() (float32, error) {
			return 0, guard(func() error {
				r, err := exec.Exec(x)
				if err != nil {
					return err
				}
				err = tensors.ConstFlatData(r[0], func(flat []float32) { out = append(out[:0], flat...) })
				if err != nil {
					return err
				}
				return r[0].FinalizeAll()
			})
		}
		p.Out = func() []float32 { return out }
		return p, nil
	}
	var y *tensors.Tensor
	if w == "W4" {
		y = tensors.FromFlatDataAndDimensions(d.Target, dims...)
	} else {
		y = tensors.FromFlatDataAndDimensions(d.Labels[:n], n, 1)
	}
	opt := optimizers.StochasticGradientDescent().WithDecay(false).WithLearningRate(float64(wl.LR)).Done()
	exec, err := context.NewExec(be, ctx, func(ctx *context.Context, x, y *Node) *Node {
		ctx.SetTraining(x.Graph(), true)
		z := forward(w, ctx, x)
		var loss *Node
		if w == "W4" {
			loss = losses.BinaryCrossentropy([]*Node{y}, []*Node{Sigmoid(z)})
		} else {
			loss = ReduceAllMean(losses.SparseCategoricalCrossEntropyLogits([]*Node{y}, []*Node{z}))
		}
		opt.UpdateGraph(ctx, x.Graph(), loss)
		return loss
	})
	if err != nil {
		return p, err
	}
	p.Step = func() (loss float32, err error) {
		err = guard(func() error {
			r, err := exec.Exec(x, y)
			if err != nil {
				return err
			}
			loss = tensors.ToScalar[float32](r[0])
			return r[0].FinalizeAll()
		})
		return loss, err
	}
	return p, nil
}
