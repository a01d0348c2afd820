// Package e2e tests dlgen the way a user meets it, in the style of wire's and
// stringer's end-to-end tests: a fresh module with a model constructor and a
// //go:generate line, `go generate`, `go build`, run the program, and compare what it
// computed with the reference interpreter.
package e2e

import (
	"encoding/json"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/dlgen/dlgen/internal/testmod"
	"github.com/dlgen/dlgen/ir"
	"github.com/dlgen/dlgen/ir/interp"
	"github.com/dlgen/dlgen/passes"
)

// The user's model: a small convolutional classifier with batch norm and dropout, so
// that inference and training differ.
//
// Its directive is assembled from two strings: a line of this file that began with
// the directive itself would be run by `go generate ./...` in this repository.
const modelSrc = `package tiny

import "github.com/dlgen/dlgen/nn"

` + "//go:" + `generate go run github.com/dlgen/dlgen/cmd/dlgen generate -model Tiny -out ../tinygen -max-batch 8

// Tiny classifies 2×6×6 images into 5 classes.
//
//dlgen:model
func Tiny() *nn.Model {
	m := nn.New("tiny", nn.Seed(3))
	x := m.Input("image", 2, 6, 6)
	y := m.Labels("label")
	h := x.Conv2D("conv", 4, nn.K(3), nn.Same).BatchNorm("bn").Relu("relu").MaxPool2D("pool", nn.K(2))
	h = h.Flatten("flat").Dropout("drop", 0.25)
	logits := h.Dense("fc", 5)
	m.Output("probs", logits.Softmax("probs"))
	m.Loss(nn.SparseCategoricalCrossEntropy("loss", logits, y, nn.FromLogits))
	return m
}
`

// The user's program: it initializes the generated model from a seed, predicts,
// evaluates and takes two training steps, and prints what it got.
const mainSrc = `package main

import (
	"encoding/json"
	"os"

	"example.com/user/tinygen"
)

func main() {
	m := tinygen.New()
	if err := m.Init(7); err != nil {
		panic(err)
	}
	const n = 3
	image := make([]float32, n*2*6*6)
	for i := range image {
		image[i] = float32((i*37)%23)/11 - 1
	}
	label := []int32{4, 0, 2}
	probs := make([]float32, n*5)
	if err := m.Predict(n, image, probs); err != nil {
		panic(err)
	}
	loss, err := m.Loss(n, image, label)
	if err != nil {
		panic(err)
	}
	var train []float32
	for step := 0; step < 2; step++ {
		l, err := m.TrainStep(n, image, label)
		if err != nil {
			panic(err)
		}
		train = append(train, l)
	}
	_ = json.NewEncoder(os.Stdout).Encode(map[string]any{
		"graph": tinygen.GraphJSON(), "image": image, "label": label,
		"probs": probs, "loss": loss, "train": train,
	})
}
`

type result struct {
	Graph string    `json:"graph"`
	Image []float64 `json:"image"`
	Label []float64 `json:"label"`
	Probs []float64 `json:"probs"`
	Loss  float64   `json:"loss"`
	Train []float64 `json:"train"`
}

// Float32 against float64: the same tolerance as the generated packages' own tests.
const tol = 1e-4

func TestGenerateBuildRunAndCompareWithTheInterpreter(t *testing.T) {
	root := testmod.UserModule(t, map[string]string{"tiny/model.go": modelSrc, "main.go": mainSrc})

	run(t, root, "go", "generate", "./...")
	for _, f := range []string{"model.go", "predict.go", "train.go", "graph.json"} {
		require.FileExists(t, filepath.Join(root, "tinygen", f), "go generate did not write %s", f)
	}
	run(t, root, "go", "build", "-o", "tinyprog", ".")
	out := run(t, root, filepath.Join(root, "tinyprog"))

	var got result
	require.NoError(t, json.Unmarshal([]byte(out), &got))
	g, err := ir.Decode([]byte(got.Graph))
	require.NoError(t, err)

	n := len(got.Label)
	feeds := map[string]*interp.Tensor{
		"image": interp.FromData(got.Image, n, 2, 6, 6),
		"label": interp.FromData(got.Label, n),
	}

	// Inference: Predict and Loss against the graph lowered for inference.
	infer, err := passes.Lower(g, ir.ModeInfer)
	require.NoError(t, err)
	mi, err := interp.New(infer, 7)
	require.NoError(t, err)
	vals, err := mi.Run(feeds)
	require.NoError(t, err)
	probs := vals[infer.Outputs[0].ID].Data
	require.Len(t, got.Probs, len(probs))
	for i := range probs {
		require.InDelta(t, probs[i], got.Probs[i], tol, "probs[%d]", i)
	}
	require.InDelta(t, vals[infer.Loss].Data[0], got.Loss, tol*math.Max(1, math.Abs(got.Loss)), "inference loss")

	// Training: TrainStep returns the loss of the training-mode forward pass (batch
	// statistics, dropout mask of step 0) before its update.
	trainG, err := passes.Lower(g, ir.ModeTrain)
	require.NoError(t, err)
	mt, err := interp.New(trainG, 7)
	require.NoError(t, err)
	tv, err := mt.Run(feeds)
	require.NoError(t, err)
	want := tv[trainG.Loss].Data[0]
	require.InDelta(t, want, got.Train[0], tol*math.Max(1, math.Abs(want)), "first training-step loss")
	require.Less(t, got.Train[1], got.Train[0], "the second step should see a lower loss after one SGD step on the same batch")
}

func run(t *testing.T, dir, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	require.NoError(t, err, "%s %s: %s", name, strings.Join(args, " "), stderr.String())
	return string(out)
}
