package llmtest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"
)

// ToolCall is one tool call a scripted turn makes.
type ToolCall struct {
	ID    string // default: a provider-style ID unique within the server
	Name  string
	Input string // JSON text, streamed in several pieces; default "{}"
}

// Turn scripts the answer to one request. Every request the server accepts
// consumes one turn, retries included.
type Turn struct {
	Text      []string // streamed text, one delta per element
	ToolCalls []ToolCall
	// StopReason is sent as it is, in the provider's own vocabulary
	// ("end_turn", "tool_calls", ...). Default: the tool-use reason when the
	// turn has tool calls, the end-of-turn reason otherwise.
	StopReason   string
	InputTokens  int64
	OutputTokens int64
	Model        string // default: the requested model

	// Status, if not zero, answers with this HTTP status and Body (default:
	// a provider-shaped error naming the status) instead of a completion.
	// Error responses carry "retry-after-ms: 0" so SDK retries do not wait,
	// unless Header says otherwise.
	Status int
	Body   string
	Header map[string]string // extra headers on a Status answer

	// StreamError, if set, ends the stream (after the text) with the
	// provider's in-stream error event carrying this message.
	StreamError string
	// Truncate ends the stream without the provider's closing events (stop
	// reason, end of message), as a dropped connection would.
	Truncate bool
	// Hang sends the start of the stream and the first text delta (with no
	// text: everything but the closing events), then waits until the client
	// goes away (for cancellation tests).
	Hang bool

	// Check, if not nil, is called with the request after it passed the
	// server's own validation; an error fails the test and gets a 400.
	Check func(Request) error
}

// Request is one request as the server received it.
type Request struct {
	Method string
	Path   string
	Header http.Header
	Body   []byte
}

// Decode unmarshals the request body into v.
func (r Request) Decode(v any) error { return json.Unmarshal(r.Body, v) }

// Server is a scripted provider endpoint, closed when the test ends.
type Server struct {
	// URL is the base URL to configure a client with: the root for
	// Anthropic, the root plus /v1 for OpenAI (as in OPENAI_BASE_URL).
	URL string

	t       testing.TB
	dialect dialect
	srv     *httptest.Server
	done    chan struct{} // closed at cleanup: hanging handlers give up

	mu     sync.Mutex // guards the fields below
	script []Turn
	next   int
	reqs   []Request
	ids    int
}

// dialect is what differs between the two providers.
type dialect interface {
	name() string
	path() string
	// validate checks the request and says what it asked for.
	validate(r *http.Request, body []byte) (info, error)
	errorBody(status int, msg string) string
	// write answers with turn tu; hang, if not nil, is called after the
	// first text delta and returns when the client has gone.
	write(w http.ResponseWriter, tu *Turn, in info, ids func(string) string, hang func())
}

// info is what a valid request asked for.
type info struct {
	stream bool
	model  string
	usage  bool // OpenAI: stream_options.include_usage
}

// NewAnthropic starts a server speaking the Anthropic Messages API
// (POST /v1/messages) that answers requests with script, in order.
func NewAnthropic(t testing.TB, script ...Turn) *Server {
	return start(t, anthropicDialect{}, script)
}

// NewOpenAI starts a server speaking the OpenAI Chat Completions API
// (POST /v1/chat/completions) that answers requests with script, in order.
func NewOpenAI(t testing.TB, script ...Turn) *Server {
	return start(t, openAIDialect{}, script)
}

func start(t testing.TB, d dialect, script []Turn) *Server {
	t.Helper()
	s := &Server{t: t, dialect: d, script: script, done: make(chan struct{})}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("llmtest: listen: %v", err)
	}
	s.srv = &httptest.Server{Listener: l, Config: &http.Server{Handler: http.HandlerFunc(s.serve)}}
	s.srv.Start()
	s.URL = s.srv.URL
	if _, ok := d.(openAIDialect); ok {
		s.URL += "/v1"
	}
	t.Cleanup(func() {
		close(s.done)
		s.srv.Close()
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.next < len(s.script) {
			t.Errorf("llmtest: %s server: %d of %d scripted turns were never requested", d.name(), len(s.script)-s.next, len(s.script))
		}
	})
	return s
}

