package data

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The .npy files in testdata were written by numpy (testdata/gen_npy.py).

func readNPY(t *testing.T, name string) *Array {
	a, err := ReadNPY(filepath.Join("testdata", name))
	require.NoError(t, err)
	return a
}

// xValues is (arange(24)-5)/4, the content of x_f4.npy.
func xValues() []float32 {
	v := make([]float32, 24)
	for i := range v {
		v[i] = (float32(i) - 5) / 4
	}
	return v
}

func TestNPYFilesWrittenByNumpyLoad(t *testing.T) {
	t.Run("float32", func(t *testing.T) {
		a := readNPY(t, "x_f4.npy")
		assert.Equal(t, []int{4, 2, 3}, a.Shape)
		assert.Equal(t, "<f4", a.Descr)
		assert.Equal(t, xValues(), a.Float32())
	})
	t.Run("float64 rounds to float32", func(t *testing.T) {
		a := readNPY(t, "x_f8.npy")
		want := make([]float32, 24)
		for i, v := range xValues() {
			want[i] = float32(float64(v) / 3)
		}
		assert.Equal(t, want, a.Float32())
	})
	t.Run("uint8", func(t *testing.T) {
		a := readNPY(t, "x_u1.npy")
		assert.Equal(t, "|u1", a.Descr)
		assert.Equal(t, []float32{0, 30, 60, 90, 120, 150, 180, 210}, a.Float32())
	})
	t.Run("int64 and int32", func(t *testing.T) {
		y, err := readNPY(t, "y_i8.npy").Int64()
		require.NoError(t, err)
		assert.Equal(t, []int64{3, 0, 9, 1}, y)
		y, err = readNPY(t, "y_i4.npy").Int64()
		require.NoError(t, err)
		assert.Equal(t, []int64{-1, 2147483647}, y)
	})
	t.Run("big-endian", func(t *testing.T) {
		assert.Equal(t, []float32{1.25, -2}, readNPY(t, "big_f8.npy").Float32())
		y, err := readNPY(t, "big_i4.npy").Int64()
		require.NoError(t, err)
		assert.Equal(t, []int64{7, -7}, y)
	})
	t.Run("a scalar, an empty array and a vector", func(t *testing.T) {
		s := readNPY(t, "scalar_f4.npy")
		assert.Equal(t, []int{}, s.Shape)
		assert.Equal(t, []float32{2.5}, s.Float32())
		e := readNPY(t, "empty_f4.npy")
		assert.Equal(t, []int{0, 3}, e.Shape)
		assert.Equal(t, 0, e.Len())
		assert.Equal(t, []float32{1, -2, 1e-30}, readNPY(t, "vec_f4.npy").Float32())
	})
	t.Run("version 2.0", func(t *testing.T) {
		assert.Equal(t, []float32{1.5, 2.5}, readNPY(t, "v2_f4.npy").Float32())
	})
	t.Run("fourteen dimensions", func(t *testing.T) {
		a := readNPY(t, "pad64_f4.npy")
		assert.Len(t, a.Shape, 14)
		assert.Equal(t, 200, a.Len())
	})
}

func TestUnsupportedNPYFilesAreClearErrors(t *testing.T) {
	tests := []struct{ file, msg string }{
		{"fortran_f4.npy", "fortran_order arrays are not supported"},
		{"half_f2.npy", `unsupported dtype "<f2"`},
		{"struct.npy", "structured dtypes are not supported"},
		{"str_U3.npy", `unsupported dtype "<U3"`},
	}
	for _, tt := range tests {
		t.Run(tt.file+" is refused", func(t *testing.T) {
			path := filepath.Join("testdata", tt.file)
			_, err := ReadNPY(path)
			require.Error(t, err)
			assert.Contains(t, err.Error(), "npy "+path+": ")
			assert.Contains(t, err.Error(), tt.msg)
		})
	}
}

