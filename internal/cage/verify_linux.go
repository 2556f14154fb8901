//go:build linux

package cage

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"
)

// Verify tries, from inside a locked-down child, the things a cage must
// stop, and reports each as applied when it was refused. Every attempt is
// harmless when it is not refused: it execs a path that cannot exist,
// opens /dev/null, makes a socket it closes at once. It is for
// diagnostics (doctor) and tests; a caller that trusts Apply's error does
// not need it.
func Verify() Report {
	var r Report
	deny := func(name, what string, err error) {
		switch {
		case err == nil:
			r.add(name, false, what+" was allowed")
		case errors.Is(err, unix.EPERM) || errors.Is(err, unix.EACCES) || errors.Is(err, unix.ENOSYS):
			r.add(name, true, what+" refused: "+errnoText(err))
		default:
			r.add(name, false, what+" failed for another reason: "+errnoText(err))
		}
	}
	// Seccomp answers before the path is looked at; without it the
	// path fails with ENOTDIR.
	deny("check.exec", "execve", unix.Exec(probePath, []string{probePath}, []string{}))
	_, err := syscall.ForkExec(probePath, []string{probePath}, &syscall.ProcAttr{Env: []string{}})
	if errors.Is(err, unix.ENOTDIR) {
		err = nil // a child was created; it failed to exec and is reaped
	}
	deny("check.fork", "creating a process", err)
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err == nil {
		unix.Close(fd)
	}
	deny("check.socket", "socket(AF_INET)", err)
	fd, err = unix.Open("/dev/null", unix.O_WRONLY|unix.O_CLOEXEC, 0)
	if err == nil {
		unix.Close(fd)
	}
	deny("check.write", "opening /dev/null for writing", err)
	fd, err = unix.Open("/dev/null", unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err == nil {
		unix.Close(fd)
	}
	deny("check.read", "opening /dev/null for reading", err)
	// A request no kernel knows, on ourselves: ESRCH when ptrace is
	// allowed (we are not traced), EPERM from seccomp.
	_, _, e := unix.Syscall6(unix.SYS_PTRACE, 0x7fffffff, uintptr(os.Getpid()), 0, 0, 0, 0)
	err = nil
	if e != 0 {
		err = e
	}
	if errors.Is(err, unix.ESRCH) {
		err = nil
	}
	deny("check.ptrace", "ptrace", err)
	deny("check.unshare", "unshare(CLONE_NEWUSER)", unix.Unshare(unix.CLONE_NEWUSER))
	if err := threadsWork(8); err != nil {
		r.add("check.threads", false, err.Error())
	} else {
		r.add("check.threads", true, "8 threads running at once")
	}
	return r
}

// threadsWork holds n goroutines each locked to its own OS thread at the
// same time, which forces the runtime to have at least n threads; if
// clone for threads were denied, the runtime would die here rather than
// return an error.
func threadsWork(n int) error {
	ready := make(chan int, n)
	release := make(chan struct{})
	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			ready <- unix.Gettid()
			<-release
		}()
	}
	tids := map[int]bool{}
	for range n {
		tids[<-ready] = true
	}
	close(release)
	wg.Wait()
	if len(tids) != n {
		return fmt.Errorf("%d goroutines locked to threads ran on %d threads", n, len(tids))
	}
	return nil
}

// errnoText is "EPERM (operation not permitted)" for an errno.
func errnoText(err error) string {
	var e syscall.Errno
	if errors.As(err, &e) {
		if name := unix.ErrnoName(e); name != "" {
			return name + " (" + e.Error() + ")"
		}
	}
	return err.Error()
}
