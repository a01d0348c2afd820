// Package load finds the model constructors in a user's Go package and runs them to
// get their IR graphs.
//
// A model exists only once the user's builder calls have run, so static analysis
// cannot see it. Like ent's entc, load therefore works in two steps:
//
//  1. It type-checks the user's packages with golang.org/x/tools/go/packages and
//     finds every top-level function whose doc comment has a //dlgen:model line,
//     checking that its signature is func() *nn.Model.
//  2. It writes a tiny main package into a fresh directory .dlgen-tmp-XXXX under the
//     module root (so it imports the user's package through the same go.mod), runs it
//     with `go run`, and reads back the graphs it wrote as JSON. The directory is
//     removed whatever happens, also when the user interrupts.
package load

import (
	"errors"
	"fmt"
	"go/ast"
	"go/token"
	"go/types"
	"slices"
	"strings"

	"golang.org/x/tools/go/packages"

	"github.com/dlgen/dlgen/ir"
)

const (
	// Directive marks a model constructor. It must be a line of its own in the
	// function's doc comment, written without a space after "//" as Go directives are.
	Directive = "//dlgen:model"

	nnPath    = "github.com/dlgen/dlgen/nn"
	modelType = "Model"
)

// Constructor is a function marked with //dlgen:model.
type Constructor struct {
	Func    string         // function name, e.g. "LeNet"
	PkgPath string         // import path of its package
	Pos     token.Position // where the function is declared
}

func (c Constructor) String() string { return c.PkgPath + "." + c.Func }

// Model is a constructor and the graph its Build returned.
type Model struct {
	Constructor
	Graph *ir.Graph
}

// Models loads the packages matching patterns (default ".") relative to dir, runs the
// model constructors among them and returns their graphs. With names, only the
// constructors with those function names run, in that order, and a name that matches
// none is an error that lists the ones there are.
func Models(dir string, patterns []string, names []string) ([]*ir.Graph, error) {
	ms, err := Load(dir, patterns, names)
	if err != nil {
		return nil, err
	}
	gs := make([]*ir.Graph, len(ms))
	for i, m := range ms {
		gs[i] = m.Graph
	}
	return gs, nil
}

// Load is Models, keeping the constructor each graph came from.
func Load(dir string, patterns []string, names []string) ([]Model, error) {
	cs, err := Find(dir, patterns)
	if err != nil {
		return nil, err
	}
	cs, err = Select(cs, names)
	if err != nil {
		return nil, err
	}
	return Run(dir, cs)
}

