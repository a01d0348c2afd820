package safetensors

import (
	"fmt"
	"io"
	"strconv"
	"strings"
)

// A checkpoint is an ordinary safetensors file (so PyTorch tools can open it) that
// holds the weights under their own names, the optimizer state under
// OptimName(param, slot), and the training position in string metadata entries.
// The keys are namespaced because Hugging Face tools give "format" its own meaning
// ("pt" for PyTorch layouts, which dlgen's are); a checkpoint sets "format" to "pt"
// unless Metadata says otherwise.
const (
	MetaKind    = "dlgen.kind"  // always CheckpointKind in a checkpoint
	MetaStep    = "dlgen.step"  // optimizer steps taken, decimal
	MetaEpoch   = "dlgen.epoch" // epochs completed, decimal
	MetaRNG     = "dlgen.rng"   // random stream state words, comma-separated decimal
	OptimPrefix = "optim."      // prefix of optimizer state tensor names

	// CheckpointKind marks a file as a dlgen training checkpoint.
	CheckpointKind = "checkpoint"
)

// OptimName is the tensor name of optimizer state slot (such as "m" or "v" for Adam,
// "velocity" for momentum) of the named parameter: "optim.<param>.<slot>".
func OptimName(param, slot string) string { return OptimPrefix + param + "." + slot }

// Checkpoint is the state needed to resume training exactly.
type Checkpoint struct {
	Params []Tensor // model weights
	Optim  []Tensor // optimizer state, named with OptimName
	Step   int64
	Epoch  int64
	// RNG holds the state words of the random streams (for dlgen's counter-based
	// streams: the seed and the counters drawn so far); the trainer defines their
	// order.
	RNG []uint64
	// Metadata holds further string entries; it must not use the reserved keys
	// above.
	Metadata map[string]string
}

func (c *Checkpoint) metadata() (map[string]string, error) {
	m := map[string]string{"format": "pt"}
	for k, v := range c.Metadata {
		switch k {
		case MetaKind, MetaStep, MetaEpoch, MetaRNG:
			return nil, fmt.Errorf("checkpoint: metadata key %q is reserved", k)
		}
		m[k] = v
	}
	m[MetaKind] = CheckpointKind
	m[MetaStep] = strconv.FormatInt(c.Step, 10)
	m[MetaEpoch] = strconv.FormatInt(c.Epoch, 10)
	words := make([]string, len(c.RNG))
	for i, w := range c.RNG {
		words[i] = strconv.FormatUint(w, 10)
	}
	m[MetaRNG] = strings.Join(words, ",")
	return m, nil
}

func (c *Checkpoint) tensors() ([]Tensor, error) {
	for _, t := range c.Params {
		if strings.HasPrefix(t.Name, OptimPrefix) {
			return nil, fmt.Errorf("checkpoint: parameter name %q uses the optimizer prefix %q", t.Name, OptimPrefix)
		}
	}
	for _, t := range c.Optim {
		if !strings.HasPrefix(t.Name, OptimPrefix) {
			return nil, fmt.Errorf("checkpoint: optimizer tensor name %q lacks the prefix %q (use OptimName)", t.Name, OptimPrefix)
		}
	}
	return append(append([]Tensor(nil), c.Params...), c.Optim...), nil
}

// WriteCheckpoint writes c to w in safetensors format.
func WriteCheckpoint(w io.Writer, c *Checkpoint) error {
	meta, err := c.metadata()
	if err != nil {
		return err
	}
	ts, err := c.tensors()
	if err != nil {
		return err
	}
	return Write(w, ts, meta)
}

// SaveCheckpoint writes c to path atomically: a crash never leaves a partial
// checkpoint, and the previous one survives until the new one is complete.
func SaveCheckpoint(path string, c *Checkpoint) error {
	if _, err := c.metadata(); err != nil { // fail before creating any file
		return err
	}
	if _, err := c.tensors(); err != nil {
		return err
	}
	return WriteFileAtomic(path, func(w io.Writer) error { return WriteCheckpoint(w, c) })
}

// LoadCheckpoint reads the checkpoint at path into c: c.Params and c.Optim are the
// destinations (names, shapes and buffers already set, checked strictly as by Load),
// and Step, Epoch, RNG and Metadata are filled from the file.
func LoadCheckpoint(path string, c *Checkpoint) error {
	r, err := Open(path)
	if err != nil {
		return err
	}
	defer r.Close()
	return r.LoadCheckpoint(c)
}

// LoadCheckpoint is LoadCheckpoint for an open file.
func (r *Reader) LoadCheckpoint(c *Checkpoint) error {
	meta := r.Metadata()
	if k := meta[MetaKind]; k != CheckpointKind {
		return formatErr(r.name, "not a dlgen checkpoint (metadata %q is %q, want %q)", MetaKind, k, CheckpointKind)
	}
	step, err := strconv.ParseInt(meta[MetaStep], 10, 64)
	if err != nil {
		return formatErr(r.name, "checkpoint metadata %q: %v", MetaStep, err)
	}
	epoch, err := strconv.ParseInt(meta[MetaEpoch], 10, 64)
	if err != nil {
		return formatErr(r.name, "checkpoint metadata %q: %v", MetaEpoch, err)
	}
	var rng []uint64
	if s, ok := meta[MetaRNG]; !ok {
		return formatErr(r.name, "checkpoint metadata has no %q entry", MetaRNG)
	} else if s != "" {
		for i, w := range strings.Split(s, ",") {
			v, err := strconv.ParseUint(w, 10, 64)
			if err != nil {
				return formatErr(r.name, "checkpoint metadata %q word %d: %v", MetaRNG, i, err)
			}
			rng = append(rng, v)
		}
	}
	ts := append(append([]Tensor(nil), c.Params...), c.Optim...)
	if err := r.Load(ts, LoadOptions{}); err != nil {
		return err
	}
	c.Step, c.Epoch, c.RNG = step, epoch, rng
	c.Metadata = map[string]string{}
	for k, v := range meta {
		switch k {
		case MetaKind, MetaStep, MetaEpoch, MetaRNG:
		default:
			c.Metadata[k] = v
		}
	}
	return nil
}
