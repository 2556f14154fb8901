package git

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// identity lets commits succeed without any config file.
var identity = []string{
	"GIT_AUTHOR_NAME=Test Author", "GIT_AUTHOR_EMAIL=author@example.com",
	"GIT_COMMITTER_NAME=Test Committer", "GIT_COMMITTER_EMAIL=committer@example.com",
}

func requireGit(t testing.TB) {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skipf("git is not installed, so the server has nothing to run: %v", err)
	}
}

// tempDir is t.TempDir with symlinks resolved, so paths the server reports
// compare equal to paths the test built.
func tempDir(t testing.TB) string {
	t.Helper()
	d, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// fixture is a server over one temporary root, connected to a real MCP
// client through in-memory transports.
type fixture struct {
	t    *testing.T
	root string
	cs   *mcp.ClientSession
}

func newFixture(t *testing.T, edit func(*Config)) *fixture {
	t.Helper()
	requireGit(t)
	root := tempDir(t)
	cfg := Config{Roots: []string{root}, AllowFileProtocol: true, Env: identity}
	if edit != nil {
		edit(&cfg)
	}
	return connect(t, root, cfg)
}

func connect(t *testing.T, root string, cfg Config) *fixture {
	t.Helper()
	srv, err := New(cfg)
	if err != nil {
		t.Fatalf("New(%+v) = %v", cfg, err)
	}
	ctx := context.Background()
	ct, st := mcp.NewInMemoryTransports()
	ss, err := srv.Connect(ctx, st, nil)
	if err != nil {
		t.Fatal(err)
	}
	cs, err := mcp.NewClient(&mcp.Implementation{Name: "test", Version: "1"}, nil).Connect(ctx, ct, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cs.Close()
		_ = ss.Wait()
	})
	return &fixture{t: t, root: root, cs: cs}
}

// call invokes a tool and returns its text and whether it is an error.
func (f *fixture) call(name string, args map[string]any) (string, bool) {
	f.t.Helper()
	res, err := f.cs.CallTool(context.Background(), &mcp.CallToolParams{Name: name, Arguments: args})
	if err != nil {
		f.t.Fatalf("CallTool(%s, %v): protocol error %v", name, args, err)
	}
	var b strings.Builder
	for _, c := range res.Content {
		if tc, ok := c.(*mcp.TextContent); ok {
			b.WriteString(tc.Text)
		}
	}
	return b.String(), res.IsError
}

func (f *fixture) ok(name string, args map[string]any) string {
	f.t.Helper()
	text, isErr := f.call(name, args)
	if isErr {
		f.t.Fatalf("%s(%v) failed: %s", name, args, text)
	}
	return text
}

func (f *fixture) fail(name string, args map[string]any) string {
	f.t.Helper()
	text, isErr := f.call(name, args)
	if !isErr {
		f.t.Fatalf("%s(%v) = %q, want an error", name, args, text)
	}
	return text
}

// rawCall sends arguments as literal JSON, for inputs a map cannot express
// (duplicate keys).
func (f *fixture) rawCall(name, args string) (string, bool) {
	f.t.Helper()
	res, err := f.cs.CallTool(context.Background(), &mcp.CallToolParams{Name: name, Arguments: json.RawMessage(args)})
	if err != nil {
		f.t.Fatalf("CallTool(%s, %s): protocol error %v", name, args, err)
	}
	text := ""
	if len(res.Content) > 0 {
		if tc, ok := res.Content[0].(*mcp.TextContent); ok {
			text = tc.Text
		}
	}
	return text, res.IsError
}

// gitCLI runs git directly for test setup, isolated from the machine's
// config like the server is.
func gitCLI(t testing.TB, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", append([]string{"-C", dir}, args...)...)
	cmd.Env = append([]string{
		"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir(),
		"GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL=/dev/null",
	}, identity...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %v in %s: %v\n%s", args, dir, err, out)
	}
	return string(out)
}

func writeFile(t testing.TB, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func exists(path string) bool {
	_, err := os.Lstat(path)
	return err == nil
}

// initRepo makes a repository with one commit at dir.
func initRepo(t testing.TB, dir string) {
	t.Helper()
	gitCLI(t, filepath.Dir(dir), "init", "-q", "--initial-branch=main", dir)
	writeFile(t, filepath.Join(dir, "README"), "hello\n")
	gitCLI(t, dir, "add", "README")
	gitCLI(t, dir, "commit", "-q", "-m", "initial")
}

func readFile(path string) (string, error) {
	b, err := os.ReadFile(path)
	return string(b), err
}
