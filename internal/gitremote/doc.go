// Package gitremote resolves named git remotes by running git, for
// resource.ParseGitRemote.
//
// It is split from package resource because it executes a process: the
// canonicalization package must stay free of process execution so it can
// be audited and fuzzed on its own. What git prints here is still
// untrusted (the agent can edit the repository's config), which is why
// the result goes back through resource.ParseGitRemote rather than being
// used directly.
package gitremote
