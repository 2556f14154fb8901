package filesystem

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// tempDir returns a fresh directory under its resolved name, which is the
// name the server shows and the gateway sends.
func tempDir(t *testing.T) string {
	t.Helper()
	d, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// connect starts a Server on roots and connects a real MCP client to it
// over in-memory transports.
func connect(t *testing.T, opts *mcp.ClientOptions, roots ...string) (*Server, *mcp.ClientSession, *mcp.Client) {
	t.Helper()
	s, err := New(Config{Roots: roots})
	if err != nil {
		t.Fatalf("New(%v) = %v", roots, err)
	}
	client := mcp.NewClient(&mcp.Implementation{Name: "test-client", Version: "0"}, opts)
	cs := connectClient(t, s, client)
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close() = %v", err)
		}
	})
	return s, cs, client
}

func connectClient(t *testing.T, s *Server, client *mcp.Client) *mcp.ClientSession {
	t.Helper()
	ctx := context.Background()
	ct, st := mcp.NewInMemoryTransports()
	ss, err := s.MCP().Connect(ctx, st, nil)
	if err != nil {
		t.Fatalf("server Connect = %v", err)
	}
	cs, err := client.Connect(ctx, ct, nil)
	if err != nil {
		t.Fatalf("client Connect = %v", err)
	}
	t.Cleanup(func() {
		_ = cs.Close()
		_ = ss.Wait()
	})
	return cs
}

// call calls a tool and returns its text and whether it was a tool error.
// A protocol error fails the test: tool failures must never be one.
func call(t *testing.T, cs *mcp.ClientSession, name string, args any) (string, bool) {
	t.Helper()
	res, err := cs.CallTool(context.Background(), &mcp.CallToolParams{Name: name, Arguments: args})
	if err != nil {
		t.Fatalf("CallTool(%s, %v) protocol error = %v", name, args, err)
	}
	var parts []string
	for _, c := range res.Content {
		if tc, ok := c.(*mcp.TextContent); ok {
			parts = append(parts, tc.Text)
		}
	}
	return strings.Join(parts, "\n"), res.IsError
}

// mustCall calls a tool that must succeed.
func mustCall(t *testing.T, cs *mcp.ClientSession, name string, args any) string {
	t.Helper()
	text, isErr := call(t, cs, name, args)
	if isErr {
		t.Fatalf("%s(%v) failed: %s", name, args, text)
	}
	return text
}

// mustFail calls a tool that must fail with a one-line message containing
// want.
func mustFail(t *testing.T, cs *mcp.ClientSession, name string, args any, want string) {
	t.Helper()
	text, isErr := call(t, cs, name, args)
	if !isErr {
		t.Fatalf("%s(%v) = %q, want an error containing %q", name, args, text, want)
	}
	if !strings.Contains(text, want) {
		t.Errorf("%s(%v) error = %q, want it to contain %q", name, args, text, want)
	}
	if strings.ContainsAny(text, "\r\n") {
		t.Errorf("%s(%v) error %q spans more than one line", name, args, text)
	}
}

