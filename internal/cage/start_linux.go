//go:build linux

package cage

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// waitDelay bounds how long Wait keeps copying a dead child's output: a
// descriptor leaked to something that outlives the child must not hang
// the parent.
const waitDelay = 2 * time.Second

// closeRangeCloexec is CLOSE_RANGE_CLOEXEC (linux/close_range.h).
const closeRangeCloexec = 1 << 2

// Process is a running caged child. Its methods are safe for concurrent
// use.
type Process struct {
	pid     int
	applied Namespaces
	cmd     *exec.Cmd

	// mu guards exited, timedOut and killed, and is held while signalling
	// so a signal never reaches a pid that was reaped and reused: the
	// child is marked exited before it is reaped.
	mu       sync.Mutex
	exited   bool
	timedOut bool
	killed   bool

	killOnce sync.Once
	kill     chan struct{} // closed by Kill
	gone     chan struct{} // closed once the child has exited (not yet reaped)
	done     chan struct{} // closed once exit and err are final
	exit     Exit
	err      error
}

// Start runs s.Path caged: empty environment, working directory /, only
// descriptors 0-2, its own process group, SIGKILL if the parent dies, and
// the namespaces in s.Namespaces the kernel grants. When the kernel
// refuses a set (EPERM, EINVAL, ENOSPC, EUSERS), Start tries the next
// best subset, keeping the network namespace longest; Applied says what
// the child got. The child is SIGKILLed, with its process group, when
// s.Timeout passes, when ctx ends, or on Kill.
//
// In the user namespace the parent's uid and gid map to 0. On the host the
// child is still the parent's uid and reaches nothing the parent could
// not; inside, it holds every capability over its own namespaces, which
// Lockdown.Apply needs for one step (mounting a /proc that matches its PID
// namespace) before Lockdown.DropCapabilities takes them all away. Mapping
// the uid to itself instead would leave a non-root child unable to take
// that step, and a root child with the same capabilities anyway.
//
// Start marks every descriptor of the parent above 2 close-on-exec: Go
// opens its own that way, and one inherited from the parent's parent must
// not reach the child.
func Start(ctx context.Context, s Spec) (*Process, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("cage start: %w", err)
	}
	if err := checkSpec(s); err != nil {
		return nil, err
	}
	if err := cloexecInherited(); err != nil {
		return nil, fmt.Errorf("cage start: %w", err)
	}
	p := &Process{
		kill: make(chan struct{}),
		gone: make(chan struct{}),
		done: make(chan struct{}),
	}
	started := make(chan error, 1)
	go p.run(ctx, s, started)
	if err := <-started; err != nil {
		return nil, err
	}
	return p, nil
}

func checkSpec(s Spec) error {
	if !filepath.IsAbs(s.Path) {
		return fmt.Errorf("cage start: path %q is not absolute", s.Path)
	}
	fi, err := os.Stat(s.Path)
	if err != nil {
		return fmt.Errorf("cage start: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("cage start: %s is not a regular file", s.Path)
	}
	if err := unix.Access(s.Path, unix.X_OK); err != nil {
		return fmt.Errorf("cage start: %s: %w", s.Path, err)
	}
	if s.Timeout < 0 {
		return fmt.Errorf("cage start: negative timeout %v", s.Timeout)
	}
	return nil
}

// cloexecInherited marks descriptors 3 and up close-on-exec.
func cloexecInherited() error {
	err := unix.CloseRange(3, math.MaxUint32, closeRangeCloexec)
	if err == nil {
		return nil
	}
	if !errors.Is(err, unix.ENOSYS) && !errors.Is(err, unix.EINVAL) {
		return fmt.Errorf("close_range: %w", err)
	}
	// Kernels before 5.11: walk the table.
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return fmt.Errorf("list descriptors: %w", err)
	}
	for _, e := range ents {
		fd, err := strconv.Atoi(e.Name())
		if err != nil || fd < 3 {
			continue
		}
		if _, err := unix.FcntlInt(uintptr(fd), unix.F_SETFD, unix.FD_CLOEXEC); err != nil && !errors.Is(err, unix.EBADF) {
			return fmt.Errorf("fd %d close-on-exec: %w", fd, err)
		}
	}
	return nil
}

// sysProcAttr is how every caged child is created.
func sysProcAttr(ns Namespaces) *syscall.SysProcAttr {
	a := &syscall.SysProcAttr{
		Setpgid:   true,
		Pdeathsig: syscall.SIGKILL,
	}
	flags := map[*bool]uintptr{
		&ns.User: unix.CLONE_NEWUSER, &ns.Mount: unix.CLONE_NEWNS, &ns.PID: unix.CLONE_NEWPID,
		&ns.IPC: unix.CLONE_NEWIPC, &ns.Net: unix.CLONE_NEWNET, &ns.UTS: unix.CLONE_NEWUTS,
	}
	for set, f := range flags {
		if *set {
			a.Cloneflags |= f
		}
	}
	if ns.User {
		a.UidMappings = []syscall.SysProcIDMap{{ContainerID: 0, HostID: os.Getuid(), Size: 1}}
		a.GidMappings = []syscall.SysProcIDMap{{ContainerID: 0, HostID: os.Getgid(), Size: 1}}
		// Unprivileged parents may only write gid_map with setgroups
		// denied; it also keeps the child from dropping a group that
		// denies it access.
		a.GidMappingsEnableSetgroups = false
	}
	return a
}

