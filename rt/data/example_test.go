package data_test

import (
	"fmt"

	"github.com/dlgen/dlgen/rt/data"
)

// Training on the MNIST subset shipped with the repository: a seeded split, then one
// epoch of shuffled batches. For the full set, pass data.FindGoMNIST()'s directory.
func Example() {
	train, test, err := data.MNIST("../../testdata/mnist")
	if err != nil {
		panic(err)
	}
	train, val, err := train.Split(0.1, 1)
	if err != nil {
		panic(err)
	}
	fmt.Println(train.Len(), val.Len(), test.Len(), train.Shape, train.Classes())

	const epoch = 0
	batches, err := train.Batches(64, data.Permutation(train.Len(), 42, epoch))
	if err != nil {
		panic(err)
	}
	n, last := 0, 0
	for b, ok := batches.Next(); ok; b, ok = batches.Next() {
		n++
		last = b.N // b.X holds b.N*784 pixels, b.Y the b.N labels
	}
	fmt.Println(n, "batches, the last of", last)
	// Output:
	// 1800 200 500 [1 28 28] 10
	// 29 batches, the last of 8
}
