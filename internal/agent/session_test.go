package agent

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSessionLayout(t *testing.T) {
	f := newFixture(t, runCode("a", "1", Usage{InputTokens: 3}), say("ok", Usage{}))
	a := f.agent(t, Budget{}, nil)
	if _, err := a.Turn(context.Background(), "hi"); err != nil {
		t.Fatal(err)
	}
	s := f.sess
	if want := filepath.Join(f.home, "sessions", s.ID); s.Dir != want {
		t.Errorf("Dir = %s, want %s", s.Dir, want)
	}
	if s.Sandbox != filepath.Join(s.Dir, "sandbox") || s.Workspace {
		t.Errorf("Sandbox = %s (workspace %v), want <dir>/sandbox", s.Sandbox, s.Workspace)
	}
	if !validID(s.ID) {
		t.Errorf("id %q is not a valid id", s.ID)
	}
	modes := map[string]os.FileMode{
		f.home:                            0o700,
		filepath.Join(f.home, "sessions"): 0o700,
		s.Dir:                             0o700,
		s.Sandbox:                         0o700,
		filepath.Join(s.Dir, stateFile):   0o600,
		s.TranscriptPath():                0o600,
		s.InteractionsPath():              0o600,
	}
	for p, want := range modes {
		fi, err := os.Lstat(p)
		if err != nil {
			t.Errorf("%s: %v", p, err)
			continue
		}
		if got := fi.Mode().Perm(); got != want {
			t.Errorf("mode of %s = %v, want %v", p, got, want)
		}
	}
	lines := fileLines(t, s.InteractionsPath())
	if len(lines) != 2 {
		t.Fatalf("interactions.jsonl has %d lines, want 2 (one per model call)", len(lines))
	}
	var first, second map[string]any
	json.Unmarshal([]byte(lines[0]), &first)
	json.Unmarshal([]byte(lines[1]), &second)
	if first["system"] == nil || second["system"] != nil {
		t.Errorf("system prompt should be logged once, on the first call: %v / %v", first["system"], second["system"])
	}
	if sent, _ := second["sent"].([]any); len(sent) != 2 {
		t.Errorf("second call logged %d sent messages, want the 2 new ones", len(sent))
	}
	if tl := fileLines(t, s.TranscriptPath()); len(tl) != 4 {
		t.Errorf("transcript has %d lines, want 4", len(tl))
	}
}

func fileLines(t *testing.T, path string) []string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
}

func TestResume(t *testing.T) {
	f := newFixture(t, runCode("a", "1", Usage{InputTokens: 400, OutputTokens: 400}), say("first done", Usage{}))
	a := f.agent(t, Budget{Tokens: 1000}, nil)
	if _, err := a.Turn(context.Background(), "first"); err != nil {
		t.Fatal(err)
	}
	if len(f.eventsOf(EventWarning)) != 1 {
		t.Fatalf("want one 80%% token warning, got %+v", f.events)
	}
	id := f.sess.ID
	a.Close()
	f.sess.Close()

	s, err := Open(f.home, id)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if got := s.Spent(); got.Tokens() != 800 || got.Steps != 2 {
		t.Errorf("Spent after resume = %+v, want 800 tokens, 2 steps", got)
	}
	if got := len(s.Messages()); got != 4 {
		t.Errorf("resumed %d messages, want 4", got)
	}
	if s.Model != "test:test-model" || s.Sandbox != filepath.Join(s.Dir, "sandbox") {
		t.Errorf("resumed model %q sandbox %q", s.Model, s.Sandbox)
	}
	f2 := &fixture{home: f.home, sess: s, model: &fakeProvider{script: []*Response{say("second done", Usage{InputTokens: 100})}}, clock: f.clock}
	f2.exec = &fakeExecutor{clock: f.clock}
	a2 := f2.agent(t, Budget{Tokens: 1000}, nil)
	res, err := a2.Turn(context.Background(), "second")
	if err != nil || res.Text != "second done" {
		t.Fatalf("Turn after resume = %+v, %v", res, err)
	}
	if len(f2.model.requests[0].Messages) != 5 {
		t.Errorf("resumed request has %d messages, want 5 (history and the new input)", len(f2.model.requests[0].Messages))
	}
	if w := f2.eventsOf(EventWarning); len(w) != 0 {
		t.Errorf("the token warning was repeated after resume: %+v", w)
	}
	// At 900 of 1000 tokens the next call would still be allowed; past
	// 1000 a resumed session stops before calling the model.
	f2.model.script = []*Response{say("x", Usage{InputTokens: 200})}
	if _, err := a2.Turn(context.Background(), "third"); err != nil {
		t.Fatal(err)
	}
	n := len(f2.model.requests)
	if res, err := a2.Turn(context.Background(), "fourth"); err != nil || res.Stop != StopBudget || len(f2.model.requests) != n {
		t.Errorf("Turn past the budget = %+v, %v (%d requests, want %d)", res, err, len(f2.model.requests), n)
	}
}

