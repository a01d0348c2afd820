package main

import (
	"bytes"
	"image/png"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// objectives returns the test objective before and after training from run's log.
func objectives(t *testing.T, log string) (before, after float64) {
	t.Helper()
	re := regexp.MustCompile(`(?m)^(before|after): +objective ([0-9.e+-]+)`)
	m := re.FindAllStringSubmatch(log, -1)
	require.Len(t, m, 2, "log:\n%s", log)
	b, err := strconv.ParseFloat(m[0][2], 64)
	require.NoError(t, err)
	a, err := strconv.ParseFloat(m[1][2], 64)
	require.NoError(t, err)
	return b, a
}

// pngSize decodes the PNG at path and returns its size.
func pngSize(t *testing.T, path string) (w, h int) {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	img, err := png.Decode(f)
	require.NoError(t, err, path)
	return img.Bounds().Dx(), img.Bounds().Dy()
}

func TestEveryAutoencoderTrainsAndDraws(t *testing.T) {
	models := []struct {
		name string
		rows int // rows of the reconstruction grid
	}{
		{"undercomplete_ae", 2}, {"sparse_l1_ae", 2}, {"sparse_kl_ae", 2}, {"contractive_ae", 2},
		{"denoising_ae", 3}, {"masking_dae", 3}, {"conv_ae", 2}, {"conv_transpose_ae", 2}, {"vae", 2},
		{"seq_ae", 2},
	}
	require.Len(t, models, len(registry), "every registered model is tested")
	if testing.Short() {
		models = models[:1]
	}
	for _, tc := range models {
		t.Run(tc.name+" lowers its test loss in one epoch and draws its reconstructions", func(t *testing.T) {
			dir := t.TempDir()
			var out bytes.Buffer
			err := run([]string{"-model", tc.name, "-train", "512", "-test", "64", "-epochs", "1",
				"-img", dir, "-weights", filepath.Join(dir, "w.safetensors"), "-show", "8", "-latent", "64"}, &out)
			require.NoError(t, err, out.String())
			before, after := objectives(t, out.String())
			assert.Less(t, after, before, "the test objective must fall")
			// 8 images of 2×28 pixels and a 2-pixel gap each, plus the outer gap.
			w, h := pngSize(t, filepath.Join(dir, "ae_"+tc.name+".png"))
			assert.Equal(t, 8*58+2, w)
			assert.Equal(t, tc.rows*58+2, h)
			if tc.name == "vae" {
				assert.Contains(t, out.String(), "VAEDecoder loaded from")
				w, h := pngSize(t, filepath.Join(dir, "ae_vae_samples.png"))
				assert.Equal(t, [2]int{10*30 + 2, 10*30 + 2}, [2]int{w, h})
				w, h = pngSize(t, filepath.Join(dir, "ae_vae_manifold.png"))
				assert.Equal(t, [2]int{15*30 + 2, 15*30 + 2}, [2]int{w, h})
				pngSize(t, filepath.Join(dir, "ae_vae_latent.png"))
			}
		})
	}
}

func TestCorruption(t *testing.T) {
	x := make([]float32, 10000)
	for i := range x {
		x[i] = 0.5
	}
	t.Run("clean returns the input itself", func(t *testing.T) {
		assert.Same(t, &x[0], &corrupt(x, clean, 1, 2)[0])
	})
	t.Run("gaussian adds noise of standard deviation 0.5, unclipped", func(t *testing.T) {
		y := corrupt(x, gaussian, 1, 2)
		var s, s2 float64
		outside := 0
		for i, v := range y {
			d := float64(v - x[i])
			s, s2 = s+d, s2+d*d
			if v < 0 || v > 1 {
				outside++
			}
		}
		n := float64(len(y))
		assert.InDelta(t, 0, s/n, 0.02)
		assert.InDelta(t, 0.25, s2/n, 0.02)
		assert.Positive(t, outside, "values are not clipped to [0, 1], as in DenoisingAE")
	})
	t.Run("masking zeroes 30% of the pixels and keeps the rest", func(t *testing.T) {
		y := corrupt(x, masking, 1, 2)
		zero := 0
		for _, v := range y {
			if v == 0 {
				zero++
			} else {
				require.Equal(t, float32(0.5), v)
			}
		}
		assert.InDelta(t, 0.3, float64(zero)/float64(len(y)), 0.02)
	})
	t.Run("the same seed gives the same corruption", func(t *testing.T) {
		assert.Equal(t, corrupt(x, gaussian, 1, 2), corrupt(x, gaussian, 1, 2))
		assert.NotEqual(t, corrupt(x, gaussian, 1, 2), corrupt(x, gaussian, 2, 2))
	})
}

func TestScores(t *testing.T) {
	bce, se := scores([]float32{0.5, 1, 0}, []float32{1, 1, 0})
	// -log 0.5 for the first pixel; the others are right up to the clip at 1e-7.
	assert.InDelta(t, 0.6931472+2e-7, bce, 1e-7)
	assert.InDelta(t, 0.25, se, 1e-12)
}

func TestUnknownModelIsAnError(t *testing.T) {
	err := run([]string{"-model", "nope"}, &bytes.Buffer{})
	require.Error(t, err)
	assert.Contains(t, err.Error(), `unknown model "nope"`)
}
