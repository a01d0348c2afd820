package train_test

import (
	"fmt"
	"path/filepath"

	"github.com/dlgen/dlgen/generated/mlp"
	"github.com/dlgen/dlgen/rt/data"
	"github.com/dlgen/dlgen/train"
)

// Training a generated model from Go: the MLP on the MNIST subset in testdata/mnist,
// with Nesterov momentum and a cosine schedule, then its test accuracy.
func ExampleTrain() {
	trainSet, testSet, err := data.MNIST(filepath.Join("..", "testdata", "mnist"))
	if err != nil {
		panic(err)
	}
	trainSet, valSet, err := trainSet.Split(0.1, 1)
	if err != nil {
		panic(err)
	}
	m := mlp.New()
	res, err := train.Train(m, trainSet, valSet, train.Config{
		Optimizer: "nesterov", Hyper: train.Hyper{LR: train.Float(0.05)},
		Schedule: "cosine", Epochs: 3, Batch: 64, Seed: 1,
	})
	if err != nil {
		panic(err)
	}
	met, err := train.Evaluate(m, testSet, 0, 0, 0)
	if err != nil {
		panic(err)
	}
	fmt.Printf("%d epochs, %d steps; %d test examples, accuracy above 85%%: %v\n",
		len(res.History), res.Steps, met.N, met.Accuracy > 0.85)
	// Output:
	// 3 epochs, 87 steps; 500 test examples, accuracy above 85%: true
}
