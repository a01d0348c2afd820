// Package generated holds the committed output of `dlgen generate` for the example
// models of package models, one package per model, each with a model_test.go that
// checks it against the interpreter and benchmarks it. `go generate ./...` rewrites
// them from the lines below; CI fails if that changes anything.
package generated

//go:generate go run github.com/dlgen/dlgen/cmd/dlgen generate -pkg ../models -model MLP -out mlp -max-batch 64 -tests -cmd
//go:generate go run github.com/dlgen/dlgen/cmd/dlgen generate -pkg ../models -model LeNet -out lenet -max-batch 64 -tests -cmd
//go:generate go run github.com/dlgen/dlgen/cmd/dlgen generate -pkg ../models -model ConvDAE -out convdae -max-batch 32 -tests -cmd

// Recurrent models: W3 (LSTM), a bidirectional GRU, and MNIST read row by row.
//go:generate go run github.com/dlgen/dlgen/cmd/dlgen generate -pkg ../models -model LSTM -out lstm -max-batch 16 -tests
//go:generate go run github.com/dlgen/dlgen/cmd/dlgen generate -pkg ../models -model BiGRU -out bigru -max-batch 16 -tests
//go:generate go run github.com/dlgen/dlgen/cmd/dlgen generate -pkg ../models -model RowLSTM -out rowlstm -max-batch 32 -tests -cmd
