package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// dlgen runs the command line in-process and returns its exit status and output.
func dlgen(args ...string) (code int, stdout, stderr string) {
	var out, errOut bytes.Buffer
	code = run(args, &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestUsageErrorsExitWith2(t *testing.T) {
	file := filepath.Join(t.TempDir(), "g.json")
	require.NoError(t, os.WriteFile(file, []byte("{}"), 0o644))
	tests := []struct {
		name   string
		args   []string
		stderr string
	}{
		{"no command at all", nil, "Usage:"},
		{"an unknown command", []string{"compile"}, `unknown command "compile"`},
		{"an unknown flag", []string{"dump", "-bogus"}, "flag provided but not defined: -bogus"},
		{"an unknown dump format", []string{"dump", "-format", "svg"}, `unknown format "svg"`},
		{"an unknown dump mode", []string{"dump", "-mode", "eval"}, `unknown mode "eval"`},
		{"gradients of the inference graph", []string{"dump", "-mode", "infer", "-grad"}, "-grad needs -mode train"},
		{"two JSON files", []string{"dump", "a.json", "b.json"}, "at most one JSON file"},
		{"a JSON file and -model", []string{"dump", "-model", "MLP", file}, "either a JSON file or -pkg/-model"},
		{"generate with an argument", []string{"generate", "MLP"}, "generate takes no arguments"},
		{"a batch size of zero", []string{"generate", "-max-batch", "0"}, "-max-batch must be at least 1"},
		{"a package name that is not an identifier", []string{"generate", "-package", "my-model"}, `-package "my-model" is not a Go identifier`},
		{"-out with two models", []string{"generate", "-out", "x", "-model", "A,B"}, "-out takes one model"},
		{"help for an unknown command", []string{"help", "compile"}, `unknown command "compile"`},
		{"version with an argument", []string{"version", "x"}, "version takes no arguments"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := dlgen(tt.args...)
			assert.Equal(t, 2, code)
			assert.Empty(t, stdout)
			assert.Contains(t, stderr, tt.stderr)
		})
	}
}

func TestFailuresExitWith1(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.json")
	require.NoError(t, os.WriteFile(bad, []byte(`{"name": "g", "nodes": [{"id": 0, "op": "Nope", "name": "x", "layer": "x", "attrs": {}, "shape": []}], "loss": -1}`), 0o644))
	tests := []struct {
		name   string
		args   []string
		stderr string
	}{
		{"a missing file", []string{"dump", filepath.Join(dir, "missing.json")}, "no such file"},
		{"a graph that does not verify", []string{"dump", bad}, "unknown op"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := dlgen(tt.args...)
			assert.Equal(t, 1, code)
			assert.Contains(t, stderr, tt.stderr)
		})
	}
}

func TestHelp(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want []string
	}{
		{"dlgen help lists the commands", []string{"help"}, []string{"generate", "dump", "version", "//go:generate"}},
		{"dlgen -h lists the commands", []string{"-h"}, []string{"generate", "dump"}},
		{"dlgen help dump shows its flags", []string{"help", "dump"}, []string{"usage: dlgen dump", "-format format", "-grad", "Keras-style summary"}},
		{"dlgen dump -h shows the same", []string{"dump", "-h"}, []string{"usage: dlgen dump", "-mode mode"}},
		{"dlgen help generate shows its flags", []string{"help", "generate"}, []string{"-max-batch n", "(default 64)", "-infer-only", "DO NOT EDIT"}},
		{"dlgen version prints a version", []string{"version"}, []string{"dlgen ", "go1."}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := dlgen(tt.args...)
			assert.Equal(t, 0, code)
			assert.Empty(t, stderr)
			for _, w := range tt.want {
				assert.Contains(t, stdout, w)
			}
		})
	}
}

func TestSplitList(t *testing.T) {
	assert.Equal(t, []string{"MLP", "LeNet"}, splitList(" MLP, ,LeNet,"))
	assert.Nil(t, splitList(""))
}

func TestThousands(t *testing.T) {
	for n, want := range map[int]string{0: "0", 999: "999", 1000: "1,000", 61706: "61,706", 1234567: "1,234,567", -1500: "-1,500"} {
		assert.Equal(t, want, thousands(n), "%d", n)
	}
}

func TestWrapList(t *testing.T) {
	t.Run("short lists stay on one line", func(t *testing.T) {
		assert.Equal(t, []string{"Conv2D, BiasAdd, Relu"}, wrapList([]string{"Conv2D", "BiasAdd", "Relu"}, 36))
	})
	t.Run("long lists wrap after a comma", func(t *testing.T) {
		assert.Equal(t, []string{"ChannelMean, Scale,", "BiasAdd"}, wrapList([]string{"ChannelMean", "Scale", "BiasAdd"}, 20))
	})
}
