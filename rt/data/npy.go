package data

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/dlgen/dlgen/rt/safetensors"
)

// NPY is NumPy's array file format (numpy/lib/format.py, NEP 1): the magic
// "\x93NUMPY", a version byte pair, a little-endian header length (uint16 in version
// 1.0, uint32 in 2.0 and 3.0), and a header that is a Python dict literal such as
// {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), } padded with spaces
// and a newline so the data starts 64-byte aligned; then the raw elements.

var npyMagic = []byte("\x93NUMPY")

// maxNPYHeader bounds the header; numpy's own reader refuses more than 10000 bytes by
// default, and real headers of plain arrays are well under 200.
const maxNPYHeader = 1 << 16

// Array is an n-dimensional array read from an NPY file, in C order.
type Array struct {
	Shape []int
	Descr string // NumPy dtype as in the file: "<f4", "<f8", "<i4", "<i8", "|u1" (or big-endian ">…")
	kind  byte   // 'f', 'i' or 'u'
	size  int    // bytes per element
	big   bool   // big-endian elements
	raw   []byte
}

// Len is the number of elements.
func (a *Array) Len() int { return len(a.raw) / a.size }

// Float32 converts the elements to float32 (float64 rounds to nearest; 64-bit
// integers beyond 2^24 in magnitude round too).
func (a *Array) Float32() []float32 {
	out := make([]float32, a.Len())
	for i := range out {
		switch a.kind {
		case 'f':
			out[i] = float32(a.float(i))
		default:
			out[i] = float32(a.int(i))
		}
	}
	return out
}

// Int64 converts the elements to int64; a float element must be a whole number.
func (a *Array) Int64() ([]int64, error) {
	out := make([]int64, a.Len())
	for i := range out {
		if a.kind != 'f' {
			out[i] = a.int(i)
			continue
		}
		v := a.float(i)
		if v != math.Trunc(v) || math.Abs(v) >= 1<<63 {
			return nil, fmt.Errorf("npy: element %d = %v is not an integer", i, v)
		}
		out[i] = int64(v)
	}
	return out, nil
}

func (a *Array) order() binary.ByteOrder {
	if a.big {
		return binary.BigEndian
	}
	return binary.LittleEndian
}

func (a *Array) float(i int) float64 {
	if a.size == 4 {
		return float64(math.Float32frombits(a.order().Uint32(a.raw[4*i:])))
	}
	return math.Float64frombits(a.order().Uint64(a.raw[8*i:]))
}

func (a *Array) int(i int) int64 {
	switch {
	case a.size == 1 && a.kind == 'u':
		return int64(a.raw[i])
	case a.size == 4:
		return int64(int32(a.order().Uint32(a.raw[4*i:])))
	default:
		return int64(a.order().Uint64(a.raw[8*i:]))
	}
}

// npyErr builds a FormatError; an error argument becomes its Err, so that errors.Is
// sees through it (io.ErrUnexpectedEOF, gzip.ErrChecksum, ...).
func npyErr(file, format string, args ...any) error {
	e := &FormatError{Format: "npy", File: file, Msg: fmt.Sprintf(format, args...)}
	for _, a := range args {
		if err, ok := a.(error); ok {
			e.Err = err
		}
	}
	return e
}

// ReadNPY reads an NPY file (gzipped or not).
func ReadNPY(path string) (*Array, error) {
	r, c, err := openMaybeGzip(path, "npy")
	if err != nil {
		return nil, err // names the file
	}
	defer c.Close()
	return decodeNPY(r, path)
}

// DecodeNPY reads NPY data (gzipped or not) from r; name is used in errors.
func DecodeNPY(r io.Reader, name string) (*Array, error) {
	r, err := maybeGunzip(r)
	if err != nil {
		return nil, npyErr(name, "%v", err)
	}
	return decodeNPY(r, name)
}