func TestWriteNPYMatchesNumpyByteForByte(t *testing.T) {
	for _, tt := range []struct {
		file  string
		shape []int
	}{
		{"x_f4.npy", []int{4, 2, 3}},
		{"scalar_f4.npy", []int{}},
		{"empty_f4.npy", []int{0, 3}},
		{"vec_f4.npy", []int{3}},
		{"pad64_f4.npy", []int{2, 10, 10, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1}},
	} {
		t.Run(tt.file, func(t *testing.T) {
			want, err := os.ReadFile(filepath.Join("testdata", tt.file))
			require.NoError(t, err)
			a, err := DecodeNPY(bytes.NewReader(want), tt.file)
			require.NoError(t, err)
			var buf bytes.Buffer
			require.NoError(t, WriteNPY(&buf, tt.shape, a.Float32()))
			assert.Equal(t, want, buf.Bytes())
		})
	}
}

func TestNPYRoundTripsThroughSaveNPY(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a.npy")
	data := make([]float32, 3*40000) // more than one write buffer
	for i := range data {
		data[i] = float32(i) / 7
	}
	data[5] = float32(math.Inf(1))
	require.NoError(t, SaveNPY(path, []int{3, 40000}, data))
	a, err := ReadNPY(path)
	require.NoError(t, err)
	assert.Equal(t, []int{3, 40000}, a.Shape)
	assert.Equal(t, data, a.Float32())

	assert.ErrorContains(t, WriteNPY(&bytes.Buffer{}, []int{2}, []float32{1}), "shape [2] needs 2 values, got 1")
	assert.ErrorContains(t, WriteNPY(&bytes.Buffer{}, []int{-1}, nil), "negative dimension")
	assert.Error(t, SaveNPY(path, []int{2}, nil))
}

func TestWriteNPYSwitchesToVersion2ForHugeHeaders(t *testing.T) {
	// 32768 dimensions of 1 make a header over 64 KiB; numpy would refuse that many
	// dimensions, but the format (and our reader's limit) decide what is read back.
	shape := make([]int, 32768)
	for i := range shape {
		shape[i] = 1
	}
	var buf bytes.Buffer
	require.NoError(t, WriteNPY(&buf, shape, []float32{4}))
	b := buf.Bytes()
	assert.Equal(t, []byte{2, 0}, b[6:8])
	hlen := binary.LittleEndian.Uint32(b[8:12])
	assert.Equal(t, 0, (12+int(hlen))%64)
	_, err := DecodeNPY(bytes.NewReader(b), "v2")
	assert.ErrorContains(t, err, "exceeds the limit")
}

// npyFile assembles an NPY v1.0 file from a header dict and data.
func npyFile(dict string, data []byte) []byte {
	b := append([]byte("\x93NUMPY\x01\x00"), 0, 0)
	binary.LittleEndian.PutUint16(b[8:], uint16(len(dict)+1))
	b = append(b, dict...)
	b = append(b, '\n')
	return append(b, data...)
}

