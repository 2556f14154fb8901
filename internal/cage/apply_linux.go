//go:build linux

package cage

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"runtime"
	"strings"
	"syscall"
	"unsafe"

	"github.com/elastic/go-seccomp-bpf/arch"
	"github.com/landlock-lsm/go-landlock/landlock"
	ll "github.com/landlock-lsm/go-landlock/landlock/syscall"
	"golang.org/x/net/bpf"
	"golang.org/x/sys/unix"
	"kernel.org/pub/linux/libs/security/libcap/psx"
)

// Apply locks the calling process down, layer by layer, and reports each
// layer. Call it first thing in the child's main, before reading any
// untrusted input; after an error the process must exit, since some
// layers may be in force and others not. A layer the kernel lacks
// (Landlock, seccomp, an architecture without a syscall table) is
// reported as not applied and is not an error; the caller decides whether
// to go on without it.
//
// The order matters: limits and capabilities first, while the process may
// still change them; then Landlock, whose own syscalls the seccomp table
// might deny; seccomp last.
func (l Lockdown) Apply() (Report, error) {
	var r Report
	if err := l.applyRlimits(&r); err != nil {
		return r, err
	}
	if l.DropCapabilities || l.NoNewPrivs || l.Landlock && landlockABI() < 8 {
		// These go through psx, which needs a /proc that lists this
		// process's threads.
		mounted, err := fixProc()
		if err != nil {
			return r, fmt.Errorf("cage: %w", err)
		}
		if mounted {
			r.add("proc", true, "mounted a /proc for the PID namespace")
		}
	}
	if !l.DropCapabilities {
		r.add("capabilities", false, "not requested")
	} else {
		detail, err := dropCapabilities()
		if err != nil {
			return r, fmt.Errorf("cage: drop capabilities: %w", err)
		}
		r.add("capabilities", true, detail)
	}
	if !l.NoNewPrivs {
		r.add("no_new_privs", false, "not requested (Landlock and seccomp set it anyway)")
	} else {
		if err := ll.AllThreadsPrctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
			return r, fmt.Errorf("cage: no_new_privs: %w", err)
		}
		r.add("no_new_privs", true, "set on every thread")
	}
	if !l.Landlock {
		r.add("landlock", false, "not requested")
	} else if err := applyLandlock(&r); err != nil {
		return r, err
	}
	if l.Seccomp == nil {
		r.add("seccomp", false, "not requested")
	} else if err := applySeccomp(&r, l.Seccomp); err != nil {
		return r, err
	}
	return r, nil
}

var rlimitKinds = []struct {
	name     string
	resource int
	get      func(Rlimits) uint64
}{
	{"rlimit.as", unix.RLIMIT_AS, func(r Rlimits) uint64 { return r.AddressSpace }},
	{"rlimit.cpu", unix.RLIMIT_CPU, func(r Rlimits) uint64 { return r.CPUSeconds }},
	{"rlimit.nofile", unix.RLIMIT_NOFILE, func(r Rlimits) uint64 { return r.OpenFiles }},
	{"rlimit.nproc", unix.RLIMIT_NPROC, func(r Rlimits) uint64 { return r.Processes }},
}

func (l Lockdown) applyRlimits(r *Report) error {
	for _, k := range rlimitKinds {
		want := k.get(l.Rlimits)
		if want == 0 {
			r.add(k.name, false, "not requested")
			continue
		}
		var cur syscall.Rlimit
		if err := syscall.Getrlimit(k.resource, &cur); err != nil {
			return fmt.Errorf("cage: %s: %w", k.name, err)
		}
		v := min(want, cur.Max)
		// syscall.Setrlimit, not unix: for RLIMIT_NOFILE it also keeps
		// the Go runtime from restoring a larger limit for children.
		if err := syscall.Setrlimit(k.resource, &syscall.Rlimit{Cur: v, Max: v}); err != nil {
			return fmt.Errorf("cage: %s = %d: %w", k.name, v, err)
		}
		detail := fmt.Sprintf("soft and hard %d", v)
		if v < want {
			detail += fmt.Sprintf(" (the hard limit was already below the %d asked)", want)
		}
		r.add(k.name, true, detail)
	}
	return nil
}

// dropCapabilities empties every capability set on every thread:
// capabilities are per thread in Linux, and the Go runtime runs on many,
// so each call goes through psx, which runs it on all of them.
func dropCapabilities() (string, error) {
	eff, err := effectiveCaps()
	if err != nil {
		return "", err
	}
	bounding := "bounding set kept (no CAP_SETPCAP; no_new_privs and the exec ban make it moot)"
	if eff&(1<<unix.CAP_SETPCAP) != 0 {
		n := 0
		for c := 0; ; c++ {
			err := ll.AllThreadsPrctl(unix.PR_CAPBSET_DROP, uintptr(c), 0, 0, 0)
			if errors.Is(err, unix.EINVAL) {
				break // past the kernel's last capability
			}
			if err != nil {
				return "", fmt.Errorf("bounding set, capability %d: %w", c, err)
			}
			n++
		}
		bounding = fmt.Sprintf("bounding set emptied (%d capabilities)", n)
	}
	if err := ll.AllThreadsPrctl(unix.PR_CAP_AMBIENT, unix.PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0); err != nil && !errors.Is(err, unix.EINVAL) {
		return "", fmt.Errorf("ambient set: %w", err)
	}
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	var data [2]unix.CapUserData
	if _, _, e := psx.Syscall3(unix.SYS_CAPSET, uintptr(unsafe.Pointer(&hdr)), uintptr(unsafe.Pointer(&data[0])), 0); e != 0 {
		return "", fmt.Errorf("capset: %w", e)
	}
	if err := checkThreadCaps(); err != nil {
		return "", err
	}
	return "effective, permitted, inheritable and ambient sets empty; " + bounding, nil
}

