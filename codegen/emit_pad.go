package codegen

import (
	"fmt"

	"github.com/dave/jennifer/jen"

	"github.com/dlgen/dlgen/ir"
)

// The emitter of Pad2D (zero padding and cropping, and so its own gradient): one
// loop over the N·C planes; in each, the rows above and below the copied block are
// cleared, and each copied row is cleared left and right of a copy of the part of an
// input row that remains. Every output element is written once, so the output needs
// no clearing beforehand, and nothing is allocated.

func init() {
	register(ir.OpPad2D, emitPad2D)
}

// padAxis is what Pad2D does along one axis of n inputs with before and after added
// (removed when negative): the first kept input index, where it lands in the output,
// how many are kept, and the output size.
type padAxis struct{ from, to, kept, out int }

func newPadAxis(n, before, after int) padAxis {
	return padAxis{from: max(0, -before), to: max(0, before), kept: n - max(0, -before) - max(0, -after), out: n + before + after}
}

func emitPad2D(k *Kernel) error {
	p := k.Node.Attrs.Pads
	x, y := k.In(0), k.Out()
	if len(p) != 4 || x.Shape.Rank() != 4 {
		return k.Errorf("pads %v must be {top, left, bottom, right} over an (N,C,H,W) input, not %s", p, x.Shape)
	}
	h, w := x.Shape[2], x.Shape[3]
	rows, cols := newPadAxis(h, p[0], p[2]), newPadAxis(w, p[1], p[3])
	if rows.kept < 1 || cols.kept < 1 {
		return k.Errorf("pads %v crop all of %d×%d", p, h, w)
	}
	xs := k.Bind("x", x)
	ys := k.Bind("y", y)
	k.Emit(jen.Comment(fmt.Sprintf("pads {top %d, left %d, bottom %d, right %d} (negative: cropped) of %d×%d planes: %d×%d planes, input rows [%d, %d) and columns [%d, %d) at row %d, column %d",
		p[0], p[1], p[2], p[3], h, w, rows.out, cols.out, rows.from, rows.from+rows.kept, cols.from, cols.from+cols.kept, rows.to, cols.to)))

	// One output row: zeros, the input row's kept columns, zeros.
	var body []jen.Code
	at := jen.Id("r")
	if rows.to > 0 {
		at = jen.Parens(plus(at, rows.to))
	}
	body = append(body, jen.Id("yr").Op(":=").Add(row(jen.Id("yp"), at, cols.out)))
	if cols.to > 0 {
		body = append(body, jen.Clear(jen.Id("yr").Index(jen.Empty(), jen.Lit(cols.to))))
	}
	dst := jen.Op("*").Id("yr") // the whole row
	if cols.kept < cols.out {
		from := jen.Empty()
		if cols.to > 0 {
			from = jen.Lit(cols.to)
		}
		dst = jen.Op("*").Add(arrayOf(cols.kept, jen.Float32(), jen.Id("yr").Index(from, jen.Empty())))
	}
	srcRow := plus(jen.Id("r"), rows.from)
	if rows.from > 0 {
		srcRow = jen.Parens(srcRow)
	}
	src := plus(srcRow.Op("*").Lit(w), cols.from)
	body = append(body, dst.Op("=").Op("*").Add(arrayOf(cols.kept, jen.Float32(), jen.Id("xp").Index(src, jen.Empty()))))
	if right := cols.out - cols.to - cols.kept; right > 0 {
		body = append(body, jen.Clear(jen.Id("yr").Index(jen.Lit(cols.out-right), jen.Empty())))
	}

	plane := []jen.Code{}
	if rows.to > 0 {
		plane = append(plane, jen.Clear(jen.Id("yp").Index(jen.Empty(), jen.Lit(rows.to*cols.out))).Comment("the rows above"))
	}
	plane = append(plane, loop("r", jen.Lit(rows.kept), body...))
	if below := rows.out - rows.to - rows.kept; below > 0 {
		plane = append(plane, jen.Clear(jen.Id("yp").Index(jen.Lit((rows.out-below)*cols.out), jen.Empty())).Comment("the rows below"))
	}
	k.Emit(overPlanes(x.Prod(0, 2), []jen.Code{planeView("xp", xs, h*w), planeView("yp", ys, rows.out*cols.out)}, plane...))
	return nil
}

// plus is e + c, or e when c is 0.
func plus(e *jen.Statement, c int) *jen.Statement {
	if c == 0 {
		return e
	}
	return e.Op("+").Lit(c)
}
