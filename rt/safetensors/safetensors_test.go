package safetensors

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// golden is testdata/golden_values.json, written by testdata/gen_golden.py.
type golden map[string]struct {
	Shape  []int     `json:"shape"`
	Values []float64 `json:"values"`
}

func readGolden(t *testing.T) golden {
	b, err := os.ReadFile("testdata/golden_values.json")
	require.NoError(t, err)
	var g golden
	require.NoError(t, json.Unmarshal(b, &g))
	return g
}

func TestFilesWrittenByPyTorchLoad(t *testing.T) {
	g := readGolden(t)
	r, err := Open("testdata/golden_torch.safetensors")
	require.NoError(t, err)
	defer r.Close()
	assert.Equal(t, map[string]string{"format": "pt"}, r.Metadata())

	var names []string
	for _, info := range r.Tensors() {
		names = append(names, info.Name)
	}
	var want []string
	for name := range g {
		if name != "conv.weight" { // only in golden_f32
			want = append(want, name)
		}
	}
	sort.Strings(names)
	sort.Strings(want)
	require.Equal(t, want, names)

	for _, info := range r.Tensors() {
		t.Run(info.Name+" has the values PyTorch saved", func(t *testing.T) {
			exp := g[info.Name]
			assert.Equal(t, exp.Shape, info.Shape)
			if info.DType.IsInt() {
				got, err := r.ReadInt64(info.Name)
				require.NoError(t, err)
				require.Len(t, got, len(exp.Values))
				for i, v := range exp.Values {
					assert.Equal(t, int64(v), got[i], "element %d", i)
				}
				return
			}
			got, err := r.ReadFloat32(info.Name)
			require.NoError(t, err)
			require.Len(t, got, len(exp.Values))
			for i, v := range exp.Values {
				// The JSON holds each value exactly; F64 rounds to nearest float32
				// like Go's conversion, the other types are exact.
				assert.Equal(t, math.Float32bits(float32(v)), math.Float32bits(got[i]), "element %d: %v vs %v", i, float32(v), got[i])
			}
		})
	}
	info, ok := r.Info("bn.num_batches_tracked")
	require.True(t, ok)
	assert.Equal(t, I64, info.DType)
	assert.Equal(t, []int{}, info.Shape)
}

func TestWriteReproducesPythonBytes(t *testing.T) {
	g := readGolden(t)
	want, err := os.ReadFile("testdata/golden_f32.safetensors")
	require.NoError(t, err)
	var ts []Tensor
	// Deliberately unsorted: Write sorts by name as the Python writer does.
	for _, name := range []string{"scalar", "fc.weight", "conv.weight", "empty", "fc.bias"} {
		v := g[name]
		data := make([]float32, len(v.Values))
		for i, x := range v.Values {
			data[i] = float32(x)
		}
		ts = append(ts, Tensor{Name: name, Shape: v.Shape, Data: data})
	}
	var buf bytes.Buffer
	require.NoError(t, Write(&buf, ts, map[string]string{"note": "<&> ünïcode", "format": "pt"}))
	assert.Equal(t, want, buf.Bytes())
}

func TestSaveThenLoadRoundTrips(t *testing.T) {
	path := filepath.Join(t.TempDir(), "w.safetensors")
	src := []Tensor{
		{Name: "a", Shape: []int{2, 3}, Data: []float32{1, 2, 3, 4, 5, float32(math.Inf(-1))}},
		{Name: "b", Shape: []int{}, Data: []float32{-0.5}},
		{Name: "c", Shape: []int{0}, Data: []float32{}},
		{Name: "nan", Shape: []int{1}, Data: []float32{float32(math.NaN())}},
	}
	require.NoError(t, Save(path, src, map[string]string{"k": "v"}))
	dst := []Tensor{
		{Name: "nan", Shape: []int{1}, Data: make([]float32, 1)},
		{Name: "b", Shape: []int{}, Data: make([]float32, 1)},
		{Name: "a", Shape: []int{2, 3}, Data: make([]float32, 6)},
		{Name: "c", Shape: []int{0}, Data: []float32{}},
	}
	meta, err := Load(path, dst)
	require.NoError(t, err)
	assert.Equal(t, map[string]string{"k": "v"}, meta)
	assert.Equal(t, src[0].Data, dst[2].Data)
	assert.Equal(t, src[1].Data, dst[1].Data)
	assert.True(t, math.IsNaN(float64(dst[0].Data[0])))
}

