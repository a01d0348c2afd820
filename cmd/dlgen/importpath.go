package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"

	"golang.org/x/mod/modfile"
	"golang.org/x/mod/module"
)

// importPath returns the import path that the package in dir will have: the path of
// the module holding dir (as the go command finds it from there, so GOFLAGS=-modfile
// and workspaces count) joined with dir's place in it. dir need not exist yet; its
// nearest existing ancestor decides the module.
func importPath(dir string) (string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	probe := abs
	for {
		if st, err := os.Stat(probe); err == nil && st.IsDir() {
			break
		}
		parent := filepath.Dir(probe)
		if parent == probe {
			return "", fmt.Errorf("no existing directory above %s", abs)
		}
		probe = parent
	}
	cmd := exec.Command("go", "env", "GOMOD")
	cmd.Dir = probe
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD in %s: %w: %s", probe, err, strings.TrimSpace(stderr.String()))
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return "", fmt.Errorf("%s is not inside a Go module, so its package has no import path for the command to use", dir)
	}
	data, err := os.ReadFile(gomod)
	if err != nil {
		return "", err
	}
	mod := modfile.ModulePath(data)
	if mod == "" {
		return "", fmt.Errorf("%s has no module line", gomod)
	}
	rel, err := filepath.Rel(filepath.Dir(gomod), abs)
	if err != nil || !filepath.IsLocal(rel) && rel != "." {
		return "", fmt.Errorf("%s is outside module %s (%s)", dir, mod, gomod)
	}
	p := path.Join(mod, filepath.ToSlash(rel))
	if err := module.CheckImportPath(p); err != nil {
		return "", fmt.Errorf("the package in %s would have the import path %q, which Go does not accept: %w", dir, p, err)
	}
	return p, nil
}
