package rt

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestGemmStepsP checks the sum over steps of A_sᵀ·B_s against the float64
// reference of the one product it equals, with the steps' rows contiguous (one
// product) and with gaps between the steps (one product per step; the gaps hold NaN,
// so reading them shows), and that every thread count gives the bits of one thread.
func TestGemmStepsP(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11))
	nan := float32(math.NaN())
	pools := []*Pool{NewPool(1), NewPool(2), NewPool(3)}
	defer func() {
		for _, p := range pools {
			p.Close()
		}
	}()
	for _, m := range []int{1, 17, 65, 256} {
		for _, n := range []int{3, 33, 96} {
			for _, rows := range []int{1, 3, 16} {
				for _, steps := range []int{1, 2, 5, 32} {
					g := newGemmCase(rng, true, false, m, n, steps*rows, 1, 0, 1)
					want, bound := g.reference()
					// gapped copies: each step's rows, then gap rows of NaN.
					const gap = 2
					spread := func(s []float32, ld int) []float32 {
						out := slices.Repeat([]float32{nan}, steps*(rows+gap)*ld)
						for st := range steps {
							copy(out[st*(rows+gap)*ld:], s[st*rows*ld:(st+1)*rows*ld])
						}
						return out
					}
					ga, gb := spread(g.a, g.lda), spread(g.b, g.ldb)
					for _, gapped := range []bool{false, true} {
						name := fmt.Sprintf("m=%d n=%d rows=%d steps=%d gapped=%v", m, n, rows, steps, gapped)
						a, b, aStep, bStep := g.a, g.b, rows*g.lda, rows*g.ldb
						if gapped {
							a, b, aStep, bStep = ga, gb, (rows+gap)*g.lda, (rows+gap)*g.ldb
						}
						run := func(p *Pool) []float32 {
							c := slices.Clone(g.c)
							GemmStepsP(p, m, n, rows, steps, a, g.lda, aStep, b, g.ldb, bStep, c, g.ldc)
							return c
						}
						one := run(nil)
						checkGemmResult(t, g, one, want, bound)
						for _, p := range pools {
							require.Equal(t, math32bits(one), math32bits(run(p)), "%s: %d threads differ from one", name, p.Threads())
						}
					}
				}
			}
		}
	}
}

// TestGemmStepsPEmpty checks that no steps (or no rows) sets C to zero without
// reading A or B.
func TestGemmStepsPEmpty(t *testing.T) {
	for _, steps := range []int{0, 3} {
		rows := 0
		if steps == 0 {
			rows = 4
		}
		c := []float32{float32(math.NaN()), 5, 6, 7}
		GemmStepsP(nil, 2, 2, rows, steps, nil, 2, 8, nil, 2, 8, c, 2)
		require.Equal(t, []float32{0, 0, 0, 0}, c)
	}
}

func math32bits(s []float32) []uint32 {
	out := make([]uint32, len(s))
	for i, v := range s {
		out[i] = math.Float32bits(v)
	}
	return out
}

// TestColSums64Steps checks the column sums of stacked step blocks against a plain
// float64 loop, with the blocks contiguous and with gaps of NaN between them (which
// must not be read), and that both layouts give the same bits.
func TestColSums64Steps(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 5))
	nan := float32(math.NaN())
	for _, cols := range []int{1, 17, 33, 256} {
		for _, rows := range []int{1, 3, 16} {
			for _, steps := range []int{1, 2, 7} {
				dense := make([]float32, steps*rows*cols)
				for i := range dense {
					dense[i] = float32(rng.Float64()*2 - 1)
				}
				const gap = 5
				gapped := slices.Repeat([]float32{nan}, steps*(rows*cols+gap))
				for s := range steps {
					copy(gapped[s*(rows*cols+gap):], dense[s*rows*cols:(s+1)*rows*cols])
				}
				want := make([]float64, cols)
				for r := range steps * rows {
					for c := range cols {
						want[c] += float64(dense[r*cols+c])
					}
				}
				got := make([]float64, cols)
				ColSums64Steps(got, dense, rows, steps, cols, rows*cols)
				require.Equal(t, want, got, "cols=%d rows=%d steps=%d contiguous", cols, rows, steps)
				clear(got)
				ColSums64Steps(got, gapped, rows, steps, cols, rows*cols+gap)
				require.Equal(t, want, got, "cols=%d rows=%d steps=%d gapped", cols, rows, steps)
			}
		}
	}
}

// BenchmarkGemmSteps measures the LSTM workload's weight gradient (256×96 from 32
// steps of 16 rows): 32 products accumulated one step at a time, as TrainStep
// computed it before, against the one product GemmStepsP makes of contiguous steps;
// on one thread and on a pool of two.
func BenchmarkGemmSteps(b *testing.B) {
	const steps, rows, m, n = 32, 16, 256, 96
	a := make([]float32, steps*rows*m)
	x := make([]float32, steps*rows*n)
	for i := range a {
		a[i] = float32(i%7) * 0.1
	}
	for i := range x {
		x[i] = float32(i%5) * 0.1
	}
	c := make([]float32, m*n)
	for _, threads := range []int{1, 2} {
		p := NewPool(threads)
		b.Run(fmt.Sprintf("per-step/threads=%d", threads), func(b *testing.B) {
			for b.Loop() {
				for s := range steps {
					beta := float32(1)
					if s == 0 {
						beta = 0
					}
					p.Gemm(true, false, m, n, rows, 1, a[s*rows*m:], m, x[s*rows*n:], n, beta, c, n)
				}
			}
		})
		b.Run(fmt.Sprintf("one/threads=%d", threads), func(b *testing.B) {
			for b.Loop() {
				GemmStepsP(p, m, n, rows, steps, a, m, rows*m, x, n, rows*n, c, n)
			}
		})
		p.Close()
	}
}
