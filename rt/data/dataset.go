// Package data loads training data for dlgen-generated models: IDX (MNIST), CSV and
// NPY files into an in-memory Dataset, with deterministic shuffling, batching and
// train/validation splits. It depends only on the standard library and rt, and never
// fetches anything from the network: MNIST comes from the Go module cache (see
// FindGoMNIST) or from files the user provides.
//
// Every reader treats its input as hostile: sizes claimed by a header are checked
// against the data actually present before memory is committed to them, and a bad
// file is an error naming the file (and the line and column for CSV), never a panic.
package data

import (
	"fmt"
	"math/bits"
	"slices"

	"github.com/dlgen/dlgen/rt"
)

// Dataset is a set of examples held in memory, example-major: example i's features
// are X[i*Size() : (i+1)*Size()], laid out row-major in Shape (NCHW for images, so
// an MNIST example has Shape [1 28 28]).
type Dataset struct {
	X     []float32
	Shape []int // shape of one example, without the batch dimension
	// Y holds class labels, LabelSize per example (nil if the data has none): one
	// per example, or one per step of a sequence tagger's example.
	Y []int32
	// LabelSize is the number of labels per example; 0 means 1.
	LabelSize int
	// T holds float targets for regression, TargetSize per example (nil if none).
	T          []float32
	TargetSize int
}

// Size is the number of features of one example (the product of Shape).
func (d *Dataset) Size() int {
	n := 1
	for _, s := range d.Shape {
		n *= s
	}
	return n
}

// Len is the number of examples.
func (d *Dataset) Len() int {
	if s := d.Size(); s > 0 {
		return len(d.X) / s
	}
	return 0
}

// Validate checks that the fields agree with each other.
func (d *Dataset) Validate() error {
	for _, s := range d.Shape {
		if s <= 0 {
			return fmt.Errorf("dataset: example shape %v has a dimension < 1", d.Shape)
		}
	}
	size := d.Size()
	if len(d.X)%size != 0 {
		return fmt.Errorf("dataset: %d features is not a whole number of %v examples", len(d.X), d.Shape)
	}
	n := len(d.X) / size
	if d.LabelSize < 0 {
		return fmt.Errorf("dataset: label size %d < 0", d.LabelSize)
	}
	if d.Y != nil && len(d.Y) != n*d.Labels() {
		return fmt.Errorf("dataset: %d labels for %d examples of %d labels", len(d.Y), n, d.Labels())
	}
	if d.T != nil {
		if d.TargetSize < 1 || len(d.T) != n*d.TargetSize {
			return fmt.Errorf("dataset: %d targets for %d examples of target size %d", len(d.T), n, d.TargetSize)
		}
	}
	return nil
}

// Labels is the number of labels per example (LabelSize, at least 1).
func (d *Dataset) Labels() int { return max(1, d.LabelSize) }

// Classes returns one more than the largest label (the number of classes if labels
// are 0..k-1), or 0 without labels.
func (d *Dataset) Classes() int {
	m := int32(-1)
	for _, y := range d.Y {
		m = max(m, y)
	}
	return int(m) + 1
}

// Subset returns a new dataset holding copies of the examples at idx, in that order.
func (d *Dataset) Subset(idx []int) (*Dataset, error) {
	n, size := d.Len(), d.Size()
	out := &Dataset{Shape: slices.Clone(d.Shape), TargetSize: d.TargetSize, LabelSize: d.LabelSize, X: make([]float32, 0, len(idx)*size)}
	ls := d.Labels()
	if d.Y != nil {
		out.Y = make([]int32, 0, len(idx)*ls)
	}
	if d.T != nil {
		out.T = make([]float32, 0, len(idx)*d.TargetSize)
	}
	for _, i := range idx {
		if i < 0 || i >= n {
			return nil, fmt.Errorf("dataset: index %d out of range [0, %d)", i, n)
		}
		out.X = append(out.X, d.X[i*size:(i+1)*size]...)
		if d.Y != nil {
			out.Y = append(out.Y, d.Y[i*ls:(i+1)*ls]...)
		}
		if d.T != nil {
			out.T = append(out.T, d.T[i*d.TargetSize:(i+1)*d.TargetSize]...)
		}
	}
	return out, nil
}

// Streams of the counter-based generator (rt.Bits) used here, so that a shuffle and
// a split with the same seed are unrelated.
var (
	shuffleStream = rt.NameStream("data.shuffle")
	splitStream   = rt.NameStream("data.split")
)

// Permutation returns a random permutation of 0..n-1 that depends only on (n, seed,
// epoch): the same arguments give the same order on every machine and Go version,
// and each epoch of one seed gets its own order.
func Permutation(n int, seed, epoch uint64) []int {
	return permute(n, seed, shuffleStream+epoch)
}

