// Package safetensors reads and writes the safetensors weight format used by Hugging
// Face and PyTorch, so weights trained by dlgen-generated code load in PyTorch and the
// other way round.
//
// A file is an 8-byte little-endian header length N, N bytes of a JSON object, then
// the tensor data. The JSON maps each tensor name to {"dtype", "shape",
// "data_offsets": [begin, end]}, offsets relative to the first data byte, and may hold
// a "__metadata__" map of strings. The data of all tensors tiles the data section
// exactly: no gaps, no overlaps, nothing after the last tensor. Values are
// little-endian and row-major (C order).
//
// Every parser here treats its input as hostile: lengths are checked against the file
// size before anything is allocated, and a bad file is an error naming it, never a
// panic.
package safetensors

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/dlgen/dlgen/rt"
)

// Tensor is a named float32 tensor, row-major: the source when saving and the
// destination when loading (Load fills Data in place, so its length must already be
// the product of Shape). It is rt.Tensor, so a generated model's Params() and
// OptimizerState() pass straight to Save, Load and the checkpoint functions.
type Tensor = rt.Tensor

// DType is a safetensors element type, spelled as in the file ("F32", "I64", ...).
type DType string

// The element types of the safetensors specification.
const (
	BOOL    DType = "BOOL"
	U8      DType = "U8"
	I8      DType = "I8"
	F8E5M2  DType = "F8_E5M2"
	F8E4M3  DType = "F8_E4M3"
	I16     DType = "I16"
	U16     DType = "U16"
	F16     DType = "F16"
	BF16    DType = "BF16"
	I32     DType = "I32"
	U32     DType = "U32"
	F32     DType = "F32"
	F64     DType = "F64"
	I64     DType = "I64"
	U64     DType = "U64"
	metaKey       = "__metadata__"
)

var dtypeSizes = map[DType]int{
	BOOL: 1, U8: 1, I8: 1, F8E5M2: 1, F8E4M3: 1,
	I16: 2, U16: 2, F16: 2, BF16: 2,
	I32: 4, U32: 4, F32: 4,
	F64: 8, I64: 8, U64: 8,
}

// Size is the number of bytes of one element, or 0 for an unknown type.
func (d DType) Size() int { return dtypeSizes[d] }

// IsFloat reports whether values of this type can be read as float32 by ReadFloat32
// and Load: F32 exactly, F16 and BF16 exactly (widening), F64 rounded to nearest.
func (d DType) IsFloat() bool { return d == F32 || d == F64 || d == F16 || d == BF16 }

// IsInt reports whether values of this type can be read by ReadInt64.
func (d DType) IsInt() bool {
	switch d {
	case BOOL, U8, I8, I16, U16, I32, U32, I64, U64:
		return true
	}
	return false
}

// MaxHeaderLen bounds the JSON header, as the reference (Rust) implementation does:
// a header length beyond it is rejected before anything is allocated.
const MaxHeaderLen = 100 << 20

// FormatError reports a file that is not valid safetensors.
type FormatError struct {
	File string // file name, or a caller-chosen name for a reader
	Msg  string
}

func (e *FormatError) Error() string { return "safetensors " + e.File + ": " + e.Msg }

func formatErr(file, format string, args ...any) error {
	return &FormatError{File: file, Msg: fmt.Sprintf(format, args...)}
}

// Info describes one tensor of a file. Begin and End are absolute byte offsets in the
// file (the header's data_offsets plus the data start).
type Info struct {
	Name       string
	DType      DType
	Shape      []int
	Begin, End int64
}

// NumElems is the number of elements (1 for a scalar).
func (t Info) NumElems() int {
	n := 1
	for _, d := range t.Shape {
		n *= d
	}
	return n
}

// Reader gives access to the tensors of one safetensors file without loading the
// file whole: the header is parsed and validated when it is opened, and each tensor is
// read on demand.
type Reader struct {
	name     string
	r        io.ReaderAt
	closer   io.Closer
	metadata map[string]string
	tensors  []Info // in file (offset) order
	byName   map[string]int
}

// Open opens and validates a safetensors file. Close it when done.
func Open(path string) (*Reader, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("safetensors: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("safetensors: %w", err)
	}
	r, err := NewReader(f, st.Size(), path)
	if err != nil {
		f.Close()
		return nil, err
	}
	r.closer = f
	return r, nil
}

// Close releases the file opened by Open; it does nothing for NewReader's readers.
func (r *Reader) Close() error {
	if r.closer == nil {
		return nil
	}
	err := r.closer.Close()
	r.closer = nil
	return err
}

// Name is the file name given to Open or NewReader.
func (r *Reader) Name() string { return r.name }

