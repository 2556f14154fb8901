package codemode

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"sync"
	"syscall"
	"time"

	"github.com/ironcurtain/ironcurtain-go/internal/cage"
)

// Spawner starts one worker process as spec describes: spec.Stdin,
// spec.Stdout and spec.Stderr are *os.File pipe ends to hand over as the
// worker's descriptors 0-2, and spec.Timeout is the hard wall clock after
// which the process must be killed. A Spawner must start the worker with
// an empty environment and no other descriptors; ending ctx must kill it.
type Spawner func(ctx context.Context, spec cage.Spec) (Process, error)

// Process is a started worker. *cage.Process is one.
type Process interface {
	// Wait waits for the process to exit and says how it ended.
	Wait() (cage.Exit, error)
	// Kill ends the process and everything it started with SIGKILL; it may
	// be called at any time, more than once, and concurrently with Wait.
	Kill()
}

// Caged returns the Spawner Exec uses by default: cage.Start asking for
// every namespace the cage knows. Which ones the kernel granted is the
// cage's to report (ironcurtain doctor); the worker's own lockdown denies
// sockets and process creation whether or not the namespaces apply.
func Caged() Spawner {
	return func(ctx context.Context, spec cage.Spec) (Process, error) {
		spec.Namespaces = cage.AllNamespaces()
		p, err := cage.Start(ctx, spec)
		if err != nil {
			return nil, err
		}
		return p, nil
	}
}

// InsecureUncaged returns a Spawner that runs the worker as a plain child
// process: empty environment, its own process group, killed at the wall
// clock, but no namespaces. The worker still applies its own lockdown if
// its subcommand does so. It exists for tests and for diagnosing the cage;
// agent code must not run under it.
func InsecureUncaged() Spawner {
	return func(ctx context.Context, spec cage.Spec) (Process, error) {
		if spec.Timeout < 0 {
			return nil, fmt.Errorf("start worker: negative timeout %v", spec.Timeout)
		}
		args := spec.Args
		if len(args) == 0 {
			args = []string{spec.Path}
		}
		cmd := &exec.Cmd{
			Path:        spec.Path,
			Args:        args,
			Env:         []string{},
			Dir:         "/",
			Stdin:       spec.Stdin,
			Stdout:      spec.Stdout,
			Stderr:      spec.Stderr,
			SysProcAttr: &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL},
		}
		if err := cmd.Start(); err != nil {
			return nil, fmt.Errorf("start worker: %w", err)
		}
		p := &plainProcess{cmd: cmd, kill: make(chan struct{}), done: make(chan struct{})}
		go p.watch(ctx, spec.Timeout)
		return p, nil
	}
}

// plainProcess is a worker started by InsecureUncaged.
type plainProcess struct {
	cmd      *exec.Cmd
	killOnce sync.Once
	kill     chan struct{} // closed by Kill
	done     chan struct{} // closed once exit and err are final

	// mu guards timedOut and killed, and is held while signalling so the
	// process group is never signalled after the child was reaped.
	mu       sync.Mutex
	reaped   bool
	timedOut bool
	killed   bool

	exit cage.Exit
	err  error
}

func (p *plainProcess) watch(ctx context.Context, timeout time.Duration) {
	waited := make(chan error, 1)
	go func() { waited <- p.cmd.Wait() }()
	var clock <-chan time.Time
	if timeout > 0 {
		t := time.NewTimer(timeout)
		defer t.Stop()
		clock = t.C
	}
	var err error
	var mark *bool
	select {
	case err = <-waited:
	case <-clock:
		mark = &p.timedOut
	case <-ctx.Done():
		mark = &p.killed
	case <-p.kill:
		mark = &p.killed
	}
	if mark != nil {
		select {
		case err = <-waited: // it ended on its own meanwhile
		default:
			p.signal(mark)
			err = <-waited
		}
	}
	p.mu.Lock()
	p.reaped = true
	p.exit = cage.Exit{Code: -1, TimedOut: p.timedOut, Killed: p.killed}
	p.mu.Unlock()
	var ee *exec.ExitError
	switch {
	case err == nil:
		p.exit.Code = 0
	case errors.As(err, &ee):
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			p.exit.Signal = unixSignalName(ws.Signal())
		} else {
			p.exit.Code = ee.ExitCode()
		}
	default:
		p.err = err
	}
	close(p.done)
}

// signal records why the worker is being killed and kills its process
// group, then the worker itself through os.Process, which cannot reach a
// reused pid.
func (p *plainProcess) signal(mark *bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.reaped {
		return
	}
	*mark = true
	_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
	_ = p.cmd.Process.Kill()
}

func (p *plainProcess) Kill() { p.killOnce.Do(func() { close(p.kill) }) }

func (p *plainProcess) Wait() (cage.Exit, error) {
	<-p.done
	return p.exit, p.err
}

func unixSignalName(s syscall.Signal) string {
	switch s {
	case syscall.SIGKILL:
		return "SIGKILL"
	case syscall.SIGSEGV:
		return "SIGSEGV"
	case syscall.SIGABRT:
		return "SIGABRT"
	case syscall.SIGSYS:
		return "SIGSYS"
	case syscall.SIGXCPU:
		return "SIGXCPU"
	}
	return fmt.Sprintf("signal %d", int(s))
}
