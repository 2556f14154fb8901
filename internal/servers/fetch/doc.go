// Package fetch is the bundled fetch MCP server: it serves the http_fetch
// and web_search tools, with the tool names and arguments of the TypeScript
// IronCurtain's fetch server, so that policies and tool annotations written
// for that server apply unchanged. `ironcurtain serve-mcp fetch` runs it on
// stdio.
//
// Trust boundary: the server runs outside the agent's cage, behind the
// policy gateway, but every argument it receives was chosen by the agent
// and every byte it reads back was chosen by whoever controls the remote
// host (or its DNS). Both are hostile. The gateway's policy approves a URL
// by its name; this package must make sure the name cannot be used to reach
// anything the policy never saw: loopback services, the private network,
// link-local cloud metadata endpoints. So it resolves each host itself,
// refuses the request if any address the name resolves to is not public,
// and then connects to exactly the address it checked, on the first request
// and on every redirect hop. No second DNS lookup happens between check and
// connect, which is what defeats DNS rebinding.
//
// Hostile input handled here: tool arguments (strictly parsed: duplicate or
// unknown fields are errors), URLs in every spelling a resolver accepts
// (canonicalized with package resource, the same way the policy engine sees
// them), request headers (an allowlist; hop-by-hop, proxy, Host and
// credential headers are refused), redirect targets, response bodies of any
// size, content type or nesting depth, and slow servers.
//
// What it must not do: follow a proxy from the environment, forward
// arbitrary caller headers, return binary bodies, read more than the
// configured byte cap, run past the configured time limit, or report a
// failed tool call as a protocol error (failures are IsError results, so
// the agent sees them). Only cmd/ironcurtain and tests import it.
package fetch
