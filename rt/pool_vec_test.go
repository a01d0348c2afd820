package rt

import (
	"fmt"
	"math"
	"testing"

	"github.com/stretchr/testify/require"
)

// The vector 2×2 max pool after bias and ReLU gives, bit for bit, what the scalar
// formula (Go's max) gives, at every row length up to three blocks and a partial
// one, on rows seeded with NaNs, infinities and zeros of both signs; and it neither
// reads nor writes past the row (the slices end exactly at the row, and the value
// after the output stays untouched). Any NaN stands for NaN: payloads differ.
func TestVectorMaxPoolEqualsTheScalarFormula(t *testing.T) {
	if maxPool2x2ReLUVec(make([]float32, 1), make([]float32, 2), make([]float32, 2), 0) == 0 {
		t.Skip("no vector kernel on this CPU")
	}
	special := []float32{float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1)), 0, float32(math.Copysign(0, -1)), -1, 1}
	for n := 1; n <= 50; n++ {
		for _, b := range []float32{0, 0.25, -0.5, float32(math.Copysign(0, -1))} {
			t.Run(fmt.Sprintf("%d values, bias %v", n, b), func(t *testing.T) {
				r0, r1 := filled(2*n, uint64(n)), filled(2*n, uint64(n+100))
				for i := range r0 {
					if i%7 == 3 {
						r0[i] = special[(i/7)%len(special)]
					}
					if i%11 == 5 {
						r1[i] = special[(i/11+3)%len(special)]
					}
				}
				out := nans(n + 1)
				out[n] = 42
				require.Equal(t, n, maxPool2x2ReLUVec(out[:n], r0, r1, b))
				require.Equal(t, float32(42), out[n], "wrote past the row")
				for q := range n {
					want := max(max(r0[2*q], r0[2*q+1], r1[2*q], r1[2*q+1])+b, 0)
					if want != want {
						require.True(t, out[q] != out[q], "value %d: %v, want NaN", q, out[q])
						continue
					}
					require.Equal(t, math.Float32bits(want), math.Float32bits(out[q]), "value %d: %v, want %v", q, out[q], want)
				}
			})
		}
	}
}

// The vector winners of a 2×2 pool after bias and ReLU equal the scalar fast path
// of Epilogue.winners: the same pooled values (NaN where Go's max gives NaN) and the
// same codes, at every row length up to three blocks and a partial one, on rows
// seeded with NaNs, infinities, ties and zeros of both signs.
func TestVectorWinnersEqualTheScalarFormula(t *testing.T) {
	if winners2x2ReLUVec(make([]float32, 1), make([]float32, 1), make([]float32, 2), make([]float32, 2), 0, 0, 2) == 0 {
		t.Skip("no vector kernel on this CPU")
	}
	special := []float32{float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1)), 0, float32(math.Copysign(0, -1)), -1, 1, 0.5, 0.5}
	for n := 1; n <= 50; n++ {
		for _, b := range []float32{0, 0.25, -0.5} {
			t.Run(fmt.Sprintf("%d values, bias %v", n, b), func(t *testing.T) {
				r0, r1 := filled(2*n, uint64(n)), filled(2*n, uint64(n+100))
				for i := range r0 {
					if i%5 == 2 {
						r0[i] = special[(i/5)%len(special)]
					}
					if i%7 == 4 {
						r1[i] = special[(i/7+3)%len(special)]
					}
					if i%13 == 6 { // a tie within a window
						r1[i] = r0[i]
					}
				}
				const at0, wo = 40, 2*50 + 3
				out, code := nans(n+1), nans(n+1)
				out[n], code[n] = 42, 42
				require.Equal(t, n, winners2x2ReLUVec(out[:n], code[:n], r0, r1, b, at0, wo))
				require.Equal(t, float32(42), out[n], "wrote past the row")
				require.Equal(t, float32(42), code[n], "wrote past the codes")
				for q := range n {
					t0, t1 := max(r0[2*q]+b, 0), max(r0[2*q+1]+b, 0)
					t2, t3 := max(r1[2*q]+b, 0), max(r1[2*q+1]+b, 0)
					at := at0 + 2*q
					best := Pick(t1 > t0, at+1, at)
					v := max(t0, t1)
					best = Pick(t2 > v, at+wo, best)
					v = max(v, t2)
					best = Pick(t3 > v, at+wo+1, best)
					v = max(v, t3)
					want := float32(Pick(!(v > 0), -best-1, best))
					require.Equal(t, want, code[q], "code %d", q)
					if v != v {
						require.True(t, out[q] != out[q], "value %d: %v, want NaN", q, out[q])
						continue
					}
					require.Equal(t, math.Float32bits(v), math.Float32bits(out[q]), "value %d", q)
				}
			})
		}
	}
}

// addTo adds element by element at every length up to three vector blocks and a
// partial one, and touches nothing past the run.
func TestAddToAddsTheRun(t *testing.T) {
	for n := 0; n <= 50; n++ {
		dst, src := filled(n+1, uint64(n)), filled(n, uint64(n+7))
		want := append([]float32(nil), dst...)
		for i := range n {
			want[i] += src[i]
		}
		addTo(dst, src)
		for i := range dst {
			require.Equal(t, math.Float32bits(want[i]), math.Float32bits(dst[i]), "length %d, element %d", n, i)
		}
	}
}