func decodeNPY(r io.Reader, name string) (*Array, error) {
	var pre [8]byte
	if _, err := io.ReadFull(r, pre[:]); err != nil {
		return nil, npyErr(name, "reading magic: %v", eofIsTruncation(err))
	}
	if !bytes.Equal(pre[:6], npyMagic) {
		return nil, npyErr(name, "not an NPY file (magic %q, want %q)", pre[:6], npyMagic)
	}
	var hlen int64
	switch major, minor := pre[6], pre[7]; {
	case major == 1 && minor == 0:
		var b [2]byte
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return nil, npyErr(name, "reading header length: %v", eofIsTruncation(err))
		}
		hlen = int64(binary.LittleEndian.Uint16(b[:]))
	case (major == 2 || major == 3) && minor == 0:
		var b [4]byte
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return nil, npyErr(name, "reading header length: %v", eofIsTruncation(err))
		}
		hlen = int64(binary.LittleEndian.Uint32(b[:]))
	default:
		return nil, npyErr(name, "unsupported NPY version %d.%d (want 1.0, 2.0 or 3.0)", major, minor)
	}
	if hlen > maxNPYHeader {
		return nil, npyErr(name, "header length %d exceeds the limit of %d", hlen, maxNPYHeader)
	}
	hdr := make([]byte, hlen)
	if _, err := io.ReadFull(r, hdr); err != nil {
		return nil, npyErr(name, "reading %d-byte header: %v", hlen, eofIsTruncation(err))
	}
	h, err := parseNPYHeader(string(hdr))
	if err != nil {
		return nil, npyErr(name, "header %q: %v", strings.TrimRight(string(hdr), " \n"), err)
	}
	a := &Array{Shape: h.shape, Descr: h.descr}
	switch h.descr {
	case "<f4", ">f4":
		a.kind, a.size = 'f', 4
	case "<f8", ">f8":
		a.kind, a.size = 'f', 8
	case "<i4", ">i4":
		a.kind, a.size = 'i', 4
	case "<i8", ">i8":
		a.kind, a.size = 'i', 8
	case "|u1", "<u1", ">u1":
		a.kind, a.size = 'u', 1
	default:
		return nil, npyErr(name, "unsupported dtype %q (supported: <f4 <f8 <i4 <i8 |u1, and big-endian >f4 >f8 >i4 >i8)", h.descr)
	}
	a.big = h.descr[0] == '>' && a.size > 1
	if h.fortran {
		return nil, npyErr(name, "fortran_order arrays are not supported; save with np.ascontiguousarray (C order)")
	}
	total := int64(a.size)
	for _, d := range a.Shape {
		if d > 0 && total > maxBytes/int64(d) {
			return nil, npyErr(name, "shape %v exceeds %d bytes", a.Shape, int64(maxBytes))
		}
		total *= int64(d)
	}
	if a.raw, err = readExactly(r, total); err != nil {
		return nil, npyErr(name, "shape %v of %s: %v", a.Shape, a.Descr, eofIsTruncation(err))
	}
	return a, nil
}

type npyHeader struct {
	descr   string
	fortran bool
	shape   []int
}

// parseNPYHeader parses the header dict. It accepts exactly the Python literal
// syntax numpy writes (and older numpy variants: double quotes, "L" suffixes on
// Python 2 longs), and requires exactly the three keys numpy requires.
func parseNPYHeader(s string) (npyHeader, error) {
	p := &pyParser{s: s}
	var h npyHeader
	seen := map[string]bool{}
	p.space()
	if !p.eat('{') {
		return h, fmt.Errorf("not a dict")
	}
	for {
		p.space()
		if p.eat('}') {
			break
		}
		key, err := p.str()
		if err != nil {
			return h, fmt.Errorf("key: %v", err)
		}
		if seen[key] {
			return h, fmt.Errorf("key %q given twice", key)
		}
		seen[key] = true
		p.space()
		if !p.eat(':') {
			return h, fmt.Errorf("no ':' after key %q", key)
		}
		p.space()
		switch key {
		case "descr":
			if p.peek() == '[' {
				return h, fmt.Errorf("structured dtypes are not supported")
			}
			if h.descr, err = p.str(); err != nil {
				return h, fmt.Errorf("descr: %v", err)
			}
		case "fortran_order":
			switch {
			case p.word("True"):
				h.fortran = true
			case p.word("False"):
			default:
				return h, fmt.Errorf("fortran_order is not True or False")
			}
		case "shape":
			if h.shape, err = p.tuple(); err != nil {
				return h, fmt.Errorf("shape: %v", err)
			}
		default:
			return h, fmt.Errorf("unexpected key %q", key)
		}
		p.space()
		if p.eat('}') {
			break
		}
		if !p.eat(',') {
			return h, fmt.Errorf("no ',' after the value of %q", key)
		}
	}
	p.space()
	if p.i != len(p.s) {
		return h, fmt.Errorf("text after the dict")
	}
	for _, k := range []string{"descr", "fortran_order", "shape"} {
		if !seen[k] {
			return h, fmt.Errorf("no %q key", k)
		}
	}
	return h, nil
}

