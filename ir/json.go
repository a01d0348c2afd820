package ir

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
)

// MarshalJSON-compatible encoding of a graph: indented, stable field order, one node
// per object. The format is the one `dlgen generate` reads back from the temporary
// program that runs the user's model constructors.

// Encode writes g as indented JSON.
func Encode(g *Graph) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	if err := enc.Encode(g); err != nil {
		return nil, fmt.Errorf("ir: encoding graph %q: %w", g.Name, err)
	}
	return buf.Bytes(), nil
}

// Decode reads a graph written by Encode and verifies it, so a hand-edited or
// truncated file is reported rather than trusted.
func Decode(data []byte) (*Graph, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var g Graph
	if err := dec.Decode(&g); err != nil {
		return nil, fmt.Errorf("ir: decoding graph: %w", err)
	}
	// Decode stops after one JSON value; anything after it (two files concatenated,
	// a botched edit) would otherwise be silently ignored.
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("ir: decoding graph %q: unexpected data after the graph", g.Name)
	}
	for i, n := range g.Nodes {
		if n == nil {
			return nil, fmt.Errorf("ir: decoding graph %q: node %d is null", g.Name, i)
		}
	}
	if err := Verify(&g); err != nil {
		return nil, err
	}
	return &g, nil
}
