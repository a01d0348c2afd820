package train

import (
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"

	"github.com/dlgen/dlgen/rt/safetensors"
)

// WriteCurves draws the training and (if recorded) validation loss of every epoch
// as a PNG at path, written atomically.
func WriteCurves(path, title string, history []Epoch) error {
	if len(history) == 0 {
		return errors.New("curves: no epochs to draw")
	}
	p := plot.New()
	p.Title.Text = title + ": loss per epoch"
	p.X.Label.Text = "epoch"
	p.Y.Label.Text = "loss"
	p.Add(plotter.NewGrid())
	var trainXY, valXY plotter.XYs
	for _, e := range history {
		if !math.IsNaN(e.TrainLoss) {
			trainXY = append(trainXY, plotter.XY{X: float64(e.Epoch), Y: e.TrainLoss})
		}
		if !math.IsNaN(e.ValLoss) {
			valXY = append(valXY, plotter.XY{X: float64(e.Epoch), Y: e.ValLoss})
		}
	}
	add := func(name string, xy plotter.XYs, c color.Color, dashed bool) error {
		if len(xy) == 0 {
			return nil
		}
		l, s, err := plotter.NewLinePoints(xy)
		if err != nil {
			return err
		}
		l.Color, s.Color = c, c
		l.Width = vg.Points(1.5)
		if dashed {
			l.Dashes = []vg.Length{vg.Points(5), vg.Points(3)}
		}
		p.Add(l, s)
		p.Legend.Add(name, l, s)
		return nil
	}
	if err := add("training", trainXY, color.RGBA{R: 0x1f, G: 0x77, B: 0xb4, A: 0xff}, false); err != nil {
		return fmt.Errorf("curves: %w", err)
	}
	if err := add("validation", valXY, color.RGBA{R: 0xd6, G: 0x27, B: 0x28, A: 0xff}, true); err != nil {
		return fmt.Errorf("curves: %w", err)
	}
	p.Legend.Top = true
	p.X.Tick.Marker = epochTicks{}
	p.X.Min = 0.5
	p.X.Max = float64(history[len(history)-1].Epoch) + 0.5
	wt, err := p.WriterTo(16*vg.Centimeter, 10*vg.Centimeter, "png")
	if err != nil {
		return fmt.Errorf("curves: %w", err)
	}
	if err := safetensors.WriteFileAtomic(path, func(w io.Writer) error {
		_, err := wt.WriteTo(w)
		return err
	}); err != nil {
		return fmt.Errorf("curves: %w", err)
	}
	return nil
}

// epochTicks marks whole epochs only, at most about ten of them.
type epochTicks struct{}

func (epochTicks) Ticks(lo, hi float64) []plot.Tick {
	first, last := int(math.Ceil(lo)), int(math.Floor(hi))
	step := max(1, (last-first+1+9)/10)
	var ts []plot.Tick
	for e := first; e <= last; e++ {
		if e < 1 {
			continue
		}
		label := ""
		if (e-1)%step == 0 {
			label = fmt.Sprint(e)
		}
		ts = append(ts, plot.Tick{Value: float64(e), Label: label})
	}
	return ts
}

// WriteGrid writes rows of grayscale images side by side as a PNG at path, atomically:
// rows[r][c] is the image in row r, column c, with h×w values in [0, 1] (clamped).
// An autoencoder's grid has the rows noisy input, output, clean input. Each image
// is drawn scale times its size, with a 2-pixel gap.
func WriteGrid(path string, rows [][][]float32, h, w, scale int) error {
	img, err := Grid(rows, h, w, scale)
	if err != nil {
		return err
	}
	if err := safetensors.WriteFileAtomic(path, func(wr io.Writer) error { return png.Encode(wr, img) }); err != nil {
		return fmt.Errorf("grid: %w", err)
	}
	return nil
}

// Grid draws the image WriteGrid writes.
func Grid(rows [][][]float32, h, w, scale int) (*image.Gray, error) {
	if len(rows) == 0 || h < 1 || w < 1 || scale < 1 {
		return nil, fmt.Errorf("grid: %d rows of %d×%d images at scale %d: nothing to draw", len(rows), h, w, scale)
	}
	cols := 0
	for _, r := range rows {
		cols = max(cols, len(r))
		for c, im := range r {
			if len(im) != h*w {
				return nil, fmt.Errorf("grid: image %d has %d values, want %d×%d", c, len(im), h, w)
			}
		}
	}
	const gap = 2
	cw, ch := w*scale+gap, h*scale+gap
	img := image.NewGray(image.Rect(0, 0, cols*cw+gap, len(rows)*ch+gap))
	for i := range img.Pix {
		img.Pix[i] = 0x80 // mid-grey gaps
	}
	for r, row := range rows {
		for c, im := range row {
			x0, y0 := gap+c*cw, gap+r*ch
			for y := range h * scale {
				for x := range w * scale {
					v := im[(y/scale)*w+x/scale]
					if v != v { // NaN: black
						v = 0
					}
					v = min(max(v, 0), 1)
					img.SetGray(x0+x, y0+y, color.Gray{Y: uint8(v*255 + 0.5)})
				}
			}
		}
	}
	return img, nil
}
