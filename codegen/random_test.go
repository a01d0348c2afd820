package codegen

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/dlgen/dlgen/internal/randgraph"
	"github.com/dlgen/dlgen/ir"
)

// randomGraphs is how many random graphs of each mode TestRandomGraphsMatchTheInterpreter
// generates code for.
const randomGraphs = 10

// TestRandomGraphsMatchTheInterpreter generates packages for random graphs of every
// primitive op (internal/randgraph: odd shapes, unbatched values, transposed
// products, masks and running statistics) and runs their generated tests.
func TestRandomGraphsMatchTheInterpreter(t *testing.T) {
	if testing.Short() {
		t.Skip("generates and tests a package per random graph")
	}
	root, err := os.MkdirTemp("testdata", "_random")
	require.NoError(t, err)
	t.Cleanup(func() { os.RemoveAll(root) })
	var pkgs []string
	for _, mode := range []string{ir.ModeInfer, ir.ModeTrain} {
		for seed := uint64(0); seed < randomGraphs; seed++ {
			g, err := randgraph.New(seed, mode)
			require.NoError(t, err)
			// A lowered graph without macro ops is also a valid user graph.
			g.Mode = ""
			if refusesBatchOne(g) {
				// Training refuses n = 1 here, and the interpreter runs the whole graph,
				// running statistics included, for Predict and Loss too.
				continue
			}
			pkg := fmt.Sprintf("%s%d", mode, seed)
			files, err := Generate(g, Options{Package: pkg, MaxBatch: randgraph.MaxBatch, Train: g.Loss >= 0, Tests: true})
			require.NoError(t, err, pkg)
			dir := filepath.Join(root, pkg)
			require.NoError(t, os.MkdirAll(dir, 0o755))
			for _, f := range files {
				require.NoError(t, os.WriteFile(filepath.Join(dir, f.Name), f.Data, 0o644))
			}
			pkgs = append(pkgs, "./"+dir)
		}
	}
	for _, args := range [][]string{append([]string{"vet"}, pkgs...), append([]string{"test", "-count=1"}, pkgs...)} {
		out, err := exec.Command("go", args...).CombinedOutput()
		require.NoError(t, err, "go %s:\n%s", args[0], out)
	}
}

// refusesBatchOne reports an unbiased running update over one value per channel at
// n = 1, which training (and the interpreter) refuses.
func refusesBatchOne(g *ir.Graph) bool {
	for _, n := range g.Nodes {
		if n.Op != ir.OpRunningUpdate || !n.Attrs.Unbiased {
			continue
		}
		if x := g.Nodes[n.Inputs[2]].Shape; x.Elems()/x[1] < 2 {
			return true
		}
	}
	return false
}
