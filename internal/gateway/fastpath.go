package gateway

import (
	"context"
	"encoding/json"
	"sync"
	"sync/atomic"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// The SDK decodes every incoming message several times, each time with a
// fresh 32 KiB buffer; for a small tool call that costs more than the whole
// pipeline and the audit fsync together. So a connection served over stdio
// or a socket answers tools/call itself, with one decode, once the SDK has
// shown it would accept such a call:
//
//   - Everything that is not a well-formed tools/call of one of the
//     gateway's tools goes to the SDK, untouched.
//   - A tools/call is served here only if the SDK has already answered a
//     call carrying byte-for-byte the same _meta with a result (not an
//     error). Whether a call is acceptable — session initialized, protocol
//     version supported, per-request metadata valid — depends on nothing
//     else, so the SDK's first answer stands for the rest.
//   - The answer is built as the SDK builds it: the same handler
//     (Gateway.Call), the same JSON-RPC encoder, the same result envelope
//     (server info in _meta for the per-request protocol, resultType as the
//     SDK's own answer to that _meta had it). TestFastPathMatchesSDK holds
//     the two paths to identical bytes.

// maxLearned bounds the per-connection tables below; past it calls simply
// stay on the SDK's path.
const maxLearned = 1024

// fastTools is what a connection needs to answer tools/call itself.
type fastTools struct {
	tools map[string][2]string // exposed name → server, tool
	call  func(ctx context.Context, server, tool string, args json.RawMessage) (*mcp.CallToolResult, error)
	impl  *mcp.Implementation
	// served counts the calls answered here (the SDK's are not).
	served atomic.Int64
}

// envelope is what the SDK adds around a handler's result for one _meta.
type envelope struct {
	serverInfo bool // _meta carries the server's identity
	resultType bool // "resultType":"complete" is appended
}

// fastConn is one connection's fast-path state.
type fastConn struct {
	*fastTools
	ctx    context.Context // ends when the connection closes
	cancel context.CancelFunc
	wg     sync.WaitGroup // calls being served
	jobs   chan job       // to an idle worker, if one is waiting
	idle   atomic.Int32   // workers waiting for a job

	mu       sync.Mutex
	accepted map[string]envelope               // _meta bytes the SDK accepted
	probes   map[jsonrpc.ID]probe              // calls left to the SDK, by id
	inflight map[jsonrpc.ID]context.CancelFunc // calls served here
}

type probe struct {
	meta      string
	newProto  bool
	ambiguous bool // another call used the id meanwhile: learn nothing
}

func newFastConn(ctx context.Context, ft *fastTools) *fastConn {
	ctx, cancel := context.WithCancel(ctx)
	return &fastConn{fastTools: ft, ctx: ctx, cancel: cancel, jobs: make(chan job),
		accepted: map[string]envelope{}, probes: map[jsonrpc.ID]probe{}, inflight: map[jsonrpc.ID]context.CancelFunc{}}
}

// intercept serves line if it is a tools/call the fast path may answer,
// and reports whether it did. write sends one encoded message to the client.
func (f *fastConn) intercept(line []byte, write func([]byte) error) bool {
	// The SDK refuses a message nested deeper than this before anything
	// else; so must the fast path.
	if nestedDeeper(line, sdkMaxDepth) {
		return false
	}
	// jsonrpc and method are compared as written: an escaped spelling of
	// the same string is left to the SDK.
	req, ok := objectFields(line, "jsonrpc", "id", "method", "params")
	if !ok || string(req["jsonrpc"]) != `"2.0"` {
		return false
	}
	switch string(req["method"]) {
	case `"notifications/cancelled"`:
		f.cancelled(req["params"])
		return false // the SDK may be serving the call instead
	case `"tools/call"`:
	default:
		return false
	}
	id, ok := requestID(req["id"])
	if !ok {
		return false
	}
	p, ok := objectFields(req["params"], "_meta", "name", "arguments")
	var name string
	if !ok || !field(p, "name", &name) || p["name"] == nil {
		return false
	}
	target, ok := f.tools[name]
	if !ok {
		return false
	}
	meta := string(p["_meta"])
	f.mu.Lock()
	env, known := f.accepted[meta]
	if !known {
		if prior, reused := f.probes[id]; reused {
			// Two calls the SDK holds under one id: its answer could be
			// to either, so it teaches nothing.
			if prior.meta != meta {
				f.probes[id] = probe{meta: meta, ambiguous: true}
			}
		} else if len(f.probes) < maxLearned {
			f.probes[id] = probe{meta: meta, newProto: perRequestProtocol(p["_meta"])}
		}
		f.mu.Unlock()
		return false
	}
	_, busy := f.inflight[id]
	_, probing := f.probes[id]
	if busy || probing {
		// Let the SDK judge an id still in use.
		f.mu.Unlock()
		return false
	}
	ctx, cancel := context.WithCancel(f.ctx)
	f.inflight[id] = cancel
	f.wg.Add(1)
	f.mu.Unlock()
	j := job{ctx: ctx, id: id, env: env, target: target, args: p["arguments"], write: write}
	select {
	case f.jobs <- j:
	default:
		go f.work(j)
	}
	return true
}

// job is one call for a worker.
type job struct {
	ctx    context.Context
	id     jsonrpc.ID
	env    envelope
	target [2]string
	args   json.RawMessage
	write  func([]byte) error
}

// maxIdle is how many workers wait for calls between bursts. A worker is
// kept rather than a goroutine started per call because the pipeline runs
// deep (schema validation, encoding): a fresh goroutine grows and copies
// its stack on every call, which costs more than the call's JSON work.
const maxIdle = 4

// work serves j, then later calls while it is one of maxIdle idle workers.
func (f *fastConn) work(j job) {
	for {
		f.serve(j.ctx, j.id, j.env, j.target, j.args, j.write)
		if f.idle.Add(1) > maxIdle {
			f.idle.Add(-1)
			return
		}
		select {
		case j = <-f.jobs:
			f.idle.Add(-1)
		case <-f.ctx.Done():
			f.idle.Add(-1)
			return
		}
	}
}

// learn records the SDK's answer to a call it was left: a result means
// calls with the same _meta are acceptable, and shows the envelope.
func (f *fastConn) learn(resp *jsonrpc.Response) {
	f.mu.Lock()
	defer f.mu.Unlock()
	pr, ok := f.probes[resp.ID]
	if !ok {
		return
	}
	delete(f.probes, resp.ID)
	if pr.ambiguous || resp.Error != nil || resp.Result == nil || len(f.accepted) >= maxLearned {
		return
	}
	var fields map[string]json.RawMessage
	if json.Unmarshal(resp.Result, &fields) != nil {
		return
	}
	f.accepted[pr.meta] = envelope{serverInfo: pr.newProto, resultType: string(fields["resultType"]) == `"complete"`}
}

func (f *fastConn) serve(ctx context.Context, id jsonrpc.ID, env envelope, target [2]string, args json.RawMessage, write func([]byte) error) {
	defer func() {
		f.mu.Lock()
		cancel := f.inflight[id]
		delete(f.inflight, id)
		f.mu.Unlock()
		if cancel != nil {
			cancel()
		}
		f.wg.Done()
	}()
	f.served.Add(1)
	res, err := f.call(ctx, target[0], target[1], args)
	var data []byte
	if err == nil {
		data, err = encodeResponse(id, res, env, f.impl)
	}
	if err != nil {
		// As the SDK answers a handler's error: a JSON-RPC error.
		if data, err = jsonrpc.EncodeMessage(&jsonrpc.Response{ID: id, Error: err}); err != nil {
			return
		}
	}
	_ = write(data)
}

// encodeResponse is the JSON-RPC response carrying res, byte for byte as
// the SDK's encoder writes it (compact, no HTML escaping, members in the
// order jsonrpc, id, result).
func encodeResponse(id jsonrpc.ID, res *mcp.CallToolResult, env envelope, impl *mcp.Implementation) ([]byte, error) {
	result, err := encodeResult(res, env, impl)
	if err != nil {
		return nil, err
	}
	idJSON, err := marshalNoEscape(id.Raw())
	if err != nil {
		return nil, err
	}
	out := make([]byte, 0, len(result)+len(idJSON)+32)
	out = append(out, `{"jsonrpc":"2.0","id":`...)
	out = append(out, idJSON...)
	out = append(out, `,"result":`...)
	out = append(out, result...)
	return append(out, '}'), nil
}

// encodeResult encodes a handler's result as the SDK's server would.
func encodeResult(res *mcp.CallToolResult, env envelope, impl *mcp.Implementation) (json.RawMessage, error) {
	out := *res
	if out.Content == nil {
		out.Content = []mcp.Content{} // the SDK avoids "content":null
	}
	if env.serverInfo {
		if _, ok := out.Meta[metaKeyServerInfo]; !ok {
			m := make(mcp.Meta, len(out.Meta)+1)
			for k, v := range out.Meta {
				m[k] = v
			}
			m[metaKeyServerInfo] = impl
			out.Meta = m
		}
	}
	data, ok := encodeTextResult(&out)
	if !ok {
		var err error
		if data, err = marshalNoEscape(&out); err != nil {
			return nil, err
		}
	}
	if env.resultType && len(data) > 2 && data[len(data)-1] == '}' {
		// Results reach here without a resultType of their own (see
		// plainResult), so this is the only one.
		data = append(data[:len(data)-1], `,"resultType":"complete"}`...)
	}
	return data, nil
}

// metaKeyServerInfo is where the per-request protocol (2026-07-28) puts
// the server's identity in a result's _meta.
const metaKeyServerInfo = "io.modelcontextprotocol/serverInfo"

// perRequestProtocol reports whether a call's _meta selects the
// per-request protocol (2026-07-28 and later).
func perRequestProtocol(meta json.RawMessage) bool {
	var m map[string]any
	if len(meta) == 0 || json.Unmarshal(meta, &m) != nil {
		return false
	}
	v, ok := m["io.modelcontextprotocol/protocolVersion"].(string)
	return ok && v >= "2026-07-28"
}

// requestID reads a request id as the SDK does: a number or a string.
func requestID(raw json.RawMessage) (jsonrpc.ID, bool) {
	if len(raw) == 0 {
		return jsonrpc.ID{}, false
	}
	var v any
	if json.Unmarshal(raw, &v) != nil {
		return jsonrpc.ID{}, false
	}
	switch v.(type) {
	case float64, string:
	default:
		return jsonrpc.ID{}, false
	}
	id, err := jsonrpc.MakeID(v)
	return id, err == nil && id.IsValid()
}

// cancelled ends a call served here when the client cancels it.
func (f *fastConn) cancelled(params json.RawMessage) {
	var p map[string]json.RawMessage
	if json.Unmarshal(params, &p) != nil {
		return
	}
	id, ok := requestID(p["requestId"])
	if !ok {
		return
	}
	f.mu.Lock()
	cancel := f.inflight[id]
	f.mu.Unlock()
	if cancel != nil {
		cancel()
	}
}

func (f *fastConn) close() { f.cancel() }

// encodeTextResult writes the common result — text content, _meta, isError
// — as the SDK's encoder does (its MarshalJSON methods use json.Marshal, so
// text is HTML-escaped), without reflection over the SDK's types; anything
// else reports false. TestEncodeTextResult holds it to the SDK's bytes.
func encodeTextResult(r *mcp.CallToolResult) ([]byte, bool) {
	if r.StructuredContent != nil || r.InputRequests != nil || r.RequestState != "" || r.NeedsInput() {
		return nil, false
	}
	b := append(make([]byte, 0, 256), '{')
	if len(r.Meta) > 0 {
		m, err := json.Marshal(r.Meta)
		if err != nil {
			return nil, false
		}
		b = append(append(append(b, `"_meta":`...), m...), ',')
	}
	b = append(b, `"content":[`...)
	for i, c := range r.Content {
		t, ok := c.(*mcp.TextContent)
		if !ok || t.Meta != nil || t.Annotations != nil {
			return nil, false
		}
		text, err := json.Marshal(t.Text)
		if err != nil {
			return nil, false
		}
		if i > 0 {
			b = append(b, ',')
		}
		b = append(append(append(b, `{"type":"text","text":`...), text...), '}')
	}
	b = append(b, ']')
	if r.IsError {
		b = append(b, `,"isError":true`...)
	}
	return append(b, '}'), true
}

// sdkMaxDepth is the nesting the SDK's JSON decoder accepts in a message.
const sdkMaxDepth = 1000

// nestedDeeper reports whether arrays and objects in data nest deeper than
// max, counting as the SDK's decoder does (brackets outside strings).
func nestedDeeper(data []byte, max int) bool {
	depth, inString, escaped := 0, false, false
	for _, b := range data {
		switch {
		case inString && escaped:
			escaped = false
		case inString && b == '\\':
			escaped = true
		case inString && b == '"':
			inString = false
		case inString:
		case b == '"':
			inString = true
		case b == '{' || b == '[':
			if depth++; depth > max {
				return true
			}
		case (b == '}' || b == ']') && depth > 0:
			depth--
		}
	}
	return false
}
