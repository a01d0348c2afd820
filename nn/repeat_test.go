package nn_test

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dlgen/dlgen/ir"
	"github.com/dlgen/dlgen/nn"
)

func TestRepeatVectorIsOneRepeatNodeAlongAxis1(t *testing.T) {
	m := nn.New("m")
	code := m.Input("seq", 5, 3).LSTM("enc", 4) // (N, 4)
	h := code.RepeatVector("repeat", 5)         // (N, 5, 4)
	m.Output("y", h.LSTM("dec", 2, nn.ReturnSequences))
	g := build(t, m)
	n := node(t, g, "repeat")
	assert.Equal(t, ir.OpRepeat, n.Op)
	assert.Equal(t, "repeat", n.Layer)
	assert.Equal(t, ir.Attrs{Axis: 1, Repeats: 5}, n.Attrs)
	assert.Equal(t, []int{node(t, g, "enc").ID}, n.Inputs)
	assert.Equal(t, ir.Shape{N, 5, 4}, n.Shape)
	assert.Equal(t, ir.Shape{N, 5, 4}, h.Shape())
}

func TestRepeatVectorErrorsNameTheLayer(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   []int
		n    int
		want string
	}{
		{"zero repeats", []int{4}, 0, "repeat (RepeatVector) on input N×4: repeats 0 times; it must be at least 1"},
		{"negative repeats", []int{4}, -3, "repeat (RepeatVector) on input N×4: repeats -3 times; it must be at least 1"},
		{"a sequence", []int{5, 4}, 2, "repeat (RepeatVector) on input N×5×4: needs an (N, features) input, as Keras' RepeatVector"},
		{"an image", []int{1, 8, 8}, 2, "repeat (RepeatVector) on input N×1×8×8: needs an (N, features) input"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := nn.New("m")
			m.Output("y", m.Input("x", tc.in...).RepeatVector("repeat", tc.n))
			_, err := m.Build()
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
			var ie *ir.Error
			require.True(t, errors.As(err, &ie))
			assert.Equal(t, "repeat", ie.Layer)
		})
	}
	t.Run("a (N) input of labels", func(t *testing.T) {
		m := nn.New("m")
		m.Output("y", m.Labels("y").RepeatVector("repeat", 2))
		_, err := m.Build()
		require.ErrorContains(t, err, `repeat (RepeatVector) on input N: "y" holds int class labels`)
	})
	t.Run("a nil or failed tensor", func(t *testing.T) {
		var x *nn.T
		assert.Nil(t, x.RepeatVector("repeat", 2))
		m := nn.New("m")
		h := m.Input("x", 4).Dense("fc", 0).RepeatVector("repeat", 2)
		m.Output("y", h)
		_, err := m.Build()
		require.ErrorContains(t, err, "fc (Dense)")
	})
}
