package codegen

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/dlgen/dlgen/internal/testmod"
	"github.com/dlgen/dlgen/internal/torchmodels"
)

// TestTheRandomTorchModelsMatchPyTorch generates the random models of
// testdata/torch/random_golden.json that the script lists under "generated" (a few
// that between them show every layer kind, padding form, option, activation and
// loss of all its models), adds to each package a test that runs
// torchmodels.CheckGeneratedRandom (PyTorch's parameters loaded through Params;
// Predict, Loss, one TrainStep's loss, gradients, SGD update and batch-norm
// statistics against PyTorch's values, 1e-4), and runs them with the generated
// tests against the interpreter. models' TestRandomModelsMatchPyTorch checks every
// random model in the interpreter.
func TestTheRandomTorchModelsMatchPyTorch(t *testing.T) {
	if testing.Short() {
		t.Skip("generates and tests a package per chosen random model")
	}
	set, err := torchmodels.LoadRandomGolden(filepath.Join(testmod.RepoRoot(t), torchmodels.RandomGoldenFile))
	require.NoError(t, err)
	configs := map[string]torchmodels.RandomConfig{}
	for _, c := range set.Models {
		configs[c.Name] = c.Config
	}
	root := modelsDir(t)
	var pkgs []string
	for _, name := range set.Generated {
		cfg, ok := configs[name]
		require.True(t, ok, "generated model %s is not in the set", name)
		g, err := cfg.Model(name).Build()
		require.NoError(t, err, name)
		if missing := missingEmitters(t, g); len(missing) > 0 {
			t.Errorf("%s: no emitter for %s", name, strings.Join(missing, ", "))
			continue
		}
		pkg := "rand_" + strings.SplitN(name, "_", 2)[0]
		dir := writePackage(t, root, pkg, g)
		src := fmt.Sprintf(`package %s

import (
	"testing"

	"github.com/dlgen/dlgen/internal/torchmodels"
)

// TestMatchesPyTorch compares the package with PyTorch's values for random model
// %q (see torchmodels.CheckGeneratedRandom).
func TestMatchesPyTorch(t *testing.T) {
	torchmodels.CheckGeneratedRandom(t, config, %q)
}
`, pkg, name, name)
		require.NoError(t, os.WriteFile(filepath.Join(dir, "torch_test.go"), []byte(src), 0o644))
		pkgs = append(pkgs, dir)
	}
	require.NotEmpty(t, pkgs)
	out := goCommand(t, append([]string{"test", "-count=1", "-v"}, pkgs...)...)
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(line, "ok ") || strings.HasPrefix(line, "--- FAIL") || strings.Contains(line, "largest error") {
			t.Log(line)
		}
	}
}
