package filesystem

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// timeFormat is RFC 3339 in UTC: unambiguous and independent of the
// server's locale, unlike the JavaScript date strings of the reference
// server.
const timeFormat = time.RFC3339

func (s *Server) getFileInfo(ctx context.Context, raw json.RawMessage) (*mcp.CallToolResult, error) {
	p, err := decodePath(raw)
	if err != nil {
		return nil, err
	}
	rd, rel, err := s.resolve(p)
	if err != nil {
		return nil, err
	}
	fi, err := rd.root.Stat(rel)
	if err != nil {
		return nil, opError("stat", p, err)
	}
	t := fileTimes(fi)
	created := "unknown"
	// Birth time needs the file open (statx on the descriptor), and only
	// directories and regular files are safe to open.
	if fi.IsDir() || fi.Mode().IsRegular() {
		if b, ok := birthTime(rd, rel); ok {
			created = b.UTC().Format(timeFormat)
		}
	}
	var sb strings.Builder
	fmt.Fprintf(&sb, "size: %d\n", fi.Size())
	fmt.Fprintf(&sb, "created: %s\n", created)
	fmt.Fprintf(&sb, "modified: %s\n", fi.ModTime().UTC().Format(timeFormat))
	fmt.Fprintf(&sb, "accessed: %s\n", t.accessed.UTC().Format(timeFormat))
	fmt.Fprintf(&sb, "isDirectory: %t\n", fi.IsDir())
	fmt.Fprintf(&sb, "isFile: %t\n", fi.Mode().IsRegular())
	fmt.Fprintf(&sb, "permissions: %03o", fi.Mode().Perm())
	return textResult(sb.String()), nil
}

func (s *Server) listAllowedDirectories(ctx context.Context, raw json.RawMessage) (*mcp.CallToolResult, error) {
	var none struct{}
	if err := decodeArgs(raw, &none); err != nil {
		return nil, err
	}
	roots := s.roots()
	names := make([]string, len(roots))
	for i, rd := range roots {
		names[i] = rd.display
	}
	return textResult("Allowed directories:\n" + strings.Join(names, "\n")), nil
}
