package ir_test

import (
	"bytes"
	"reflect"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dlgen/dlgen/ir"
)

// small returns a verified graph: relu(x·Wᵀ + b) with an MSE loss.
//
//	0 x (N,4)   1 fc.weight (3,4)   2 fc (N,3)   3 fc.bias (3)   4 fc/bias (N,3)
//	5 fc/relu   6 target (N,3)      7 loss ()
func small(t testing.TB) *ir.Graph {
	t.Helper()
	g := ir.NewGraph("small")
	add := func(op, name, layer string, a ir.Attrs, in ...int) int {
		id, err := g.Add(op, name, layer, a, in...)
		require.NoError(t, err)
		return id
	}
	x := add(ir.OpInput, "x", "x", ir.Attrs{Shape: s(N, 4), Role: ir.RoleData, DType: ir.Float})
	w := add(ir.OpParam, "fc.weight", "fc", ir.Attrs{Shape: s(3, 4), Role: ir.RoleWeight, Init: &ir.Init{Kind: ir.InitGlorotUniform, FanIn: 4, FanOut: 3}})
	mm := add(ir.OpMatMul, "fc", "fc", ir.Attrs{TransB: true}, x, w)
	b := add(ir.OpParam, "fc.bias", "fc", ir.Attrs{Shape: s(3), Role: ir.RoleWeight, Init: &ir.Init{Kind: ir.InitConst, Value: 0.1}})
	ba := add(ir.OpBiasAdd, "fc/bias", "fc", ir.Attrs{}, mm, b)
	y := add(ir.OpRelu, "fc/relu", "fc", ir.Attrs{}, ba)
	tg := add(ir.OpInput, "target", "target", ir.Attrs{Shape: s(N, 3), Role: ir.RoleTarget})
	g.Loss = add(ir.OpMSELoss, "loss", "loss", ir.Attrs{}, y, tg)
	g.Outputs = []ir.Output{{Name: "y", ID: y}}
	require.NoError(t, ir.Verify(g))
	return g
}

func encode(t testing.TB, g *ir.Graph) string {
	t.Helper()
	data, err := ir.Encode(g)
	require.NoError(t, err)
	return string(data)
}

func TestJSONRoundTripIsExact(t *testing.T) {
	g := small(t)
	g.Grads = []ir.Grad{{Of: 1, ID: 1}} // any verified content round-trips
	data := encode(t, g)
	back, err := ir.Decode([]byte(data))
	require.NoError(t, err)
	require.True(t, reflect.DeepEqual(g, back), "decoded graph differs:\n%s\n%s", data, encode(t, back))
	assert.Equal(t, data, encode(t, back), "encoding is stable")
	assert.Contains(t, data, "\n  \"nodes\": [", "indented")
	assert.Contains(t, data, `"fan_in": 4`)
}

// edit replaces old (which must occur exactly once) by new in the encoding of g.
func edit(t *testing.T, g *ir.Graph, old, new string) []byte {
	t.Helper()
	data := encode(t, g)
	require.Equal(t, 1, strings.Count(data, old), "%q must occur once in\n%s", old, data)
	return []byte(strings.Replace(data, old, new, 1))
}

func TestDecodeRejectsBadGraphs(t *testing.T) {
	g := small(t)
	full := encode(t, g)
	for _, tc := range []struct {
		name string
		data []byte
		want []string
	}{
		{"empty input", nil, []string{"ir: decoding graph", "EOF"}},
		{"truncated JSON", []byte(full[:len(full)/2]), []string{"ir: decoding graph", "unexpected EOF"}},
		{"not JSON", []byte("model: small"), []string{"ir: decoding graph", "invalid character"}},
		{"a second document after the graph", []byte(full + full), []string{"ir: decoding graph", "after the graph"}},
		{"an unknown field", edit(t, g, `"trans_b": true`, `"trans_b": true, "transpose": 1`), []string{`unknown field "transpose"`}},
		{"a null node", edit(t, g, `"nodes": [`, `"nodes": [null, `), []string{`node 0 is null`}},
		{"an unknown op", edit(t, g, `"op": "Relu"`, `"op": "Mish"`), []string{`ir: graph "small" is invalid`, "fc (Mish): unknown op"}},
		{"a cycle", edit(t, g, `"inputs": [
        4
      ]`, `"inputs": [
        5
      ]`), []string{"fc (Relu)", "input 0 refers to node 5, which is not an earlier node (a cycle or a dangling reference)"}},
		{"a dangling input", edit(t, g, `"inputs": [
        4
      ]`, `"inputs": [
        40
      ]`), []string{"fc (Relu)", "refers to node 40"}},
		{"a wrong stored shape", edit(t, g, `"name": "target",
      "layer": "target",
      "attrs": {
        "shape": [
          -1,
          3
        ],
        "role": "target"
      },
      "shape": [
        -1,
        3
      ]`, `"name": "target",
      "layer": "target",
      "attrs": {
        "shape": [
          -1,
          3
        ],
        "role": "target"
      },
      "shape": [
        -1,
        5
      ]`), []string{"target (Input): stored shape N×5, but the op gives N×3"}},
		{"a parameter whose shape attribute was edited", edit(t, g, `"shape": [
          3,
          4
        ],`, `"shape": [
          3,
          5
        ],`), []string{"fc (Param): stored shape 3×4, but the op gives 3×5"}},
		{"a shape rule that fails", edit(t, g, `"trans_b": true`, `"trans_a": true`), []string{"fc (MatMul) on input N×4, 3×4: inner dimensions differ: N·3"}},
		{"node ids out of order", edit(t, g, `"id": 2,`, `"id": 7,`), []string{`node 2 (MatMul "fc") has id 7`}},
		{"a loss that is not a node", edit(t, g, `"loss": 7`, `"loss": 12`), []string{"loss refers to missing node 12"}},
		{"a missing output", edit(t, g, `"id": 5
    }`, `"id": 99
    }`), []string{`output "y" refers to missing node 99`}},
		{"an unknown mode", edit(t, g, `"loss": 7`, `"loss": 7, "mode": "eval"`), []string{`unknown mode "eval"`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			back, err := ir.Decode(tc.data)
			require.Error(t, err)
			assert.Nil(t, back)
			for _, w := range tc.want {
				assert.Contains(t, err.Error(), w)
			}
		})
	}
}

