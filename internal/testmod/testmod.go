// Package testmod writes throwaway Go modules that use dlgen the way a user's project
// does (through a replace directive to this checkout), for tests that run the go
// command on them.
package testmod

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// RepoRoot walks up from the test's working directory to dlgen's go.mod.
func RepoRoot(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	require.NoError(t, err)
	for {
		data, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil && strings.Contains(string(data), "module github.com/dlgen/dlgen\n") {
			return dir
		}
		parent := filepath.Dir(dir)
		require.NotEqual(t, dir, parent, "no dlgen go.mod above the working directory")
		dir = parent
	}
}

// UserModule writes module example.com/user into a temporary directory, with the
// given files (path → source), a go.mod that requires dlgen through a replace
// directive to this checkout, and dlgen's go.sum; it returns the module's root.
func UserModule(t testing.TB, files map[string]string) string {
	t.Helper()
	repo := RepoRoot(t)
	goMod, err := os.ReadFile(filepath.Join(repo, "go.mod"))
	require.NoError(t, err)
	goLine := "go 1.26"
	for _, l := range strings.Split(string(goMod), "\n") {
		if strings.HasPrefix(l, "go ") {
			goLine = l
		}
	}
	sum, err := os.ReadFile(filepath.Join(repo, "go.sum"))
	require.NoError(t, err)
	root := t.TempDir()
	all := map[string]string{
		"go.mod": "module example.com/user\n\n" + goLine + "\n\nrequire github.com/dlgen/dlgen v0.0.0\n\nreplace github.com/dlgen/dlgen => " + repo + "\n",
		"go.sum": string(sum),
	}
	for name, src := range files {
		all[name] = src
	}
	for name, src := range all {
		path := filepath.Join(root, name)
		require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
		require.NoError(t, os.WriteFile(path, []byte(src), 0o644))
	}
	return root
}