func TestResumeLockedAndBadIDs(t *testing.T) {
	f := newFixture(t)
	if _, err := Open(f.home, f.sess.ID); err == nil || !strings.Contains(err.Error(), "in use by another process") {
		t.Errorf("Open of a held session = %v, want in use", err)
	}
	for _, id := range []string{"", "..", "../x", "a/b", ".hidden", "-flag", strings.Repeat("a", 200), "nope"} {
		if _, err := Open(f.home, id); err == nil {
			t.Errorf("Open(%q) succeeded", id)
		}
	}
	if _, err := Open("relative", "x"); err == nil {
		t.Error("Open with a relative home succeeded")
	}
}

func TestResumeRejectsTamperedFiles(t *testing.T) {
	tests := []struct {
		name   string
		edit   func(t *testing.T, s *Session)
		errSub string
	}{
		{"torn transcript", func(t *testing.T, s *Session) {
			appendFile(t, s.TranscriptPath(), `{"role":"user","parts":[{"type":"text","text":"x"}]`)
		}, "incomplete"},
		{"unknown field", func(t *testing.T, s *Session) {
			appendFile(t, s.TranscriptPath(), `{"role":"user","parts":[{"type":"text","text":"x"}],"evil":1}`+"\n")
		}, "unknown field"},
		{"sandbox moved", func(t *testing.T, s *Session) {
			editState(t, s, func(m map[string]any) { m["sandbox"] = "/" })
		}, "not the session's own"},
		{"workspace overlapping home", func(t *testing.T, s *Session) {
			editState(t, s, func(m map[string]any) { m["sandbox"] = filepath.Dir(s.Dir); m["workspace"] = true })
		}, "overlaps"},
		{"negative spent", func(t *testing.T, s *Session) {
			editState(t, s, func(m map[string]any) { m["spent"].(map[string]any)["steps"] = -5 })
		}, "negative"},
		{"orphan tool result", func(t *testing.T, s *Session) {
			appendFile(t, s.TranscriptPath(), `{"role":"user","parts":[{"type":"tool_result","toolResultId":"zz","content":"x"}]}`+"\n")
		}, "answers no tool_use"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			id := f.sess.ID
			if err := f.sess.AppendMessage(Message{Role: RoleUser, Parts: []Part{{Type: PartText, Text: "hi"}}}); err != nil {
				t.Fatal(err)
			}
			f.sess.Close()
			tc.edit(t, f.sess)
			_, err := Open(f.home, id)
			if err == nil || !strings.Contains(err.Error(), tc.errSub) {
				t.Errorf("Open = %v, want error containing %q", err, tc.errSub)
			}
			if err != nil && strings.Contains(err.Error(), "\n") {
				t.Errorf("error is not one line: %q", err)
			}
		})
	}
}

func appendFile(t *testing.T, path, s string) {
	t.Helper()
	fh, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	if _, err := fh.WriteString(s); err != nil {
		t.Fatal(err)
	}
}

