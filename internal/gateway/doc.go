// Package gateway is the trusted tool-call pipeline and the MCP client
// manager around it: it starts and supervises the configured MCP servers,
// aggregates their tools, and routes every call through schema validation,
// the policy engine, escalation, a circuit breaker, forwarding of the
// canonical arguments, a result size limit and the audit log — in that
// order, each a named stage. It also serves the policed tool set to outside
// MCP clients over stdio, a Unix socket or streamable HTTP. On stdio and
// sockets, tool calls skip the SDK's message decoding in both directions
// (fastpath.go, childconn.go) but never its judgement of what a
// well-formed, acceptable call is.
//
// It sits on the trusted side. Everything that arrives from a client (the
// agent) is hostile: JSON-RPC framing, sizes, tool names, arguments. What
// servers send back is untrusted too (a server may be compromised): tool
// schemas are checked before they are registered, results are bounded.
//
// It decides nothing itself: decisions come from the policy engine, human
// answers from the escalation broker, records go to the audit log; it sees
// them through small interfaces declared here. Any error on the way to a
// decision is a deny. It must not hold a lock while a human is asked.
package gateway
