package data

import (
	"bytes"
	"compress/gzip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func decodeCSVString(s string, opts CSVOptions) (*Dataset, error) {
	return DecodeCSV(strings.NewReader(s), "t.csv", opts)
}

func TestCSVReadsNumericTables(t *testing.T) {
	tests := []struct {
		name string
		text string
		opts CSVOptions
		want *Dataset
	}{
		{
			"labels in the first column by default",
			"1,0.5,2\n0, -1e-3 ,3\n",
			CSVOptions{},
			&Dataset{Shape: []int{2}, X: []float32{0.5, 2, -1e-3, 3}, Y: []int32{1, 0}},
		},
		{
			"a header and the label chosen by name",
			"a,label,b\n1,2,3\n4,5,6\n",
			CSVOptions{Header: true, LabelName: "label"},
			&Dataset{Shape: []int{2}, X: []float32{1, 3, 4, 6}, Y: []int32{2, 5}},
		},
		{
			"the last column as a regression target",
			"1,2,0.25\n3,4,-7.5\n",
			CSVOptions{Label: -1, Target: true},
			&Dataset{Shape: []int{2}, X: []float32{1, 2, 3, 4}, T: []float32{0.25, -7.5}, TargetSize: 1},
		},
		{
			"no label column",
			"1;2\n3;4\n",
			CSVOptions{NoLabel: true, Comma: ';'},
			&Dataset{Shape: []int{2}, X: []float32{1, 2, 3, 4}},
		},
		{
			"a byte-order mark, CRLF line ends, blank lines and quotes",
			"\ufeffy,x\r\n\r\n\"3\",\"1.5\"\r\n",
			CSVOptions{Header: true},
			&Dataset{Shape: []int{1}, X: []float32{1.5}, Y: []int32{3}},
		},
	}
	for _, tt := range tests {
		t.Run("reads "+tt.name, func(t *testing.T) {
			d, err := decodeCSVString(tt.text, tt.opts)
			require.NoError(t, err)
			assert.Equal(t, tt.want, d)
			require.NoError(t, d.Validate())
		})
	}
}

func TestCSVErrorsGiveTheLineAndColumn(t *testing.T) {
	tests := []struct {
		name string
		text string
		opts CSVOptions
		msg  string
	}{
		{"a word among numbers", "1,2\n0,abc\n", CSVOptions{}, "csv t.csv:2: column 2: value \"abc\" is not a number"},
		{"a named column", "y,age\n1,2\n0,x\n", CSVOptions{Header: true}, `csv t.csv:3: column 2 ("age"): value "x" is not a number`},
		{"an empty field", "1,2\n0,\n", CSVOptions{}, `csv t.csv:2: column 2: value "" is not a number`},
		{"a NaN", "1,NaN\n", CSVOptions{}, `csv t.csv:1: column 2: value "NaN" is not a finite float32`},
		{"an infinity", "1,-Inf\n", CSVOptions{}, `value "-Inf" is not a finite float32`},
		{"a float32 overflow", "1,1e39\n", CSVOptions{}, `value "1e39" is not a finite float32`},
		{"a fractional class", "1.5,2\n", CSVOptions{}, `csv t.csv:1: column 1: label "1.5" is not a non-negative integer class`},
		{"a negative class", "-1,2\n", CSVOptions{}, `label "-1" is not a non-negative integer class`},
		{"a bad target", "1,x\n", CSVOptions{Label: 1, Target: true}, `csv t.csv:1: column 2: value "x" is not a number`},
		{"a short row", "1,2,3\n4,5\n", CSVOptions{}, "csv t.csv:2: wrong number of fields"},
		{"a bad quote", "1,\"2\n", CSVOptions{}, "csv t.csv:1: extraneous or missing \" in quoted-field"},
		{"a multi-line quoted field", "1,2\n0,\"3\n4\"\n", CSVOptions{}, "csv t.csv:2: column 2: value \"3\\n4\" is not a number"},
		{"a row after a multi-line field", "\"1\n\",2\n0,x\n", CSVOptions{}, "csv t.csv:3: column 2: value \"x\" is not a number"},
		{"an empty file", "", CSVOptions{}, "csv t.csv: no rows"},
		{"only a header", "a,b\n", CSVOptions{Header: true}, "csv t.csv: no data rows"},
		{"a label column out of range", "1,2\n", CSVOptions{Label: 2}, "label column 2 out of range for 2 columns"},
		{"a negative label column out of range", "1,2\n", CSVOptions{Label: -3}, "label column -3 out of range"},
		{"an unknown label name", "a,b\n1,2\n", CSVOptions{Header: true, LabelName: "c"}, `csv t.csv:1: no column named "c"`},
		{"a label name without header", "1,2\n", CSVOptions{LabelName: "c"}, `LabelName "c" needs Header`},
		{"a single labelled column", "1\n2\n", CSVOptions{}, "1 column(s) leave no feature column"},
	}
	for _, tt := range tests {
		t.Run("reading "+tt.name+" fails", func(t *testing.T) {
			_, err := decodeCSVString(tt.text, tt.opts)
			require.Error(t, err)
			var fe *FormatError
			require.ErrorAs(t, err, &fe)
			assert.Equal(t, "csv", fe.Format)
			assert.Contains(t, err.Error(), tt.msg)
		})
	}
}

func TestReadCSVFromFiles(t *testing.T) {
	text := "y,a,b\n1,0.5,0.25\n2,1,2\n"
	dir := t.TempDir()
	plain := filepath.Join(dir, "d.csv")
	require.NoError(t, os.WriteFile(plain, []byte(text), 0o644))
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte(text))
	zw.Close()
	zipped := filepath.Join(dir, "d.csv.gz")
	require.NoError(t, os.WriteFile(zipped, gz.Bytes(), 0o644))

	for _, path := range []string{plain, zipped} {
		d, err := ReadCSV(path, CSVOptions{Header: true})
		require.NoError(t, err, path)
		assert.Equal(t, []float32{0.5, 0.25, 1, 2}, d.X)
		assert.Equal(t, []int32{1, 2}, d.Y)
	}

	bad := filepath.Join(dir, "bad.csv")
	require.NoError(t, os.WriteFile(bad, []byte("1,2\n3,z\n"), 0o644))
	_, err := ReadCSV(bad, CSVOptions{})
	assert.ErrorContains(t, err, "csv "+bad+":2: column 2: ")

	_, err = ReadCSV(filepath.Join(dir, "none.csv"), CSVOptions{})
	assert.ErrorIs(t, err, os.ErrNotExist)

	brokenGz := filepath.Join(dir, "broken.csv.gz")
	require.NoError(t, os.WriteFile(brokenGz, []byte{0x1f, 0x8b, 1}, 0o644))
	_, err = ReadCSV(brokenGz, CSVOptions{})
	assert.ErrorContains(t, err, "csv "+brokenGz+": gzip")
}

func TestFormatErrorText(t *testing.T) {
	assert.Equal(t, "npy f: m", (&FormatError{Format: "npy", File: "f", Msg: "m"}).Error())
	assert.Equal(t, `csv f:3: column 2 ("x"): m`, (&FormatError{Format: "csv", File: "f", Line: 3, Column: 2, Field: "x", Msg: "m"}).Error())
}
