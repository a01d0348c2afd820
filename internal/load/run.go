package load

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"go/format"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"text/template"
	"time"

	"github.com/dlgen/dlgen/ir"
)

// TempPrefix starts the name of the directory that holds the temporary program. The
// leading dot keeps it out of ./... patterns, so a concurrent `go vet ./...` or
// `go test ./...` never sees it.
const TempPrefix = ".dlgen-tmp-"

// result is what the temporary program reports for one constructor.
type result struct {
	Func  string          `json:"func"`
	Graph json.RawMessage `json:"graph,omitempty"`
	Error string          `json:"error,omitempty"`
}

// Run calls the constructors in a temporary program and returns their graphs, in the
// order of cs. dir is any directory inside the main module; the program is written
// under that module's root so that it resolves imports through the same go.mod.
func Run(dir string, cs []Constructor) ([]Model, error) {
	if len(cs) == 0 {
		return nil, nil
	}
	root, err := moduleRoot(dir)
	if err != nil {
		return nil, err
	}
	src, err := program(cs)
	if err != nil {
		return nil, err
	}

	// Cancelled on Ctrl-C or SIGTERM, which kills `go run`; the deferred RemoveAll then
	// still runs because the signal no longer ends the process.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	tmp, err := os.MkdirTemp(root, TempPrefix)
	if err != nil {
		return nil, fmt.Errorf("creating the temporary program: %w", err)
	}
	defer os.RemoveAll(tmp)

	mainFile := filepath.Join(tmp, "main.go")
	outFile := filepath.Join(tmp, "graphs.json")
	if err := os.WriteFile(mainFile, src, 0o644); err != nil {
		return nil, fmt.Errorf("writing the temporary program: %w", err)
	}
	rel, err := filepath.Rel(root, mainFile)
	if err != nil {
		return nil, err
	}
	// The graphs go to a file rather than stdout, so a constructor that prints does
	// not corrupt them.
	cmd := exec.CommandContext(ctx, "go", "run", "./"+filepath.ToSlash(rel), outFile)
	cmd.Dir = root
	var output bytes.Buffer
	cmd.Stdout, cmd.Stderr = &output, &output
	cmd.WaitDelay = 5 * time.Second
	killGroup(cmd)
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			return nil, errors.New("interrupted while running the model constructors")
		}
		msg := strings.TrimSpace(strings.ReplaceAll(output.String(), tmp+string(filepath.Separator), ""))
		return nil, fmt.Errorf("running the model constructors (go run in %s): %w\n%s", root, err, msg)
	}
	data, err := os.ReadFile(outFile)
	if err != nil {
		return nil, fmt.Errorf("the temporary program wrote no graphs: %w\n%s", err, output.String())
	}
	var rs []result
	if err := json.Unmarshal(data, &rs); err != nil {
		return nil, fmt.Errorf("reading the graphs from the temporary program: %w", err)
	}
	if len(rs) != len(cs) {
		return nil, fmt.Errorf("the temporary program returned %d results for %d constructors", len(rs), len(cs))
	}
	models := make([]Model, len(cs))
	var errs []error
	for i, c := range cs {
		r := rs[i]
		if r.Func != c.Func {
			return nil, fmt.Errorf("the temporary program returned %s where %s was expected", r.Func, c.Func)
		}
		if r.Error != "" {
			errs = append(errs, fmt.Errorf("model %s (%s): %s", c.Func, relPos(c.Pos.String()), r.Error))
			continue
		}
		g, err := ir.Decode(r.Graph)
		if err != nil {
			errs = append(errs, fmt.Errorf("model %s (%s): %w", c.Func, relPos(c.Pos.String()), err))
			continue
		}
		models[i] = Model{Constructor: c, Graph: g}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return models, nil
}

// moduleRoot returns the directory of the main module's go.mod as the go command
// sees it from dir (so GOFLAGS=-modfile and workspaces are honoured).
func moduleRoot(dir string) (string, error) {
	cmd := exec.Command("go", "env", "GOMOD")
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD in %s: %w: %s", dir, err, strings.TrimSpace(stderr.String()))
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return "", fmt.Errorf("%s is not inside a Go module; the model package must be part of one", dir)
	}
	return filepath.Dir(gomod), nil
}

// relPos shortens an absolute file:line:col to a path relative to the working
// directory when that is shorter, as the go command prints positions.
func relPos(pos string) string {
	wd, err := os.Getwd()
	if err != nil || !filepath.IsAbs(pos) {
		return pos
	}
	if r, err := filepath.Rel(wd, pos); err == nil && !strings.HasPrefix(r, "..") {
		return r
	}
	return pos
}

// program returns the source of the temporary main package.
func program(cs []Constructor) ([]byte, error) {
	type call struct{ Func, Alias string }
	var data struct {
		Imports map[string]string // import path → alias
		Calls   []call
	}
	data.Imports = map[string]string{}
	for _, c := range cs {
		alias, ok := data.Imports[c.PkgPath]
		if !ok {
			alias = fmt.Sprintf("p%d", len(data.Imports))
			data.Imports[c.PkgPath] = alias
		}
		data.Calls = append(data.Calls, call{Func: c.Func, Alias: alias})
	}
	var buf bytes.Buffer
	if err := programTmpl.Execute(&buf, data); err != nil {
		return nil, err
	}
	src, err := format.Source(buf.Bytes())
	if err != nil {
		return nil, fmt.Errorf("formatting the temporary program: %w\n%s", err, buf.Bytes())
	}
	return src, nil
}

var programTmpl = template.Must(template.New("main").Parse(`// Code generated by dlgen for one run of the model constructors; it is deleted when
// the run ends.
package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"runtime/debug"

	"github.com/dlgen/dlgen/ir"
{{range $path, $alias := .Imports}}
	{{$alias}} {{printf "%q" $path}}
{{- end}}
)

type result struct {
	Func  string          ` + "`json:\"func\"`" + `
	Graph json.RawMessage ` + "`json:\"graph,omitempty\"`" + `
	Error string          ` + "`json:\"error,omitempty\"`" + `
}

var errNil = errors.New("the constructor returned a nil *nn.Model")

// build runs one constructor and its Build, turning a panic into an error so that
// the other models are still reported.
func build(name string, f func() (*ir.Graph, error)) (r result) {
	r.Func = name
	defer func() {
		if v := recover(); v != nil {
			r.Graph = nil
			r.Error = fmt.Sprintf("panic: %v\n%s", v, debug.Stack())
		}
	}()
	g, err := f()
	if err != nil {
		r.Error = err.Error()
		return r
	}
	if g == nil {
		r.Error = "Build returned neither a graph nor an error"
		return r
	}
	data, err := ir.Encode(g)
	if err != nil {
		r.Error = err.Error()
		return r
	}
	r.Graph = data
	return r
}

func main() {
	results := []result{
{{- range .Calls}}
		build({{printf "%q" .Func}}, func() (*ir.Graph, error) {
			m := {{.Alias}}.{{.Func}}()
			if m == nil {
				return nil, errNil
			}
			return m.Build()
		}),
{{- end}}
	}
	data, err := json.Marshal(results)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if err := os.WriteFile(os.Args[1], data, 0o644); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
`))
