package gateway

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os/exec"
	"reflect"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// rawSession drives one gateway connection with raw JSON-RPC lines.
type rawSession struct {
	t *testing.T
	w io.Writer
	r *bufio.Reader
}

func startRaw(t *testing.T, srv *Server) *rawSession {
	t.Helper()
	w, r := serveOverPipes(t, srv)
	return &rawSession{t: t, w: w, r: r}
}

func (s *rawSession) send(line string) {
	s.t.Helper()
	if _, err := io.WriteString(s.w, line+"\n"); err != nil {
		s.t.Fatal(err)
	}
}

// ask sends a request and returns the next line the gateway writes.
func (s *rawSession) ask(line string) string {
	s.t.Helper()
	s.send(line)
	resp, err := s.r.ReadString('\n')
	if err != nil {
		s.t.Fatalf("after %s: %v", line, err)
	}
	return resp
}

// auditFails marks a line to be sent while the audit log refuses records.
const auditFails = "audit-fails:"

const newProtoMeta = `{"io.modelcontextprotocol/clientCapabilities":{},"io.modelcontextprotocol/clientInfo":{"name":"raw","version":"1"},"io.modelcontextprotocol/protocolVersion":"2026-07-28"}`

// TestFastPathMatchesSDK sends the same lines to a connection that may
// answer tool calls itself and to one that leaves everything to the SDK,
// and requires byte-identical answers — for both protocol generations,
// before and after the SDK has accepted a call, for allowed, denied,
// invalid, failing, oversized and unknown calls and odd ids.
func TestFastPathMatchesSDK(t *testing.T) {
	h := newHarness(t, time.Hour)
	if st := h.mgr.servers["filesystem"]; st.direct == nil {
		t.Fatal("forwarded calls do not take the direct path to the stdio server")
	}
	call := func(id, name, args, meta string) string {
		p := `"name":"` + name + `"`
		if args != "" {
			p += `,"arguments":` + args
		}
		if meta != "" {
			p = `"_meta":` + meta + `,` + p
		}
		return `{"jsonrpc":"2.0","id":` + id + `,"method":"tools/call","params":{` + p + `}}`
	}
	docs := h.home + "/docs/"
	calls := func(meta, tag string) []string {
		return []string{
			call(`1`, "filesystem__echo", `{"path":"`+docs+tag+`1"}`, meta), // the SDK's, to learn from
			call(`2`, "filesystem__echo", `{"path":"`+docs+tag+`2"}`, meta),
			call(`"s-3"`, "filesystem__echo", `{"path":"`+h.home+`/secrets/`+tag+`"}`, meta),
			call(`4`, "filesystem__echo", `{"path":"/elsewhere/`+tag+`"}`, meta),
			call(`5`, "filesystem__echo", `{"path":"`+docs+tag+`5","count":"many"}`, meta),
			call(`6`, "filesystem__echo", `{"path":"`+docs+tag+`6","extra":1}`, meta),
			call(`7.0`, "filesystem__fail", `{}`, meta),
			call(`8`, "filesystem__big", `{"size":300000}`, meta),
			call(`9`, "filesystem__pid", `null`, meta),
			call(`10`, "filesystem__env", ``, meta),
			call(`11`, "filesystem__nope", `{}`, meta),
			call(`12`, "filesystem__echo", `"not an object"`, meta),
			`{"jsonrpc":"2.0","id":13,"method":"tools/call","params":{"name":"filesystem__pid","arguments":{},"task":{}}}`,
			call(`14`, "filesystem__echo", `{"path":"`+docs+`\u00e9<&>`+tag+`"}`, meta),
			// encoding/json matches names regardless of case; the SDK does not.
			strings.Replace(call(`15`, "filesystem__pid", `{}`, meta), `"name"`, `"Name"`, 1),
			strings.Replace(call(`16`, "filesystem__pid", `{}`, meta), `"method"`, `"Method"`, 1),
			strings.Replace(call(`17`, "filesystem__pid", `{}`, meta), `"jsonrpc":"2.0"`, `"jsonrpc":"1.0"`, 1),
			call(`18`, "filesystem__echo", `{"path":"`+docs+tag+`18"} `, meta),
			call(`"<&>\u2028"`, "filesystem__echo", `{"path":"`+docs+tag+`19"}`, meta),
			call(`-20`, "filesystem__echo", `{"path":"`+docs+tag+`20","path":"`+docs+tag+`20b"}`, meta),
			auditFails + call(`21`, "filesystem__pid", `{}`, meta),
			// Deeper than the SDK's decoder takes: refused as unreadable.
			call(`22`, "filesystem__echo", `{"path":"`+docs+tag+`22","x":`+strings.Repeat("[", 1001)+strings.Repeat("]", 1001)+`}`, meta),
		}
	}
	oldInit := []string{
		call(`0`, "filesystem__pid", `{}`, ``), // before initialize: the SDK refuses
		`{"jsonrpc":"2.0","id":"init","method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"raw","version":"1"}}}`,
		`{"jsonrpc":"2.0","method":"notifications/initialized"}`,
	}
	for _, tc := range []struct {
		name  string
		lines []string
	}{
		{"initialize", append(oldInit, calls(``, "old")...)},
		{"per-request meta", calls(newProtoMeta, "new")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fast := h.gw.MCPServer(h.eng)
			slow := &Server{sdk: h.gw.MCPServer(h.eng).sdk}
			fs, ss := startRaw(t, fast), startRaw(t, slow)
			for _, line := range tc.lines {
				if strings.Contains(line, `"notifications/`) {
					fs.send(line)
					ss.send(line)
					continue
				}
				if rest, ok := strings.CutPrefix(line, auditFails); ok {
					line = rest
					h.audit.mu.Lock()
					h.audit.err = errors.New("disk full")
					h.audit.mu.Unlock()
				}
				got, want := fs.ask(line), ss.ask(line)
				h.audit.mu.Lock()
				h.audit.err = nil
				h.audit.mu.Unlock()
				if got != want {
					t.Errorf("for %s\nfast path: %s\nSDK:       %s", line, got, want)
				}
			}
			if n := fast.fast.served.Load(); n < 8 {
				t.Errorf("the fast path answered %d calls, want at least 8", n)
			}
		})
	}
}

