package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ironcurtain/ironcurtain-go/internal/audit"
)

// runAudit runs the audit command tree the way run() runs the root, until
// the lead wires it into newRootCmd.
func runAudit(ctx context.Context, vars map[string]string, stdout, stderr io.Writer, args ...string) int {
	cmd := newAuditCmd(env{stdin: strings.NewReader(""), stdout: stdout, stderr: stderr, getenv: func(k string) string { return vars[k] }})
	cmd.SetOut(stdout)
	cmd.SetErr(stderr)
	cmd.SetArgs(args)
	err := cmd.ExecuteContext(ctx)
	if err == nil {
		return 0
	}
	code := 2
	var ee *exitError
	if errors.As(err, &ee) {
		code = ee.code
		if ee.err == nil {
			return code
		}
	}
	fmt.Fprintln(stderr, "ironcurtain: "+oneLine(err.Error()))
	return code
}

func auditRun(t *testing.T, vars map[string]string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = runAudit(context.Background(), vars, &out, &errb, args...)
	return code, out.String(), errb.String()
}

// secret is assembled at run time so no scanner flags the repository.
func testGitHubToken() string { return "gh" + "p_" + strings.Repeat("T0k", 12) }

func auditRecord(i int) audit.Record {
	return audit.Record{
		Timestamp:  time.Date(2025, 6, 7, 8, 9, 10, 0, time.UTC),
		RequestID:  fmt.Sprintf("req-%d", i),
		SessionID:  "s",
		Server:     "filesystem",
		Tool:       fmt.Sprintf("tool_%d", i),
		Arguments:  map[string]any{"path": fmt.Sprintf("/data/f%d", i), "token": testGitHubToken()},
		Decision:   audit.Decision{Status: audit.DecisionAllow, Rule: "allow-data"},
		Result:     audit.Result{Status: audit.ResultSuccess},
		DurationMs: 2,
	}
}

// writeAuditLog writes n records through the real writer and returns the
// still-open log.
func writeAuditLog(t *testing.T, path string, n int) *audit.Log {
	t.Helper()
	l, err := audit.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	for i := range n {
		if err := l.Append(context.Background(), auditRecord(i)); err != nil {
			t.Fatal(err)
		}
	}
	return l
}

func checkOneLineErr(t *testing.T, stderr, want string) {
	t.Helper()
	if !strings.Contains(stderr, want) || strings.Count(stderr, "\n") != 1 || !strings.HasPrefix(stderr, "ironcurtain: ") {
		t.Errorf("stderr = %q, want one line starting ironcurtain: and containing %q", stderr, want)
	}
}

func TestAuditVerify(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.jsonl")
	l := writeAuditLog(t, good, 3)
	head := l.Head()
	data, err := os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	edited := filepath.Join(dir, "edited.jsonl")
	os.WriteFile(edited, bytes.Replace(data, []byte("tool_1"), []byte("tool_X"), 1), 0o600)
	torn := filepath.Join(dir, "torn.jsonl")
	os.WriteFile(torn, data[:len(data)-3], 0o600)
	cut := filepath.Join(dir, "cut.jsonl")
	os.WriteFile(cut, data[:bytes.LastIndexByte(data[:len(data)-1], '\n')+1], 0o600)
	tests := []struct {
		name   string
		args   []string
		code   int
		stdout string // exact
		stderr string // substring of a one-line error
	}{
		{"intact", []string{"verify", good}, 0, "ok: 3 lines, chain intact\n", ""},
		{"edited", []string{"verify", edited}, 1, edited + ": line 3: prev does not match the hash of line 2: line 2 was changed, or lines were removed, inserted or reordered here\n", ""},
		{"torn", []string{"verify", torn}, 1, torn + ": line 3: truncated last line (no newline at the end)\n", ""},
		{"cut without head", []string{"verify", cut}, 0, "ok: 2 lines, chain intact\n", ""},
		{"cut with head", []string{"verify", "--head", head, cut}, 1, cut + ": line 2: the chain ends at " + audit.Hash(bytes.Split(data, []byte("\n"))[1]) + ", not at the expected head " + head + ": this line was changed or lines after it were removed\n", ""},
		{"intact with head", []string{"verify", "--head=" + head, good}, 0, "ok: 3 lines, chain intact\n", ""},
		{"bad head", []string{"verify", "--head=xyz", good}, 2, "", "not a hex SHA-256 digest"},
		{"missing file", []string{"verify", filepath.Join(dir, "nope.jsonl")}, 2, "", "no such file or directory"},
		{"directory", []string{"verify", dir}, 2, "", "is a directory"},
		{"no file and no HOME", []string{"verify"}, 2, "", "HOME is not set"},
		{"no subcommand", nil, 2, "", "audit needs a subcommand"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := auditRun(t, nil, tc.args...)
			if code != tc.code || out != tc.stdout {
				t.Errorf("audit %v = %d, %q; want %d, %q (stderr %q)", tc.args, code, out, tc.code, tc.stdout, errOut)
			}
			if tc.stderr != "" {
				checkOneLineErr(t, errOut, tc.stderr)
			}
		})
	}
}

