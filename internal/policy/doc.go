// Package policy is the deterministic policy engine: given a tool call, the
// tool annotations (each argument's roles), the compiled rules and the
// session's sandbox and protected paths, it decides allow, deny or escalate
// and names the rule that decided.
//
// It sits on the trusted side of the boundary and treats every call as
// hostile: arguments are canonicalized (paths through symlinks, URLs to
// punycode hosts, identifiers lowercased) before anything is compared, and
// the canonical arguments that were checked are handed back so the caller
// forwards exactly those. Any problem on the way to a decision is a deny.
//
// It owns loading and validating compiled-policy.json, dynamic-lists.json and
// tool-annotations.json (errors name the file and JSON path; nothing loads
// half-way), the structural invariants, and the rule evaluation whose exact
// semantics docs/POLICY.md describes. It does no I/O of its own beyond path
// resolution through resource.FS and named-remote lookup through
// resource.RemoteResolver; it takes no context, keeps no global state, and an
// Engine is safe for concurrent use. It imports only the leaf packages
// resource and jsondoc, never the gateway, the CLI or anything that runs
// processes or opens sockets.
package policy
