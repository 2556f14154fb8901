//go:build linux

package cage

import (
	"syscall"

	"golang.org/x/sys/unix"
)

// openWriteFlags are the open flags that make an open a filesystem write.
const openWriteFlags = unix.O_WRONLY | unix.O_RDWR | unix.O_CREAT | unix.O_TRUNC

// cloneNewNS are the clone flags that create namespaces. CLONE_NEWTIME is
// left out: its bit is part of the exit-signal byte in clone(2) and is only
// honoured by clone3 and unshare, which the table denies outright.
const cloneNewNS = unix.CLONE_NEWNS | unix.CLONE_NEWUTS | unix.CLONE_NEWIPC |
	unix.CLONE_NEWUSER | unix.CLONE_NEWPID | unix.CLONE_NEWNET | unix.CLONE_NEWCGROUP

// DefaultWorkerSeccomp is the table for a code worker: a process that
// computes and talks over the pipes it was given, and nothing else. It
// leaves the Go runtime working (threads are clone with CLONE_THREAD;
// mmap, futex, signals, epoll, reads and writes on open descriptors are
// untouched) and denies, each with its own errno so a failure is easy to
// read: new programs, new processes, debugging other processes, sockets,
// every way to write to the filesystem, mounts and namespaces, and the
// kernel's larger attack surfaces. It also denies, for a caller that runs
// as root without a user namespace, the syscalls that change the host.
// A new copy each call: callers may extend it.
func DefaultWorkerSeccomp() *SeccompPolicy {
	eperm := syscall.EPERM
	return &SeccompPolicy{
		DenyUnknown: true,
		Rules: []SeccompRule{
			{Why: "no new programs", Errno: eperm,
				Syscalls: []string{"execve", "execveat", "uselib"}},
			{Why: "no new processes", Errno: eperm,
				Syscalls: []string{"fork", "vfork"}},
			{Why: "clone only makes threads", Errno: eperm,
				Syscalls: []string{"clone"}, When: []ArgCond{{Arg: 0, Op: NoBitsSet, Value: unix.CLONE_THREAD}}},
			{Why: "threads get no namespaces of their own", Errno: eperm,
				Syscalls: []string{"clone"}, When: []ArgCond{{Arg: 0, Op: AnyBitsSet, Value: cloneNewNS}}},
			{Why: "clone3 keeps its flags in memory a filter cannot read; ENOSYS makes runtimes fall back to clone", Errno: syscall.ENOSYS,
				Syscalls: []string{"clone3"}},
			{Why: "no reaching into other processes", Errno: eperm,
				Syscalls: []string{"ptrace", "process_vm_readv", "process_vm_writev", "pidfd_getfd", "process_madvise", "kcmp"}},
			{Why: "no sockets: the pipes are the only way out", Errno: eperm,
				Syscalls: []string{"socket", "socketpair", "connect", "bind", "listen", "accept", "accept4"}},
			{Why: "open for reading only", Errno: eperm,
				Syscalls: []string{"open"}, When: []ArgCond{{Arg: 1, Op: AnyBitsSet, Value: openWriteFlags}}},
			{Why: "open for reading only", Errno: eperm,
				Syscalls: []string{"openat"}, When: []ArgCond{{Arg: 2, Op: AnyBitsSet, Value: openWriteFlags}}},
			{Why: "openat2 keeps its flags in memory a filter cannot read; ENOSYS makes runtimes fall back to openat", Errno: syscall.ENOSYS,
				Syscalls: []string{"openat2"}},
			{Why: "no filesystem writes", Errno: eperm,
				Syscalls: []string{
					"creat", "open_by_handle_at", "name_to_handle_at",
					"unlink", "unlinkat", "rename", "renameat", "renameat2",
					"mkdir", "mkdirat", "rmdir", "symlink", "symlinkat", "link", "linkat",
					"chmod", "fchmod", "fchmodat", "fchmodat2", "chown", "fchown", "lchown", "fchownat",
					"truncate", "ftruncate", "fallocate", "mknod", "mknodat",
					"utime", "utimes", "utimensat", "futimesat",
					"setxattr", "lsetxattr", "fsetxattr", "setxattrat",
					"removexattr", "lremovexattr", "fremovexattr", "removexattrat",
				}},
			{Why: "no mounts, no namespaces", Errno: eperm,
				Syscalls: []string{
					"mount", "umount2", "pivot_root", "chroot", "setns", "unshare",
					"open_tree", "open_tree_attr", "move_mount", "fsopen", "fsconfig", "fsmount", "fspick", "mount_setattr",
				}},
			{Why: "no large kernel attack surfaces", Errno: eperm,
				Syscalls: []string{
					"bpf", "perf_event_open", "keyctl", "add_key", "request_key", "userfaultfd",
					"io_uring_setup", "io_uring_enter", "io_uring_register",
					"kexec_load", "kexec_file_load", "init_module", "finit_module", "delete_module",
					"personality", "lookup_dcookie", "fanotify_init",
				}},
			{Why: "no changes to the host (matters when running as root without a user namespace)", Errno: eperm,
				Syscalls: []string{
					"reboot", "swapon", "swapoff", "settimeofday", "clock_settime", "clock_adjtime", "adjtimex",
					"sethostname", "setdomainname", "iopl", "ioperm", "acct", "quotactl", "quotactl_fd", "syslog", "vhangup",
				}},
			{Why: "no lowering other processes' limits", Errno: eperm,
				Syscalls: []string{"prlimit64"}, When: []ArgCond{{Arg: 0, Op: NotEqual, Value: 0}}},
			{Why: "no typing into the user's terminal", Errno: eperm,
				Syscalls: []string{"ioctl"}, When: []ArgCond{{Arg: 1, Op: Equal, Value: unix.TIOCSTI}}},
			{Why: "no typing into the user's terminal", Errno: eperm,
				Syscalls: []string{"ioctl"}, When: []ArgCond{{Arg: 1, Op: Equal, Value: unix.TIOCLINUX}}},
		},
	}
}
