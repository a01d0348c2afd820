package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"

	"github.com/dlgen/dlgen/codegen"
)

// generatedHeader starts every file dlgen writes. A file in the output directory that
// starts with it and was not written this time is stale and removed; any other file
// (the user's own) is never touched.
const generatedHeader = "// " + codegen.Header

// writeResult says what writeFiles did, for -v.
type writeResult struct {
	written, unchanged, removed []string
}

// writeFiles writes files under dir, each atomically, creating directories as
// needed, then removes the stale generated files in dir and in every directory a file
// was written to. An unchanged file is not rewritten, so its modification time (and
// the go build cache) stay as they were.
func writeFiles(dir string, files []codegen.File) (writeResult, error) {
	var res writeResult
	keep := map[string]bool{}
	dirs := []string{filepath.Clean(dir)}
	for _, f := range files {
		if !filepath.IsLocal(f.Name) {
			return res, fmt.Errorf("generated file name %q is not a path inside the output directory", f.Name)
		}
		path := filepath.Join(dir, f.Name)
		if keep[path] {
			return res, fmt.Errorf("two generated files are named %q", f.Name)
		}
		keep[path] = true
		if d := filepath.Dir(path); !slices.Contains(dirs, d) {
			dirs = append(dirs, d)
		}
	}
	for _, d := range dirs {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return res, err
		}
	}
	for _, f := range files {
		path := filepath.Join(dir, f.Name)
		if old, err := os.ReadFile(path); err == nil && bytes.Equal(old, f.Data) {
			res.unchanged = append(res.unchanged, path)
			continue
		}
		if err := writeFileAtomic(path, f.Data); err != nil {
			return res, err
		}
		res.written = append(res.written, path)
	}
	for _, d := range dirs {
		removed, err := removeStale(d, keep)
		res.removed = append(res.removed, removed...)
		if err != nil {
			return res, err
		}
		// Make the renames and removals durable, as the file contents already are.
		// Not every system can sync a directory; that is not worth failing for.
		if df, err := os.Open(d); err == nil {
			_ = df.Sync()
			df.Close()
		}
	}
	return res, nil
}

// writeFileAtomic writes data to a temporary file next to path, syncs it and renames
// it over path, so a reader (or a crash) sees the old file or the new one, never half
// of one. The temporary name starts with a dot, which go build ignores.
func writeFileAtomic(path string, data []byte) (err error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if _, err = tmp.Write(data); err != nil {
		return err
	}
	if err = tmp.Sync(); err != nil {
		return err
	}
	if err = tmp.Close(); err != nil {
		return err
	}
	if err = os.Chmod(tmp.Name(), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// removeStale removes the regular files directly in dir that start with the
// generated header and are not in keep.
func removeStale(dir string, keep map[string]bool) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var removed []string
	var errs []error
	for _, e := range entries {
		path := filepath.Join(dir, e.Name())
		if !e.Type().IsRegular() || keep[path] {
			continue
		}
		gen, err := isGenerated(path)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if !gen {
			continue
		}
		if err := os.Remove(path); err != nil {
			errs = append(errs, err)
			continue
		}
		removed = append(removed, path)
	}
	return removed, errors.Join(errs...)
}

// isGenerated reports whether the first line of the file at path is the generated
// header.
func isGenerated(path string) (bool, error) {
	f, err := os.Open(path)
	if err != nil {
		return false, err
	}
	defer f.Close()
	line, err := bufio.NewReaderSize(f, 128).ReadSlice('\n')
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
		return false, err
	}
	return string(bytes.TrimRight(line, "\r\n")) == generatedHeader, nil
}