// Find type-checks the packages matching patterns and returns their model
// constructors in source order. Every marked function with the wrong shape is
// reported, each with its position and what is wrong with it.
func Find(dir string, patterns []string) ([]Constructor, error) {
	if len(patterns) == 0 {
		patterns = []string{"."}
	}
	cfg := &packages.Config{
		Mode: packages.NeedName | packages.NeedFiles | packages.NeedSyntax |
			packages.NeedTypes | packages.NeedTypesInfo | packages.NeedModule,
		Dir: dir,
	}
	pkgs, err := packages.Load(cfg, patterns...)
	if err != nil {
		return nil, fmt.Errorf("loading %s: %w", strings.Join(patterns, " "), err)
	}
	if len(pkgs) == 0 {
		return nil, fmt.Errorf("no Go package matches %s", strings.Join(patterns, " "))
	}
	var errs []error
	for _, p := range pkgs {
		for _, e := range p.Errors {
			errs = append(errs, e)
		}
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("loading %s: %w", strings.Join(patterns, " "), errors.Join(errs...))
	}
	var cs []Constructor
	for _, p := range pkgs {
		for _, f := range p.Syntax {
			for _, decl := range f.Decls {
				fd, ok := decl.(*ast.FuncDecl)
				if !ok || !hasDirective(fd.Doc) {
					continue
				}
				c := Constructor{Func: fd.Name.Name, PkgPath: p.PkgPath, Pos: p.Fset.Position(fd.Pos())}
				if err := check(p, fd); err != nil {
					errs = append(errs, fmt.Errorf("%s: %s: %w", relPos(c.Pos.String()), c.Func, err))
					continue
				}
				cs = append(cs, c)
			}
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return cs, nil
}

// hasDirective reports whether the doc comment has a line that is exactly the
// directive (trailing spaces aside).
func hasDirective(doc *ast.CommentGroup) bool {
	if doc == nil {
		return false
	}
	for _, c := range doc.List {
		if strings.TrimRight(c.Text, " \t") == Directive {
			return true
		}
	}
	return false
}

// check says what keeps fd from being called as a model constructor by another
// package, or returns nil.
func check(p *packages.Package, fd *ast.FuncDecl) error {
	want := "the signature must be func() *nn.Model"
	if fd.Recv != nil {
		return fmt.Errorf("%s is a method; it must be a top-level function", Directive)
	}
	if p.Name == "main" {
		return fmt.Errorf("package main cannot be imported; move the constructor to a library package")
	}
	if !fd.Name.IsExported() {
		return fmt.Errorf("is not exported, so the generator cannot call it; rename it to %s",
			strings.ToUpper(fd.Name.Name[:1])+fd.Name.Name[1:])
	}
	fn, ok := p.TypesInfo.Defs[fd.Name].(*types.Func)
	if !ok {
		return fmt.Errorf("has no type information")
	}
	sig := fn.Type().(*types.Signature)
	if sig.TypeParams().Len() > 0 {
		return fmt.Errorf("is generic; %s", want)
	}
	if sig.Params().Len() > 0 {
		return fmt.Errorf("takes %d parameter(s); %s", sig.Params().Len(), want)
	}
	if sig.Results().Len() != 1 || !isModelPtr(sig.Results().At(0).Type()) {
		return fmt.Errorf("returns %s; %s", results(sig), want)
	}
	return nil
}

func isModelPtr(t types.Type) bool {
	ptr, ok := types.Unalias(t).(*types.Pointer)
	if !ok {
		return false
	}
	named, ok := types.Unalias(ptr.Elem()).(*types.Named)
	if !ok {
		return false
	}
	obj := named.Obj()
	return obj.Pkg() != nil && obj.Pkg().Path() == nnPath && obj.Name() == modelType
}

func results(sig *types.Signature) string {
	r := sig.Results()
	if r.Len() == 0 {
		return "nothing"
	}
	parts := make([]string, r.Len())
	for i := range r.Len() {
		parts[i] = types.TypeString(r.At(i).Type(), (*types.Package).Name)
	}
	if len(parts) == 1 {
		return parts[0]
	}
	return "(" + strings.Join(parts, ", ") + ")"
}

// Select keeps the constructors named in names, in that order. No names keeps all.
// A name may match constructors in several packages; all of them are kept.
func Select(cs []Constructor, names []string) ([]Constructor, error) {
	if len(cs) == 0 {
		return nil, fmt.Errorf("no function is marked %s (a model constructor is a func() *nn.Model with a %s line in its doc comment)", Directive, Directive)
	}
	if len(names) == 0 {
		return cs, nil
	}
	var out []Constructor
	var unknown []string
	for _, name := range names {
		found := false
		for _, c := range cs {
			if c.Func == name {
				found = true
				if !slices.Contains(out, c) {
					out = append(out, c)
				}
			}
		}
		if !found {
			unknown = append(unknown, name)
		}
	}
	if len(unknown) > 0 {
		var avail []string
		for _, c := range cs {
			if !slices.Contains(avail, c.Func) {
				avail = append(avail, c.Func)
			}
		}
		return nil, fmt.Errorf("no model constructor named %s; the marked ones are: %s",
			strings.Join(unknown, ", "), strings.Join(avail, ", "))
	}
	return out, nil
}