// permute is the Fisher–Yates shuffle (Knuth, TAOCP vol. 2, Algorithm 3.4.2P), with
// j drawn uniformly from [0, i] by Lemire's multiply-and-reject method ("Fast random
// integer generation in an interval", 2019), so there is no modulo bias.
func permute(n int, seed, stream uint64) []int {
	p := make([]int, n)
	for i := range p {
		p[i] = i
	}
	var counter uint64
	for i := n - 1; i > 0; i-- {
		bound := uint64(i + 1)
		threshold := -bound % bound // 2^64 mod bound
		for {
			hi, lo := bits.Mul64(rt.Bits(seed, stream, counter), bound)
			counter++
			if lo >= threshold {
				p[i], p[hi] = p[hi], p[i]
				break
			}
		}
	}
	return p
}

// Split divides the examples into a training and a validation set, taking a random
// valFraction of them (rounded to nearest) for validation. It depends only on the
// seed, and both parts keep the original order of their examples. Neither part may
// be empty.
func (d *Dataset) Split(valFraction float64, seed uint64) (train, val *Dataset, err error) {
	if err := d.Validate(); err != nil {
		return nil, nil, err
	}
	n := d.Len()
	if !(valFraction > 0 && valFraction < 1) {
		return nil, nil, fmt.Errorf("dataset: validation fraction %v is not in (0, 1)", valFraction)
	}
	nVal := int(valFraction*float64(n) + 0.5)
	if nVal < 1 || nVal >= n {
		return nil, nil, fmt.Errorf("dataset: validation fraction %v of %d examples leaves an empty part", valFraction, n)
	}
	p := permute(n, seed, splitStream)
	vi, ti := p[:nVal], p[nVal:]
	slices.Sort(vi)
	slices.Sort(ti)
	if train, err = d.Subset(ti); err != nil {
		return nil, nil, err
	}
	if val, err = d.Subset(vi); err != nil {
		return nil, nil, err
	}
	return train, val, nil
}

// Batch is a run of examples copied contiguously, ready for a model's batched input.
// Its slices belong to the Batcher and are overwritten by the next call to Next.
type Batch struct {
	X     []float32 // N*Size() features
	Y     []int32   // N·Labels() labels, or nil
	T     []float32 // N*TargetSize targets, or nil
	N     int       // examples in this batch; the last batch of an epoch may be short
	Index []int     // the dataset index of each example (a view of the order: do not modify)
}

// Batcher yields the batches of one pass over a dataset in a given order. Next does
// not allocate: batches reuse buffers sized for a full batch.
type Batcher struct {
	d     *Dataset
	size  int
	order []int
	pos   int
	x     []float32
	y     []int32
	t     []float32
}

// Batches returns a Batcher over d with batches of batchSize examples, the last one
// possibly shorter, visiting examples in order (a permutation of 0..Len()-1, such as
// one from Permutation), or in dataset order if order is nil.
func (d *Dataset) Batches(batchSize int, order []int) (*Batcher, error) {
	if err := d.Validate(); err != nil {
		return nil, err
	}
	if batchSize < 1 {
		return nil, fmt.Errorf("dataset: batch size %d < 1", batchSize)
	}
	b := &Batcher{d: d, size: batchSize, x: make([]float32, batchSize*d.Size())}
	if d.Y != nil {
		b.y = make([]int32, batchSize*d.Labels())
	}
	if d.T != nil {
		b.t = make([]float32, batchSize*d.TargetSize)
	}
	if err := b.Reset(order); err != nil {
		return nil, err
	}
	return b, nil
}

// Reset starts a new pass in the given order (nil for dataset order), for example a
// new epoch's Permutation.
func (b *Batcher) Reset(order []int) error {
	n := b.d.Len()
	if order == nil {
		order = make([]int, n)
		for i := range order {
			order[i] = i
		}
	} else {
		if len(order) != n {
			return fmt.Errorf("dataset: order has %d indices for %d examples", len(order), n)
		}
		seen := make([]bool, n)
		for _, i := range order {
			if i < 0 || i >= n || seen[i] {
				return fmt.Errorf("dataset: order is not a permutation of 0..%d (index %d)", n-1, i)
			}
			seen[i] = true
		}
	}
	b.order, b.pos = order, 0
	return nil
}

// Len is the number of batches in a pass, the short last one included.
func (b *Batcher) Len() int { return (len(b.order) + b.size - 1) / b.size }

// Next returns the next batch, or false when the pass is over.
func (b *Batcher) Next() (Batch, bool) {
	if b.pos >= len(b.order) {
		return Batch{}, false
	}
	idx := b.order[b.pos:min(b.pos+b.size, len(b.order))]
	b.pos += len(idx)
	d, size, ts := b.d, b.d.Size(), b.d.TargetSize
	out := Batch{N: len(idx), Index: idx, X: b.x[:len(idx)*size]}
	for k, i := range idx {
		copy(out.X[k*size:(k+1)*size], d.X[i*size:(i+1)*size])
	}
	if b.y != nil {
		ls := d.Labels()
		out.Y = b.y[:len(idx)*ls]
		for k, i := range idx {
			copy(out.Y[k*ls:(k+1)*ls], d.Y[i*ls:(i+1)*ls])
		}
	}
	if b.t != nil {
		out.T = b.t[:len(idx)*ts]
		for k, i := range idx {
			copy(out.T[k*ts:(k+1)*ts], d.T[i*ts:(i+1)*ts])
		}
	}
	return out, true
}
