package agent

import (
	"bytes"
	"context"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ironcurtain/ironcurtain-go/internal/escalate"
)

// fakeEscalations holds one pending request until it is answered.
type fakeEscalations struct {
	mu       sync.Mutex
	pending  []escalate.Pending
	answered chan string
}

func (f *fakeEscalations) Pending() ([]escalate.Pending, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]escalate.Pending(nil), f.pending...), nil
}

func (f *fakeEscalations) Respond(p escalate.Pending, decision string) error {
	f.mu.Lock()
	f.pending = nil
	f.mu.Unlock()
	f.answered <- decision
	return nil
}

// approvalExecutor waits, like a gateway call under escalation, until the
// request is answered.
type approvalExecutor struct {
	esc     *fakeEscalations
	started chan struct{}
}

func (a *approvalExecutor) Execute(ctx context.Context, code string) (Execution, error) {
	a.esc.mu.Lock()
	a.esc.pending = []escalate.Pending{{N: 1, Request: escalate.Request{ID: "r1", Server: "git", Tool: "git_push", Rule: "escalate-push", Reason: "needs approval"}}}
	a.esc.mu.Unlock()
	close(a.started)
	select {
	case d := <-a.esc.answered:
		return Execution{Calls: []ToolCall{{Server: "git", Tool: "git_push", Args: []byte(`{}`), Outcome: OutcomeOK, Detail: d}}}, nil
	case <-ctx.Done():
		return Execution{}, ctx.Err()
	}
}

func TestREPLApprovesWhileTurnRuns(t *testing.T) {
	f := newFixture(t, runCode("a", "await git.git_push({})", Usage{InputTokens: 7}), say("pushed", Usage{}))
	esc := &fakeEscalations{answered: make(chan string)}
	exec := &approvalExecutor{esc: esc, started: make(chan struct{})}
	a, err := New(Config{Session: f.sess, Provider: f.model, Executor: exec, Budget: Budget{Steps: 10}, Clock: f.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	inR, inW := io.Pipe()
	var out bytes.Buffer
	w := LockedWriter(&out)
	done := make(chan error, 1)
	logs := func(w io.Writer) error { _, err := io.WriteString(w, "LOGS\n"); return err }
	go func() {
		done <- RunREPL(context.Background(), REPLConfig{In: inR, Out: w, Agent: a, Escalations: esc, Logs: logs})
	}()
	send := func(s string) {
		if _, err := io.WriteString(inW, s+"\n"); err != nil {
			t.Fatal(err)
		}
	}
	send("push my work")
	<-exec.started
	send("another task") // refused while busy
	send("/pending")
	send("/approve 2") // no such request
	send("/approve 1")
	send("/budget")
	send("/logs")
	send("/frobnicate")
	send("/quit")
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("REPL did not end")
	}
	got := out.String()
	for _, want := range []string{
		"still working",
		"1  git/git_push {}",
		"no pending request 2",
		"approve: git/git_push",
		"steps      ",
		"LOGS",
		"unknown command /frobnicate",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("REPL output lacks %q:\n%s", want, got)
		}
	}
	if f.model.lastRequest(t).Messages[2].Parts[0].Content == "" {
		t.Error("the approved call's result did not reach the model")
	}
}

func TestREPLEndOfInputWaitsForTurn(t *testing.T) {
	f := newFixture(t, runCode("a", "1", Usage{}), say("finished", Usage{}))
	a := f.agent(t, Budget{}, nil)
	var out bytes.Buffer
	in := strings.NewReader("first task\n" + strings.Repeat("x", maxInputLine+10) + "\n")
	if err := RunREPL(context.Background(), REPLConfig{In: in, Out: LockedWriter(&out), Agent: a}); err != nil {
		t.Fatal(err)
	}
	if len(f.exec.codes) != 1 {
		t.Errorf("the turn did not run to its end: %d executions", len(f.exec.codes))
	}
	if !strings.Contains(out.String(), "ignored") {
		t.Errorf("an overlong line was not refused:\n%.300s", out.String())
	}
}

func TestAnnouncer(t *testing.T) {
	esc := &fakeEscalations{pending: []escalate.Pending{{N: 1, Request: escalate.Request{ID: "r9"}}}}
	var out bytes.Buffer
	a := &Announcer{Out: LockedWriter(&out), Escalations: esc}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := a.Prompt(ctx, escalate.Request{ID: "r9", Server: "git", Tool: "git\x1b[2Jpush", Reason: "why"}); err == nil {
		t.Error("Prompt answered by itself")
	}
	if s := out.String(); !strings.Contains(s, "approval 1 needed") || !strings.Contains(s, "/approve 1") || strings.Contains(s, "\x1b") {
		t.Errorf("announcement = %q", s)
	}
}
