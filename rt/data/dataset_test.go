package data

import (
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// counting returns a dataset of n examples of shape [2] whose features are (i, -i),
// label i%3 and target 10*i.
func counting(n int) *Dataset {
	d := &Dataset{Shape: []int{2}, TargetSize: 1}
	for i := 0; i < n; i++ {
		d.X = append(d.X, float32(i), float32(-i))
		d.Y = append(d.Y, int32(i%3))
		d.T = append(d.T, float32(10*i))
	}
	return d
}

func TestDatasetValidate(t *testing.T) {
	tests := []struct {
		name string
		d    Dataset
		msg  string
	}{
		{"a zero dimension", Dataset{Shape: []int{0}}, "dimension < 1"},
		{"a partial example", Dataset{Shape: []int{2}, X: make([]float32, 3)}, "3 features is not a whole number of [2] examples"},
		{"too few labels", Dataset{Shape: []int{1}, X: make([]float32, 3), Y: make([]int32, 2)}, "2 labels for 3 examples"},
		{"targets without a size", Dataset{Shape: []int{1}, X: make([]float32, 3), T: make([]float32, 3)}, "3 targets for 3 examples of target size 0"},
		{"too many targets", Dataset{Shape: []int{1}, X: make([]float32, 3), T: make([]float32, 4), TargetSize: 1}, "4 targets for 3 examples"},
	}
	for _, tt := range tests {
		t.Run("a dataset with "+tt.name+" is invalid", func(t *testing.T) {
			assert.ErrorContains(t, tt.d.Validate(), tt.msg)
		})
	}
	t.Run("a consistent dataset is valid", func(t *testing.T) {
		d := counting(5)
		require.NoError(t, d.Validate())
		assert.Equal(t, 5, d.Len())
		assert.Equal(t, 2, d.Size())
		assert.Equal(t, 3, d.Classes())
	})
	t.Run("an empty dataset has no classes", func(t *testing.T) {
		assert.Equal(t, 0, (&Dataset{}).Classes())
		assert.Equal(t, 0, (&Dataset{Shape: []int{0}}).Len())
	})
}

func TestSubsetCopiesTheChosenExamples(t *testing.T) {
	d := counting(5)
	s, err := d.Subset([]int{4, 1, 1})
	require.NoError(t, err)
	assert.Equal(t, []float32{4, -4, 1, -1, 1, -1}, s.X)
	assert.Equal(t, []int32{1, 1, 1}, s.Y)
	assert.Equal(t, []float32{40, 10, 10}, s.T)
	s.X[0] = 99
	assert.Equal(t, float32(4), d.X[8], "the subset is a copy")

	_, err = d.Subset([]int{5})
	assert.ErrorContains(t, err, "index 5 out of range [0, 5)")
	_, err = d.Subset([]int{-1})
	assert.ErrorContains(t, err, "index -1 out of range")
}

func TestPermutation(t *testing.T) {
	t.Run("is a permutation", func(t *testing.T) {
		for _, n := range []int{0, 1, 2, 7, 1000} {
			p := Permutation(n, 1, 0)
			s := slices.Clone(p)
			slices.Sort(s)
			for i := range s {
				require.Equal(t, i, s[i])
			}
		}
	})
	t.Run("the same seed and epoch give the same order", func(t *testing.T) {
		assert.Equal(t, Permutation(100, 7, 3), Permutation(100, 7, 3))
	})
	t.Run("another seed or epoch gives another order", func(t *testing.T) {
		assert.NotEqual(t, Permutation(100, 7, 3), Permutation(100, 8, 3))
		assert.NotEqual(t, Permutation(100, 7, 3), Permutation(100, 7, 4))
	})
	t.Run("is pinned across releases", func(t *testing.T) {
		// A change here silently changes every training run's data order.
		assert.Equal(t, []int{2, 9, 7, 5, 1, 0, 8, 3, 4, 6}, Permutation(10, 42, 0))
	})
	t.Run("every position is roughly uniform", func(t *testing.T) {
		// 3 elements, 6000 seeds: each element lands in each position ~2000 times.
		// A modulo-biased or off-by-one shuffle (e.g. j in [0, i)) fails this.
		var counts [3][3]int
		for s := uint64(0); s < 6000; s++ {
			for pos, v := range Permutation(3, s, 0) {
				counts[v][pos]++
			}
		}
		for v := range counts {
			for pos := range counts[v] {
				assert.InDelta(t, 2000, counts[v][pos], 150, "element %d at position %d", v, pos)
			}
		}
	})
}

func TestSplit(t *testing.T) {
	d := counting(10)
	train, val, err := d.Split(0.3, 5)
	require.NoError(t, err)
	assert.Equal(t, 7, train.Len())
	assert.Equal(t, 3, val.Len())
	seen := map[float32]bool{}
	for _, part := range []*Dataset{train, val} {
		require.NoError(t, part.Validate())
		for i := 0; i < part.Len(); i++ {
			v := part.X[2*i]
			require.False(t, seen[v], "example %v in both parts", v)
			seen[v] = true
			assert.Equal(t, int32(int(v)%3), part.Y[i])
			assert.Equal(t, 10*v, part.T[i])
			if i > 0 {
				assert.Less(t, part.X[2*(i-1)], v, "parts keep the original order")
			}
		}
	}
	assert.Len(t, seen, 10)

	t.Run("is deterministic", func(t *testing.T) {
		train2, val2, err := d.Split(0.3, 5)
		require.NoError(t, err)
		assert.Equal(t, train, train2)
		assert.Equal(t, val, val2)
		_, val3, err := d.Split(0.3, 6)
		require.NoError(t, err)
		assert.NotEqual(t, val.X, val3.X)
	})

	for _, tt := range []struct {
		name string
		frac float64
		d    *Dataset
		msg  string
	}{
		{"a zero fraction", 0, d, "not in (0, 1)"},
		{"a fraction of one", 1, d, "not in (0, 1)"},
		{"a NaN fraction", nanF(), d, "not in (0, 1)"},
		{"a fraction that rounds to nothing", 0.01, d, "leaves an empty part"},
		{"a fraction that leaves no training data", 0.99, d, "leaves an empty part"},
		{"an invalid dataset", 0.5, &Dataset{Shape: []int{2}, X: make([]float32, 3)}, "not a whole number"},
	} {
		t.Run("fails for "+tt.name, func(t *testing.T) {
			_, _, err := tt.d.Split(tt.frac, 1)
			assert.ErrorContains(t, err, tt.msg)
		})
	}
}

func nanF() float64 {
	z := 0.0
	return z / z
}

func TestBatches(t *testing.T) {
	d := counting(7)
	t.Run("cover every example once with a short last batch", func(t *testing.T) {
		b, err := d.Batches(3, nil)
		require.NoError(t, err)
		assert.Equal(t, 3, b.Len())
		var sizes []int
		var xs []float32
		var ys []int32
		var ts []float32
		for {
			batch, ok := b.Next()
			if !ok {
				break
			}
			sizes = append(sizes, batch.N)
			require.Len(t, batch.X, 2*batch.N)
			require.Len(t, batch.Index, batch.N)
			xs = append(xs, batch.X...)
			ys = append(ys, batch.Y...)
			ts = append(ts, batch.T...)
		}
		assert.Equal(t, []int{3, 3, 1}, sizes)
		assert.Equal(t, d.X, xs)
		assert.Equal(t, d.Y, ys)
		assert.Equal(t, d.T, ts)
		_, ok := b.Next()
		assert.False(t, ok, "stays exhausted")
	})

	t.Run("follow the given order", func(t *testing.T) {
		order := Permutation(7, 3, 1)
		b, err := d.Batches(4, order)
		require.NoError(t, err)
		batch, ok := b.Next()
		require.True(t, ok)
		for k, i := range order[:4] {
			assert.Equal(t, float32(i), batch.X[2*k])
			assert.Equal(t, float32(-i), batch.X[2*k+1])
			assert.Equal(t, int32(i%3), batch.Y[k])
			assert.Equal(t, i, batch.Index[k])
		}
	})

	t.Run("reset starts a new pass", func(t *testing.T) {
		b, err := d.Batches(7, nil)
		require.NoError(t, err)
		_, ok := b.Next()
		require.True(t, ok)
		require.NoError(t, b.Reset(Permutation(7, 1, 1)))
		batch, ok := b.Next()
		require.True(t, ok)
		assert.Equal(t, 7, batch.N)
	})

	t.Run("do not allocate per batch", func(t *testing.T) {
		b, err := d.Batches(2, Permutation(7, 1, 0))
		require.NoError(t, err)
		allocs := testing.AllocsPerRun(100, func() {
			if _, ok := b.Next(); !ok {
				b.pos = 0
			}
		})
		assert.Equal(t, 0.0, allocs)
	})

	t.Run("a dataset without labels has no label slices", func(t *testing.T) {
		u := &Dataset{Shape: []int{1}, X: []float32{1, 2}}
		b, err := u.Batches(5, nil)
		require.NoError(t, err)
		batch, ok := b.Next()
		require.True(t, ok)
		assert.Nil(t, batch.Y)
		assert.Nil(t, batch.T)
		assert.Equal(t, []float32{1, 2}, batch.X)
	})

	for _, tt := range []struct {
		name  string
		size  int
		order []int
		msg   string
	}{
		{"a zero batch size", 0, nil, "batch size 0 < 1"},
		{"a short order", 2, []int{0, 1}, "order has 2 indices for 7 examples"},
		{"a repeated index", 2, []int{0, 1, 2, 3, 4, 5, 5}, "not a permutation"},
		{"an index out of range", 2, []int{0, 1, 2, 3, 4, 5, 7}, "not a permutation of 0..6 (index 7)"},
	} {
		t.Run("fail for "+tt.name, func(t *testing.T) {
			_, err := d.Batches(tt.size, tt.order)
			assert.ErrorContains(t, err, tt.msg)
		})
	}
	t.Run("fail for an invalid dataset", func(t *testing.T) {
		_, err := (&Dataset{Shape: []int{2}, X: make([]float32, 3)}).Batches(1, nil)
		assert.Error(t, err)
	})
}

// A tagger's examples carry LabelSize labels each (one per step); subsets, splits and
// batches keep every example's labels with it.
func TestLabelsPerPosition(t *testing.T) {
	const n, L = 7, 3
	d := &Dataset{Shape: []int{1}, LabelSize: L}
	for i := range n {
		d.X = append(d.X, float32(i))
		for j := range L {
			d.Y = append(d.Y, int32(10*i+j))
		}
	}
	require.NoError(t, d.Validate())
	assert.Equal(t, L, d.Labels())
	assert.Equal(t, 1, (&Dataset{}).Labels(), "LabelSize 0 is one label per example")
	check := func(t *testing.T, s *Dataset) {
		t.Helper()
		require.Len(t, s.Y, L*s.Len())
		for k, x := range s.X {
			for j := range L {
				assert.Equal(t, int32(10*int(x)+j), s.Y[k*L+j], "example %v, position %d", x, j)
			}
		}
	}
	sub, err := d.Subset([]int{5, 0, 3})
	require.NoError(t, err)
	assert.Equal(t, L, sub.LabelSize)
	check(t, sub)
	train, val, err := d.Split(0.3, 4)
	require.NoError(t, err)
	check(t, train)
	check(t, val)

	b, err := d.Batches(3, Permutation(n, 2, 0))
	require.NoError(t, err)
	for batch, ok := b.Next(); ok; batch, ok = b.Next() {
		require.Len(t, batch.Y, L*batch.N)
		check(t, &Dataset{Shape: []int{1}, X: batch.X, Y: batch.Y, LabelSize: L})
	}

	d.Y = d.Y[:len(d.Y)-1]
	assert.ErrorContains(t, d.Validate(), "20 labels for 7 examples of 3 labels")
}
