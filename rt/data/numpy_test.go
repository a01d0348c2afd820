package data

import (
	"archive/zip"
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The .npz files in testdata were written by numpy (testdata/gen_npy.py).

// setBytes is arange(12)·20 as uint8, x_train of set_compressed.npz.
func setBytes() []byte {
	b := make([]byte, 12)
	for i := range b {
		b[i] = byte(20 * i)
	}
	return b
}

func TestNumPySetsWrittenByNumpyLoad(t *testing.T) {
	t.Run("np.savez_compressed", func(t *testing.T) {
		path := filepath.Join("testdata", "set_compressed.npz")
		require.True(t, IsNumPySet(path))
		s, err := ReadNumPySet(path)
		require.NoError(t, err)
		assert.Equal(t, []int{3, 2, 2}, s.XTrain.Shape)
		assert.Equal(t, setBytes(), s.XTrain.Uint8())
		assert.Equal(t, 3, s.XTrain.Count())
		assert.Equal(t, []int{2, 2}, s.XTrain.ItemShape())
		y, err := s.YTrain.Int64()
		require.NoError(t, err)
		assert.Equal(t, []int64{2, 0, 1}, y)
		assert.Equal(t, setBytes()[:8], s.XTest.Uint8())
		y, err = s.YTest.Int64()
		require.NoError(t, err)
		assert.Equal(t, []int64{1, 2}, y)
		assert.Equal(t, "|u1 array of shape (3, 2, 2)", s.XTrain.String())
		assert.Equal(t, "<i8 array of shape (3,)", s.YTrain.String())
	})
	t.Run("np.savez without y arrays", func(t *testing.T) {
		s, err := ReadNumPySet(filepath.Join("testdata", "set_plain.npz"))
		require.NoError(t, err)
		assert.Nil(t, s.YTrain)
		assert.Nil(t, s.YTest)
		assert.Nil(t, s.XTrain.Uint8(), "a float array has no bytes view")
		want := make([]float32, 12)
		for i, b := range setBytes() {
			want[i] = float32(b) / 8
		}
		assert.Equal(t, want, s.XTrain.Float32())
		assert.Equal(t, []int{1, 2, 2}, s.XTest.Shape)
		assert.Equal(t, "<f8", s.XTest.Descr)
	})
}

// writeNPZ writes members (name → NPY bytes) as a zip archive.
func writeNPZ(t *testing.T, path string, members map[string][]byte, order ...string) {
	t.Helper()
	var buf bytes.Buffer
	z := zip.NewWriter(&buf)
	for _, name := range order {
		w, err := z.Create(name)
		require.NoError(t, err)
		_, err = w.Write(members[name])
		require.NoError(t, err)
	}
	require.NoError(t, z.Close())
	require.NoError(t, os.WriteFile(path, buf.Bytes(), 0o644))
}

func npyBytes(t *testing.T, shape []int, v []float32) []byte {
	t.Helper()
	var b bytes.Buffer
	require.NoError(t, WriteNPY(&b, shape, v))
	return b.Bytes()
}

func TestNumPySetFromADirectoryOfNPYFiles(t *testing.T) {
	dir := t.TempDir()
	assert.False(t, IsNumPySet(dir))
	x := npyBytes(t, []int{2, 3}, []float32{1, 2, 3, 4, 5, 6})
	require.NoError(t, os.WriteFile(filepath.Join(dir, "x_train.npy"), x, 0o644))
	require.True(t, IsNumPySet(dir))
	_, err := ReadNumPySet(dir)
	require.Error(t, err)
	assert.Contains(t, err.Error(), dir)
	assert.Contains(t, err.Error(), "no x_test array")

	require.NoError(t, os.WriteFile(filepath.Join(dir, "x_test.npy"), x, 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "y_train.npy"), npyBytes(t, []int{2}, []float32{0, 1}), 0o644))
	s, err := ReadNumPySet(dir)
	require.NoError(t, err)
	assert.Equal(t, []float32{1, 2, 3, 4, 5, 6}, s.XTest.Float32())
	assert.Equal(t, []float32{0, 1}, s.YTrain.Float32())
	assert.Nil(t, s.YTest)

	// x_test.npy and x_test.npy.gz at once is ambiguous.
	require.NoError(t, os.WriteFile(filepath.Join(dir, "x_test.npy.gz"), x, 0o644))
	_, err = ReadNumPySet(dir)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "x_test.npy and x_test.npy.gz")
}

