package main

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/ironcurtain/ironcurtain-go/internal/llm/llmtest"
)

// runCmdIn runs one command in-process with stdin and returns its exit
// code as main would.
func runCmdIn(newCmd func(env) *cobra.Command, stdin string, vars map[string]string, args ...string) (code int, stdout, stderr string) {
	var out bytes.Buffer
	var errb strings.Builder
	sw := &syncWriter{w: &errb}
	cmd := newCmd(env{stdin: strings.NewReader(stdin), stdout: &out, stderr: sw, getenv: func(k string) string { return vars[k] }})
	cmd.SilenceUsage, cmd.SilenceErrors = true, true
	cmd.SetArgs(args)
	cmd.SetOut(&out)
	cmd.SetErr(sw)
	err := cmd.Execute()
	if err == nil {
		return 0, out.String(), errb.String()
	}
	code = 2
	var ee *exitError
	if errors.As(err, &ee) {
		code = ee.code
	}
	sw.Write([]byte(err.Error() + "\n"))
	return code, out.String(), errb.String()
}

const (
	listAnnotations = `{"generatedAt":"test","servers":{"web":{"tools":[{"toolName":"fetch","serverName":"web","args":{"url":["fetch-url"]}}]}}}`
	listPolicy      = `{"rules":[{"name":"allow-news","description":"d","principle":"p","if":{"server":["web"],"domains":{"roles":["fetch-url"],"allowed":["@news"]}},"then":"allow","reason":"r"}],` +
		`"listDefinitions":[{"name":"news","type":"domains","principle":"p","generationPrompt":"List news sites.","requiresMcp":false}]}`
	listValues    = `{"generatedAt":"x","lists":{"news":{"values":["nytimes.com"],"manualAdditions":["mine.example"],"manualRemovals":[],"resolvedAt":"x","inputHash":"h"}}}`
	listScenarios = `{"scenarios":[` +
		`{"description":"fetch news","request":{"serverName":"web","toolName":"fetch","arguments":{"url":"https://nytimes.com/a"}},"expectedDecision":"allow","reasoning":"r","source":"generated"},` +
		`{"description":"fetch mine","request":{"serverName":"web","toolName":"fetch","arguments":{"url":"https://mine.example/"}},"expectedDecision":"allow","reasoning":"r","source":"generated"},` +
		`{"description":"fetch evil","request":{"serverName":"web","toolName":"fetch","arguments":{"url":"https://evil.example/"}},"expectedDecision":"deny","reasoning":"r","source":"generated"}]}`
)