func writeFile(t *testing.T, name, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(name, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func readFile(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestNewRejectsBadRoots(t *testing.T) {
	dir := tempDir(t)
	file := filepath.Join(dir, "f")
	writeFile(t, file, "x")
	tests := []struct {
		name  string
		roots []string
		want  string
	}{
		{"none", nil, "no roots"},
		{"relative", []string{"rel/dir"}, "not an absolute path"},
		{"missing", []string{filepath.Join(dir, "missing")}, "no such file"},
		{"file", []string{file}, "root"},
		{"nul", []string{dir + "/\x00"}, "NUL"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := New(Config{Roots: tc.roots})
			if err == nil {
				_ = s.Close()
				t.Fatalf("New(%q) = nil error, want one containing %q", tc.roots, tc.want)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("New(%q) = %v, want it to contain %q", tc.roots, err, tc.want)
			}
		})
	}
}

func TestToolsListed(t *testing.T) {
	_, cs, _ := connect(t, nil, tempDir(t))
	res, err := cs.ListTools(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	var got, want []string
	for _, tool := range res.Tools {
		got = append(got, tool.Name)
	}
	for _, tool := range Tools() {
		want = append(want, tool.Name)
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("ListTools() = %v, want %v", got, want)
	}
}

// TestToolSchemasMatchReference checks every tool against the reference
// server's advertised input schema, descriptions aside: the policies and
// the gateway's argument validation depend on the shape.
func TestToolSchemasMatchReference(t *testing.T) {
	const file = "../../../../shared/conformance/ironcurtain-ts/generated/tool-annotations.json"
	data, err := os.ReadFile(file)
	if err != nil {
		t.Skipf("reference annotations not available: %v", err)
	}
	var doc struct {
		Servers map[string]struct {
			Tools []struct {
				ToolName    string         `json:"toolName"`
				InputSchema map[string]any `json:"inputSchema"`
			} `json:"tools"`
		} `json:"servers"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	ref := map[string]map[string]any{}
	for _, tool := range doc.Servers["filesystem"].Tools {
		ref[tool.ToolName] = tool.InputSchema
	}
	ours := Tools()
	if len(ours) != len(ref) {
		t.Errorf("Tools() has %d tools, reference has %d", len(ours), len(ref))
	}
	for _, tool := range ours {
		want, ok := ref[tool.Name]
		if !ok {
			t.Errorf("tool %q is not in the reference server", tool.Name)
			continue
		}
		var got map[string]any
		if err := json.Unmarshal(tool.InputSchema.(json.RawMessage), &got); err != nil {
			t.Fatalf("tool %q schema: %v", tool.Name, err)
		}
		g, _ := json.Marshal(stripDescriptions(got))
		w, _ := json.Marshal(stripDescriptions(want))
		if string(g) != string(w) {
			t.Errorf("tool %q schema = %s, want %s", tool.Name, g, w)
		}
	}
}

func stripDescriptions(v any) any {
	switch v := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, x := range v {
			if k == "description" {
				continue
			}
			out[k] = stripDescriptions(x)
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, x := range v {
			out[i] = stripDescriptions(x)
		}
		return out
	}
	return v
}

func TestBadArguments(t *testing.T) {
	dir := tempDir(t)
	_, cs, _ := connect(t, nil, dir)
	tests := []struct {
		tool string
		args any
		want string
	}{
		{"read_text_file", map[string]any{}, `missing required argument "path"`},
		{"read_text_file", map[string]any{"path": "a", "bogus": 1}, "unknown field"},
		{"read_text_file", map[string]any{"path": 7}, "invalid arguments"},
		{"read_text_file", map[string]any{"path": "a", "head": 1.5}, "whole number"},
		{"read_text_file", map[string]any{"path": "a", "head": -1}, "whole number"},
		{"read_text_file", map[string]any{"path": "a", "head": 1, "tail": 1}, "both"},
		{"write_file", map[string]any{"path": "a"}, "missing required argument"},
		{"edit_file", map[string]any{"path": "a", "edits": []any{map[string]any{"oldText": "x"}}}, "edits[0]"},
		{"list_directory_with_sizes", map[string]any{"path": ".", "sortBy": "date"}, "sortBy"},
		{"search_files", map[string]any{"path": "."}, `"pattern"`},
		{"search_files", map[string]any{"path": ".", "pattern": "{a,{b,{c,{d,{e,{f,{g}}}}}}}{1,2}{1,2}{1,2}{1,2}{1,2}{1,2}"}, "brace"},
		{"read_multiple_files", map[string]any{"paths": []string{}}, "at least one"},
		{"list_allowed_directories", map[string]any{"x": 1}, "unknown field"},
		{"read_text_file", map[string]any{"path": ""}, "empty path"},
		{"read_text_file", map[string]any{"path": "~/x"}, "home-relative"},
		{"read_text_file", map[string]any{"path": `C:\x`}, "windows-style"},
		{"read_text_file", map[string]any{"path": "/etc/passwd"}, "access denied: path outside allowed directories: /etc/passwd"},
	}
	for _, tc := range tests {
		t.Run(tc.tool, func(t *testing.T) {
			mustFail(t, cs, tc.tool, tc.args, tc.want)
		})
	}
}
