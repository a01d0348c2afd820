package rt

import "fmt"

// LSTM cell update in one pass.
//
// After the gate product of an LSTM step, the unfused code makes about fourteen
// passes over (n, hid) arrays: add the bias, copy out the four gate blocks, three
// sigmoids and two tanhs, the products and the sum of the cell update. LSTMCell
// reads each gate pre-activation once, keeps everything in registers and writes only
// what is asked for. It computes exactly what those ops compute one by one (the same
// float32 operations in the same order, Sigmoid32 and Tanh32 for the activations),
// so the fused and unfused code give the same bits.

// LSTMCell computes one step of n rows of hid LSTM cells in PyTorch's gate order
// i, f, g, o (Hochreiter and Schmidhuber, 1997, with the forget gate of Gers et al.,
// 2000). Row r of pre holds the four gate pre-activations, each hid wide; bias (4·hid,
// or nil for none) is added to every row:
//
//	i = σ(z_i)  f = σ(z_f)  g = tanh(z_g)  o = σ(z_o)   (z = pre + bias)
//	c = f·cPrev + i·g
//	h = o·tanh(c)
//
// c and h are n×hid. i, f, g, o and cAct (tanh c), which a backward pass reads, are
// stored when not nil. c may be cPrev (it is updated in place); no other result may
// overlap an operand. It panics if a slice is too short for n and hid.
func LSTMCell(n, hid int, pre, bias, cPrev, c, h, i, f, g, o, cAct []float32) {
	if n < 0 || hid < 0 {
		panic(fmt.Sprintf("rt.LSTMCell: negative size n=%d hid=%d", n, hid))
	}
	e := n * hid
	check := func(what string, s []float32, want int, optional bool) {
		if (s != nil || !optional) && len(s) < want {
			panic(fmt.Sprintf("rt.LSTMCell: %s has %d values, want %d (n=%d, hid=%d)", what, len(s), want, n, hid))
		}
	}
	check("pre", pre, 4*e, false)
	check("bias", bias, 4*hid, true)
	check("cPrev", cPrev, e, false)
	check("c", c, e, false)
	check("h", h, e, false)
	check("i", i, e, true)
	check("f", f, e, true)
	check("g", g, e, true)
	check("o", o, e, true)
	check("cAct", cAct, e, true)
	if e == 0 {
		return
	}
	from := lstmCellVec(n, hid, pre, bias, cPrev, c, h, i, f, g, o, cAct)
	if from < hid {
		lstmCellGo(n, hid, from, pre, bias, cPrev, c, h, i, f, g, o, cAct)
	}
}

// lstmCellGo is LSTMCell on columns from..hid-1 of every row. Products are
// converted to float32 explicitly so that no compiler fuses them with the sum (as
// in act.go).
func lstmCellGo(n, hid, from int, pre, bias, cPrev, c, h, i, f, g, o, cAct []float32) {
	for r := range n {
		z := pre[r*4*hid : (r+1)*4*hid]
		for j := from; j < hid; j++ {
			zi, zf, zg, zo := z[j], z[hid+j], z[2*hid+j], z[3*hid+j]
			if bias != nil {
				zi += bias[j]
				zf += bias[hid+j]
				zg += bias[2*hid+j]
				zo += bias[3*hid+j]
			}
			iv, fv, gv, ov := Sigmoid32(zi), Sigmoid32(zf), Tanh32(zg), Sigmoid32(zo)
			k := r*hid + j
			cv := float32(fv*cPrev[k]) + float32(iv*gv)
			ca := Tanh32(cv)
			c[k] = cv
			h[k] = ov * ca
			if i != nil {
				i[k] = iv
			}
			if f != nil {
				f[k] = fv
			}
			if g != nil {
				g[k] = gv
			}
			if o != nil {
				o[k] = ov
			}
			if cAct != nil {
				cAct[k] = ca
			}
		}
	}
}
