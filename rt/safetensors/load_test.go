package safetensors

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func zeros(name string, shape ...int) Tensor {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return Tensor{Name: name, Shape: shape, Data: make([]float32, n)}
}

func TestLoadingAPyTorchStateDict(t *testing.T) {
	const path = "testdata/golden_torch.safetensors"
	model := func() []Tensor {
		return []Tensor{zeros("fc.weight", 3, 4), zeros("fc.bias", 3),
			zeros("bn.weight", 3), zeros("bn.bias", 3), zeros("bn.running_mean", 3), zeros("bn.running_var", 3)}
	}

	t.Run("the weights load when extra tensors are allowed", func(t *testing.T) {
		dst := model()
		meta, err := LoadWith(path, dst, LoadOptions{AllowUnexpected: true})
		require.NoError(t, err)
		assert.Equal(t, "pt", meta["format"])
		assert.Equal(t, []float32{0.25, -1.5, 3e-8}, dst[1].Data)
		assert.Equal(t, []float32{1, 2, 4}, dst[5].Data)
		assert.InDelta(t, 11.0/7-0.5, dst[0].Data[11], 1e-7)
	})

	t.Run("a strict load lists every extra tensor", func(t *testing.T) {
		dst := model()
		_, err := Load(path, dst)
		var me *MismatchError
		require.ErrorAs(t, err, &me)
		var names []string
		for _, p := range me.Problems {
			assert.Equal(t, Unexpected, p.Kind)
			names = append(names, p.Name)
		}
		// bn.num_batches_tracked is not among them: the model has bn.running_mean.
		assert.Equal(t, []string{"b16", "empty", "flags", "h16", "i32", "scalar", "u8", "w64"}, names)
		assert.Equal(t, float32(0), dst[1].Data[0], "nothing is loaded when there are mismatches")
	})

	t.Run("F64, F16 and BF16 tensors convert to float32", func(t *testing.T) {
		dst := []Tensor{zeros("w64", 2, 2), zeros("h16", 5), zeros("b16", 3)}
		_, err := LoadWith(path, dst, LoadOptions{AllowUnexpected: true})
		require.NoError(t, err)
		assert.Equal(t, []float32{1.0 / 3, -2, 1e-40, 123456789.123}, dst[0].Data)
		assert.Equal(t, float32(65504), dst[1].Data[3])
		assert.Equal(t, float32(-3.140625), dst[2].Data[1])
	})
}

func TestLoadReportsEveryMismatchByName(t *testing.T) {
	path := filepath.Join(t.TempDir(), "m.safetensors")
	require.NoError(t, Save(path, []Tensor{
		{Name: "ok", Shape: []int{2}, Data: []float32{1, 2}},
		{Name: "shape", Shape: []int{2, 3}, Data: make([]float32, 6)},
		{Name: "extra.a", Shape: []int{1}, Data: []float32{1}},
		{Name: "extra.b", Shape: []int{}, Data: []float32{1}},
	}, nil))
	dst := []Tensor{
		zeros("ok", 2),
		zeros("shape", 3, 2),
		zeros("missing", 4),
		zeros("ok", 2),
		{Name: "broken", Shape: []int{3}, Data: make([]float32, 2)},
	}
	_, err := Load(path, dst)
	var me *MismatchError
	require.ErrorAs(t, err, &me)
	assert.Equal(t, path, me.File)
	want := []Problem{
		{"shape", WrongShape, "shape [2 3] in the file, [3 2] in the model"},
		{"missing", Missing, "missing from the file"},
		{"ok", Duplicate, "two destination tensors have this name"},
		{"broken", BadDest, "destination has shape [3] but 2 values"},
		{"extra.a", Unexpected, "in the file (F32 [1]) but not in the model"},
		{"extra.b", Unexpected, "in the file (F32 []) but not in the model"},
	}
	assert.Equal(t, want, me.Problems)
	msg := err.Error()
	assert.True(t, strings.HasPrefix(msg, "safetensors "+path+": 6 mismatches with the model: "), msg)
	for _, p := range want {
		assert.Contains(t, msg, `"`+p.Name+`": `+p.Detail)
	}
	assert.Equal(t, float32(0), dst[0].Data[0], "nothing is loaded when there are mismatches")
}

