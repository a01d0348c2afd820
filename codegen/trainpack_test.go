package codegen

import (
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dlgen/dlgen/models"
)

// The LSTM workload's TrainStep packs two weights once per call, before the step
// loops: the gate weight [W_ih | W_hh] it concatenates, transposed for the forward
// products, and W_hh as stored for the backward ones (which compute the gradient of h
// only: passes.Simplify narrows their products to W_hh's columns). Inside the loops
// every product by them reads a packed copy (rt.GemmPackedP), none packs again
// (rt.GemmP with the weight's storage). A weight read by one product only (the
// MLP's) is not packed.
func TestTrainStepPacksALoopsWeightOncePerCall(t *testing.T) {
	files := generateModel(t, models.LSTM, Options{Package: "lstm", MaxBatch: 16, Train: true})
	body := regexp.MustCompile(`(?s)func \(m \*Model\) TrainStep\(.*?\n}\n`).FindString(files["train.go"])
	require.NotEmpty(t, body)
	packs := regexp.MustCompile(`m\.(\w+)\.Pack\((true|false), `).FindAllStringSubmatch(body, -1)
	require.Len(t, packs, 2, "one pack per way the weight is read")
	assert.NotEqual(t, packs[0][2], packs[1][2], "one transposed, one as stored")
	// The loops run inside the segments TrainStep hands to the pool (segments.go).
	firstSegment := strings.Index(body, "m.pool.Items(")
	require.Positive(t, firstSegment)
	for _, p := range packs {
		assert.Less(t, strings.Index(body, p[0]), firstSegment, "%s is packed before the segments that run the loops", p[1])
	}
	loops := files["train.go"][strings.Index(files["train.go"], "for step"):]
	weight := regexp.MustCompile(`m\.concat2\(n, (m\.arena\[[^\]]*\])`).FindStringSubmatch(body)
	require.Len(t, weight, 2, "the weight is concatenated into the arena")
	assert.Contains(t, body, "Pack(true, 96, 256, "+weight[1], "the gate weight is packed transposed")
	assert.Contains(t, body, "Pack(false, 256, 64, m.lstmWeightHhL0[:]", "W_hh is packed as stored")
	for _, line := range strings.Split(loops, "\n") {
		if strings.Contains(line, "rt.GemmP(") {
			assert.NotContains(t, line, weight[1], "a product inside the loops packs the weight again")
		}
	}
	assert.GreaterOrEqual(t, strings.Count(loops, "rt.GemmPackedP("), 4, "the step loops' products read the packed weight")

	mlp := generateModel(t, models.MLP, Options{Package: "mlp", MaxBatch: 64, Train: true})
	assert.NotContains(t, mlp["train.go"], ".Pack(", "a weight read by one product is not packed")
}
