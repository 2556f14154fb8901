package gateway

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/ironcurtain/ironcurtain-go/internal/audit"
	"github.com/ironcurtain/ironcurtain-go/internal/config"
	"github.com/ironcurtain/ironcurtain-go/internal/escalate"
	"github.com/ironcurtain/ironcurtain-go/internal/policy"
	"github.com/ironcurtain/ironcurtain-go/internal/resource"
)

const testAnnotations = `{"servers":{"filesystem":{"tools":[
 {"toolName":"echo","args":{"path":["read-path"],"count":["none"]}},
 {"toolName":"env","args":{}}, {"toolName":"pid","args":{}}, {"toolName":"big","args":{"size":["none"]}},
 {"toolName":"crash","args":{}}, {"toolName":"hang","args":{}}, {"toolName":"fail","args":{}}]}}}`

func testPolicy(home string) string {
	return `{"rules":[
 {"name":"allow-echo-docs","if":{"server":["filesystem"],"tool":["echo"],"paths":{"roles":["read-path"],"within":"` + home + `/docs"}},"then":"allow","reason":"docs are readable"},
 {"name":"deny-echo-secrets","if":{"server":["filesystem"],"tool":["echo"],"paths":{"roles":["read-path"],"within":"` + home + `/secrets"}},"then":"deny","reason":"secrets"},
 {"name":"escalate-echo","if":{"server":["filesystem"],"tool":["echo"]},"then":"escalate","reason":"reads elsewhere need approval"},
 {"name":"allow-tools","if":{"server":["filesystem"],"tool":["env","pid","big","crash","hang","fail"]},"then":"allow","reason":"test tools"}]}`
}

type fakeAudit struct {
	mu   sync.Mutex
	recs []audit.Record
	err  error
}

func (f *fakeAudit) Append(_ context.Context, r audit.Record) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return f.err
	}
	f.recs = append(f.recs, r)
	return nil
}

func (f *fakeAudit) last(t *testing.T) audit.Record {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.recs) == 0 {
		t.Fatal("no audit record")
	}
	return f.recs[len(f.recs)-1]
}

type fakeApprover struct {
	mu      sync.Mutex
	answer  escalate.Answer
	err     error
	asked   []escalate.Request
	entries []escalate.Request
}

func (f *fakeApprover) Whitelisted(server, tool string, d policy.Decision) (string, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, e := range f.entries {
		if e.Server == server && e.Tool == tool && d.Verdict == policy.Escalate {
			return "entry", true
		}
	}
	return "", false
}

func (f *fakeApprover) Ask(_ context.Context, req escalate.Request) (escalate.Answer, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.asked = append(f.asked, req)
	return f.answer, f.err
}

func (f *fakeApprover) AddWhitelist(req escalate.Request) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.entries = append(f.entries, req)
	return "entry", nil
}

type harness struct {
	home, sandbox string
	mgr           *Manager
	gw            *Gateway
	eng           *policy.Engine
	audit         *fakeAudit
	approver      *fakeApprover
	now           *time.Time
	states        chan string
}

