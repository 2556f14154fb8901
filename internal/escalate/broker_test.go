package escalate

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ironcurtain/ironcurtain-go/internal/policy"
)

// signalPrompter gives no inline answer: it reports each request it is
// shown (which Ask does only after the request file is published) and
// waits for the request to end. Tests use it to know, without polling,
// when a request can be answered by file.
type signalPrompter struct{ shown chan Request }

func newSignalPrompter() *signalPrompter { return &signalPrompter{shown: make(chan Request, 16)} }

func (p *signalPrompter) Prompt(ctx context.Context, req Request) (Answer, error) {
	p.shown <- req
	<-ctx.Done()
	return Answer{}, ctx.Err()
}

// answerPrompter answers inline after it is released.
type answerPrompter struct {
	release chan struct{}
	a       Answer
	err     error
}

func (p *answerPrompter) Prompt(ctx context.Context, _ Request) (Answer, error) {
	select {
	case <-p.release:
		return p.a, p.err
	case <-ctx.Done():
		return Answer{}, ctx.Err()
	}
}

func newBroker(t *testing.T, cfg Config) *Broker {
	t.Helper()
	if cfg.Home == "" {
		cfg.Home = t.TempDir()
	}
	if cfg.SessionID == "" {
		cfg.SessionID = "s1"
	}
	if cfg.PollInterval == 0 {
		cfg.PollInterval = time.Millisecond
	}
	if cfg.Timeout == 0 {
		// A broken test then fails within seconds, not after the real
		// five minutes; the timeout itself is tested with a fake clock.
		cfg.Timeout = 30 * time.Second
	}
	b, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return b
}

func writeReq() Request {
	return Request{
		Server: "filesystem", Tool: "write_file",
		Arguments:      map[string]any{"path": "/home/u/docs/a.txt", "content": "hi"},
		Rule:           "escalate-writes",
		Reason:         "Writes need approval.",
		EscalatedRoles: []policy.Role{policy.RoleWritePath},
		Values:         []policy.RoleValue{{Role: policy.RoleWritePath, Arg: "path", Value: "/home/u/docs/a.txt"}},
	}
}

type result struct {
	a   Answer
	err error
}

func askAsync(ctx context.Context, b *Broker, req Request) chan result {
	ch := make(chan result, 1)
	go func() {
		a, err := b.Ask(ctx, req)
		ch <- result{a, err}
	}()
	return ch
}

// writeAnswer puts an answer in place in one step, as Respond does: a
// plain os.WriteFile would let the broker see, and rightly ignore, an
// empty file.
func writeAnswer(t *testing.T, b *Broker, id, body string) {
	t.Helper()
	writeFile(body, 0o600)(t, filepath.Join(b.Dir(), responseName(id)))
}

func TestNewConfig(t *testing.T) {
	home := t.TempDir()
	tests := []struct {
		name    string
		cfg     Config
		wantErr string
	}{
		{"defaults", Config{Home: home, SessionID: "a"}, ""},
		{"min timeout", Config{Home: home, SessionID: "a", Timeout: 5 * time.Second}, ""},
		{"max timeout", Config{Home: home, SessionID: "a", Timeout: time.Hour}, ""},
		{"timeout too short", Config{Home: home, SessionID: "a", Timeout: 4 * time.Second}, "outside"},
		{"timeout too long", Config{Home: home, SessionID: "a", Timeout: time.Hour + 1}, "outside"},
		{"negative timeout", Config{Home: home, SessionID: "a", Timeout: -time.Second}, "outside"},
		{"negative poll", Config{Home: home, SessionID: "a", PollInterval: -1}, "poll interval"},
		{"relative home", Config{Home: "rel", SessionID: "a"}, "not an absolute path"},
		{"empty session", Config{Home: home}, "session id"},
		{"dotdot session", Config{Home: home, SessionID: ".."}, "session id"},
		{"slash session", Config{Home: home, SessionID: "a/b"}, "session id"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b, err := New(tc.cfg)
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("New(%+v) = %v, want success", tc.cfg, err)
				}
				fi, err := os.Stat(b.Dir())
				if err != nil || fi.Mode().Perm() != 0o700 {
					t.Errorf("escalation dir mode = %v (%v), want 0700", fi.Mode().Perm(), err)
				}
				if tc.cfg.Timeout == 0 && (b.timeout != DefaultTimeout || b.poll != DefaultPollInterval) {
					t.Errorf("defaults: timeout %v, poll %v, want %v, %v", b.timeout, b.poll, DefaultTimeout, DefaultPollInterval)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("New(%+v) = %v, want error containing %q", tc.cfg, err, tc.wantErr)
			}
		})
	}
}

