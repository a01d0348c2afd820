package codegen

// Options control what Generate emits.
type Options struct {
	Package  string // Go package name of the output
	MaxBatch int    // the largest batch size n the generated methods accept
	Train    bool   // emit Loss, TrainStep and gradients, not only Predict
	Tests    bool   // also emit a _test.go comparing the package with the interpreter
	// NoFusion computes every element-wise node by its own loop into its own storage
	// (no fused chains, no results written over their operands), to measure what
	// fusion gains.
	NoFusion bool
	// Cmd also emits the command cmd/<Package>/main.go (train, eval, predict, bench;
	// package train), which needs ImportPath, the output package's import path.
	Cmd        bool
	ImportPath string
}

// File is one generated file: a name relative to the output directory and its
// gofmt'd contents.
type File struct {
	Name string
	Data []byte
}
