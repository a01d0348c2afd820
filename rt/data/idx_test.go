package data

import (
	"bytes"
	"compress/gzip"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const mnistSubset = "../../testdata/mnist"

func idxBytes(t testing.TB, dims []int, data []byte, gz bool) []byte {
	var buf bytes.Buffer
	require.NoError(t, WriteIDX(&buf, dims, data, gz))
	return buf.Bytes()
}

func writeFile(t *testing.T, name string, b []byte) string {
	path := filepath.Join(t.TempDir(), name)
	require.NoError(t, os.WriteFile(path, b, 0o644))
	return path
}

func TestIDXRoundTripsPlainAndGzipped(t *testing.T) {
	data := []byte{0, 1, 2, 253, 254, 255}
	for _, gz := range []bool{false, true} {
		b := idxBytes(t, []int{2, 1, 3}, data, gz)
		idx, err := DecodeIDX(bytes.NewReader(b), "mem")
		require.NoError(t, err)
		assert.Equal(t, []int{2, 1, 3}, idx.Dims)
		assert.Equal(t, data, idx.Data)
	}
	t.Run("the plain layout is magic, big-endian sizes, data", func(t *testing.T) {
		assert.Equal(t, []byte{0, 0, 8, 1, 0, 0, 0, 2, 7, 9}, idxBytes(t, []int{2}, []byte{7, 9}, false))
	})
	t.Run("gzipped output is reproducible", func(t *testing.T) {
		assert.Equal(t, idxBytes(t, []int{2}, []byte{7, 9}, true), idxBytes(t, []int{2}, []byte{7, 9}, true))
	})
}

func TestWriteIDXRejectsBadInput(t *testing.T) {
	var buf bytes.Buffer
	assert.ErrorContains(t, WriteIDX(&buf, nil, nil, false), "0 dimensions")
	assert.ErrorContains(t, WriteIDX(&buf, []int{-1}, nil, false), "dimension -1 out of range")
	assert.ErrorContains(t, WriteIDX(&buf, []int{3}, []byte{1}, false), "need 3 bytes, got 1")
}

func TestMalformedIDXIsAnErrorNamingTheFile(t *testing.T) {
	valid := idxBytes(t, []int{2, 2}, []byte{1, 2, 3, 4}, false)
	var gzTrunc bytes.Buffer
	zw := gzip.NewWriter(&gzTrunc)
	zw.Write(valid)
	zw.Close()
	gzCut := gzTrunc.Bytes()[:gzTrunc.Len()-6]
	badCRC := bytes.Clone(gzTrunc.Bytes())
	badCRC[len(badCRC)-8] ^= 0xff

	tests := []struct {
		name string
		data []byte
		msg  string
	}{
		{"an empty file", nil, "reading magic number: truncated"},
		{"a short magic", []byte{0, 0}, "reading magic number: truncated"},
		{"a magic without leading zeros", []byte{1, 0, 8, 1, 0, 0, 0, 0}, "magic number 0x01000801: not an IDX file"},
		{"a float element type", []byte{0, 0, 0x0d, 1, 0, 0, 0, 0}, "magic number 0x00000d01: element type 0x0d is not supported"},
		{"zero dimensions", []byte{0, 0, 8, 0}, "zero dimensions"},
		{"truncated sizes", []byte{0, 0, 8, 3, 0, 0, 0, 1, 0, 0}, "reading 3 dimension sizes: truncated"},
		{"truncated data", valid[:len(valid)-1], "dimensions [2 2]: truncated: want 4 bytes of data, found 3"},
		{"trailing data", append(bytes.Clone(valid), 9), "unexpected data after the 4 bytes"},
		{"sizes beyond any real file", []byte{0, 0, 8, 3, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, "exceed"},
		{"a huge claim over little data", []byte{0, 0, 8, 2, 0, 1, 0, 0, 0, 1, 0, 0, 1, 2, 3}, "want 4294967296 bytes of data, found 3"},
		{"a truncated gzip stream", gzCut, "unexpected EOF"},
		{"a gzip checksum error", badCRC, "checksum"},
		{"a broken gzip header", []byte{0x1f, 0x8b, 0}, "gzip"},
	}
	for _, tt := range tests {
		t.Run("reading "+tt.name+" fails", func(t *testing.T) {
			path := writeFile(t, "bad.idx", tt.data)
			_, err := ReadIDX(path)
			require.Error(t, err)
			var fe *FormatError
			require.ErrorAs(t, err, &fe)
			assert.Equal(t, "idx", fe.Format)
			assert.Contains(t, err.Error(), "idx "+path+": ")
			assert.Contains(t, err.Error(), tt.msg)
		})
	}
	t.Run("reading a missing file fails", func(t *testing.T) {
		_, err := ReadIDX(filepath.Join(t.TempDir(), "none"))
		assert.ErrorIs(t, err, os.ErrNotExist)
	})
	t.Run("decoding a broken gzip header fails", func(t *testing.T) {
		_, err := DecodeIDX(bytes.NewReader([]byte{0x1f, 0x8b, 0}), "mem")
		assert.ErrorContains(t, err, "idx mem: gzip")
	})
}

func TestImageAndLabelFilesMustHaveTheirRank(t *testing.T) {
	img := writeFile(t, "img", idxBytes(t, []int{2, 1, 2}, []byte{0, 51, 255, 102}, false))
	lab := writeFile(t, "lab", idxBytes(t, []int{2}, []byte{7, 1}, false))
	lab3 := writeFile(t, "lab3", idxBytes(t, []int{3}, []byte{7, 1, 2}, false))

	d, err := LoadIDX(img, lab)
	require.NoError(t, err)
	assert.Equal(t, []int{1, 1, 2}, d.Shape)
	assert.Equal(t, []float32{0, 0.2, 1, 0.4}, d.X)
	assert.Equal(t, []int32{7, 1}, d.Y)

	_, _, _, _, err = ReadIDXImages(lab)
	assert.ErrorContains(t, err, "an image file has 3 dimensions (magic 0x00000803), this one has 1")
	_, err = ReadIDXLabels(img)
	assert.ErrorContains(t, err, "a label file has 1 dimension (magic 0x00000801), this one has 3")
	_, err = LoadIDX(img, lab3)
	assert.ErrorContains(t, err, "idx "+lab3+": 3 labels for the 2 images of "+img)
	_, err = LoadIDX(lab, lab)
	assert.Error(t, err)
	_, err = LoadIDX(img, img)
	assert.Error(t, err)
	empty := writeFile(t, "empty", idxBytes(t, []int{2, 0, 2}, nil, false))
	_, err = LoadIDX(empty, lab)
	assert.ErrorContains(t, err, "images of size 0x2")
}

func TestScaleBytesIsCorrectlyRounded(t *testing.T) {
	b := make([]byte, 256)
	for i := range b {
		b[i] = byte(i)
	}
	for i, v := range ScaleBytes(b) {
		require.Equal(t, float32(float64(i)/255), v, "byte %d", i)
	}
}

func TestTheShippedMNISTSubset(t *testing.T) {
	train, test, err := MNIST(mnistSubset)
	require.NoError(t, err)
	assert.Equal(t, 2000, train.Len())
	assert.Equal(t, 500, test.Len())
	assert.Equal(t, []int{1, 28, 28}, train.Shape)
	require.NoError(t, train.Validate())
	require.NoError(t, test.Validate())
	assert.Equal(t, 10, train.Classes())
	// The first labels of MNIST's training and test files are well known.
	assert.Equal(t, []int32{5, 0, 4, 1, 9, 2, 1, 3, 1, 4}, train.Y[:10])
	assert.Equal(t, []int32{7, 2, 1, 0, 4, 1, 4, 9, 5, 9}, test.Y[:10])
	for _, v := range train.X {
		require.True(t, v >= 0 && v <= 1)
	}
	// The first training image is a 5 whose top stroke starts at row 5, column 17.
	assert.Greater(t, train.X[5*28+17], float32(0.5))
	assert.Equal(t, float32(0), train.X[5*28+2])
	assert.Equal(t, float32(0), train.X[0])
	assert.InDelta(t, 0.130178, mean(train.X), 1e-6)
}

func TestMNISTReadsUncompressedFilesToo(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{MNISTTrainImages, MNISTTrainLabels, MNISTTestImages, MNISTTestLabels} {
		idx, err := ReadIDX(filepath.Join(mnistSubset, name))
		require.NoError(t, err)
		n := 3
		per := len(idx.Data) / idx.Dims[0]
		dims := append([]int{n}, idx.Dims[1:]...)
		plain := idxBytes(t, dims, idx.Data[:n*per], false)
		require.NoError(t, os.WriteFile(filepath.Join(dir, name[:len(name)-3]), plain, 0o644))
	}
	train, test, err := MNIST(dir)
	require.NoError(t, err)
	assert.Equal(t, []int32{5, 0, 4}, train.Y)
	assert.Equal(t, 3, test.Len())
}

func TestMNISTInAnEmptyDirectoryNamesTheMissingFile(t *testing.T) {
	dir := t.TempDir()
	_, _, err := MNIST(dir)
	require.Error(t, err)
	assert.Contains(t, err.Error(), filepath.Join(dir, MNISTTrainImages))
	assert.ErrorIs(t, err, os.ErrNotExist)
}

func TestTheFullMNISTFromTheGoModule(t *testing.T) {
	if testing.Short() {
		t.Skip("reads 55 MB of MNIST; run without -short")
	}
	dir, err := FindGoMNIST()
	if err != nil {
		t.Skipf("GoMNIST module unavailable: %v", err)
	}
	train, test, err := MNIST(dir)
	require.NoError(t, err)
	assert.Equal(t, 60000, train.Len())
	assert.Equal(t, 10000, test.Len())
	// The mean pixel of the training set, the 0.1307 of every MNIST normalization.
	assert.InDelta(t, 0.1306605, mean(train.X), 1e-6)

	// The shipped subset is the head of the full set.
	sub, subTest, err := MNIST(mnistSubset)
	require.NoError(t, err)
	assert.Equal(t, sub.X, train.X[:len(sub.X)])
	assert.Equal(t, sub.Y, train.Y[:len(sub.Y)])
	assert.Equal(t, subTest.Y, test.Y[:len(subTest.Y)])
}

func mean(x []float32) float64 {
	var s float64
	for _, v := range x {
		s += float64(v)
	}
	return s / float64(len(x))
}
