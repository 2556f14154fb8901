// Package filesystem is the bundled filesystem MCP server, served by
// `ironcurtain serve-mcp filesystem`. It offers the same tools, with the
// same names and arguments, as the widely used reference filesystem
// server, so policies compiled for that server apply unchanged.
//
// It owns one promise: no tool call reads, writes, lists or renames
// anything outside the server's roots. The roots are the directories in
// Config plus the directories the MCP client announces as roots during the
// session. Every access goes through an os.Root opened on one of them, so
// the kernel-level resolution of symlinks and ".." is confined to the root
// even if the policy in front of the server were wrong. The lexical check
// that picks the root is only routing; the os.Root is the enforcement.
//
// The server runs inside its own cage on the far side of the gateway: it
// is not trusted by the gateway, and it trusts nothing it is sent. Tool
// arguments are hostile (they were chosen by the confined agent, even if
// a policy let them through), and so is everything already inside the
// roots: the agent can have planted symlinks, FIFOs, device nodes, huge
// files or deep trees there. Client-announced roots are treated as
// requests, not facts: only absolute file:// URIs naming existing
// directories are opened.
//
// It must not touch a path by name outside an os.Root (no os.Open,
// os.Stat, filepath.Walk on tool arguments), follow a symlink out of a
// root, block on a FIFO or device, read unbounded amounts into memory, or
// let a tool failure become a protocol error or a panic. A failure is a
// CallToolResult with IsError set and a one-line message.
//
// Only cmd/ironcurtain (serve-mcp) and tests import it.
package filesystem
