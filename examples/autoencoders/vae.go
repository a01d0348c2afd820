package main

import (
	"fmt"
	"image/color"
	"io"
	"math"
	"path/filepath"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/dlgen/dlgen/generated/vaedecoder"
	"github.com/dlgen/dlgen/rt"
	"github.com/dlgen/dlgen/rt/data"
	"github.com/dlgen/dlgen/rt/safetensors"
	"github.com/dlgen/dlgen/train"
)

// sampleStream is the random stream of the codes decoded into samples.
var sampleStream = rt.NameStream("examples/autoencoders.vae_samples")

// vaePictures loads the trained VAE's weight file into the generated VAEDecoder
// (which has the VAE's decoder layers under the same names, so the encoder's tensors
// are the only ones to skip), checks that it decodes the VAE's mean codes into the
// VAE's own reconstructions, and draws: digits decoded from random codes
// z ~ N(0, I); digits decoded from a grid of the code plane; and the test set's mean
// codes coloured by digit.
func vaePictures(c config, m *net, test *data.Dataset, out io.Writer) error {
	dec := vaedecoder.New()
	if _, err := safetensors.LoadWith(c.weights, dec.Params(), safetensors.LoadOptions{AllowUnexpected: true}); err != nil {
		return fmt.Errorf("loading the VAE's weights into the decoder: %w", err)
	}
	const size, codes = 784, 2
	n := min(m.maxBatch, vaedecoder.MaxBatch, test.Len())
	recon := make([]float32, n*size)
	mean := make([]float32, n*codes)
	if err := m.predict(n, test.X[:n*size], recon, mean); err != nil {
		return err
	}
	decoded := make([]float32, n*size)
	if err := dec.Predict(n, mean, decoded); err != nil {
		return err
	}
	var worst float64
	for i := range recon {
		worst = max(worst, math.Abs(float64(recon[i]-decoded[i])))
	}
	// Both run the same float32 kernels on the same weights and codes.
	if worst > 1e-5 {
		return fmt.Errorf("the decoder loaded from %s decodes the VAE's mean codes %g away from the VAE's reconstructions", c.weights, worst)
	}
	fmt.Fprintf(out, "VAEDecoder loaded from %s reproduces the VAE's reconstructions of %d test images (largest difference %.2g)\n", c.weights, n, worst)

	// Random codes from the prior: 10×10 digits.
	const side = 10
	z := make([]float32, side*side*codes)
	for i := range z {
		z[i] = float32(rt.Normal(c.seed, sampleStream, uint64(i)))
	}
	img, err := decode(dec, z)
	if err != nil {
		return err
	}
	path := filepath.Join(c.imgDir, "ae_vae_samples.png")
	if err := train.WriteGrid(path, tiles(img, side, side), 28, 28, 1); err != nil {
		return err
	}
	fmt.Fprintf(out, "%d digits decoded from random codes in %s\n", side*side, path)

	// A grid of the plane at the quantiles 0.05 … 0.95 of N(0, 1) in each
	// coordinate (Kingma and Welling's figure 4, and Keras' VAE example), so the
	// grid covers the prior evenly; z1 grows to the right, z2 upwards.
	const g = 15
	z = z[:0]
	for r := range g {
		for col := range g {
			z1 := normalQuantile(0.05 + 0.9*float64(col)/(g-1))
			z2 := normalQuantile(0.95 - 0.9*float64(r)/(g-1))
			z = append(z, float32(z1), float32(z2))
		}
	}
	if img, err = decode(dec, z); err != nil {
		return err
	}
	path = filepath.Join(c.imgDir, "ae_vae_manifold.png")
	if err := train.WriteGrid(path, tiles(img, g, g), 28, 28, 1); err != nil {
		return err
	}
	fmt.Fprintf(out, "%d×%d digits decoded from a grid of the code plane in %s\n", g, g, path)

	path = filepath.Join(c.imgDir, "ae_vae_latent.png")
	if err := latentScatter(m, test, c.latentExamples, path); err != nil {
		return err
	}
	fmt.Fprintf(out, "mean codes of %d test images in %s\n", min(c.latentExamples, test.Len()), path)
	return nil
}