// Requests returns every request received so far, valid or not, in order.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Request, len(s.reqs))
	for i, r := range s.reqs {
		out[i] = Request{Method: r.Method, Path: r.Path, Header: r.Header.Clone(), Body: bytes.Clone(r.Body)}
	}
	return out
}

// maxBody bounds a request body; far above anything a test sends.
const maxBody = 32 << 20

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil {
		s.reject(w, http.StatusBadRequest, fmt.Sprintf("read body: %v", err))
		return
	}
	req := Request{Method: r.Method, Path: r.URL.Path, Header: r.Header.Clone(), Body: body}
	s.mu.Lock()
	s.reqs = append(s.reqs, req)
	n := len(s.reqs)
	s.mu.Unlock()

	if len(body) > maxBody {
		s.reject(w, http.StatusRequestEntityTooLarge, "request body too large")
		return
	}
	if r.URL.Path != s.dialect.path() {
		s.reject(w, http.StatusNotFound, fmt.Sprintf("request %d: %s %s: this server serves only POST %s", n, r.Method, r.URL.Path, s.dialect.path()))
		return
	}
	in, err := s.dialect.validate(r, body)
	if err != nil {
		s.reject(w, http.StatusBadRequest, fmt.Sprintf("request %d: %v", n, err))
		return
	}
	s.mu.Lock()
	if s.next >= len(s.script) {
		s.mu.Unlock()
		s.reject(w, http.StatusBadRequest, fmt.Sprintf("request %d: the script has only %d turns", n, len(s.script)))
		return
	}
	tu := s.script[s.next]
	s.next++
	s.mu.Unlock()

	if tu.Check != nil {
		if err := tu.Check(req); err != nil {
			s.reject(w, http.StatusBadRequest, fmt.Sprintf("request %d: check: %v", n, err))
			return
		}
	}
	if tu.Status != 0 {
		b := tu.Body
		if b == "" {
			b = s.dialect.errorBody(tu.Status, fmt.Sprintf("scripted %d %s", tu.Status, http.StatusText(tu.Status)))
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Retry-After-Ms", "0")
		for k, v := range tu.Header {
			w.Header().Set(k, v)
		}
		w.WriteHeader(tu.Status)
		_, _ = io.WriteString(w, b)
		return
	}
	if tu.Model != "" {
		in.model = tu.Model
	}
	hang := func() {
		select {
		case <-r.Context().Done():
		case <-s.done:
		}
	}
	s.dialect.write(w, &tu, in, s.newID, hang)
}

// reject fails the test and answers as the real API answers a bad request,
// telling the SDK not to retry.
func (s *Server) reject(w http.ResponseWriter, status int, msg string) {
	s.t.Errorf("llmtest: %s server: %s", s.dialect.name(), msg)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Should-Retry", "false")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, s.dialect.errorBody(status, msg))
}

func (s *Server) newID(prefix string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ids++
	return fmt.Sprintf("%s_test%04d", prefix, s.ids)
}

// sse writes server-sent events, flushing each so the client sees them as
// a real stream.
type sse struct {
	w http.ResponseWriter
	f http.Flusher
}

func newSSE(w http.ResponseWriter) *sse {
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	f, _ := w.(http.Flusher)
	return &sse{w: w, f: f}
}

// event writes one event; name may be empty (OpenAI sends data lines only).
func (e *sse) event(name string, data any) {
	var b []byte
	if s, ok := data.(string); ok {
		b = []byte(s)
	} else {
		b, _ = json.Marshal(data)
	}
	if name != "" {
		fmt.Fprintf(e.w, "event: %s\n", name)
	}
	fmt.Fprintf(e.w, "data: %s\n\n", b)
	if e.f != nil {
		e.f.Flush()
	}
}

// pieces splits s into up to three parts at rune boundaries, so tool
// arguments arrive in fragments the client must join.
func pieces(s string) []string {
	if len(s) < 3 {
		return []string{s}
	}
	var out []string
	step := len(s) / 3
	for len(s) > 0 && len(out) < 2 {
		cut := min(step, len(s))
		for cut < len(s) && !utf8.RuneStart(s[cut]) {
			cut++
		}
		out = append(out, s[:cut])
		s = s[cut:]
	}
	if s != "" {
		out = append(out, s)
	}
	return out
}

func inputOrEmpty(in string) string {
	if strings.TrimSpace(in) == "" {
		return "{}"
	}
	return in
}
