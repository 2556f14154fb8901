package escalate

import (
	"context"
	"errors"
	"io"
	"strings"
	"sync"
	"testing"

	"github.com/ironcurtain/ironcurtain-go/internal/policy"
)

// screen is a terminal's output side: it records everything and announces
// each time the answer prompt has been printed.
type screen struct {
	mu      sync.Mutex
	b       strings.Builder
	prompts chan struct{}
}

func newScreen() *screen { return &screen{prompts: make(chan struct{}, 16)} }

func (s *screen) Write(p []byte) (int, error) {
	s.mu.Lock()
	s.b.Write(p)
	s.mu.Unlock()
	if strings.Contains(string(p), "[d]eny: ") {
		s.prompts <- struct{}{}
	}
	return len(p), nil
}

func (s *screen) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// terminal wires a TerminalPrompter to a pipe the test types into.
type terminal struct {
	p   *TerminalPrompter
	in  *io.PipeWriter
	out *screen
}

func newTerminal(t *testing.T) *terminal {
	r, w := io.Pipe()
	term := &terminal{in: w, out: newScreen()}
	term.p = &TerminalPrompter{In: r, Out: term.out}
	t.Cleanup(func() { w.Close() })
	return term
}

// answer waits for the prompt and types line.
func (term *terminal) answer(t *testing.T, line string) {
	t.Helper()
	<-term.out.prompts
	if _, err := io.WriteString(term.in, line+"\n"); err != nil {
		t.Fatal(err)
	}
}

func TestTerminalPrompter(t *testing.T) {
	tests := []struct {
		name  string
		req   Request
		lines []string
		want  Answer
		shown string
	}{
		{"approve", writeReq(), []string{"a"}, Answer{Outcome: Approved, By: "terminal"}, "approve+ also allows, for this session: filesystem/write_file with write-path within /home/u/docs"},
		{"approve word", writeReq(), []string{" Approve "}, Answer{Outcome: Approved, By: "terminal"}, ""},
		{"approve+", writeReq(), []string{"+"}, Answer{Outcome: Approved, By: "terminal", AddToWhitelist: true}, ""},
		{"deny", writeReq(), []string{"d"}, Answer{Outcome: Denied, By: "terminal"}, ""},
		{"nonsense then deny", writeReq(), []string{"sure", "", "no"}, Answer{Outcome: Denied, By: "terminal"}, "please answer a, + or d"},
		{"overlong line is no answer", writeReq(), []string{"a" + strings.Repeat(" ", 2*maxLine), "d"}, Answer{Outcome: Denied, By: "terminal"}, "please answer"},
		{"approve+ unavailable", Request{ID: "h", Server: "git", Tool: "reset", EscalatedRoles: []policy.Role{policy.RoleWriteHistory},
			Values: []policy.RoleValue{{Role: policy.RoleWriteHistory, Arg: "path", Value: "/repo"}}},
			[]string{"+", "a"}, Answer{Outcome: Approved, By: "terminal"}, "approve+ is not possible here"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			term := newTerminal(t)
			res := make(chan result, 1)
			go func() {
				a, err := term.p.Prompt(t.Context(), tc.req)
				res <- result{a, err}
			}()
			for _, l := range tc.lines {
				term.answer(t, l)
			}
			r := <-res
			if r.err != nil || r.a != tc.want {
				t.Fatalf("Prompt with %q = %+v, %v, want %+v\nscreen:\n%s", tc.lines, r.a, r.err, tc.want, term.out)
			}
			if !strings.Contains(term.out.String(), tc.shown) {
				t.Errorf("screen lacks %q:\n%s", tc.shown, term.out)
			}
		})
	}
}

func TestTerminalPrompterShowsRequest(t *testing.T) {
	term := newTerminal(t)
	req := writeReq()
	req.ID = "r42"
	go func() { term.answer(t, "d") }()
	if _, err := term.p.Prompt(t.Context(), req); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"request r42", "filesystem/write_file", `{"content":"hi","path":"/home/u/docs/a.txt"}`,
		"write-path path: /home/u/docs/a.txt", "rule:   escalate-writes", "reason: Writes need approval."} {
		if !strings.Contains(term.out.String(), want) {
			t.Errorf("screen lacks %q:\n%s", want, term.out)
		}
	}
}

