package data

import (
	"archive/zip"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// A NumPy data set is four arrays named as Keras' load_data() returns them:
// x_train, y_train, x_test, y_test. They come either as one .npz archive (what
// np.savez and np.savez_compressed write, and what keras.datasets.mnist downloads
// as mnist.npz) or as a directory of .npy files (x_train.npy, ..., each possibly
// gzipped as x_train.npy.gz). The y arrays may be missing (an autoencoder needs
// none); the x arrays may not.

// NumPySet is a data set read from NumPy files. Path is the archive or directory,
// and each array's name in errors is Path plus the member ("mnist.npz:x_train").
type NumPySet struct {
	Path                         string
	XTrain, YTrain, XTest, YTest *Array // the y arrays are nil when absent
}

// numpyMembers are the arrays of a set, in the order of NumPySet's fields.
var numpyMembers = [4]string{"x_train", "y_train", "x_test", "y_test"}

// IsNumPySet reports whether path names a NumPy data set: a file ending in .npz,
// or a directory holding x_train.npy (or x_train.npy.gz).
func IsNumPySet(path string) bool {
	if strings.HasSuffix(strings.ToLower(path), ".npz") {
		return true
	}
	return fileExists(filepath.Join(path, "x_train.npy")) || fileExists(filepath.Join(path, "x_train.npy.gz"))
}

// ReadNumPySet reads the arrays of a NumPy data set (see IsNumPySet). Every array
// must be a plain NPY array (ReadNPY's dtypes, C order); x_train and x_test must
// be there, and an archive member other than the four is an error, as it is most
// likely a misnamed array.
func ReadNumPySet(path string) (*NumPySet, error) {
	var arrays map[string]*Array
	var err error
	if strings.HasSuffix(strings.ToLower(path), ".npz") {
		arrays, err = readNPZ(path)
	} else {
		arrays, err = readNPYDir(path)
	}
	if err != nil {
		return nil, err
	}
	s := &NumPySet{Path: path, XTrain: arrays["x_train"], YTrain: arrays["y_train"], XTest: arrays["x_test"], YTest: arrays["y_test"]}
	for _, x := range []string{"x_train", "x_test"} {
		if arrays[x] == nil {
			return nil, npyErr(path, "no %s array (a NumPy data set holds x_train, y_train, x_test, y_test, as Keras' load_data() returns them)", x)
		}
	}
	return s, nil
}

// readNPZ reads the members of an .npz archive; a member "a.npy" is array "a".
func readNPZ(path string) (map[string]*Array, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err // os errors name the file
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	return DecodeNPZ(f, st.Size(), path)
}

// DecodeNPZ reads the arrays of an .npz archive of size bytes from r, by name
// ("x_train" for the member x_train.npy); path names it in errors. Only the four
// arrays of a NumPy data set are accepted.
func DecodeNPZ(r io.ReaderAt, size int64, path string) (map[string]*Array, error) {
	z, err := zip.NewReader(r, size)
	if err != nil {
		if errors.Is(err, zip.ErrFormat) || errors.Is(err, zip.ErrAlgorithm) || errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, npyErr(path, "not an .npz archive: %v", err)
		}
		return nil, npyErr(path, "%v", err)
	}
	arrays := map[string]*Array{}
	for _, f := range z.File {
		name := strings.TrimSuffix(f.Name, ".npy")
		if !isNumPyMember(name) {
			return nil, npyErr(path, "member %q is not one of %s", f.Name, strings.Join(numpyMembers[:], ", "))
		}
		if arrays[name] != nil {
			return nil, npyErr(path, "member %q appears twice", f.Name)
		}
		r, err := f.Open()
		if err != nil {
			return nil, npyErr(path, "member %q: %v", f.Name, err)
		}
		// decodeNPY reads to the member's end, where the archive checks its CRC-32.
		a, err := decodeNPY(r, path+":"+name)
		r.Close()
		if err != nil {
			return nil, err
		}
		arrays[name] = a
	}
	return arrays, nil
}

// readNPYDir reads dir's x_train.npy, y_train.npy, ... (each possibly .npy.gz).
func readNPYDir(dir string) (map[string]*Array, error) {
	arrays := map[string]*Array{}
	for _, name := range numpyMembers {
		var found []string
		for _, file := range []string{name + ".npy", name + ".npy.gz"} {
			if fileExists(filepath.Join(dir, file)) {
				found = append(found, file)
			}
		}
		switch len(found) {
		case 0:
			continue
		case 2:
			return nil, npyErr(dir, "both %s and %s are there; keep one", found[0], found[1])
		}
		a, err := ReadNPY(filepath.Join(dir, found[0]))
		if err != nil {
			return nil, err
		}
		arrays[name] = a
	}
	if len(arrays) == 0 {
		if _, err := os.Stat(dir); err != nil {
			return nil, err
		}
	}
	return arrays, nil
}

func isNumPyMember(name string) bool {
	for _, m := range numpyMembers {
		if name == m {
			return true
		}
	}
	return false
}

// Uint8 returns the elements of a uint8 array (a view), or nil for another dtype.
func (a *Array) Uint8() []byte {
	if a.kind == 'u' && a.size == 1 {
		return a.raw
	}
	return nil
}

// Count is the number of items along the first axis (0 for a scalar), and
// ItemShape the shape of one item.
func (a *Array) Count() int {
	if len(a.Shape) == 0 {
		return 0
	}
	return a.Shape[0]
}

// ItemShape is the shape of one item: the shape without its first axis.
func (a *Array) ItemShape() []int {
	if len(a.Shape) == 0 {
		return nil
	}
	return a.Shape[1:]
}

// SameLayout reports whether arrays of shapes a and b hold their elements in the
// same row-major order, that is whether they are equal once their axes of size 1
// are dropped: (28, 28) and (1, 28, 28) are, (28, 28, 3) and (3, 28, 28) are not.
func SameLayout(a, b []int) bool {
	squeeze := func(s []int) []int {
		var out []int
		for _, d := range s {
			if d != 1 {
				out = append(out, d)
			}
		}
		return out
	}
	sa, sb := squeeze(a), squeeze(b)
	if len(sa) != len(sb) {
		return false
	}
	for i := range sa {
		if sa[i] != sb[i] {
			return false
		}
	}
	return true
}

// String describes the array as NumPy would print its dtype and shape.
func (a *Array) String() string {
	dims := make([]string, len(a.Shape))
	for i, d := range a.Shape {
		dims[i] = fmt.Sprint(d)
	}
	s := strings.Join(dims, ", ")
	if len(a.Shape) == 1 {
		s += ","
	}
	return fmt.Sprintf("%s array of shape (%s)", a.Descr, s)
}
