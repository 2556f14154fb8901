package gateway

import (
	"fmt"
	"unicode/utf8"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// DefaultResultLimit bounds what a tool result may put into the agent's
// context.
const DefaultResultLimit = 100 << 10

// limitResult keeps a result within limit bytes of content: text is cut to
// its head and tail around a marker; other content that does not fit is
// replaced by a note. It returns whether anything was cut.
func limitResult(r *mcp.CallToolResult, limit int) bool {
	if r == nil || limit <= 0 {
		return false
	}
	total := 0
	for _, c := range r.Content {
		total += contentSize(c)
	}
	if total <= limit {
		return false
	}
	budget := limit
	out := make([]mcp.Content, 0, len(r.Content))
	for _, c := range r.Content {
		size := contentSize(c)
		switch {
		case size <= budget:
			out = append(out, c)
			budget -= size
		default:
			if t, ok := c.(*mcp.TextContent); ok && budget > 200 {
				out = append(out, &mcp.TextContent{Text: headTail(t.Text, budget)})
				budget = 0
				continue
			}
			out = append(out, &mcp.TextContent{Text: fmt.Sprintf("[content of %d bytes omitted: result limit of %d bytes reached]", size, limit)})
		}
	}
	r.Content = out
	r.StructuredContent = nil // it would carry the full data past the limit
	return true
}

func contentSize(c mcp.Content) int {
	switch t := c.(type) {
	case *mcp.TextContent:
		return len(t.Text)
	case *mcp.ImageContent:
		return len(t.Data)
	case *mcp.AudioContent:
		return len(t.Data)
	case *mcp.EmbeddedResource:
		if t.Resource != nil {
			return len(t.Resource.Text) + len(t.Resource.Blob)
		}
	}
	return 64
}

// headTail keeps the first and last parts of s within budget bytes,
// splitting only on rune boundaries.
func headTail(s string, budget int) string {
	marker := fmt.Sprintf("\n[... %d bytes truncated ...]\n", len(s))
	keep := budget - len(marker)
	if keep < 0 {
		keep = 0
	}
	head := keep * 2 / 3
	tail := keep - head
	for head > 0 && !utf8.RuneStart(s[head]) {
		head--
	}
	start := len(s) - tail
	for start < len(s) && !utf8.RuneStart(s[start]) {
		start++
	}
	return s[:head] + marker + s[start:]
}
