package filesystem

//lint:file-ignore SA1019 client roots are the feature under test.

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

func fileURI(p string) string { return "file://" + p }

func allowed(t *testing.T, cs *mcp.ClientSession) []string {
	t.Helper()
	got := mustCall(t, cs, "list_allowed_directories", map[string]any{})
	return strings.Split(strings.TrimPrefix(got, "Allowed directories:\n"), "\n")
}

func TestClientRootsAddedAndRemoved(t *testing.T) {
	fixed, extra, later := tempDir(t), tempDir(t), tempDir(t)
	writeFile(t, filepath.Join(extra, "e.txt"), "extra")
	writeFile(t, filepath.Join(later, "l.txt"), "later")

	client := mcp.NewClient(&mcp.Implementation{Name: "test-client", Version: "0"}, nil)
	// Announced before connecting: picked up when the session starts.
	client.AddRoots(&mcp.Root{URI: fileURI(extra)})
	s, err := New(Config{Roots: []string{fixed}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	cs := connectClient(t, s, client)
	// The SDK client asks for the newest protocol first; the server must
	// steer it to one where it may still send roots/list.
	if v := cs.InitializeResult().ProtocolVersion; v >= firstModernProtocol {
		t.Errorf("negotiated protocol %s, want one before %s", v, firstModernProtocol)
	}

	if got, want := allowed(t, cs), []string{fixed, extra}; !equalStrings(got, want) {
		t.Errorf("allowed after connect = %q, want %q", got, want)
	}
	if got := mustCall(t, cs, "read_text_file", map[string]any{"path": filepath.Join(extra, "e.txt")}); got != "extra" {
		t.Errorf("read in client root = %q", got)
	}
	mustFail(t, cs, "read_text_file", map[string]any{"path": filepath.Join(later, "l.txt")}, "access denied")

	// Announced during the session: visible to the very next call.
	client.AddRoots(&mcp.Root{URI: fileURI(later) + "/"})
	if got, want := allowed(t, cs), []string{fixed, extra, later}; !equalStrings(got, want) {
		t.Errorf("allowed after AddRoots = %q, want %q", got, want)
	}
	if got := mustCall(t, cs, "read_text_file", map[string]any{"path": filepath.Join(later, "l.txt")}); got != "later" {
		t.Errorf("read in added root = %q", got)
	}
	mustCall(t, cs, "move_file", map[string]any{"source": filepath.Join(later, "l.txt"), "destination": filepath.Join(fixed, "l.txt")})
	if got := readFile(t, filepath.Join(fixed, "l.txt")); got != "later" {
		t.Errorf("file moved from a client root = %q", got)
	}

	client.RemoveRoots(fileURI(extra))
	if got, want := allowed(t, cs), []string{fixed, later}; !equalStrings(got, want) {
		t.Errorf("allowed after RemoveRoots = %q, want %q", got, want)
	}
	mustFail(t, cs, "read_text_file", map[string]any{"path": filepath.Join(extra, "e.txt")}, "access denied: path outside allowed directories")

	// The configured roots cannot be removed by the client.
	client.RemoveRoots(fileURI(later) + "/")
	if got, want := allowed(t, cs), []string{fixed}; !equalStrings(got, want) {
		t.Errorf("allowed after removing every client root = %q, want %q", got, want)
	}
}

func equalStrings(a, b []string) bool { return strings.Join(a, "\x00") == strings.Join(b, "\x00") }

func TestClientRootsValidated(t *testing.T) {
	fixed, good := tempDir(t), tempDir(t)
	file := filepath.Join(good, "file")
	writeFile(t, file, "x")
	link := filepath.Join(tempDir(t), "link")
	if err := os.Symlink(good, link); err != nil {
		t.Fatal(err)
	}
	_, cs, client := connect(t, nil, fixed)
	client.AddRoots(
		&mcp.Root{URI: "http://example.com/"},
		&mcp.Root{URI: "file:relative"},
		&mcp.Root{URI: fileURI(filepath.Join(good, "missing"))},
		&mcp.Root{URI: fileURI(file)},
		&mcp.Root{URI: fileURI(good + "/../" + filepath.Base(good))},
		&mcp.Root{URI: "file://remote-host" + good},
		&mcp.Root{URI: fileURI(fixed)}, // already a root
		&mcp.Root{URI: fileURI(link)},  // accepted, shown resolved
	)
	if got, want := allowed(t, cs), []string{fixed, good}; !equalStrings(got, want) {
		t.Errorf("allowed = %q, want %q", got, want)
	}
	// The unresolved spelling routes to the same root.
	if got := mustCall(t, cs, "read_text_file", map[string]any{"path": filepath.Join(link, "file")}); got != "x" {
		t.Errorf("read through the symlinked root spelling = %q", got)
	}
}

func TestClientWithoutRootsCapability(t *testing.T) {
	fixed, extra := tempDir(t), tempDir(t)
	client := mcp.NewClient(&mcp.Implementation{Name: "test-client", Version: "0"}, &mcp.ClientOptions{Capabilities: &mcp.ClientCapabilities{}})
	client.AddRoots(&mcp.Root{URI: fileURI(extra)})
	s, err := New(Config{Roots: []string{fixed}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	cs := connectClient(t, s, client)
	if got, want := allowed(t, cs), []string{fixed}; !equalStrings(got, want) {
		t.Errorf("allowed = %q, want %q", got, want)
	}
}

// TestClientRootConfinesSymlinks: a client root gets the same os.Root
// confinement as a configured one.
func TestClientRootConfinesSymlinks(t *testing.T) {
	fixed := tempDir(t)
	extra, outside := escapeFixture(t)
	_, cs, client := connect(t, nil, fixed)
	client.AddRoots(&mcp.Root{URI: fileURI(extra)})
	mustFail(t, cs, "read_text_file", map[string]any{"path": filepath.Join(extra, "abs-file")}, "path escapes from parent")
	mustFail(t, cs, "write_file", map[string]any{"path": filepath.Join(extra, "rel-dir", "x"), "content": "x"}, "path escapes from parent")
	if _, err := os.Stat(filepath.Join(outside, "x")); !os.IsNotExist(err) {
		t.Errorf("file created outside: %v", err)
	}
}

// TestRootsFailClosed: a client that cannot answer roots/list loses its
// client roots instead of keeping stale ones.
func TestRootsFailClosed(t *testing.T) {
	fixed, extra := tempDir(t), tempDir(t)
	s, cs, client := connect(t, nil, fixed)
	client.AddRoots(&mcp.Root{URI: fileURI(extra)})
	if got := allowed(t, cs); len(got) != 2 {
		t.Fatalf("allowed = %q, want the client root added", got)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for ss := range s.MCP().Sessions() {
		s.refreshClientRoots(ctx, ss)
	}
	if got, want := allowed(t, cs), []string{fixed}; !equalStrings(got, want) {
		t.Errorf("allowed after a failed roots/list = %q, want %q", got, want)
	}
}

func TestCloseStopsAccess(t *testing.T) {
	dir := tempDir(t)
	writeFile(t, filepath.Join(dir, "f"), "x")
	s, cs, client := connect(t, nil, dir)
	extra := tempDir(t)
	client.AddRoots(&mcp.Root{URI: fileURI(extra)})
	if err := s.Close(); err != nil {
		t.Fatalf("Close() = %v", err)
	}
	mustFail(t, cs, "read_text_file", map[string]any{"path": filepath.Join(dir, "f")}, "access denied")
	client.AddRoots(&mcp.Root{URI: fileURI(tempDir(t))})
	if got := s.roots(); got != nil {
		t.Errorf("roots after Close = %v, want none", got)
	}
}

// TestConcurrentCallsAndRootChanges runs tool calls while roots change
// underneath them; under -race it checks the locking, and every call must
// end as a result, never a protocol error.
func TestConcurrentCallsAndRootChanges(t *testing.T) {
	fixed, extra := tempDir(t), tempDir(t)
	writeFile(t, filepath.Join(extra, "e.txt"), "e")
	s, err := New(Config{Roots: []string{fixed}, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	client := mcp.NewClient(&mcp.Implementation{Name: "test-client", Version: "0"}, nil)
	cs := connectClient(t, s, client)
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Go(func() {
			for j := range 20 {
				p := filepath.Join(fixed, "f"+string(rune('a'+i)))
				calls := []mcp.CallToolParams{
					{Name: "write_file", Arguments: map[string]any{"path": p, "content": strings.Repeat("x", j)}},
					{Name: "read_text_file", Arguments: map[string]any{"path": filepath.Join(extra, "e.txt")}},
				}
				for _, c := range calls {
					res, err := cs.CallTool(context.Background(), &c)
					if err != nil {
						t.Errorf("CallTool(%s) protocol error = %v", c.Name, err)
					} else if c.Name == "write_file" && res.IsError {
						t.Errorf("write_file(%s) failed: %v", p, res.Content)
					}
				}
			}
		})
	}
	for range 10 {
		client.AddRoots(&mcp.Root{URI: fileURI(extra)})
		client.RemoveRoots(fileURI(extra))
	}
	wg.Wait()
}
