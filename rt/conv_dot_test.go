package rt

import (
	"fmt"
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// withDot runs f with the dot-product filter gradient on or off and taken from
// min items on, restoring the settings after.
func withDot(t *testing.T, on bool, min int, f func()) {
	t.Helper()
	if on && !haveDot() {
		t.Skip("the dot-product path needs AVX-512")
	}
	defer func(o bool, m int) { dotFilterGradOn, dotMinItems = o, m }(dotFilterGradOn, dotMinItems)
	dotFilterGradOn, dotMinItems = on, min
	f()
}

func TestDotTransposeLaysItemsOutAsLanes(t *testing.T) {
	if !haveDot() {
		t.Skip("needs AVX-512")
	}
	const srcStride, dstStride = 53, 21 // floats, neither a multiple of 16
	for items := 1; items <= 16; items++ {
		for _, count := range []int{1, 5, 15, 16, 17, 31, 32, 40} {
			t.Run(fmt.Sprintf("%d items, %d positions", items, count), func(t *testing.T) {
				src := filled(items*srcStride+count, 7)
				// Output vectors dstStride floats apart; what lies between and after
				// them must stay NaN.
				dst := nans(count*(16+dstStride) + 16)
				dotTranspose16(&transArgs{dst: &dst[0], dstStride: 4 * (16 + dstStride), src: &src[0], srcStride: 4 * srcStride, items: items, count: count})
				for p := range count {
					v := dst[p*(16+dstStride):]
					for l := range 16 {
						want := float32(0)
						if l < items {
							want = src[l*srcStride+p]
						}
						require.Equal(t, math.Float32bits(want), math.Float32bits(v[l]), "position %d lane %d", p, l)
					}
					for l := 16; l < 16+dstStride && p*(16+dstStride)+l < len(dst); l++ {
						require.True(t, math.IsNaN(float64(v[l])), "position %d wrote past its vector (%d)", p, l)
					}
				}
				require.True(t, math.IsNaN(float64(dst[count*(16+dstStride)])), "wrote past the last vector")
			})
		}
	}
}

// Every block kernel (r filters × s taps) computes, with small integers (exact in
// float32), dw[i][t] += Σ over its positions of dy·x, walking the positions as
// dotArgs says: groups of rows of vectors, x jumping after each row and group.
func TestDotKernelsComputeTheirBlocks(t *testing.T) {
	if !haveDot() {
		t.Skip("needs AVX-512")
	}
	const rows, vecs, groups, extra = 3, 2, 2, 1        // extra: a filter past the block's
	const rowJump, groupJump, ldw = 64 * 3, -64 * 5, 11 // bytes, bytes, floats
	ints := func(n int, seed uint64) []float32 {
		v := filled(n, seed)
		for i := range v {
			v[i] = float32(math.Round(float64(v[i]) * 4))
		}
		return v
	}
	for r := 1; r < len(dotMaxTaps); r++ {
		for s := 1; s <= dotMaxTaps[r]; s++ {
			t.Run(fmt.Sprintf("%d filters × %d taps", r, s), func(t *testing.T) {
				steps := groups * rows * vecs
				dy := ints(steps*(r+extra)*16, uint64(r))
				x := ints(4096, uint64(s))
				var a dotArgs
				a.dy, a.dyStep, a.x = &dy[0], 64*(r+extra), &x[0]
				a.rows, a.vecs, a.rowJump, a.groups, a.groupJump = rows, vecs, rowJump, groups, groupJump
				for k := range s {
					a.off[k] = 4 * (1000 + 37*k) // unaligned, apart
				}
				dw := ints(r*ldw, 9)
				want := make([]float32, len(dw))
				copy(want, dw)
				a.dw, a.ldw = &dw[0], 4*ldw
				// The kernel's walk, in floats.
				pos, xo := 0, 0
				for range groups {
					for range rows {
						for range vecs {
							for i := range r {
								for k := range s {
									for l := range 16 {
										want[i*ldw+k] += dy[pos*(r+extra)*16+i*16+l] * x[a.off[k]/4+xo+l]
									}
								}
							}
							pos++
							xo += 16
						}
						xo += rowJump / 4
					}
					xo += groupJump / 4
				}
				dotKernel(r, s, &a)
				for i := range dw {
					require.Equal(t, want[i], dw[i], "dw[%d] (filter %d, tap %d)", i, i/ldw, i%ldw)
				}
			})
		}
	}
}

// dotWindows are the geometries of the dot-product path's tests: every padding
// (valid, same, full, asymmetric, beyond the kernel's reach), kernels wider than
// tall and the reverse, and odd planes, each with a number of channels and filters.
var dotWindows = []struct {
	name                                 string
	c, h, w, kh, kw, top, left, bot, rig int
	o                                    int
}{
	{"a valid 3×3 window", 2, 5, 6, 3, 3, 0, 0, 0, 0, 3},
	{"LeNet's conv1 (same 5×5 on 28×28)", 1, 28, 28, 5, 5, 2, 2, 2, 2, 6},
	{"LeNet's conv2 (valid 5×5 on 14×14)", 6, 14, 14, 5, 5, 0, 0, 0, 0, 16},
	{"a 1×3 kernel", 3, 7, 9, 1, 3, 0, 1, 0, 1, 5},
	{"a 3×1 kernel", 4, 9, 7, 3, 1, 1, 0, 1, 0, 7},
	{"a 7×7 kernel with same padding on odd planes", 2, 11, 13, 7, 7, 3, 3, 3, 3, 4},
	{"full padding", 3, 4, 5, 3, 2, 2, 1, 2, 1, 2},
	{"asymmetric pads", 5, 5, 6, 2, 4, 1, 0, 0, 3, 9},
	{"padding beyond the kernel's reach", 1, 3, 3, 2, 2, 2, 3, 2, 3, 1},
	{"a kernel as wide as the padded input", 1, 3, 4, 5, 6, 1, 1, 1, 1, 2},
	{"one output row and column", 3, 5, 5, 5, 5, 0, 0, 0, 0, 4},
}

// dotCheck computes the filter gradient with Conv2DFilterGrad (or run, when
// set) and compares it with the defining sum: exactly, for small integers (every
// float32 operation is then exact), or within the float32 rounding bound of the
// path's summation order for real values.
func dotCheck(t *testing.T, g Window, o, n int, integers bool, run func(x, dy, dw []float32)) {
	t.Helper()
	x, dy := filled(n*g.C*g.H*g.W, 1), filled(n*o*g.Ho*g.Wo, 2)
	if integers {
		for i := range x {
			x[i] = float32(math.Round(float64(x[i]) * 3))
		}
		for i := range dy {
			dy[i] = float32(math.Round(float64(dy[i]) * 3))
		}
	}
	want, abs := make([]float64, o*g.Rows()), make([]float64, o*g.Rows())
	g.terms(o, n, func(xi, wi, yi int) {
		v := float64(dy[yi]) * float64(x[xi])
		want[wi] += v
		abs[wi] += math.Abs(v)
	})
	got := nans(o * g.Rows())
	if run == nil {
		Conv2DFilterGrad(g, o, n, x, dy, got, nans(Conv2DFilterGradScratch(g, o, n)))
	} else {
		run(x, dy, got)
	}
	// On the dot path each lane sums its Ho·Wo terms of a group in a chain, 4
	// halvings add the lanes, and the groups add into dw one after the other: a
	// chain of Ho·Wo + 4 + groups roundings, each at most 2⁻²⁴ of the sum of the
	// absolute terms (Higham, "Accuracy and Stability of Numerical Algorithms",
	// 4.2). The column paths' products chain at most every position of every item.
	chain := float64(g.Ho*g.Wo + 4 + (n+15)/16)
	if !dotFilterGradOn {
		chain = float64(n*(g.Ho+g.KH)*(g.Wo+g.KW) + 16)
	}
	for i := range want {
		if integers {
			require.Equal(t, want[i], float64(got[i]), "dw[%d]", i)
			continue
		}
		require.InDelta(t, want[i], float64(got[i]), chain*abs[i]*0x1p-24+1e-30, "dw[%d]", i)
	}
}

func windowFor(t *testing.T, c, h, w, kh, kw, top, left, bot, rig int) Window {
	return windowOf(t, c, h, w, kh, kw, 1, 1, top, left, bot, rig)
}

func TestDotFilterGradComputesTheDefiningSum(t *testing.T) {
	for _, on := range []bool{true, false} {
		for _, c := range dotWindows {
			for _, n := range []int{1, 7, 16, 70} {
				name := fmt.Sprintf("%s, batch %d, dot path %v", c.name, n, on)
				t.Run(name, func(t *testing.T) {
					withDot(t, on, 1, func() {
						g := windowFor(t, c.c, c.h, c.w, c.kh, c.kw, c.top, c.left, c.bot, c.rig)
						var run func(x, dy, dw []float32) // Conv2DFilterGrad
						if _, ok := newDotPlan(g, c.o, n, newPlan(g, c.o, n, true).size); on && !ok {
							// A single item's column plan may need less scratch
							// than one filter and one channel of 16 lanes: then
							// the path runs with the least it takes.
							require.Equal(t, 1, n, "the dot path applies")
							budget := dotAlign + 16*(g.Ho*g.Wo+(g.Ho+g.KH-1)*(g.Wo+g.KW-1))
							d, ok := newDotPlan(g, c.o, n, budget)
							require.True(t, ok)
							run = func(x, dy, dw []float32) { d.run(n, x, dy, dw, nans(budget)) }
						}
						dotCheck(t, g, c.o, n, true, run)
						dotCheck(t, g, c.o, n, false, run)
					})
				})
			}
		}
	}
}

// Every number of channels and filters from 1 to 33 leaves each remainder of the
// blocks (up to 6 filters, up to 8 taps) and of the chunks.
func TestDotFilterGradCoversEveryBlockRemainder(t *testing.T) {
	counts := []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 17, 23, 24, 25, 31, 32, 33}
	if testing.Short() {
		counts = []int{1, 5, 7, 13, 33}
	}
	withDot(t, true, 1, func() {
		for _, ch := range counts {
			for _, o := range counts {
				t.Run(fmt.Sprintf("%d channels, %d filters", ch, o), func(t *testing.T) {
					g := windowFor(t, ch, 5, 7, 3, 3, 1, 1, 1, 1)
					_, ok := newDotPlan(g, o, 17, newPlan(g, o, 17, true).size)
					require.True(t, ok)
					dotCheck(t, g, o, 17, true, nil)
				})
			}
		}
	})
}