func editState(t *testing.T, s *Session, fn func(map[string]any)) {
	t.Helper()
	p := filepath.Join(s.Dir, stateFile)
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	fn(m)
	data, _ = json.Marshal(m)
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestResumeCompletesDanglingToolUse(t *testing.T) {
	f := newFixture(t)
	id := f.sess.ID
	for _, m := range []Message{
		{Role: RoleUser, Parts: []Part{{Type: PartText, Text: "go"}}},
		{Role: RoleAssistant, Parts: []Part{{Type: PartToolUse, ToolUseID: "u1", ToolName: ToolName, Input: json.RawMessage(`{"code":"1"}`)}}},
	} {
		if err := f.sess.AppendMessage(m); err != nil {
			t.Fatal(err)
		}
	}
	f.sess.Close()
	s, err := Open(f.home, id)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	msgs := s.Messages()
	if len(msgs) != 3 || msgs[2].Parts[0].ToolResultID != "u1" || !msgs[2].Parts[0].IsError {
		t.Fatalf("messages after resume = %+v, want a not-run result for u1", msgs)
	}
	// The next input joins the tool results: roles keep alternating.
	f2 := &fixture{home: f.home, sess: s, model: &fakeProvider{script: []*Response{say("ok", Usage{})}}, clock: f.clock}
	f2.exec = &fakeExecutor{}
	if _, err := f2.agent(t, Budget{}, nil).Turn(context.Background(), "again"); err != nil {
		t.Fatal(err)
	}
	sent := f2.model.requests[0].Messages
	if len(sent) != 3 || len(sent[2].Parts) != 2 || sent[2].Parts[1].Text != "again" {
		t.Errorf("request after resume = %+v, want the input joined to the tool results", sent)
	}
	s.Close()
	s2, err := Open(f.home, id)
	if err != nil {
		t.Fatalf("second resume: %v", err)
	}
	s2.Close()
}

func TestWorkspace(t *testing.T) {
	root := t.TempDir()
	home := filepath.Join(root, "ic")
	ws := filepath.Join(root, "project")
	if err := os.MkdirAll(ws, 0o755); err != nil {
		t.Fatal(err)
	}
	s, err := Create(home, CreateOptions{Workspace: ws})
	if err != nil {
		t.Fatal(err)
	}
	if !s.Workspace || s.Sandbox != ws {
		t.Errorf("workspace session sandbox = %s (%v), want %s", s.Sandbox, s.Workspace, ws)
	}
	if _, err := os.Stat(filepath.Join(s.Dir, "sandbox")); !os.IsNotExist(err) {
		t.Errorf("a workspace session made <dir>/sandbox (%v)", err)
	}
	s.Close()
	s, err = Open(home, s.ID)
	if err != nil || s.Sandbox != ws {
		t.Fatalf("resume workspace session: %v, %v", s, err)
	}
	s.Close()
	file := filepath.Join(root, "file")
	os.WriteFile(file, nil, 0o600)
	for name, dir := range map[string]string{
		"inside home":   filepath.Join(home, "sessions"),
		"contains home": root,
		"missing":       filepath.Join(root, "nope"),
		"a file":        file,
	} {
		if _, err := Create(home, CreateOptions{Workspace: dir}); err == nil {
			t.Errorf("%s: Create with workspace %s succeeded", name, dir)
		}
	}
}

func TestParseMessageRejects(t *testing.T) {
	for name, line := range map[string]string{
		"unknown role":        `{"role":"system","parts":[{"type":"text","text":"x"}]}`,
		"no parts":            `{"role":"user","parts":[]}`,
		"unknown part":        `{"role":"user","parts":[{"type":"image"}]}`,
		"tool_use from user":  `{"role":"user","parts":[{"type":"tool_use","toolUseId":"a","toolName":"b","input":{}}]}`,
		"tool_result from ai": `{"role":"assistant","parts":[{"type":"tool_result","toolResultId":"a"}]}`,
		"text with tool id":   `{"role":"user","parts":[{"type":"text","text":"x","toolUseId":"a"}]}`,
		"use without id":      `{"role":"assistant","parts":[{"type":"tool_use","toolName":"b","input":{}}]}`,
		"result without id":   `{"role":"user","parts":[{"type":"tool_result","content":"x"}]}`,
		"invalid utf8":        "{\"role\":\"user\",\"parts\":[{\"type\":\"text\",\"text\":\"\xff\"}]}",
		"trailing":            `{"role":"user","parts":[{"type":"text","text":"x"}]} {}`,
		"not json":            `hello`,
	} {
		if _, err := ParseMessage([]byte(line)); err == nil {
			t.Errorf("%s: ParseMessage(%s) succeeded", name, line)
		}
	}
}

// FuzzParseMessage: never panics; whatever it accepts is a valid message
// that survives a round trip.
func FuzzParseMessage(f *testing.F) {
	f.Add([]byte(`{"role":"user","parts":[{"type":"text","text":"x"}]}`))
	f.Add([]byte(`{"role":"assistant","parts":[{"type":"tool_use","toolUseId":"a","toolName":"execute_code","input":{"code":"1"}}]}`))
	f.Add([]byte(`{"role":"user","parts":[{"type":"tool_result","toolResultId":"a","content":"x","isError":true}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := ParseMessage(data)
		if err != nil {
			return
		}
		if err := checkMessage(m); err != nil {
			t.Fatalf("ParseMessage accepted an invalid message: %v", err)
		}
		b, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ParseMessage(b); err != nil {
			t.Fatalf("round trip of %s: %v", b, err)
		}
	})
}
