//go:build !linux

package cage

import (
	"context"
	"errors"
	"runtime"
)

var errUnsupported = errors.New("cage: only Linux can cage a process (running on " + runtime.GOOS + ")")

// Process is a running caged child; on this system there never is one.
type Process struct{}

// Start fails: the cage is built from Linux namespaces, Landlock and
// seccomp.
func Start(ctx context.Context, s Spec) (*Process, error) { return nil, errUnsupported }

// Applied returns no namespaces.
func (p *Process) Applied() Namespaces { return Namespaces{} }

// Pid returns 0.
func (p *Process) Pid() int { return 0 }

// Wait returns an error.
func (p *Process) Wait() (Exit, error) { return Exit{Code: -1}, errUnsupported }

// Kill does nothing.
func (p *Process) Kill() {}

// CheckNamespaces reports nothing applied.
func (p *Process) CheckNamespaces() Report { return Probe() }

// Apply fails: no layer can be applied here.
func (l Lockdown) Apply() (Report, error) { return Report{}, errUnsupported }

// Probe reports nothing available.
func Probe() Report {
	var r Report
	for _, k := range nsKinds {
		r.add("ns."+k.name, false, errUnsupported.Error())
	}
	for _, name := range []string{"seccomp", "landlock", "no_new_privs", "capabilities"} {
		r.add(name, false, errUnsupported.Error())
	}
	return r
}

// Verify reports nothing refused.
func Verify() Report { return Report{} }

// DefaultWorkerSeccomp returns an empty table: there is no seccomp here.
func DefaultWorkerSeccomp() *SeccompPolicy { return &SeccompPolicy{} }