func TestNewRefusesUnsafeDirs(t *testing.T) {
	tests := []struct {
		name  string
		setup func(home string) error
		want  string
	}{
		{"group-writable home", func(home string) error { return os.Chmod(home, 0o770) }, "group- or world-writable"},
		{"world-writable sessions", func(home string) error {
			if err := os.Mkdir(filepath.Join(home, "sessions"), 0o700); err != nil {
				return err
			}
			return os.Chmod(filepath.Join(home, "sessions"), 0o707)
		}, "group- or world-writable"},
		{"symlinked session", func(home string) error {
			if err := os.Mkdir(filepath.Join(home, "sessions"), 0o700); err != nil {
				return err
			}
			return os.Symlink(t.TempDir(), filepath.Join(home, "sessions", "s1"))
		}, "not a directory"},
		{"file as escalations", func(home string) error {
			if err := os.MkdirAll(filepath.Join(home, "sessions", "s1"), 0o700); err != nil {
				return err
			}
			return os.WriteFile(filepath.Join(home, "sessions", "s1", "escalations"), nil, 0o600)
		}, "not a directory"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			home := t.TempDir()
			if err := tc.setup(home); err != nil {
				t.Fatal(err)
			}
			_, err := New(Config{Home: home, SessionID: "s1"})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("New = %v, want error containing %q", err, tc.want)
			}
		})
	}
}

func TestAskAnsweredByFile(t *testing.T) {
	tests := []struct {
		body string
		want Answer
	}{
		{`{"decision":"approve","by":"alice"}`, Answer{Outcome: Approved, By: "alice"}},
		{`{"decision":"approve+","by":"alice"}`, Answer{Outcome: Approved, By: "alice", AddToWhitelist: true}},
		{`{"decision":"deny","by":"bob"}`, Answer{Outcome: Denied, By: "bob"}},
	}
	for _, tc := range tests {
		t.Run(tc.body, func(t *testing.T) {
			p := newSignalPrompter()
			b := newBroker(t, Config{Prompter: p})
			res := askAsync(t.Context(), b, writeReq())
			req := <-p.shown
			writeAnswer(t, b, req.ID, tc.body)
			r := <-res
			if r.err != nil || r.a != tc.want {
				t.Fatalf("Ask = %+v, %v, want %+v", r.a, r.err, tc.want)
			}
			assertNoFiles(t, b)
		})
	}
}

func TestAskRequestFile(t *testing.T) {
	p := newSignalPrompter()
	home := t.TempDir()
	b := newBroker(t, Config{Home: home, Prompter: p})
	req := writeReq()
	req.ID = "fixed-id"
	res := askAsync(t.Context(), b, req)
	<-p.shown
	path := filepath.Join(b.Dir(), "request-fixed-id.json")
	fi, err := os.Lstat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("request file mode = %v (%v), want 0600", fi.Mode().Perm(), err)
	}
	ps, err := ListPending(home)
	if err != nil || len(ps) != 1 {
		t.Fatalf("ListPending = %v, %v, want one", ps, err)
	}
	got := ps[0]
	if got.N != 1 || got.Path != path || got.Request.ID != "fixed-id" || got.Request.SessionID != "s1" ||
		got.Request.Rule != req.Rule || got.Request.Reason != req.Reason ||
		got.Request.Arguments["path"] != "/home/u/docs/a.txt" ||
		len(got.Request.Values) != 1 || got.Request.Values[0] != req.Values[0] ||
		len(got.Request.EscalatedRoles) != 1 || got.Request.EscalatedRoles[0] != policy.RoleWritePath {
		t.Errorf("ListPending()[0] = %+v, want the request %+v", got, req)
	}
	if d := got.Expires.Sub(got.Created); d != 30*time.Second {
		t.Errorf("expires - created = %v, want %v", d, 30*time.Second)
	}
	// A second request with the same id is refused, not merged.
	if _, err := b.Ask(t.Context(), req); err == nil {
		t.Error("Ask with a duplicate pending id succeeded")
	}
	if err := Respond(home, got, DecisionDeny, "me"); err != nil {
		t.Fatalf("Respond: %v", err)
	}
	if r := <-res; r.err != nil || r.a.Outcome != Denied || r.a.By != "me" {
		t.Errorf("Ask = %+v, %v, want denied by me", r.a, r.err)
	}
	if err := Respond(home, got, DecisionApprove, "me"); !errors.Is(err, ErrNotPending) {
		t.Errorf("Respond after the answer = %v, want ErrNotPending", err)
	}
}

