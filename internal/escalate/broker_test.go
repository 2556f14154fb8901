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

func writeAnswer(t *testing.T, b *Broker, id, body string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(b.Dir(), responseName(id)), []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
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
	if d := got.Expires.Sub(got.Created); d != DefaultTimeout {
		t.Errorf("expires - created = %v, want %v", d, DefaultTimeout)
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

// Forged or broken answers are ignored (and removed) and the request keeps
// waiting; the real answer that follows is taken.
func TestForgedAnswersIgnored(t *testing.T) {
	outside := filepath.Join(t.TempDir(), "approve.json")
	if err := os.WriteFile(outside, []byte(`{"decision":"approve","by":"x"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		forge func(t *testing.T, path string)
	}{
		{"symlink", func(t *testing.T, path string) {
			if err := os.Symlink(outside, path); err != nil {
				t.Fatal(err)
			}
		}},
		{"unknown decision", writeFile(`{"decision":"yes","by":"x"}`, 0o600)},
		{"unknown field", writeFile(`{"decision":"approve","by":"x","whitelist":"all"}`, 0o600)},
		{"duplicate key", writeFile(`{"decision":"deny","decision":"approve","by":"x"}`, 0o600)},
		{"missing by", writeFile(`{"decision":"approve"}`, 0o600)},
		{"control in by", writeFile(`{"decision":"approve","by":"x\u001b[2J"}`, 0o600)},
		{"not json", writeFile(`approve`, 0o600)},
		{"trailing data", writeFile(`{"decision":"approve","by":"x"} {}`, 0o600)},
		{"too big", writeFile(`{"decision":"approve","by":"x"}`+strings.Repeat(" ", maxAnswerSize), 0o600)},
		{"group-writable", writeFile(`{"decision":"approve","by":"x"}`, 0o620)},
		{"world-writable", writeFile(`{"decision":"approve","by":"x"}`, 0o602)},
		{"directory", func(t *testing.T, path string) {
			if err := os.Mkdir(path, 0o700); err != nil {
				t.Fatal(err)
			}
		}},
		{"fifo", func(t *testing.T, path string) {
			if err := mkfifo(path); err != nil {
				t.Skipf("mkfifo: %v", err)
			}
		}},
		{"other owner", func(t *testing.T, path string) {
			if os.Getuid() != 0 {
				t.Skip("needs root to give a file away")
			}
			writeFile(`{"decision":"approve","by":"x"}`, 0o600)(t, path)
			if err := os.Chown(path, 65534, 65534); err != nil {
				t.Skipf("chown: %v", err)
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := newSignalPrompter()
			logs := newLogBuffer()
			b := newBroker(t, Config{Prompter: p, Log: logs.logger()})
			res := askAsync(t.Context(), b, writeReq())
			req := <-p.shown
			path := filepath.Join(b.Dir(), responseName(req.ID))
			tc.forge(t, path)
			// The broker logs a rejection after removing the file, so the
			// real answer can then be put in its place.
			if msg := <-logs.logged; !strings.Contains(msg, "ignored answer file") {
				t.Fatalf("logged %q, want a line about the ignored answer", msg)
			}
			if _, err := os.Lstat(path); !errors.Is(err, os.ErrNotExist) {
				t.Fatalf("rejected answer not removed (%v)", err)
			}
			select {
			case r := <-res:
				t.Fatalf("Ask returned %+v, %v on a forged answer", r.a, r.err)
			default:
			}
			writeAnswer(t, b, req.ID, `{"decision":"deny","by":"real"}`)
			if r := <-res; r.err != nil || r.a != (Answer{Outcome: Denied, By: "real"}) {
				t.Errorf("Ask = %+v, %v, want denied by real", r.a, r.err)
			}
			if _, err := os.Stat(outside); err != nil {
				t.Errorf("symlink target was touched: %v", err)
			}
		})
	}
}

func writeFile(body string, mode os.FileMode) func(t *testing.T, path string) {
	return func(t *testing.T, path string) {
		t.Helper()
		tmp := path + ".forge"
		if err := os.WriteFile(tmp, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(tmp, mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(tmp, path); err != nil {
			t.Fatal(err)
		}
	}
}

// An answer for an id nobody asked is never read, and one written before
// its request existed is cleared when the request is published.
func TestAnswerForUnknownID(t *testing.T) {
	p := newSignalPrompter()
	b := newBroker(t, Config{Prompter: p})
	writeAnswer(t, b, "unknown", `{"decision":"approve","by":"x"}`)
	writeAnswer(t, b, "pre", `{"decision":"approve","by":"x"}`)
	req := writeReq()
	req.ID = "pre"
	res := askAsync(t.Context(), b, req)
	<-p.shown
	if _, err := os.Lstat(filepath.Join(b.Dir(), responseName("pre"))); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("pre-written answer still there (%v)", err)
	}
	writeAnswer(t, b, "pre", `{"decision":"deny","by":"y"}`)
	if r := <-res; r.err != nil || r.a != (Answer{Outcome: Denied, By: "y"}) {
		t.Errorf("Ask = %+v, %v, want denied by y", r.a, r.err)
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

func TestRespondRefuses(t *testing.T) {
	p := newSignalPrompter()
	home := t.TempDir()
	b := newBroker(t, Config{Home: home, Prompter: p})
	hist := Request{Server: "git", Tool: "git_reset", ID: "h",
		EscalatedRoles: []policy.Role{policy.RoleWriteHistory},
		Values:         []policy.RoleValue{{Role: policy.RoleWriteHistory, Arg: "path", Value: "/repo"}}}
	res := askAsync(t.Context(), b, hist)
	<-p.shown
	ps, err := ListPending(home)
	if err != nil || len(ps) != 1 {
		t.Fatalf("ListPending = %v, %v", ps, err)
	}
	tests := []struct {
		name, decision, by string
		p                  Pending
		want               string
	}{
		{"bad decision", "approve!", "x", ps[0], "not one of"},
		{"empty by", DecisionApprove, "", ps[0], "by must be"},
		{"control by", DecisionApprove, "a\x1b", ps[0], "non-printable"},
		{"approve+ without entry", DecisionApprovePlus, "x", ps[0], "approve+ is not possible"},
		{"unknown id", DecisionApprove, "x", Pending{Request: Request{ID: "nope", SessionID: "s1"}}, "no longer pending"},
		{"unknown session", DecisionApprove, "x", Pending{Request: Request{ID: "h", SessionID: "s9"}}, "no longer pending"},
		{"bad id", DecisionApprove, "x", Pending{Request: Request{ID: "../h", SessionID: "s1"}}, "not a valid name"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := Respond(home, tc.p, tc.decision, tc.by)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Respond(%q, %q) = %v, want error containing %q", tc.decision, tc.by, err, tc.want)
			}
		})
	}
	if err := Respond(home, ps[0], DecisionApprove, "x"); err != nil {
		t.Fatal(err)
	}
	if r := <-res; r.a.Outcome != Approved {
		t.Errorf("Ask = %+v, %v", r.a, r.err)
	}
}

func TestListPendingCreatesNothing(t *testing.T) {
	home := filepath.Join(t.TempDir(), "absent")
	ps, err := ListPending(home)
	if err != nil || len(ps) != 0 {
		t.Fatalf("ListPending(missing) = %v, %v, want none", ps, err)
	}
	if _, err := os.Stat(home); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("ListPending created %s (%v)", home, err)
	}
}

// ListPending shows requests of every session in creation order and hides
// expired, answered and malformed ones.
func TestListPendingOrderAndFilter(t *testing.T) {
	home := t.TempDir()
	base := time.Now()
	mk := func(session, id string, created time.Time, timeout time.Duration) {
		dir, err := secureEscalationsDir(home, session, true)
		if err != nil {
			t.Fatal(err)
		}
		req := writeReq()
		req.ID, req.SessionID = id, session
		data, err := encodeRequest(req, created, created.Add(timeout))
		if err != nil {
			t.Fatal(err)
		}
		if err := writeNewFile(dir, requestName(id), data); err != nil {
			t.Fatal(err)
		}
	}
	mk("s2", "b", base.Add(-2*time.Second), time.Minute)
	mk("s1", "c", base.Add(-3*time.Second), time.Minute)
	mk("s1", "a", base.Add(-2*time.Second), time.Minute)
	mk("s1", "old", base.Add(-time.Hour), time.Minute) // expired
	mk("s3", "answered", base, time.Minute)
	if err := os.WriteFile(filepath.Join(escalationsDir(home, "s3"), responseName("answered")), []byte(`{}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(escalationsDir(home, "s1"), requestName("junk")), []byte(`{"id":"junk"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(escalationsDir(home, "s1"), requestName("wrongid")), mustEncode(t, "other", "s1"), 0o600); err != nil {
		t.Fatal(err)
	}
	ps, err := ListPending(home)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range ps {
		got = append(got, fmt.Sprintf("%d:%s/%s", p.N, p.Request.SessionID, p.Request.ID))
	}
	want := "1:s1/c 2:s1/a 3:s2/b"
	if strings.Join(got, " ") != want {
		t.Errorf("ListPending = %v, want %s", got, want)
	}

	if err := os.Chmod(filepath.Join(home, "sessions", "s2"), 0o777); err != nil {
		t.Fatal(err)
	}
	if _, err := ListPending(home); err == nil || !strings.Contains(err.Error(), "writable") {
		t.Errorf("ListPending with a world-writable session dir = %v, want an error", err)
	}
}

func mustEncode(t *testing.T, id, session string) []byte {
	t.Helper()
	req := writeReq()
	req.ID, req.SessionID = id, session
	data, err := encodeRequest(req, time.Now(), time.Now().Add(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	return data
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
