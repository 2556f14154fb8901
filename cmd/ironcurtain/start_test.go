package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/cgi"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/ironcurtain/ironcurtain-go/internal/audit"
	"github.com/ironcurtain/ironcurtain-go/internal/escalate"
	"github.com/ironcurtain/ironcurtain-go/internal/llm/llmtest"
)

// startCmd runs `start ARGS` in-process with opts, mapping errors to exit
// codes as run does.
func startCmd(t *testing.T, vars map[string]string, opts startOptions, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	e := env{stdin: strings.NewReader(stdin), stdout: &syncWriter{w: &out}, stderr: &syncWriter{w: &errb}, getenv: func(k string) string { return vars[k] }}
	cmd := newStartCmdWith(e, opts)
	cmd.SilenceUsage, cmd.SilenceErrors = true, true
	cmd.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageErr("%v", err) })
	cmd.SetArgs(args)
	cmd.SetOut(e.stdout)
	cmd.SetErr(e.stderr)
	err := cmd.Execute()
	code = 0
	if err != nil {
		code = 2
		var ee *exitError
		if errors.As(err, &ee) {
			code = ee.code
		}
		if ee == nil || ee.err != nil {
			fmt.Fprintln(e.stderr, "ironcurtain: "+oneLine(err.Error()))
		}
	}
	return code, out.String(), errb.String()
}

