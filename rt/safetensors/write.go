package safetensors

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"syscall"
)

// Write writes tensors as F32 and the metadata map in safetensors format. The layout
// matches what Python's safetensors writes: "__metadata__" first, tensors sorted by
// name (all are F32, so the reference writer's sort by dtype changes nothing), compact
// JSON padded with spaces to a multiple of 8 bytes so the data is aligned.
func Write(w io.Writer, tensors []Tensor, metadata map[string]string) error {
	hdr, err := encodeHeader(tensors, metadata)
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(w, chunk)
	var lenBuf [8]byte
	binary.LittleEndian.PutUint64(lenBuf[:], uint64(len(hdr)))
	bw.Write(lenBuf[:])
	bw.Write(hdr)
	var buf [4]byte
	for _, t := range sortedByName(tensors) {
		for _, v := range t.Data {
			binary.LittleEndian.PutUint32(buf[:], math.Float32bits(v))
			bw.Write(buf[:])
		}
	}
	return bw.Flush() // bufio keeps the first write error and returns it here
}

// Save writes tensors and metadata to path atomically (see WriteFileAtomic).
func Save(path string, tensors []Tensor, metadata map[string]string) error {
	return WriteFileAtomic(path, func(w io.Writer) error { return Write(w, tensors, metadata) })
}

func sortedByName(tensors []Tensor) []Tensor {
	s := append([]Tensor(nil), tensors...)
	sort.SliceStable(s, func(i, j int) bool { return s[i].Name < s[j].Name })
	return s
}

func encodeHeader(tensors []Tensor, metadata map[string]string) ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	// jsonString escapes like serde_json: no HTML escaping of <, >, &.
	jsonString := func(s string) {
		var e bytes.Buffer
		enc := json.NewEncoder(&e)
		enc.SetEscapeHTML(false)
		enc.Encode(s) // a string always encodes
		b.Write(bytes.TrimSuffix(e.Bytes(), []byte("\n")))
	}
	first := true
	comma := func() {
		if !first {
			b.WriteByte(',')
		}
		first = false
	}
	if len(metadata) > 0 {
		keys := make([]string, 0, len(metadata))
		for k := range metadata {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		comma()
		jsonString(metaKey)
		b.WriteString(":{")
		for i, k := range keys {
			if i > 0 {
				b.WriteByte(',')
			}
			jsonString(k)
			b.WriteByte(':')
			jsonString(metadata[k])
		}
		b.WriteByte('}')
	}
	seen := map[string]bool{}
	var off int64
	for _, t := range sortedByName(tensors) {
		if t.Name == "" || t.Name == metaKey {
			return nil, fmt.Errorf("safetensors: invalid tensor name %q", t.Name)
		}
		if seen[t.Name] {
			return nil, fmt.Errorf("safetensors: tensor %q given twice", t.Name)
		}
		seen[t.Name] = true
		n := 1
		for _, d := range t.Shape {
			if d < 0 {
				return nil, fmt.Errorf("safetensors: tensor %q has negative dimension in shape %s", t.Name, shapeString(t.Shape))
			}
			n *= d
		}
		if n != len(t.Data) {
			return nil, fmt.Errorf("safetensors: tensor %q has shape %s (%d elements) but %d values", t.Name, shapeString(t.Shape), n, len(t.Data))
		}
		comma()
		jsonString(t.Name)
		b.WriteString(`:{"dtype":"F32","shape":[`)
		for i, d := range t.Shape {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(strconv.Itoa(d))
		}
		end := off + 4*int64(n)
		fmt.Fprintf(&b, `],"data_offsets":[%d,%d]}`, off, end)
		off = end
	}
	b.WriteByte('}')
	for b.Len()%8 != 0 {
		b.WriteByte(' ')
	}
	return b.Bytes(), nil
}

// WriteFileAtomic writes a file so that a crash at any moment leaves either the old
// file or the complete new one at path, never a partial one: write fills a temporary
// file in the same directory (same file system, so rename is atomic), which is
// synced, renamed over path, and then the directory is synced so the rename itself
// is durable. If write fails, the temporary file is removed and path is untouched.
func WriteFileAtomic(path string, write func(io.Writer) error) (err error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, "."+base+".tmp*")
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	if err = write(f); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err = f.Sync(); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err = f.Close(); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	// CreateTemp makes the file 0600; give it the mode os.Create would.
	if err = os.Chmod(tmp, 0o644); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err = os.Rename(tmp, path); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return syncDir(dir)
}

// syncDir makes a rename in dir durable. Some systems and file systems cannot sync a
// directory and say so with EINVAL or ENOTSUP; the rename has then still happened,
// and there is nothing more to do.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("syncing directory %s: %w", dir, err)
	}
	err = d.Sync()
	d.Close()
	if err != nil && !errors.Is(err, syscall.EINVAL) && !errors.Is(err, syscall.ENOTSUP) {
		return fmt.Errorf("syncing directory %s: %w", dir, err)
	}
	return nil
}
