package load

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dlgen/dlgen/internal/testmod"
	"github.com/dlgen/dlgen/ir"
)

const goodPkg = `package good

import "github.com/dlgen/dlgen/nn"

// Small is a one-layer classifier.
//
//dlgen:model
func Small() *nn.Model {
	m := nn.New("small")
	x := m.Input("x", 4)
	m.Output("y", x.Dense("fc", 3))
	return m
}

// Helper returns a model but is not marked, so it is not a constructor.
func Helper() *nn.Model { return nn.New("helper") }
`

const wrongPkg = `package wrong

import "github.com/dlgen/dlgen/nn"

//dlgen:model
func TakesArg(n int) *nn.Model { return nn.New("a") }

//dlgen:model
func ReturnsInt() int { return 0 }

//dlgen:model
func ReturnsTwo() (*nn.Model, error) { return nil, nil }

//dlgen:model
func unexported() *nn.Model { return nil }

type S struct{}

//dlgen:model
func (S) Method() *nn.Model { return nil }

// Fine is well formed, but the package as a whole is still rejected.
//
//dlgen:model
func Fine() *nn.Model { return nn.New("fine") }
`

const failingPkg = `package failing

import (
	"fmt"

	"github.com/dlgen/dlgen/nn"
)

//dlgen:model
func Broken() *nn.Model {
	fmt.Println("constructors may print; the graphs do not go through stdout")
	m := nn.New("broken")
	x := m.Input("x", 1, 4, 4)
	m.Output("y", x.Conv2D("conv1", 2, nn.K(5, 5)))
	return m
}

//dlgen:model
func Panics() *nn.Model { panic("model bug") }

//dlgen:model
func Nil() *nn.Model { return nil }
`

func tempDirs(t *testing.T, root string) []string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(root, TempPrefix+"*"))
	require.NoError(t, err)
	return m
}

func TestFind(t *testing.T) {
	root := testmod.UserModule(t, map[string]string{
		"good/good.go":   goodPkg,
		"wrong/wrong.go": wrongPkg,
	})

	t.Run("finds marked functions and ignores unmarked ones", func(t *testing.T) {
		cs, err := Find(root, []string{"./good"})
		require.NoError(t, err)
		require.Len(t, cs, 1)
		assert.Equal(t, "Small", cs[0].Func)
		assert.Equal(t, "example.com/user/good", cs[0].PkgPath)
		assert.Equal(t, 8, cs[0].Pos.Line)
	})

	t.Run("reports every badly formed constructor with its position and what is wrong", func(t *testing.T) {
		_, err := Find(root, []string{"./wrong"})
		require.Error(t, err)
		msg := err.Error()
		for _, want := range []string{
			"wrong.go:6:1: TakesArg: takes 1 parameter(s); the signature must be func() *nn.Model",
			"wrong.go:9:1: ReturnsInt: returns int; the signature must be func() *nn.Model",
			"wrong.go:12:1: ReturnsTwo: returns (*nn.Model, error); the signature must be func() *nn.Model",
			"wrong.go:15:1: unexported: is not exported, so the generator cannot call it; rename it to Unexported",
			"wrong.go:20:1: Method: //dlgen:model is a method; it must be a top-level function",
		} {
			assert.Contains(t, msg, want)
		}
		assert.NotContains(t, msg, "Fine")
	})

	t.Run("reports a package that does not compile", func(t *testing.T) {
		bad := testmod.UserModule(t, map[string]string{"p/p.go": "package p\n\nfunc F() int { return \"x\" }\n"})
		_, err := Find(bad, []string{"./p"})
		require.Error(t, err)
		assert.Contains(t, err.Error(), "p.go:3")
	})
}

