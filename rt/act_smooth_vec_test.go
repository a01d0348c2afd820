package rt

import (
	"flag"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

var exhaustiveSmooth = flag.Bool("exhaustive-smooth", false,
	"check the smooth activations' slice functions on every float32 value (minutes per function)")

// smoothSlice is a slice function of act_smooth_vec.go with the scalar function
// it must equal bit for bit.
type smoothSlice struct {
	name   string
	grad   bool
	slice  func(y, x, dy []float32)
	scalar func(x, dy float32) float32
}

var smoothSlices = []smoothSlice{
	{"Elu", false, func(y, x, _ []float32) { Elu(y, x, 0.7) }, func(x, _ float32) float32 { return Elu32(x, 0.7) }},
	{"Elu (alpha 1)", false, func(y, x, _ []float32) { Elu(y, x, 1) }, func(x, _ float32) float32 { return Elu32(x, 1) }},
	{"EluGrad", true, func(y, x, dy []float32) { EluGrad(y, x, dy, 0.7) }, func(x, dy float32) float32 { return EluGrad32(x, dy, 0.7) }},
	{"EluGrad (alpha 3e38)", true, func(y, x, dy []float32) { EluGrad(y, x, dy, 3e38) }, func(x, dy float32) float32 { return EluGrad32(x, dy, 3e38) }},
	{"Selu", false, func(y, x, _ []float32) { Selu(y, x) }, func(x, _ float32) float32 { return Selu32(x) }},
	{"SeluGrad", true, SeluGrad, SeluGrad32},
	{"Softplus", false, func(y, x, _ []float32) { Softplus(y, x) }, func(x, _ float32) float32 { return Softplus32(x) }},
	{"SoftplusGrad", true, SoftplusGrad, SoftplusGrad32},
	{"Gelu", false, func(y, x, _ []float32) { Gelu(y, x) }, func(x, _ float32) float32 { return Gelu32(x) }},
	{"GeluGrad", true, GeluGrad, GeluGrad32},
	{"GeluTanh", false, func(y, x, _ []float32) { GeluTanh(y, x) }, func(x, _ float32) float32 { return GeluTanh32(x) }},
	{"GeluTanhGrad", true, GeluTanhGrad, GeluTanhGrad32},
	{"Silu", false, func(y, x, _ []float32) { Silu(y, x) }, func(x, _ float32) float32 { return Silu32(x) }},
	{"SiluGrad", true, SiluGrad, SiluGrad32},
}

// smoothEdges are the float32 values around which the functions change formula:
// their thresholds and the points where an intermediate crosses one (found by
// bisection, since they are not round numbers), with 64 float32 neighbours on each
// side; and the special values.
func smoothEdges() []float32 {
	at := []float32{0, 0.35, 0.5, 1, 4, 12.5, 17.3, 20, 40, 87, 88, 151, 1e-30, 1e-40,
		-erfcMin / invSqrt2, erfNear0Max / invSqrt2, 1.41421356, 0.41421356}
	// x where geluTanhArg's s crosses -87 and -151 (expScaled's thresholds).
	for _, s := range []float32{expMin, expTailMin} {
		at = append(at, bisect32(-20, 0, func(x float32) bool { v, _ := geluTanhArg(x); return v >= s }))
	}
	// x where expNegSq's h = hi²·k crosses 87 and 151, for k = 1/2 (GELU) and 1 (erfc).
	for _, k := range []float32{0.5, 1} {
		for _, h := range []float32{-expMin, -expTailMin} {
			at = append(at, bisect32(0, 30, func(x float32) bool {
				hi := math.Float32frombits(math.Float32bits(x) &^ 0xfff)
				return float32(hi*hi)*k > h
			}))
		}
	}
	var xs []float32
	for _, e := range at {
		for _, v := range []float32{e, -e} {
			b := math.Float32bits(v)
			for d := uint32(0); d <= 64; d++ {
				xs = append(xs, math.Float32frombits(b+d), math.Float32frombits(b-d))
			}
		}
	}
	return append(xs, float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.NaN()),
		math.MaxFloat32, -math.MaxFloat32, math.SmallestNonzeroFloat32, -math.SmallestNonzeroFloat32,
		float32(math.Copysign(0, -1)), math.Float32frombits(0x7fc00001), math.Float32frombits(0xffa00000))
}

// bisect32 is the least float32 x in (lo, hi] where up(x) holds, for up false at
// lo and true at hi and changing once between them.
func bisect32(lo, hi float32, up func(float32) bool) float32 {
	for {
		mid := lo + (hi-lo)/2
		if mid == lo || mid == hi {
			return hi
		}
		if up(mid) {
			hi = mid
		} else {
			lo = mid
		}
	}
}

// smoothSweep is the x values the functions are checked on: every float32 bit
// pattern with a stride (all signs and exponents, NaNs, infinities and
// subnormals), a fine grid of [-160, 60], random values of [-30, 30] and the edges.
func smoothSweep(stride uint64) []float32 {
	var xs []float32
	for b := uint64(0); b < 1<<32; b += stride {
		xs = append(xs, math.Float32frombits(uint32(b)))
	}
	for i := range 400001 {
		xs = append(xs, float32(-160+220*float64(i)/400000))
	}
	rng := rand.New(rand.NewPCG(5, 6))
	for range 200000 {
		xs = append(xs, float32(60*rng.Float64()-30))
	}
	return append(xs, smoothEdges()...)
}

