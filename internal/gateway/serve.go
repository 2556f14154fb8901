package gateway

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// ToolSeparator joins server and tool in the names clients see.
const ToolSeparator = "__"

// visible reports whether some call of a tool could be allowed or
// escalated; *policy.Engine implements it.
type visible interface {
	MayPermit(server, tool string) bool
}

// Server is the policed tool set, ready to serve to MCP clients: an SDK
// server, plus what stdio and socket connections need to answer tool
// calls without it (see fastpath.go).
type Server struct {
	sdk  *mcp.Server
	fast *fastTools
}

// MCPServer returns an MCP server offering every tool some call of which
// the policy could permit, as "<server>__<tool>", each call going through
// the pipeline. Tools whose every call would be denied are hidden.
func (g *Gateway) MCPServer(v visible) *Server {
	impl := &mcp.Implementation{Name: "ironcurtain", Version: "0.1"}
	srv := &Server{
		sdk: mcp.NewServer(impl, &mcp.ServerOptions{
			Instructions: "Tools of several MCP servers behind IronCurtain's policy. A call the policy refuses returns an error starting DENIED:; explain it to the user instead of retrying.",
		}),
		fast: &fastTools{tools: map[string][2]string{}, call: g.Call, impl: impl},
	}
	for _, t := range g.cfg.Servers.Tools() {
		if v != nil && !v.MayPermit(t.Server, t.Tool.Name) {
			continue
		}
		if strings.Contains(t.Server, ToolSeparator) {
			continue // the name would be ambiguous
		}
		g.addTool(srv, t)
	}
	return srv
}

func (g *Gateway) addTool(srv *Server, t *Tool) {
	exposed := *t.Tool
	exposed.Name = t.Server + ToolSeparator + t.Tool.Name
	exposed.OutputSchema = nil // results pass through the limiter; do not promise a shape
	server, tool := t.Server, t.Tool.Name
	defer func() {
		// AddTool panics on schemas it dislikes; a server's advertised tool
		// must not take the gateway down.
		if r := recover(); r != nil {
			g.cfg.Logger.Warn("dropping tool the SDK refused", "tool", exposed.Name, "error", fmt.Sprint(r))
		}
	}()
	srv.sdk.AddTool(&exposed, func(ctx context.Context, req *mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		return g.Call(ctx, server, tool, req.Params.Arguments)
	})
	srv.fast.tools[exposed.Name] = [2]string{server, tool}
}

// ServeStdio serves one client on r/w (standard input and output).
func ServeStdio(ctx context.Context, srv *Server, r io.Reader, w io.Writer) error {
	sess, err := srv.sdk.Connect(ctx, &lineTransport{r: r, w: w, fast: srv.fast}, nil)
	if err != nil {
		return err
	}
	done := make(chan error, 1)
	go func() { done <- sess.Wait() }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		sess.Close()
		return ctx.Err()
	}
}

// ServeSocket serves clients on a Unix socket at path, created 0600 so only
// the user can connect. An existing socket file is replaced; any other
// existing file is an error.
// ready, if not nil, is called once the socket accepts connections.
func ServeSocket(ctx context.Context, srv *Server, path string, ready func()) error {
	if fi, err := os.Lstat(path); err == nil {
		if fi.Mode()&os.ModeSocket == 0 {
			return fmt.Errorf("socket %s: a non-socket file is in the way", path)
		}
		if err := os.Remove(path); err != nil {
			return fmt.Errorf("socket %s: %w", path, err)
		}
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "unix", path)
	if err != nil {
		return fmt.Errorf("socket %s: %w", path, err)
	}
	if err := os.Chmod(path, 0o600); err != nil {
		ln.Close()
		return fmt.Errorf("socket %s: %w", path, err)
	}
	go func() { <-ctx.Done(); ln.Close() }()
	defer os.Remove(path)
	if ready != nil {
		ready()
	}
	for {
		conn, err := ln.Accept()
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return fmt.Errorf("socket %s: %w", path, err)
		}
		go func() {
			sess, err := srv.sdk.Connect(ctx, &lineTransport{r: conn, w: conn, c: conn, fast: srv.fast}, nil)
			if err != nil {
				conn.Close()
				return
			}
			_ = sess.Wait()
		}()
	}
}

// CheckLoopback refuses an HTTP listen address that is not loopback: the
// policed tool set must not be offered to the network.
func CheckLoopback(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("--http %q: %w", addr, err)
	}
	if host == "localhost" {
		return nil
	}
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("--http %q: only loopback addresses (127.0.0.1, [::1], localhost) may serve the gateway", addr)
	}
	return nil
}

// ServeHTTP serves streamable HTTP on a loopback address.
func ServeHTTP(ctx context.Context, srv *Server, addr string, ready func(net.Addr)) error {
	if err := CheckLoopback(addr); err != nil {
		return err
	}
	h := mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return srv.sdk }, nil)
	limited := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// A web page the user visits can send requests to loopback; MCP
		// requires servers to check Origin. Only the gateway's own origin
		// (or none: a non-browser client) may call.
		if o := r.Header.Get("Origin"); o != "" && !sameLoopbackOrigin(o, r.Host) {
			http.Error(w, "forbidden origin", http.StatusForbidden)
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, MaxMessageSize)
		h.ServeHTTP(w, r)
	})
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", addr)
	if err != nil {
		return err
	}
	if ready != nil {
		ready(ln.Addr())
	}
	hs := &http.Server{Handler: limited, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = hs.Shutdown(sctx)
	}()
	if err := hs.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return ctx.Err()
}

// sameLoopbackOrigin accepts an Origin that names the host the request was
// sent to, on loopback.
func sameLoopbackOrigin(origin, host string) bool {
	u, err := url.Parse(origin)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
		return false
	}
	if u.Host != host {
		return false
	}
	h := u.Hostname()
	ip := net.ParseIP(h)
	return h == "localhost" || (ip != nil && ip.IsLoopback())
}