func TestMalformedNPYIsAnErrorNamingTheFile(t *testing.T) {
	f4 := func(vs ...float32) []byte {
		var b []byte
		for _, v := range vs {
			b = binary.LittleEndian.AppendUint32(b, math.Float32bits(v))
		}
		return b
	}
	ok := "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }"
	tests := []struct {
		name string
		data []byte
		msg  string
	}{
		{"an empty file", nil, "reading magic: truncated"},
		{"a wrong magic", []byte("\x93NUMPZ\x01\x00\x00\x00"), "not an NPY file"},
		{"version 4.0", []byte("\x93NUMPY\x04\x00\x00\x00"), "unsupported NPY version 4.0"},
		{"a truncated header length", []byte("\x93NUMPY\x01\x00\x05"), "reading header length: truncated"},
		{"a truncated v2 header length", []byte("\x93NUMPY\x02\x00\x05"), "reading header length: truncated"},
		{"a truncated header", npyFile(ok, nil)[:30], "reading 58-byte header: truncated"},
		{"a huge header length", []byte("\x93NUMPY\x02\x00\xff\xff\xff\xff"), "header length 4294967295 exceeds the limit"},
		{"truncated data", npyFile(ok, f4(1)), "truncated: want 8 bytes of data, found 4"},
		{"trailing data", npyFile(ok, f4(1, 2, 3)), "unexpected data after the 8 bytes"},
		{"a header that is not a dict", npyFile("[1]", nil), "not a dict"},
		{"a missing shape", npyFile("{'descr': '<f4', 'fortran_order': False}", nil), `no "shape" key`},
		{"a missing descr", npyFile("{'fortran_order': False, 'shape': ()}", nil), `no "descr" key`},
		{"an extra key", npyFile("{'descr': '<f4', 'fortran_order': False, 'shape': (), 'x': 1}", nil), `unexpected key "x"`},
		{"a repeated key", npyFile("{'descr': '<f4', 'descr': '<f4'}", nil), `key "descr" given twice`},
		{"a key that is not a string", npyFile("{1: 2}", nil), "key: not a string"},
		{"an unterminated string", npyFile("{'descr", nil), "unterminated string"},
		{"an escape in a string", npyFile(`{'de\'scr': 1}`, nil), "escapes are not supported"},
		{"no colon", npyFile("{'descr' '<f4'}", nil), `no ':' after key "descr"`},
		{"no comma", npyFile("{'descr': '<f4' 'shape': ()}", nil), `no ',' after the value of "descr"`},
		{"a bad fortran_order", npyFile("{'fortran_order': 0}", nil), "fortran_order is not True or False"},
		{"a shape that is a list", npyFile("{'shape': [2]}", nil), "shape: not a tuple"},
		{"a negative dimension", npyFile("{'shape': (-2,)}", nil), "not a non-negative integer"},
		{"an integer in parentheses", npyFile("{'shape': (2)}", nil), "(2) is not a tuple; want (2,)"},
		{"dimensions without commas", npyFile("{'shape': (2 3)}", nil), "no ',' between dimensions"},
		{"a huge dimension", npyFile("{'shape': (99999999999,)}", nil), "dimension 99999999999 too large"},
		{"a descr that is not a string", npyFile("{'descr': 4}", nil), "descr: not a string"},
		{"text after the dict", npyFile(ok+" x", nil), "text after the dict"},
		{"a shape beyond any real file", npyFile("{'descr': '<f8', 'fortran_order': False, 'shape': (2147483647, 2147483647), }", nil), "exceeds"},
		{"a huge claim over little data", npyFile("{'descr': '<f8', 'fortran_order': False, 'shape': (2147483647,), }", f4(1)), "want 17179869176 bytes of data, found 4"},
		{"an unknown dtype", npyFile("{'descr': '<c8', 'fortran_order': False, 'shape': (), }", nil), `unsupported dtype "<c8"`},
	}
	for _, tt := range tests {
		t.Run("reading "+tt.name+" fails", func(t *testing.T) {
			path := writeFile(t, "bad.npy", tt.data)
			_, err := ReadNPY(path)
			require.Error(t, err)
			var fe *FormatError
			require.ErrorAs(t, err, &fe)
			assert.Contains(t, err.Error(), "npy "+path+": ")
			assert.Contains(t, err.Error(), tt.msg)
		})
	}

	t.Run("the old Python 2 spelling is accepted", func(t *testing.T) {
		b := npyFile(`{"descr": "<f4", "fortran_order": False, "shape": (2L,)}`, f4(1, 2))
		a, err := DecodeNPY(bytes.NewReader(b), "py2")
		require.NoError(t, err)
		assert.Equal(t, []float32{1, 2}, a.Float32())
	})
	t.Run("a missing file names it", func(t *testing.T) {
		_, err := ReadNPY(filepath.Join(t.TempDir(), "none.npy"))
		assert.ErrorIs(t, err, os.ErrNotExist)
	})
	t.Run("a broken gzip stream is named", func(t *testing.T) {
		_, err := DecodeNPY(bytes.NewReader([]byte{0x1f, 0x8b}), "z")
		assert.ErrorContains(t, err, "npy z: gzip")
	})
	t.Run("a truncated file unwraps to ErrUnexpectedEOF", func(t *testing.T) {
		_, err := DecodeNPY(bytes.NewReader([]byte("\x93NUM")), "cut")
		var fe *FormatError
		require.ErrorAs(t, err, &fe)
		assert.True(t, errors.Is(err, io.ErrUnexpectedEOF), "%v", err)
	})
}

