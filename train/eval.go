package train

import (
	"fmt"
	"math"

	"github.com/dlgen/dlgen/rt/data"
)

// Metrics summarise a model on a data set in inference mode.
type Metrics struct {
	N        int     // examples
	Loss     float64 // the model's loss, averaged over the examples (over the labels kept, if the model ignores some)
	Accuracy float64 // share of labels predicted right (per position for a tagger; the ignore index's left out); NaN unless a classifier
}

func (m Metrics) String() string {
	s := fmt.Sprintf("%d examples  loss %.4f", m.N, m.Loss)
	if !math.IsNaN(m.Accuracy) {
		s += fmt.Sprintf("  accuracy %.2f%%", 100*m.Accuracy)
	}
	return s
}

// Evaluate returns m's loss and (for a classifier) accuracy on d, in batches of
// batch examples (0: the model's MaxBatch). A reconstruction model gets d's inputs
// with Gaussian noise of the factor noise (see Config.Noise; drawn from seed and
// EvalNoiseStream) and is scored against the clean inputs.
func Evaluate(m Model, d *data.Dataset, batch int, noise float64, seed uint64) (Metrics, error) {
	spec, err := SpecOf(m)
	if err != nil {
		return Metrics{}, err
	}
	if batch == 0 {
		batch = spec.MaxBatch
	}
	if batch < 1 || batch > spec.MaxBatch {
		return Metrics{}, fmt.Errorf("-batch %d is outside [1, %d] (the model's MaxBatch)", batch, spec.MaxBatch)
	}
	if err := checkData(spec, d, "evaluation"); err != nil {
		return Metrics{}, err
	}
	in := d
	if noise > 0 {
		if spec.Task != Reconstruction {
			return Metrics{}, fmt.Errorf("-noise is for reconstruction models (autoencoders); %s is a %s model", spec.Name, spec.Task)
		}
		in = AddNoise(d, noise, seed, EvalNoiseStream)
	}
	return evaluate(m, spec, in, d, batch)
}

// evaluate runs in (the inputs) against clean (the targets of a reconstruction
// model; the same examples in the same order).
func evaluate(m Model, spec *Spec, in, clean *data.Dataset, batch int) (Metrics, error) {
	xs, err := in.Batches(batch, nil)
	if err != nil {
		return Metrics{}, err
	}
	ts, err := clean.Batches(batch, nil)
	if err != nil {
		return Metrics{}, err
	}
	met := Metrics{Accuracy: math.NaN()}
	var probs []float32
	correct, scored, weight := 0, 0, 0
	if spec.Task == Classification {
		probs = make([]float32, batch*spec.OutputSize())
	}
	var sum float64
	for b, ok := xs.Next(); ok; b, ok = xs.Next() {
		c, _ := ts.Next()
		var target []float32
		switch spec.Task {
		case Reconstruction:
			target = c.X
		case Regression:
			target = c.T
		}
		loss, err := m.LossBatch(b.N, b.X, b.Y, target)
		if err != nil {
			return Metrics{}, err
		}
		// As in Train: the mean over the examples, or over the labels kept.
		if w := lossWeight(spec, b.N, b.Y); w > 0 {
			sum += float64(loss) * float64(w)
			weight += w
		}
		met.N += b.N
		if spec.Task == Classification {
			p := probs[:b.N*spec.OutputSize()]
			if err := m.PredictBatch(b.N, b.X, p); err != nil {
				return Metrics{}, err
			}
			for i := range b.N * spec.Labels { // each position's scores and label
				if spec.ignored(b.Y[i]) {
					continue // padding: neither right nor wrong
				}
				scored++
				if Argmax(p[i*spec.Classes:(i+1)*spec.Classes]) == int(b.Y[i]) {
					correct++
				}
			}
		}
	}
	met.Loss = sum / float64(weight)
	if spec.Task == Classification {
		met.Accuracy = float64(correct) / float64(scored)
	}
	return met, nil
}

// Argmax returns the index of the largest value (the first of equals), or -1 for
// an empty slice. A NaN is never the largest.
func Argmax(p []float32) int {
	best := -1
	for i, v := range p {
		if best < 0 && !math.IsNaN(float64(v)) || best >= 0 && v > p[best] {
			best = i
		}
	}
	return best
}
