package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const testAnnotations = `{"servers":{
 "filesystem":{"tools":[
  {"toolName":"read_file","args":{"path":["read-path"]}},
  {"toolName":"write_file","args":{"path":["write-path"],"content":["none"]}}]},
 "fetch":{"tools":[{"toolName":"http_fetch","args":{"url":["fetch-url"]}}]}}}`

const testPolicy = `{"rules":[
 {"name":"allow-read-docs","if":{"server":["filesystem"],"paths":{"roles":["read-path"],"within":"~/Documents"}},"then":"allow","reason":"Documents are readable."},
 {"name":"escalate-writes","if":{"server":["filesystem"],"roles":["write-path"]},"then":"escalate","reason":"Writes need approval."},
 {"name":"allow-news","if":{"server":["fetch"],"domains":{"roles":["fetch-url"],"allowed":["@news"]}},"then":"allow","reason":"News sites."}]}`

const testLists = `{"lists":{"news":{"values":["*.news.example"],"manualAdditions":[],"manualRemovals":[]}}}`

const testScenarios = `{"scenarios":[
 {"description":"read docs","request":{"serverName":"filesystem","toolName":"read_file","arguments":{"path":"~/Documents/a"}},"expectedDecision":"allow","reasoning":"","source":"generated"},
 {"description":"write docs","request":{"serverName":"filesystem","toolName":"write_file","arguments":{"path":"~/Documents/a","content":"x"}},"expectedDecision":"not-allow","reasoning":"","source":"generated"},
 {"description":"wrong expectation","request":{"serverName":"filesystem","toolName":"read_file","arguments":{"path":"/etc/passwd"}},"expectedDecision":"allow","reasoning":"","source":"generated"}]}`

type testEnv struct {
	home, policyDir string
	vars            map[string]string
}

