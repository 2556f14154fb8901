package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ironcurtain/ironcurtain-go/internal/llm"
	"github.com/ironcurtain/ironcurtain-go/internal/llm/llmtest"
)

func runCompileCmd(vars map[string]string, args ...string) (code int, stdout, stderr string) {
	return runCmdIn(newCompilePolicyCmd, "", vars, args...)
}

func TestCompilePolicyUsage(t *testing.T) {
	home := t.TempDir()
	files := map[string]string{"empty.md": " \n", "latin1.md": "caf\xe9", "huge.md": strings.Repeat("x", 256<<10+1)}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(home, name), []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	key := map[string]string{"HOME": home, "ANTHROPIC_API_KEY": fakeTestKey()}
	for _, tc := range []struct {
		name string
		vars map[string]string
		args []string
		want string
	}{
		{"no key", map[string]string{"HOME": home}, nil, "ANTHROPIC_API_KEY"},
		{"openai no key", map[string]string{"HOME": home}, []string{"-m", "openai:gpt-test"}, "OPENAI_API_KEY"},
		{"empty", key, []string{"--constitution", filepath.Join(home, "empty.md")}, "is empty"},
		{"not utf-8", key, []string{"--constitution", filepath.Join(home, "latin1.md")}, "UTF-8"},
		{"huge", key, []string{"--constitution", filepath.Join(home, "huge.md")}, "larger than the limit"},
		{"missing", key, []string{"--constitution", filepath.Join(home, "nope.md")}, "nope.md"},
		{"unknown server", key, []string{"--server", "nope"}, `"nope"`},
	} {
		code, _, stderr := runCompileCmd(tc.vars, tc.args...)
		if code != 2 || !strings.Contains(stderr, tc.want) || strings.Count(strings.TrimSpace(stderr), "\n") != 0 {
			t.Errorf("%s: compile-policy %v = %d, %q; want 2 and one line naming %s", tc.name, tc.args, code, stderr, tc.want)
		}
		if _, err := os.Stat(filepath.Join(home, ".ironcurtain")); err == nil {
			t.Errorf("%s: the home directory was created", tc.name)
		}
	}
}

const cliAnnotations = `{"generatedAt":"test","servers":{"fs":{"tools":[
{"toolName":"read_file","serverName":"fs","args":{"path":["read-path"]}},
{"toolName":"write_file","serverName":"fs","args":{"path":["write-path"],"content":["none"]}}]}}}`

func cliTurn(tool, input string) llmtest.Turn {
	return llmtest.Turn{ToolCalls: []llmtest.ToolCall{{Name: tool, Input: input}}}
}

