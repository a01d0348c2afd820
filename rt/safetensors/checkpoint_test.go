package safetensors

import (
	"math"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func sampleCheckpoint() *Checkpoint {
	return &Checkpoint{
		Params: []Tensor{
			{Name: "fc.weight", Shape: []int{2, 2}, Data: []float32{1, 2, 3, 4}},
			{Name: "fc.bias", Shape: []int{2}, Data: []float32{-1, 1}},
		},
		Optim: []Tensor{
			{Name: OptimName("fc.weight", "m"), Shape: []int{2, 2}, Data: []float32{0.1, 0.2, 0.3, 0.4}},
			{Name: OptimName("fc.bias", "m"), Shape: []int{2}, Data: []float32{0.5, 0.6}},
		},
		Step:     1234,
		Epoch:    5,
		RNG:      []uint64{42, math.MaxUint64, 0},
		Metadata: map[string]string{"model": "mlp"},
	}
}

func emptyLike(c *Checkpoint) *Checkpoint {
	out := &Checkpoint{}
	for _, t := range c.Params {
		out.Params = append(out.Params, zeros(t.Name, t.Shape...))
	}
	for _, t := range c.Optim {
		out.Optim = append(out.Optim, zeros(t.Name, t.Shape...))
	}
	return out
}

func TestCheckpointRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ckpt.safetensors")
	src := sampleCheckpoint()
	require.NoError(t, SaveCheckpoint(path, src))

	got := emptyLike(src)
	require.NoError(t, LoadCheckpoint(path, got))
	assert.Equal(t, src.Params, got.Params)
	assert.Equal(t, src.Optim, got.Optim)
	assert.Equal(t, int64(1234), got.Step)
	assert.Equal(t, int64(5), got.Epoch)
	assert.Equal(t, src.RNG, got.RNG)
	assert.Equal(t, map[string]string{"model": "mlp", "format": "pt"}, got.Metadata)

	t.Run("the file is plain safetensors with the state in metadata", func(t *testing.T) {
		r, err := Open(path)
		require.NoError(t, err)
		defer r.Close()
		assert.Equal(t, map[string]string{
			"format": "pt", "model": "mlp", MetaKind: CheckpointKind,
			MetaStep: "1234", MetaEpoch: "5", MetaRNG: "42,18446744073709551615,0",
		}, r.Metadata())
		_, ok := r.Info("optim.fc.weight.m")
		assert.True(t, ok)
	})

	t.Run("the weights alone load from a checkpoint when extra tensors are allowed", func(t *testing.T) {
		w := emptyLike(src).Params
		_, err := LoadWith(path, w, LoadOptions{AllowUnexpected: true})
		require.NoError(t, err)
		assert.Equal(t, src.Params, w)
	})

	t.Run("an empty RNG state round-trips", func(t *testing.T) {
		c := sampleCheckpoint()
		c.RNG = nil
		require.NoError(t, SaveCheckpoint(path, c))
		got := emptyLike(c)
		got.RNG = []uint64{9}
		require.NoError(t, LoadCheckpoint(path, got))
		assert.Empty(t, got.RNG)
	})
}

func TestSavingABadCheckpointFails(t *testing.T) {
	tests := []struct {
		name   string
		modify func(*Checkpoint)
		msg    string
	}{
		{"a reserved metadata key", func(c *Checkpoint) { c.Metadata[MetaStep] = "1" }, `metadata key "dlgen.step" is reserved`},
		{"a parameter with the optimizer prefix", func(c *Checkpoint) { c.Params[0].Name = "optim.x" }, `parameter name "optim.x" uses the optimizer prefix`},
		{"optimizer state without the prefix", func(c *Checkpoint) { c.Optim[0].Name = "m" }, `optimizer tensor name "m" lacks the prefix`},
		{"a bad tensor", func(c *Checkpoint) { c.Params[0].Data = nil }, `"fc.weight" has shape [2 2] (4 elements) but 0 values`},
	}
	for _, tt := range tests {
		t.Run("saving with "+tt.name+" fails", func(t *testing.T) {
			c := sampleCheckpoint()
			tt.modify(c)
			path := filepath.Join(t.TempDir(), "c.safetensors")
			err := SaveCheckpoint(path, c)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.msg)
			assert.NoFileExists(t, path)
		})
	}
}

func TestLoadingABadCheckpointFails(t *testing.T) {
	base := sampleCheckpoint()
	tests := []struct {
		name string
		meta map[string]string
		msg  string
	}{
		{"a plain weights file", map[string]string{"format": "pt"}, `not a dlgen checkpoint (metadata "dlgen.kind" is ""`},
		{"a non-numeric step", map[string]string{MetaKind: CheckpointKind, MetaStep: "x", MetaEpoch: "1", MetaRNG: ""}, `checkpoint metadata "dlgen.step"`},
		{"a non-numeric epoch", map[string]string{MetaKind: CheckpointKind, MetaStep: "1", MetaEpoch: "", MetaRNG: ""}, `checkpoint metadata "dlgen.epoch"`},
		{"no RNG state", map[string]string{MetaKind: CheckpointKind, MetaStep: "1", MetaEpoch: "1"}, `has no "dlgen.rng" entry`},
		{"a bad RNG word", map[string]string{MetaKind: CheckpointKind, MetaStep: "1", MetaEpoch: "1", MetaRNG: "1,-2"}, `"dlgen.rng" word 1`},
	}
	for _, tt := range tests {
		t.Run("loading "+tt.name+" fails", func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "c.safetensors")
			require.NoError(t, Save(path, append(append([]Tensor(nil), base.Params...), base.Optim...), tt.meta))
			err := LoadCheckpoint(path, emptyLike(base))
			require.Error(t, err)
			assert.Contains(t, err.Error(), path)
			assert.Contains(t, err.Error(), tt.msg)
		})
	}

	t.Run("loading into a model with other shapes names each tensor", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "c.safetensors")
		require.NoError(t, SaveCheckpoint(path, base))
		c := emptyLike(base)
		c.Params[1] = zeros("fc.bias", 3)
		c.Optim[1] = zeros(OptimName("fc.bias", "m"), 3)
		err := LoadCheckpoint(path, c)
		var me *MismatchError
		require.ErrorAs(t, err, &me)
		require.Len(t, me.Problems, 2)
		assert.Equal(t, "fc.bias", me.Problems[0].Name)
		assert.Equal(t, "optim.fc.bias.m", me.Problems[1].Name)
		assert.Equal(t, int64(0), c.Step, "state is not filled on failure")
	})

	t.Run("a missing checkpoint is an error", func(t *testing.T) {
		assert.Error(t, LoadCheckpoint(filepath.Join(t.TempDir(), "none"), emptyLike(base)))
	})
}