func newHarness(t *testing.T, backoff time.Duration) *harness {
	t.Helper()
	home, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{home: home, sandbox: filepath.Join(home, "sandbox"), audit: &fakeAudit{}, approver: &fakeApprover{}, states: make(chan string, 100)}
	if err := os.MkdirAll(h.sandbox, 0o700); err != nil {
		t.Fatal(err)
	}
	pol, err := policy.ParsePolicy("p.json", []byte(testPolicy(home)), "", nil)
	if err != nil {
		t.Fatal(err)
	}
	ann, err := policy.ParseAnnotations("a.json", []byte(testAnnotations))
	if err != nil {
		t.Fatal(err)
	}
	h.eng, err = policy.New(policy.Config{Policy: pol, Annotations: ann, Home: home, Sandbox: h.sandbox, FS: resource.OSFS{}})
	if err != nil {
		t.Fatal(err)
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	parent := map[string]string{"PATH": os.Getenv("PATH"), "HOME": home, "LANG": "C", "ANTHROPIC_API_KEY": "must-not-leak"}
	h.mgr, err = StartServers(context.Background(), ManagerConfig{
		Servers: config.Servers{{Name: "filesystem", Command: self, Env: testServerEnv(t)}},
		Getenv:  func(k string) string { return parent[k] },
		Backoff: backoff,
		OnState: func(server string, up bool, err error) {
			if up {
				h.states <- server + " up"
			} else {
				h.states <- server + " down"
			}
		},
		CallTimeout: 5 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.mgr.Close() })
	if s := <-h.states; s != "filesystem up" {
		t.Fatalf("first state = %q, want filesystem up", s)
	}
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	h.now = &now
	h.gw, err = New(Config{Servers: h.mgr, Engine: h.eng, Audit: h.audit, Approver: h.approver, SessionID: "s1",
		Now: func() time.Time { return *h.now }})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func text(t *testing.T, r *mcp.CallToolResult) string {
	t.Helper()
	var b strings.Builder
	for _, c := range r.Content {
		if tc, ok := c.(*mcp.TextContent); ok {
			b.WriteString(tc.Text)
		}
	}
	return b.String()
}

func (h *harness) call(t *testing.T, tool, args string) (*mcp.CallToolResult, audit.Record) {
	t.Helper()
	res, err := h.gw.Call(context.Background(), "filesystem", tool, json.RawMessage(args))
	if err != nil {
		t.Fatalf("Call(%s, %s) error %v", tool, args, err)
	}
	return res, h.audit.last(t)
}

func TestPipeline(t *testing.T) {
	h := newHarness(t, time.Hour)
	docs := filepath.Join(h.home, "docs")
	tests := []struct {
		name, tool, args string
		wantErr          bool
		wantText         string
		rule, status     string
	}{
		{"unknown tool", "format", `{}`, true, "DENIED: unknown tool filesystem/format", "unknown-tool", "denied"},
		{"broken json", "echo", `{"path":`, true, "DENIED: arguments: line 1", "invalid-arguments", "denied"},
		{"duplicate keys", "echo", `{"path":"a","path":"/etc/shadow"}`, true, `duplicate key "path"`, "invalid-arguments", "denied"},
		{"not an object", "echo", `["a"]`, true, "arguments must be an object", "invalid-arguments", "denied"},
		{"wrong type", "echo", `{"path":7}`, true, "do not match the tool's schema", "invalid-arguments", "denied"},
		{"missing required", "echo", `{}`, true, "do not match the tool's schema", "invalid-arguments", "denied"},
		{"unknown property", "echo", `{"path":"a","mode":"x"}`, true, "do not match the tool's schema", "invalid-arguments", "denied"},
		{"policy deny", "echo", `{"path":"` + h.home + `/secrets/k"}`, true, "DENIED: secrets", "deny-echo-secrets", "denied"},
		{"sandbox allow forwards canonical", "echo", `{"path":"sub/../a.txt"}`, false, `"path":"` + h.sandbox + `/a.txt"`, policy.RuleSandboxAllow, "success"},
		{"rule allow", "echo", `{"path":"` + docs + `/x","count":2}`, false, `"count":2`, "allow-echo-docs", "success"},
		{"server tool error", "fail", `{}`, true, "it broke", "allow-tools", "error"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, rec := h.call(t, tc.tool, tc.args)
			if res.IsError != tc.wantErr || !strings.Contains(text(t, res), tc.wantText) {
				t.Fatalf("result IsError=%v %q, want IsError=%v containing %q", res.IsError, text(t, res), tc.wantErr, tc.wantText)
			}
			if rec.Decision.Rule != tc.rule || rec.Result.Status != tc.status {
				t.Errorf("audit decision rule %q result %q, want %q %q", rec.Decision.Rule, rec.Result.Status, tc.rule, tc.status)
			}
			if rec.SessionID != "s1" || rec.Server != "filesystem" || rec.Tool != tc.tool || rec.RequestID == "" {
				t.Errorf("audit record identity: %+v", rec)
			}
		})
	}
	// The audit record carries the canonical arguments that were forwarded.
	_, rec := h.call(t, "echo", `{"path":"rel.txt"}`)
	if rec.Arguments["path"] != filepath.Join(h.sandbox, "rel.txt") {
		t.Errorf("audit arguments = %v", rec.Arguments)
	}
}

func TestEscalation(t *testing.T) {
	h := newHarness(t, time.Hour)
	args := `{"path":"/etc/hostname"}`
	h.approver.answer = escalate.Answer{Outcome: "denied", By: "tester"}
	res, rec := h.call(t, "echo", args)
	if !res.IsError || !strings.HasPrefix(text(t, res), "DENIED: a human did not approve") || rec.Escalation == nil || rec.Escalation.Outcome != "denied" {
		t.Fatalf("denied escalation: %q, %+v", text(t, res), rec.Escalation)
	}
	h.approver.answer = escalate.Answer{Outcome: "timeout"}
	res, _ = h.call(t, "echo", args)
	if !strings.Contains(text(t, res), "no answer before the escalation timeout") {
		t.Fatalf("timeout: %q", text(t, res))
	}
	h.approver.err = errors.New("broker gone")
	res, _ = h.call(t, "echo", args)
	if !res.IsError || !strings.Contains(text(t, res), "escalation failed") {
		t.Fatalf("broker error: %q", text(t, res))
	}
	h.approver.err = nil
	h.approver.answer = escalate.Answer{Outcome: "approved", By: "tester", AddToWhitelist: true}
	res, rec = h.call(t, "echo", args)
	if res.IsError || !strings.Contains(text(t, res), "/etc/hostname") || rec.Escalation.Outcome != "approved" || !rec.Escalation.Whitelisted {
		t.Fatalf("approved: %q, %+v", text(t, res), rec.Escalation)
	}
	asked := len(h.approver.asked)
	res, rec = h.call(t, "echo", `{"path":"/etc/hosts"}`)
	if res.IsError || rec.Escalation == nil || rec.Escalation.Outcome != "whitelisted" || len(h.approver.asked) != asked {
		t.Fatalf("whitelisted call: %q, %+v, asked %d times", text(t, res), rec.Escalation, len(h.approver.asked)-asked)
	}
	// The whitelist never overrides a deny.
	res, _ = h.call(t, "echo", `{"path":"`+h.home+`/secrets/x"}`)
	if !res.IsError {
		t.Fatal("whitelist turned a deny into an allow")
	}
	if req := h.approver.asked[0]; req.Rule != "escalate-echo" || req.Arguments["path"] != "/etc/hostname" || len(req.EscalatedRoles) != 1 {
		t.Errorf("escalation request = %+v", req)
	}
}

func TestBreaker(t *testing.T) {
	h := newHarness(t, time.Hour)
	for i := 0; i < 20; i++ {
		if res, _ := h.call(t, "pid", `{}`); res.IsError {
			t.Fatalf("call %d denied: %q", i+1, text(t, res))
		}
	}
	res, rec := h.call(t, "pid", `{}`)
	if !res.IsError || rec.Decision.Rule != "circuit-breaker" {
		t.Fatalf("21st call: %q rule %q, want circuit-breaker", text(t, res), rec.Decision.Rule)
	}
	if res, _ := h.call(t, "big", `{"size":10}`); res.IsError {
		t.Fatal("a different call was refused")
	}
	*h.now = h.now.Add(61 * time.Second)
	if res, _ := h.call(t, "pid", `{}`); res.IsError {
		t.Fatalf("after a minute: %q", text(t, res))
	}
}

func TestResultLimit(t *testing.T) {
	h := newHarness(t, time.Hour)
	res, _ := h.call(t, "big", `{"size":300000}`)
	got := text(t, res)
	if len(got) > DefaultResultLimit || !strings.Contains(got, "[... 300000 bytes truncated ...]") ||
		!strings.HasPrefix(got, "xxx") || !strings.HasSuffix(got, "yyy") {
		t.Fatalf("limited result: %d bytes, head %q tail %q", len(got), got[:10], got[len(got)-10:])
	}
	res, _ = h.call(t, "big", `{"size":1000}`)
	if len(text(t, res)) != 1000 {
		t.Fatal("a small result was cut")
	}
}

func TestAuditFailureFailsTheCall(t *testing.T) {
	h := newHarness(t, time.Hour)
	h.audit.err = errors.New("disk full")
	if _, err := h.gw.Call(context.Background(), "filesystem", "pid", json.RawMessage(`{}`)); err == nil {
		t.Fatal("call succeeded without an audit record")
	}
}

func TestServerEnvironmentIsScrubbed(t *testing.T) {
	h := newHarness(t, time.Hour)
	res, _ := h.call(t, "env", `{}`)
	got := text(t, res)
	if strings.Contains(got, "ANTHROPIC_API_KEY") {
		t.Fatalf("server saw the API key: %s", got)
	}
	for _, want := range []string{"PATH", "HOME", "LANG", "NAMED_FOR_SERVER"} {
		if !strings.Contains(got, want) {
			t.Errorf("server environment %s lacks %s", got, want)
		}
	}
}

func TestServerRestartAndDeadCalls(t *testing.T) {
	h := newHarness(t, time.Millisecond)
	res, _ := h.call(t, "pid", `{}`)
	first := text(t, res)
	h.gw.Call(context.Background(), "filesystem", "crash", json.RawMessage(`{}`))
	if s := <-h.states; s != "filesystem down" {
		t.Fatalf("state after crash = %q", s)
	}
	if s := <-h.states; s != "filesystem up" {
		t.Fatalf("state after restart = %q", s)
	}
	res, _ = h.call(t, "pid", `{}`)
	if res.IsError || text(t, res) == first {
		t.Fatalf("after restart: %q (first pid %s)", text(t, res), first)
	}
}

func TestCallToDeadServerIsAnError(t *testing.T) {
	h := newHarness(t, time.Hour) // no restart within the test
	h.gw.Call(context.Background(), "filesystem", "crash", json.RawMessage(`{}`))
	if s := <-h.states; s != "filesystem down" {
		t.Fatalf("state = %q", s)
	}
	if _, err := h.mgr.Call(context.Background(), "filesystem", "pid", nil); !errors.Is(err, ErrServerDown) {
		t.Fatalf("Call to dead server: %v, want ErrServerDown", err)
	}
	// Its tools stay known while it is down, so a call is an error result, not unknown.
	res, rec := h.call(t, "pid", `{}`)
	if !res.IsError || rec.Result.Status != "error" {
		t.Fatalf("pipeline call to dead server: %q status %q", text(t, res), rec.Result.Status)
	}
}

func TestCloseKillsChildren(t *testing.T) {
	h := newHarness(t, time.Hour)
	res, _ := h.call(t, "pid", `{}`)
	pid := text(t, res)
	h.mgr.Close()
	if _, err := os.Stat("/proc/" + pid); !os.IsNotExist(err) {
		t.Fatalf("server process %s still exists after Close (%v)", pid, err)
	}
}

func escalateDenied() escalate.Answer { return escalate.Answer{Outcome: "denied", By: "test"} }