func TestCompilePolicyDeploysAndRefuses(t *testing.T) {
	home, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	gen := filepath.Join(home, ".ironcurtain", "generated")
	if err := os.MkdirAll(gen, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(gen, "tool-annotations.json"), []byte(cliAnnotations), 0o600); err != nil {
		t.Fatal(err)
	}
	rule := func(within string) string {
		return `{"name":"allow-read-docs","description":"d","principle":"p","if":{"tool":["read_file"],"paths":{"roles":["read-path"],"within":"` + within + `"}},"then":"allow","reason":"r"}`
	}
	esc := `{"name":"escalate-writes","description":"d","principle":"p","if":{"tool":["write_file"]},"then":"escalate","reason":"r"}`
	scs := `{"scenarios":[{"description":"read a doc","request":{"serverName":"fs","toolName":"read_file","arguments":{"path":"` + home + `/docs/a.txt"}},"expectedDecision":"allow","reasoning":"r"}]}`
	srv := llmtest.NewAnthropic(t,
		cliTurn("submit_rules", `{"rules":[`+rule("~/docs")+`,`+esc+`]}`), cliTurn("submit_scenarios", scs))
	vars := map[string]string{"HOME": home, "ANTHROPIC_API_KEY": fakeTestKey(), "ANTHROPIC_BASE_URL": srv.URL}
	code, stdout, stderr := runCompileCmd(vars)
	if code != 0 || !strings.Contains(stdout, "fs: 2 rules, 3 scenarios, 0 judge rounds, 2 requests: verified") || !strings.Contains(stderr, "fs: done") ||
		!strings.Contains(stdout, "tokens, estimated $") {
		t.Fatalf("compile-policy = %d, stdout %q, stderr %q; want 0 and fs verified", code, stdout, stderr)
	}
	if _, err := os.Stat(filepath.Join(gen, "compiled-policy.json")); err != nil {
		t.Fatalf("a verified compile deployed nothing: %v", err)
	}

	// Unchanged: zero requests, and no behavioural change to report.
	idle := llmtest.NewAnthropic(t)
	vars["ANTHROPIC_BASE_URL"] = idle.URL
	code, stdout, stderr = runCompileCmd(vars)
	if code != 0 || !strings.Contains(stdout, "0 model requests") || !strings.Contains(stdout, "0 calls decided differently") {
		t.Fatalf("rerun = %d, stdout %q, stderr %q; want 0 requests and an empty diff", code, stdout, stderr)
	}
	// The rerun deploys again, with a new generatedAt (to the second), so
	// what must survive the failing compile below is what it deployed.
	deployed, err := os.ReadFile(filepath.Join(gen, "compiled-policy.json"))
	if err != nil {
		t.Fatal(err)
	}

	// A new constitution whose rules never verify: exit 1, nothing replaced.
	user := filepath.Join(home, "user.md")
	if err := os.WriteFile(user, []byte("Read only ~/docs."), 0o600); err != nil {
		t.Fatal(err)
	}
	turns := []llmtest.Turn{cliTurn("submit_rules", `{"rules":[`+rule("~/doc")+`,`+esc+`]}`), cliTurn("submit_scenarios", scs)}
	for range 3 {
		turns = append(turns, cliTurn("submit_verdicts", `{"verdicts":[{"index":0,"blame":"rule","explanation":"e"}]}`),
			cliTurn("submit_patch", `{"operations":[{"op":"update","name":"allow-read-docs","rule":`+rule("~/doc")+`}]}`))
	}
	bad := llmtest.NewAnthropic(t, turns...)
	vars["ANTHROPIC_BASE_URL"] = bad.URL
	code, stdout, stderr = runCompileCmd(vars, "--constitution", user)
	if code != 1 || !strings.Contains(stdout, "FAIL read a doc") || !strings.Contains(stdout, "by default-deny") || !strings.Contains(stderr, "left unchanged") {
		t.Fatalf("failing compile = %d, stdout %q, stderr %q; want 1 naming the failing scenario", code, stdout, stderr)
	}
	if now, _ := os.ReadFile(filepath.Join(gen, "compiled-policy.json")); !bytes.Equal(now, deployed) {
		t.Errorf("an unverified compile replaced the deployed policy")
	}

	// --accept-failures deploys and records (the same answers again).
	accepted := llmtest.NewAnthropic(t, turns...)
	vars["ANTHROPIC_BASE_URL"] = accepted.URL
	code, stdout, stderr = runCompileCmd(vars, "--constitution", user, "--accept-failures")
	if code != 0 || !strings.Contains(stdout, "calls decided differently") || !strings.Contains(stderr, "compile-failures.json") {
		t.Fatalf("accepted compile = %d, stdout %q, stderr %q; want 0 with a diff and the failures recorded", code, stdout, stderr)
	}
	if data, err := os.ReadFile(filepath.Join(gen, "compile-failures.json")); err != nil || !strings.Contains(string(data), "read a doc") {
		t.Errorf("compile-failures.json = %q, %v; want the failing scenario", data, err)
	}
}

func TestCostText(t *testing.T) {
	tests := []struct {
		model string
		u     llm.Usage
		want  string
	}{
		{"anthropic:claude-sonnet-4-5", llm.Usage{InputTokens: 1_000_000, OutputTokens: 100_000}, "estimated $4.5000"},
		{"anthropic:claude-sonnet-4-5", llm.Usage{}, "estimated $0.0000"},
		{"anthropic:claude-test", llm.Usage{InputTokens: 10}, "cost unknown"},
		{"openai-compatible:llama3", llm.Usage{InputTokens: 10}, "cost unknown"},
	}
	for _, tc := range tests {
		if got := costText(tc.model, tc.u); got != tc.want {
			t.Errorf("costText(%q, %+v) = %q, want %q", tc.model, tc.u, got, tc.want)
		}
	}
}
