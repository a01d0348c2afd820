package rt

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// lstmCellByOps is the LSTM cell as the unfused generated code computes it: bias,
// gate slices, the slice activations, then the element-wise products and sum.
func lstmCellByOps(n, hid int, pre, bias, cPrev []float32) (c, h, i, f, g, o, ca []float32) {
	z := append([]float32(nil), pre[:4*n*hid]...)
	if bias != nil {
		for r := range n {
			for j := range 4 * hid {
				z[r*4*hid+j] = z[r*4*hid+j] + bias[j]
			}
		}
	}
	gate := func(q int) []float32 {
		s := make([]float32, n*hid)
		for r := range n {
			copy(s[r*hid:(r+1)*hid], z[(4*r+q)*hid:(4*r+q+1)*hid])
		}
		return s
	}
	e := n * hid
	i, f, g, o = make([]float32, e), make([]float32, e), make([]float32, e), make([]float32, e)
	Sigmoid(i, gate(0))
	Sigmoid(f, gate(1))
	Tanh(g, gate(2))
	Sigmoid(o, gate(3))
	c, h, ca = make([]float32, e), make([]float32, e), make([]float32, e)
	for k := range e {
		fc := f[k] * cPrev[k]
		ig := i[k] * g[k]
		c[k] = fc + ig
	}
	Tanh(ca, c)
	for k := range e {
		h[k] = o[k] * ca[k]
	}
	return
}

func randSlice(rng *rand.Rand, n int, scale float32) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = scale * float32(rng.NormFloat64())
	}
	return s
}

func TestLSTMCellEqualsTheOpsOneByOne(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, n := range []int{1, 3, 16} {
		for _, hid := range []int{1, 7, 8, 13, 16, 48, 64, 67, 80} {
			for _, withBias := range []bool{true, false} {
				t.Run(fmt.Sprintf("n=%d hid=%d bias=%v", n, hid, withBias), func(t *testing.T) {
					// Pre-activations spread over both branches of tanh and far into the
					// saturated ends, a few exact zeros and ±Inf.
					pre := randSlice(rng, 4*n*hid, 3)
					pre[0], pre[len(pre)-1] = 0, float32(math.Inf(1))
					pre[len(pre)/2] = float32(math.Inf(-1))
					var bias []float32
					if withBias {
						bias = randSlice(rng, 4*hid, 0.5)
					}
					cPrev := randSlice(rng, n*hid, 2)
					wc, wh, wi, wf, wg, wo, wca := lstmCellByOps(n, hid, pre, bias, cPrev)

					e := n * hid
					c, h := make([]float32, e), make([]float32, e)
					LSTMCell(n, hid, pre, bias, cPrev, c, h, nil, nil, nil, nil, nil)
					assert.Equal(t, bitsOf(wc), bitsOf(c), "c, inference")
					assert.Equal(t, bitsOf(wh), bitsOf(h), "h, inference")

					i, f, g, o, ca := make([]float32, e), make([]float32, e), make([]float32, e), make([]float32, e), make([]float32, e)
					clear(h)
					LSTMCell(n, hid, pre, bias, cPrev, c, h, i, f, g, o, ca)
					for _, r := range []struct {
						name      string
						got, want []float32
					}{{"c", c, wc}, {"h", h, wh}, {"i", i, wi}, {"f", f, wf}, {"g", g, wg}, {"o", o, wo}, {"tanh c", ca, wca}} {
						assert.Equal(t, bitsOf(r.want), bitsOf(r.got), "%s, training", r.name)
					}

					// Some activations stored, not all.
					g2 := make([]float32, e)
					LSTMCell(n, hid, pre, bias, cPrev, c, h, nil, nil, g2, nil, nil)
					assert.Equal(t, bitsOf(wg), bitsOf(g2), "g alone")
					assert.Equal(t, bitsOf(wh), bitsOf(h), "h with g alone")

					// In place: c over cPrev.
					inPlace := append([]float32(nil), cPrev...)
					LSTMCell(n, hid, pre, bias, inPlace, inPlace, h, nil, nil, nil, nil, nil)
					assert.Equal(t, bitsOf(wc), bitsOf(inPlace), "c written over cPrev")
					assert.Equal(t, bitsOf(wh), bitsOf(h), "h with c over cPrev")
				})
			}
		}
	}
}