func TestLoadReportsAWrongDType(t *testing.T) {
	_, err := LoadWith("testdata/golden_torch.safetensors", []Tensor{zeros("bn.num_batches_tracked"), zeros("flags", 2)}, LoadOptions{AllowUnexpected: true})
	var me *MismatchError
	require.ErrorAs(t, err, &me)
	assert.Equal(t, []Problem{
		{"bn.num_batches_tracked", WrongDType, "dtype I64 in the file cannot be read as F32"},
		{"flags", WrongShape, "shape [3] in the file, [2] in the model"},
		{"flags", WrongDType, "dtype BOOL in the file cannot be read as F32"},
	}, me.Problems)
	assert.Contains(t, err.Error(), "3 mismatches")
}

func TestLoadWithAllowMissingLeavesAbsentTensorsAlone(t *testing.T) {
	path := filepath.Join(t.TempDir(), "m.safetensors")
	require.NoError(t, Save(path, []Tensor{{Name: "a", Shape: []int{1}, Data: []float32{7}}}, nil))
	dst := []Tensor{zeros("a", 1), {Name: "b", Shape: []int{1}, Data: []float32{3}}}
	_, err := LoadWith(path, dst, LoadOptions{AllowMissing: true})
	require.NoError(t, err)
	assert.Equal(t, []float32{7}, dst[0].Data)
	assert.Equal(t, []float32{3}, dst[1].Data)

	_, err = Load(path, dst)
	var me *MismatchError
	require.ErrorAs(t, err, &me)
	assert.Equal(t, "safetensors "+path+`: 1 mismatch with the model: "b": missing from the file`, err.Error())
}

func TestLoadOfAMissingFileIsAnError(t *testing.T) {
	_, err := Load(filepath.Join(t.TempDir(), "none.safetensors"), nil)
	assert.ErrorIs(t, err, os.ErrNotExist)
}

func TestProblemKindNames(t *testing.T) {
	assert.Equal(t, "wrong shape", WrongShape.String())
	assert.Equal(t, "ProblemKind(42)", ProblemKind(42).String())
}

