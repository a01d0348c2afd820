package rt

import (
	"fmt"
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// windows are geometries that reach every edge case of Im2col and Col2im: strides
// that differ per axis, asymmetric (Keras 'same') and full padding, kernels as wide
// as the padded input, 1×1 kernels and windows that skip input columns.
var windows = []struct {
	name                                              string
	c, h, w, kh, kw, sh, sw, top, left, bottom, right int
}{
	{"a 3×3 valid window", 2, 5, 6, 3, 3, 1, 1, 0, 0, 0, 0},
	{"a 5×5 same window", 1, 7, 7, 5, 5, 1, 1, 2, 2, 2, 2},
	{"Keras same with strides 2×3 (extra pad at the end)", 3, 7, 8, 3, 4, 2, 3, 1, 1, 1, 2},
	{"full padding", 2, 4, 5, 3, 2, 1, 1, 2, 1, 2, 1},
	{"strides larger than the kernel", 1, 9, 10, 2, 2, 3, 4, 0, 0, 0, 0},
	{"a kernel as wide as the padded input", 1, 3, 4, 5, 6, 1, 1, 1, 1, 1, 1},
	{"a 1×1 window with stride 2", 4, 5, 5, 1, 1, 2, 2, 0, 0, 0, 0},
	{"padding larger than the kernel reach", 1, 3, 3, 2, 2, 1, 2, 2, 3, 2, 3},
}

func windowOf(t *testing.T, c, h, w, kh, kw, sh, sw, top, left, bottom, right int) Window {
	t.Helper()
	ho, wo := (h+top+bottom-kh)/sh+1, (w+left+right-kw)/sw+1
	require.Positive(t, ho)
	require.Positive(t, wo)
	return Window{C: c, H: h, W: w, KH: kh, KW: kw, SH: sh, SW: sw, Top: top, Left: left, Ho: ho, Wo: wo}
}

// at is the defining formula of the column matrix.
func (g Window) at(x []float32, r, col int) float32 {
	c, i, j := r/(g.KH*g.KW), r/g.KW%g.KH, r%g.KW
	p, q := col/g.Wo, col%g.Wo
	h, v := p*g.SH+i-g.Top, q*g.SW+j-g.Left
	if h < 0 || h >= g.H || v < 0 || v >= g.W {
		return 0
	}
	return x[(c*g.H+h)*g.W+v]
}

func TestIm2colWritesTheDefiningColumns(t *testing.T) {
	for _, c := range windows {
		t.Run(c.name, func(t *testing.T) {
			g := windowOf(t, c.c, c.h, c.w, c.kh, c.kw, c.sh, c.sw, c.top, c.left, c.bottom, c.right)
			x := make([]float32, g.C*g.H*g.W)
			for i := range x {
				x[i] = float32(i + 1)
			}
			n := g.Ho * g.Wo
			ldc := n + 3 // rows apart by more than their length: the gaps stay untouched
			cols := make([]float32, g.Rows()*ldc)
			for i := range cols {
				cols[i] = float32(math.NaN())
			}
			Im2col(g, x, cols, ldc)
			for r := range g.Rows() {
				for col := range n {
					require.Equal(t, g.at(x, r, col), cols[r*ldc+col], "row %d column %d", r, col)
				}
				if r < g.Rows()-1 {
					for k := n; k < ldc; k++ {
						require.True(t, math.IsNaN(float64(cols[r*ldc+k])), "row %d gap %d was written", r, k)
					}
				}
			}
		})
	}
}

// Col2im is the transpose of Im2col: ⟨Im2col(x), c⟩ = ⟨x, Col2im(c)⟩ for all x and c,
// checked on basis vectors, so every entry of the two matrices is compared.
func TestCol2imIsTheAdjointOfIm2col(t *testing.T) {
	for _, c := range windows {
		t.Run(c.name, func(t *testing.T) {
			g := windowOf(t, c.c, c.h, c.w, c.kh, c.kw, c.sh, c.sw, c.top, c.left, c.bottom, c.right)
			n := g.Ho * g.Wo
			ldc := n + 1
			cols := make([]float32, g.Rows()*ldc)
			x := make([]float32, g.C*g.H*g.W)
			for r := range g.Rows() {
				for col := range n {
					clear(cols)
					cols[r*ldc+col] = 1
					for i := range x {
						x[i] = 0.5 // Col2im adds to what is there
					}
					Col2im(g, cols, ldc, x)
					for k := range x {
						e := make([]float32, len(x))
						e[k] = 1
						want := g.at(e, r, col) + 0.5
						require.Equal(t, want, x[k], "column entry (%d, %d), image element %d", r, col, k)
					}
				}
			}
		})
	}
}

func TestIm2colPanicsOnSizesThatDoNotFit(t *testing.T) {
	g := Window{C: 1, H: 4, W: 4, KH: 3, KW: 3, SH: 1, SW: 1, Ho: 2, Wo: 2}
	cases := []struct {
		name string
		x    []float32
		cols []float32
		ldc  int
	}{
		{"a short image", make([]float32, 15), make([]float32, 36), 4},
		{"short columns", make([]float32, 16), make([]float32, 35), 4},
		{"a stride below the row length", make([]float32, 16), make([]float32, 36), 3},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			assert.Panics(t, func() { Im2col(g, c.x, c.cols, c.ldc) })
			assert.Panics(t, func() { Col2im(g, c.cols, c.ldc, c.x) })
		})
	}
	bad := g
	bad.SH = 0
	assert.Panics(t, func() { Im2col(bad, make([]float32, 16), make([]float32, 36), 4) })
}

func BenchmarkIm2col(b *testing.B) {
	for _, g := range []Window{
		{C: 1, H: 28, W: 28, KH: 5, KW: 5, SH: 1, SW: 1, Top: 2, Left: 2, Ho: 28, Wo: 28},  // LeNet conv1
		{C: 32, H: 28, W: 28, KH: 3, KW: 3, SH: 1, SW: 1, Top: 1, Left: 1, Ho: 28, Wo: 28}, // conv AE dec2
		{C: 16, H: 28, W: 28, KH: 3, KW: 3, SH: 2, SW: 2, Top: 0, Left: 0, Ho: 13, Wo: 13},
	} {
		b.Run(fmt.Sprintf("%dx%dx%d_k%dx%d_s%d", g.C, g.H, g.W, g.KH, g.KW, g.SH), func(b *testing.B) {
			x := make([]float32, g.C*g.H*g.W)
			cols := make([]float32, g.Rows()*g.Ho*g.Wo)
			b.ReportAllocs()
			b.SetBytes(int64(4 * len(cols)))
			for b.Loop() {
				Im2col(g, x, cols, g.Ho*g.Wo)
			}
		})
	}
}
