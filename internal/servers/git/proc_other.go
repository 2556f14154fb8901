//go:build !unix

package git

import "os/exec"

// setProcessGroup is a no-op where process groups do not exist; the
// default cancellation kills git itself.
func setProcessGroup(*exec.Cmd) {}
