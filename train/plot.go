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
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

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
	epochAxis(p, history)
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

// epochAxis makes p's x axis history's epochs.
func epochAxis(p *plot.Plot, history []Epoch) {
	p.X.Tick.Marker = epochTicks{}
	p.X.Min = 0.5
	p.X.Max = float64(history[len(history)-1].Epoch) + 0.5
}

// WriteGradCurves draws every weight's mean gradient norm per epoch (Epoch.GradNorms,
// recorded with Config.Monitor) and the mean global norm, on a log scale, as a PNG
// at path, written atomically. Layers whose gradients fade towards the input (or
// blow up) show as lines that fall (or rise) apart. Epochs without per-weight norms
// (trained before monitoring was turned on) are left out; a norm of zero cannot be
// drawn on the log scale and is left out too.
func WriteGradCurves(path, title string, history []Epoch) error {
	var names []string
	series := map[string]plotter.XYs{}
	var global plotter.XYs
	for _, e := range history {
		if len(e.GradNorms) == 0 {
			continue
		}
		if e.GradNorm > 0 {
			global = append(global, plotter.XY{X: float64(e.Epoch), Y: e.GradNorm})
		}
		for _, n := range e.GradNorms {
			if _, ok := series[n.Name]; !ok {
				names = append(names, n.Name)
				series[n.Name] = nil
			}
			if n.Norm > 0 && !math.IsInf(n.Norm, 0) {
				series[n.Name] = append(series[n.Name], plotter.XY{X: float64(e.Epoch), Y: n.Norm})
			}
		}
	}
	if len(global) == 0 {
		return errors.New("gradient curves: no epoch recorded gradient norms (train with -monitor)")
	}
	p := plot.New()
	p.Title.Text = title + ": mean gradient norm per epoch"
	p.X.Label.Text = "epoch"
	p.Y.Label.Text = "L2 norm (log scale)"
	p.Y.Scale = plot.LogScale{}
	p.Y.Tick.Marker = plot.LogTicks{Prec: -1}
	p.Add(plotter.NewGrid())
	// The legend gets a column of its own right of the plot: a model has a line per
	// weight, too many to lay over the lines.
	legend := plot.NewLegend()
	legend.Top, legend.Left = true, true
	add := func(name string, xy plotter.XYs, c color.Color, width vg.Length, dashes []vg.Length) error {
		if len(xy) == 0 {
			return nil
		}
		l, s, err := plotter.NewLinePoints(xy)
		if err != nil {
			return fmt.Errorf("gradient curves: %s: %w", name, err)
		}
		l.Color, s.Color, l.Width, l.Dashes = c, c, width, dashes
		p.Add(l, s)
		legend.Add(name, l, s)
		return nil
	}
	if err := add("all (global)", global, color.Black, vg.Points(2.5), nil); err != nil {
		return err
	}
	for i, name := range names {
		if err := add(name, series[name], plotutil.Color(i), vg.Points(1.2), plotutil.Dashes(i/len(plotutil.DefaultColors))); err != nil {
			return err
		}
	}
	epochAxis(p, history)

	textW := legend.TextStyle.Rectangle("all (global)").Max.X
	for _, name := range names {
		textW = max(textW, legend.TextStyle.Rectangle(name).Max.X)
	}
	legendW := legend.ThumbnailWidth + textW + vg.Points(24)
	entryH := legend.TextStyle.Rectangle("Ag").Max.Y * 1.25
	w, h := 16*vg.Centimeter+legendW, max(10*vg.Centimeter, entryH*vg.Length(len(names)+3))
	img := vgimg.New(w, h)
	dc := draw.New(img)
	p.Draw(draw.Crop(dc, 0, -legendW, 0, 0))
	legend.Draw(draw.Crop(dc, w-legendW+vg.Points(8), 0, 0, -vg.Points(8)))
	if err := safetensors.WriteFileAtomic(path, func(wr io.Writer) error {
		_, err := vgimg.PngCanvas{Canvas: img}.WriteTo(wr)
		return err
	}); err != nil {
		return fmt.Errorf("gradient curves: %w", err)
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
