// Package cage locks a child process away from the host. It is mechanism
// only: the caller says which namespaces to ask for, which rlimits to set
// and which syscalls to deny; the tables that say so live beside the code
// they protect (codemode, servers/*), except DefaultWorkerSeccomp, the
// table for a code worker, kept here so it is tested with the filter
// compiler.
//
// It has two halves, one on each side of the trust boundary:
//
//   - Start runs in the trusted parent. It re-executes a binary with an
//     empty environment, no inherited descriptors beyond stdin, stdout and
//     stderr, its own process group, SIGKILL on the parent's death, the
//     namespaces the kernel grants (falling back when it refuses one, and
//     saying which were applied), and a hard wall clock enforced by the
//     parent with SIGKILL, which the child cannot catch or delay.
//   - Lockdown.Apply runs in the child, first thing, before it reads any
//     untrusted input: rlimits, capabilities dropped, no_new_privs,
//     Landlock with no filesystem access, and a seccomp filter. After it
//     returns the process can only compute and talk over the descriptors
//     it already has. Capabilities, no_new_privs and (before Landlock ABI
//     8) Landlock are per thread, so they go through psx, which finds the
//     threads in /proc; in a PID namespace Apply first mounts a /proc of
//     its own (as root of its own user namespace, in its own mount
//     namespace, and nowhere else), because the parent's would name
//     another process.
//
// Hostile input: everything the child does after Apply, and everything it
// says. DecodeReport reads a report a caged child printed; it is bounded
// and strict because a compromised child wrote it. The parent never learns
// anything about the cage from the child that it could check itself
// (Process.CheckNamespaces reads /proc of the child from outside).
//
// What it must not do: loosen anything because of the environment or a
// file; hand the child a descriptor, a variable or a capability it did not
// ask for; report a layer as applied that was not; treat a kernel refusal
// of a layer the kernel supports as anything but an error (a layer the
// kernel lacks is reported, and the caller decides whether to go on).
//
// Layers lean on each other: the seccomp table denies process creation,
// so the PID namespace and process-group kill are for the case where it
// fails; Landlock's signal scope and the PID namespace keep a child from
// signalling host processes, which the seccomp table does not try to do.
//
// Linux only; on other systems Start and Apply return errors and Probe
// reports nothing available.
package cage
