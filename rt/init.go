package rt

import (
	"fmt"
	"math"
)

// Float is the element type of tensors: float32 in generated code, float64 in the
// reference interpreter.
type Float interface{ ~float32 | ~float64 }

// Fill sets every element of dst to v.
func Fill[T Float](dst []T, v T) {
	for i := range dst {
		dst[i] = v
	}
}

// InitParam fills dst from the initializer kind (the ir.Init* names) with the given
// fans, drawing from stream NameStream(name) under seed. Values are computed in
// float64 and then rounded, so float32 and float64 tensors hold the same numbers up to
// that rounding. The formulas are PyTorch's torch.nn.init ones (Glorot = Xavier,
// He = Kaiming with the ReLU gain, fan_in mode).
func InitParam[T Float](dst []T, kind string, fanIn, fanOut int, value float64, seed uint64, name string) error {
	stream := NameStream(name)
	uniform := func(bound float64) {
		for i := range dst {
			dst[i] = T((2*Uniform(seed, stream, uint64(i)) - 1) * bound)
		}
	}
	normal := func(std float64) {
		for i := range dst {
			dst[i] = T(Normal(seed, stream, uint64(i)) * std)
		}
	}
	needFans := func() error {
		if fanIn <= 0 || (fanOut <= 0 && (kind == "glorot_uniform" || kind == "glorot_normal")) {
			return fmt.Errorf("initializer %s of %q needs positive fans, got in=%d out=%d", kind, name, fanIn, fanOut)
		}
		return nil
	}
	switch kind {
	case "zeros":
		Fill(dst, 0)
	case "ones":
		Fill(dst, 1)
	case "const":
		Fill(dst, T(value))
	case "uniform":
		uniform(value)
	case "normal":
		normal(value)
	case "glorot_uniform", "glorot_normal", "he_uniform", "he_normal", "lecun_uniform", "lecun_normal":
		if err := needFans(); err != nil {
			return err
		}
		fi, fo := float64(fanIn), float64(fanOut)
		switch kind {
		case "glorot_uniform":
			uniform(math.Sqrt(6 / (fi + fo)))
		case "glorot_normal":
			normal(math.Sqrt(2 / (fi + fo)))
		case "he_uniform":
			uniform(math.Sqrt(6 / fi))
		case "he_normal":
			normal(math.Sqrt(2 / fi))
		case "lecun_uniform":
			uniform(math.Sqrt(3 / fi))
		case "lecun_normal":
			normal(math.Sqrt(1 / fi))
		}
	case "orthogonal":
		if fanIn <= 0 || len(dst)%fanIn != 0 {
			return fmt.Errorf("initializer orthogonal of %q needs fan_in dividing its %d elements, got %d", name, len(dst), fanIn)
		}
		orthogonal(dst, len(dst)/fanIn, fanIn, seed, stream)
	default:
		return fmt.Errorf("unknown initializer %q for %q", kind, name)
	}
	return nil
}

// orthogonal fills dst, a rows×cols matrix, with orthonormal columns (rows ≥ cols)
// or rows (rows < cols): the orthogonal initialization of Saxe et al. (2014), as
// torch.nn.init.orthogonal_ and Keras' Orthogonal compute it. They take Q of the QR
// decomposition of a standard normal matrix with the signs of R's diagonal made
// positive, which is exactly what Gram–Schmidt gives; it is done here in float64,
// re-orthogonalising each vector once ("twice is enough", Giraud et al., 2005).
func orthogonal[T Float](dst []T, rows, cols int, seed, stream uint64) {
	m, n := rows, cols // n vectors of length m ≥ n
	if rows < cols {
		m, n = cols, rows
	}
	a := make([]float64, m*n) // vector j is a[j*m : (j+1)*m]
	for i := range a {
		a[i] = Normal(seed, stream, uint64(i))
	}
	dot := func(x, y []float64) float64 {
		s := 0.0
		for i := range x {
			s += x[i] * y[i]
		}
		return s
	}
	for j := range n {
		v := a[j*m : (j+1)*m]
		for range 2 {
			for p := range j {
				q := a[p*m : (p+1)*m]
				d := dot(q, v)
				for i := range v {
					v[i] -= d * q[i]
				}
			}
		}
		norm := math.Sqrt(dot(v, v))
		for i := range v {
			v[i] /= norm
		}
	}
	for j := range n {
		for i := range m {
			if rows >= cols {
				dst[i*cols+j] = T(a[j*m+i]) // column j
			} else {
				dst[j*cols+i] = T(a[j*m+i]) // row j
			}
		}
	}
}
