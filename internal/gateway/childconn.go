package gateway

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/ironcurtain/ironcurtain-go/internal/jsondoc"
)

// MaxServerMessageSize bounds one JSON-RPC message from a server (the SDK's
// own stdio limit).
const MaxServerMessageSize = mcp.DefaultMaxLineLength

// fastIDBase is where the ids of forwarded tool calls start. The SDK
// numbers its own requests from 1, so the two never meet.
const fastIDBase = 1 << 40

// childTransport runs a stdio MCP server as a child process. The SDK's
// client session speaks through it for everything (initialize, tools/list,
// roots, notifications), but forwarded tool calls — the gateway's hot path
// — bypass the session: the SDK decodes every message several times with a
// fresh 32 KiB buffer each, which costs more than the whole pipeline, so a
// tools/call is written and its response routed back here with one decode.
type childTransport struct {
	cmd       *exec.Cmd
	terminate time.Duration // after stdin closes, how long before SIGKILL
	conn      *childConn    // set by Connect
}

func (t *childTransport) Connect(context.Context) (mcp.Connection, error) {
	stdin, err := t.cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := t.cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := t.cmd.Start(); err != nil {
		return nil, err
	}
	c := &childConn{
		lines:     lineReader{r: bufio.NewReaderSize(stdout, 64<<10), limit: MaxServerMessageSize},
		out:       lineWriter{w: stdin},
		stdin:     stdin,
		cmd:       t.cmd,
		terminate: t.terminate,
		pending:   make(map[int64]chan childReply),
	}
	c.nextID.Store(fastIDBase)
	t.conn = c
	return c, nil
}

// childReply is a server's answer to a forwarded call: the raw result, or
// the JSON-RPC error, or why there will be no answer.
type childReply struct {
	result json.RawMessage
	err    error
}

type childConn struct {
	lines     lineReader // read only by the SDK's one reader goroutine
	cmd       *exec.Cmd
	terminate time.Duration

	out   lineWriter
	stdin io.Closer // the server's input: closing it asks the server to exit

	nextID  atomic.Int64
	mu      sync.Mutex // guards pending, gone and meta
	pending map[int64]chan childReply
	gone    error // set once the server can no longer answer
	// meta is the _meta the SDK put on its own requests. From protocol
	// version 2026-07-28 every request must carry it, forwarded calls too.
	meta json.RawMessage

	closeOnce sync.Once
	closeErr  error
}

func (c *childConn) SessionID() string { return "" }

// Read returns the next message for the SDK, routing answers to forwarded
// calls to their waiters on the way.
func (c *childConn) Read(context.Context) (jsonrpc.Message, error) {
	for {
		line, tooLong, err := c.lines.next()
		if err != nil {
			c.fail(fmt.Errorf("server closed its output: %w", err))
			return nil, err
		}
		if tooLong {
			// The rest of the stream cannot be trusted to be framed.
			err := fmt.Errorf("server sent a message larger than %d bytes", MaxServerMessageSize)
			c.fail(err)
			return nil, err
		}
		if len(trimSpace(line)) == 0 {
			continue
		}
		if c.route(line) {
			continue
		}
		return jsonrpc.DecodeMessage(line)
	}
}

// route delivers line if it answers a forwarded call. Members other than
// id, result and error are ignored, so that a server that adds some does
// not leave the call waiting for an answer the SDK would drop.
func (c *childConn) route(line []byte) bool {
	m, ok := responseMembers(line)
	if !ok {
		return false // a request or notification of the server's, or not JSON: the SDK's
	}
	// Read the id as the SDK's client would match it (a number written
	// as 1099511627777.0 is the same id).
	rid, ok := requestID(m["id"])
	id, isInt := rid.Raw().(int64)
	if !ok || !isInt || id <= fastIDBase {
		return false
	}
	c.mu.Lock()
	ch, ok := c.pending[id]
	delete(c.pending, id)
	c.mu.Unlock()
	if !ok {
		return true // a late answer to a call that gave up: nobody else wants it
	}
	var wireErr *jsonrpc.Error
	result, hasResult := m["result"]
	switch {
	case m["error"] != nil && string(m["error"]) != "null":
		if json.Unmarshal(m["error"], &wireErr) != nil || wireErr == nil {
			wireErr = &jsonrpc.Error{Code: jsonrpc.CodeInternalError, Message: "malformed error response"}
		}
		ch <- childReply{err: wireErr}
	case !hasResult || string(result) == "null":
		ch <- childReply{err: errors.New("response has neither result nor error")}
	default:
		ch <- childReply{result: result}
	}
	return true
}

// responseMembers returns the members of a JSON-RPC response by exact
// name, or false for anything with a method (a request or notification)
// or that is not an object. A message whose text is not clean UTF-8 is
// read by encoding/json, which repairs it as the SDK's decoder would.
func responseMembers(line []byte) (map[string]json.RawMessage, bool) {
	var m map[string]json.RawMessage
	if members, ok := jsondoc.ObjectMembers(line); ok {
		m = make(map[string]json.RawMessage, len(members))
		for _, mb := range members {
			m[mb.Key] = mb.Value
		}
	} else if json.Unmarshal(line, &m) != nil || m == nil {
		return nil, false
	}
	if _, isRequest := m["method"]; isRequest {
		return nil, false
	}
	return m, true
}

