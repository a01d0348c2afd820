package rt

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestClippingFollowsPyTorch compares ClipByGlobalNorm and ClipByValue with
// torch.nn.utils.clip_grad_norm_ and clip_grad_value_ (testdata/torch/optim_clip.json,
// written by optim_clip.py). PyTorch computes the norm in float32 and rt in float64,
// so norms and scaled gradients agree to 1e-6 relative (atol 1e-7, one ulp at 1);
// clamping is exact.
func TestClippingFollowsPyTorch(t *testing.T) {
	raw, err := os.ReadFile("../testdata/torch/optim_clip.json")
	require.NoError(t, err)
	var golden struct {
		Grads [][]float32
		Norms []float64
		Cases []struct {
			Kind      string
			Arg       float64
			TotalNorm float64 `json:"total_norm"`
			Grads     [][]float32
		}
	}
	require.NoError(t, json.Unmarshal(raw, &golden))
	require.NotEmpty(t, golden.Cases)

	t.Run("TensorNorms gives torch.norm of each tensor", func(t *testing.T) {
		norms := make([]float64, len(golden.Grads))
		require.NoError(t, TensorNorms(norms, golden.Grads))
		for i := range norms {
			require.InEpsilon(t, golden.Norms[i], norms[i], 1e-6)
		}
	})
	for _, c := range golden.Cases {
		t.Run(fmt.Sprintf("clip by %s %.9g matches torch", c.Kind, c.Arg), func(t *testing.T) {
			grads := make([][]float32, len(golden.Grads))
			for i, g := range golden.Grads {
				grads[i] = append([]float32(nil), g...)
			}
			if c.Kind == "norm" {
				norm := ClipByGlobalNorm(grads, c.Arg)
				require.InEpsilon(t, c.TotalNorm, norm, 1e-6)
				for i := range grads {
					requireClose(t, c.Grads[i], grads[i], 1e-6, 1e-7, "tensor ", i)
				}
			} else {
				for _, g := range grads {
					ClipByValue(g, float32(c.Arg))
				}
				require.Equal(t, c.Grads, grads)
			}
		})
	}
}

func TestClipByGlobalNorm(t *testing.T) {
	t.Run("scales to maxNorm and returns the norm before clipping", func(t *testing.T) {
		grads := [][]float32{{3, 0}, {0, 4}}
		require.Equal(t, 5.0, ClipByGlobalNorm(grads, 1))
		require.InDelta(t, 1.0, GlobalNorm(grads), 1e-6)
		require.InDelta(t, 0.6, grads[0][0], 1e-6)
		require.InDelta(t, 0.8, grads[1][1], 1e-6)
	})
	t.Run("leaves gradients under the limit untouched", func(t *testing.T) {
		grads := [][]float32{{3, 0}, {0, 4}}
		require.Equal(t, 5.0, ClipByGlobalNorm(grads, 6))
		require.Equal(t, [][]float32{{3, 0}, {0, 4}}, grads)
	})
	t.Run("leaves zero gradients and empty lists alone", func(t *testing.T) {
		grads := [][]float32{{0, 0}, {}}
		require.Zero(t, ClipByGlobalNorm(grads, 1))
		require.Equal(t, [][]float32{{0, 0}, {}}, grads)
		require.Zero(t, ClipByGlobalNorm(nil, 1))
	})
	t.Run("does not overflow where a float32 sum of squares would", func(t *testing.T) {
		grads := [][]float32{{3e20, 4e20}}
		require.InEpsilon(t, 5e20, ClipByGlobalNorm(grads, 5), 1e-7)
		require.InEpsilon(t, 3, grads[0][0], 1e-6)
	})
	t.Run("reports a non-finite norm and leaves the gradients for the caller", func(t *testing.T) {
		for _, bad := range []float32{float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1))} {
			grads := [][]float32{{1, 2}, {bad, 3}}
			norm := ClipByGlobalNorm(grads, 0.1)
			require.True(t, math.IsNaN(norm) || math.IsInf(norm, 1), "norm %g", norm)
			require.Equal(t, float32(1), grads[0][0])
			require.Equal(t, float32(3), grads[1][1])
		}
	})
}

func TestClipByValue(t *testing.T) {
	g := []float32{-3, -0.5, 0, 0.25, 2, float32(math.NaN()), float32(math.Inf(1))}
	ClipByValue(g, 0.5)
	require.Equal(t, []float32{-0.5, -0.5, 0, 0.25, 0.5}, g[:5])
	require.True(t, math.IsNaN(float64(g[5])), "NaN stays NaN, as torch.clamp leaves it")
	require.Equal(t, float32(0.5), g[6])
}

func TestSumSquaresCoversEveryElement(t *testing.T) {
	// Lengths around the 4-way unrolling, each element a distinct power of two so a
	// skipped or doubled element changes the sum.
	for n := 0; n <= 9; n++ {
		x := make([]float32, n)
		want := 0.0
		for i := range x {
			x[i] = float32(math.Ldexp(1, i))
			want += math.Ldexp(1, 2*i)
		}
		require.Equal(t, want, sumSquares(x), "n = %d", n)
	}
}

func TestTensorNorms(t *testing.T) {
	t.Run("writes one norm per tensor", func(t *testing.T) {
		norms := []float64{-1, -1, -1}
		require.NoError(t, TensorNorms(norms, [][]float32{{3, 4}, {}}))
		require.Equal(t, []float64{5, 0, -1}, norms)
	})
	t.Run("refuses a short destination", func(t *testing.T) {
		err := TensorNorms(make([]float64, 1), [][]float32{{1}, {2}})
		require.EqualError(t, err, "rt.TensorNorms: norms has room for 1 norms, want 2")
	})
}

func TestFirstNonFinite(t *testing.T) {
	nan, inf := float32(math.NaN()), float32(math.Inf(1))
	for _, c := range []struct {
		name          string
		ts            [][]float32
		tensor, index int
		ok            bool
	}{
		{"finds nothing in finite tensors", [][]float32{{1, -2, math.MaxFloat32}, {}, {math.SmallestNonzeroFloat32}}, -1, -1, false},
		{"finds nothing in no tensors", nil, -1, -1, false},
		{"finds a NaN", [][]float32{{1, 2}, {3, nan}}, 1, 1, true},
		{"finds +Inf", [][]float32{{inf}}, 0, 0, true},
		{"finds -Inf", [][]float32{{}, {0, 0, -inf}}, 1, 2, true},
		{"reports the first of several", [][]float32{{0}, {0, inf, nan}, {nan}}, 1, 1, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			tensor, index, ok := FirstNonFinite(c.ts)
			require.Equal(t, []any{c.tensor, c.index, c.ok}, []any{tensor, index, ok})
		})
	}
}

func TestClipAndNormsDoNotAllocate(t *testing.T) {
	grads := [][]float32{make([]float32, 100), make([]float32, 7)}
	norms := make([]float64, 2)
	for i := range grads[0] {
		grads[0][i] = float32(i)
	}
	require.Zero(t, testing.AllocsPerRun(10, func() {
		ClipByValue(grads[0], 50)
		_ = GlobalNorm(grads)
		_ = ClipByGlobalNorm(grads, 1)
		_ = TensorNorms(norms, grads)
		_, _, _ = FirstNonFinite(grads)
	}))
}