// checkThreadCaps reads every thread's effective set from /proc: psx
// reports the first thread's result, and a thread that kept a capability
// would hand it to every thread it starts.
func checkThreadCaps() error {
	tasks, err := os.ReadDir("/proc/self/task")
	if err != nil {
		return fmt.Errorf("list threads: %w", err)
	}
	for _, t := range tasks {
		b, err := os.ReadFile("/proc/self/task/" + t.Name() + "/status")
		if errors.Is(err, fs.ErrNotExist) {
			continue // the thread has exited
		}
		if err != nil {
			return fmt.Errorf("thread %s: %w", t.Name(), err)
		}
		eff := ""
		for _, line := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(line, "CapEff:"); ok {
				eff = strings.TrimSpace(v)
			}
		}
		if strings.Trim(eff, "0") != "" || eff == "" {
			return fmt.Errorf("thread %s still has capabilities %q after capset", t.Name(), eff)
		}
	}
	return nil
}

func effectiveCaps() (uint64, error) {
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	var data [2]unix.CapUserData
	if err := unix.Capget(&hdr, &data[0]); err != nil {
		return 0, fmt.Errorf("capget: %w", err)
	}
	return uint64(data[0].Effective) | uint64(data[1].Effective)<<32, nil
}

func landlockABI() int {
	v, err := ll.LandlockGetABIVersion()
	if err != nil {
		return 0
	}
	return v
}

// landlockDetail says what a ruleset with no rules takes away at ABI v.
func landlockDetail(v int) string {
	d := fmt.Sprintf("ABI %d: no filesystem access", v)
	if v >= 4 {
		d += ", no TCP bind or connect"
	}
	if v >= 10 {
		d += ", no UDP"
	}
	if v >= 6 {
		d += ", no signals or abstract Unix sockets outside the domain"
	}
	return d
}

func applyLandlock(r *Report) error {
	v := landlockABI()
	if v < 1 {
		r.add("landlock", false, "the kernel has no Landlock (not built in or not enabled at boot)")
		return nil
	}
	// The newest configuration go-landlock knows, downgraded to what the
	// kernel has; no rules means nothing is allowed.
	if err := landlock.V11.BestEffort().Restrict(); err != nil {
		return fmt.Errorf("cage: landlock: %w", err)
	}
	r.add("landlock", true, landlockDetail(v))
	return nil
}

// seccompAvailable reports whether the kernel takes filters that return
// errnos and kill the process.
func seccompAvailable() error {
	if _, err := unix.PrctlRetInt(unix.PR_GET_SECCOMP, 0, 0, 0, 0); err != nil {
		return fmt.Errorf("prctl(PR_GET_SECCOMP): %w", err)
	}
	for _, action := range []uint32{retErrno, retKillProcess} {
		a := action
		if _, _, e := unix.Syscall(unix.SYS_SECCOMP, unix.SECCOMP_GET_ACTION_AVAIL, 0, uintptr(unsafe.Pointer(&a))); e != 0 {
			return fmt.Errorf("seccomp action %#x: %w", action, e)
		}
	}
	return nil
}

func applySeccomp(r *Report, p *SeccompPolicy) error {
	if err := seccompAvailable(); err != nil {
		r.add("seccomp", false, "the kernel has no seccomp filters: "+err.Error())
		return nil
	}
	a, err := arch.GetInfo("")
	if err != nil {
		r.add("seccomp", false, "no syscall table for "+runtime.GOARCH)
		return nil
	}
	prog, err := p.compile(a)
	if err != nil {
		return fmt.Errorf("cage: %w", err)
	}
	if err := loadFilter(prog); err != nil {
		return fmt.Errorf("cage: seccomp: %w", err)
	}
	detail := fmt.Sprintf("%d syscalls denied by %d rules on %s, on every thread", p.deniedCount(a), len(p.Rules), a.Name)
	if p.DenyUnknown {
		detail += fmt.Sprintf("; syscalls above %d fail with ENOSYS", maxSyscall(a))
	}
	r.add("seccomp", true, detail)
	return nil
}

// loadFilter installs prog on every thread. no_new_privs is set on this
// thread first (the kernel requires it without CAP_SYS_ADMIN); TSYNC then
// carries both the filter and no_new_privs to the other threads.
func loadFilter(prog []bpf.Instruction) error {
	raw, err := bpf.Assemble(prog)
	if err != nil {
		return fmt.Errorf("assemble: %w", err)
	}
	filter := make([]unix.SockFilter, len(raw))
	for i, in := range raw {
		filter[i] = unix.SockFilter{Code: in.Op, Jt: in.Jt, Jf: in.Jf, K: in.K}
	}
	fprog := unix.SockFprog{Len: uint16(len(filter)), Filter: &filter[0]}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
		return fmt.Errorf("no_new_privs: %w", err)
	}
	r1, _, e := unix.Syscall(unix.SYS_SECCOMP, unix.SECCOMP_SET_MODE_FILTER, unix.SECCOMP_FILTER_FLAG_TSYNC, uintptr(unsafe.Pointer(&fprog)))
	runtime.KeepAlive(filter)
	if e != 0 {
		return fmt.Errorf("seccomp(SET_MODE_FILTER, TSYNC): %w", e)
	}
	if r1 != 0 {
		return fmt.Errorf("seccomp TSYNC: thread %d could not be synchronized", r1)
	}
	return nil
}
