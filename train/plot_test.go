package train

import (
	"image"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// checkPNG decodes the PNG file at path.
func checkPNG(t *testing.T, path string) image.Image {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	img, err := png.Decode(f)
	require.NoError(t, err, "%s is not a PNG", path)
	return img
}

func TestGridPlacesEachImageInItsCell(t *testing.T) {
	nan := float32(math.NaN())
	a := []float32{0, 1, 0.5, 2}  // 2×2; 2 clamps to 1
	b := []float32{-1, nan, 1, 0} // -1 clamps to 0, NaN is black
	g, err := Grid([][][]float32{{a, b}, {b}}, 2, 2, 3)
	require.NoError(t, err)
	// Cells are 2·3 = 6 pixels plus a 2-pixel gap: 2 columns, 2 rows.
	assert.Equal(t, image.Rect(0, 0, 2*8+2, 2*8+2), g.Rect)
	pixel := func(row, col, y, x, dy, dx int) uint8 {
		return g.GrayAt(2+col*8+x*3+dx, 2+row*8+y*3+dy).Y
	}
	for _, d := range [][2]int{{0, 0}, {2, 2}, {1, 2}} {
		assert.Equal(t, uint8(0), pixel(0, 0, 0, 0, d[0], d[1]))
		assert.Equal(t, uint8(255), pixel(0, 0, 0, 1, d[0], d[1]))
		assert.Equal(t, uint8(128), pixel(0, 0, 1, 0, d[0], d[1]))
		assert.Equal(t, uint8(255), pixel(0, 0, 1, 1, d[0], d[1]))
		assert.Equal(t, uint8(0), pixel(0, 1, 0, 0, d[0], d[1]))
		assert.Equal(t, uint8(0), pixel(0, 1, 0, 1, d[0], d[1]))
		assert.Equal(t, uint8(255), pixel(1, 0, 1, 0, d[0], d[1]))
	}
	assert.Equal(t, uint8(0x80), g.GrayAt(0, 0).Y, "gaps are grey")
	assert.Equal(t, uint8(0x80), g.GrayAt(12, 12).Y, "a missing cell stays grey")

	_, err = Grid([][][]float32{{a[:3]}}, 2, 2, 1)
	assert.ErrorContains(t, err, "has 3 values, want 2×2")
	_, err = Grid(nil, 2, 2, 1)
	assert.Error(t, err)
}

func TestWriteCurvesDrawsAPNG(t *testing.T) {
	path := filepath.Join(t.TempDir(), "curves.png")
	h := []Epoch{
		{Epoch: 1, TrainLoss: 0.9, ValLoss: 0.7, ValAccuracy: 0.8},
		{Epoch: 2, TrainLoss: 0.5, ValLoss: math.NaN(), ValAccuracy: math.NaN()},
		{Epoch: 3, TrainLoss: 0.3, ValLoss: 0.4, ValAccuracy: 0.9},
	}
	require.NoError(t, WriteCurves(path, "mlp", h))
	img := checkPNG(t, path)
	assert.Greater(t, img.Bounds().Dx(), 300)
	assert.Error(t, WriteCurves(path, "mlp", nil))
}

func TestEpochsSurviveJSONWithNaNs(t *testing.T) {
	e := Epoch{Epoch: 2, LR: 0.1, TrainLoss: 0.5, ValLoss: math.NaN(), ValAccuracy: math.NaN(), Seconds: 1.5}
	b, err := e.MarshalJSON()
	require.NoError(t, err)
	assert.Contains(t, string(b), `"val_loss":null`)
	var back Epoch
	require.NoError(t, back.UnmarshalJSON(b))
	assert.Equal(t, e.TrainLoss, back.TrainLoss)
	assert.True(t, math.IsNaN(back.ValLoss))
	assert.True(t, math.IsNaN(back.ValAccuracy))
}
