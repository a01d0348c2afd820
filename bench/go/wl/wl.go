// Package wl holds the benchmark workloads W1–W4 (shared/WORKLOADS.md) for the Go
// engines of dlgen's benchmark: the seeded weights and inputs, in the same mulberry32
// streams as bench/js/common.js and bench/torch/bench.py, so that every engine computes
// the same function on the same numbers; and Run, the one benchmark driver every Go
// engine uses, so that they are timed alike.
package wl

import "math"

// Batch is each workload's batch size.
var Batch = map[string]int{"W1": 64, "W2": 64, "W3": 16, "W4": 32}

// Names lists the workloads in order.
var Names = []string{"W1", "W2", "W3", "W4"}

// The W3 sequence model's sizes.
const (
	Seq    = 32
	Feat   = 32
	Hidden = 64
)

// Stream is mulberry32 (Tommy Ettinger), the generator of the JS peers' weights.
type Stream struct{ s uint32 }

// NewStream starts a stream at seed.
func NewStream(seed uint32) *Stream { return &Stream{s: seed} }

// Next returns the next number in [0, 1).
func (r *Stream) Next() float64 {
	r.s += 0x6d2b79f5
	t := (r.s ^ r.s>>15) * (r.s | 1)
	t = (t + (t^t>>7)*(t|61)) ^ t
	return float64(t^t>>14) / 4294967296
}

// Uniform draws n values lo + (hi-lo)·u in float64, rounded to float32 as JS's
// Float32Array stores them.
func (r *Stream) Uniform(n int, lo, hi float64) []float32 {
	out := make([]float32, n)
	for i := range out {
		out[i] = float32(lo + (hi-lo)*r.Next())
	}
	return out
}

// Tensor is a named parameter: its shape and row-major data.
type Tensor struct {
	Name  string
	Shape []int
	Data  []float32
}

func size(shape []int) int {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return n
}

// KerasWeights returns workload w's parameters in Keras layout (dense [in,out], conv
// [kh,kw,cin,cout], LSTM kernel [in,4H] and recurrent kernel [H,4H] with gates i,f,c,o
// and one bias), in the order bench/js/common.js draws them.
func KerasWeights(w string) []Tensor {
	r := NewStream(map[string]uint32{"W1": 101, "W2": 202, "W3": 303, "W4": 404}[w])
	glorot := func(name string, shape []int, fanIn, fanOut int) Tensor {
		lim := math.Sqrt(6 / float64(fanIn+fanOut))
		return Tensor{name, shape, r.Uniform(size(shape), -lim, lim)}
	}
	bias := func(name string, n int) Tensor { return Tensor{name, []int{n}, r.Uniform(n, -0.05, 0.05)} }
	dense := func(name string, i, o int) []Tensor {
		return []Tensor{glorot(name+".kernel", []int{i, o}, i, o), bias(name+".bias", o)}
	}
	conv := func(name string, k, ci, co int) []Tensor {
		return []Tensor{glorot(name+".kernel", []int{k, k, ci, co}, k*k*ci, k*k*co), bias(name+".bias", co)}
	}
	var ps []Tensor
	add := func(t ...Tensor) { ps = append(ps, t...) }
	switch w {
	case "W1":
		add(dense("fc1", 784, 128)...)
		add(dense("fc2", 128, 10)...)
	case "W2":
		add(conv("conv1", 5, 1, 6)...)
		add(conv("conv2", 5, 6, 16)...)
		add(dense("fc1", 400, 120)...)
		add(dense("fc2", 120, 84)...)
		add(dense("fc3", 84, 10)...)
	case "W3":
		add(glorot("lstm.kernel", []int{Feat, 4 * Hidden}, Feat, 4*Hidden))
		add(glorot("lstm.recurrent", []int{Hidden, 4 * Hidden}, Hidden, 4*Hidden))
		add(bias("lstm.bias", 4*Hidden))
		add(dense("fc", Hidden, 10)...)
	case "W4":
		add(conv("c1", 3, 1, 32)...)
		add(conv("c2", 3, 32, 32)...)
		add(conv("c3", 3, 32, 32)...)
		add(conv("c4", 3, 32, 32)...)
		add(conv("c5", 3, 32, 1)...)
	}
	return ps
}