func TestWriteFileAtomic(t *testing.T) {
	t.Run("writes the file with ordinary permissions", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "f.bin")
		require.NoError(t, WriteFileAtomic(path, func(w io.Writer) error {
			_, err := io.WriteString(w, "hello")
			return err
		}))
		b, err := os.ReadFile(path)
		require.NoError(t, err)
		assert.Equal(t, "hello", string(b))
		st, err := os.Stat(path)
		require.NoError(t, err)
		assert.Equal(t, os.FileMode(0o644), st.Mode().Perm())
	})

	t.Run("a failed write keeps the old file and leaves no temporary file", func(t *testing.T) {
		dir := t.TempDir()
		path := filepath.Join(dir, "f.bin")
		require.NoError(t, os.WriteFile(path, []byte("old"), 0o644))
		boom := errors.New("boom")
		err := WriteFileAtomic(path, func(w io.Writer) error {
			io.WriteString(w, "half of the new cont")
			return boom
		})
		require.ErrorIs(t, err, boom)
		assert.Contains(t, err.Error(), path)
		b, err := os.ReadFile(path)
		require.NoError(t, err)
		assert.Equal(t, "old", string(b))
		entries, err := os.ReadDir(dir)
		require.NoError(t, err)
		require.Len(t, entries, 1, "temporary file left behind")
	})

	t.Run("replaces an existing file", func(t *testing.T) {
		dir := t.TempDir()
		path := filepath.Join(dir, "f.bin")
		require.NoError(t, os.WriteFile(path, []byte("old"), 0o644))
		require.NoError(t, WriteFileAtomic(path, func(w io.Writer) error {
			_, err := io.WriteString(w, "new")
			return err
		}))
		b, err := os.ReadFile(path)
		require.NoError(t, err)
		assert.Equal(t, "new", string(b))
		entries, err := os.ReadDir(dir)
		require.NoError(t, err)
		assert.Len(t, entries, 1)
	})

	t.Run("a missing directory is an error", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "no", "f.bin")
		err := WriteFileAtomic(path, func(io.Writer) error { return nil })
		assert.ErrorIs(t, err, os.ErrNotExist)
	})

	t.Run("a bare file name writes in the working directory", func(t *testing.T) {
		t.Chdir(t.TempDir())
		require.NoError(t, WriteFileAtomic("bare.bin", func(w io.Writer) error {
			_, err := io.WriteString(w, "x")
			return err
		}))
		b, err := os.ReadFile("bare.bin")
		require.NoError(t, err)
		assert.Equal(t, "x", string(b))
	})

	t.Run("Save of bad tensors does not touch the old file", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "w.safetensors")
		require.NoError(t, os.WriteFile(path, []byte("old"), 0o644))
		err := Save(path, []Tensor{{Name: "x", Shape: []int{2}, Data: []float32{1}}}, nil)
		require.Error(t, err)
		b, _ := os.ReadFile(path)
		assert.Equal(t, "old", string(b))
	})
}

// A state dict as PyTorch saves it holds each batch norm's num_batches_tracked, an
// int64 scalar dlgen has no use for: a strict load skips it when the batch norm's
// running_mean is loaded, and still refuses it (or anything like it) otherwise.
func TestAStrictLoadSkipsPyTorchsBatchCounters(t *testing.T) {
	one := make([]byte, 8)
	one[0] = 7
	write := func(t *testing.T, hdr string, data []byte) string {
		path := filepath.Join(t.TempDir(), "sd.safetensors")
		require.NoError(t, os.WriteFile(path, file(hdr, data), 0o644))
		return path
	}
	mean := `"bn.running_mean":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}`
	cases := []struct {
		name, counter string
		size          int
		dst           []Tensor
		unexpected    []string
	}{
		{"an int64 scalar beside a loaded running_mean is skipped", `"bn.num_batches_tracked":{"dtype":"I64","shape":[],"data_offsets":[4,12]}`, 12,
			[]Tensor{zeros("bn.running_mean", 1)}, nil},
		{"without the running_mean among the destinations it is unexpected", `"bn2.num_batches_tracked":{"dtype":"I64","shape":[],"data_offsets":[4,12]}`, 12,
			[]Tensor{zeros("bn.running_mean", 1)}, []string{"bn2.num_batches_tracked"}},
		{"a float counter is unexpected", `"bn.num_batches_tracked":{"dtype":"F32","shape":[],"data_offsets":[4,8]}`, 8,
			[]Tensor{zeros("bn.running_mean", 1)}, []string{"bn.num_batches_tracked"}},
		{"a counter of two values is unexpected", `"bn.num_batches_tracked":{"dtype":"I64","shape":[2],"data_offsets":[4,20]}`, 20,
			[]Tensor{zeros("bn.running_mean", 1)}, []string{"bn.num_batches_tracked"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			data := make([]byte, c.size)
			copy(data[4:], one)
			path := write(t, "{"+mean+","+c.counter+"}", data)
			_, err := Load(path, c.dst)
			if c.unexpected == nil {
				require.NoError(t, err)
				return
			}
			var me *MismatchError
			require.ErrorAs(t, err, &me)
			var names []string
			for _, p := range me.Problems {
				assert.Equal(t, Unexpected, p.Kind)
				names = append(names, p.Name)
			}
			assert.Equal(t, c.unexpected, names)
		})
	}
}