func deployListPolicy(t *testing.T) (home, gen string) {
	t.Helper()
	home, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	gen = filepath.Join(home, ".ironcurtain", "generated")
	if err := os.MkdirAll(gen, 0o700); err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string]string{"tool-annotations.json": listAnnotations, "compiled-policy.json": listPolicy,
		"dynamic-lists.json": listValues, "test-scenarios.json": listScenarios} {
		if err := os.WriteFile(filepath.Join(gen, name), []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return home, gen
}

func TestRefreshListsUsage(t *testing.T) {
	home, _ := deployListPolicy(t)
	empty := t.TempDir()
	key := map[string]string{"HOME": home, "ANTHROPIC_API_KEY": fakeTestKey()}
	for _, tc := range []struct {
		name string
		vars map[string]string
		args []string
		want string
	}{
		{"no key", map[string]string{"HOME": home}, nil, "ANTHROPIC_API_KEY"},
		{"unknown list", key, []string{"--list", "nope"}, `"nope"`},
		{"no policy", map[string]string{"HOME": empty, "ANTHROPIC_API_KEY": fakeTestKey()}, nil, "compile-policy first"},
		{"argument", key, []string{"extra"}, "extra"},
	} {
		code, _, stderr := runCmdIn(newRefreshListsCmd, "", tc.vars, tc.args...)
		if code != 2 || !strings.Contains(stderr, tc.want) {
			t.Errorf("%s: refresh-lists %v = %d, %q; want 2 naming %s", tc.name, tc.args, code, stderr, tc.want)
		}
	}
}

func TestRefreshListsDeploysOnlyWhenScenariosPass(t *testing.T) {
	home, gen := deployListPolicy(t)
	listsFile := filepath.Join(gen, "dynamic-lists.json")

	// New values that drop nytimes.com: the news scenario fails, nothing changes.
	bad := llmtest.NewAnthropic(t, cliTurn("submit_list_values", `{"values":["cnn.com"]}`))
	vars := map[string]string{"HOME": home, "ANTHROPIC_API_KEY": fakeTestKey(), "ANTHROPIC_BASE_URL": bad.URL}
	code, stdout, stderr := runCmdIn(newRefreshListsCmd, "", vars)
	if code != 1 || !strings.Contains(stdout, "FAIL fetch news") || !strings.Contains(stderr, "left unchanged") {
		t.Fatalf("refresh-lists (failing) = %d, stdout %q, stderr %q; want 1 naming the failing scenario", code, stdout, stderr)
	}
	if data, _ := os.ReadFile(listsFile); string(data) != listValues {
		t.Errorf("a failing refresh replaced %s: %s", listsFile, data)
	}

	good := llmtest.NewAnthropic(t, cliTurn("submit_list_values", `{"values":["nytimes.com","bbc.co.uk"]}`))
	vars["ANTHROPIC_BASE_URL"] = good.URL
	code, stdout, stderr = runCmdIn(newRefreshListsCmd, "", vars, "--list", "news")
	if code != 0 || !strings.Contains(stdout, "3 scenarios pass") {
		t.Fatalf("refresh-lists = %d, stdout %q, stderr %q; want 0 with 3 scenarios passing", code, stdout, stderr)
	}
	data, err := os.ReadFile(listsFile)
	if err != nil || !strings.Contains(string(data), "bbc.co.uk") || !strings.Contains(string(data), "mine.example") {
		t.Errorf("%s = %s, %v; want the new values and the manual addition", listsFile, data, err)
	}
	if lines, _ := os.ReadFile(filepath.Join(gen, "llm-interactions.jsonl")); strings.Count(string(lines), "\n") != 2 {
		t.Errorf("interactions log has %d lines, want 2", strings.Count(string(lines), "\n"))
	}
}

func TestCompilePolicyWritesLists(t *testing.T) {
	home, gen := deployListPolicy(t)
	for _, name := range []string{"compiled-policy.json", "test-scenarios.json"} {
		if err := os.Remove(filepath.Join(gen, name)); err != nil {
			t.Fatal(err)
		}
	}
	rules := `{"rules":[{"name":"allow-news","description":"d","principle":"p","if":{"domains":{"roles":["fetch-url"],"allowed":["@news"]}},"then":"allow","reason":"r"}],` +
		`"listDefinitions":[{"name":"news","type":"domains","principle":"p","generationPrompt":"List news sites.","requiresMcp":false}]}`
	scs := `{"scenarios":[{"description":"fetch news","request":{"serverName":"web","toolName":"fetch","arguments":{"url":"https://www.nytimes.com/a"}},"expectedDecision":"allow","reasoning":"r"}]}`
	srv := llmtest.NewAnthropic(t, cliTurn("submit_rules", rules), cliTurn("submit_list_values", `{"values":["nytimes.com"]}`), cliTurn("submit_scenarios", scs))
	vars := map[string]string{"HOME": home, "ANTHROPIC_API_KEY": fakeTestKey(), "ANTHROPIC_BASE_URL": srv.URL}
	code, stdout, stderr := runCompileCmd(vars)
	if code != 0 || !strings.Contains(stdout, "web: 1 rules, 1 scenarios, 0 judge rounds, 3 requests: verified") {
		t.Fatalf("compile-policy = %d, stdout %q, stderr %q; want 0 and web verified with 3 requests", code, stdout, stderr)
	}
	data, err := os.ReadFile(filepath.Join(gen, "dynamic-lists.json"))
	if err != nil || !strings.Contains(string(data), `"*.nytimes.com"`) || !strings.Contains(string(data), `"mine.example"`) {
		t.Errorf("dynamic-lists.json = %s, %v; want the resolved values and the earlier manual addition", data, err)
	}
}
