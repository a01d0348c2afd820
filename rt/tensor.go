package rt

// Tensor is a named float32 tensor in row-major order. Generated models return their
// parameters, gradients and optimizer state as Tensors whose Data are views of the
// model's own storage: writing to Data changes the model (that is how weights are
// loaded).
type Tensor struct {
	Name  string
	Shape []int
	Data  []float32
}

// Elems is the number of elements the shape holds.
func (t Tensor) Elems() int {
	n := 1
	for _, d := range t.Shape {
		n *= d
	}
	return n
}
