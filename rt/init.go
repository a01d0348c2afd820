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
	default:
		return fmt.Errorf("unknown initializer %q for %q", kind, name)
	}
	return nil
}