// decode runs the decoder on codes z (2 per image) in batches.
func decode(dec *vaedecoder.Model, z []float32) ([]float32, error) {
	const size, codes = 784, 2
	n := len(z) / codes
	img := make([]float32, n*size)
	for lo := 0; lo < n; lo += vaedecoder.MaxBatch {
		k := min(vaedecoder.MaxBatch, n-lo)
		if err := dec.Predict(k, z[lo*codes:(lo+k)*codes], img[lo*size:(lo+k)*size]); err != nil {
			return nil, err
		}
	}
	return img, nil
}

// tiles cuts images (784 values each) into rows of cols images for train.WriteGrid.
func tiles(img []float32, rows, cols int) [][][]float32 {
	out := make([][][]float32, rows)
	for r := range rows {
		for c := range cols {
			i := r*cols + c
			out[r] = append(out[r], img[i*784:(i+1)*784])
		}
	}
	return out
}

// normalQuantile is the inverse of the standard normal CDF: √2·erf⁻¹(2p - 1).
func normalQuantile(p float64) float64 { return math.Sqrt2 * math.Erfinv(2*p-1) }

// digitColors are ten distinguishable colours (matplotlib's tab10).
var digitColors = []color.RGBA{
	{0x1f, 0x77, 0xb4, 0xff}, {0xff, 0x7f, 0x0e, 0xff}, {0x2c, 0xa0, 0x2c, 0xff}, {0xd6, 0x27, 0x28, 0xff},
	{0x94, 0x67, 0xbd, 0xff}, {0x8c, 0x56, 0x4b, 0xff}, {0xe3, 0x77, 0xc2, 0xff}, {0x7f, 0x7f, 0x7f, 0xff},
	{0xbc, 0xbd, 0x22, 0xff}, {0x17, 0xbe, 0xcf, 0xff},
}

// latentScatter draws the mean codes of the first n test images, one colour per
// digit.
func latentScatter(m *net, test *data.Dataset, n int, path string) error {
	const size, codes = 784, 2
	n = min(n, test.Len())
	mean := make([]float32, n*codes)
	recon := make([]float32, m.maxBatch*size)
	for lo := 0; lo < n; lo += m.maxBatch {
		k := min(m.maxBatch, n-lo)
		if err := m.predict(k, test.X[lo*size:(lo+k)*size], recon[:k*size], mean[lo*codes:(lo+k)*codes]); err != nil {
			return err
		}
	}
	pts := make([]plotter.XYs, 10)
	for i := range n {
		d := test.Y[i]
		pts[d] = append(pts[d], plotter.XY{X: float64(mean[i*codes]), Y: float64(mean[i*codes+1])})
	}
	p := plot.New()
	p.Title.Text = fmt.Sprintf("VAE mean codes of %d MNIST test images", n)
	p.X.Label.Text = "z_mean[0]"
	p.Y.Label.Text = "z_mean[1]"
	p.Legend.Top = true
	for d := range pts {
		s, err := plotter.NewScatter(pts[d])
		if err != nil {
			return err
		}
		s.GlyphStyle = draw.GlyphStyle{Color: digitColors[d], Radius: vg.Points(1.2), Shape: draw.CircleGlyph{}}
		p.Add(s)
		p.Legend.Add(fmt.Sprint(d), legendDot{digitColors[d]})
	}
	p.Add(plotter.NewGrid())
	return p.Save(6*vg.Inch, 6*vg.Inch, path)
}

// legendDot draws a legend entry as a dot larger than the scatter's points, which
// would be too small to tell the colours apart.
type legendDot struct{ c color.Color }

func (l legendDot) Thumbnail(c *draw.Canvas) {
	center := vg.Point{X: (c.Min.X + c.Max.X) / 2, Y: (c.Min.Y + c.Max.Y) / 2}
	c.DrawGlyph(draw.GlyphStyle{Color: l.c, Radius: vg.Points(3.5), Shape: draw.CircleGlyph{}}, center)
}
