package rt

import (
	"fmt"
	"math"
	"testing"

	"github.com/stretchr/testify/require"
)

// optimVecCase is one optimizer variant's element loop, run either through its
// dispatcher (<name>Step: the AVX-512 kernel when the CPU has it) or as the portable
// loop (<name>Go). slots says, per state slot, whether it holds a sum of squares
// (so is filled with values ≥ 0 but for the special ones) and whether it is absent
// (nil, e.g. AMSGrad's maximum without AMSGrad).
type optimVecCase struct {
	name  string
	slots []slotKind
	run   func(vector bool, p, g []float32, state [][]float32)
}

type slotKind int

const (
	signedSlot  slotKind = iota
	squareSlot           // a sum of squares, ≥ 0
	averageSlot          // RMSprop's gradient average, small enough that s - avg² ≥ 0 mostly
	absentSlot
)

// optimVecSpecials are the values planted in every slice: NaN, infinities, zeros
// of both signs, subnormals, a value whose square overflows, and ones.
var optimVecSpecials = []float32{float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1)), 0,
	float32(math.Copysign(0, -1)), math.SmallestNonzeroFloat32, -1e-39, 1e-39, 3e38, 1, -1}

// optimVecData is n values in [-1, 1) (|·| for a square slot) followed by a
// sentinel. Every even place holds one of 13 symbols, the 11 specials or 2 plain
// values: at even place 2i slice k holds symbol (i + k·⌊i/13⌋) mod 13, and since
// 13 is prime, any two slices meet in every pair of symbols within 338 places.
// The odd places keep their plain values.
func optimVecData(n, k int, kind slotKind) []float32 {
	const symbols = 13
	x := filled(n+1, uint64(1000*n+k+1))
	for i := range x[:n] {
		switch kind {
		case squareSlot:
			x[i] = float32(math.Abs(float64(x[i])))
		case averageSlot:
			x[i] *= 0.1
		}
		if i%2 == 0 {
			h := i / 2
			if j := (h + k*(h/symbols)) % symbols; j < len(optimVecSpecials) {
				x[i] = optimVecSpecials[j]
			}
		}
	}
	x[n] = optimVecSentinel
	return x
}

const optimVecSentinel = 42.125

func adamVecCases() []optimVecCase {
	var cs []optimVecCase
	for _, t := range []float64{1, 10} {
		for _, l2 := range []bool{false, true} {
			for _, decay := range []bool{false, true} {
				for _, amsgrad := range []bool{false, true} {
					for _, eps := range []float64{1e-8, 0} {
						const lr, beta1, beta2 = 1e-3, 0.9, 0.999
						k := adamArgs{stepSize: float32(-lr / (1 - math.Pow(beta1, t))),
							ibc2: float32(1 / math.Sqrt(1-math.Pow(beta2, t))),
							b1:   beta1, omb1: float32(1 - beta1), b2: beta2, omb2: float32(1 - beta2),
							eps: float32(eps), shrink: 1, l2: l2, decay: decay}
						if l2 {
							k.wd = 0.01
						}
						if decay {
							k.shrink = float32(1 - lr*0.01)
						}
						slots := []slotKind{signedSlot, squareSlot, absentSlot}
						if amsgrad {
							slots[2] = squareSlot
						}
						cs = append(cs, optimVecCase{
							name:  fmt.Sprintf("Adam step %v, L2 %v, decoupled decay %v, AMSGrad %v, eps %v", t, l2, decay, amsgrad, eps),
							slots: slots,
							run: func(vector bool, p, g []float32, s [][]float32) {
								if vector {
									adamStep(p, g, s[0], s[1], s[2], k)
								} else {
									adamGo(p, g, s[0], s[1], s[2], k)
								}
							},
						})
					}
				}
			}
		}
	}
	return cs
}

func adamaxVecCases() []optimVecCase {
	var cs []optimVecCase
	for _, t := range []float64{1, 10} {
		for _, l2 := range []bool{false, true} {
			for _, eps := range []float32{1e-8, 0} {
				k := adamaxArgs{clr: float32(-2e-3 / (1 - math.Pow(0.9, t))), b1: 0.9, omb1: float32(1 - 0.9),
					b2: 0.999, eps: eps, l2: l2}
				if l2 {
					k.wd = 0.01
				}
				cs = append(cs, optimVecCase{
					name:  fmt.Sprintf("Adamax step %v, L2 %v, eps %v", t, l2, eps),
					slots: []slotKind{signedSlot, squareSlot},
					run: func(vector bool, p, g []float32, s [][]float32) {
						if vector {
							adamaxStep(p, g, s[0], s[1], k)
						} else {
							adamaxGo(p, g, s[0], s[1], k)
						}
					},
				})
			}
		}
	}
	return cs
}