// Agent-chosen text reaches the screen escaped: no escape sequences, no
// C1 controls, no bidirectional overrides.
func TestTerminalPrompterEscapes(t *testing.T) {
	term := newTerminal(t)
	hostile := "x\x1b]0;pwned\x07\x1b[2J\u009b31m\u202eevil\r\n"
	req := Request{ID: "r", Server: "fs" + hostile, Tool: "t" + hostile,
		Arguments:      map[string]any{"p" + hostile: hostile},
		Rule:           "rule" + hostile,
		Reason:         "reason" + hostile,
		EscalatedRoles: wp,
		Values:         []policy.RoleValue{{Role: policy.RoleWritePath, Arg: "p" + hostile, Value: "/h/d/" + hostile}},
	}
	go func() { term.answer(t, "d") }()
	if _, err := term.p.Prompt(t.Context(), req); err != nil {
		t.Fatal(err)
	}
	out := term.out.String()
	for _, bad := range []string{"\x1b", "\x07", "\u009b", "\u202e", "\r"} {
		if strings.Contains(out, bad) {
			t.Errorf("screen contains %q:\n%q", bad, out)
		}
	}
	if !strings.Contains(out, `\u001b]0;pwned\u0007`) || !strings.Contains(out, `\u202eevil`) {
		t.Errorf("escapes not shown visibly:\n%s", out)
	}
}

func TestTerminalPrompterCancelAndEOF(t *testing.T) {
	term := newTerminal(t)
	ctx, cancel := context.WithCancel(t.Context())
	res := make(chan result, 1)
	go func() {
		a, err := term.p.Prompt(ctx, writeReq())
		res <- result{a, err}
	}()
	<-term.out.prompts
	cancel()
	if r := <-res; !errors.Is(r.err, context.Canceled) {
		t.Fatalf("Prompt after cancel = %+v, %v, want context.Canceled", r.a, r.err)
	}
	if !strings.Contains(term.out.String(), "answered elsewhere") {
		t.Errorf("screen does not say the prompt ended:\n%s", term.out)
	}
	// The terminal is free again and a new prompt works.
	go func() { term.answer(t, "a") }()
	if a, err := term.p.Prompt(t.Context(), writeReq()); err != nil || a.Outcome != Approved {
		t.Fatalf("second Prompt = %+v, %v", a, err)
	}
	go func() {
		<-term.out.prompts
		term.in.Close()
	}()
	if _, err := term.p.Prompt(t.Context(), writeReq()); !errors.Is(err, errTerminalClosed) {
		t.Errorf("Prompt on closed input = %v, want %v", err, errTerminalClosed)
	}
	if _, err := term.p.Prompt(t.Context(), writeReq()); !errors.Is(err, errTerminalClosed) {
		t.Errorf("Prompt again on closed input = %v, want %v", err, errTerminalClosed)
	}
}

// Concurrent prompts take turns on the terminal; each answer goes to the
// prompt that is showing.
func TestTerminalPrompterTurns(t *testing.T) {
	term := newTerminal(t)
	results := make(chan result, 2)
	for _, id := range []string{"one", "two"} {
		req := writeReq()
		req.ID = id
		go func() {
			a, err := term.p.Prompt(t.Context(), req)
			a.By = req.ID // which prompt got which answer
			results <- result{a, err}
		}()
	}
	term.answer(t, "a")
	first := <-results
	term.answer(t, "d")
	second := <-results
	if first.err != nil || second.err != nil || first.a.Outcome != Approved || second.a.Outcome != Denied || first.a.By == second.a.By {
		t.Errorf("prompts got %+v and %+v", first, second)
	}
}

// The broker with a terminal prompter: answered inline, and a file answer
// while the prompt shows ends the prompt.
func TestBrokerWithTerminal(t *testing.T) {
	term := newTerminal(t)
	b := newBroker(t, Config{Prompter: term.p})
	res := askAsync(t.Context(), b, writeReq())
	term.answer(t, "+")
	if r := <-res; r.err != nil || r.a != (Answer{Outcome: Approved, By: "terminal", AddToWhitelist: true}) {
		t.Fatalf("Ask = %+v, %v", r.a, r.err)
	}

	req := writeReq()
	req.ID = "byfile"
	res = askAsync(t.Context(), b, req)
	<-term.out.prompts
	writeAnswer(t, b, "byfile", `{"decision":"deny","by":"other"}`)
	if r := <-res; r.err != nil || r.a != (Answer{Outcome: Denied, By: "other"}) {
		t.Fatalf("Ask = %+v, %v", r.a, r.err)
	}
	assertNoFiles(t, b)
}

func TestArgsSummary(t *testing.T) {
	tests := []struct {
		args map[string]any
		max  int
		want string
	}{
		{nil, 100, "{}"},
		{map[string]any{"b": 1, "a": "x"}, 100, `{"a":"x","b":1}`},
		{map[string]any{"a": "<&>"}, 100, `{"a":"<&>"}`},
		{map[string]any{"a": strings.Repeat("é", 10)}, 10, `{"a":"éé… (18 more bytes)`},
		{map[string]any{"bad": make(chan int)}, 100, "(arguments cannot be shown: json: unsupported type: chan int)"},
	}
	for _, tc := range tests {
		if got := ArgsSummary(tc.args, tc.max); got != tc.want {
			t.Errorf("ArgsSummary(%v, %d) = %q, want %q", tc.args, tc.max, got, tc.want)
		}
	}
}
