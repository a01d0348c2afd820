package codegen

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/dlgen/dlgen/models"
	"github.com/dlgen/dlgen/nn"
)

var fusionBench = flag.Bool("fusionbench", false, "measure fused against unfused generated code (W2, W4): go test ./codegen -run TestFusionSpeed -fusionbench -v")

// cpuTimeTest is added to each generated package: it runs Predict and TrainStep at
// MaxBatch and prints the process's CPU time (user + system) per call. CPU time,
// with GOMAXPROCS=1, measures the work done, which a busy machine does not inflate
// the way it inflates wall time.
const cpuTimeTest = `package %[1]s

import (
	"fmt"
	"syscall"
	"testing"

	"github.com/dlgen/dlgen/internal/gentest"
)

func cpuNanos() int64 {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return ru.Utime.Nano() + ru.Stime.Nano()
}

func TestCPUTime(t *testing.T) {
	const calls = 20
	m := New()
	in := gentest.Inputs(t, config, MaxBatch, 1)
	x, target := in.Float[%[2]q], %[3]s
	out := make([]float32, MaxBatch*%[4]d)
	for _, method := range []string{"Predict", "TrainStep"} {
		run := func() {
			var err error
			if method == "Predict" {
				err = m.Predict(MaxBatch, x, out)
			} else {
				_, err = m.TrainStep(MaxBatch, x, target)
			}
			if err != nil {
				t.Fatal(err)
			}
		}
		run()
		start := cpuNanos()
		for range calls {
			run()
		}
		fmt.Printf("CPU %%s %%d ns/op\n", method, (cpuNanos()-start)/calls)
	}
}
`

// TestFusionSpeed generates LeNet (W2) and ConvDAE (W4) with and without
// element-wise fusion (Options.NoFusion: every element-wise node its own loop and
// its own storage) and measures the CPU time of Predict and TrainStep at MaxBatch
// on one thread, in alternating rounds, keeping the best of each. It only measures
// (tests never assert timings) and runs only with -fusionbench; docs/PASSES.md
// records its output.
func TestFusionSpeed(t *testing.T) {
	if !*fusionBench {
		t.Skip("run with -fusionbench")
	}
	root, err := os.MkdirTemp("testdata", "_fusionbench")
	require.NoError(t, err)
	t.Cleanup(func() { os.RemoveAll(root) })
	type variant struct{ model, pkg string }
	var variants []variant
	for _, c := range []struct {
		name          string
		model         func() *nn.Model
		maxBatch      int
		input, target string
		target32      bool
		outElems      int
	}{
		{"lenet", models.LeNet, 64, "image", "label", false, 10},
		{"convdae", models.ConvDAE, 32, "noisy", "clean", true, 784},
	} {
		g, err := c.model().Build()
		require.NoError(t, err)
		for _, noFusion := range []bool{false, true} {
			pkg := c.name + map[bool]string{false: "fused", true: "unfused"}[noFusion]
			files, err := Generate(g, Options{Package: pkg, MaxBatch: c.maxBatch, Train: true, Tests: true, NoFusion: noFusion})
			require.NoError(t, err)
			target := fmt.Sprintf("in.Int[%q]", c.target)
			if c.target32 {
				target = fmt.Sprintf("in.Float[%q]", c.target)
			}
			files = append(files, File{Name: "cpu_test.go", Data: []byte(fmt.Sprintf(cpuTimeTest, pkg, c.input, target, c.outElems))})
			dir := filepath.Join(root, pkg)
			require.NoError(t, os.MkdirAll(dir, 0o755))
			for _, f := range files {
				require.NoError(t, os.WriteFile(filepath.Join(dir, f.Name), f.Data, 0o644))
			}
			variants = append(variants, variant{c.name, pkg})
		}
	}
	line := regexp.MustCompile(`(?m)^CPU (Predict|TrainStep) (\d+) ns/op`)
	best := map[string]float64{} // pkg/method → ns/op
	const rounds = 5
	for round := range rounds {
		for _, v := range variants {
			cmd := exec.Command("go", "test", "-count=1", "-v", "-run", "^TestCPUTime$", "./"+filepath.Join(root, v.pkg))
			cmd.Env = append(os.Environ(), "GOMAXPROCS=1")
			out, err := cmd.CombinedOutput()
			require.NoError(t, err, "%s", out)
			for _, m := range line.FindAllStringSubmatch(string(out), -1) {
				ns, _ := strconv.ParseFloat(m[2], 64)
				key := v.pkg + "/" + m[1]
				if b, ok := best[key]; !ok || ns < b {
					best[key] = ns
				}
			}
		}
		t.Logf("round %d/%d done", round+1, rounds)
	}
	for _, model := range []string{"lenet", "convdae"} {
		for _, method := range []string{"Predict", "TrainStep"} {
			f, u := best[model+"fused/"+method], best[model+"unfused/"+method]
			t.Logf("%-8s %-9s fused %8.3f ms  unfused %8.3f ms  unfused/fused %.3f", model, method, f/1e6, u/1e6, u/f)
		}
	}
}