func TestAuditTail(t *testing.T) {
	root := t.TempDir()
	home := filepath.Join(root, "ichome")
	vars := map[string]string{"HOME": root, "IRONCURTAIN_HOME": home}
	path := filepath.Join(home, "audit.jsonl")
	l := writeAuditLog(t, path, 25)
	hostile := auditRecord(99)
	hostile.Tool = "evil\x1b[2J\u202e"
	hostile.Arguments = map[string]any{"p": "x\n08:00:00 fake/row allow", "c1": "\u009b31m"}
	if err := l.Append(context.Background(), hostile); err != nil {
		t.Fatal(err)
	}
	token := testGitHubToken()

	t.Run("table default file", func(t *testing.T) {
		code, out, errOut := auditRun(t, vars, "tail")
		if code != 0 {
			t.Fatalf("audit tail = %d, stderr %q", code, errOut)
		}
		lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
		if len(lines) != 21 || !strings.HasPrefix(lines[0], "TIME") {
			t.Fatalf("audit tail printed %d lines, want header + 20:\n%s", len(lines), out)
		}
		if !strings.Contains(lines[1], "filesystem/tool_6") || !strings.Contains(lines[1], "allow allow-data") || !strings.Contains(lines[1], "success") {
			t.Errorf("first row = %q, want record 6", lines[1])
		}
		if !strings.Contains(lines[20], "filesystem/evil?[2J?") {
			t.Errorf("last row = %q, want the hostile tool name escaped", lines[20])
		}
		for _, bad := range []string{"\x1b", "\u202e", "\u009b", token} {
			if strings.Contains(out, bad) {
				t.Errorf("tail output contains %q:\n%s", bad, out)
			}
		}
	})
	t.Run("lines and json", func(t *testing.T) {
		code, out, _ := auditRun(t, nil, "tail", "-n", "2", "--json", path)
		if code != 0 {
			t.Fatalf("audit tail --json = %d", code)
		}
		lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
		if len(lines) != 2 {
			t.Fatalf("audit tail -n 2 --json printed %d lines:\n%s", len(lines), out)
		}
		r, err := audit.ParseLine([]byte(lines[0]))
		if err != nil || r.Tool != "tool_24" {
			t.Errorf("first JSON line = %v, %v; want the record of tool_24", r.Tool, err)
		}
		r, err = audit.ParseLine([]byte(lines[1]))
		if err != nil || r.Tool != hostile.Tool {
			t.Errorf("second JSON line tool = %q, %v; want %q", r.Tool, err, hostile.Tool)
		}
		if strings.ContainsAny(out, "\x1b\u202e\u009b") || strings.Contains(out, token) {
			t.Errorf("--json output carries raw escapes or the token:\n%s", out)
		}
	})
	t.Run("damaged line shown", func(t *testing.T) {
		damaged := filepath.Join(root, "damaged.jsonl")
		os.WriteFile(damaged, []byte("{\"tool\":\nnot json \x1b[31m\n"), 0o600)
		code, out, _ := auditRun(t, nil, "tail", damaged)
		if code != 0 || strings.Count(out, "unreadable line") != 2 || strings.Contains(out, "\x1b") {
			t.Errorf("audit tail (damaged) = %d:\n%q\nwant two escaped unreadable rows", code, out)
		}
		code, out, errOut := auditRun(t, nil, "tail", "--json", damaged)
		if code != 0 || out != "" || strings.Count(errOut, "warning: skipping") != 2 {
			t.Errorf("audit tail --json (damaged) = %d, %q, %q; want warnings only", code, out, errOut)
		}
	})
	t.Run("errors", func(t *testing.T) {
		noHome := map[string]string{"HOME": root, "IRONCURTAIN_HOME": filepath.Join(root, "absent")}
		tests := []struct {
			name   string
			vars   map[string]string
			args   []string
			stderr string
		}{
			{"default log missing", noHome, []string{"tail"}, "no audit log at " + filepath.Join(root, "absent", "audit.jsonl")},
			{"no HOME", map[string]string{}, []string{"tail"}, "HOME is not set"},
			{"missing file", nil, []string{"tail", filepath.Join(root, "nope")}, "no such file or directory"},
			{"directory", nil, []string{"tail", root}, "not a regular file"},
			{"negative lines", nil, []string{"tail", "-n", "-1", path}, "must not be negative"},
			{"two files", nil, []string{"tail", path, path}, "accepts at most 1 arg"},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				code, _, errOut := auditRun(t, tc.vars, tc.args...)
				if code != 2 {
					t.Errorf("audit %v = %d, want 2", tc.args, code)
				}
				checkOneLineErr(t, errOut, tc.stderr)
			})
		}
		if _, err := os.Stat(filepath.Join(root, "absent")); !os.IsNotExist(err) {
			t.Errorf("audit tail created the home directory (stat: %v)", err)
		}
	})
}

