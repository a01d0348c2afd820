package data

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
)

// CSVOptions says how to read a numeric table. The zero value reads comma-separated
// rows without a header and takes the first column as the class label.
type CSVOptions struct {
	Comma rune // field separator; 0 means ','
	// Header says the first row names the columns.
	Header bool
	// Label is the 0-based column of the label; negative counts from the end (-1 is
	// the last column). Ignored if LabelName is set or NoLabel is true.
	Label int
	// LabelName selects the label column by its header name (needs Header).
	LabelName string
	// NoLabel says every column is a feature.
	NoLabel bool
	// Target reads the label as a float regression target (Dataset.T) instead of
	// a non-negative integer class (Dataset.Y).
	Target bool
}

// ReadCSV reads a numeric table (gzipped or not) into a Dataset: one example per
// row, the label column as Y (or T), every other column a float32 feature, so
// examples have shape [columns-1]. Empty lines are skipped; fields may have
// surrounding spaces; a UTF-8 byte-order mark is ignored. Every value must be a
// finite number: a bad row is an error with its line and column.
func ReadCSV(path string, opts CSVOptions) (*Dataset, error) {
	r, c, err := openMaybeGzip(path, "csv")
	if err != nil {
		return nil, err // names the file
	}
	defer c.Close()
	return decodeCSV(r, path, opts)
}

// DecodeCSV is ReadCSV for a reader (not decompressed); name is used in errors.
func DecodeCSV(r io.Reader, name string, opts CSVOptions) (*Dataset, error) {
	return decodeCSV(r, name, opts)
}

func decodeCSV(r io.Reader, name string, opts CSVOptions) (*Dataset, error) {
	fail := func(line, col int, field string, format string, args ...any) error {
		return &FormatError{Format: "csv", File: name, Line: line, Column: col, Field: field, Msg: fmt.Sprintf(format, args...)}
	}
	br := bufio.NewReader(r)
	if bom, err := br.Peek(3); err == nil && bytes.Equal(bom, []byte("\xef\xbb\xbf")) {
		br.Discard(3)
	}
	cr := csv.NewReader(br)
	if opts.Comma != 0 {
		cr.Comma = opts.Comma
	}
	cr.TrimLeadingSpace = true
	cr.ReuseRecord = true

	read := func() ([]string, error) {
		rec, err := cr.Read()
		if err == nil || errors.Is(err, io.EOF) {
			return rec, err
		}
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			return nil, fail(pe.Line, 0, "", "%v", pe.Err)
		}
		return nil, fail(0, 0, "", "%v", err)
	}

	var names []string
	rec, err := read()
	if errors.Is(err, io.EOF) {
		return nil, fail(0, 0, "", "no rows")
	}
	if err != nil {
		return nil, err
	}
	ncol := len(rec)
	if opts.Header {
		names = make([]string, ncol)
		for i, s := range rec {
			names[i] = strings.TrimSpace(s)
		}
	}

	label := -1
	switch {
	case opts.NoLabel:
	case opts.LabelName != "":
		if !opts.Header {
			return nil, fail(0, 0, "", "LabelName %q needs Header", opts.LabelName)
		}
		for i, s := range names {
			if s == opts.LabelName {
				label = i
				break
			}
		}
		if label < 0 {
			return nil, fail(1, 0, "", "no column named %q in header %q", opts.LabelName, names)
		}
	default:
		label = opts.Label
		if label < 0 {
			label += ncol
		}
		if label < 0 || label >= ncol {
			return nil, fail(1, 0, "", "label column %d out of range for %d columns", opts.Label, ncol)
		}
	}
	nfeat := ncol
	if label >= 0 {
		nfeat--
	}
	if nfeat < 1 {
		return nil, fail(1, 0, "", "%d column(s) leave no feature column", ncol)
	}

	d := &Dataset{Shape: []int{nfeat}}
	if label >= 0 && opts.Target {
		d.T, d.TargetSize = []float32{}, 1
	} else if label >= 0 {
		d.Y = []int32{}
	}
	if opts.Header {
		rec, err = read()
	}
	for ; err == nil; rec, err = read() {
		for i, s := range rec {
			line, _ := cr.FieldPos(i)
			field := ""
			if names != nil {
				field = names[i]
			}
			s = strings.TrimSpace(s)
			if i == label && !opts.Target {
				y, perr := strconv.ParseInt(s, 10, 32)
				if perr != nil || y < 0 {
					return nil, fail(line, i+1, field, "label %q is not a non-negative integer class", s)
				}
				d.Y = append(d.Y, int32(y))
				continue
			}
			v, perr := strconv.ParseFloat(s, 32)
			if perr != nil || math.IsInf(v, 0) || math.IsNaN(v) {
				what := "not a number"
				if perr == nil || errors.Is(perr, strconv.ErrRange) {
					what = "not a finite float32"
				}
				return nil, fail(line, i+1, field, "value %q is %s", s, what)
			}
			if i == label {
				d.T = append(d.T, float32(v))
			} else {
				d.X = append(d.X, float32(v))
			}
		}
	}
	if !errors.Is(err, io.EOF) {
		return nil, err
	}
	if len(d.X) == 0 {
		return nil, fail(0, 0, "", "no data rows")
	}
	return d, nil
}