// Small budgets make the path chunk filters and channels; the sums stay exact.
func TestDotFilterGradInChunks(t *testing.T) {
	withDot(t, true, 1, func() {
		g := windowFor(t, 7, 6, 6, 3, 3, 1, 1, 1, 1)
		const o, n = 11, 20
		full, ok := newDotPlan(g, o, n, 1<<20)
		require.True(t, ok)
		require.Equal(t, o, full.oc)
		require.Equal(t, g.C, full.cc)
		x, dy := filled(n*g.C*g.H*g.W, 1), filled(n*o*g.Ho*g.Wo, 2)
		for i := range x {
			x[i] = float32(math.Round(float64(x[i]) * 3))
		}
		for i := range dy {
			dy[i] = float32(math.Round(float64(dy[i]) * 3))
		}
		want := make([]float64, o*g.Rows())
		g.terms(o, n, func(xi, wi, yi int) { want[wi] += float64(dy[yi]) * float64(x[xi]) })
		hw, plane := 16*g.Ho*g.Wo, 16*8*8
		for _, budget := range []int{dotAlign + hw + plane, dotAlign + 3*hw + plane, dotAlign + o*hw + 2*plane, dotAlign + o*hw + 6*plane} {
			d, ok := newDotPlan(g, o, n, budget)
			require.True(t, ok)
			require.LessOrEqual(t, d.dyLen+d.xLen+dotAlign, budget)
			got := nans(o * g.Rows())
			scratch := nans(budget)
			d.run(n, x, dy, got, scratch)
			for i := range want {
				require.Equal(t, want[i], float64(got[i]), "budget %d (%d filters, %d channels a chunk): dw[%d]", budget, d.oc, d.cc, i)
			}
		}
		// Real values: every chunking gives the same bits (each element is one
		// accumulator's chain per group whatever the chunk).
		xr, dyr := filled(n*g.C*g.H*g.W, 3), filled(n*o*g.Ho*g.Wo, 4)
		var first []float32
		for _, budget := range []int{dotAlign + hw + plane, dotAlign + 3*hw + 2*plane, 1 << 20} {
			d, _ := newDotPlan(g, o, n, budget)
			got := nans(o * g.Rows())
			d.run(n, xr, dyr, got, nans(budget))
			if first == nil {
				first = got
				continue
			}
			for i := range got {
				require.Equal(t, math.Float32bits(first[i]), math.Float32bits(got[i]), "budget %d: dw[%d]", budget, i)
			}
		}
		_, ok = newDotPlan(g, o, n, dotAlign+hw+plane-1)
		assert.False(t, ok, "a budget below one filter and one channel")
	})
}