// smoothDy is a dy for each x: mostly normal values, some 1, -1, 0, -0, subnormal,
// huge, infinite or NaN.
func smoothDy(n int) []float32 {
	special := []float32{1, -1, 0, float32(math.Copysign(0, -1)), 1e-40, -3e38, float32(math.Inf(1)),
		float32(math.Inf(-1)), float32(math.NaN()), 0.5}
	rng := rand.New(rand.NewPCG(7, 8))
	dy := make([]float32, n)
	for i := range dy {
		if i%7 == 3 {
			dy[i] = special[(i/7)%len(special)]
		} else {
			dy[i] = float32(rng.NormFloat64())
		}
	}
	return dy
}

// sameFloat32 reports whether a and b have the same bits, or are both NaN.
func sameFloat32(a, b float32) bool {
	return math.Float32bits(a) == math.Float32bits(b) || (a != a && b != b)
}

// checkSmooth requires f.slice(x, dy) to be f.scalar element by element.
func checkSmooth(t *testing.T, f smoothSlice, x, dy []float32) {
	t.Helper()
	y := make([]float32, len(x))
	f.slice(y, x, dy)
	bad := 0
	for i, v := range x {
		if want := f.scalar(v, dy[i]); !sameFloat32(y[i], want) {
			if bad < 5 {
				t.Errorf("%s(x = %g (%#08x), dy = %g): %g (%#08x), want %g (%#08x)", f.name, v, math.Float32bits(v),
					dy[i], y[i], math.Float32bits(y[i]), want, math.Float32bits(want))
			}
			bad++
		}
	}
	if bad > 0 {
		t.Errorf("%s: %d of %d values differ", f.name, bad, len(x))
	}
}

// TestSmoothSliceFunctionsAreTheScalarOnes checks each slice function against its
// scalar function, bit for bit, on a sweep of all float32 values with a stride, a
// grid and random values where the functions change, and every edge.
func TestSmoothSliceFunctionsAreTheScalarOnes(t *testing.T) {
	stride := uint64(997)
	if testing.Short() {
		stride = 7919
	}
	x := smoothSweep(stride)
	dy := smoothDy(len(x))
	for _, f := range smoothSlices {
		t.Run(f.name, func(t *testing.T) { checkSmooth(t, f, x, dy) })
	}
}

// TestSmoothSliceFunctionsOnEveryFloat32 is the same on every float32 value (with
// -exhaustive-smooth: 2^32 values per function).
func TestSmoothSliceFunctionsOnEveryFloat32(t *testing.T) {
	if !*exhaustiveSmooth {
		t.Skip("run with -exhaustive-smooth")
	}
	const chunk = 1 << 20
	x := make([]float32, chunk)
	dy := smoothDy(chunk)
	for _, f := range smoothSlices {
		t.Run(f.name, func(t *testing.T) {
			for base := uint64(0); base < 1<<32; base += chunk {
				for i := range x {
					x[i] = math.Float32frombits(uint32(base) + uint32(i))
				}
				checkSmooth(t, f, x, dy)
				if t.Failed() {
					return
				}
			}
		})
	}
}

// TestSmoothSliceFunctionsAtEveryLength checks every length 0..70 at every start
// 0..3 of x, y and dy (so every tail and misalignment): each value is the scalar
// function's, nothing past the end is written, and y may be x or dy.
func TestSmoothSliceFunctionsAtEveryLength(t *testing.T) {
	pool := smoothSweep(1 << 20)
	rng := rand.New(rand.NewPCG(9, 10))
	rng.Shuffle(len(pool), func(i, j int) { pool[i], pool[j] = pool[j], pool[i] })
	pool = append(smoothEdges()[:100], pool[:400]...)
	dyPool := smoothDy(len(pool))
	for _, f := range smoothSlices {
		t.Run(f.name, func(t *testing.T) {
			for n := 0; n <= 70; n++ {
				for off := range 4 {
					x := append(make([]float32, off), pool[n:2*n]...)[off:]
					dy := append(make([]float32, 3-off), dyPool[n:2*n]...)[3-off:]
					buf := nans(off + n + 16)
					for i := off + n; i < len(buf); i++ {
						buf[i] = 42
					}
					y := buf[off : off+n]
					f.slice(y, x, dy)
					for i := range n {
						require.True(t, sameFloat32(y[i], f.scalar(x[i], dy[i])), "n=%d off=%d: %s(%g, %g) = %g, want %g",
							n, off, f.name, x[i], dy[i], y[i], f.scalar(x[i], dy[i]))
					}
					for _, v := range buf[off+n:] {
						require.Equal(t, float32(42), v, "n=%d off=%d: wrote past y", n, off)
					}
					// In place: y is x, or y is dy.
					in := append([]float32(nil), x...)
					f.slice(in, in, dy)
					for i := range n {
						require.True(t, sameFloat32(in[i], f.scalar(x[i], dy[i])), "n=%d off=%d in place of x", n, off)
					}
					if f.grad {
						in = append(in[:0], dy...)
						f.slice(in, x, in)
						for i := range n {
							require.True(t, sameFloat32(in[i], f.scalar(x[i], dy[i])), "n=%d off=%d in place of dy", n, off)
						}
					}
				}
			}
		})
	}
}
