package codegen

import (
	"bytes"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/dlgen/dlgen/ir"
)

var update = flag.Bool("update", false, "rewrite the generated packages under testdata/")

// The end-to-end cases: each is generated into testdata/<pkg>/ (committed, so a
// change to the emitted code shows in review), and its own model_test.go compares it
// with the interpreter.
var cases = []struct {
	pkg      string
	graph    func() (*ir.Graph, error)
	maxBatch int
}{
	{"mlp", mlpGraph, 64},
	{"zoo", zooGraph, 16},
	{"bn1d", bn1dGraph, 4},
	{"ae", aeGraph, 8},
	{"nd", ndGraph, 8},
}

func generate(t *testing.T, build func() (*ir.Graph, error), pkg string, maxBatch int) []File {
	t.Helper()
	g, err := build()
	require.NoError(t, err)
	files, err := Generate(g, Options{Package: pkg, MaxBatch: maxBatch, Train: true, Tests: true})
	require.NoError(t, err)
	return files
}

func TestGeneratedPackagesAreUpToDate(t *testing.T) {
	for _, c := range cases {
		t.Run(c.pkg, func(t *testing.T) {
			files := generate(t, c.graph, c.pkg, c.maxBatch)
			dir := filepath.Join("testdata", c.pkg)
			if *update {
				require.NoError(t, os.RemoveAll(dir))
				require.NoError(t, os.MkdirAll(dir, 0o755))
				for _, f := range files {
					require.NoError(t, os.WriteFile(filepath.Join(dir, f.Name), f.Data, 0o644))
				}
				return
			}
			entries, err := os.ReadDir(dir)
			require.NoError(t, err, "run go test ./codegen -run TestGeneratedPackagesAreUpToDate -update")
			require.Len(t, entries, len(files), "files in %s", dir)
			for _, f := range files {
				want, err := os.ReadFile(filepath.Join(dir, f.Name))
				require.NoError(t, err)
				require.True(t, bytes.Equal(want, f.Data), "%s/%s is stale: run go test ./codegen -run TestGeneratedPackagesAreUpToDate -update", dir, f.Name)
			}
		})
	}
}

// TestGeneratedPackagesPassTheirTests builds and runs each generated package's own
// tests (comparison with the interpreter, zero allocations, argument errors) and
// go vet.
func TestGeneratedPackagesPassTheirTests(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go test on the generated packages")
	}
	for _, c := range cases {
		t.Run(c.pkg, func(t *testing.T) {
			pkg := "./" + filepath.Join("testdata", c.pkg)
			for _, args := range [][]string{{"vet", pkg}, {"test", "-count=1", pkg}} {
				out, err := exec.Command("go", args...).CombinedOutput()
				require.NoError(t, err, "go %v:\n%s", args, out)
			}
		})
	}
}