func TestArrayInt64RejectsFractions(t *testing.T) {
	y, err := readNPY(t, "y_f4.npy").Int64()
	assert.Nil(t, y)
	assert.ErrorContains(t, err, "element 0 = 0.5 is not an integer")
	whole := &Array{Shape: []int{2}, kind: 'f', size: 4, raw: binary.LittleEndian.AppendUint32(binary.LittleEndian.AppendUint32(nil, math.Float32bits(3)), math.Float32bits(-1))}
	y, err = whole.Int64()
	require.NoError(t, err)
	assert.Equal(t, []int64{3, -1}, y)
}

func TestLoadNPY(t *testing.T) {
	x := filepath.Join("testdata", "x_f4.npy")
	t.Run("features with class labels", func(t *testing.T) {
		d, err := LoadNPY(x, filepath.Join("testdata", "y_i8.npy"), false)
		require.NoError(t, err)
		assert.Equal(t, []int{2, 3}, d.Shape)
		assert.Equal(t, xValues(), d.X)
		assert.Equal(t, []int32{3, 0, 9, 1}, d.Y)
		require.NoError(t, d.Validate())
	})
	t.Run("features with float targets", func(t *testing.T) {
		d, err := LoadNPY(x, filepath.Join("testdata", "y_f4.npy"), true)
		require.NoError(t, err)
		assert.Equal(t, []float32{0.5, 1.5, 2.5, 3.5}, d.T)
		assert.Equal(t, 1, d.TargetSize)
		require.NoError(t, d.Validate())
	})
	t.Run("features alone", func(t *testing.T) {
		d, err := LoadNPY(filepath.Join("testdata", "vec_f4.npy"), "", false)
		require.NoError(t, err)
		assert.Equal(t, []int{1}, d.Shape)
		assert.Equal(t, 3, d.Len())
	})
	for _, tt := range []struct {
		name, x, y string
		target     bool
		msg        string
	}{
		{"scalar features", "scalar_f4.npy", "", false, "features of shape []"},
		{"no examples", "empty_f4.npy", "", false, "features of shape [0 3]"},
		{"labels of another length", "x_f4.npy", "y_i4.npy", false, "labels of shape [2] for 4 examples"},
		{"fractional class labels", "x_f4.npy", "y_f4.npy", false, "class labels of shape [4 1]"},
		{"negative class labels", "big_i4.npy", "y_i4.npy", false, "class label -1 at index 0"},
		{"a missing features file", "none.npy", "", false, "no such file"},
		{"a missing labels file", "x_f4.npy", "none.npy", false, "no such file"},
	} {
		t.Run("fails for "+tt.name, func(t *testing.T) {
			y := ""
			if tt.y != "" {
				y = filepath.Join("testdata", tt.y)
			}
			_, err := LoadNPY(filepath.Join("testdata", tt.x), y, tt.target)
			assert.ErrorContains(t, err, tt.msg)
		})
	}
	t.Run("fails for whole-number float labels that are not integers", func(t *testing.T) {
		dir := t.TempDir()
		yp := filepath.Join(dir, "y.npy")
		require.NoError(t, SaveNPY(yp, []int{4}, []float32{1, 2, 2.5, 0}))
		_, err := LoadNPY(x, yp, false)
		assert.ErrorContains(t, err, "class labels: npy: element 2 = 2.5 is not an integer")
		require.NoError(t, SaveNPY(yp, []int{4}, []float32{1, 2, 3, 0}))
		d, err := LoadNPY(x, yp, false)
		require.NoError(t, err)
		assert.Equal(t, []int32{1, 2, 3, 0}, d.Y)
	})
	t.Run("fails for features with an empty example", func(t *testing.T) {
		dir := t.TempDir()
		xp := filepath.Join(dir, "x.npy")
		require.NoError(t, SaveNPY(xp, []int{2, 0}, nil))
		_, err := LoadNPY(xp, "", false)
		assert.ErrorContains(t, err, "an example has no elements")
	})
	t.Run("fails for empty targets", func(t *testing.T) {
		dir := t.TempDir()
		yp := filepath.Join(dir, "y.npy")
		require.NoError(t, SaveNPY(yp, []int{4, 0}, nil))
		_, err := LoadNPY(x, yp, true)
		assert.ErrorContains(t, err, "targets of shape [4 0] are empty")
	})
}