// gitHTTPServer serves bare repositories under root over smart HTTP on
// loopback with git's own http-backend, so a push is a real network push.
func gitHTTPServer(t *testing.T, root string) string {
	t.Helper()
	out, err := exec.Command("git", "--exec-path").Output()
	if err != nil {
		t.Skipf("git: %v", err)
	}
	backend := filepath.Join(strings.TrimSpace(string(out)), "git-http-backend")
	if _, err := os.Stat(backend); err != nil {
		t.Skipf("git-http-backend: %v", err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	h := &cgi.Handler{Path: backend, Env: []string{"GIT_PROJECT_ROOT=" + root, "GIT_HTTP_EXPORT_ALL=1"}}
	srv := &http.Server{Handler: h}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	return "http://" + l.Addr().String()
}

func gitRun(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_CONFIG_NOSYSTEM=1", "HOME="+dir, "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.com")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
	return strings.TrimSpace(string(out))
}

// TestStartEndToEnd: a scripted model, through the real Anthropic client
// and the real gateway with the bundled servers, writes a file in the
// sandbox (allowed), reads ~/.ssh/id_rsa (denied, and the model is told),
// and pushes with git over HTTP on loopback (escalated, approved through
// the escalation directory); the session's audit log shows all of it, in
// order. The push names no remote: the gateway forwards the canonical
// remote URL in place of a remote name, which the git server's schema
// refuses (reported to the gateway's owner).
func TestStartEndToEnd(t *testing.T) {
	root, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	home := filepath.Join(root, "home")
	ws := filepath.Join(root, "work")
	remotes := filepath.Join(root, "remotes")
	for _, d := range []string{filepath.Join(home, ".ssh"), ws, remotes} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(home, ".ssh", "id_rsa"), []byte("-----BEGIN OPENSSH PRIVATE KEY-----\nsecret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	gitRun(t, remotes, "init", "-q", "--bare", "--initial-branch=main", "origin.git")
	gitRun(t, filepath.Join(remotes, "origin.git"), "config", "http.receivepack", "true")
	url := gitHTTPServer(t, remotes)
	repo := filepath.Join(ws, "repo")
	gitRun(t, ws, "init", "-q", "--initial-branch=main", "repo")
	gitRun(t, repo, "commit", "-q", "--allow-empty", "-m", "first")
	gitRun(t, repo, "remote", "add", "origin", url+"/origin.git")
	head := gitRun(t, repo, "rev-parse", "HEAD")

	bodyHas := func(want ...string) func(llmtest.Request) error {
		return func(r llmtest.Request) error {
			// The SDK escapes <, > and & in JSON strings.
			body := strings.NewReplacer(`\u003e`, ">", `\u003c`, "<", `\u0026`, "&").Replace(string(r.Body))
			for _, w := range want {
				if !strings.Contains(body, w) {
					return fmt.Errorf("request lacks %q", w)
				}
			}
			return nil
		}
	}
	input := func(c string) string { b, _ := json.Marshal(map[string]string{"code": c}); return string(b) }
	model := llmtest.NewAnthropic(t,
		llmtest.Turn{Text: []string{"Writing notes."}, ToolCalls: []llmtest.ToolCall{{Name: "execute_code",
			Input: input(`await filesystem.write_file({ path: "notes.md", content: "# notes\n" }); return "written";`)}},
			Check: bodyHas("help()", "DENIED", "push my notes")},
		llmtest.Turn{Text: []string{"Reading the key."}, ToolCalls: []llmtest.ToolCall{{Name: "execute_code",
			Input: input(`const key: string = await filesystem.read_text_file({ path: "~/.ssh/id_rsa" }); return key;`)}},
			Check: bodyHas(`filesystem.write_file {\"path\":\"notes.md\",\"content\":\"# notes\\n\"} -> ok`)},
		llmtest.Turn{Text: []string{"Pushing."}, ToolCalls: []llmtest.ToolCall{{Name: "execute_code",
			Input: input(`return await git.git_push({ path: "repo", branch: "main" });`)}},
			Check: bodyHas(`DENIED: ~/.ssh holds SSH keys`)},
		llmtest.Turn{Text: []string{"Done: notes written and pushed; the SSH key was denied by policy."},
			Check: bodyHas(`git.git_push {\"path\":\"repo\",\"branch\":\"main\"} -> ok`)},
	)

	icHome := filepath.Join(home, ".ironcurtain")
	approved := make(chan error, 1)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { approved <- approveFirst(ctx, icHome) }()

	vars := map[string]string{"HOME": home, "PATH": os.Getenv("PATH"), "LANG": "C",
		"ANTHROPIC_API_KEY": "sk-ant-api03-E2E-SECRET-KEY-0000000000", "ANTHROPIC_BASE_URL": model.URL}
	exit, stdout, stderr := startCmd(t, vars, startOptions{}, "",
		"-w", ws, "--escalation-timeout", "1m", "push my notes to origin")
	if exit != 0 {
		t.Fatalf("start: exit %d\nstdout: %s\nstderr: %s", exit, stdout, stderr)
	}
	if err := <-approved; err != nil {
		t.Fatalf("approval: %v", err)
	}
	for _, want := range []string{"Done: notes written and pushed", "[1 tool calls: 0 ok, 1 denied, 0 failed; exception: Error: DENIED:", "denied filesystem.read_text_file: ~/.ssh holds SSH keys"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, stdout)
		}
	}
	if b, err := os.ReadFile(filepath.Join(ws, "notes.md")); err != nil || string(b) != "# notes\n" {
		t.Errorf("notes.md = %q, %v", b, err)
	}
	if got := gitRun(t, filepath.Join(remotes, "origin.git"), "rev-parse", "main"); got != head {
		t.Errorf("remote main = %s, want %s (the push did not happen)", got, head)
	}

	sessions, err := os.ReadDir(filepath.Join(icHome, "sessions"))
	if err != nil || len(sessions) != 1 {
		t.Fatalf("sessions: %v, %v", sessions, err)
	}
	dir := filepath.Join(icHome, "sessions", sessions[0].Name())
	recs := readAudit(t, filepath.Join(dir, "audit.jsonl"))
	want := []struct{ tool, decision, escalation, result string }{
		{"filesystem/write_file", "allow", "", "success"},
		{"filesystem/read_text_file", "deny", "", "denied"},
		{"git/git_push", "escalate", "approved", "success"},
	}
	if len(recs) != len(want) {
		t.Fatalf("audit log has %d records, want %d: %+v", len(recs), len(want), recs)
	}
	for i, w := range want {
		r := recs[i]
		esc := ""
		if r.Escalation != nil {
			esc = r.Escalation.Outcome
		}
		if r.Server+"/"+r.Tool != w.tool || r.Decision.Status != w.decision || esc != w.escalation || r.Result.Status != w.result || r.SessionID != sessions[0].Name() {
			t.Errorf("audit[%d] = %s/%s %s/%s %s (session %s), want %s %s/%s %s", i, r.Server, r.Tool, r.Decision.Status, esc, r.Result.Status, r.SessionID, w.tool, w.decision, w.escalation, w.result)
		}
	}
	if code, out, errOut := (&testEnv{vars: vars}).run("", "audit", "verify", filepath.Join(dir, "audit.jsonl")); code != 0 || !strings.Contains(out, "3 lines") {
		t.Errorf("audit verify: exit %d %s %s", code, out, errOut)
	}
	for _, name := range []string{"transcript.jsonl", "interactions.jsonl", "session.json"} {
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Errorf("%s: %v", name, err)
		} else if bytes.Contains(data, []byte("E2E-SECRET")) {
			t.Errorf("%s contains the API key", name)
		}
	}
}