func TestBadNumPySetsAreErrorsNamingTheFile(t *testing.T) {
	dir := t.TempDir()
	x := npyBytes(t, []int{2, 3}, []float32{1, 2, 3, 4, 5, 6})
	cases := []struct {
		name    string
		members map[string][]byte
		order   []string
		want    string
	}{
		{"no x_test", map[string][]byte{"x_train.npy": x}, []string{"x_train.npy"}, "no x_test array"},
		{"a misnamed member", map[string][]byte{"x_train.npy": x, "X_test.npy": x}, []string{"x_train.npy", "X_test.npy"}, `member "X_test.npy" is not one of`},
		{"a member twice", map[string][]byte{"x_train.npy": x, "x_train": x}, []string{"x_train.npy", "x_train"}, "appears twice"},
		{"a truncated member", map[string][]byte{"x_train.npy": x[:len(x)-3], "x_test.npy": x}, []string{"x_train.npy", "x_test.npy"}, ":x_train"},
		{"a member that is no NPY", map[string][]byte{"x_train.npy": []byte("hello"), "x_test.npy": x}, []string{"x_train.npy", "x_test.npy"}, ":x_train"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(dir, "bad.npz")
			writeNPZ(t, path, c.members, c.order...)
			_, err := ReadNumPySet(path)
			require.Error(t, err)
			assert.Contains(t, err.Error(), path)
			assert.Contains(t, err.Error(), c.want)
		})
	}

	t.Run("a cut archive", func(t *testing.T) {
		b, err := os.ReadFile(filepath.Join("testdata", "set_compressed.npz"))
		require.NoError(t, err)
		path := filepath.Join(dir, "cut.npz")
		require.NoError(t, os.WriteFile(path, b[:len(b)/2], 0o644))
		_, err = ReadNumPySet(path)
		require.Error(t, err)
		assert.Contains(t, err.Error(), path)
	})
	t.Run("a corrupted member fails its checksum", func(t *testing.T) {
		var buf bytes.Buffer
		z := zip.NewWriter(&buf)
		for _, name := range []string{"x_train.npy", "x_test.npy"} {
			w, err := z.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Store})
			require.NoError(t, err)
			_, err = w.Write(x)
			require.NoError(t, err)
		}
		require.NoError(t, z.Close())
		b := buf.Bytes()
		i := bytes.Index(b, x) + len(x) - 1 // the last data byte of x_train
		b[i] ^= 0x40
		path := filepath.Join(dir, "crc.npz")
		require.NoError(t, os.WriteFile(path, b, 0o644))
		_, err := ReadNumPySet(path)
		require.Error(t, err)
		assert.Contains(t, err.Error(), path+":x_train")
		assert.Contains(t, err.Error(), "checksum")
	})
	t.Run("no such file", func(t *testing.T) {
		_, err := ReadNumPySet(filepath.Join(dir, "missing.npz"))
		require.Error(t, err)
		assert.Contains(t, err.Error(), "missing.npz")
	})
}

func TestSameLayout(t *testing.T) {
	assert.True(t, SameLayout([]int{28, 28}, []int{1, 28, 28}))
	assert.True(t, SameLayout([]int{1}, nil))
	assert.True(t, SameLayout([]int{5, 1, 3}, []int{5, 3}))
	assert.False(t, SameLayout([]int{28, 28, 3}, []int{3, 28, 28}))
	assert.False(t, SameLayout([]int{784}, []int{28, 28}))
	assert.False(t, SameLayout([]int{2}, nil))
}