// TestFastPathCancel: a client's notifications/cancelled ends a call the
// fast path is serving, and the answer still comes.
func TestFastPathCancel(t *testing.T) {
	h := newHarness(t, time.Hour)
	s := startRaw(t, h.gw.MCPServer(h.eng))
	s.ask(`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"_meta":` + newProtoMeta + `,"name":"filesystem__pid","arguments":{}}}`)
	s.send(`{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"_meta":` + newProtoMeta + `,"name":"filesystem__hang","arguments":{}}}`)
	// Cancel until the call is in flight (the notification may overtake it).
	answer := make(chan string, 1)
	go func() {
		line, _ := s.r.ReadString('\n')
		answer <- line
	}()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case line := <-answer:
			if !strings.Contains(line, `"id":2`) || !strings.Contains(line, "context canceled") {
				t.Fatalf("answer to the cancelled call: %s", line)
			}
			rec := h.audit.last(t)
			if rec.Tool != "hang" || rec.Result.Status != "error" {
				t.Fatalf("audit record of the cancelled call: %+v", rec)
			}
			return
		case <-tick.C:
			s.send(`{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":2,"reason":"test"}}`)
		}
	}
}

func TestBreakerStaysBounded(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	b := newBreaker(20, time.Minute, func() time.Time { return now })
	args := map[string]any{"path": "x"}
	for i := 1; i <= 10000; i++ {
		if got, want := b.allow("s", "t", args), i <= 20; got != want {
			t.Fatalf("call %d: allow = %v, want %v", i, got, want)
		}
	}
	for _, times := range b.calls {
		if len(times) > 21 {
			t.Fatalf("breaker keeps %d timestamps for one call, want at most 21", len(times))
		}
	}
	now = now.Add(time.Minute)
	if !b.allow("s", "t", args) {
		t.Fatal("a call a minute after the burst was refused")
	}
}