// A NaN in x reaches exactly the dw elements whose sums read it (the dot path
// computes no discarded positions), a NaN in dy every tap of its filter (the
// padding's zeros times NaN included) and no other filter.
func TestDotFilterGradSpreadsNaNToTheElementsItReaches(t *testing.T) {
	withDot(t, true, 1, func() {
		for _, c := range dotWindows {
			t.Run(c.name, func(t *testing.T) {
				g := windowFor(t, c.c, c.h, c.w, c.kh, c.kw, c.top, c.left, c.bot, c.rig)
				o, n := c.o, 18
				x, dy := filled(n*g.C*g.H*g.W, 1), filled(n*o*g.Ho*g.Wo, 2)
				s := nans(Conv2DFilterGradScratch(g, o, n))
				for _, xi := range []int{0, len(x) / 3, len(x) - 1} {
					x[xi] = float32(math.NaN())
					reached := make([]bool, o*g.Rows())
					g.terms(o, n, func(ti, wi, _ int) { reached[wi] = reached[wi] || ti == xi })
					got := nans(o * g.Rows())
					Conv2DFilterGrad(g, o, n, x, dy, got, s)
					for i, v := range got {
						assert.Equal(t, reached[i], math.IsNaN(float64(v)), "x[%d] NaN: dw[%d] = %v", xi, i, v)
					}
					x[xi] = 0.5
				}
				dyi := len(dy) / 2
				f := dyi / (g.Ho * g.Wo) % o
				dy[dyi] = float32(math.NaN())
				got := nans(o * g.Rows())
				Conv2DFilterGrad(g, o, n, x, dy, got, s)
				for i, v := range got {
					assert.Equal(t, i/g.Rows() == f, math.IsNaN(float64(v)), "dy[%d] NaN (filter %d): dw[%d] = %v", dyi, f, i, v)
				}
			})
		}
	})
}

