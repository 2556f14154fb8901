package fetch

import (
	"context"
	"fmt"
	"strconv"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// maxSearchOutput bounds web_search's text, in characters.
const maxSearchOutput = 20000

// handleSearch serves web_search. There is no built-in search backend: the
// configured SearchURL is queried like any fetch (the SSRF checks apply)
// and its answer is returned as text.
func (f *fetcher) handleSearch(ctx context.Context, req *mcp.CallToolRequest) (*mcp.CallToolResult, error) {
	if f.s.searchURL == nil {
		return toolError("web search is not configured"), nil
	}
	if req == nil || req.Params == nil {
		return toolError("web_search: missing call parameters"), nil
	}
	args, err := parseSearchArgs(req.Params.Arguments)
	if err != nil {
		return toolError(oneLine(err.Error())), nil
	}
	text, err := f.search(ctx, args)
	if err != nil {
		return toolError(err.Error()), nil
	}
	return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: text}}}, nil
}

func (f *fetcher) search(ctx context.Context, a searchArgs) (string, error) {
	u := *f.s.searchURL
	q := u.Query()
	q.Set("q", a.Query)
	q.Set("max_results", strconv.Itoa(a.MaxResults))
	u.RawQuery = q.Encode()
	h, err := requestHeaders(nil, f.s.userAgent)
	if err != nil {
		return "", fmt.Errorf("web_search: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, f.s.timeout)
	defer cancel()
	r, err := f.get(ctx, &u, h)
	if err != nil {
		msg := describeError(ctx, err, f.s.timeout)
		f.s.log.Info("web_search failed", "reason", msg)
		return "", fmt.Errorf("web_search: %s", msg)
	}
	if r.code < 200 || r.code > 299 {
		return "", fmt.Errorf("web_search: the search service answered %s", oneLine(r.status))
	}
	return r.render(formatMarkdown, maxSearchOutput), nil
}
