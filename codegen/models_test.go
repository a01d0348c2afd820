package codegen

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/dlgen/dlgen/ir"
	"github.com/dlgen/dlgen/models"
	"github.com/dlgen/dlgen/nn"
	"github.com/dlgen/dlgen/passes"
)

// exampleModels are the models of package models. Those with an op that has no
// emitter yet are skipped (and named in the log), so each one joins the test as soon
// as its emitters land.
var exampleModels = []struct {
	pkg   string
	model func() *nn.Model
}{
	{"mlp", models.MLP}, {"lenet", models.LeNet}, {"convdae", models.ConvDAE}, {"allops", models.AllOps},
	{"lstm", models.LSTM}, {"bigru", models.BiGRU},
	{"undercomplete", models.UndercompleteAE}, {"sparsel1", models.SparseL1AE}, {"sparsekl", models.SparseKLAE},
	{"contractive", models.ContractiveAE}, {"denoising", models.DenoisingAE}, {"maskingdae", models.MaskingDAE},
	{"convae", models.ConvAE}, {"convtransposeae", models.ConvTransposeAE}, {"vae", models.VAE}, {"vaedecoder", models.VAEDecoder},
}

// missingEmitters returns the ops of g's compiled graphs that have no emitter.
func missingEmitters(t *testing.T, g *ir.Graph) []string {
	seen := map[string]bool{}
	var missing []string
	for _, mode := range []string{ir.ModeInfer, ir.ModeTrain} {
		if mode == ir.ModeTrain && g.Loss < 0 {
			continue
		}
		cg, err := passes.Compile(g, mode, passes.Config{})
		require.NoError(t, err)
		for _, n := range cg.Nodes {
			if _, ok := Emitters[n.Op]; !ok && n.Op != ir.OpInput && n.Op != ir.OpParam && !seen[n.Op] {
				seen[n.Op] = true
				missing = append(missing, n.Op)
			}
		}
	}
	return missing
}

// TestTheExampleModelsMatchTheInterpreter generates every example model into a
// temporary directory inside the module and runs its generated tests.
func TestTheExampleModelsMatchTheInterpreter(t *testing.T) {
	if testing.Short() {
		t.Skip("generates and tests a package per example model")
	}
	root, err := os.MkdirTemp("testdata", "_models")
	require.NoError(t, err)
	t.Cleanup(func() { os.RemoveAll(root) })
	var pkgs []string
	for _, em := range exampleModels {
		g, err := em.model().Build()
		require.NoError(t, err, em.pkg)
		if missing := missingEmitters(t, g); len(missing) > 0 {
			t.Logf("skipping %s: no emitter yet for %s", em.pkg, strings.Join(missing, ", "))
			continue
		}
		files, err := Generate(g, Options{Package: em.pkg, MaxBatch: 16, Train: g.Loss >= 0, Tests: true})
		require.NoError(t, err, em.pkg)
		dir := filepath.Join(root, em.pkg)
		require.NoError(t, os.MkdirAll(dir, 0o755))
		for _, f := range files {
			require.NoError(t, os.WriteFile(filepath.Join(dir, f.Name), f.Data, 0o644))
		}
		pkgs = append(pkgs, "./"+dir)
	}
	require.NotEmpty(t, pkgs)
	for _, args := range [][]string{append([]string{"vet"}, pkgs...), append([]string{"test", "-count=1"}, pkgs...)} {
		out, err := exec.Command("go", args...).CombinedOutput()
		require.NoError(t, err, "go %s:\n%s", args[0], out)
	}
}