func TestLSTMCellMatchesTheFormulaInFloat64(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	const n, hid = 4, 24
	pre, bias, cPrev := randSlice(rng, 4*n*hid, 2), randSlice(rng, 4*hid, 1), randSlice(rng, n*hid, 1)
	c, h := make([]float32, n*hid), make([]float32, n*hid)
	LSTMCell(n, hid, pre, bias, cPrev, c, h, nil, nil, nil, nil, nil)
	sig := func(x float64) float64 { return 1 / (1 + math.Exp(-x)) }
	for r := range n {
		for j := range hid {
			z := func(q int) float64 { return float64(pre[(4*r+q)*hid+j]) + float64(bias[q*hid+j]) }
			k := r*hid + j
			wc := sig(z(1))*float64(cPrev[k]) + sig(z(0))*math.Tanh(z(2))
			wh := sig(z(3)) * math.Tanh(wc)
			require.InDelta(t, wc, c[k], 1e-5, "c[%d]", k)
			require.InDelta(t, wh, h[k], 1e-5, "h[%d]", k)
		}
	}
}

func TestLSTMCellRefusesShortSlices(t *testing.T) {
	s := func(k int) []float32 { return make([]float32, k) }
	for _, tc := range []struct {
		name string
		call func()
		want string
	}{
		{"pre", func() { LSTMCell(2, 8, s(63), nil, s(16), s(16), s(16), nil, nil, nil, nil, nil) }, "pre has 63 values, want 64"},
		{"bias", func() { LSTMCell(2, 8, s(64), s(31), s(16), s(16), s(16), nil, nil, nil, nil, nil) }, "bias has 31 values, want 32"},
		{"h", func() { LSTMCell(2, 8, s(64), nil, s(16), s(16), s(15), nil, nil, nil, nil, nil) }, "h has 15 values, want 16"},
		{"an optional output", func() { LSTMCell(2, 8, s(64), nil, s(16), s(16), s(16), nil, nil, s(8), nil, nil) }, "g has 8 values, want 16"},
	} {
		t.Run("a short "+tc.name+" panics with its name", func(t *testing.T) {
			assert.PanicsWithValue(t, "rt.LSTMCell: "+tc.want+" (n=2, hid=8)", tc.call)
		})
	}
}

// BenchmarkLSTMCell is W3's step: 16 rows of 64 cells, for inference (c and h)
// and for training (every activation stored).
func BenchmarkLSTMCell(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	const n, hid = 16, 64
	pre, bias, cPrev := randSlice(rng, 4*n*hid, 2), randSlice(rng, 4*hid, 1), randSlice(rng, n*hid, 1)
	c, h := make([]float32, n*hid), make([]float32, n*hid)
	acts := make([][]float32, 5)
	for q := range acts {
		acts[q] = make([]float32, n*hid)
	}
	b.Run("infer", func(b *testing.B) {
		for b.Loop() {
			LSTMCell(n, hid, pre, bias, cPrev, c, h, nil, nil, nil, nil, nil)
		}
	})
	b.Run("train", func(b *testing.B) {
		for b.Loop() {
			LSTMCell(n, hid, pre, bias, cPrev, c, h, acts[0], acts[1], acts[2], acts[3], acts[4])
		}
	})
	b.Run("ops one by one", func(b *testing.B) {
		for b.Loop() {
			lstmCellByOps(n, hid, pre, bias, cPrev)
		}
	})
}

func TestLSTMCellAllocatesNothing(t *testing.T) {
	const n, hid = 3, 40
	s := func(k int) []float32 { return make([]float32, k) }
	pre, bias, cPrev, c, h := s(4*n*hid), s(4*hid), s(n*hid), s(n*hid), s(n*hid)
	acts := [5][]float32{s(n * hid), s(n * hid), s(n * hid), s(n * hid), s(n * hid)}
	assert.Zero(t, testing.AllocsPerRun(10, func() {
		LSTMCell(n, hid, pre, bias, cPrev, c, h, nil, nil, nil, nil, nil)
		LSTMCell(n, hid, pre, nil, cPrev, c, h, acts[0], acts[1], acts[2], acts[3], acts[4])
		LSTMCell(n, hid, pre, bias, cPrev, c, h, nil, nil, acts[2], nil, nil)
	}))
}