func nadamVecCases() []optimVecCase {
	var cs []optimVecCase
	for _, t := range []float64{1, 10} {
		for _, l2 := range []bool{false, true} {
			for _, eps := range []float32{1e-8, 0} {
				const lr, beta1, beta2, psi = 2e-3, 0.9, 0.999, 4e-3
				mu, muNext := nadamMu(beta1, psi, t), nadamMu(beta1, psi, t+1)
				prod := nadamMuProduct(beta1, psi, t)
				k := nadamArgs{cg: float32(-lr * (1 - mu) / (1 - prod)), cm: float32(-lr * muNext / (1 - prod*muNext)),
					ibc2: float32(1 / (1 - math.Pow(beta2, t))), b1: beta1, omb1: float32(1 - beta1),
					b2: beta2, omb2: float32(1 - beta2), eps: eps, l2: l2}
				if l2 {
					k.wd = 0.01
				}
				cs = append(cs, optimVecCase{
					name:  fmt.Sprintf("NAdam step %v, L2 %v, eps %v", t, l2, eps),
					slots: []slotKind{signedSlot, squareSlot},
					run: func(vector bool, p, g []float32, s [][]float32) {
						if vector {
							nadamStep(p, g, s[0], s[1], k)
						} else {
							nadamGo(p, g, s[0], s[1], k)
						}
					},
				})
			}
		}
	}
	return cs
}

func adagradVecCases() []optimVecCase {
	var cs []optimVecCase
	// The first step adds the initial accumulator value, later ones add 0.
	for _, init := range []float32{0.1, 0} {
		for _, l2 := range []bool{false, true} {
			for _, eps := range []float32{1e-10, 0} {
				k := adagradArgs{clr: float32(-0.01 / (1 + 3*0.001)), eps: eps, init: init, l2: l2}
				if l2 {
					k.wd = 0.01
				}
				cs = append(cs, optimVecCase{
					name:  fmt.Sprintf("Adagrad adding %v first, L2 %v, eps %v", init, l2, eps),
					slots: []slotKind{squareSlot},
					run: func(vector bool, p, g []float32, s [][]float32) {
						if vector {
							adagradStep(p, g, s[0], k)
						} else {
							adagradGo(p, g, s[0], k)
						}
					},
				})
			}
		}
	}
	return cs
}

func adadeltaVecCases() []optimVecCase {
	var cs []optimVecCase
	for _, l2 := range []bool{false, true} {
		for _, eps := range []float32{1e-6, 0} {
			k := adadeltaArgs{lr: -1, rho: 0.9, omr: float32(1 - 0.9), eps: eps, l2: l2}
			if l2 {
				k.wd = 0.01
			}
			cs = append(cs, optimVecCase{
				name:  fmt.Sprintf("Adadelta L2 %v, eps %v", l2, eps),
				slots: []slotKind{squareSlot, squareSlot},
				run: func(vector bool, p, g []float32, s [][]float32) {
					if vector {
						adadeltaStep(p, g, s[0], s[1], k)
					} else {
						adadeltaGo(p, g, s[0], s[1], k)
					}
				},
			})
		}
	}
	return cs
}

func rmspropVecCases() []optimVecCase {
	var cs []optimVecCase
	for _, momentum := range []bool{false, true} {
		for _, centered := range []bool{false, true} {
			for _, l2 := range []bool{false, true} {
				for _, eps := range []float32{1e-8, 0} {
					k := rmspropArgs{lr: -0.01, alpha: 0.99, oma: float32(1 - 0.99), eps: eps, l2: l2}
					if l2 {
						k.wd = 0.01
					}
					slots := []slotKind{squareSlot, absentSlot, absentSlot}
					if momentum {
						k.mom, slots[1] = 0.9, signedSlot
					}
					if centered {
						slots[2] = averageSlot
					}
					cs = append(cs, optimVecCase{
						name:  fmt.Sprintf("RMSprop momentum %v, centered %v, L2 %v, eps %v", momentum, centered, l2, eps),
						slots: slots,
						run: func(vector bool, p, g []float32, s [][]float32) {
							if vector {
								rmspropStep(p, g, s[0], s[1], s[2], k)
							} else {
								rmspropGo(p, g, s[0], s[1], s[2], k)
							}
						},
					})
				}
			}
		}
	}
	return cs
}