func TestLargeTensorsCrossReadChunks(t *testing.T) {
	// More than one 64 KiB read buffer, and a length that is not a multiple of it.
	n := 3*chunk/4 + 17
	data := make([]float32, n)
	for i := range data {
		data[i] = float32(i) * 0.25
	}
	var buf bytes.Buffer
	require.NoError(t, Write(&buf, []Tensor{{Name: "big", Shape: []int{n}, Data: data}}, nil))
	r, err := NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()), "mem")
	require.NoError(t, err)
	got := make([]float32, n)
	require.NoError(t, r.ReadInto("big", got))
	assert.Equal(t, data, got)
}

func TestWriteRejectsBadTensors(t *testing.T) {
	tests := []struct {
		name    string
		tensors []Tensor
		msg     string
	}{
		{"a name given twice", []Tensor{{Name: "x", Shape: []int{1}, Data: []float32{1}}, {Name: "x", Shape: []int{1}, Data: []float32{2}}}, `"x" given twice`},
		{"data shorter than the shape", []Tensor{{Name: "x", Shape: []int{2, 2}, Data: []float32{1}}}, `"x" has shape [2 2] (4 elements) but 1 values`},
		{"an empty name", []Tensor{{Name: "", Shape: []int{}, Data: []float32{1}}}, `invalid tensor name ""`},
		{"the metadata key as a name", []Tensor{{Name: "__metadata__", Shape: []int{}, Data: []float32{1}}}, `invalid tensor name "__metadata__"`},
		{"a negative dimension", []Tensor{{Name: "x", Shape: []int{-1, -1}, Data: []float32{1}}}, `negative dimension`},
	}
	for _, tt := range tests {
		t.Run("write rejects "+tt.name, func(t *testing.T) {
			err := Write(io.Discard, tt.tensors, nil)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.msg)
		})
	}
}

// file assembles a safetensors file from a header string and data.
func file(hdr string, data []byte) []byte {
	b := binary.LittleEndian.AppendUint64(nil, uint64(len(hdr)))
	return append(append(b, hdr...), data...)
}