// Metadata returns the "__metadata__" map (empty if the file has none). The map is
// the reader's own: do not modify it.
func (r *Reader) Metadata() map[string]string { return r.metadata }

// Tensors lists the tensors in the order their data appears in the file.
func (r *Reader) Tensors() []Info { return r.tensors }

// Info returns the description of the named tensor.
func (r *Reader) Info(name string) (Info, bool) {
	i, ok := r.byName[name]
	if !ok {
		return Info{}, false
	}
	return r.tensors[i], true
}

// header is one tensor entry of the JSON header. Fields are raw so that a missing
// field can be told from an empty one.
type header struct {
	DType       *string  `json:"dtype"`
	Shape       *[]int64 `json:"shape"`
	DataOffsets *[]int64 `json:"data_offsets"`
}

// NewReader validates the safetensors data of size bytes in r; name is used in errors.
func NewReader(r io.ReaderAt, size int64, name string) (*Reader, error) {
	if size < 8 {
		return nil, formatErr(name, "file is %d bytes, too short for the 8-byte header length", size)
	}
	var lenBuf [8]byte
	if _, err := r.ReadAt(lenBuf[:], 0); err != nil {
		return nil, formatErr(name, "reading header length: %v", err)
	}
	n := binary.LittleEndian.Uint64(lenBuf[:])
	if n > uint64(size-8) {
		return nil, formatErr(name, "header length %d exceeds the %d bytes after the length field (truncated or not a safetensors file)", n, size-8)
	}
	if n > MaxHeaderLen {
		return nil, formatErr(name, "header length %d exceeds the limit of %d bytes", n, MaxHeaderLen)
	}
	hdr := make([]byte, n)
	if _, err := r.ReadAt(hdr, 8); err != nil && n > 0 {
		return nil, formatErr(name, "reading %d-byte header: %v", n, err)
	}
	dataStart := 8 + int64(n)
	rd := &Reader{name: name, r: r, metadata: map[string]string{}, byName: map[string]int{}}
	if err := rd.parseHeader(hdr, dataStart, size-dataStart); err != nil {
		return nil, err
	}
	return rd, nil
}

func (r *Reader) parseHeader(hdr []byte, dataStart, dataLen int64) error {
	name := r.name
	// The specification requires the header to start with '{' and allows trailing
	// spaces (writers pad it to a multiple of 8 bytes).
	if len(hdr) == 0 || hdr[0] != '{' {
		return formatErr(name, "header is not a JSON object")
	}
	if !utf8.Valid(hdr) {
		return formatErr(name, "header is not valid UTF-8")
	}
	// Check the syntax of the whole header first, so that a broken file is reported
	// as invalid JSON rather than by the first entry the walk below happens to reach.
	var syntax map[string]json.RawMessage
	if err := json.Unmarshal(bytes.TrimRight(hdr, " "), &syntax); err != nil {
		return formatErr(name, "invalid JSON header: %v", err)
	}
	dec := json.NewDecoder(bytes.NewReader(hdr))
	dec.UseNumber()
	if _, err := dec.Token(); err != nil {
		return formatErr(name, "invalid JSON header: %v", err)
	}
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return formatErr(name, "invalid JSON header: %v", err)
		}
		key, ok := tok.(string)
		if !ok {
			return formatErr(name, "invalid JSON header: key %v is not a string", tok)
		}
		if seen[key] {
			return formatErr(name, "header names %q twice", key)
		}
		seen[key] = true
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return formatErr(name, "invalid JSON header at %q: %v", key, err)
		}
		if key == metaKey {
			if err := r.parseMetadata(raw); err != nil {
				return err
			}
			continue
		}
		info, err := parseInfo(key, raw, dataStart)
		if err != nil {
			return formatErr(name, "%v", err)
		}
		r.byName[key] = len(r.tensors)
		r.tensors = append(r.tensors, info)
	}
	if _, err := dec.Token(); err != nil { // the closing brace
		return formatErr(name, "invalid JSON header: %v", err)
	}
	rest := hdr[dec.InputOffset():]
	if len(bytes.Trim(rest, " ")) != 0 {
		return formatErr(name, "header has %d bytes after the JSON object that are not space padding", len(rest))
	}

	// The data of all tensors must tile [0, dataLen) exactly. Sort by offsets (empty
	// tensors first at equal offsets) and walk.
	sort.SliceStable(r.tensors, func(i, j int) bool {
		a, b := r.tensors[i], r.tensors[j]
		if a.Begin != b.Begin {
			return a.Begin < b.Begin
		}
		return a.End < b.End
	})
	pos := dataStart
	for i, t := range r.tensors {
		r.byName[t.Name] = i
		switch {
		case t.Begin < pos:
			return formatErr(name, "tensor %q data_offsets [%d, %d] overlap the previous tensor, which ends at %d", t.Name, t.Begin-dataStart, t.End-dataStart, pos-dataStart)
		case t.Begin > pos:
			return formatErr(name, "tensor %q data_offsets [%d, %d] leave a gap after offset %d (data must be contiguous)", t.Name, t.Begin-dataStart, t.End-dataStart, pos-dataStart)
		}
		pos = t.End
	}
	if end := pos - dataStart; end != dataLen {
		if end > dataLen {
			// Name the first tensor cut short, so that the error says what is lost.
			cut := ""
			for _, t := range r.tensors {
				if t.End-dataStart > dataLen {
					cut = fmt.Sprintf("; tensor %q [%d, %d] is cut short", t.Name, t.Begin-dataStart, t.End-dataStart)
					break
				}
			}
			return formatErr(name, "tensor data ends at offset %d but the file holds only %d data bytes (truncated)%s", end, dataLen, cut)
		}
		return formatErr(name, "tensor data ends at offset %d but the file holds %d data bytes (trailing bytes)", end, dataLen)
	}
	return nil
}

