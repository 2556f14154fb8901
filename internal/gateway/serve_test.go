package gateway

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// serveOverPipes serves srv on a pair of pipes and returns the client's
// ends.
func serveOverPipes(t *testing.T, srv *Server) (w io.WriteCloser, r *bufio.Reader) {
	t.Helper()
	cr, sw := io.Pipe()
	sr, cw := io.Pipe()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = ServeStdio(ctx, srv, sr, sw)
	}()
	t.Cleanup(func() { cancel(); cw.Close(); sw.Close(); <-done })
	return cw, bufio.NewReader(cr)
}

func roundTrip(t *testing.T, w io.Writer, r *bufio.Reader, line string) map[string]any {
	t.Helper()
	if _, err := io.WriteString(w, line+"\n"); err != nil {
		t.Fatal(err)
	}
	resp, err := r.ReadString('\n')
	if err != nil {
		t.Fatalf("after %q: %v", line, err)
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(resp), &m); err != nil {
		t.Fatalf("response %q: %v", resp, err)
	}
	return m
}

func TestServeSurvivesBadInput(t *testing.T) {
	h := newHarness(t, time.Hour)
	w, r := serveOverPipes(t, h.gw.MCPServer(h.eng))
	init := `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"raw","version":"1"}}}`
	if m := roundTrip(t, w, r, init); m["result"] == nil {
		t.Fatalf("initialize: %v", m)
	}
	io.WriteString(w, `{"jsonrpc":"2.0","method":"notifications/initialized"}`+"\n")
	bad := []struct {
		name, line string
		code       float64
	}{
		{"malformed json", `{"jsonrpc":"2.0","id":2,"method":`, -32700},
		{"not json-rpc", `[1,2,3]`, -32700},
		{"invalid utf8", "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"\xff\"}", -32700},
		{"oversized", `{"jsonrpc":"2.0","id":4,"method":"tools/list","params":{"x":"` + strings.Repeat("a", MaxMessageSize) + `"}}`, -32600},
		{"unknown method", `{"jsonrpc":"2.0","id":5,"method":"no/such/method"}`, -32601},
		{"no method", `{"jsonrpc":"2.0","id":6}`, -32600},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			m := roundTrip(t, w, r, tc.line)
			e, _ := m["error"].(map[string]any)
			if e == nil || e["code"] != tc.code {
				t.Fatalf("response %v, want error code %v", m, tc.code)
			}
		})
	}
	// Still serving.
	m := roundTrip(t, w, r, `{"jsonrpc":"2.0","id":9,"method":"tools/list"}`)
	if m["result"] == nil {
		t.Fatalf("tools/list after bad input: %v", m)
	}
}

func TestServeWithSDKClient(t *testing.T) {
	h := newHarness(t, time.Hour)
	for _, transport := range []string{"stdio", "socket"} {
		t.Run(transport, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			var ct mcp.Transport
			switch transport {
			case "stdio":
				cr, sw := io.Pipe()
				sr, cw := io.Pipe()
				go ServeStdio(ctx, h.gw.MCPServer(h.eng), sr, sw)
				ct = &mcp.IOTransport{Reader: cr, Writer: cw}
			case "socket":
				path := filepath.Join(t.TempDir(), "gw.sock")
				ready := make(chan struct{})
				go ServeSocket(ctx, h.gw.MCPServer(h.eng), path, func() { close(ready) })
				<-ready
				ct = &socketTransport{path: path}
			}
			client := mcp.NewClient(&mcp.Implementation{Name: "test", Version: "1"}, nil)
			sess, err := client.Connect(ctx, ct, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer sess.Close()
			lt, err := sess.ListTools(ctx, nil)
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, tool := range lt.Tools {
				names = append(names, tool.Name)
			}
			sort.Strings(names)
			want := "filesystem__big,filesystem__crash,filesystem__echo,filesystem__env,filesystem__fail,filesystem__hang,filesystem__pid"
			if got := strings.Join(names, ","); got != want {
				t.Errorf("tools = %s, want %s", got, want)
			}
			res, err := sess.CallTool(ctx, &mcp.CallToolParams{Name: "filesystem__echo", Arguments: map[string]any{"path": "x"}})
			if err != nil || res.IsError || !strings.Contains(res.Content[0].(*mcp.TextContent).Text, filepath.Join(h.sandbox, "x")) {
				t.Fatalf("echo: %v %+v", err, res)
			}
			res, err = sess.CallTool(ctx, &mcp.CallToolParams{Name: "filesystem__echo", Arguments: map[string]any{"path": h.home + "/secrets/k"}})
			if err != nil || !res.IsError || !strings.HasPrefix(res.Content[0].(*mcp.TextContent).Text, "DENIED:") {
				t.Fatalf("denied echo: %v %+v", err, res)
			}
		})
	}
}

// socketTransport dials the gateway's Unix socket.
type socketTransport struct{ path string }

func (s *socketTransport) Connect(ctx context.Context) (mcp.Connection, error) {
	var d netDialer
	conn, err := d.DialContext(ctx, "unix", s.path)
	if err != nil {
		return nil, err
	}
	return (&mcp.IOTransport{Reader: conn, Writer: conn}).Connect(ctx)
}

type netDialer = net.Dialer
