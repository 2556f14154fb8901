package gateway

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/google/jsonschema-go/jsonschema"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/ironcurtain/ironcurtain-go/internal/config"
)

// ErrServerDown is returned for calls to a server that is not running.
var ErrServerDown = errors.New("server is not running")

// ManagerConfig configures the MCP client manager.
type ManagerConfig struct {
	Servers config.Servers
	// Getenv reads the parent environment for PATH, HOME and LANG; a
	// server gets those plus the variables its config names, nothing else.
	Getenv func(string) string
	Logger *slog.Logger
	// StartTimeout bounds the first connection of each server (default 30 s).
	StartTimeout time.Duration
	// CallTimeout bounds one forwarded call (default 2 min).
	CallTimeout time.Duration
	// Backoff is the first restart delay, doubled up to 30 s (default 1 s).
	Backoff time.Duration
	// OnState, if not nil, is called whenever a server comes up or goes
	// down (err says why). It must not block.
	OnState func(server string, up bool, err error)
	// HTTPClient is used for streamable HTTP servers (default: a client
	// with no proxy from the environment and a timeout).
	HTTPClient *http.Client
	// Roots are announced to every server as MCP roots (file:// URIs).
	Roots []string
}

// Manager runs and supervises MCP servers.
type Manager struct {
	cfg    ManagerConfig
	client *mcp.Client
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	servers map[string]*serverState // immutable after StartServers
}

type serverState struct {
	cfg config.Server

	mu      sync.RWMutex // guards the fields below
	session *mcp.ClientSession
	// direct, when not nil, carries forwarded tool calls past the SDK
	// session (see childTransport).
	direct  *childConn
	tools   map[string]*Tool
	lastErr error
}

// Tool is one tool of one server, with its compiled input schema.
type Tool struct {
	Server string
	Tool   *mcp.Tool
	schema *jsonschema.Resolved
	quick  *quickSchema // nil: every call goes to the general validator
}

// StartServers starts every configured server concurrently and waits until
// each is up or has failed its first start. A failed server is reported
// and retried in the background; it never stops the others.
func StartServers(ctx context.Context, cfg ManagerConfig) (*Manager, error) {
	if cfg.Getenv == nil {
		return nil, errors.New("gateway: no environment reader")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.StartTimeout <= 0 {
		cfg.StartTimeout = 30 * time.Second
	}
	if cfg.CallTimeout <= 0 {
		cfg.CallTimeout = 2 * time.Minute
	}
	if cfg.Backoff <= 0 {
		cfg.Backoff = time.Second
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Transport: &http.Transport{Proxy: nil}, Timeout: cfg.CallTimeout}
	}
	client := mcp.NewClient(&mcp.Implementation{Name: "ironcurtain-gateway", Version: "0.1"}, nil)
	announceRoots(client, cfg.Roots)
	mctx, cancel := context.WithCancel(context.Background())
	m := &Manager{cfg: cfg, client: client, ctx: mctx, cancel: cancel, servers: make(map[string]*serverState)}
	var first sync.WaitGroup
	for _, s := range cfg.Servers {
		st := &serverState{cfg: s}
		m.servers[s.Name] = st
		first.Add(1)
		m.wg.Add(1)
		go m.supervise(st, &first)
	}
	done := make(chan struct{})
	go func() { first.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		m.Close()
		return nil, ctx.Err()
	}
	return m, nil
}

// supervise connects a server, waits for it to end, and restarts it with
// exponential backoff until the manager closes.
func (m *Manager) supervise(st *serverState, first *sync.WaitGroup) {
	defer m.wg.Done()
	signalled := false
	signal := func() {
		if !signalled {
			signalled = true
			first.Done()
		}
	}
	defer signal()
	delay := m.cfg.Backoff
	for {
		err := m.connect(st)
		signal()
		if err == nil {
			delay = m.cfg.Backoff
			m.state(st, true, nil)
			st.mu.RLock()
			sess := st.session
			st.mu.RUnlock()
			err = sess.Wait()
			st.mu.Lock()
			st.session, st.direct = nil, nil
			st.lastErr = fmt.Errorf("exited: %v", err)
			st.mu.Unlock()
			if m.ctx.Err() != nil {
				return
			}
			if err == nil {
				err = errors.New("connection closed")
			}
		}
		m.state(st, false, err)
		timer := time.NewTimer(delay)
		select {
		case <-m.ctx.Done():
			timer.Stop()
			return
		case <-timer.C:
		}
		delay *= 2
		if delay > 30*time.Second {
			delay = 30 * time.Second
		}
	}
}

