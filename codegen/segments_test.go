package codegen

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dlgen/dlgen/ir"
	"github.com/dlgen/dlgen/models"
)

// The LSTM workload's TrainStep runs its forward and its backward step loops as two
// segments by items: each segment holds its loop whole, and inside a segment no two
// values share storage (ranges of items running at their own pace would otherwise
// overwrite each other's rows). The generated packages' TestThreadsGiveTheBitsOfOne
// checks the results on 2 and 3 threads against one.
func TestTrainStepRunsItsStepLoopsByItems(t *testing.T) {
	g, err := models.LSTM().Build()
	require.NoError(t, err)
	const maxBatch = 16
	p := trainStepProgram(t, g, Options{Package: "lstm", MaxBatch: maxBatch, Train: true}, ir.ModeTrain)
	require.Len(t, p.segments, 2, "forward and backward")

	runs := 0
	for at, r := range p.loops.runs {
		last := at
		for _, gr := range r.groups {
			last += len(gr.nodes)
		}
		last--
		for _, seg := range p.segments {
			inside := at >= seg.first && last <= seg.last
			outside := last < seg.first || at > seg.last
			assert.True(t, inside || outside, "the loop at %d…%d crosses the edge of the segment %d…%d", at, last, seg.first, seg.last)
			if inside {
				runs++
			}
		}
	}
	assert.Equal(t, 2, runs, "each segment holds a step loop")

	type interval struct{ from, to int }
	for _, seg := range p.segments {
		places := map[string]interval{}
		for _, id := range p.holds(seg) {
			r := p.plan.Root[id]
			if f := p.loops.fam[r]; f != nil {
				places[fmt.Sprintf("family %s %s", f.seq.prefix, f.what)] = interval{f.base, f.base + f.slots*f.stride}
				continue
			}
			if p.plan.Offset[r] < 0 {
				continue // not in the arena
			}
			s := p.g.Nodes[r].Shape
			e := s.Elems()
			if s.Batched() {
				e *= maxBatch
			}
			places[p.g.Nodes[r].Name] = interval{p.plan.Offset[r], p.plan.Offset[r] + e}
		}
		require.NotEmpty(t, places)
		for a, ia := range places {
			for b, ib := range places {
				if a < b {
					assert.False(t, ia.from < ib.to && ib.from < ia.to, "segment %d…%d: %s [%d, %d) and %s [%d, %d) share storage", seg.first, seg.last, a, ia.from, ia.to, b, ib.from, ib.to)
				}
			}
		}
	}
}

// A GRU's backward reads a block of its recurrent weight in every step. That Slice
// is one value for all the steps: it is computed once before them, not copied into
// each (splitStepSlices copies only Slices that one step reads), so no step computes
// an unbatched value and the forward steps run by items.
func TestAWeightSliceEveryStepReadsIsComputedOnce(t *testing.T) {
	model := recurrentModel(t, "gru")
	g, err := model(6).Build()
	require.NoError(t, err)
	p := trainStepProgram(t, g, Options{Package: "gru", MaxBatch: 4, Train: true}, ir.ModeTrain)
	weightSlices := 0
	for _, id := range p.order {
		n := p.g.Nodes[id]
		if n.Op != ir.OpSlice || n.Shape.Batched() {
			continue
		}
		weightSlices++
		assert.Nil(t, p.loops.groupOf[id], "%s: a weight slice inside a step", n.Name)
	}
	assert.Positive(t, weightSlices, "the GRU's backward reads no block of its weight: the test checks nothing")
	assert.NotEmpty(t, p.segments, "no step loop runs by items")
}