type pyParser struct {
	s string
	i int
}

func (p *pyParser) peek() byte {
	if p.i < len(p.s) {
		return p.s[p.i]
	}
	return 0
}

func (p *pyParser) space() {
	for p.i < len(p.s) && strings.IndexByte(" \t\n\r", p.s[p.i]) >= 0 {
		p.i++
	}
}

func (p *pyParser) eat(c byte) bool {
	if p.peek() == c {
		p.i++
		return true
	}
	return false
}

func (p *pyParser) word(w string) bool {
	if strings.HasPrefix(p.s[p.i:], w) {
		p.i += len(w)
		return true
	}
	return false
}

// str parses a quoted string without escapes (dtype strings and keys have none).
func (p *pyParser) str() (string, error) {
	q := p.peek()
	if q != '\'' && q != '"' {
		return "", fmt.Errorf("not a string")
	}
	end := strings.IndexByte(p.s[p.i+1:], q)
	if end < 0 {
		return "", fmt.Errorf("unterminated string")
	}
	v := p.s[p.i+1 : p.i+1+end]
	if strings.IndexByte(v, '\\') >= 0 {
		return "", fmt.Errorf("escapes are not supported")
	}
	p.i += end + 2
	return v, nil
}

// tuple parses a tuple of non-negative integers: (), (3,), (2, 3).
func (p *pyParser) tuple() ([]int, error) {
	if !p.eat('(') {
		return nil, fmt.Errorf("not a tuple")
	}
	dims := []int{}
	for {
		p.space()
		if p.eat(')') {
			return dims, nil
		}
		start := p.i
		for p.i < len(p.s) && p.s[p.i] >= '0' && p.s[p.i] <= '9' {
			p.i++
		}
		if start == p.i {
			return nil, fmt.Errorf("not a non-negative integer at %q", p.s[start:min(len(p.s), start+10)])
		}
		d, err := strconv.ParseInt(p.s[start:p.i], 10, 64)
		if err != nil || d > math.MaxInt32 {
			return nil, fmt.Errorf("dimension %s too large", p.s[start:p.i])
		}
		p.eat('L')
		dims = append(dims, int(d))
		p.space()
		if p.eat(')') {
			if len(dims) == 1 {
				// Python's (3) is the integer 3, not a tuple; numpy writes (3,).
				return nil, fmt.Errorf("(%d) is not a tuple; want (%d,)", d, d)
			}
			return dims, nil
		}
		if !p.eat(',') {
			return nil, fmt.Errorf("no ',' between dimensions")
		}
	}
}

// npyGrowthDigits is numpy's GROWTH_AXIS_MAX_DIGITS: np.save pads the header with
// room for the leading dimension to grow to 21 digits, so files can be appended to
// in place. Reproducing it makes WriteNPY's output byte-identical to np.save's.
const npyGrowthDigits = 21

