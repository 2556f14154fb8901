package gateway

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/ironcurtain/ironcurtain-go/internal/config"
)

// TestStreamableHTTPServer: the manager reaches a server over streamable
// HTTP on loopback.
func TestStreamableHTTPServer(t *testing.T) {
	srv := mcp.NewServer(&mcp.Implementation{Name: "web", Version: "1"}, nil)
	srv.AddTool(&mcp.Tool{Name: "ping", InputSchema: map[string]any{"type": "object"}},
		func(context.Context, *mcp.CallToolRequest) (*mcp.CallToolResult, error) {
			return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: "pong"}}}, nil
		})
	ts := httptest.NewServer(mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return srv }, nil))
	defer ts.Close()
	mgr, err := StartServers(context.Background(), ManagerConfig{
		Servers: config.Servers{{Name: "web", URL: ts.URL}},
		Getenv:  func(string) string { return "" },
	})
	if err != nil {
		t.Fatal(err)
	}
	defer mgr.Close()
	res, err := mgr.Call(context.Background(), "web", "ping", map[string]any{})
	if err != nil || text(t, res) != "pong" {
		t.Fatalf("Call = %v, %v", res, err)
	}
}

// TestServeHTTP: the gateway serves its tools over streamable HTTP, and
// only on loopback.
func TestServeHTTP(t *testing.T) {
	for _, addr := range []string{"0.0.0.0:0", "192.168.1.5:80", ":8080", "example.com:80"} {
		if err := CheckLoopback(addr); err == nil {
			t.Errorf("CheckLoopback(%q) accepted a non-loopback address", addr)
		}
	}
	h := newHarness(t, time.Hour)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ready := make(chan string, 1)
	go ServeHTTP(ctx, h.gw.MCPServer(h.eng), "127.0.0.1:0", func(a net.Addr) { ready <- a.String() })
	addr := <-ready
	client := mcp.NewClient(&mcp.Implementation{Name: "test", Version: "1"}, nil)
	sess, err := client.Connect(ctx, &mcp.StreamableClientTransport{Endpoint: "http://" + addr}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer sess.Close()
	res, err := sess.CallTool(ctx, &mcp.CallToolParams{Name: "filesystem__echo", Arguments: map[string]any{"path": "h.txt"}})
	if err != nil || res.IsError || !strings.Contains(text(t, res), "h.txt") {
		t.Fatalf("echo over HTTP: %v %+v", err, res)
	}
	// A request from a web page's origin is refused.
	req, _ := http.NewRequest(http.MethodPost, "http://"+addr, strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"tools/list"}`))
	req.Header.Set("Origin", "http://evil.example")
	req.Header.Set("Content-Type", "application/json")
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != http.StatusForbidden {
		t.Errorf("cross-origin request: %v %v, want 403", err, resp)
	} else {
		resp.Body.Close()
	}
	// An oversized request body is refused, and the server keeps serving.
	resp, err := http.Post("http://"+addr, "application/json", strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{"x":"`+strings.Repeat("a", MaxMessageSize)+`"}}`))
	if err == nil {
		resp.Body.Close()
		if resp.StatusCode < 400 {
			t.Errorf("oversized body: status %d", resp.StatusCode)
		}
	}
	if _, err := sess.ListTools(ctx, nil); err != nil {
		t.Fatalf("after oversized request: %v", err)
	}
}
