package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ironcurtain/ironcurtain-go/internal/llm/llmtest"
	"github.com/ironcurtain/ironcurtain-go/internal/policy"
)

// runAnnotateTools runs the command as run() would, mapping errors to exit
// codes; the lead wires the command into the root separately.
func runAnnotateTools(vars map[string]string, args ...string) (code int, stdout, stderr string) {
	return runCmdIn(newAnnotateToolsCmd, "", vars, args...)
}

func TestAnnotateToolsUsage(t *testing.T) {
	home := t.TempDir()
	for _, tc := range []struct {
		name string
		vars map[string]string
		args []string
		want string
	}{
		{"no key", map[string]string{"HOME": home}, nil, "ANTHROPIC_API_KEY"},
		{"openai no key", map[string]string{"HOME": home}, []string{"-m", "openai:gpt-test"}, "OPENAI_API_KEY"},
		{"server and all", map[string]string{"HOME": home}, []string{"--all", "--server", "git"}, "exclusive"},
		{"unknown server", map[string]string{"HOME": home, "ANTHROPIC_API_KEY": fakeTestKey()}, []string{"--server", "nope"}, `"nope"`},
	} {
		code, _, stderr := runAnnotateTools(tc.vars, tc.args...)
		if code != 2 || !strings.Contains(stderr, tc.want) {
			t.Errorf("%s: annotate-tools %v = %d, %q; want 2 and a message naming %s", tc.name, tc.args, code, stderr, tc.want)
		}
		// Nothing may have been started or created for a refused run.
		if _, err := os.Stat(filepath.Join(home, ".ironcurtain")); err == nil {
			t.Errorf("%s: the home directory was created", tc.name)
		}
	}
}

func fakeTestKey() string { return strings.Join([]string{"fake", "cli", "key"}, "-") }

// TestAnnotateToolsFetch starts the bundled fetch server (the test binary
// stands in for ironcurtain) and annotates its two tools against a scripted
// provider; a second run reuses them without a request.
func TestAnnotateToolsFetch(t *testing.T) {
	home, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	answer := `{"tools":[` +
		`{"server":"fetch","tool":"http_fetch","comment":"Fetches a URL.","args":{"url":["fetch-url"],"headers":["none"],"max_length":["none"],"format":["none"],"timeout":["none"]}},` +
		`{"server":"fetch","tool":"web_search","comment":"Searches the web.","args":{"query":["none"],"max_results":["none"]}}]}`
	srv := llmtest.NewAnthropic(t, llmtest.Turn{ToolCalls: []llmtest.ToolCall{{Name: "submit_annotations", Input: answer}}})
	vars := map[string]string{"HOME": home, "PATH": os.Getenv("PATH"), "LANG": "C", "ANTHROPIC_API_KEY": fakeTestKey(), "ANTHROPIC_BASE_URL": srv.URL}
	code, stdout, stderr := runAnnotateTools(vars, "--server", "fetch")
	if code != 0 || !strings.Contains(stdout, "2 tools annotated, 0 reused, 0 failed") {
		t.Fatalf("annotate-tools = %d, stdout %q, stderr %q; want 0 and 2 annotated", code, stdout, stderr)
	}
	gen := filepath.Join(home, ".ironcurtain", "generated")
	ann, err := policy.LoadAnnotations(filepath.Join(gen, "tool-annotations.json"))
	if err != nil {
		t.Fatal(err)
	}
	if ann.Lookup("fetch", "http_fetch") == nil || ann.Lookup("fetch", "web_search") == nil {
		t.Errorf("annotations lack the fetch tools")
	}
	logData, err := os.ReadFile(filepath.Join(gen, "llm-interactions.jsonl"))
	if err != nil || bytes.Count(logData, []byte("\n")) != 1 || bytes.Contains(logData, []byte(fakeTestKey())) {
		t.Errorf("interactions log: %d lines, key present %v, err %v; want 1 line without the key", bytes.Count(logData, []byte("\n")), bytes.Contains(logData, []byte(fakeTestKey())), err)
	}
	code, stdout, stderr = runAnnotateTools(vars, "--server", "fetch")
	if code != 0 || !strings.Contains(stdout, "0 tools annotated, 2 reused, 0 failed (0 model requests") {
		t.Errorf("rerun = %d, stdout %q, stderr %q; want 0 requests, 2 reused", code, stdout, stderr)
	}
}