// refused reports whether err is the kernel declining a namespace, as
// opposed to the program not running at all.
func refused(err error) bool {
	for _, e := range []error{unix.EPERM, unix.EINVAL, unix.ENOSPC, unix.EUSERS} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

// withFallback calls try with each subset of req, best first, until one
// works or an error is not a refusal. Failed attempts are cheap: the
// kernel refuses at clone time, before anything runs.
func withFallback(req Namespaces, try func(Namespaces) error) (Namespaces, error) {
	var err error
	for _, ns := range candidates(req) {
		if err = try(ns); err == nil {
			return ns, nil
		}
		if !refused(err) {
			return Namespaces{}, err
		}
	}
	return Namespaces{}, err
}

// run starts the child and waits for it. It keeps to one OS thread until
// the child is reaped: the kernel sends Pdeathsig when the thread that
// forked the child exits, not the process.
func (p *Process) run(ctx context.Context, s Spec, started chan<- error) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	args := s.Args
	if args == nil {
		args = []string{s.Path}
	}
	var cmd *exec.Cmd
	applied, err := withFallback(s.Namespaces, func(ns Namespaces) error {
		cmd = &exec.Cmd{
			Path:        s.Path,
			Args:        args,
			Env:         []string{},
			Dir:         "/",
			Stdin:       s.Stdin,
			Stdout:      s.Stdout,
			Stderr:      s.Stderr,
			SysProcAttr: sysProcAttr(ns),
			WaitDelay:   waitDelay,
		}
		return cmd.Start()
	})
	if err != nil {
		started <- fmt.Errorf("cage start %s: %w", s.Path, err)
		return
	}
	p.cmd, p.pid, p.applied = cmd, cmd.Process.Pid, applied
	started <- nil
	go p.watch(ctx, s.Timeout)
	p.awaitExit()
	werr := cmd.Wait()
	p.finish(werr)
}

// watch kills the child when the wall clock passes, the context ends or
// Kill is called, whichever comes first, unless it has exited already.
func (p *Process) watch(ctx context.Context, timeout time.Duration) {
	var deadline <-chan time.Time
	if timeout > 0 {
		t := time.NewTimer(timeout)
		defer t.Stop()
		deadline = t.C
	}
	select {
	case <-p.gone:
	case <-deadline:
		p.signal(func() { p.timedOut = true })
	case <-ctx.Done():
		p.signal(func() { p.killed = true })
	case <-p.kill:
		p.signal(func() { p.killed = true })
	}
}

// signal SIGKILLs the child's process group and the child (in case it
// left the group) if it has not exited, recording why under the lock.
func (p *Process) signal(why func()) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.exited {
		return
	}
	why()
	_ = unix.Kill(-p.pid, unix.SIGKILL)
	_ = unix.Kill(p.pid, unix.SIGKILL)
}

// awaitExit blocks until the child exits without reaping it, marks it
// exited, and kills whatever is left in its process group while the
// group id cannot yet have been reused.
func (p *Process) awaitExit() {
	var info unix.Siginfo
	for {
		err := unix.Waitid(unix.P_PID, p.pid, &info, unix.WEXITED|unix.WNOWAIT, nil)
		if !errors.Is(err, unix.EINTR) {
			break
		}
	}
	p.mu.Lock()
	p.exited = true
	_ = unix.Kill(-p.pid, unix.SIGKILL)
	p.mu.Unlock()
	close(p.gone)
}

func (p *Process) finish(werr error) {
	ex := Exit{Code: -1}
	if st := p.cmd.ProcessState; st != nil {
		ex.Code = st.ExitCode()
		if ws, ok := st.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			ex.Signal = unix.SignalName(ws.Signal())
		}
	}
	var ee *exec.ExitError
	if errors.As(werr, &ee) {
		werr = nil // an exit status is a result, not a failure to wait
	}
	if werr != nil {
		werr = fmt.Errorf("cage wait: %w", werr)
	}
	p.mu.Lock()
	ex.TimedOut, ex.Killed = p.timedOut, p.killed
	p.mu.Unlock()
	p.exit, p.err = ex, werr
	close(p.done)
}

// Applied returns the namespaces the child got.
func (p *Process) Applied() Namespaces { return p.applied }

// Pid returns the child's process id as the parent sees it.
func (p *Process) Pid() int { return p.pid }

// Wait blocks until the child has exited and its output is copied, and
// returns how it ended. The error is only for a failure to wait or copy;
// a non-zero exit is in Exit. It may be called more than once.
func (p *Process) Wait() (Exit, error) {
	<-p.done
	return p.exit, p.err
}

// Kill SIGKILLs the child and its process group; Exit.Killed records it.
// It does not wait, and does nothing once the child has exited.
func (p *Process) Kill() {
	p.killOnce.Do(func() { close(p.kill) })
}
