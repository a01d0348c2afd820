package safetensors_test

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/dlgen/dlgen/rt"
	"github.com/dlgen/dlgen/rt/safetensors"
)

// Saving a model's weights and loading them back into another model of the same
// shape; a model of another shape gets one error naming every mismatch.
func Example() {
	dir, _ := os.MkdirTemp("", "weights")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "mlp.safetensors")

	params := []rt.Tensor{
		{Name: "fc.weight", Shape: []int{2, 3}, Data: []float32{1, 2, 3, 4, 5, 6}},
		{Name: "fc.bias", Shape: []int{2}, Data: []float32{0.5, -0.5}},
	}
	if err := safetensors.Save(path, params, map[string]string{"format": "pt"}); err != nil {
		panic(err)
	}

	other := []rt.Tensor{
		{Name: "fc.weight", Shape: []int{2, 3}, Data: make([]float32, 6)},
		{Name: "fc.bias", Shape: []int{2}, Data: make([]float32, 2)},
	}
	if _, err := safetensors.Load(path, other); err != nil {
		panic(err)
	}
	fmt.Println(other[0].Data, other[1].Data)

	wrong := []rt.Tensor{
		{Name: "fc.weight", Shape: []int{3, 2}, Data: make([]float32, 6)},
		{Name: "fc2.bias", Shape: []int{2}, Data: make([]float32, 2)},
	}
	_, err := safetensors.Load(path, wrong)
	fmt.Println(err != nil, len(err.(*safetensors.MismatchError).Problems))
	// Output:
	// [1 2 3 4 5 6] [0.5 -0.5]
	// true 3
}