func newTestEnv(t *testing.T) *testEnv {
	t.Helper()
	root := t.TempDir()
	te := &testEnv{home: filepath.Join(root, "home"), policyDir: filepath.Join(root, "policy")}
	for _, d := range []string{filepath.Join(te.home, "Documents"), te.policyDir} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for name, body := range map[string]string{
		"tool-annotations.json": testAnnotations,
		"compiled-policy.json":  testPolicy,
		"dynamic-lists.json":    testLists,
		"test-scenarios.json":   testScenarios,
	} {
		if err := os.WriteFile(filepath.Join(te.policyDir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	te.vars = map[string]string{"HOME": te.home}
	return te
}

func (te *testEnv) run(stdin string, args ...string) (code int, stdout, stderr string) {
	var out, errb bytes.Buffer
	code = run(args, strings.NewReader(stdin), &out, &errb, func(k string) string { return te.vars[k] })
	return code, out.String(), errb.String()
}

func TestPolicyCheck(t *testing.T) {
	te := newTestEnv(t)
	pd := "--policy-dir=" + te.policyDir
	tests := []struct {
		name      string
		stdin     string
		args      []string
		code      int
		stdout    string // substring
		stderrOne string // substring of a one-line stderr
	}{
		{"allow", "", []string{"policy", "check", pd, `{"serverName":"filesystem","toolName":"read_file","arguments":{"path":"~/Documents/x"}}`}, 0, "allow (rule allow-read-docs)", ""},
		{"escalate exits 1", "", []string{"policy", "check", pd, `{"serverName":"filesystem","toolName":"write_file","arguments":{"path":"~/Documents/x","content":"c"}}`}, 1, "escalated roles: write-path", ""},
		{"deny exits 1", "", []string{"policy", "check", pd, `{"serverName":"filesystem","toolName":"read_file","arguments":{"path":"/etc/shadow"}}`}, 1, "deny (rule default-deny)", ""},
		{"stdin dash", `{"serverName":"fetch","toolName":"http_fetch","arguments":{"url":"https://WWW.News.Example./a"}}`, []string{"policy", "check", pd, "-"}, 0, "allow (rule allow-news)", ""},
		{"stdin implicit", `{"serverName":"fetch","toolName":"http_fetch","arguments":{"url":"http://0x7f.1/"}}`, []string{"policy", "check", pd}, 1, "deny", ""},
		{"broken json", "", []string{"policy", "check", pd, `{"serverName":`}, 2, "", "call: line 1 column 15: unexpected end of JSON input"},
		{"unknown field", "", []string{"policy", "check", pd, `{"serverName":"a","toolName":"b","argument":{}}`}, 2, "", "call: argument: unknown field"},
		{"duplicate key", "", []string{"policy", "check", pd, `{"serverName":"a","toolName":"b","arguments":{"p":1,"p":2}}`}, 2, "", `duplicate key "p"`},
		{"invalid utf8", "", []string{"policy", "check", pd, "{\"serverName\":\"\xff\",\"toolName\":\"b\"}"}, 2, "", "invalid UTF-8"},
		{"too many args", "", []string{"policy", "check", pd, "{}", "{}"}, 2, "", "accepts at most 1 arg"},
		{"unknown flag", "", []string{"policy", "check", "--nope"}, 2, "", "unknown flag: --nope"},
		{"missing policy dir", "", []string{"policy", "check", "--policy-dir=/nonexistent/dir", `{"serverName":"a","toolName":"b"}`}, 2, "", "/nonexistent/dir/compiled-policy.json"},
		{"built-in default policy", "", []string{"policy", "check", `{"serverName":"filesystem","toolName":"read_text_file","arguments":{"path":"~/.ssh/id_rsa"}}`}, 1, "deny (rule deny-ssh-keys)", ""},
		{"flag twice", "", []string{"policy", "check", pd, "--sandbox", "/tmp/a", "--sandbox", "/tmp/b", "{}"}, 2, "", "given more than once"},
		{"empty flag", "", []string{"policy", "check", pd, "--sandbox=", "{}"}, 2, "", "must not be empty"},
		{"sandbox is /", "", []string{"policy", "check", pd, "--sandbox", "/", `{"serverName":"a","toolName":"b"}`}, 2, "", "sandbox / contains"},
		{"sandbox is home", "", []string{"policy", "check", pd, "--sandbox", te.home, `{"serverName":"a","toolName":"b"}`}, 2, "", "contains"},
		{"huge stdin", strings.Repeat(" ", 5<<20), []string{"policy", "check", pd}, 2, "", "more than 4194304 bytes"},
		{"lone surrogate", "", []string{"policy", "check", pd, `{"serverName":"filesystem","toolName":"read_file","arguments":{"path":"\ud800"}}`}, 2, "", "unpaired UTF-16 surrogate"},
		{"test takes no args", "", []string{"policy", "test", pd, "extra"}, 2, "", "policy test takes no arguments"},
		{"missing servers file", "", []string{"policy", "check", pd, "--servers=/nonexistent.json", `{"serverName":"a","toolName":"b"}`}, 2, "", "/nonexistent.json"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := te.run(tc.stdin, tc.args...)
			if code != tc.code {
				t.Fatalf("exit = %d, want %d\nstdout: %s\nstderr: %s", code, tc.code, out, errOut)
			}
			if !strings.Contains(out, tc.stdout) {
				t.Errorf("stdout = %q, want containing %q", out, tc.stdout)
			}
			if tc.stderrOne != "" {
				if !strings.Contains(errOut, tc.stderrOne) {
					t.Errorf("stderr = %q, want containing %q", errOut, tc.stderrOne)
				}
				if strings.Count(errOut, "\n") != 1 || !strings.HasPrefix(errOut, "ironcurtain: ") {
					t.Errorf("stderr is not one line starting ironcurtain: %q", errOut)
				}
			}
		})
	}
	if _, err := os.Stat(filepath.Join(te.home, ".ironcurtain")); !os.IsNotExist(err) {
		t.Errorf("policy check created <home> (stat err %v)", err)
	}
}

func TestPolicyCheckJSON(t *testing.T) {
	te := newTestEnv(t)
	code, out, _ := te.run("", "policy", "check", "--json", "--explain", "--policy-dir", te.policyDir, "--sandbox", filepath.Join(te.home, "sb"),
		`{"serverName":"filesystem","toolName":"write_file","arguments":{"path":"../Documents/x","content":"c"}}`)
	if code != 1 {
		t.Fatalf("exit = %d, want 1", code)
	}
	var got struct {
		Decision       string            `json:"decision"`
		Rule           string            `json:"rule"`
		Reason         string            `json:"reason"`
		EscalatedRoles []string          `json:"escalatedRoles"`
		Arguments      map[string]string `json:"arguments"`
		Trace          []map[string]any  `json:"trace"`
	}
	dec := json.NewDecoder(strings.NewReader(out))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&got); err != nil {
		t.Fatalf("decode %q: %v", out, err)
	}
	if got.Decision != "escalate" || got.Rule != "escalate-writes" || got.Reason != "Writes need approval." ||
		len(got.EscalatedRoles) != 1 || got.EscalatedRoles[0] != "write-path" {
		t.Errorf("got %+v", got)
	}
	if want := filepath.Join(te.home, "Documents", "x"); got.Arguments["path"] != want {
		t.Errorf("canonical path = %q, want %q", got.Arguments["path"], want)
	}
	if len(got.Trace) == 0 {
		t.Error("no trace with --explain")
	}
	// Without --explain, no trace; escalatedRoles is an empty array, not null.
	_, out, _ = te.run("", "policy", "check", "--json", "--policy-dir", te.policyDir,
		`{"serverName":"filesystem","toolName":"read_file","arguments":{"path":"~/Documents/x"}}`)
	if !strings.Contains(out, `"escalatedRoles":[]`) || strings.Contains(out, `"trace"`) {
		t.Errorf("json = %s", out)
	}
}

func TestPolicyCheckProtectsHome(t *testing.T) {
	te := newTestEnv(t)
	te.vars["IRONCURTAIN_HOME"] = filepath.Join(te.home, "ic")
	for _, p := range []string{"~/ic/config.json", te.policyDir + "/compiled-policy.json", "~/ic/sandbox/../audit.jsonl"} {
		code, out, _ := te.run("", "policy", "check", "--policy-dir", te.policyDir,
			`{"serverName":"filesystem","toolName":"read_file","arguments":{"path":"`+p+`"}}`)
		if code != 1 || !strings.Contains(out, "structural-protected-path") {
			t.Errorf("read %s: exit %d, %s; want protected-path deny", p, code, out)
		}
	}
	code, out, _ := te.run("", "policy", "check", "--policy-dir", te.policyDir,
		`{"serverName":"filesystem","toolName":"read_file","arguments":{"path":"notes.txt"}}`)
	if code != 0 || !strings.Contains(out, "structural-sandbox-allow") {
		t.Errorf("sandbox read inside home: exit %d, %s; want sandbox allow", code, out)
	}
}

func TestPolicyTest(t *testing.T) {
	te := newTestEnv(t)
	code, out, _ := te.run("", "policy", "test", "--policy-dir", te.policyDir)
	if code != 1 {
		t.Fatalf("exit = %d, want 1 (one scenario fails)", code)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if last := lines[len(lines)-1]; last != "2 passed, 1 failed" {
		t.Errorf("last line = %q, want %q", last, "2 passed, 1 failed")
	}
	if !strings.Contains(out, "FAIL #2 wrong expectation: expected allow, got deny (rule default-deny)") {
		t.Errorf("failure not listed: %s", out)
	}

	code, out, errOut := te.run("", "policy", "test", "--json", "--policy-dir", te.policyDir)
	if code != 1 || strings.TrimSpace(errOut) != "2 passed, 1 failed" {
		t.Fatalf("json: exit %d, stderr %q", code, errOut)
	}
	var n int
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var r struct {
			Index       int    `json:"index"`
			Description string `json:"description"`
			Expected    string `json:"expected"`
			Decision    string `json:"decision"`
			Rule        string `json:"rule"`
			Pass        *bool  `json:"pass"`
		}
		if err := json.Unmarshal([]byte(line), &r); err != nil || r.Pass == nil {
			t.Fatalf("line %q: %v", line, err)
		}
		if r.Index != n {
			t.Errorf("index = %d, want %d", r.Index, n)
		}
		if r.Index == 1 && (r.Expected != "not-allow" || r.Decision != "escalate" || !*r.Pass) {
			t.Errorf("not-allow scenario: %+v", r)
		}
		n++
	}
	if n != 3 {
		t.Errorf("%d JSON lines, want 3", n)
	}

	// A scenario file that all passes exits 0; a broken one exits 2.
	good := filepath.Join(t.TempDir(), "s.json")
	if err := os.WriteFile(good, []byte(`{"scenarios":[{"description":"d","request":{"serverName":"filesystem","toolName":"read_file","arguments":{"path":"x"}},"expectedDecision":"allow","reasoning":"","source":"handwritten"}]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, out, _ := te.run("", "policy", "test", "--policy-dir", te.policyDir, "--scenarios", good); code != 0 || strings.TrimSpace(out) != "1 passed, 0 failed" {
		t.Errorf("all pass: exit %d, %q", code, out)
	}
	bad := filepath.Join(t.TempDir(), "bad.json")
	if err := os.WriteFile(bad, []byte(`{"scenarios":[{"description":"d","request":{"serverName":"a","toolName":"b"},"expectedDecision":"maybe"}]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, _, errOut := te.run("", "policy", "test", "--policy-dir", te.policyDir, "--scenarios", bad); code != 2 || !strings.Contains(errOut, `scenarios[0].expectedDecision: unknown decision "maybe"`) {
		t.Errorf("bad scenarios: exit %d, %q", code, errOut)
	}
}

func TestBadPolicyFile(t *testing.T) {
	te := newTestEnv(t)
	if err := os.WriteFile(filepath.Join(te.policyDir, "compiled-policy.json"), []byte(`{"rules":[{"name":"x","if":{},"then":"allow"}]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, errOut := te.run("", "policy", "test", "--policy-dir", te.policyDir)
	if code != 2 || !strings.Contains(errOut, "compiled-policy.json: rules[0].if: must not be empty") {
		t.Errorf("exit %d, stderr %q", code, errOut)
	}
}

func TestBuiltinPolicyPassesItsScenarios(t *testing.T) {
	te := newTestEnv(t)
	code, out, errOut := te.run("", "policy", "test")
	if code != 0 || !strings.HasSuffix(strings.TrimSpace(out), "passed, 0 failed") {
		t.Fatalf("exit %d\nstdout: %s\nstderr: %s", code, out, errOut)
	}
	if _, err := os.Stat(filepath.Join(te.home, ".ironcurtain")); !os.IsNotExist(err) {
		t.Errorf("policy test created <home> (%v)", err)
	}
}

func TestNoHome(t *testing.T) {
	te := newTestEnv(t)
	delete(te.vars, "HOME")
	code, _, errOut := te.run("", "policy", "check", "--policy-dir", te.policyDir, `{"serverName":"a","toolName":"b"}`)
	if code != 2 || !strings.Contains(errOut, "HOME is not set") {
		t.Errorf("exit %d, stderr %q", code, errOut)
	}
}

func TestPolicyLintAndDiff(t *testing.T) {
	te := newTestEnv(t)
	code, out, _ := te.run("", "policy", "lint", "--policy-dir", te.policyDir)
	if code != 0 || !strings.HasSuffix(strings.TrimSpace(out), "0 errors, 0 warnings") {
		t.Fatalf("lint of a clean policy: exit %d\n%s", code, out)
	}
	bad := filepath.Join(t.TempDir(), "bad")
	if err := os.MkdirAll(bad, 0o755); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(bad, "tool-annotations.json"), []byte(testAnnotations), 0o644)
	os.WriteFile(filepath.Join(bad, "compiled-policy.json"), []byte(`{"rules":[{"name":"r","if":{"server":["github"]},"then":"allow"},{"name":"x","if":{},"then":"allow"}]}`), 0o644)
	code, out, _ = te.run("", "policy", "lint", "--policy-dir", bad)
	if code != 1 || !strings.Contains(out, "rules[1].if: must not be empty") {
		t.Fatalf("lint of a broken policy: exit %d\n%s", code, out)
	}
	os.WriteFile(filepath.Join(bad, "compiled-policy.json"), []byte(`{"rules":[{"name":"r","if":{"server":["github"]},"then":"allow"}]}`), 0o644)
	code, out, _ = te.run("", "policy", "lint", "--policy-dir", bad)
	if code != 1 || !strings.Contains(out, `error: rules[0] (r): server "github" has no annotated tools`) {
		t.Fatalf("lint of an unknown server: exit %d\n%s", code, out)
	}

	if code, out, _ := te.run("", "policy", "diff", te.policyDir, te.policyDir); code != 0 || !strings.Contains(out, " 0 changed") {
		t.Fatalf("diff with itself: exit %d\n%s", code, out)
	}
	changed := filepath.Join(t.TempDir(), "changed")
	os.MkdirAll(changed, 0o755)
	os.WriteFile(filepath.Join(changed, "tool-annotations.json"), []byte(testAnnotations), 0o644)
	os.WriteFile(filepath.Join(changed, "compiled-policy.json"), []byte(`{"rules":[{"name":"escalate-docs","if":{"server":["filesystem"],"paths":{"roles":["read-path"],"within":"~/Documents"}},"then":"escalate","reason":"ask"}]}`), 0o644)
	code, out, _ = te.run("", "policy", "diff", te.policyDir, changed)
	if code != 1 || !strings.Contains(out, "allow (allow-read-docs) -> escalate (escalate-docs)") {
		t.Fatalf("diff: exit %d\n%s", code, out)
	}
	if code, _, errOut := te.run("", "policy", "diff", te.policyDir); code != 2 || !strings.Contains(errOut, "needs OLD_DIR and NEW_DIR") {
		t.Fatalf("diff usage: exit %d %s", code, errOut)
	}
}