func TestAskAnsweredByPrompter(t *testing.T) {
	tests := []struct {
		name string
		give Answer
		err  error
		want Answer
	}{
		{"approve", Answer{Outcome: Approved}, nil, Answer{Outcome: Approved, By: "terminal"}},
		{"approve+", Answer{Outcome: Approved, By: "tty", AddToWhitelist: true}, nil, Answer{Outcome: Approved, By: "tty", AddToWhitelist: true}},
		{"deny", Answer{Outcome: Denied}, nil, Answer{Outcome: Denied, By: "terminal"}},
		{"odd outcome is deny", Answer{Outcome: "maybe", AddToWhitelist: true}, nil, Answer{Outcome: Denied, By: "terminal"}},
		{"timeout from prompter is deny", Answer{Outcome: TimedOut}, nil, Answer{Outcome: Denied, By: "terminal"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := &answerPrompter{release: make(chan struct{}), a: tc.give, err: tc.err}
			b := newBroker(t, Config{Prompter: p})
			res := askAsync(t.Context(), b, writeReq())
			close(p.release)
			r := <-res
			if r.err != nil || r.a != tc.want {
				t.Fatalf("Ask = %+v, %v, want %+v", r.a, r.err, tc.want)
			}
			assertNoFiles(t, b)
		})
	}
}

// A prompter that fails (no terminal after all) leaves the request waiting
// for a file answer instead of denying it.
func TestAskPrompterFailsThenFile(t *testing.T) {
	p := &answerPrompter{release: make(chan struct{}), err: errors.New("no tty")}
	close(p.release)
	home := t.TempDir()
	logs := newLogBuffer()
	b := newBroker(t, Config{Home: home, Prompter: p, Log: logs.logger()})
	req := writeReq()
	req.ID = "r1"
	res := askAsync(t.Context(), b, req)
	if msg := <-logs.logged; !strings.Contains(msg, "inline prompt failed") {
		t.Fatalf("logged %q, want the failed prompt", msg)
	}
	ps, err := ListPending(home)
	if err != nil || len(ps) != 1 {
		t.Fatalf("ListPending = %v, %v, want one", ps, err)
	}
	if err := Respond(home, ps[0], DecisionApprove, "alice"); err != nil {
		t.Fatal(err)
	}
	if r := <-res; r.err != nil || r.a != (Answer{Outcome: Approved, By: "alice"}) {
		t.Errorf("Ask = %+v, %v, want approved by alice", r.a, r.err)
	}
}

// stepClock returns start on its first call and start+jump afterwards: the
// request is created at start and every later look at the clock finds it
// expired, so the timeout path runs without waiting for anything.
func stepClock(start time.Time, jump time.Duration) func() time.Time {
	var calls atomic.Int64
	return func() time.Time {
		if calls.Add(1) == 1 {
			return start
		}
		return start.Add(jump)
	}
}

func TestAskTimeout(t *testing.T) {
	b := newBroker(t, Config{Timeout: 5 * time.Second, Clock: stepClock(time.Now(), 5*time.Second)})
	a, err := b.Ask(t.Context(), writeReq())
	if err != nil || a != (Answer{Outcome: TimedOut}) {
		t.Fatalf("Ask = %+v, %v, want timeout", a, err)
	}
	assertNoFiles(t, b)
}