func TestSelect(t *testing.T) {
	cs := []Constructor{{Func: "MLP", PkgPath: "a"}, {Func: "LeNet", PkgPath: "a"}, {Func: "MLP", PkgPath: "b"}}
	tests := []struct {
		name    string
		names   []string
		want    []Constructor
		wantErr string
	}{
		{name: "no names keeps every constructor", want: cs},
		{name: "names keep their order and match in every package", names: []string{"LeNet", "MLP"}, want: []Constructor{cs[1], cs[0], cs[2]}},
		{name: "a repeated name is kept once", names: []string{"LeNet", "LeNet"}, want: []Constructor{cs[1]}},
		{name: "an unknown name lists the available constructors", names: []string{"Helper"}, wantErr: "no model constructor named Helper; the marked ones are: MLP, LeNet"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Select(cs, tt.names)
			if tt.wantErr != "" {
				require.EqualError(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
	t.Run("no constructor at all is an error that says how to mark one", func(t *testing.T) {
		_, err := Select(nil, nil)
		require.Error(t, err)
		assert.Contains(t, err.Error(), "//dlgen:model")
	})
}

// TestRun runs `go run`, which compiles the user's package: about a second with a
// warm build cache (go test has just built ir and nn), 11 s with an empty one. That
// is cheap enough to run under -short too, so CI checks the real loader.
func TestRun(t *testing.T) {
	root := testmod.UserModule(t, map[string]string{
		"good/good.go":       goodPkg,
		"failing/failing.go": failingPkg,
	})

	t.Run("a marked model comes back as its verified graph", func(t *testing.T) {
		ms, err := Load(filepath.Join(root, "good"), nil, nil)
		require.NoError(t, err)
		require.Len(t, ms, 1)
		g := ms[0].Graph
		assert.Equal(t, "Small", ms[0].Func)
		assert.Equal(t, "small", g.Name)
		require.Len(t, g.Outputs, 1)
		assert.Equal(t, ir.Shape{ir.Batch, 3}, g.Nodes[g.Outputs[0].ID].Shape)
		assert.NotNil(t, g.ByName("fc.weight"))
		assert.Empty(t, tempDirs(t, root), "the temporary program is removed")
	})

	t.Run("Models asks for an unmarked function by name and is told which exist", func(t *testing.T) {
		_, err := Models(root, []string{"./good"}, []string{"Helper"})
		require.EqualError(t, err, "no model constructor named Helper; the marked ones are: Small")
	})

	t.Run("a failing Build, a panic and a nil model are each reported with the model's name", func(t *testing.T) {
		_, err := Models(root, []string{"./failing"}, nil)
		require.Error(t, err)
		msg := err.Error()
		assert.Contains(t, msg, "model Broken (")
		assert.Contains(t, msg, "failing.go:10:1): ")
		assert.Contains(t, msg, "conv1 (Conv2D)")
		assert.Contains(t, msg, "model Panics (")
		assert.Contains(t, msg, "panic: model bug")
		assert.Contains(t, msg, "model Nil (")
		assert.Contains(t, msg, "returned a nil *nn.Model")
		assert.Empty(t, tempDirs(t, root), "the temporary program is removed after a failure too")
	})

	t.Run("only the named constructors run", func(t *testing.T) {
		// Broken would fail; naming only Small from both packages must succeed.
		gs, err := Models(root, []string{"./..."}, []string{"Small"})
		require.NoError(t, err)
		require.Len(t, gs, 1)
		assert.Equal(t, "small", gs[0].Name)
	})
}

func TestModuleRoot(t *testing.T) {
	t.Run("a directory outside any module is an error", func(t *testing.T) {
		dir := t.TempDir()
		t.Setenv("GO111MODULE", "on")
		t.Setenv("GOFLAGS", "")
		_, err := moduleRoot(dir)
		require.Error(t, err)
		assert.Contains(t, err.Error(), "not inside a Go module")
	})
}

func TestProgram(t *testing.T) {
	t.Run("each package is imported once under its own alias", func(t *testing.T) {
		src, err := program([]Constructor{{Func: "A", PkgPath: "x/p"}, {Func: "B", PkgPath: "x/q"}, {Func: "C", PkgPath: "x/p"}})
		require.NoError(t, err)
		s := string(src)
		assert.Equal(t, 1, strings.Count(s, `"x/p"`))
		assert.Contains(t, s, `p0 "x/p"`)
		assert.Contains(t, s, `p1 "x/q"`)
		assert.Contains(t, s, "m := p0.C()")
		assert.Contains(t, s, "m := p1.B()")
	})
}