// decodeCases are server results of every shape decodeResult meets.
var decodeCases = []string{
	`{"content":[{"type":"text","text":"hi"}]}`,
	`{"content":[{"type":"text","text":"a"},{"type":"text","text":""}],"isError":true}`,
	`{"content":[],"_meta":{"io.modelcontextprotocol/serverInfo":{"name":"s","version":"1"},"n":1.5},"resultType":"complete"}`,
	`{"content":[{"type":"text","text":"x","annotations":{"priority":1}}]}`,
	`{"content":[{"type":"image","data":"aGk=","mimeType":"image/png"}]}`,
	`{"content":[{"type":"text","text":"x"}],"structuredContent":{"a":1}}`,
	`{"content":[{"type":"text","text":"x"}],"resultType":"input_required"}`,
	`{"content":[{"type":"text"}]}`,
	`{"content":null}`,
	`{"content":[{"type":"text","text":"\ud800 \u00e9"}],"isError":false}`,
	`{}`,
	`[]`,
	`{"content":[{"type":"text","text":5}]}`,
}

func TestDecodeResultMatchesSDK(t *testing.T) {
	for _, raw := range decodeCases {
		checkDecodeResult(t, []byte(raw))
	}
}

func FuzzDecodeResult(f *testing.F) {
	for _, raw := range decodeCases {
		f.Add([]byte(raw))
	}
	f.Fuzz(func(t *testing.T, raw []byte) { checkDecodeResult(t, raw) })
}

// checkDecodeResult: where the one-pass decoder takes a result, the SDK's
// decoder takes it too and gives the same value.
func checkDecodeResult(t *testing.T, raw []byte) {
	t.Helper()
	fast, ok := decodeTextResult(raw)
	if !ok {
		return
	}
	var sdk mcp.CallToolResult
	if err := json.Unmarshal(raw, &sdk); err != nil {
		t.Fatalf("%s: one-pass decoder took what the SDK refuses (%v)", raw, err)
	}
	// Both go on as plain results; compare what the client would be sent.
	got, err1 := json.Marshal(plainResult(fast))
	want, err2 := json.Marshal(plainResult(&sdk))
	if err1 != nil || err2 != nil || string(got) != string(want) {
		t.Fatalf("%s:\none-pass %s (%v)\nSDK      %s (%v)", raw, got, err1, want, err2)
	}
}

func TestPlainResultDropsProtocolState(t *testing.T) {
	var r mcp.CallToolResult
	raw := `{"content":[{"type":"text","text":"x"}],"resultType":"input_required","inputRequests":{"a":{"method":"elicitation/create","params":{}}},"isError":true}`
	if err := json.Unmarshal([]byte(raw), &r); err != nil {
		t.Fatal(err)
	}
	if !r.NeedsInput() {
		t.Fatal("test input: the SDK did not keep the resultType")
	}
	out, err := json.Marshal(plainResult(&r))
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(out, &m); err != nil {
		t.Fatal(err)
	}
	if _, ok := m["resultType"]; ok {
		t.Errorf("resultType relayed: %s", out)
	}
	if _, ok := m["inputRequests"]; ok {
		t.Errorf("inputRequests relayed: %s", out)
	}
	if m["isError"] != true || !reflect.DeepEqual(m["content"], []any{map[string]any{"type": "text", "text": "x"}}) {
		t.Errorf("content lost: %s", out)
	}
}

