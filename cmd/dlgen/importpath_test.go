package main

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestImportPathJoinsTheModulePathAndTheDirectory(t *testing.T) {
	cases := []struct{ dir, want string }{
		{filepath.Join("..", "..", "generated", "mlp"), "github.com/dlgen/dlgen/generated/mlp"},
		{filepath.Join("..", "..", "generated", "not", "yet", "there"), "github.com/dlgen/dlgen/generated/not/yet/there"},
		{filepath.Join("..", ".."), "github.com/dlgen/dlgen"},
	}
	for _, c := range cases {
		t.Run(c.dir+" is "+c.want, func(t *testing.T) {
			got, err := importPath(c.dir)
			require.NoError(t, err)
			assert.Equal(t, c.want, got)
		})
	}
	t.Run("a directory outside any module has none", func(t *testing.T) {
		_, err := importPath(t.TempDir())
		require.Error(t, err)
		assert.Contains(t, err.Error(), "not inside a Go module")
	})
	t.Run("a path Go would not accept is refused", func(t *testing.T) {
		_, err := importPath(filepath.Join("..", "..", "generated", "a b"))
		require.Error(t, err)
		assert.Contains(t, err.Error(), "does not accept")
	})
}
