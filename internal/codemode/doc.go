// Package codemode runs agent code: Exec starts a worker process (this
// binary re-executed under a hidden subcommand, caged by package cage),
// sends it the code, the tool list and the limits, serves the tool calls
// the script makes through the caller's ToolFunc, one at a time, and
// returns what the script returned, printed and called.
//
// It sits on the trusted side of the boundary and treats the worker as
// hostile: the worker runs agent code in a JavaScript engine that may be
// subverted, so every message it sends is checked against what an honest
// worker could send (the next call id, a known tool, an object of
// arguments, a result and console output within the limits, nothing after
// Done). A worker that sends anything else is killed and the execution
// fails with Kind "killed"; a worker that outlives the wall clock is
// killed with SIGKILL, which no script can delay. Tool results are checked
// on the way in too (valid UTF-8, within the message size), so that a
// hostile MCP server cannot break the pipe protocol.
//
// It does not decide anything: every tool call goes to Config.Call, which
// the caller points at the gateway (policy, escalation, audit). It must
// never run the agent's code in this process, and Exec leaves parsing it
// to the worker as well: esbuild and quickjs see the hostile text only
// inside the cage (package jsworker, whose Help and Signature this package
// re-exports because they only render tool schemas).
package codemode
