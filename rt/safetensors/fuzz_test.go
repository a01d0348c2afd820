package safetensors

import (
	"bytes"
	"os"
	"testing"

	"github.com/stretchr/testify/require"
)

// FuzzLoad feeds arbitrary bytes to the reader and, when they parse, reads every
// tensor and loads them into matching destinations. Nothing may panic, and a file
// that parses must keep its promises: every tensor readable, and a float-only file
// must survive a write/read round trip.
func FuzzLoad(f *testing.F) {
	for _, name := range []string{"testdata/golden_torch.safetensors", "testdata/golden_f32.safetensors"} {
		b, err := os.ReadFile(name)
		require.NoError(f, err)
		f.Add(b)
		for _, n := range []int{0, 7, 8, 9, 16, len(b) / 2, len(b) - 1} {
			f.Add(b[:n])
		}
	}
	f.Add(file(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[],"data_offsets":[4,8]}}`, make([]byte, 8)))
	f.Add(file(`{"a":{"dtype":"F16","shape":[0,4294967296],"data_offsets":[0,0]}}`, nil))
	f.Add(file(`{"__metadata__":{"x":"y"},"a":{"dtype":"BF16","shape":[1],"data_offsets":[0,2]}}`, []byte{0x80, 0x3f}))
	f.Add(file(`{"a":{"dtype":"U64","shape":[1],"data_offsets":[0,8]}}`, bytes.Repeat([]byte{0xff}, 8)))

	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := NewReader(bytes.NewReader(b), int64(len(b)), "fuzz")
		if err != nil {
			return
		}
		var dst []Tensor
		allFloat := true
		for _, info := range r.Tensors() {
			if info.End > int64(len(b)) || info.Begin < 8 {
				t.Fatalf("tensor %q [%d, %d] outside the %d-byte file", info.Name, info.Begin, info.End, len(b))
			}
			switch {
			case info.DType.IsFloat():
				v, err := r.ReadFloat32(info.Name)
				if err != nil {
					t.Fatalf("tensor %q parsed but does not read: %v", info.Name, err)
				}
				dst = append(dst, Tensor{Name: info.Name, Shape: info.Shape, Data: v})
			case info.DType.IsInt():
				allFloat = false
				_, err := r.ReadInt64(info.Name) // may fail only on U64 overflow
				if err != nil && info.DType != U64 {
					t.Fatalf("tensor %q parsed but does not read: %v", info.Name, err)
				}
			default:
				allFloat = false
			}
		}
		loadErr := r.Load(dst, LoadOptions{AllowUnexpected: !allFloat})
		if !allFloat || loadErr != nil {
			return
		}
		var out bytes.Buffer
		if err := Write(&out, dst, r.Metadata()); err != nil {
			if hasEmptyName(dst) {
				return // a name Write refuses but the format allows
			}
			t.Fatalf("rewriting a parsed file: %v", err)
		}
		r2, err := NewReader(bytes.NewReader(out.Bytes()), int64(out.Len()), "rewritten")
		if err != nil {
			t.Fatalf("rewritten file does not parse: %v", err)
		}
		if len(r2.Tensors()) != len(dst) {
			t.Fatalf("rewritten file has %d tensors, want %d", len(r2.Tensors()), len(dst))
		}
	})
}

func hasEmptyName(ts []Tensor) bool {
	for _, t := range ts {
		if t.Name == "" {
			return true
		}
	}
	return false
}
