package cage

import (
	"fmt"
	"syscall"
)

// Lockdown is what a caged child does to itself before it reads any
// untrusted input. The zero value does nothing; each field asks for one
// layer.
type Lockdown struct {
	// Rlimits are lowered, never raised: soft and hard are both set to
	// the asked value, or kept at the current hard limit when that is
	// already lower.
	Rlimits Rlimits
	// DropCapabilities empties the effective, permitted, inheritable and
	// ambient sets on every thread, and the bounding set where the process
	// may change it. A child in its own user namespace whose uid is 0
	// there (a root parent's child) would otherwise keep every capability
	// over that namespace.
	DropCapabilities bool
	// NoNewPrivs sets no_new_privs on every thread: no exec can ever gain
	// privileges again. Landlock and Seccomp set it too, because the
	// kernel requires it of an unprivileged process.
	NoNewPrivs bool
	// Landlock takes away all filesystem access (no rules: nothing is
	// allowed, reads included), TCP bind and connect where the kernel's
	// Landlock ABI has them (4+), and signals and abstract Unix sockets
	// reaching outside the domain (6+). A kernel without Landlock is
	// reported, not an error.
	Landlock bool
	// Seccomp is the syscall table to enforce on every thread; nil means
	// none.
	Seccomp *SeccompPolicy
}

// Rlimits are resource limits; zero leaves that limit alone.
type Rlimits struct {
	AddressSpace uint64 // bytes of virtual memory (RLIMIT_AS)
	CPUSeconds   uint64 // CPU time; at the limit the kernel sends SIGKILL (RLIMIT_CPU)
	OpenFiles    uint64 // highest descriptor number plus one (RLIMIT_NOFILE)
	// Processes is RLIMIT_NPROC. It counts threads as well as processes,
	// so it must leave room for the Go runtime's threads; the kernel does
	// not enforce it for a process that is root on the host (root in a
	// user namespace, mapped to another uid, is held to it).
	Processes uint64
}

// SeccompPolicy is a declarative syscall table: everything is allowed
// except what a rule denies. Rules are tried in order; the first that
// matches decides the errno. Beyond the rules, the compiled filter always
// kills the process on a syscall made through another architecture's
// calling convention (32-bit syscalls on x86-64, x32), which would
// otherwise walk around any table.
type SeccompPolicy struct {
	Rules []SeccompRule
	// DenyUnknown makes every syscall numbered above the newest one in
	// this package's table for the running architecture fail with ENOSYS,
	// so that syscalls added to the kernel later are denied rather than
	// allowed by a table that never heard of them.
	DenyUnknown bool
}

// SeccompRule denies some syscalls, always or when their arguments match.
type SeccompRule struct {
	// Why is the reason, for reports and the reader of the table.
	Why string
	// Syscalls are kernel names ("openat"). A name the running
	// architecture does not have is skipped (it cannot be called); a name
	// no architecture has is an error.
	Syscalls []string
	// Errno is what the denied call returns, 1 to 4095.
	Errno syscall.Errno
	// When lists conditions that must all hold for the rule to match;
	// none means always.
	When []ArgCond
}

// ArgCond is a condition on one syscall argument. It looks at the low 32
// bits only: the kernel reads int and unsigned int arguments (open flags,
// ioctl requests, pids) from them, so garbage in the high half cannot
// dodge a rule; every clone flag a rule needs lives there too.
type ArgCond struct {
	Arg   int // 0 to 5
	Op    CondOp
	Value uint32
}

// CondOp compares an argument with ArgCond.Value.
type CondOp uint8

// The comparisons a rule can make.
const (
	Equal      CondOp = iota + 1 // arg == Value
	NotEqual                     // arg != Value
	AnyBitsSet                   // arg & Value != 0
	NoBitsSet                    // arg & Value == 0
)

func (c ArgCond) String() string {
	switch c.Op {
	case Equal:
		return fmt.Sprintf("arg%d == %#x", c.Arg, c.Value)
	case NotEqual:
		return fmt.Sprintf("arg%d != %#x", c.Arg, c.Value)
	case AnyBitsSet:
		return fmt.Sprintf("arg%d & %#x != 0", c.Arg, c.Value)
	case NoBitsSet:
		return fmt.Sprintf("arg%d & %#x == 0", c.Arg, c.Value)
	}
	return fmt.Sprintf("arg%d op%d %#x", c.Arg, uint8(c.Op), c.Value)
}
