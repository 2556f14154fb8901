package agent

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// fakeProvider answers with scripted responses and records every request.
type fakeProvider struct {
	mu       sync.Mutex
	script   []*Response
	requests []Request
}

func (f *fakeProvider) Complete(_ context.Context, req Request) (*Response, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	// Copy: the agent must not rely on the provider keeping its slice.
	req.Messages = append([]Message(nil), req.Messages...)
	f.requests = append(f.requests, req)
	if len(f.script) == 0 {
		return nil, fmt.Errorf("fake provider: script exhausted after %d requests", len(f.requests))
	}
	r := f.script[0]
	f.script = f.script[1:]
	for _, p := range r.Parts {
		if p.Type == PartText && req.OnText != nil {
			req.OnText(p.Text)
		}
	}
	cp := *r
	return &cp, nil
}

func (f *fakeProvider) lastRequest(t *testing.T) Request {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.requests) == 0 {
		t.Fatal("no request made")
	}
	return f.requests[len(f.requests)-1]
}

// runCode is a response asking to run code.
func runCode(id, code string, usage Usage) *Response {
	in, _ := json.Marshal(map[string]string{"code": code})
	return &Response{StopReason: StopToolUse, Usage: usage, Model: "test-model",
		Parts: []Part{{Type: PartText, Text: "running " + id}, {Type: PartToolUse, ToolUseID: id, ToolName: ToolName, Input: in}}}
}

// say is a final answer.
func say(text string, usage Usage) *Response {
	return &Response{StopReason: StopEndTurn, Usage: usage, Model: "test-model", Parts: []Part{{Type: PartText, Text: text}}}
}

// fakeExecutor returns the execution scripted for a code string (or a
// default one echoing the code) and advances the clock by step.
type fakeExecutor struct {
	mu     sync.Mutex
	byCode map[string]Execution
	codes  []string
	clock  *fakeClock
	step   time.Duration
	err    error
	vary   bool // every run gives a different result
}

func (f *fakeExecutor) Execute(_ context.Context, code string) (Execution, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.codes = append(f.codes, code)
	if f.clock != nil {
		f.clock.advance(f.step)
	}
	if f.err != nil {
		return Execution{}, f.err
	}
	if ex, ok := f.byCode[code]; ok {
		return ex, nil
	}
	out := "ran: " + code
	if f.vary {
		out += fmt.Sprint(len(f.codes))
	}
	v, _ := json.Marshal(out)
	return Execution{Value: v}, nil
}

type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// fixture is a session with a fake model, executor and clock.
type fixture struct {
	home   string
	sess   *Session
	model  *fakeProvider
	exec   *fakeExecutor
	clock  *fakeClock
	events []Event
	mu     sync.Mutex
}

func newFixture(t *testing.T, script ...*Response) *fixture {
	t.Helper()
	home := filepath.Join(t.TempDir(), "ichome")
	f := &fixture{home: home, model: &fakeProvider{script: script}, clock: newFakeClock()}
	f.exec = &fakeExecutor{byCode: map[string]Execution{}, clock: f.clock}
	s, err := Create(home, CreateOptions{Model: "test:test-model", Now: f.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	f.sess = s
	return f
}

func (f *fixture) agent(t *testing.T, b Budget, cost CostFunc) *Agent {
	t.Helper()
	a, err := New(Config{Session: f.sess, Provider: f.model, Executor: f.exec, Budget: b, Cost: cost,
		Clock: f.clock.Now, Events: func(ev Event) {
			f.mu.Lock()
			defer f.mu.Unlock()
			f.events = append(f.events, ev)
		}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	return a
}

func (f *fixture) eventsOf(kind EventKind) []Event {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []Event
	for _, ev := range f.events {
		if ev.Kind == kind {
			out = append(out, ev)
		}
	}
	return out
}

// perToken costs a dollar per thousand tokens.
func perToken(_ string, u Usage) (float64, bool) {
	return float64(u.InputTokens+u.OutputTokens) / 1000, true
}