func (m *Manager) state(st *serverState, up bool, err error) {
	if up {
		m.cfg.Logger.Info("MCP server up", "server", st.cfg.Name)
	} else {
		m.cfg.Logger.Warn("MCP server down", "server", st.cfg.Name, "error", err)
	}
	if m.cfg.OnState != nil {
		m.cfg.OnState(st.cfg.Name, up, err)
	}
}

func (m *Manager) connect(st *serverState) error {
	ctx, cancel := context.WithTimeout(m.ctx, m.cfg.StartTimeout)
	defer cancel()
	var t mcp.Transport
	var child *childTransport
	switch {
	case st.cfg.URL != "":
		t = &mcp.StreamableClientTransport{Endpoint: st.cfg.URL, HTTPClient: m.cfg.HTTPClient}
	default:
		cmd := exec.Command(st.cfg.Command, st.cfg.Args...)
		cmd.Env = m.serverEnv(st.cfg)
		cmd.Stderr = os.Stderr
		// The child dies with us even if we are killed, and gets its own
		// process group so a terminal's ^C reaches the gateway first.
		cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL, Setpgid: true}
		child = &childTransport{cmd: cmd, terminate: 2 * time.Second}
		t = child
	}
	sess, err := m.client.Connect(ctx, t, nil)
	if err != nil {
		st.mu.Lock()
		st.lastErr = err
		st.mu.Unlock()
		return fmt.Errorf("start %s: %w", st.cfg.Name, err)
	}
	tools, err := m.listTools(ctx, st.cfg.Name, sess)
	if err != nil {
		sess.Close()
		st.mu.Lock()
		st.lastErr = err
		st.mu.Unlock()
		return fmt.Errorf("list tools of %s: %w", st.cfg.Name, err)
	}
	var direct *childConn
	if child != nil && (!perRequestMeta(sess) || child.conn.requestMeta() != nil) {
		direct = child.conn
	}
	st.mu.Lock()
	st.session, st.direct, st.tools, st.lastErr = sess, direct, tools, nil
	st.mu.Unlock()
	return nil
}

// perRequestMeta reports whether the session speaks a protocol version
// whose requests must each carry the client's _meta (2026-07-28 and
// later); forwarded calls then carry the one the SDK sent with tools/list.
func perRequestMeta(sess *mcp.ClientSession) bool {
	res := sess.InitializeResult()
	return res == nil || res.ProtocolVersion >= "2026-07-28"
}

// maxTools bounds what one server may advertise.
const maxTools = 1024

func (m *Manager) listTools(ctx context.Context, server string, sess *mcp.ClientSession) (map[string]*Tool, error) {
	out := make(map[string]*Tool)
	var cursor string
	for page := 0; page < 64; page++ {
		res, err := sess.ListTools(ctx, &mcp.ListToolsParams{Cursor: cursor})
		if err != nil {
			return nil, err
		}
		for _, t := range res.Tools {
			if t == nil || t.Name == "" {
				continue
			}
			schema, quick, err := compileSchema(t.InputSchema)
			if err != nil {
				m.cfg.Logger.Warn("dropping tool with unusable schema", "server", server, "tool", t.Name, "error", err)
				continue
			}
			if len(out) >= maxTools {
				return nil, fmt.Errorf("more than %d tools", maxTools)
			}
			out[t.Name] = &Tool{Server: server, Tool: t, schema: schema, quick: quick}
		}
		if res.NextCursor == "" {
			return out, nil
		}
		cursor = res.NextCursor
	}
	return nil, errors.New("too many tool list pages")
}

// serverEnv is PATH, HOME and LANG from our environment plus exactly the
// variables the server's config names — never the user's API keys.
func (m *Manager) serverEnv(s config.Server) []string {
	var env []string
	for _, k := range []string{"PATH", "HOME", "LANG"} {
		if _, named := s.Env[k]; named {
			continue
		}
		if v := m.cfg.Getenv(k); v != "" {
			env = append(env, k+"="+v)
		}
	}
	keys := make([]string, 0, len(s.Env))
	for k := range s.Env {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		env = append(env, k+"="+s.Env[k])
	}
	return env
}

