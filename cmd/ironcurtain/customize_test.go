package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ironcurtain/ironcurtain-go/internal/llm/llmtest"
)

func propose(text string) llmtest.Turn {
	return cliTurn("propose_constitution", `{"text":`+jsonString(text)+`}`)
}

func jsonString(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`, "\x1b", `\u001b`)
	return `"` + r.Replace(s) + `"`
}

func customizeHome(t *testing.T) (home, file string) {
	t.Helper()
	home, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return home, filepath.Join(home, ".ironcurtain", "constitution-user.md")
}

func TestCustomizePolicyConversation(t *testing.T) {
	const first, second = "## Allowed\n- Read ~/docs.", "## Allowed\n- Read ~/docs.\n\n## Ask first\n- Writing ~/out."
	for _, tc := range []struct {
		name      string
		turns     []llmtest.Turn
		stdin     string
		requests  int
		saved     string // "" = no file
		wantOut   string
		wantInLog string // substring of the last request
	}{
		{"eof at once", nil, "", 0, "", "Nothing saved", ""},
		{"eof at save", []llmtest.Turn{propose(first)}, "read my docs\n", 1, "", "Nothing saved", ""},
		{"question, reject, accept", []llmtest.Turn{{Text: []string{"Where may it write?"}}, propose(first), propose(second)},
			"read my docs\n\n~/out, after asking\nn\nwriting is missing\ny\nn\n", 3, second + "\n", "Where may it write?", "writing is missing"},
		{"bad proposal repaired", []llmtest.Turn{propose("\x1b[2Jevil"), propose(first)}, "docs\nyes\n\n", 2, first + "\n", "Saved", "control characters"},
	} {
		home, file := customizeHome(t)
		srv := llmtest.NewAnthropic(t, tc.turns...)
		vars := map[string]string{"HOME": home, "ANTHROPIC_API_KEY": fakeTestKey(), "ANTHROPIC_BASE_URL": srv.URL}
		code, stdout, stderr := runCmdIn(newCustomizePolicyCmd, tc.stdin, vars)
		if code != 0 || !strings.Contains(stdout, tc.wantOut) || strings.Contains(stdout, "\x1b") {
			t.Errorf("%s: customize-policy = %d, stdout %q, stderr %q; want 0 printing %q and no escapes", tc.name, code, stdout, stderr, tc.wantOut)
		}
		reqs := srv.Requests()
		if len(reqs) != tc.requests {
			t.Errorf("%s: %d requests, want %d", tc.name, len(reqs), tc.requests)
		}
		if tc.wantInLog != "" && len(reqs) > 0 && !strings.Contains(string(reqs[len(reqs)-1].Body), tc.wantInLog) {
			t.Errorf("%s: last request %s does not carry %q", tc.name, reqs[len(reqs)-1].Body, tc.wantInLog)
		}
		if tc.requests > 0 {
			logged, err := os.ReadFile(filepath.Join(home, ".ironcurtain", "generated", "llm-interactions.jsonl"))
			if err != nil || strings.Count(string(logged), "\n") != tc.requests || strings.Contains(string(logged), fakeTestKey()) {
				t.Errorf("%s: interactions log: %d lines (want %d), err %v, key leaked %v", tc.name, strings.Count(string(logged), "\n"), tc.requests, err, strings.Contains(string(logged), fakeTestKey()))
			}
		}
		data, err := os.ReadFile(file)
		if tc.saved == "" {
			if err == nil {
				t.Errorf("%s: %s was written: %q", tc.name, file, data)
			}
			continue
		}
		if err != nil || string(data) != tc.saved {
			t.Errorf("%s: %s = %q, %v; want %q", tc.name, file, data, err, tc.saved)
			continue
		}
		if st, err := os.Stat(file); err != nil || st.Mode().Perm() != 0o600 {
			t.Errorf("%s: mode of %s = %v, %v; want 0600", tc.name, file, st.Mode().Perm(), err)
		}
	}
}

func TestCustomizePolicyNoKey(t *testing.T) {
	home, _ := customizeHome(t)
	code, _, stderr := runCmdIn(newCustomizePolicyCmd, "x\n", map[string]string{"HOME": home})
	if code != 2 || !strings.Contains(stderr, "ANTHROPIC_API_KEY") {
		t.Errorf("customize-policy without a key = %d, %q; want 2 naming ANTHROPIC_API_KEY", code, stderr)
	}
}

func TestCustomizePolicyThenCompile(t *testing.T) {
	home, file := customizeHome(t)
	gen := filepath.Join(home, ".ironcurtain", "generated")
	if err := os.MkdirAll(gen, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(gen, "tool-annotations.json"), []byte(cliAnnotations), 0o600); err != nil {
		t.Fatal(err)
	}
	rule := `{"name":"allow-read-docs","description":"d","principle":"p","if":{"tool":["read_file"],"paths":{"roles":["read-path"],"within":"~/docs"}},"then":"allow","reason":"r"}`
	esc := `{"name":"escalate-writes","description":"d","principle":"p","if":{"tool":["write_file"]},"then":"escalate","reason":"r"}`
	scs := `{"scenarios":[{"description":"read a doc","request":{"serverName":"fs","toolName":"read_file","arguments":{"path":"` + home + `/docs/a.txt"}},"expectedDecision":"allow","reasoning":"r"}]}`
	srv := llmtest.NewAnthropic(t, propose("## Allowed\n- Read ~/docs."),
		cliTurn("submit_rules", `{"rules":[`+rule+`,`+esc+`]}`), cliTurn("submit_scenarios", scs))
	vars := map[string]string{"HOME": home, "ANTHROPIC_API_KEY": fakeTestKey(), "ANTHROPIC_BASE_URL": srv.URL}
	code, stdout, stderr := runCmdIn(newCustomizePolicyCmd, "read my docs\ny\ny\n", vars)
	if code != 0 || !strings.Contains(stdout, "Compile now? [y/N]") || !strings.Contains(stdout, "fs: 2 rules") {
		t.Fatalf("customize-policy + compile = %d, stdout %q, stderr %q; want 0 and a compiled policy", code, stdout, stderr)
	}
	if _, err := os.Stat(file); err != nil {
		t.Errorf("constitution not saved: %v", err)
	}
	if _, err := os.Stat(filepath.Join(gen, "compiled-policy.json")); err != nil {
		t.Errorf("policy not deployed: %v", err)
	}
}