// Without a terminal, a request stays pending until answered; just before
// the deadline it is not yet a timeout.
func TestAskNoTerminalWaitsUntilDeadline(t *testing.T) {
	start := time.Now()
	var now atomic.Int64
	now.Store(start.UnixNano())
	clock := func() time.Time { return time.Unix(0, now.Load()) }
	home := t.TempDir()
	b := newBroker(t, Config{Home: home, Timeout: 10 * time.Second, Clock: clock})
	res := askAsync(t.Context(), b, writeReq())
	ps := waitPending(t, home, 1)
	// One nanosecond before the deadline the request is still pending:
	// the broker cannot have timed out, so the answer must be taken.
	now.Store(start.Add(10*time.Second - 1).UnixNano())
	if err := Respond(home, ps[0], DecisionApprove, "late"); err != nil {
		t.Fatalf("Respond just before the deadline: %v", err)
	}
	if r := <-res; r.err != nil || r.a.Outcome != Approved {
		t.Errorf("Ask = %+v, %v, want approved", r.a, r.err)
	}
}

func TestAskCancel(t *testing.T) {
	p := newSignalPrompter()
	b := newBroker(t, Config{Prompter: p})
	ctx, cancel := context.WithCancel(t.Context())
	res := askAsync(ctx, b, writeReq())
	<-p.shown
	cancel()
	r := <-res
	if !errors.Is(r.err, context.Canceled) {
		t.Fatalf("Ask after cancel = %+v, %v, want context.Canceled", r.a, r.err)
	}
	assertNoFiles(t, b)

	if _, err := b.Ask(ctx, writeReq()); !errors.Is(err, context.Canceled) {
		t.Errorf("Ask with a done context = %v, want context.Canceled", err)
	}
}

func TestAskBadRequest(t *testing.T) {
	b := newBroker(t, Config{})
	tests := []struct {
		name string
		req  Request
	}{
		{"other session", Request{SessionID: "s2", Server: "a", Tool: "b"}},
		{"no server", Request{Tool: "b"}},
		{"no tool", Request{Server: "a"}},
		{"bad id", Request{ID: "../x", Server: "a", Tool: "b"}},
		{"hidden id", Request{ID: ".x", Server: "a", Tool: "b"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if a, err := b.Ask(t.Context(), tc.req); err == nil {
				t.Errorf("Ask(%+v) = %+v, want an error", tc.req, a)
			}
		})
	}
}

// Several requests wait at once, each on its own, and are answered in an
// order unrelated to the order they were asked in.
func TestConcurrentAsks(t *testing.T) {
	const n = 6
	p := newSignalPrompter()
	home := t.TempDir()
	b := newBroker(t, Config{Home: home, Prompter: p})
	results := make([]chan result, n)
	for i := range n {
		req := writeReq()
		req.ID = fmt.Sprintf("r%d", i)
		results[i] = askAsync(t.Context(), b, req)
	}
	for range n {
		<-p.shown
	}
	ps, err := ListPending(home)
	if err != nil || len(ps) != n {
		t.Fatalf("ListPending = %d entries, %v, want %d", len(ps), err, n)
	}
	byID := map[string]Pending{}
	for _, pe := range ps {
		byID[pe.Request.ID] = pe
	}
	order := []int{4, 1, 5, 0, 3, 2}
	for _, i := range order {
		decision := DecisionApprove
		if i%2 == 1 {
			decision = DecisionDeny
		}
		if err := Respond(home, byID[fmt.Sprintf("r%d", i)], decision, fmt.Sprintf("u%d", i)); err != nil {
			t.Fatalf("Respond r%d: %v", i, err)
		}
		r := <-results[i]
		want := Answer{Outcome: Approved, By: fmt.Sprintf("u%d", i)}
		if i%2 == 1 {
			want.Outcome = Denied
		}
		if r.err != nil || r.a != want {
			t.Errorf("Ask r%d = %+v, %v, want %+v", i, r.a, r.err, want)
		}
	}
	assertNoFiles(t, b)
}

func assertNoFiles(t *testing.T, b *Broker) {
	t.Helper()
	ents, err := os.ReadDir(b.Dir())
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		t.Errorf("left behind: %s", e.Name())
	}
}

// waitPending polls ListPending: nothing but the filesystem can say when
// another goroutine's request file has appeared.
func waitPending(t *testing.T, home string, n int) []Pending {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		ps, err := ListPending(home)
		if err != nil {
			t.Fatal(err)
		}
		if len(ps) >= n {
			return ps
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d pending after 10s, want %d", len(ps), n)
		}
		time.Sleep(time.Millisecond)
	}
}