func TestDotFilterGradDoesNotAllocate(t *testing.T) {
	withDot(t, true, dotMinItems, func() {
		for _, c := range benchConvs[:4] {
			g, o, n := c.g, c.o, c.n
			x, dy, dw := filled(n*g.C*g.H*g.W, 1), filled(n*o*g.Ho*g.Wo, 2), make([]float32, o*g.Rows())
			s := make([]float32, Conv2DFilterGradScratch(g, o, n))
			assert.Zero(t, testing.AllocsPerRun(3, func() { Conv2DFilterGrad(g, o, n, x, dy, dw, s) }), c.name)
		}
	})
}

// The workloads' convolutions take the dot path at their batch sizes, within the
// scratch the column paths already had (so generated models need no more).
func TestTheWorkloadsFilterGradientsTakeTheDotPath(t *testing.T) {
	withDot(t, true, dotMinItems, func() {
		for _, c := range benchConvs {
			d, ok := newDotPlan(c.g, c.o, c.n, newPlan(c.g, c.o, c.n, true).size)
			if c.g.SH != 1 {
				assert.False(t, ok, "%s: strided windows keep the column path", c.name)
				continue
			}
			require.True(t, ok, c.name)
			assert.Equal(t, c.o, d.oc, "%s: all filters in one chunk", c.name)
		}
	})
}

// The dot path gives the same bits on a pool of any size: the parts (filters for
// LeNet's convolutions, channels for ConvDAE's dec2 with its one filter) compute
// disjoint dw elements, each the same chain of operations as on one thread.
func TestDotFilterGradOnAPoolEqualsOneThreadBitForBit(t *testing.T) {
	withDot(t, true, dotMinItems, func() {
		for _, threads := range []int{2, 3} {
			pool := NewPool(threads)
			defer pool.Close()
			for _, c := range benchConvs[:4] {
				g, o, n := c.g, c.o, c.n
				d, ok := newDotPlan(g, o, n, newPlan(g, o, n, true).size)
				require.True(t, ok)
				fp, cp := d.split(partsPerThread*threads, n)
				require.Equal(t, partsPerThread*threads, fp*cp, "%s is split in parts", c.name)
				x, dy := filled(n*g.C*g.H*g.W, 1), filled(n*o*g.Ho*g.Wo, 2)
				s := nans(Conv2DFilterGradScratch(g, o, n))
				want, got := nans(o*g.Rows()), nans(o*g.Rows())
				Conv2DFilterGradP(nil, g, o, n, x, dy, want, s)
				Conv2DFilterGradP(pool, g, o, n, x, dy, got, s)
				for i := range want {
					require.Equal(t, math.Float32bits(want[i]), math.Float32bits(got[i]), "%s on %d threads: dw[%d]", c.name, threads, i)
				}
				assert.Zero(t, testing.AllocsPerRun(3, func() { Conv2DFilterGradP(pool, g, o, n, x, dy, got, s) }), "%s on %d threads allocates", c.name, threads)
			}
		}
	})
}

// BenchmarkDotFilterGrad runs the workloads' filter gradients on 1 and 2 threads.
func BenchmarkDotFilterGrad(b *testing.B) {
	for _, c := range benchConvs[:4] {
		g, o, n := c.g, c.o, c.n
		x, dy, dw := filled(n*g.C*g.H*g.W, 1), filled(n*o*g.Ho*g.Wo, 3), make([]float32, o*g.Rows())
		s := make([]float32, Conv2DFilterGradScratch(g, o, n))
		flops := float64(2 * n * o * g.Rows() * g.Ho * g.Wo)
		for _, threads := range []int{1, 2} {
			b.Run(fmt.Sprintf("%s/%d_threads", c.name, threads), func(b *testing.B) {
				pool := NewPool(threads)
				defer pool.Close()
				b.ReportAllocs()
				for b.Loop() {
					Conv2DFilterGradP(pool, g, o, n, x, dy, dw, s)
				}
				b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
		}
	}
}
