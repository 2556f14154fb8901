package main

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// TestMain lets the test binary stand in for the ironcurtain binary when
// the gateway starts its bundled servers (`<self> serve-mcp NAME`) and when
// the code runner starts a worker (`<self> __worker`), and as the gateway
// itself in the latency benchmark (`<self> gateway`).
func TestMain(m *testing.M) {
	if len(os.Args) > 1 && (os.Args[1] == "serve-mcp" || os.Args[1] == workerCommand || os.Args[1] == "gateway") {
		os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Getenv))
	}
	os.Exit(m.Run())
}

// TestGatewayEndToEnd runs `ironcurtain gateway` with no configuration: the
// bundled servers, the built-in policy, a real audit log; an MCP client
// drives it over stdio.
func TestGatewayEndToEnd(t *testing.T) {
	home, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	vars := map[string]string{"HOME": home, "PATH": os.Getenv("PATH"), "LANG": "C"}
	cr, sw := io.Pipe()
	sr, cw := io.Pipe()
	done := make(chan int, 1)
	var stderr strings.Builder
	go func() {
		done <- run([]string{"gateway"}, sr, sw, &syncWriter{w: &stderr}, func(k string) string { return vars[k] })
		sw.Close()
	}()
	ctx := context.Background()
	client := mcp.NewClient(&mcp.Implementation{Name: "e2e", Version: "1"}, nil)
	sess, err := client.Connect(ctx, &mcp.IOTransport{Reader: cr, Writer: cw}, nil)
	if err != nil {
		t.Fatal(err)
	}
	tools, err := sess.ListTools(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, tool := range tools.Tools {
		names[tool.Name] = true
	}
	for _, want := range []string{"filesystem__write_file", "git__git_status", "fetch__http_fetch"} {
		if !names[want] {
			t.Errorf("tools/list lacks %s", want)
		}
	}
	call := func(name string, args map[string]any) (bool, string) {
		t.Helper()
		res, err := sess.CallTool(ctx, &mcp.CallToolParams{Name: name, Arguments: args})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		var b strings.Builder
		for _, c := range res.Content {
			if tc, ok := c.(*mcp.TextContent); ok {
				b.WriteString(tc.Text)
			}
		}
		return res.IsError, b.String()
	}
	if isErr, out := call("filesystem__write_file", map[string]any{"path": "notes.md", "content": "# hi"}); isErr {
		t.Fatalf("write in the sandbox: %s", out)
	}
	sandbox := filepath.Join(home, ".ironcurtain", "sandbox")
	if b, err := os.ReadFile(filepath.Join(sandbox, "notes.md")); err != nil || string(b) != "# hi" {
		t.Fatalf("sandbox file: %q %v", b, err)
	}
	if isErr, out := call("filesystem__read_text_file", map[string]any{"path": "~/.ssh/id_rsa"}); !isErr || !strings.HasPrefix(out, "DENIED:") {
		t.Fatalf("SSH key: %v %s", isErr, out)
	}
	if isErr, out := call("git__git_init", map[string]any{"path": "repo"}); isErr {
		t.Fatalf("git init in the sandbox: %s", out)
	}
	if isErr, out := call("filesystem__write_file", map[string]any{"path": "../config.json", "content": "{}"}); !isErr || !strings.Contains(out, "protected path") {
		t.Fatalf("write to the IronCurtain home: %v %s", isErr, out)
	}
	sess.Close()
	cw.Close()
	if code := <-done; code != 0 {
		t.Fatalf("gateway exit %d\n%s", code, stderr.String())
	}
	var out, errb strings.Builder
	if code := run([]string{"audit", "verify", filepath.Join(home, ".ironcurtain", "audit.jsonl")}, strings.NewReader(""), &out, &errb, os.Getenv); code != 0 || !strings.Contains(out.String(), "4 lines") {
		t.Fatalf("audit verify: exit %d %s %s", code, out.String(), errb.String())
	}
}

// syncWriter serializes writes from the gateway's goroutines.
type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}
