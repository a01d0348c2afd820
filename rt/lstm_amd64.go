package rt

//go:generate go run lstm_gen.go

// lstmCellRow is one row's operands of lstmCellAVX2 (act_amd64.s reads the fields
// at fixed offsets: keep the order).
type lstmCellRow struct {
	z        [4]*float32 // gate pre-activations i, f, g, o
	b        [4]*float32 // their biases, or nil
	cp, c, h *float32
	out      [5]*float32 // i, f, g, o, tanh c, or nil
}

// lstmCellAVX2 computes columns 0..cols-1 (a multiple of 8) of one row.
//
//go:noescape
func lstmCellAVX2(row *lstmCellRow, cols int)

// The AVX-512 kernels (lstm_avx512_amd64.s, written by lstm_gen.go) compute columns
// 0..cols-1 (a multiple of 16) of one row, with or without a bias, storing i, f, g,
// o and tanh c (Train) or not (Infer).

//go:noescape
func lstmCellAVX512Infer(row *lstmCellRow, cols int)

//go:noescape
func lstmCellAVX512BiasInfer(row *lstmCellRow, cols int)

//go:noescape
func lstmCellAVX512Train(row *lstmCellRow, cols int)

//go:noescape
func lstmCellAVX512BiasTrain(row *lstmCellRow, cols int)

// lstmCellVec computes the first columns of every row with AVX-512 (a multiple of
// 16) or AVX2 (of 8) when the CPU has it and returns how many columns it did.
func lstmCellVec(n, hid int, pre, bias, cPrev, c, h, i, f, g, o, cAct []float32) int {
	// The kernel is chosen by number, not held in a func value: a call through one
	// would make row escape (0 allocations per call is a requirement).
	const avx2, avx512Infer, avx512BiasInfer, avx512Train, avx512BiasTrain = 0, 1, 2, 3, 4
	cols, kernel := hid&^7, avx2
	if cpu.avx512 && hid >= 16 {
		cols = hid &^ 15
		train := i != nil && f != nil && g != nil && o != nil && cAct != nil
		infer := i == nil && f == nil && g == nil && o == nil && cAct == nil
		switch {
		case train && bias != nil:
			kernel = avx512BiasTrain
		case train:
			kernel = avx512Train
		case infer && bias != nil:
			kernel = avx512BiasInfer
		case infer:
			kernel = avx512Infer
		default:
			cols, kernel = hid&^7, avx2 // some activations stored, not all
		}
	}
	if !cpu.avx2FMA || cols == 0 {
		return 0
	}
	var row lstmCellRow
	at := func(s []float32, k int) *float32 {
		if s == nil {
			return nil
		}
		return &s[k]
	}
	for r := range n {
		for q := range 4 {
			row.z[q] = &pre[(4*r+q)*hid]
			row.b[q] = at(bias, q*hid)
		}
		k := r * hid
		row.cp, row.c, row.h = &cPrev[k], &c[k], &h[k]
		for q, s := range [5][]float32{i, f, g, o, cAct} {
			row.out[q] = at(s, k)
		}
		switch kernel {
		case avx512Infer:
			lstmCellAVX512Infer(&row, cols)
		case avx512BiasInfer:
			lstmCellAVX512BiasInfer(&row, cols)
		case avx512Train:
			lstmCellAVX512Train(&row, cols)
		case avx512BiasTrain:
			lstmCellAVX512BiasTrain(&row, cols)
		default:
			lstmCellAVX2(&row, cols)
		}
	}
	return cols
}