// approveFirst waits for the first pending escalation and approves it
// through the escalation directory, as `ironcurtain escalations approve 1`
// would. The broker polls files, so this polls too, with a deadline.
func approveFirst(ctx context.Context, home string) error {
	deadline := time.Now().Add(time.Minute)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for time.Now().Before(deadline) {
		ps, err := escalate.ListPending(home)
		if err == nil && len(ps) > 0 {
			if ps[0].Request.Tool != "git_push" {
				return fmt.Errorf("pending escalation for %s, want git_push", ps[0].Request.Tool)
			}
			return escalate.Respond(home, ps[0], escalate.DecisionApprove, "e2e test")
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
	}
	return errors.New("no escalation appeared within a minute")
}

func readAudit(t *testing.T, path string) []audit.Record {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []audit.Record
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		r, err := audit.ParseLine([]byte(line))
		if err != nil {
			t.Fatalf("audit line %q: %v", line, err)
		}
		out = append(out, r)
	}
	return out
}

func TestStartUsage(t *testing.T) {
	root := t.TempDir()
	home := filepath.Join(root, "home")
	ws := filepath.Join(root, "ws")
	os.MkdirAll(ws, 0o700)
	withKey := map[string]string{"HOME": home, "ANTHROPIC_API_KEY": "sk-ant-x"}
	tests := []struct {
		name   string
		vars   map[string]string
		args   []string
		code   int
		stderr string
	}{
		{"missing key", map[string]string{"HOME": home}, []string{"do it"}, 2, "ANTHROPIC_API_KEY is not set"},
		{"missing openai key", map[string]string{"HOME": home}, []string{"-m", "openai:gpt-5", "do it"}, 2, "OPENAI_API_KEY is not set"},
		{"bad model", withKey, []string{"-m", "claude", "do it"}, 2, `model "claude"`},
		{"negative steps", withKey, []string{"--max-steps", "-1", "x"}, 2, "step budget -1 is negative"},
		{"nan cost", withKey, []string{"--max-cost", "NaN", "x"}, 2, "cost budget"},
		{"resume and workspace", withKey, []string{"--resume", "x", "-w", ws, "t"}, 2, "exclusive"},
		{"unknown session", withKey, []string{"--resume", "20250101-000000-abcd", "t"}, 2, "no session 20250101-000000-abcd"},
		{"hostile session id", withKey, []string{"--resume", "../../etc", "t"}, 2, "is not a session id"},
		{"workspace is home", withKey, []string{"-w", home, "t"}, 2, "overlaps"},
		{"empty task", withKey, []string{"  "}, 2, "TASK is empty"},
		{"two tasks", withKey, []string{"a", "b"}, 2, "accepts at most 1 arg"},
		{"escalation timeout", withKey, []string{"--escalation-timeout", "1s", "t"}, 2, "outside"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.name == "workspace is home" {
				os.MkdirAll(filepath.Join(home, ".ironcurtain"), 0o700)
			}
			code, _, stderr := startCmd(t, tc.vars, startOptions{}, "", tc.args...)
			if code != tc.code || !strings.Contains(stderr, tc.stderr) {
				t.Errorf("start %v: exit %d, stderr %q; want %d and %q", tc.args, code, stderr, tc.code, tc.stderr)
			}
			if strings.Count(stderr, "\n") != 1 {
				t.Errorf("stderr is not one line: %q", stderr)
			}
		})
	}
	if _, err := os.Stat(filepath.Join(home, ".ironcurtain", "sessions")); err == nil {
		entries, _ := os.ReadDir(filepath.Join(home, ".ironcurtain", "sessions"))
		if len(entries) != 0 {
			t.Errorf("failed starts left sessions behind: %v", entries)
		}
	}
}