// WriteNPY writes a float32 array in C order as NPY (version 1.0, '<f4'), laid out
// byte for byte as np.save writes it.
func WriteNPY(w io.Writer, shape []int, data []float32) error {
	n := 1
	for _, d := range shape {
		if d < 0 {
			return fmt.Errorf("npy: negative dimension in shape %v", shape)
		}
		n *= d
	}
	if n != len(data) {
		return fmt.Errorf("npy: shape %v needs %d values, got %d", shape, n, len(data))
	}
	var sh strings.Builder
	sh.WriteByte('(')
	for i, d := range shape {
		if i > 0 {
			sh.WriteString(", ")
		}
		sh.WriteString(strconv.Itoa(d))
	}
	if len(shape) == 1 {
		sh.WriteByte(',')
	}
	sh.WriteByte(')')
	hdr := "{'descr': '<f4', 'fortran_order': False, 'shape': " + sh.String() + ", }"
	if len(shape) > 0 {
		hdr += strings.Repeat(" ", max(0, npyGrowthDigits-len(strconv.Itoa(shape[0]))))
	}
	// Pad so that magic + version + length field + header + '\n' is a multiple of 64,
	// exactly as numpy's _wrap_header does (which adds 64 spaces, not 0, when the
	// header already ends on a boundary). Version 2.0 only if 1.0's uint16 is too
	// small.
	pad := func(pre int) int { return 64 - (pre+len(hdr)+1)%64 }
	version := []byte{1, 0}
	padlen := pad(len(npyMagic) + 2 + 2)
	if len(hdr)+1+padlen > math.MaxUint16 {
		version = []byte{2, 0}
		padlen = pad(len(npyMagic) + 2 + 4)
	}
	hdr += strings.Repeat(" ", padlen) + "\n"

	out := slices.Concat(npyMagic, version)
	if version[0] == 1 {
		out = binary.LittleEndian.AppendUint16(out, uint16(len(hdr)))
	} else {
		out = binary.LittleEndian.AppendUint32(out, uint32(len(hdr)))
	}
	out = append(out, hdr...)
	if _, err := w.Write(out); err != nil {
		return err
	}
	buf := make([]byte, 0, 4*min(len(data), 16384))
	for len(data) > 0 {
		k := min(len(data), cap(buf)/4)
		buf = buf[:0]
		for _, v := range data[:k] {
			buf = binary.LittleEndian.AppendUint32(buf, math.Float32bits(v))
		}
		if _, err := w.Write(buf); err != nil {
			return err
		}
		data = data[k:]
	}
	return nil
}

// SaveNPY writes a float32 array to path atomically (see safetensors.WriteFileAtomic).
func SaveNPY(path string, shape []int, data []float32) error {
	return safetensors.WriteFileAtomic(path, func(w io.Writer) error { return WriteNPY(w, shape, data) })
}

// LoadNPY reads features and labels saved with np.save into a Dataset. x has shape
// (N, ...) and any supported dtype; y has N rows: integer labels (or whole-number
// floats, any shape (N,)) become class labels Y unless target is set, in which case
// y (shape (N,) or (N, k)) becomes float targets T.
func LoadNPY(xPath, yPath string, target bool) (*Dataset, error) {
	xa, err := ReadNPY(xPath)
	if err != nil {
		return nil, err
	}
	if len(xa.Shape) < 1 || xa.Shape[0] < 1 {
		return nil, npyErr(xPath, "features of shape %v: want (N, ...) with N ≥ 1", xa.Shape)
	}
	d := &Dataset{X: xa.Float32(), Shape: slices.Clone(xa.Shape[1:])}
	if len(d.Shape) == 0 {
		d.Shape = []int{1}
	}
	for _, s := range d.Shape {
		if s < 1 {
			return nil, npyErr(xPath, "features of shape %v: an example has no elements", xa.Shape)
		}
	}
	n := xa.Shape[0]
	if yPath == "" {
		return d, nil
	}
	ya, err := ReadNPY(yPath)
	if err != nil {
		return nil, err
	}
	if len(ya.Shape) < 1 || ya.Shape[0] != n {
		return nil, npyErr(yPath, "labels of shape %v for %d examples in %s", ya.Shape, n, xPath)
	}
	if target {
		d.T = ya.Float32()
		d.TargetSize = len(d.T) / n
		if d.TargetSize < 1 {
			return nil, npyErr(yPath, "targets of shape %v are empty", ya.Shape)
		}
		return d, nil
	}
	if len(ya.Shape) != 1 {
		return nil, npyErr(yPath, "class labels of shape %v: want (%d,)", ya.Shape, n)
	}
	ys, err := ya.Int64()
	if err != nil {
		return nil, npyErr(yPath, "class labels: %v", err)
	}
	d.Y = make([]int32, n)
	for i, y := range ys {
		if y < 0 || y > math.MaxInt32 {
			return nil, npyErr(yPath, "class label %d at index %d is not in [0, 2^31)", y, i)
		}
		d.Y[i] = int32(y)
	}
	return d, nil
}