func (c *childConn) Write(_ context.Context, msg jsonrpc.Message) error {
	if req, ok := msg.(*jsonrpc.Request); ok && req.Method == "tools/list" {
		c.learnMeta(req.Params)
	}
	data, err := jsonrpc.EncodeMessage(msg)
	if err != nil {
		return err
	}
	return c.out.writeLine(data)
}

// learnMeta keeps the SDK's per-request _meta (protocol version, client
// info and capabilities: the same on every request of a session).
func (c *childConn) learnMeta(params json.RawMessage) {
	var p map[string]json.RawMessage
	if json.Unmarshal(params, &p) != nil || len(p["_meta"]) == 0 || string(p["_meta"]) == "null" {
		return
	}
	c.mu.Lock()
	c.meta = p["_meta"]
	c.mu.Unlock()
}

// requestMeta is the _meta learned from the SDK, or nil.
func (c *childConn) requestMeta() json.RawMessage {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.meta
}

// fail ends every waiting call: the server will not answer them.
func (c *childConn) fail(err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gone == nil {
		c.gone = err
	}
	for id, ch := range c.pending {
		ch <- childReply{err: fmt.Errorf("%w: %v", mcp.ErrConnectionClosed, c.gone)}
		delete(c.pending, id)
	}
}

// callTool sends tools/call (with meta as its _meta, if any) and waits for
// its answer, for ctx, or for the server to go away. When ctx ends first the server is told the request is
// cancelled, as the SDK would.
func (c *childConn) callTool(ctx context.Context, name string, args map[string]any, meta json.RawMessage) (json.RawMessage, error) {
	id := c.nextID.Add(1)
	type params struct {
		Meta      json.RawMessage `json:"_meta,omitempty"`
		Name      string          `json:"name"`
		Arguments map[string]any  `json:"arguments,omitempty"`
	}
	type request struct {
		JSONRPC string `json:"jsonrpc"`
		ID      int64  `json:"id"`
		Method  string `json:"method"`
		Params  params `json:"params"`
	}
	data, err := marshalNoEscape(request{JSONRPC: "2.0", ID: id, Method: "tools/call", Params: params{Meta: meta, Name: name, Arguments: args}})
	if err != nil {
		return nil, fmt.Errorf("encode call: %w", err)
	}
	ch := make(chan childReply, 1)
	c.mu.Lock()
	if c.gone != nil {
		err := c.gone
		c.mu.Unlock()
		return nil, fmt.Errorf("%w: %v", mcp.ErrConnectionClosed, err)
	}
	c.pending[id] = ch
	c.mu.Unlock()
	// The write may block (a server that stops reading fills the pipe);
	// the deadline must hold all the same.
	written := make(chan error, 1)
	go func() { written <- c.out.writeLine(data) }()
	for {
		select {
		case err := <-written:
			if err != nil {
				c.forget(id)
				return nil, fmt.Errorf("%w: %v", mcp.ErrConnectionClosed, err)
			}
			written = nil // sent: wait for the answer
		case r := <-ch:
			return r.result, r.err
		case <-ctx.Done():
			c.forget(id)
			if written == nil { // the server has the request: tell it
				note, _ := marshalNoEscape(map[string]any{"jsonrpc": "2.0", "method": "notifications/cancelled",
					"params": map[string]any{"requestId": id, "reason": ctx.Err().Error()}})
				go func() { _ = c.out.writeLine(note) }()
			}
			return nil, ctx.Err()
		}
	}
}

func (c *childConn) forget(id int64) {
	c.mu.Lock()
	delete(c.pending, id)
	c.mu.Unlock()
}

// Close ends the session as the MCP stdio transport prescribes: close the
// server's input, wait for it to exit, and kill its process group when it
// does not.
func (c *childConn) Close() error {
	c.closeOnce.Do(func() {
		c.out.close()
		c.fail(mcp.ErrConnectionClosed)
		if err := c.stdin.Close(); err != nil {
			c.closeErr = fmt.Errorf("close server input: %w", err)
		}
		exited := make(chan error, 1)
		go func() { exited <- c.cmd.Wait() }()
		timer := time.NewTimer(c.terminate)
		defer timer.Stop()
		select {
		case <-exited:
			return
		case <-timer.C:
		}
		// The group, not just the process: a server's own children go too.
		_ = syscall.Kill(-c.cmd.Process.Pid, syscall.SIGKILL)
		_ = c.cmd.Process.Kill()
		<-exited
	})
	return c.closeErr
}

// marshalNoEscape encodes v as the SDK does (no HTML escaping), without a
// trailing newline.
func marshalNoEscape(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}
