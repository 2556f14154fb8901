//go:build linux

package cage

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/elastic/go-seccomp-bpf/arch"
	"golang.org/x/sys/unix"
)

var update = flag.Bool("update", false, "rewrite golden files")

// The worker table, as resolved for each architecture, is pinned in
// testdata: a change to what a code worker may do shows up in review.
func TestDefaultWorkerSeccompGolden(t *testing.T) {
	for _, a := range []*arch.Info{arch.X86_64, arch.AARCH64} {
		t.Run(a.Name, func(t *testing.T) {
			got, err := DefaultWorkerSeccomp().describe(a)
			if err != nil {
				t.Fatalf("describe(%s) = %v", a.Name, err)
			}
			path := filepath.Join("testdata", "worker_seccomp_"+a.Name+".golden")
			if *update {
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if got != string(want) {
				t.Errorf("describe(%s) differs from %s (run with -update if intended):\n%s", a.Name, path, got)
			}
			if _, err := DefaultWorkerSeccomp().compile(a); err != nil {
				t.Errorf("compile(%s) = %v", a.Name, err)
			}
		})
	}
}

func TestDefaultWorkerSeccompDecisions(t *testing.T) {
	a := arch.X86_64
	prog, err := DefaultWorkerSeccomp().compile(a)
	if err != nil {
		t.Fatal(err)
	}
	nr := func(name string) uint32 { return uint32(a.SyscallNames[name]) }
	eperm := uint32(retErrno | uint32(syscall.EPERM))
	goThread := uint64(unix.CLONE_VM | unix.CLONE_FS | unix.CLONE_FILES | unix.CLONE_SIGHAND | unix.CLONE_SYSVSEM | unix.CLONE_THREAD)
	tests := []struct {
		name string
		data []byte
		want uint32
	}{
		{"Go runtime thread", seccompData(a, nr("clone"), goThread), retAllow},
		{"thread with a new net namespace", seccompData(a, nr("clone"), goThread|unix.CLONE_NEWNET), eperm},
		{"os/exec child", seccompData(a, nr("clone"), unix.CLONE_VFORK|unix.CLONE_VM|uint64(unix.SIGCHLD)), eperm},
		{"futex", seccompData(a, nr("futex")), retAllow},
		{"mmap", seccompData(a, nr("mmap")), retAllow},
		{"epoll_pwait", seccompData(a, nr("epoll_pwait")), retAllow},
		{"write", seccompData(a, nr("write"), 1), retAllow},
		{"open read", seccompData(a, nr("open"), 0, unix.O_RDONLY|unix.O_CLOEXEC), retAllow},
		{"open append-only read", seccompData(a, nr("open"), 0, unix.O_RDONLY|unix.O_APPEND), retAllow},
		{"open create", seccompData(a, nr("open"), 0, unix.O_CREAT), eperm},
		{"openat truncate", seccompData(a, nr("openat"), 0, 0, unix.O_TRUNC), eperm},
		{"openat rdwr", seccompData(a, nr("openat"), 0, 0, unix.O_RDWR), eperm},
		{"openat2", seccompData(a, nr("openat2")), retErrno | uint32(syscall.ENOSYS)},
		{"prlimit64 self", seccompData(a, nr("prlimit64"), 0), retAllow},
		{"prlimit64 other", seccompData(a, nr("prlimit64"), 1234), eperm},
		{"TIOCSTI", seccompData(a, nr("ioctl"), 0, unix.TIOCSTI), eperm},
		{"TCGETS", seccompData(a, nr("ioctl"), 0, unix.TCGETS), retAllow},
		{"socket", seccompData(a, nr("socket"), unix.AF_UNIX), eperm},
		{"tgkill", seccompData(a, nr("tgkill")), retAllow},
		{"io_uring_setup", seccompData(a, nr("io_uring_setup")), eperm},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := runFilter(t, prog, tc.data); got != tc.want {
				t.Errorf("worker filter(%s) = %#x, want %#x", tc.name, got, tc.want)
			}
		})
	}
}

func TestWithFallback(t *testing.T) {
	refuse := func(bad func(Namespaces) bool, err error) func(Namespaces) error {
		return func(ns Namespaces) error {
			if bad(ns) {
				return err
			}
			return nil
		}
	}
	tests := []struct {
		name    string
		req     Namespaces
		try     func(Namespaces) error
		want    Namespaces
		wantErr error
	}{
		{"all granted", AllNamespaces(), refuse(func(Namespaces) bool { return false }, nil), AllNamespaces(), nil},
		{"no user namespaces, root", AllNamespaces(), refuse(func(ns Namespaces) bool { return ns.User }, unix.EPERM),
			Namespaces{Mount: true, IPC: true, Net: true, UTS: true}, nil},
		{"unprivileged, no user namespaces", AllNamespaces(), refuse(func(ns Namespaces) bool { return ns != Namespaces{} }, unix.EPERM),
			Namespaces{}, nil},
		{"net refused", AllNamespaces(), refuse(func(ns Namespaces) bool { return ns.Net }, unix.EINVAL),
			Namespaces{User: true, Mount: true, PID: true, IPC: true, UTS: true}, nil},
		{"too many user namespaces", Namespaces{User: true, Net: true}, refuse(func(ns Namespaces) bool { return ns.User }, unix.ENOSPC),
			Namespaces{Net: true}, nil},
		{"program missing stops at once", AllNamespaces(), refuse(func(Namespaces) bool { return true }, unix.ENOENT),
			Namespaces{}, unix.ENOENT},
		{"refused even with none", Namespaces{Net: true}, refuse(func(Namespaces) bool { return true }, unix.EPERM),
			Namespaces{}, unix.EPERM},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tries := 0
			got, err := withFallback(tc.req, func(ns Namespaces) error { tries++; return tc.try(ns) })
			if !errors.Is(err, tc.wantErr) || (err == nil) != (tc.wantErr == nil) {
				t.Fatalf("withFallback(%v) error = %v, want %v", tc.req, err, tc.wantErr)
			}
			if got != tc.want {
				t.Errorf("withFallback(%v) = %v, want %v", tc.req, got, tc.want)
			}
			if tc.wantErr == unix.ENOENT && tries != 1 {
				t.Errorf("withFallback(%v) tried %d times after ENOENT, want 1", tc.req, tries)
			}
		})
	}
}