func TestVerify(t *testing.T) {
	for _, tc := range []struct {
		name   string
		break_ func(g *ir.Graph)
		want   []string
	}{
		{"a duplicate name", func(g *ir.Graph) { g.Nodes[3].Name = "fc.weight" }, []string{`fc (Param): name "fc.weight" is used by node 1 and node 3`}},
		{"an empty name", func(g *ir.Graph) { g.Nodes[5].Name = "" }, []string{"node 5 (Relu) has no name"}},
		{"a vector loss", func(g *ir.Graph) { g.Loss = 5 }, []string{"fc (Relu): the loss must be a scalar, not N×3"}},
		{"a gradient of another shape", func(g *ir.Graph) { g.Grads = []ir.Grad{{Of: 1, ID: 3}} }, []string{`gradient of "fc.weight" has shape 3, not 3×4`}},
		{"a gradient of a missing node", func(g *ir.Graph) { g.Grads = []ir.Grad{{Of: 1, ID: -3}} }, []string{"gradient entry {Of:1 ID:-3} refers to a missing node"}},
		{"a wrong arity", func(g *ir.Graph) { g.Nodes[5].Inputs = []int{4, 4} }, []string{"fc (Relu): takes 1 inputs, got 2"}},
		{"several problems at once", func(g *ir.Graph) {
			g.Nodes[5].Name = ""
			g.Mode = "fast"
			g.Outputs = append(g.Outputs, ir.Output{Name: "z", ID: -1})
		}, []string{"node 5 (Relu) has no name", `output "z" refers to missing node -1`, `unknown mode "fast"`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := small(t)
			tc.break_(g)
			err := ir.Verify(g)
			require.Error(t, err)
			assert.True(t, strings.HasPrefix(err.Error(), `ir: graph "small" is invalid: `), err.Error())
			for _, w := range tc.want {
				assert.Contains(t, err.Error(), w)
			}
		})
	}

	t.Run("a lowered graph with gradients is valid", func(t *testing.T) {
		g := small(t)
		g.Mode = ir.ModeTrain
		g.Grads = []ir.Grad{{Of: 1, ID: 1}, {Of: 3, ID: 3}}
		require.NoError(t, ir.Verify(g))
	})
	t.Run("an empty graph is valid", func(t *testing.T) {
		require.NoError(t, ir.Verify(ir.NewGraph("empty")))
	})
}

func TestCloneSharesNothing(t *testing.T) {
	g := small(t)
	c := g.Clone()
	require.True(t, reflect.DeepEqual(g, c))
	c.Nodes[1].Attrs.Init.FanIn = 99
	c.Nodes[1].Attrs.Shape[0] = 99
	c.Nodes[1].Shape[0] = 99
	c.Nodes[2].Inputs[0] = 99
	c.Outputs[0].Name = "z"
	c.Nodes[6].Name = "renamed"
	assert.True(t, reflect.DeepEqual(g, small(t)), "changing the clone changed the original")
}

func TestGraphQueries(t *testing.T) {
	g := small(t)
	assert.Equal(t, []string{"x", "target"}, names(g.Inputs()))
	assert.Equal(t, []string{"fc.weight", "fc.bias"}, names(g.Params()))
	assert.Equal(t, []string{"fc.weight", "fc.bias"}, names(g.Weights()))
	assert.Equal(t, "fc/relu", g.ByName("fc/relu").Name)
	assert.Nil(t, g.ByName("nope"))
	assert.Equal(t, -1, g.GradOf(1))
	g.Grads = []ir.Grad{{Of: 1, ID: 1}}
	assert.Equal(t, 1, g.GradOf(1))
	users := g.Users()
	assert.Equal(t, []int{2}, users[0])
	assert.Equal(t, []int{7}, users[5])
	assert.Empty(t, users[7])
}

func names(ns []*ir.Node) []string {
	out := make([]string, len(ns))
	for i, n := range ns {
		out[i] = n.Name
	}
	return out
}

// FuzzDecode checks that no input makes Decode (and so Verify and every shape rule)
// panic, and that whatever it accepts re-encodes to a graph it accepts again.
func FuzzDecode(f *testing.F) {
	f.Add([]byte(encode(f, small(f))))
	f.Add([]byte(`{"name":"g","nodes":[{"id":0,"op":"Input","name":"x","layer":"x","attrs":{"shape":[-1,1,4,4]},"shape":[-1,1,4,4]},` +
		`{"id":1,"op":"MaxPool2D","name":"p","layer":"p","inputs":[0],"attrs":{"kernel":[2,2],"strides":[2,2],"pads":[0,0,0,0]},"shape":[-1,1,2,2]}],"loss":-1}`))
	f.Add([]byte(`{"name":"g","nodes":[],"loss":-1}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		g, err := ir.Decode(data)
		if err != nil {
			return
		}
		again, err := ir.Encode(g)
		require.NoError(t, err)
		g2, err := ir.Decode(again)
		require.NoError(t, err)
		again2, err := ir.Encode(g2)
		require.NoError(t, err)
		require.True(t, bytes.Equal(again, again2))
	})
}