// Lookup returns a tool of a running server, or nil.
func (m *Manager) Lookup(server, tool string) *Tool {
	st := m.servers[server]
	if st == nil {
		return nil
	}
	st.mu.RLock()
	defer st.mu.RUnlock()
	return st.tools[tool]
}

// Tools lists every known tool, sorted by server then name.
func (m *Manager) Tools() []*Tool {
	var out []*Tool
	for _, st := range m.servers {
		st.mu.RLock()
		for _, t := range st.tools {
			out = append(out, t)
		}
		st.mu.RUnlock()
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Server != out[j].Server {
			return out[i].Server < out[j].Server
		}
		return out[i].Tool.Name < out[j].Tool.Name
	})
	return out
}

// Up reports whether a server is connected, and its last error.
func (m *Manager) Up(server string) (bool, error) {
	st := m.servers[server]
	if st == nil {
		return false, fmt.Errorf("no server %q", server)
	}
	st.mu.RLock()
	defer st.mu.RUnlock()
	return st.session != nil, st.lastErr
}

// Call forwards a call to a running server. A server that is down is an
// immediate error, never a wait.
func (m *Manager) Call(ctx context.Context, server, tool string, args map[string]any) (*mcp.CallToolResult, error) {
	st := m.servers[server]
	if st == nil {
		return nil, fmt.Errorf("no server %q", server)
	}
	st.mu.RLock()
	sess, direct := st.session, st.direct
	st.mu.RUnlock()
	if sess == nil {
		return nil, fmt.Errorf("%s: %w", server, ErrServerDown)
	}
	ctx, cancel := context.WithTimeout(ctx, m.cfg.CallTimeout)
	defer cancel()
	if direct == nil {
		return sess.CallTool(ctx, &mcp.CallToolParams{Name: tool, Arguments: args})
	}
	var meta json.RawMessage
	if perRequestMeta(sess) {
		meta = direct.requestMeta()
	}
	raw, err := direct.callTool(ctx, tool, args, meta)
	if err != nil {
		return nil, err
	}
	return decodeResult(raw)
}

// AddRoots announces directories to every server as MCP roots (file://
// URIs) — the way a person's approval of a path outside the sandbox reaches
// the filesystem server, whose os.Root handles would otherwise refuse it.
// Servers learn of roots asynchronously, so for each server that offers
// list_allowed_directories AddRoots waits (at most 5 s) until they show.
func (m *Manager) AddRoots(ctx context.Context, dirs []string) {
	if len(dirs) == 0 {
		return
	}
	announceRoots(m.client, dirs)
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	for name, st := range m.servers {
		st.mu.RLock()
		_, lists := st.tools["list_allowed_directories"]
		st.mu.RUnlock()
		if !lists {
			continue
		}
		tick := time.NewTicker(20 * time.Millisecond)
		for {
			res, err := m.Call(ctx, name, "list_allowed_directories", map[string]any{})
			if err == nil && containsAll(res, dirs) {
				break
			}
			select {
			case <-ctx.Done():
			case <-tick.C:
				continue
			}
			m.cfg.Logger.Warn("server did not confirm new roots", "server", name, "roots", dirs)
			break
		}
		tick.Stop()
	}
}

func containsAll(res *mcp.CallToolResult, dirs []string) bool {
	var b strings.Builder
	for _, c := range res.Content {
		if t, ok := c.(*mcp.TextContent); ok {
			b.WriteString(t.Text)
			b.WriteByte('\n')
		}
	}
	text := b.String()
	for _, d := range dirs {
		if !strings.Contains(text, d) {
			return false
		}
	}
	return true
}

// Close shuts every server down and waits for the supervisors.
func (m *Manager) Close() error {
	m.cancel()
	for _, st := range m.servers {
		st.mu.Lock()
		sess := st.session
		st.mu.Unlock()
		if sess != nil {
			sess.Close()
		}
	}
	m.wg.Wait()
	return nil
}
