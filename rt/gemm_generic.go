package rt

// kernelGo is the portable micro-kernel: a 4×4 register tile in plain Go. It is what
// runs on CPUs without AVX2 and on other architectures, and tests force it on every
// machine. Four by four keeps 16 accumulators plus the operands within the 16 float
// registers of amd64 (arm64 has 32) without spilling in the inner loop.
var kernelGo = gemmKernel{
	name: "go4x4", supported: true,
	mr: 4, nr: 4,
	kc: 256, mc: 128, nc: 2048,
	packAOver: 0,
	tile:      tileGo,
}

// tileGo is the tile function of kernelGo. A always comes packed (transA with
// lda = rows), so ap[p*rows+i] is op(A)(i, p).
func tileGo(rows, cols, k int, ap []float32, _ int, _ bool, bp []float32, bs int, c []float32, ldc int, alpha, beta float32) {
	if rows == 4 && cols == 4 && bs == 4 {
		tileGo4x4(k, ap, bp, c, ldc, alpha, beta)
		return
	}
	// Edge tile: the same sums in the same order, into an array. Every product
	// is rounded before it is added (float32(...)), here and in tileGo4x4, so
	// that the compiler cannot fuse some of them into FMAs (GOAMD64=v3 would)
	// and an edge element round differently from an interior one.
	var acc [4 * 4]float32
	for p := 0; p < k; p++ {
		a := ap[p*rows : p*rows+rows]
		b := bp[p*bs : p*bs+cols]
		for i, av := range a {
			row := acc[i*4 : i*4+cols]
			for j, bv := range b {
				row[j] += float32(av * bv)
			}
		}
	}
	for i := 0; i < rows; i++ {
		storeRow(c[i*ldc:i*ldc+cols], acc[i*4:i*4+cols], alpha, beta)
	}
}

// storeRow sets c = alpha·acc + beta·c, not reading c when beta is 0.
func storeRow(c, acc []float32, alpha, beta float32) {
	acc = acc[:len(c)]
	if beta == 0 {
		for j, v := range acc {
			c[j] = alpha * v
		}
		return
	}
	for j, v := range acc {
		c[j] = float32(alpha*v) + float32(beta*c[j])
	}
}

func tileGo4x4(k int, ap, bp []float32, c []float32, ldc int, alpha, beta float32) {
	var c00, c01, c02, c03 float32
	var c10, c11, c12, c13 float32
	var c20, c21, c22, c23 float32
	var c30, c31, c32, c33 float32
	ap = ap[:4*k]
	bp = bp[:4*k]
	for p := 0; p+4 <= len(ap); p += 4 {
		a := ap[p : p+4 : p+4]
		b := bp[p : p+4 : p+4]
		a0, a1, a2, a3 := a[0], a[1], a[2], a[3]
		b0, b1, b2, b3 := b[0], b[1], b[2], b[3]
		c00 += float32(a0 * b0)
		c01 += float32(a0 * b1)
		c02 += float32(a0 * b2)
		c03 += float32(a0 * b3)
		c10 += float32(a1 * b0)
		c11 += float32(a1 * b1)
		c12 += float32(a1 * b2)
		c13 += float32(a1 * b3)
		c20 += float32(a2 * b0)
		c21 += float32(a2 * b1)
		c22 += float32(a2 * b2)
		c23 += float32(a2 * b3)
		c30 += float32(a3 * b0)
		c31 += float32(a3 * b1)
		c32 += float32(a3 * b2)
		c33 += float32(a3 * b3)
	}
	acc := [16]float32{
		c00, c01, c02, c03,
		c10, c11, c12, c13,
		c20, c21, c22, c23,
		c30, c31, c32, c33,
	}
	for i := 0; i < 4; i++ {
		storeRow(c[i*ldc:i*ldc+4], acc[i*4:i*4+4], alpha, beta)
	}
}
