//go:build linux

package cage

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"syscall"

	"github.com/elastic/go-seccomp-bpf/arch"
	"golang.org/x/sys/unix"
)

// probePath cannot be executed anywhere: a path through /dev/null fails
// with ENOTDIR. Creating a child that tries to run it tests everything
// Start does up to exec (clone flags, id maps, process group) and nothing
// more.
const probePath = "/dev/null/ironcurtain-cage-probe"

// tryNamespaces creates and discards a child with ns, as Start would.
func tryNamespaces(ns Namespaces) error {
	pid, err := syscall.ForkExec(probePath, []string{probePath}, &syscall.ProcAttr{
		Dir: "/",
		Env: []string{},
		Sys: sysProcAttr(ns),
	})
	if err == nil {
		// Cannot happen; if it did, the child ran: reap it.
		var ws syscall.WaitStatus
		_, _ = syscall.Wait4(pid, &ws, 0, nil)
		return nil
	}
	if errors.Is(err, syscall.ENOTDIR) {
		return nil
	}
	return err
}

// Probe reports what this machine offers the cage, without locking the
// caller down: each namespace (as Start would get it, trying real
// children), seccomp, Landlock, no_new_privs, capability dropping and the
// current rlimits. It creates short-lived children that exec nothing.
func Probe() Report {
	var r Report
	best, err := withFallback(AllNamespaces(), tryNamespaces)
	for _, k := range nsKinds {
		name := "ns." + k.name
		if err != nil {
			r.add(name, false, "no child could be created: "+err.Error())
			continue
		}
		if *k.get(&best) {
			r.add(name, true, "a child gets its own "+k.name+" namespace")
			continue
		}
		with := best
		*k.get(&with) = true
		detail := "the kernel refuses it"
		if terr := tryNamespaces(with); terr != nil {
			detail += ": " + terr.Error()
		}
		r.add(name, false, detail)
	}
	if err := seccompAvailable(); err != nil {
		r.add("seccomp", false, err.Error())
	} else if a, err := arch.GetInfo(""); err != nil {
		r.add("seccomp", false, "no syscall table for "+runtime.GOARCH)
	} else {
		r.add("seccomp", true, fmt.Sprintf("filters with errno and kill-process actions, synchronized across threads; %s table up to syscall %d", a.Name, maxSyscall(a)))
	}
	if v := landlockABI(); v < 1 {
		r.add("landlock", false, "the kernel has no Landlock (not built in or not enabled at boot)")
	} else {
		r.add("landlock", true, landlockDetail(v))
	}
	if nnp, err := unix.PrctlRetInt(unix.PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0); err != nil {
		r.add("no_new_privs", false, "prctl(PR_GET_NO_NEW_PRIVS): "+err.Error())
	} else {
		r.add("no_new_privs", true, fmt.Sprintf("available (this process: %d)", nnp))
	}
	if eff, err := effectiveCaps(); err != nil {
		r.add("capabilities", false, err.Error())
	} else {
		r.add("capabilities", true, fmt.Sprintf("can be dropped (this process holds %#x)", eff))
	}
	for _, k := range rlimitKinds {
		var cur syscall.Rlimit
		if err := syscall.Getrlimit(k.resource, &cur); err != nil {
			r.add(k.name, false, err.Error())
			continue
		}
		r.add(k.name, true, fmt.Sprintf("can be lowered (now soft %s, hard %s)", limitString(cur.Cur), limitString(cur.Max)))
	}
	return r
}

func limitString(v uint64) string {
	if v == unix.RLIM_INFINITY {
		return "unlimited"
	}
	return fmt.Sprint(v)
}

// nsInode returns the inode of a namespace of pid ("self" or a number).
func nsInode(pid, kind string) (uint64, error) {
	fi, err := os.Stat("/proc/" + pid + "/ns/" + kind)
	if err != nil {
		return 0, err
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, fmt.Errorf("stat %s namespace: no inode", kind)
	}
	return st.Ino, nil
}

// CheckNamespaces compares the child's namespaces with the parent's, from
// the outside (through /proc), so a compromised child cannot lie about
// them. Call it while the child runs; each item is applied when the
// namespace differs from the parent's.
func (p *Process) CheckNamespaces() Report {
	var r Report
	// Held so the pid is the child's: it is not reaped while mu is held
	// and exited is false.
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.exited {
		for _, k := range nsKinds {
			r.add("ns."+k.name, false, "the child has exited")
		}
		return r
	}
	child := fmt.Sprint(p.pid)
	for _, k := range nsKinds {
		name := "ns." + k.name
		mine, err := nsInode("self", k.name)
		if err != nil {
			r.add(name, false, "parent: "+err.Error())
			continue
		}
		theirs, err := nsInode(child, k.name)
		if err != nil {
			r.add(name, false, "child: "+err.Error())
			continue
		}
		if mine == theirs {
			r.add(name, false, fmt.Sprintf("shared with the parent (inode %d)", mine))
			continue
		}
		r.add(name, true, fmt.Sprintf("own namespace (inode %d, parent %d)", theirs, mine))
	}
	return r
}
