//lint:file-ignore SA1019 MCP roots are deprecated from protocol version 2026-07-28, but they are how a root-confined filesystem server (ours and the reference one) learns of directories a person approved; nothing replaces them for servers speaking earlier versions.

package gateway

import "github.com/modelcontextprotocol/go-sdk/mcp"

// announceRoots tells every connected (and future) server that dirs are
// roots, as file:// URIs.
func announceRoots(c *mcp.Client, dirs []string) {
	if len(dirs) == 0 {
		return
	}
	roots := make([]*mcp.Root, 0, len(dirs))
	for _, d := range dirs {
		roots = append(roots, &mcp.Root{URI: "file://" + d, Name: d})
	}
	c.AddRoots(roots...)
}