func TestAuditTailFollow(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	l := writeAuditLog(t, path, 2)
	pr, pw := io.Pipe()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan int, 1)
	var errb bytes.Buffer
	go func() {
		done <- runAudit(ctx, nil, pw, &errb, "tail", "-f", path)
		pw.Close()
	}()
	rd := bufio.NewReader(pr)
	// expect reads rows until one mentions want. The command's own
	// ticker makes it look again; the read blocks until it has.
	expect := func(want string) {
		t.Helper()
		line, err := rd.ReadString('\n')
		if err != nil {
			t.Fatalf("reading tail -f output: %v (stderr %q)", err, errb.String())
		}
		if !strings.Contains(line, want) {
			t.Fatalf("tail -f printed %q, want a line containing %q", line, want)
		}
	}
	expect("TIME")
	expect("tool_0")
	expect("tool_1")
	for i := 2; i < 4; i++ {
		if err := l.Append(context.Background(), auditRecord(i)); err != nil {
			t.Fatal(err)
		}
		expect(fmt.Sprintf("tool_%d", i))
	}
	cancel()
	if code := <-done; code != 0 {
		t.Errorf("tail -f after cancel = %d, want 0 (stderr %q)", code, errb.String())
	}
	if rest, _ := io.ReadAll(rd); len(rest) != 0 {
		t.Errorf("tail -f printed %q after the last record", rest)
	}
}

func TestAuditThroughRoot(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	writeAuditLog(t, path, 1)
	var out, errb bytes.Buffer
	code := run([]string{"audit", "verify", path}, strings.NewReader(""), &out, &errb, func(string) string { return "" })
	if code != 0 || out.String() != "ok: 1 lines, chain intact\n" {
		t.Errorf("ironcurtain audit verify = %d, %q, %q; want 0 and ok", code, out.String(), errb.String())
	}
}