func optimVecCases() []optimVecCase {
	var cs []optimVecCase
	for _, f := range []func() []optimVecCase{adamVecCases, adamaxVecCases, nadamVecCases,
		adagradVecCases, adadeltaVecCases, rmspropVecCases} {
		cs = append(cs, f()...)
	}
	return cs
}

// Every optimizer's vector step gives, bit for bit (NaN for NaN), what its portable
// loop gives, for every variant (weight decay, AdamW's decay, AMSGrad, momentum and
// centered RMSprop, Adagrad's first step, ε of 0, first and later bias
// corrections), on every length to 100 and two longer ones, with NaN, infinities,
// signed zeros and subnormals in the parameters, the gradient and each state slot.
// The value after each slice is a sentinel that neither path may change, and the
// gradient stays as it was.
func TestOptimizerKernelsEqualTheirLoops(t *testing.T) {
	var lengths []int
	for n := 0; n <= 100; n++ {
		lengths = append(lengths, n)
	}
	lengths = append(lengths, 257, 1000)
	for _, c := range optimVecCases() {
		t.Run(c.name+" gives the portable loop's bits", func(t *testing.T) {
			for _, n := range lengths {
				var in [][]float32 // p, g, then the state slots; each n values and a sentinel
				in = append(in, optimVecData(n, 0, signedSlot), optimVecData(n, 1, signedSlot))
				for i, kind := range c.slots {
					if kind == absentSlot {
						in = append(in, nil)
						continue
					}
					in = append(in, optimVecData(n, 2+i, kind))
				}
				vec, port := clones(in), clones(in)
				c.run(true, vec[0][:n], vec[1][:n], prefixes(vec[2:], n))
				c.run(false, port[0][:n], port[1][:n], prefixes(port[2:], n))
				for i := range in {
					if in[i] == nil {
						continue
					}
					what := fmt.Sprintf("n=%d, slice %d", n, i)
					require.Equal(t, math.Float32bits(optimVecSentinel), math.Float32bits(vec[i][n]), "%s: the vector step wrote past the end", what)
					require.Equal(t, math.Float32bits(optimVecSentinel), math.Float32bits(port[i][n]), "%s: the loop wrote past the end", what)
					sameBits(t, port[i], vec[i], what)
				}
				sameBits(t, in[1], vec[1], fmt.Sprintf("n=%d, gradient", n))
			}
		})
	}
}

// The loops are not trivially equal because they all give NaN: for the plain
// values most lanes hold, each step changes the parameters by a finite amount.
func TestOptimizerKernelsMoveTheParameters(t *testing.T) {
	for _, c := range optimVecCases() {
		t.Run(c.name+" changes ordinary weights by finite steps", func(t *testing.T) {
			const n = 40
			p, g := filled(n, 1), filled(n, 2)
			p0 := append([]float32(nil), p...)
			var state [][]float32
			for _, kind := range c.slots {
				switch kind {
				case absentSlot:
					state = append(state, nil)
				case squareSlot:
					s := filled(n, 3)
					for i := range s {
						s[i] = float32(math.Abs(float64(s[i]))) + 0.01
					}
					state = append(state, s)
				case averageSlot:
					s := filled(n, 5)
					for i := range s {
						s[i] *= 0.01
					}
					state = append(state, s)
				default:
					state = append(state, filled(n, 4))
				}
			}
			c.run(true, p, g, state)
			moved := 0
			for i := range p {
				require.False(t, math.IsNaN(float64(p[i])) || math.IsInf(float64(p[i]), 0), "p[%d] = %v", i, p[i])
				if p[i] != p0[i] {
					moved++
				}
			}
			require.Greater(t, moved, n/2)
		})
	}
}

func TestOptimizerKernelsDoNotAllocate(t *testing.T) {
	for _, c := range optimVecCases() {
		const n = 1000
		p, g := filled(n, 1), filled(n, 2)
		state := make([][]float32, len(c.slots))
		for i, kind := range c.slots {
			if kind != absentSlot {
				state[i] = make([]float32, n)
			}
		}
		require.Zero(t, testing.AllocsPerRun(10, func() { c.run(true, p, g, state) }), c.name)
	}
}

func clones(xs [][]float32) [][]float32 {
	out := make([][]float32, len(xs))
	for i, x := range xs {
		if x != nil {
			out[i] = append([]float32(nil), x...)
		}
	}
	return out
}

// prefixes is the first n values of each slice (nil stays nil).
func prefixes(xs [][]float32, n int) [][]float32 {
	out := make([][]float32, len(xs))
	for i, x := range xs {
		if x != nil {
			out[i] = x[:n]
		}
	}
	return out
}
