package data

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// The fuzz targets check that no input panics, that input which parses keeps its
// promises (sizes agree with the data), and that the writers' output reads back.

func FuzzIDX(f *testing.F) {
	for _, name := range []string{MNISTTrainLabels, MNISTTestLabels} {
		b, err := os.ReadFile(filepath.Join(mnistSubset, name))
		require.NoError(f, err)
		f.Add(b)
		f.Add(b[:len(b)/2])
	}
	valid := idxBytes(f, []int{2, 2, 2}, []byte{1, 2, 3, 4, 5, 6, 7, 8}, false)
	for n := 0; n <= len(valid); n += 3 {
		f.Add(valid[:n])
	}
	f.Add(idxBytes(f, []int{3}, []byte{1, 2, 3}, true))
	f.Add([]byte{0, 0, 8, 2, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0})
	f.Add([]byte{0, 0, 0x0d, 1, 0, 0, 0, 1, 0, 0, 0, 0})

	f.Fuzz(func(t *testing.T, b []byte) {
		idx, err := DecodeIDX(bytes.NewReader(b), "fuzz")
		if err != nil {
			if !strings.HasPrefix(err.Error(), "idx fuzz: ") {
				t.Fatalf("error does not name the input: %v", err)
			}
			return
		}
		n := 1
		for _, d := range idx.Dims {
			n *= d
		}
		if n != len(idx.Data) {
			t.Fatalf("dims %v but %d bytes", idx.Dims, len(idx.Data))
		}
		var out bytes.Buffer
		if err := WriteIDX(&out, idx.Dims, idx.Data, false); err != nil {
			t.Fatalf("rewriting: %v", err)
		}
		again, err := DecodeIDX(&out, "again")
		if err != nil || !bytes.Equal(again.Data, idx.Data) {
			t.Fatalf("rewritten IDX does not read back: %v", err)
		}
	})
}

func FuzzCSV(f *testing.F) {
	f.Add("1,0.5,2\n0,-1e-3,3\n", false, int8(0), false)
	f.Add("a,label,b\n1,2,3\n4,5,6\n", true, int8(1), false)
	f.Add("1,2,0.25\n3,4,-7.5\n", false, int8(-1), true)
	f.Add("\ufeffy,x\r\n\r\n\"3\",\"1.5\"\r\n", true, int8(0), false)
	f.Add("1,\"2\n", false, int8(0), false)
	f.Add("1,NaN\n", false, int8(0), false)
	f.Add("\"1\n\",2\n0,x\n", false, int8(0), false)

	f.Fuzz(func(t *testing.T, text string, header bool, label int8, target bool) {
		d, err := DecodeCSV(strings.NewReader(text), "fuzz", CSVOptions{Header: header, Label: int(label), Target: target})
		if err != nil {
			if !strings.HasPrefix(err.Error(), "csv fuzz") {
				t.Fatalf("error does not name the input: %v", err)
			}
			return
		}
		if err := d.Validate(); err != nil {
			t.Fatalf("parsed dataset is invalid: %v", err)
		}
		if d.Len() < 1 || (d.Y == nil) == (d.T == nil) {
			t.Fatalf("parsed dataset has %d examples, Y %v, T %v", d.Len(), d.Y != nil, d.T != nil)
		}
	})
}

func FuzzNPY(f *testing.F) {
	files, err := filepath.Glob("testdata/*.npy")
	require.NoError(f, err)
	for _, name := range files {
		b, err := os.ReadFile(name)
		require.NoError(f, err)
		f.Add(b)
		f.Add(b[:len(b)-1])
	}
	f.Add(npyFile(`{"descr": "<f4", "fortran_order": False, "shape": (2L,)}`, make([]byte, 8)))
	f.Add(npyFile("{'descr': '<f8', 'fortran_order': False, 'shape': (2147483647,), }", make([]byte, 8)))
	f.Add([]byte("\x93NUMPY\x02\x00\xff\xff\xff\xff"))

	f.Fuzz(func(t *testing.T, b []byte) {
		a, err := DecodeNPY(bytes.NewReader(b), "fuzz")
		if err != nil {
			if !strings.HasPrefix(err.Error(), "npy fuzz: ") {
				t.Fatalf("error does not name the input: %v", err)
			}
			return
		}
		n := 1
		for _, d := range a.Shape {
			n *= d
		}
		if n != a.Len() {
			t.Fatalf("shape %v but %d elements", a.Shape, a.Len())
		}
		x := a.Float32()
		a.Int64() // may fail on fractions, must not panic
		var out bytes.Buffer
		if err := WriteNPY(&out, a.Shape, x); err != nil {
			t.Fatalf("rewriting: %v", err)
		}
		again, err := DecodeNPY(&out, "again")
		if err != nil {
			t.Fatalf("rewritten NPY does not read back: %v", err)
		}
		y := again.Float32()
		for i := range x {
			if x[i] != y[i] && x[i] == x[i] { // NaN != NaN
				t.Fatalf("element %d: %v became %v", i, x[i], y[i])
			}
		}
	})
}

func FuzzNPZ(f *testing.F) {
	files, err := filepath.Glob("testdata/*.npz")
	require.NoError(f, err)
	for _, name := range files {
		b, err := os.ReadFile(name)
		require.NoError(f, err)
		f.Add(b)
		f.Add(b[:len(b)-7])
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		arrays, err := DecodeNPZ(bytes.NewReader(b), int64(len(b)), "fuzz.npz")
		if err != nil {
			if !strings.Contains(err.Error(), "fuzz.npz") {
				t.Fatalf("error does not name the input: %v", err)
			}
			return
		}
		for name, a := range arrays {
			if !isNumPyMember(name) {
				t.Fatalf("array %q is not a member of a data set", name)
			}
			n := 1
			for _, d := range a.Shape {
				n *= d
			}
			if n != a.Len() {
				t.Fatalf("%s: shape %v but %d elements", name, a.Shape, a.Len())
			}
		}
	})
}