func (r *Reader) parseMetadata(raw json.RawMessage) error {
	if string(raw) == "null" {
		return nil
	}
	var m map[string]string
	if err := json.Unmarshal(raw, &m); err != nil {
		return formatErr(r.name, "__metadata__ is not a map of strings: %v", err)
	}
	r.metadata = m
	return nil
}

// maxElems bounds a shape so that byte counts cannot overflow int64.
const maxElems = math.MaxInt64 / 8

func parseInfo(name string, raw json.RawMessage, dataStart int64) (Info, error) {
	// Unknown fields are ignored, as the reference (Rust) reader ignores them.
	var h header
	if err := json.Unmarshal(raw, &h); err != nil {
		return Info{}, fmt.Errorf("tensor %q: invalid entry: %v", name, err)
	}
	switch {
	case h.DType == nil:
		return Info{}, fmt.Errorf("tensor %q: no dtype", name)
	case h.Shape == nil:
		return Info{}, fmt.Errorf("tensor %q: no shape", name)
	case h.DataOffsets == nil:
		return Info{}, fmt.Errorf("tensor %q: no data_offsets", name)
	}
	dt := DType(*h.DType)
	if dt.Size() == 0 {
		return Info{}, fmt.Errorf("tensor %q: unknown dtype %q", name, *h.DType)
	}
	info := Info{Name: name, DType: dt, Shape: make([]int, len(*h.Shape))}
	elems := int64(1)
	for i, d := range *h.Shape {
		if d < 0 {
			return Info{}, fmt.Errorf("tensor %q: negative dimension in shape %v", name, *h.Shape)
		}
		if d > 0 && elems > maxElems/d {
			return Info{}, fmt.Errorf("tensor %q: shape %v has too many elements", name, *h.Shape)
		}
		elems *= d
		info.Shape[i] = int(d)
	}
	if len(*h.DataOffsets) != 2 {
		return Info{}, fmt.Errorf("tensor %q: data_offsets has %d entries, want 2", name, len(*h.DataOffsets))
	}
	begin, end := (*h.DataOffsets)[0], (*h.DataOffsets)[1]
	if begin < 0 || end < begin || end > math.MaxInt64-dataStart {
		return Info{}, fmt.Errorf("tensor %q: invalid data_offsets [%d, %d]", name, begin, end)
	}
	if want := elems * int64(dt.Size()); end-begin != want {
		return Info{}, fmt.Errorf("tensor %q: data_offsets [%d, %d] span %d bytes, but %s %v needs %d", name, begin, end, end-begin, dt, *h.Shape, want)
	}
	info.Begin, info.End = begin+dataStart, end+dataStart
	return info, nil
}

// chunk is the read buffer size for converting tensor data.
const chunk = 64 << 10

// ReadFloat32 reads the named tensor as a new float32 slice (see DType.IsFloat for
// the types it converts).
func (r *Reader) ReadFloat32(name string) ([]float32, error) {
	t, ok := r.Info(name)
	if !ok {
		return nil, fmt.Errorf("safetensors %s: no tensor %q", r.name, name)
	}
	dst := make([]float32, t.NumElems())
	return dst, r.readInto(t, dst)
}

// ReadInto reads the named tensor into dst, which must have exactly its number of
// elements. It does not allocate beyond a fixed-size read buffer.
func (r *Reader) ReadInto(name string, dst []float32) error {
	t, ok := r.Info(name)
	if !ok {
		return fmt.Errorf("safetensors %s: no tensor %q", r.name, name)
	}
	if n := t.NumElems(); n != len(dst) {
		return fmt.Errorf("safetensors %s: tensor %q has %d elements, destination %d", r.name, name, n, len(dst))
	}
	return r.readInto(t, dst)
}

