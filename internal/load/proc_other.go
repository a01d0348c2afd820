//go:build !unix

package load

import "os/exec"

// killGroup keeps exec's default: cancelling kills the go command only.
func killGroup(cmd *exec.Cmd) {}
