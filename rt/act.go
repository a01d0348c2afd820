package rt

import "math"

// Float32 activations for generated code. math's functions work in float64 and are
// exact to the last bit, which costs a float64 exponential and division per element:
// in an LSTM they took three quarters of the inference time. These use float32
// arithmetic and Cephes' minimax polynomials (S. L. Moshier, Cephes Math Library:
// expf.c, tanhf.c), accurate to a few units in the last place of float32 (relative
// error below 1e-6, see act_test.go), far inside the 1e-4 to which generated code
// is held against the float64 interpreter.

const (
	log2e = 1.44269504088896341
	ln2Hi = 0.693359375 // ln 2 split so that n·ln2Hi is exact for |n| < 2^9
	ln2Lo = -2.12194440e-4
	// Outside [expMin, expMax] e^x is below float32's normal range or above its
	// largest value; it is clamped there (callers get 0 or 1 at the ends).
	expMin = -87.0
	expMax = 88.0
	// roundMagic rounds a float32 to an integer: adding it pushes the fraction out of
	// the 24-bit significand.
	roundMagic = 12582912 // 1.5·2^23
)

// Exp32 is e^x for x in [-87, 88] (clamped outside it), relative error < 3e-7.
func Exp32(x float32) float32 {
	if x > expMax {
		x = expMax
	} else if x < expMin {
		x = expMin
	}
	// x = n·ln 2 + r with |r| ≤ ln2/2, so e^x = 2^n·e^r.
	// Every product is converted to float32 explicitly, which keeps the compiler from
	// fusing it with the next addition (FMA, on GOAMD64=v3): then each operation
	// rounds as in the assembly version, lane for lane.
	fn := (float32(x*log2e) + roundMagic) - roundMagic
	r := x - float32(fn*ln2Hi) - float32(fn*ln2Lo)
	p := float32(1.9875691500e-4*r) + 1.3981999507e-3
	p = float32(p*r) + 8.3334519073e-3
	p = float32(p*r) + 4.1665795894e-2
	p = float32(p*r) + 1.6666665459e-1
	p = float32(p*r) + 5.0000001201e-1
	p = float32(float32(p*r)*r) + r + 1
	return p * math.Float32frombits(uint32(int32(fn)+127)<<23)
}

// Sigmoid32 is 1/(1 + e^-x).
func Sigmoid32(x float32) float32 {
	return 1 / (1 + Exp32(-x))
}

// Tanh32 is tanh x: an odd polynomial near 0, where 1 - 2/(e^2x + 1) would lose
// digits, and that formula elsewhere.
func Tanh32(x float32) float32 {
	a := x
	if a < 0 {
		a = -a
	}
	if a < 0.625 {
		z := x * x
		q := float32(-5.70498872745e-3*z) + 2.06390887954e-2
		q = float32(q*z) - 5.37397155531e-2
		q = float32(q*z) + 1.33314422036e-1
		q = float32(q*z) - 3.33332819422e-1
		return x + float32(float32(x*z)*q)
	}
	t := 1 - 2/(Exp32(2*a)+1)
	if x < 0 {
		return -t
	}
	return t
}

// Sigmoid sets y[i] = Sigmoid32(x[i]), eight at a time with AVX2 where the CPU has
// it (the same bits); y must be at least as long as x.
func Sigmoid(y, x []float32) {
	y = y[:len(x)]
	for i := sigmoidVec(y, x); i < len(x); i++ {
		y[i] = Sigmoid32(x[i])
	}
}

// Tanh sets y[i] = Tanh32(x[i]), as Sigmoid does.
func Tanh(y, x []float32) {
	y = y[:len(x)]
	for i := tanhVec(y, x); i < len(x); i++ {
		y[i] = Tanh32(x[i])
	}
}

// ReluGrad32 is dy where x > 0 and 0 elsewhere (ReLU's gradient), without a branch:
// after a ReLU about half the values are 0, so a branch on x > 0 mispredicts about
// half the time, and a mask on dy's bits (all ones or all zeros) is several times
// faster. The result is the branching form's bit for bit, NaNs and -0 included.
func ReluGrad32(x, dy float32) float32 {
	return math.Float32frombits(math.Float32bits(dy) & -uint32(b2i(x > 0)))
}