func (r *Reader) readInto(t Info, dst []float32) error {
	if !t.DType.IsFloat() {
		return fmt.Errorf("safetensors %s: tensor %q is %s, not a floating-point type", r.name, t.Name, t.DType)
	}
	size := t.DType.Size()
	return r.readChunks(t, func(b []byte, at int) {
		d := dst[at : at+len(b)/size]
		switch t.DType {
		case F32:
			for i := range d {
				d[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
			}
		case F64:
			for i := range d {
				d[i] = float32(math.Float64frombits(binary.LittleEndian.Uint64(b[8*i:])))
			}
		case F16:
			for i := range d {
				d[i] = F16ToFloat32(binary.LittleEndian.Uint16(b[2*i:]))
			}
		case BF16:
			for i := range d {
				d[i] = math.Float32frombits(uint32(binary.LittleEndian.Uint16(b[2*i:])) << 16)
			}
		}
	})
}

// ReadInt64 reads the named integer or boolean tensor (such as PyTorch's
// num_batches_tracked) as int64. A U64 value above MaxInt64 is an error.
func (r *Reader) ReadInt64(name string) ([]int64, error) {
	t, ok := r.Info(name)
	if !ok {
		return nil, fmt.Errorf("safetensors %s: no tensor %q", r.name, name)
	}
	if !t.DType.IsInt() {
		return nil, fmt.Errorf("safetensors %s: tensor %q is %s, not an integer type", r.name, name, t.DType)
	}
	dst := make([]int64, t.NumElems())
	size := t.DType.Size()
	var bad error
	err := r.readChunks(t, func(b []byte, at int) {
		d := dst[at : at+len(b)/size]
		le := binary.LittleEndian
		for i := range d {
			switch t.DType {
			case BOOL, U8:
				d[i] = int64(b[i])
			case I8:
				d[i] = int64(int8(b[i]))
			case I16:
				d[i] = int64(int16(le.Uint16(b[2*i:])))
			case U16:
				d[i] = int64(le.Uint16(b[2*i:]))
			case I32:
				d[i] = int64(int32(le.Uint32(b[4*i:])))
			case U32:
				d[i] = int64(le.Uint32(b[4*i:]))
			case I64:
				d[i] = int64(le.Uint64(b[8*i:]))
			case U64:
				v := le.Uint64(b[8*i:])
				if v > math.MaxInt64 && bad == nil {
					bad = fmt.Errorf("safetensors %s: tensor %q element %d = %d overflows int64", r.name, name, at+i, v)
				}
				d[i] = int64(v)
			}
		}
	})
	if err == nil {
		err = bad
	}
	if err != nil {
		return nil, err
	}
	return dst, nil
}

// readChunks reads t's bytes in chunks of whole elements and hands each to fn with
// the index of its first element.
func (r *Reader) readChunks(t Info, fn func(b []byte, at int)) error {
	size := int64(t.DType.Size())
	total := t.End - t.Begin
	buf := make([]byte, min(total, chunk))
	for off := int64(0); off < total; {
		n := min(total-off, int64(len(buf)))
		n -= n % size
		if _, err := r.r.ReadAt(buf[:n], t.Begin+off); err != nil {
			if errors.Is(err, io.EOF) {
				err = io.ErrUnexpectedEOF
			}
			return fmt.Errorf("safetensors %s: reading tensor %q: %w", r.name, t.Name, err)
		}
		fn(buf[:n], int(off/size))
		off += n
	}
	return nil
}

// F16ToFloat32 converts an IEEE 754 half-precision value (exactly: every half is a
// float32).
func F16ToFloat32(h uint16) float32 {
	sign := uint32(h>>15) << 31
	exp := uint32(h>>10) & 0x1f
	frac := uint32(h) & 0x3ff
	switch {
	case exp == 0x1f: // Inf or NaN; keep the NaN payload's top bits
		return math.Float32frombits(sign | 0x7f800000 | frac<<13)
	case exp != 0: // normal: rebias 15 → 127
		return math.Float32frombits(sign | (exp+112)<<23 | frac<<13)
	case frac == 0:
		return math.Float32frombits(sign)
	}
	// Subnormal half: frac·2^-24, a normal float32. Shift the leading 1 into the
	// implicit position.
	e := uint32(113)
	for frac&0x400 == 0 {
		frac <<= 1
		e--
	}
	return math.Float32frombits(sign | e<<23 | (frac&0x3ff)<<13)
}

func shapeString(s []int) string {
	parts := make([]string, len(s))
	for i, d := range s {
		parts[i] = fmt.Sprint(d)
	}
	return "[" + strings.Join(parts, " ") + "]"
}
