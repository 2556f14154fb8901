// Package resource owns the canonical forms of everything a policy
// decision compares: filesystem paths, URLs, hosts, allowlist patterns, git
// remotes, identifiers and email addresses.
//
// The policy engine never compares raw argument strings. It canonicalizes
// each argument here first, so that every spelling of one resource (a path
// through a symlink, a host in fullwidth letters or as 0x7f.1, a remote
// given by name) reaches the rules in one form, and two different resources
// never share a form.
//
// The package is on the trusted side of the boundary, but every string it
// is handed was chosen by the agent being confined and must be treated as
// hostile. Hence it fails closed: anything ambiguous, malformed or merely
// unusual in a way that two parsers could read differently is an error,
// and callers turn errors into deny. A rejected legitimate input costs a
// retry; an accepted ambiguous one can cost the sandbox.
//
// It performs no network access and runs no processes (resolving a named
// git remote is delegated through RemoteResolver), and imports nothing else
// from this module, so it can be audited and fuzzed in isolation;
// deps_test.go enforces this. The only filesystem access is Lstat and
// Readlink through the FS interface.
package resource
