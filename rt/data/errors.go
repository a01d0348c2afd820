package data

import (
	"bufio"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"os"
)

// FormatError reports a file that cannot be read as the format it was given as.
type FormatError struct {
	Format string // "idx", "csv" or "npy"
	File   string
	Line   int    // 1-based line (CSV only), 0 if not applicable
	Column int    // 1-based column (CSV only), 0 if not applicable
	Field  string // column name from the header (CSV only), if known
	Msg    string
	Err    error // the underlying error (I/O, gzip), if any; already part of Msg
}

func (e *FormatError) Unwrap() error { return e.Err }

func (e *FormatError) Error() string {
	s := e.Format + " " + e.File
	if e.Line > 0 {
		s += fmt.Sprintf(":%d", e.Line)
	}
	s += ": "
	if e.Column > 0 {
		s += fmt.Sprintf("column %d", e.Column)
		if e.Field != "" {
			s += fmt.Sprintf(" (%q)", e.Field)
		}
		s += ": "
	}
	return s + e.Msg
}

// maxBytes bounds what any reader here will load (16 GiB), so that a header claiming
// more is rejected before reading.
const maxBytes = 16 << 30

// readExactly reads exactly want bytes from r and then expects the end of input.
// Memory grows with the bytes actually read (doubling, capped at want), never with
// the claim alone, so a short file with a huge header costs nothing. The error says
// how many bytes were there.
func readExactly(r io.Reader, want int64) ([]byte, error) {
	buf := make([]byte, 0, min(want, 1<<20))
	for int64(len(buf)) < want {
		if len(buf) == cap(buf) {
			grown := make([]byte, len(buf), min(want, max(2*int64(cap(buf)), 512)))
			copy(grown, buf)
			buf = grown
		}
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			if int64(len(buf)) == want {
				return buf, nil
			}
			return nil, fmt.Errorf("truncated: want %d bytes of data, found %d", want, len(buf))
		}
		if err != nil {
			return nil, err
		}
	}
	var one [1]byte
	for {
		n, err := r.Read(one[:])
		if n > 0 {
			return nil, fmt.Errorf("unexpected data after the %d bytes the header describes", want)
		}
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return nil, err
		}
	}
}

// openMaybeGzip opens path and, if it starts with the gzip magic, decompresses it
// transparently. Close the returned closer.
// A failure to open is returned as is (an *os.PathError names the file); a broken
// gzip header is a FormatError of the given format.
func openMaybeGzip(path, format string) (io.Reader, io.Closer, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	r, err := maybeGunzip(f)
	if err != nil {
		f.Close()
		return nil, nil, &FormatError{Format: format, File: path, Msg: err.Error(), Err: err}
	}
	return r, f, nil
}

func maybeGunzip(r io.Reader) (io.Reader, error) {
	br := bufio.NewReader(r)
	magic, err := br.Peek(2)
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	if len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("gzip: %w", err)
		}
		return zr, nil
	}
	return br, nil
}
