package filesystem

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

const (
	// serverName and serverVersion are what the server reports in the MCP
	// handshake.
	serverName    = "ironcurtain-filesystem"
	serverVersion = "0.1.0"

	// maxClientRoots bounds how many roots one roots/list answer may add;
	// each costs an open file descriptor.
	maxClientRoots = 256

	// listRootsTimeout bounds the wait for the client's roots/list answer.
	// The notification that triggers it is handled synchronously (later
	// requests wait behind it, which is what makes a new root visible to
	// the very next call), so a silent client must not stall the session.
	listRootsTimeout = 10 * time.Second

	// maxResultBytes bounds an encoded result, leaving room for the
	// JSON-RPC envelope under mcp.DefaultMaxLineLength.
	maxResultBytes = mcp.DefaultMaxLineLength - 1<<20

	// firstModernProtocol is the first MCP protocol version in which a
	// server may no longer send requests such as roots/list on its own.
	// Roots are how the user widens this server's reach during a session,
	// so the server speaks only the versions before it.
	firstModernProtocol = "2026-07-28"
)

// Config configures a Server.
type Config struct {
	// Roots are the directories the server may always access: absolute
	// paths of existing directories, at least one. The first is the base
	// for relative path arguments. Roots the client announces during the
	// session are added to these, never substituted for them.
	Roots []string
	// Logger receives operational messages (roots changes, recovered
	// panics). Nil discards them.
	Logger *slog.Logger
}

// Server is the filesystem MCP server. It is safe for concurrent use.
//
// The client-announced roots are per Server, not per session: the server
// is meant to be run for exactly one client (serve-mcp on stdio), and each
// roots/list answer replaces the previous client roots wholesale.
type Server struct {
	log *slog.Logger
	srv *mcp.Server
	// fixed are the configured roots. Immutable; closed only by Close.
	fixed []*rootDir
	// readLimit is maxReadBytes; tests lower it to stay fast.
	readLimit int64

	// mu guards client and closed.
	mu     sync.Mutex
	client []*rootDir
	closed bool
}

// New opens the configured roots and builds the MCP server with every
// tool registered. The caller must call Close when done.
func New(cfg Config) (*Server, error) {
	if len(cfg.Roots) == 0 {
		return nil, errors.New("filesystem: no roots configured")
	}
	s := &Server{log: cfg.Logger, readLimit: maxReadBytes}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	for _, dir := range cfg.Roots {
		rd, err := openRootDir(dir)
		if err != nil {
			_ = closeAll(s.fixed)
			return nil, fmt.Errorf("filesystem: %w", err)
		}
		s.fixed = append(s.fixed, rd)
	}
	var versions []string
	for _, v := range mcp.SupportedProtocolVersions() {
		if v < firstModernProtocol {
			versions = append(versions, v)
		}
	}
	s.srv = mcp.NewServer(&mcp.Implementation{Name: serverName, Version: serverVersion}, &mcp.ServerOptions{
		Logger:                    s.log,
		Capabilities:              &mcp.ServerCapabilities{Tools: &mcp.ToolCapabilities{}},
		SupportedProtocolVersions: versions,
		InitializedHandler:        s.onInitialized,
		//lint:ignore SA1019 roots are how the user grants directories during a session; see firstModernProtocol.
		RootsListChangedHandler: s.onRootsListChanged,
	})
	for _, spec := range toolSpecs() {
		s.srv.AddTool(spec.tool(), s.handler(spec))
	}
	return s, nil
}

// MCP returns the MCP server, ready to Run or Connect on a transport.
func (s *Server) MCP() *mcp.Server { return s.srv }

// Close closes every root. Tool calls after Close fail; calls in flight
// finish on the handles they already hold.
func (s *Server) Close() error {
	s.mu.Lock()
	client := s.client
	s.client = nil
	s.closed = true
	s.mu.Unlock()
	return errors.Join(closeAll(client), closeAll(s.fixed))
}

func closeAll(rds []*rootDir) error {
	var errs []error
	for _, rd := range rds {
		errs = append(errs, rd.close())
	}
	return errors.Join(errs...)
}

// roots is a snapshot of every current root, configured ones first.
func (s *Server) roots() []*rootDir {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	return slices.Concat(s.fixed, s.client)
}

// resolve routes a path argument to a root and the name relative to it.
func (s *Server) resolve(p string) (*rootDir, string, error) {
	return route(s.roots(), p)
}

// handler adapts a tool implementation to the SDK: arguments are decoded
// strictly, every failure (including a panic) becomes a one-line tool
// error, and nothing becomes a protocol error.
func (s *Server) handler(spec toolSpec) mcp.ToolHandler {
	return func(ctx context.Context, req *mcp.CallToolRequest) (res *mcp.CallToolResult, err error) {
		defer func() {
			if r := recover(); r != nil {
				s.log.Error("tool panicked", "tool", spec.name, "panic", r)
				res, err = errorResult(fmt.Errorf("%s: internal error", spec.name)), nil
			}
		}()
		var raw json.RawMessage
		if req != nil && req.Params != nil {
			raw = req.Params.Arguments
		}
		out, err := spec.run(s, ctx, raw)
		if err != nil {
			return errorResult(err), nil
		}
		if err := checkResultSize(out); err != nil {
			return errorResult(fmt.Errorf("%s: %w", spec.name, err)), nil
		}
		return out, nil
	}
}

// decodeArgs decodes tool arguments into dst, refusing unknown fields,
// trailing data and anything but a JSON object.
func decodeArgs(raw json.RawMessage, dst any) error {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		raw = []byte("{}")
	}
	if raw[0] != '{' {
		return errors.New("invalid arguments: not a JSON object")
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return fmt.Errorf("invalid arguments: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("invalid arguments: trailing data after the object")
	}
	return nil
}

// checkResultSize refuses a result whose encoding would not fit in one
// message under the SDK's default frame limit. The read limit bounds the
// raw bytes, but JSON escaping can inflate control characters sixfold,
// and a client that rejects an oversized frame may drop the session.
func checkResultSize(res *mcp.CallToolResult) error {
	b, err := json.Marshal(res)
	if err != nil {
		return fmt.Errorf("encoding the result: %w", err)
	}
	if len(b) > maxResultBytes {
		return fmt.Errorf("result is %d bytes once encoded, over the %d MiB message limit", len(b), maxResultBytes>>20)
	}
	return nil
}

func textResult(text string) *mcp.CallToolResult {
	return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: text}}}
}

func errorResult(err error) *mcp.CallToolResult {
	return &mcp.CallToolResult{
		IsError: true,
		Content: []mcp.Content{&mcp.TextContent{Text: oneLine(err.Error())}},
	}
}

// oneLine keeps an error message on one line: paths in it came from the
// agent and may contain line breaks meant to forge further lines.
func oneLine(s string) string {
	if !strings.ContainsAny(s, "\r\n") {
		return s
	}
	return strings.NewReplacer("\r", `\r`, "\n", `\n`).Replace(s)
}