// TorchWeights returns the same parameters in PyTorch layout and order (Linear weight
// [out,in], conv OIHW; LSTM weight_ih [4H,F], weight_hh [4H,H], bias_ih, bias_hh = 0,
// gates i,f,g,o, which are Keras' i,f,c,o). W2's fc1 rows are permuted because Keras
// flattens the 16×5×5 feature map as HWC and PyTorch as CHW. Names are left empty.
func TorchWeights(w string) []Tensor {
	k := KerasWeights(w)
	var out []Tensor
	for i := 0; i < len(k); i++ {
		t := k[i]
		switch {
		case w == "W3" && i == 0: // kernel, recurrent, bias → four torch tensors
			out = append(out, transpose(k[0]), transpose(k[1]), k[2],
				Tensor{Shape: []int{4 * Hidden}, Data: make([]float32, 4*Hidden)})
			i = 2
		case len(t.Shape) == 4:
			out = append(out, KerasConvToOIHW(t))
		case len(t.Shape) == 2 && w == "W2" && i == 4:
			out = append(out, transpose(hwcRowsToCHW(t, 16, 25)))
		case len(t.Shape) == 2:
			out = append(out, transpose(t))
		default:
			out = append(out, Tensor{Shape: t.Shape, Data: t.Data})
		}
	}
	return out
}

func transpose(t Tensor) Tensor {
	r, c := t.Shape[0], t.Shape[1]
	d := make([]float32, r*c)
	for i := range r {
		for j := range c {
			d[j*r+i] = t.Data[i*c+j]
		}
	}
	return Tensor{Shape: []int{c, r}, Data: d}
}

// hwcRowsToCHW reorders the rows of a [hw·c, out] kernel from index s·c+ch to ch·hw+s.
func hwcRowsToCHW(t Tensor, c, hw int) Tensor {
	out := t.Shape[1]
	d := make([]float32, len(t.Data))
	for ch := range c {
		for s := range hw {
			copy(d[(ch*hw+s)*out:][:out], t.Data[(s*c+ch)*out:][:out])
		}
	}
	return Tensor{Shape: t.Shape, Data: d}
}

// KerasConvToOIHW converts a [kh,kw,cin,cout] kernel to [cout,cin,kh,kw].
func KerasConvToOIHW(t Tensor) Tensor {
	kh, kw, ci, co := t.Shape[0], t.Shape[1], t.Shape[2], t.Shape[3]
	d := make([]float32, len(t.Data))
	for y := range kh {
		for x := range kw {
			for i := range ci {
				for o := range co {
					d[((o*ci+i)*kh+y)*kw+x] = t.Data[((y*kw+x)*ci+i)*co+o]
				}
			}
		}
	}
	return Tensor{Shape: []int{co, ci, kh, kw}, Data: d}
}

// Data is one workload batch.
type Data struct {
	// X is the input: [B,784] (W1), [B,1,28,28] (W2, W4: with one channel NCHW and NHWC
	// are the same numbers), [B,Seq,Feat] (W3).
	X []float32
	// Labels are the classes of W1–W3; Target is W4's clean image [B,1,28,28].
	Labels []int32
	Target []float32
}

// Sample returns the size of one sample of X.
func Sample(w string) int {
	if w == "W3" {
		return Seq * Feat
	}
	return 784
}

// MakeData draws workload w's batch as bench/js/common.js does.
func MakeData(w string) Data {
	r := NewStream(map[string]uint32{"W1": 11, "W2": 22, "W3": 33, "W4": 44}[w])
	b := Batch[w]
	if w == "W4" {
		clean := r.Uniform(b*784, 0, 1)
		noisy := make([]float32, len(clean))
		for i, c := range clean {
			// Irwin–Hall(4) scaled to unit variance: a reproducible near-normal noise.
			g := (r.Next() + r.Next() + r.Next() + r.Next() - 2) * 1.7320508
			noisy[i] = float32(math.Min(1, math.Max(0, float64(c)+0.5*g)))
		}
		return Data{X: noisy, Target: clean}
	}
	lo := 0.0
	if w == "W3" {
		lo = -1
	}
	d := Data{X: r.Uniform(b*Sample(w), lo, 1), Labels: make([]int32, b)}
	for i := range d.Labels {
		d.Labels[i] = int32(math.Floor(r.Next() * 10))
	}
	return d
}

// OneHot returns labels as a [len, 10] one-hot matrix.
func OneHot(labels []int32) []float32 {
	out := make([]float32, len(labels)*10)
	for i, l := range labels {
		out[i*10+int(l)] = 1
	}
	return out
}

// Checksum weights each output by its position (1 + i mod 13): engines that computed
// different numbers disagree. bench/report.py compares it across engines.
func Checksum(out []float32) float64 {
	s := 0.0
	for i, v := range out {
		s += float64(v) * float64(1+i%13)
	}
	return s
}