func TestMalformedFilesAreRejectedWithTheFileName(t *testing.T) {
	eight := make([]byte, 8)
	tests := []struct {
		name string
		data []byte
		msg  string
	}{
		{"an empty file", nil, "file is 0 bytes"},
		{"a file shorter than the length field", []byte{1, 2, 3}, "file is 3 bytes"},
		{"a header length beyond the file", file(`{}`, nil)[:9], "header length 2 exceeds the 1 bytes"},
		{"a huge header length", binary.LittleEndian.AppendUint64(nil, math.MaxUint64), "header length 18446744073709551615 exceeds"},
		{"a header that is not an object", file(`[1, 2]  `, nil), "header is not a JSON object"},
		{"an empty header", file(``, nil), "header is not a JSON object"},
		{"a header that is not UTF-8", file("{\"\xff\":null}", nil), "header is not valid UTF-8"},
		{"invalid JSON", file(`{"a": {"dtype": }`, nil), "invalid JSON header"},
		{"an unterminated object", file(`{"a": 1`, nil), "invalid JSON header"},
		{"garbage after the object", file(`{} x`, nil), "invalid JSON header"},
		{"a second object after the first", file(`{}{}`, nil), "invalid JSON header"},
		{"NUL padding", file("{}\x00\x00", nil), "invalid JSON header"},
		{"a duplicated tensor name", file(`{"a":{"dtype":"F32","shape":[],"data_offsets":[0,4]},"a":{"dtype":"F32","shape":[],"data_offsets":[4,8]}}`, eight), `header names "a" twice`},
		{"metadata that is not strings", file(`{"__metadata__":{"n":1}}`, nil), "__metadata__ is not a map of strings"},
		{"an entry that is not an object", file(`{"a":5}`, nil), `tensor "a": invalid entry`},
		{"no dtype", file(`{"a":{"shape":[],"data_offsets":[0,4]}}`, eight[:4]), `tensor "a": no dtype`},
		{"no shape", file(`{"a":{"dtype":"F32","data_offsets":[0,4]}}`, eight[:4]), `tensor "a": no shape`},
		{"no offsets", file(`{"a":{"dtype":"F32","shape":[]}}`, eight[:4]), `tensor "a": no data_offsets`},
		{"an unknown dtype", file(`{"a":{"dtype":"F128","shape":[],"data_offsets":[0,4]}}`, eight[:4]), `unknown dtype "F128"`},
		{"a negative dimension", file(`{"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}`, eight[:4]), "negative dimension"},
		{"a fractional dimension", file(`{"a":{"dtype":"F32","shape":[1.5],"data_offsets":[0,4]}}`, eight[:4]), `tensor "a": invalid entry`},
		{"an overflowing shape", file(`{"a":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,4]}}`, eight[:4]), "too many elements"},
		{"three offsets", file(`{"a":{"dtype":"F32","shape":[],"data_offsets":[0,4,8]}}`, eight[:4]), "data_offsets has 3 entries"},
		{"reversed offsets", file(`{"a":{"dtype":"F32","shape":[],"data_offsets":[4,0]}}`, eight[:4]), "invalid data_offsets [4, 0]"},
		{"negative offsets", file(`{"a":{"dtype":"F32","shape":[],"data_offsets":[-4,0]}}`, eight[:4]), "invalid data_offsets [-4, 0]"},
		{"offsets that disagree with the shape", file(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}}`, eight[:4]), "span 4 bytes, but F32 [2] needs 8"},
		{"overlapping tensors", file(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[],"data_offsets":[4,8]}}`, eight), `tensor "b" data_offsets [4, 8] overlap`},
		{"a gap between tensors", file(`{"a":{"dtype":"F32","shape":[],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[],"data_offsets":[8,12]}}`, make([]byte, 12)), `tensor "b" data_offsets [8, 12] leave a gap`},
		{"data not starting at zero", file(`{"a":{"dtype":"F32","shape":[],"data_offsets":[4,8]}}`, eight), "leave a gap"},
		{"offsets beyond the file", file(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}`, eight[:4]), "file holds only 4 data bytes (truncated)"},
		{"trailing bytes after the data", file(`{"a":{"dtype":"F32","shape":[],"data_offsets":[0,4]}}`, eight), "file holds 8 data bytes (trailing bytes)"},
		{"offsets near the int64 limit", file(`{"a":{"dtype":"U8","shape":[0],"data_offsets":[9223372036854775807,9223372036854775807]}}`, nil), "invalid data_offsets"},
	}
	for _, tt := range tests {
		t.Run("reading "+tt.name+" fails", func(t *testing.T) {
			_, err := NewReader(bytes.NewReader(tt.data), int64(len(tt.data)), "bad.safetensors")
			require.Error(t, err)
			var fe *FormatError
			require.ErrorAs(t, err, &fe)
			assert.Equal(t, "bad.safetensors", fe.File)
			assert.Contains(t, err.Error(), "safetensors bad.safetensors: ")
			assert.Contains(t, err.Error(), tt.msg)
		})
	}
}

func TestEveryTruncationOfAValidFileIsAnError(t *testing.T) {
	b, err := os.ReadFile("testdata/golden_torch.safetensors")
	require.NoError(t, err)
	for n := 0; n < len(b); n++ {
		_, err := NewReader(bytes.NewReader(b[:n]), int64(n), "cut")
		require.Error(t, err, "truncated to %d bytes", n)
	}
}

func TestOpenNamesTheFile(t *testing.T) {
	dir := t.TempDir()
	_, err := Open(filepath.Join(dir, "absent.safetensors"))
	require.Error(t, err)
	assert.ErrorIs(t, err, os.ErrNotExist)

	path := filepath.Join(dir, "short.safetensors")
	require.NoError(t, os.WriteFile(path, []byte("abc"), 0o644))
	_, err = Open(path)
	require.Error(t, err)
	assert.Contains(t, err.Error(), path)
}

// sizedReader claims a size larger than its data, as a file that shrinks after it is
// opened, or one whose size field lies.
type sizedReader struct{ b []byte }

func (s sizedReader) ReadAt(p []byte, off int64) (int, error) {
	if off >= int64(len(s.b)) {
		return 0, io.EOF
	}
	n := copy(p, s.b[off:])
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

func TestAHugeClaimedHeaderIsRejectedBeforeAllocating(t *testing.T) {
	b := binary.LittleEndian.AppendUint64(nil, MaxHeaderLen+1)
	_, err := NewReader(sizedReader{b}, 1<<40, "huge")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "exceeds the limit")
}

func TestDataThatDisappearsAfterOpenIsAnIOError(t *testing.T) {
	var buf bytes.Buffer
	require.NoError(t, Write(&buf, []Tensor{{Name: "x", Shape: []int{4}, Data: []float32{1, 2, 3, 4}}}, nil))
	b := buf.Bytes()
	r, err := NewReader(sizedReader{b[:len(b)-3]}, int64(len(b)), "shrunk")
	require.NoError(t, err)
	_, err = r.ReadFloat32("x")
	require.Error(t, err)
	assert.ErrorIs(t, err, io.ErrUnexpectedEOF)
	assert.Contains(t, err.Error(), `shrunk: reading tensor "x"`)
}

func TestReadingByNameAndType(t *testing.T) {
	r, err := Open("testdata/golden_torch.safetensors")
	require.NoError(t, err)
	defer r.Close()

	t.Run("an absent name is an error", func(t *testing.T) {
		_, err := r.ReadFloat32("nope")
		assert.ErrorContains(t, err, `no tensor "nope"`)
		_, err = r.ReadInt64("nope")
		assert.ErrorContains(t, err, `no tensor "nope"`)
		assert.ErrorContains(t, r.ReadInto("nope", nil), `no tensor "nope"`)
	})
	t.Run("a destination of the wrong length is an error", func(t *testing.T) {
		assert.ErrorContains(t, r.ReadInto("fc.bias", make([]float32, 2)), `"fc.bias" has 3 elements, destination 2`)
	})
	t.Run("an integer tensor is not read as float", func(t *testing.T) {
		_, err := r.ReadFloat32("bn.num_batches_tracked")
		assert.ErrorContains(t, err, "is I64, not a floating-point type")
	})
	t.Run("a float tensor is not read as integer", func(t *testing.T) {
		_, err := r.ReadInt64("fc.bias")
		assert.ErrorContains(t, err, "is F32, not an integer type")
	})
	t.Run("the reader knows its name", func(t *testing.T) {
		assert.Equal(t, "testdata/golden_torch.safetensors", r.Name())
	})
}

func TestReadInt64ConvertsEveryIntegerType(t *testing.T) {
	hdr := `{"b":{"dtype":"BOOL","shape":[1],"data_offsets":[0,1]},` +
		`"i8":{"dtype":"I8","shape":[1],"data_offsets":[1,2]},` +
		`"u8":{"dtype":"U8","shape":[1],"data_offsets":[2,3]},` +
		`"i16":{"dtype":"I16","shape":[1],"data_offsets":[3,5]},` +
		`"u16":{"dtype":"U16","shape":[1],"data_offsets":[5,7]},` +
		`"i32":{"dtype":"I32","shape":[1],"data_offsets":[7,11]},` +
		`"u32":{"dtype":"U32","shape":[1],"data_offsets":[11,15]},` +
		`"u64":{"dtype":"U64","shape":[2],"data_offsets":[15,31]}}`
	data := []byte{1, 0xff, 0xff, 0xfe, 0xff, 0xfe, 0xff, 0xfd, 0xff, 0xff, 0xff, 0xfd, 0xff, 0xff, 0xff,
		5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x80}
	b := file(hdr, data)
	r, err := NewReader(bytes.NewReader(b), int64(len(b)), "ints")
	require.NoError(t, err)
	want := map[string]int64{"b": 1, "i8": -1, "u8": 255, "i16": -2, "u16": 65534, "i32": -3, "u32": 4294967293}
	for name, v := range want {
		got, err := r.ReadInt64(name)
		require.NoError(t, err, name)
		assert.Equal(t, []int64{v}, got, name)
	}
	_, err = r.ReadInt64("u64")
	assert.ErrorContains(t, err, `"u64" element 1 = 9223372036854775808 overflows int64`)
}

func TestF16ToFloat32IsExactForEveryHalf(t *testing.T) {
	named := map[uint16]float32{
		0x3c00: 1, 0xc000: -2, 0x7bff: 65504, 0x0001: 1.0 / (1 << 24), 0x03ff: 1023.0 / (1 << 24),
		0x0400: 1.0 / (1 << 14), 0x3555: 0.333251953125,
	}
	for h, v := range named {
		assert.Equal(t, v, F16ToFloat32(h), "half %#04x", h)
	}
	for h := 0; h < 1<<16; h++ {
		sign := 1.0
		if h&0x8000 != 0 {
			sign = -1
		}
		exp, frac := (h>>10)&0x1f, h&0x3ff
		var want float64
		switch {
		case exp == 0x1f && frac == 0:
			want = math.Inf(int(sign))
		case exp == 0x1f:
			require.True(t, math.IsNaN(float64(F16ToFloat32(uint16(h)))), "half %#04x", h)
			continue
		case exp == 0:
			want = sign * math.Ldexp(float64(frac), -24)
		default:
			want = sign * math.Ldexp(float64(1024+frac), exp-25)
		}
		got := F16ToFloat32(uint16(h))
		require.Equal(t, want, float64(got), "half %#04x", h)
		require.Equal(t, math.Signbit(want), math.Signbit(float64(got)), "sign of half %#04x", h)
	}
}

func TestDTypeProperties(t *testing.T) {
	assert.Equal(t, 4, F32.Size())
	assert.Equal(t, 8, U64.Size())
	assert.Equal(t, 0, DType("X").Size())
	assert.True(t, BF16.IsFloat())
	assert.False(t, F8E4M3.IsFloat())
	assert.False(t, F8E4M3.IsInt())
	assert.True(t, BOOL.IsInt())
}

func TestMetadataIsEscapedLikeSerde(t *testing.T) {
	var buf bytes.Buffer
	require.NoError(t, Write(&buf, nil, map[string]string{"q": `"quoted" \ <b>`}))
	assert.Contains(t, buf.String(), `{"__metadata__":{"q":"\"quoted\" \\ <b>"}}`)
	assert.Equal(t, 0, (buf.Len()-8)%8, "header padded to 8 bytes")
	r, err := NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()), "m")
	require.NoError(t, err)
	assert.Equal(t, `"quoted" \ <b>`, r.Metadata()["q"])
	assert.Empty(t, r.Tensors())
}

func TestUnknownFieldsInAnEntryAreIgnored(t *testing.T) {
	b := file(`{"a":{"dtype":"F32","shape":[],"data_offsets":[0,4],"extra":1}}`, []byte{0, 0, 0x80, 0x3f})
	r, err := NewReader(bytes.NewReader(b), int64(len(b)), "m")
	require.NoError(t, err)
	v, err := r.ReadFloat32("a")
	require.NoError(t, err)
	assert.Equal(t, []float32{1}, v)
}

func TestNullMetadataIsEmpty(t *testing.T) {
	b := file(`{"__metadata__":null}`, nil)
	r, err := NewReader(bytes.NewReader(b), int64(len(b)), "m")
	require.NoError(t, err)
	assert.Empty(t, r.Metadata())
}

func TestFormatErrorText(t *testing.T) {
	err := error(&FormatError{File: "f", Msg: "m"})
	assert.Equal(t, "safetensors f: m", err.Error())
	assert.False(t, errors.Is(err, io.EOF))
	assert.True(t, strings.HasPrefix(err.Error(), "safetensors "))
}