// TestStartBudgetStopAndResume: a one-shot session stops cleanly at its
// step budget (exit 1, naming the session); --resume with a larger budget
// continues it with the whole history, the spent budget carried over.
func TestStartBudgetStopAndResume(t *testing.T) {
	home := filepath.Join(t.TempDir(), "home")
	var sessionID string
	model := llmtest.NewAnthropic(t,
		llmtest.Turn{ToolCalls: []llmtest.ToolCall{{Name: "execute_code", Input: `{"code":"[]"}`}}, InputTokens: 10, OutputTokens: 10},
		llmtest.Turn{Text: []string{"Resumed and done."}, InputTokens: 10, OutputTokens: 10,
			Check: func(r llmtest.Request) error {
				var body struct {
					Messages []struct {
						Role    string            `json:"role"`
						Content []json.RawMessage `json:"content"`
					} `json:"messages"`
				}
				if err := json.Unmarshal(r.Body, &body); err != nil {
					return err
				}
				// first task; tool_use; its "not run" result, the budget
				// warning and the new input, joined in one user message.
				if len(body.Messages) != 3 || len(body.Messages[2].Content) != 3 {
					return fmt.Errorf("resumed conversation = %s", r.Body)
				}
				if !bytes.Contains(r.Body, []byte("budget is used up")) || !bytes.Contains(r.Body, []byte("carry on")) {
					return fmt.Errorf("resumed conversation lacks the stop or the new input: %s", r.Body)
				}
				return nil
			}},
	)
	vars := map[string]string{"HOME": home, "PATH": os.Getenv("PATH"), "ANTHROPIC_API_KEY": "sk-ant-x", "ANTHROPIC_BASE_URL": model.URL}
	code, _, stderr := startCmd(t, vars, startOptions{}, "", "--max-steps", "1", "first task")
	if code != 1 || !strings.Contains(stderr, "steps budget is used up") || !strings.Contains(stderr, "stopped early (budget)") {
		t.Fatalf("first run: exit %d, stderr %s", code, stderr)
	}
	if _, rest, ok := strings.Cut(stderr, "--resume "); ok {
		sessionID, _, _ = strings.Cut(rest, ")")
	}
	if sessionID == "" {
		t.Fatalf("no session id in %s", stderr)
	}
	// Resuming with the same budget stops at once without calling the model.
	if code, _, stderr := startCmd(t, vars, startOptions{}, "", "--resume", sessionID, "--max-steps", "1", "carry on"); code != 1 || !strings.Contains(stderr, "budget") {
		t.Fatalf("resume at the limit: exit %d, stderr %s", code, stderr)
	}
	code, stdout, stderr := startCmd(t, vars, startOptions{}, "", "--resume", sessionID, "--max-steps", "3", "carry on")
	if code != 0 || !strings.Contains(stdout, "Resumed and done.") {
		t.Fatalf("resume: exit %d\nstdout %s\nstderr %s", code, stdout, stderr)
	}
	data, err := os.ReadFile(filepath.Join(home, ".ironcurtain", "sessions", sessionID, "session.json"))
	if err != nil || !bytes.Contains(data, []byte(`"steps": 2`)) || !bytes.Contains(data, []byte(`"model": "anthropic:claude-sonnet-4-5"`)) {
		t.Errorf("session.json after resume = %s, %v", data, err)
	}
}

// TestStartREPL: without TASK, commands and tasks come from standard input.
func TestStartREPL(t *testing.T) {
	home := filepath.Join(t.TempDir(), "home")
	model := llmtest.NewAnthropic(t, llmtest.Turn{Text: []string{"All \x1b[31mgood."}, InputTokens: 5, OutputTokens: 5})
	vars := map[string]string{"HOME": home, "PATH": os.Getenv("PATH"), "ANTHROPIC_API_KEY": "sk-ant-x", "ANTHROPIC_BASE_URL": model.URL}
	code, stdout, stderr := startCmd(t, vars, startOptions{}, "/budget\n/pending\n/logs\nhow are things?\n")
	if code != 0 {
		t.Fatalf("exit %d\nstdout %s\nstderr %s", code, stdout, stderr)
	}
	for _, want := range []string{"/help lists commands", "steps      0 / 200", "no pending approvals", "no tool calls yet", `All \u001b[31mgood.`} {
		if !strings.Contains(stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, stdout)
		}
	}
}
