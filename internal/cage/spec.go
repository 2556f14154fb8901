package cage

import (
	"io"
	"strconv"
	"strings"
	"time"
)

// Spec is what to run in a cage and how the parent holds it.
type Spec struct {
	// Path is the absolute path of the program, usually os.Executable().
	// It is never looked up in PATH: the child has no environment and the
	// parent's PATH is not a trusted input.
	Path string
	// Args is the full argument list, Args[0] included; nil means
	// []string{Path}.
	Args []string
	// Stdin, Stdout and Stderr are the child's only descriptors (0, 1, 2).
	// An *os.File is handed over as is; anything else goes through a pipe
	// the parent copies. nil means /dev/null. Every other descriptor of the
	// parent is made close-on-exec before the child is created.
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	// Namespaces are the ones to ask for. Start drops those the kernel
	// refuses and Process.Applied says which it got; a caller that needs
	// one checks there.
	Namespaces Namespaces
	// Timeout is the hard wall clock from the moment the child starts:
	// when it passes, the parent sends SIGKILL to the child and its process
	// group. Zero means no wall clock (the context still ends the child);
	// negative is an error.
	Timeout time.Duration
}

// Namespaces says which Linux namespaces a child gets of its own.
type Namespaces struct {
	User  bool // its own uids and capabilities; the parent's uid and gid are 0 there
	Mount bool
	// PID makes the child pid 1 of its own tree: when it dies, everything
	// it started dies. It needs User and Mount too; without them Start
	// leaves it out.
	PID bool
	IPC bool
	Net bool // only a loopback interface, down: no network at all
	UTS bool
}

// AllNamespaces asks for every namespace the cage knows.
func AllNamespaces() Namespaces {
	return Namespaces{User: true, Mount: true, PID: true, IPC: true, Net: true, UTS: true}
}

// nsKinds lists the namespaces in the order Start gives them up: the
// network namespace last, because it alone keeps the child off the
// network; the user namespace next, because without it a root parent's
// child keeps root's capabilities on the host.
var nsKinds = []struct {
	name string // as in /proc/self/ns and in report item names ("ns.net")
	get  func(*Namespaces) *bool
}{
	{"net", func(n *Namespaces) *bool { return &n.Net }},
	{"user", func(n *Namespaces) *bool { return &n.User }},
	{"mnt", func(n *Namespaces) *bool { return &n.Mount }},
	{"pid", func(n *Namespaces) *bool { return &n.PID }},
	{"ipc", func(n *Namespaces) *bool { return &n.IPC }},
	{"uts", func(n *Namespaces) *bool { return &n.UTS }},
}

// mask packs n with the most important namespace in the highest bit, so
// that counting down over submasks tries the sets Start prefers first.
func (n Namespaces) mask() uint {
	var m uint
	for i, k := range nsKinds {
		if *k.get(&n) {
			m |= 1 << (len(nsKinds) - 1 - i)
		}
	}
	return m
}

func namespacesFromMask(m uint) Namespaces {
	var n Namespaces
	for i, k := range nsKinds {
		*k.get(&n) = m&(1<<(len(nsKinds)-1-i)) != 0
	}
	return n
}

// candidates lists the subsets of n Start may try, best first: all sets
// that keep the network namespace come before any that lose it, and so on
// down nsKinds. A PID namespace comes only with user and mount namespaces:
// the child must mount a /proc that matches it (see Lockdown.Apply), and
// may only do so in a mount namespace of its own, as root of its own user
// namespace.
func candidates(n Namespaces) []Namespaces {
	req := n.mask()
	var out []Namespaces
	for m := req; ; m = (m - 1) & req {
		ns := namespacesFromMask(m)
		if !ns.PID || ns.User && ns.Mount {
			out = append(out, ns)
		}
		if m == 0 {
			return out
		}
	}
}

// String lists the namespaces set, as in /proc/self/ns ("net,user,mnt"),
// or "none".
func (n Namespaces) String() string {
	var names []string
	for _, k := range nsKinds {
		if *k.get(&n) {
			names = append(names, k.name)
		}
	}
	if len(names) == 0 {
		return "none"
	}
	return strings.Join(names, ",")
}

// Exit is how a caged child ended.
type Exit struct {
	Code     int    // exit status; -1 when a signal ended it
	Signal   string // "SIGKILL" and so on when a signal ended it, else ""
	TimedOut bool   // the parent killed it because Spec.Timeout passed
	Killed   bool   // the parent killed it because of Kill or the context
}

// String describes the exit in a few words for a one-line error.
func (e Exit) String() string {
	switch {
	case e.TimedOut:
		return "killed: wall-clock timeout"
	case e.Killed:
		return "killed by the parent"
	case e.Signal != "":
		return "killed by " + e.Signal
	default:
		return "exit status " + strconv.Itoa(e.Code)
	}
}