// TestDirectCallsFailFast: a forwarded call to a server that dies while
// answering ends with an error at once, and later calls are refused
// without a wait.
func TestDirectCallsFailFast(t *testing.T) {
	h := newHarness(t, time.Hour)
	st := h.mgr.servers["filesystem"]
	conn := st.direct
	if conn == nil {
		t.Fatal("no direct connection")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := conn.callTool(ctx, "crash", map[string]any{}, conn.requestMeta()); err == nil {
		t.Fatal("a call whose server died returned no error")
	}
	if ctx.Err() != nil {
		t.Fatal("the call waited for its deadline")
	}
	_, err := conn.callTool(ctx, "pid", map[string]any{}, conn.requestMeta())
	if err == nil || !strings.Contains(err.Error(), "closed") {
		t.Fatalf("call on a dead connection: %v", err)
	}
	if ctx.Err() != nil {
		t.Fatal("the call on a dead connection waited for its deadline")
	}
}

// TestRouteAnswers: answers to forwarded calls reach their callers even
// from a server that adds members or sends text that is not clean UTF-8;
// the server's own requests and others' answers go to the SDK.
func TestRouteAnswers(t *testing.T) {
	const id = fastIDBase + 7
	for _, tc := range []struct {
		line, result, err string
		routed            bool
	}{
		{line: `{"jsonrpc":"2.0","id":1099511627783,"result":{"content":[]}}`, result: `{"content":[]}`, routed: true},
		{line: `{"jsonrpc":"2.0","id":1099511627783,"result":{"content":[]},"extra":{"x":1}}`, result: `{"content":[]}`, routed: true},
		{line: "{\"jsonrpc\":\"2.0\",\"id\":1099511627783,\"result\":{\"t\":\"\xff\"}}", result: "{\"t\":\"\xff\"}", routed: true},
		{line: `{"jsonrpc":"2.0","id":1099511627783,"error":{"code":-32602,"message":"bad"}}`, err: "bad", routed: true},
		{line: `{"jsonrpc":"2.0","id":1099511627783,"error":7}`, err: "malformed error response", routed: true},
		{line: `{"jsonrpc":"2.0","id":1099511627783}`, err: "neither result nor error", routed: true},
		{line: `{"jsonrpc":"2.0","id":1099511627783,"method":"roots/list"}`},
		{line: `{"jsonrpc":"2.0","id":3,"result":{}}`},
		{line: `not json`},
		// The SDK reads ids as float64: the same id, written otherwise.
		{line: `{"jsonrpc":"2.0","id":1099511627783.0,"result":{"content":[]}}`, result: `{"content":[]}`, routed: true},
		{line: `{"jsonrpc":"2.0","id":1.099511627783e12,"result":{"content":[]}}`, result: `{"content":[]}`, routed: true},
	} {
		c := &childConn{pending: map[int64]chan childReply{}}
		ch := make(chan childReply, 1)
		c.pending[id] = ch
		if got := c.route([]byte(tc.line)); got != tc.routed {
			t.Errorf("%s: routed = %v, want %v", tc.line, got, tc.routed)
			continue
		}
		if !tc.routed {
			continue
		}
		r := <-ch
		switch {
		case tc.err != "" && (r.err == nil || !strings.Contains(r.err.Error(), tc.err)):
			t.Errorf("%s: error %v, want %q", tc.line, r.err, tc.err)
		case tc.err == "" && (r.err != nil || string(r.result) != tc.result):
			t.Errorf("%s: result %s (%v), want %s", tc.line, r.result, r.err, tc.result)
		}
	}
}

func TestEncodeTextResult(t *testing.T) {
	text := func(s ...string) []mcp.Content {
		out := make([]mcp.Content, len(s))
		for i, x := range s {
			out[i] = &mcp.TextContent{Text: x}
		}
		return out
	}
	for _, r := range []*mcp.CallToolResult{
		{Content: text("hi")},
		{Content: text()},
		{Content: text("<a & b>", "\u2028\u2029 \x01 \"q\" \\ é \xff"), IsError: true},
		{Content: text("x"), Meta: mcp.Meta{"io.modelcontextprotocol/serverInfo": &mcp.Implementation{Name: "<s>", Version: "1"}, "n": 1.5, "z": []any{"<"}}},
		{Content: text("x"), Meta: mcp.Meta{}},
	} {
		got, ok := encodeTextResult(r)
		if !ok {
			t.Fatalf("%+v: not encoded", r)
		}
		want, err := marshalNoEscape(r)
		if err != nil || string(got) != string(want) {
			t.Errorf("got  %s\nwant %s (%v)", got, want, err)
		}
	}
	for _, r := range []*mcp.CallToolResult{
		{Content: []mcp.Content{&mcp.ImageContent{Data: []byte("x"), MIMEType: "image/png"}}},
		{Content: []mcp.Content{&mcp.TextContent{Text: "x", Annotations: &mcp.Annotations{Priority: 1}}}},
		{Content: text("x"), StructuredContent: map[string]any{"a": 1}},
	} {
		if _, ok := encodeTextResult(r); ok {
			t.Errorf("%+v: encoded by hand, want the SDK's encoder", r)
		}
	}
}

// stuckWriter is a peer that stops reading: a write blocks until Close.
type stuckWriter struct {
	entered, release chan struct{}
	once             sync.Once
}

func (w *stuckWriter) Write([]byte) (int, error) {
	w.once.Do(func() { close(w.entered) })
	<-w.release
	return 0, io.ErrClosedPipe
}

func (w *stuckWriter) Close() error { close(w.release); return nil }

// TestCloseWhileWriteBlocked: a client that stops reading cannot keep its
// connection from closing (closing the socket ends the stuck write).
func TestCloseWhileWriteBlocked(t *testing.T) {
	r, _ := io.Pipe()
	w := &stuckWriter{entered: make(chan struct{}), release: make(chan struct{})}
	conn, err := (&lineTransport{r: r, w: w, c: w}).Connect(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	wrote := make(chan error, 1)
	go func() { wrote <- conn.Write(context.Background(), &jsonrpc.Response{Result: []byte(`{}`)}) }()
	<-w.entered
	closed := make(chan struct{})
	go func() { conn.Close(); close(closed) }()
	select {
	case <-closed:
	case <-time.After(10 * time.Second):
		t.Fatal("Close waited for a write the peer never reads")
	}
	if err := <-wrote; err == nil {
		t.Fatal("the stuck write reported success")
	}
}

// TestForwardToServerThatStopsReading: a forwarded call ends at its
// deadline even when its request cannot be written, and Close still ends
// the server.
func TestForwardToServerThatStopsReading(t *testing.T) {
	cmd := exec.Command("sleep", "60")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	tr := &childTransport{cmd: cmd, terminate: 100 * time.Millisecond}
	if _, err := tr.Connect(context.Background()); err != nil {
		t.Skipf("cannot start sleep: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	done := make(chan error, 1)
	go func() {
		// Far more than a pipe holds, so the write blocks.
		_, err := tr.conn.callTool(ctx, "x", map[string]any{"big": strings.Repeat("a", 1<<20)}, nil)
		done <- err
	}()
	select {
	case err := <-done:
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("callTool = %v, want the deadline", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("callTool outlived its deadline behind a blocked write")
	}
	closed := make(chan struct{})
	go func() { tr.conn.Close(); close(closed) }()
	select {
	case <-closed:
	case <-time.After(10 * time.Second):
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		t.Fatal("Close never ended the server")
	}
}

func TestOutOfRangeNumberDenied(t *testing.T) {
	h := newHarness(t, time.Hour)
	res, rec := h.call(t, "echo", `{"path":"`+h.home+`/docs/a","count":1e400}`)
	if !res.IsError || rec.Decision.Rule != "invalid-arguments" || !strings.Contains(text(t, res), "1e400 is out of range") {
		t.Fatalf("result %q, rule %q", text(t, res), rec.Decision.Rule)
	}
}

// TestProbeIDReused: when two calls the SDK holds share an id, its answer
// to one must not make the other's _meta acceptable.
func TestProbeIDReused(t *testing.T) {
	f := newFastConn(context.Background(), &fastTools{tools: map[string][2]string{"s__t": {"s", "t"}}})
	defer f.close()
	id, _ := jsonrpc.MakeID(float64(5))
	line := func(meta string) []byte {
		return []byte(`{"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"_meta":` + meta + `,"name":"s__t"}}`)
	}
	for _, meta := range []string{`{"a":1}`, `{"b":2}`} {
		if f.intercept(line(meta), func([]byte) error { return nil }) {
			t.Fatal("an unlearned call was served")
		}
	}
	f.learn(&jsonrpc.Response{ID: id, Result: json.RawMessage(`{"content":[]}`)})
	if len(f.accepted) != 0 {
		t.Fatalf("learned %v from an answer to an id two calls shared", f.accepted)
	}
}
