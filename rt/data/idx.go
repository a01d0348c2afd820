package data

import (
	"compress/gzip"
	"encoding/binary"
	"fmt"
	"io"
)

// IDX is the format of the MNIST files (LeCun et al., http://yann.lecun.com/exdb/mnist/):
// a 4-byte big-endian magic number 0x0000TTDD, where TT is the element type and DD
// the number of dimensions, then DD big-endian uint32 sizes, then the elements in
// row-major order. MNIST uses TT = 0x08 (unsigned byte): 0x00000803 for images
// (count, rows, columns) and 0x00000801 for labels (count).

// IDXUnsignedByte is the only IDX element type supported (the one MNIST uses).
const IDXUnsignedByte = 0x08

// The magic numbers of MNIST's image and label files.
const (
	IDXImagesMagic = 0x00000803
	IDXLabelsMagic = 0x00000801
)

// IDX is the content of an IDX file of unsigned bytes.
type IDX struct {
	Dims []int
	Data []byte // row-major, len = product of Dims
}

// idxErr builds a FormatError; an error argument becomes its Err, so that errors.Is
// sees through it (io.ErrUnexpectedEOF, gzip.ErrChecksum, ...).
func idxErr(file, format string, args ...any) error {
	e := &FormatError{Format: "idx", File: file, Msg: fmt.Sprintf(format, args...)}
	for _, a := range args {
		if err, ok := a.(error); ok {
			e.Err = err
		}
	}
	return e
}

// ReadIDX reads an IDX file of unsigned bytes, gzipped or not.
func ReadIDX(path string) (*IDX, error) {
	r, c, err := openMaybeGzip(path, "idx")
	if err != nil {
		return nil, err // names the file
	}
	defer c.Close()
	return decodeIDX(r, path)
}

// DecodeIDX reads IDX data (gzipped or not) from r; name is used in errors.
func DecodeIDX(r io.Reader, name string) (*IDX, error) {
	r, err := maybeGunzip(r)
	if err != nil {
		return nil, idxErr(name, "%v", err)
	}
	return decodeIDX(r, name)
}

func decodeIDX(r io.Reader, name string) (*IDX, error) {
	var head [4]byte
	if _, err := io.ReadFull(r, head[:]); err != nil {
		return nil, idxErr(name, "reading magic number: %v", eofIsTruncation(err))
	}
	magic := binary.BigEndian.Uint32(head[:])
	if head[0] != 0 || head[1] != 0 {
		return nil, idxErr(name, "magic number %#08x: not an IDX file (an IDX magic starts with two zero bytes)", magic)
	}
	if head[2] != IDXUnsignedByte {
		return nil, idxErr(name, "magic number %#08x: element type %#02x is not supported (only unsigned byte, 0x08)", magic, head[2])
	}
	nd := int(head[3])
	if nd == 0 {
		return nil, idxErr(name, "magic number %#08x: zero dimensions", magic)
	}
	dimBytes := make([]byte, 4*nd)
	if _, err := io.ReadFull(r, dimBytes); err != nil {
		return nil, idxErr(name, "reading %d dimension sizes: %v", nd, eofIsTruncation(err))
	}
	dims := make([]int, nd)
	total := int64(1)
	for i := range dims {
		d := int64(binary.BigEndian.Uint32(dimBytes[4*i:]))
		dims[i] = int(d)
		if d > 0 && total > maxBytes/d { // checked before multiplying, so it cannot overflow
			return nil, idxErr(name, "dimensions %v exceed %d bytes", dims[:i+1], int64(maxBytes))
		}
		total *= d
	}
	data, err := readExactly(r, total)
	if err != nil {
		return nil, idxErr(name, "dimensions %v: %v", dims, eofIsTruncation(err))
	}
	return &IDX{Dims: dims, Data: data}, nil
}

func eofIsTruncation(err error) error {
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		return fmt.Errorf("truncated (%w)", err)
	}
	return err
}

// WriteIDX writes an IDX file of unsigned bytes with the given dimensions, gzipped if
// gz is set (gzip output with a zero header, so the bytes are reproducible).
func WriteIDX(w io.Writer, dims []int, data []byte, gz bool) error {
	if len(dims) == 0 || len(dims) > 255 {
		return fmt.Errorf("idx: %d dimensions, want 1..255", len(dims))
	}
	n := 1
	head := []byte{0, 0, IDXUnsignedByte, byte(len(dims))}
	for _, d := range dims {
		if d < 0 || int64(d) > 1<<32-1 {
			return fmt.Errorf("idx: dimension %d out of range", d)
		}
		n *= d
		head = binary.BigEndian.AppendUint32(head, uint32(d))
	}
	if n != len(data) {
		return fmt.Errorf("idx: dimensions %v need %d bytes, got %d", dims, n, len(data))
	}
	if !gz {
		if _, err := w.Write(head); err != nil {
			return err
		}
		_, err := w.Write(data)
		return err
	}
	zw, err := gzip.NewWriterLevel(w, gzip.BestCompression)
	if err != nil {
		return err
	}
	zw.Write(head)
	zw.Write(data)
	return zw.Close() // reports the first write error
}

// ReadIDXImages reads an IDX image file (magic 0x00000803: count, rows, columns)
// and scales its bytes to float32 in [0, 1] (v/255, as torchvision's ToTensor).
func ReadIDXImages(path string) (x []float32, n, rows, cols int, err error) {
	idx, err := ReadIDX(path)
	if err != nil {
		return nil, 0, 0, 0, err
	}
	if len(idx.Dims) != 3 {
		return nil, 0, 0, 0, idxErr(path, "an image file has 3 dimensions (magic %#08x), this one has %d: %v", IDXImagesMagic, len(idx.Dims), idx.Dims)
	}
	return ScaleBytes(idx.Data), idx.Dims[0], idx.Dims[1], idx.Dims[2], nil
}

// ScaleBytes converts pixel bytes to float32 in [0, 1] (v/255, correctly rounded).
func ScaleBytes(b []byte) []float32 {
	x := make([]float32, len(b))
	for i, v := range b {
		x[i] = float32(v) / 255
	}
	return x
}

// ReadIDXLabels reads an IDX label file (magic 0x00000801: count).
func ReadIDXLabels(path string) ([]int32, error) {
	idx, err := ReadIDX(path)
	if err != nil {
		return nil, err
	}
	if len(idx.Dims) != 1 {
		return nil, idxErr(path, "a label file has 1 dimension (magic %#08x), this one has %d: %v", IDXLabelsMagic, len(idx.Dims), idx.Dims)
	}
	y := make([]int32, len(idx.Data))
	for i, v := range idx.Data {
		y[i] = int32(v)
	}
	return y, nil
}

// LoadIDX reads an image file and its label file into a Dataset whose examples have
// shape [1 rows cols] (one channel, NCHW).
func LoadIDX(imagesPath, labelsPath string) (*Dataset, error) {
	x, n, rows, cols, err := ReadIDXImages(imagesPath)
	if err != nil {
		return nil, err
	}
	y, err := ReadIDXLabels(labelsPath)
	if err != nil {
		return nil, err
	}
	if len(y) != n {
		return nil, idxErr(labelsPath, "%d labels for the %d images of %s", len(y), n, imagesPath)
	}
	if rows == 0 || cols == 0 {
		return nil, idxErr(imagesPath, "images of size %dx%d", rows, cols)
	}
	return &Dataset{X: x, Shape: []int{1, rows, cols}, Y: y}, nil
}
