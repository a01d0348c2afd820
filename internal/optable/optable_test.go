// Package optable holds the tests that walk the op table (ir.Ops) and fail on any op
// that lacks a piece the rest of the compiler needs: a reference kernel, a gradient
// rule, a lowering rule or a code emitter. The op table is the single source of truth;
// these tests keep the other registries honest about it.
package optable

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/dlgen/dlgen/ir"
	"github.com/dlgen/dlgen/ir/interp"
	"github.com/dlgen/dlgen/passes"
)

func TestEveryExecutableOpHasAReferenceKernel(t *testing.T) {
	for _, name := range ir.OpNames() {
		def := ir.Ops[name]
		if def.Kind == ir.Macro || name == ir.OpInput || name == ir.OpParam {
			continue // macro ops are lowered away; inputs and params are fed by the machine
		}
		assert.Contains(t, interp.Kernels, name, "op %s (%s) has no interpreter kernel", name, def.Kind)
	}
	for name := range interp.Kernels {
		assert.Contains(t, ir.Ops, name, "the interpreter has a kernel for %s, which is not in the op table", name)
	}
}

func TestEveryPrimitiveOpHasAGradientRule(t *testing.T) {
	for _, name := range ir.OpNames() {
		if ir.Ops[name].Kind == ir.Primitive {
			assert.Contains(t, passes.GradRules, name, "primitive op %s has no gradient rule", name)
		}
	}
	for name := range passes.GradRules {
		def, ok := ir.Ops[name]
		if assert.True(t, ok, "gradient rule for %s, which is not in the op table", name) {
			assert.Equal(t, ir.Primitive, def.Kind, "gradient rule for %s, which is %s", name, def.Kind)
		}
	}
}

func TestEveryMacroOpHasALoweringRule(t *testing.T) {
	for _, name := range ir.OpNames() {
		if ir.Ops[name].Kind == ir.Macro {
			assert.Contains(t, passes.LowerRules, name, "macro op %s has no lowering rule", name)
		}
	}
}

func TestEveryOpIsDocumentedAndHasAShapeRule(t *testing.T) {
	for _, name := range ir.OpNames() {
		def := ir.Ops[name]
		assert.NotEmpty(t, def.Doc, "op %s has no documented semantics", name)
		assert.NotNil(t, def.Infer, "op %s has no shape rule", name)
		assert.Equal(t, name, def.Name, "op table key and name differ")
	}
}
