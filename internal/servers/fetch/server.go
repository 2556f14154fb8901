package fetch

import (
	"context"
	"fmt"
	"strings"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// ServerName is the MCP implementation name the server reports.
const ServerName = "ironcurtain-fetch"

// New returns an MCP server with http_fetch and web_search registered,
// ready to Run on a transport. It fails only on an invalid Config.
func New(cfg Config) (*mcp.Server, error) {
	s, err := cfg.settings()
	if err != nil {
		return nil, err
	}
	if s.allowPrivate {
		s.log.Warn("*** fetch: SSRF checks disabled by InsecureAllowPrivate: loopback, private and metadata addresses are reachable")
	}
	f := newFetcher(s)
	srv := mcp.NewServer(&mcp.Implementation{Name: ServerName, Version: "0.1"}, &mcp.ServerOptions{Logger: s.log})
	srv.AddTool(fetchTool(), f.handleFetch)
	srv.AddTool(searchTool(), f.handleSearch)
	return srv, nil
}

// handleFetch serves http_fetch. Every failure is an IsError result: a
// protocol error would hide the reason from the agent.
func (f *fetcher) handleFetch(ctx context.Context, req *mcp.CallToolRequest) (*mcp.CallToolResult, error) {
	if req == nil || req.Params == nil {
		return toolError("http_fetch: missing call parameters"), nil
	}
	args, err := parseFetchArgs(req.Params.Arguments)
	if err != nil {
		return toolError(oneLine(err.Error())), nil
	}
	text, err := f.fetch(ctx, args)
	if err != nil {
		return toolError(err.Error()), nil
	}
	return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: text}}}, nil
}

// fetch runs one http_fetch call; its error is already the one line the
// agent sees.
func (f *fetcher) fetch(ctx context.Context, a fetchArgs) (string, error) {
	u, err := checkURL(a.URL)
	if err != nil {
		return "", fmt.Errorf("http_fetch: %s", strings.TrimPrefix(oneLine(err.Error()), "resource: "))
	}
	h, err := requestHeaders(a.Headers, f.s.userAgent)
	if err != nil {
		return "", fmt.Errorf("http_fetch: %w", err)
	}
	timeout := f.s.timeout
	if a.Timeout > 0 && a.Timeout < timeout {
		timeout = a.Timeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	r, err := f.get(ctx, u, h)
	if err != nil {
		msg := describeError(ctx, err, timeout)
		f.s.log.Info("http_fetch failed", "url", u.Redacted(), "reason", msg)
		return "", fmt.Errorf("http_fetch %s: %s", u.Redacted(), msg)
	}
	return r.render(a.Format, a.MaxLength), nil
}

func toolError(msg string) *mcp.CallToolResult {
	return &mcp.CallToolResult{
		IsError: true,
		Content: []mcp.Content{&mcp.TextContent{Text: msg}},
	}
}
