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

// fixture builds a small tree and returns its root.
func fixture(t *testing.T) string {
	t.Helper()
	dir := tempDir(t)
	writeFile(t, filepath.Join(dir, "a.txt"), "line1\nline2\nline3\n")
	writeFile(t, filepath.Join(dir, "sub", "b.go"), "package b\n")
	writeFile(t, filepath.Join(dir, "sub", "deep", "c.txt"), "c")
	writeFile(t, filepath.Join(dir, "img.png"), "\x89PNG fake")
	writeFile(t, filepath.Join(dir, "snd.mp3"), "ID3 fake")
	writeFile(t, filepath.Join(dir, "data.bin"), "\x00\x01")
	return dir
}

func TestReadText(t *testing.T) {
	dir := fixture(t)
	_, cs, _ := connect(t, nil, dir)
	a := filepath.Join(dir, "a.txt")
	tests := []struct {
		tool string
		args map[string]any
		want string
	}{
		{"read_text_file", map[string]any{"path": a}, "line1\nline2\nline3\n"},
		{"read_file", map[string]any{"path": a}, "line1\nline2\nline3\n"},
		{"read_text_file", map[string]any{"path": "a.txt"}, "line1\nline2\nline3\n"},
		{"read_text_file", map[string]any{"path": "./sub/../a.txt"}, "line1\nline2\nline3\n"},
		{"read_text_file", map[string]any{"path": a, "head": 2}, "line1\nline2"},
		{"read_text_file", map[string]any{"path": a, "head": 10}, "line1\nline2\nline3"},
		{"read_text_file", map[string]any{"path": a, "tail": 2}, "line2\nline3"},
		{"read_text_file", map[string]any{"path": a, "tail": 10}, "line1\nline2\nline3"},
		{"read_text_file", map[string]any{"path": a, "head": 0}, "line1\nline2\nline3\n"},
		{"read_text_file", map[string]any{"path": filepath.Join(dir, "sub", "deep", "c.txt"), "tail": 1}, "c"},
	}
	for _, tc := range tests {
		got := mustCall(t, cs, tc.tool, tc.args)
		if got != tc.want {
			t.Errorf("%s(%v) = %q, want %q", tc.tool, tc.args, got, tc.want)
		}
	}
}

func TestReadTailLongFile(t *testing.T) {
	dir := tempDir(t)
	var sb strings.Builder
	for i := range 50000 {
		sb.WriteString(strings.Repeat("x", i%7) + "\n")
	}
	sb.WriteString("last")
	writeFile(t, filepath.Join(dir, "long"), sb.String())
	_, cs, _ := connect(t, nil, dir)
	lines := strings.Split(sb.String(), "\n")
	for _, n := range []int{1, 3, 20000, 50001, 60000} {
		got := mustCall(t, cs, "read_text_file", map[string]any{"path": "long", "tail": n})
		want := strings.Join(lines[max(0, len(lines)-n):], "\n")
		if got != want {
			t.Errorf("tail %d: got %d bytes, want %d bytes", n, len(got), len(want))
		}
		got = mustCall(t, cs, "read_text_file", map[string]any{"path": "long", "head": n})
		want = strings.Join(lines[:min(n, len(lines))], "\n")
		if got != want {
			t.Errorf("head %d: got %d bytes, want %d bytes", n, len(got), len(want))
		}
	}
}

func TestReadSizeLimit(t *testing.T) {
	dir := tempDir(t)
	big := filepath.Join(dir, "big")
	f, err := os.Create(big)
	if err != nil {
		t.Fatal(err)
	}
	// Sparse: costs no disk.
	if err := f.Truncate(maxReadBytes + 1); err != nil {
		t.Fatal(err)
	}
	_ = f.Close()
	_, cs, _ := connect(t, nil, dir)
	mustFail(t, cs, "read_text_file", map[string]any{"path": big}, "is 10485761 bytes, over the 10 MiB limit")
	mustFail(t, cs, "read_media_file", map[string]any{"path": big}, "over the 10 MiB limit")
	mustFail(t, cs, "edit_file", map[string]any{"path": big, "edits": []any{}}, "over the 10 MiB limit")
	mustFail(t, cs, "read_text_file", map[string]any{"path": big, "tail": 1}, "the last 1 lines are over the 10 MiB limit")
	mustFail(t, cs, "read_text_file", map[string]any{"path": big, "head": 1}, "the first 1 lines are over the 10 MiB limit")
}

// TestReadLimitEdges runs with a small limit, so that reading exactly the
// limit stays cheap.
func TestReadLimitEdges(t *testing.T) {
	dir := tempDir(t)
	const limit = 1000
	exact := filepath.Join(dir, "exact")
	writeFile(t, exact, strings.Repeat("a", limit))
	over := filepath.Join(dir, "over")
	writeFile(t, over, strings.Repeat("a\n", limit/2)+"b")
	ctrl := filepath.Join(dir, "ctrl")
	writeFile(t, ctrl, strings.Repeat("\x01", 3<<20))
	s, cs, _ := connect(t, nil, dir)
	s.readLimit = limit
	if got := mustCall(t, cs, "read_text_file", map[string]any{"path": exact}); len(got) != limit {
		t.Errorf("read_text_file(exactly the limit) = %d bytes, want %d", len(got), limit)
	}
	mustFail(t, cs, "read_text_file", map[string]any{"path": over}, "is 1001 bytes, over the 1000 byte limit")
	if got := mustCall(t, cs, "read_text_file", map[string]any{"path": over, "tail": 2}); got != "a\nb" {
		t.Errorf("tail of a file over the limit = %q, want %q", got, "a\nb")
	}
	if got := mustCall(t, cs, "read_text_file", map[string]any{"path": over, "head": 2}); got != "a\na" {
		t.Errorf("head of a file over the limit = %q, want %q", got, "a\na")
	}
	mustFail(t, cs, "read_text_file", map[string]any{"path": over, "head": limit}, "the first 1000 lines are over the 1000 byte limit")
	got := mustCall(t, cs, "read_multiple_files", map[string]any{"paths": []string{exact, exact}})
	if want := exact + ": Error - read " + exact + ": the files together are over the 1000 byte limit"; !strings.HasSuffix(got, want) {
		t.Errorf("read_multiple_files over budget = %q, want suffix %q", got, want)
	}
	// Control characters grow sixfold in JSON: 3 MiB of them would not fit
	// in a message.
	s.readLimit = 4 << 20
	mustFail(t, cs, "read_text_file", map[string]any{"path": ctrl}, "over the 15 MiB message limit")
}

func TestReadMedia(t *testing.T) {
	dir := fixture(t)
	_, cs, _ := connect(t, nil, dir)
	tests := []struct {
		file string
		want string // content kind
		mime string
		data string
	}{
		{"img.png", "image", "image/png", "\x89PNG fake"},
		{"snd.mp3", "audio", "audio/mpeg", "ID3 fake"},
		{"data.bin", "resource", "application/octet-stream", "\x00\x01"},
	}
	for _, tc := range tests {
		res, err := cs.CallTool(context.Background(), &mcp.CallToolParams{Name: "read_media_file", Arguments: map[string]any{"path": filepath.Join(dir, tc.file)}})
		if err != nil || res.IsError || len(res.Content) != 1 {
			t.Fatalf("read_media_file(%s) = %v, %v", tc.file, res, err)
		}
		var kind, mime, data string
		switch c := res.Content[0].(type) {
		case *mcp.ImageContent:
			kind, mime, data = "image", c.MIMEType, string(c.Data)
		case *mcp.AudioContent:
			kind, mime, data = "audio", c.MIMEType, string(c.Data)
		case *mcp.EmbeddedResource:
			kind, mime, data = "resource", c.Resource.MIMEType, string(c.Resource.Blob)
			if want := "file://" + filepath.Join(dir, tc.file); c.Resource.URI != want {
				t.Errorf("read_media_file(%s) URI = %q, want %q", tc.file, c.Resource.URI, want)
			}
		}
		if kind != tc.want || mime != tc.mime || data != tc.data {
			t.Errorf("read_media_file(%s) = %s %s %q, want %s %s %q", tc.file, kind, mime, data, tc.want, tc.mime, tc.data)
		}
	}
}

func TestReadMultiple(t *testing.T) {
	dir := fixture(t)
	_, cs, _ := connect(t, nil, dir)
	a, c, missing := filepath.Join(dir, "a.txt"), filepath.Join(dir, "sub/deep/c.txt"), filepath.Join(dir, "nope")
	got := mustCall(t, cs, "read_multiple_files", map[string]any{"paths": []string{a, missing, c, "/etc/hostname"}})
	want := a + ":\nline1\nline2\nline3\n\n" +
		"\n---\n" + missing + ": Error - read " + missing + ": no such file or directory" +
		"\n---\n" + c + ":\nc\n" +
		"\n---\n/etc/hostname: Error - access denied: path outside allowed directories: /etc/hostname"
	if got != want {
		t.Errorf("read_multiple_files = %q, want %q", got, want)
	}
}

func TestWriteFile(t *testing.T) {
	dir := fixture(t)
	_, cs, _ := connect(t, nil, dir)
	p := filepath.Join(dir, "new.txt")
	if got, want := mustCall(t, cs, "write_file", map[string]any{"path": p, "content": "hello"}), "Successfully wrote to "+p; got != want {
		t.Errorf("write_file = %q, want %q", got, want)
	}
	if got := readFile(t, p); got != "hello" {
		t.Errorf("after write_file, content = %q, want %q", got, "hello")
	}
	a := filepath.Join(dir, "a.txt")
	if err := os.Chmod(a, 0o600); err != nil {
		t.Fatal(err)
	}
	mustCall(t, cs, "write_file", map[string]any{"path": a, "content": "replaced"})
	if got := readFile(t, a); got != "replaced" {
		t.Errorf("after overwrite, content = %q, want %q", got, "replaced")
	}
	if fi, err := os.Stat(a); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("after overwrite, mode = %v, %v; want 0600 kept", fi.Mode(), err)
	}
	mustFail(t, cs, "write_file", map[string]any{"path": filepath.Join(dir, "sub"), "content": "x"}, "is a directory")
	mustFail(t, cs, "write_file", map[string]any{"path": filepath.Join(dir, "nodir", "x"), "content": "x"}, "no such file")
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".tmp") {
			t.Errorf("temporary file %s left behind", e.Name())
		}
	}
}

func TestEditFile(t *testing.T) {
	dir := tempDir(t)
	p := filepath.Join(dir, "f.go")
	orig := "func f() {\n\tif x {\n\t\treturn 1\n\t}\n}\n"
	writeFile(t, p, orig)
	_, cs, _ := connect(t, nil, dir)

	dry := mustCall(t, cs, "edit_file", map[string]any{"path": p, "dryRun": true, "edits": []any{
		map[string]any{"oldText": "return 1", "newText": "return 2"},
	}})
	wantDiff := "```diff\nIndex: " + p + "\n" + strings.Repeat("=", 67) + "\n--- " + p + "\toriginal\n+++ " + p + "\tmodified\n" +
		"@@ -1,5 +1,5 @@\n func f() {\n \tif x {\n-\t\treturn 1\n+\t\treturn 2\n \t}\n }\n```\n\n"
	if dry != wantDiff {
		t.Errorf("edit_file dryRun = %q, want %q", dry, wantDiff)
	}
	if got := readFile(t, p); got != orig {
		t.Errorf("dryRun changed the file to %q", got)
	}

	// Indentation differs: matched line by line, re-indented to the file.
	got := mustCall(t, cs, "edit_file", map[string]any{"path": p, "edits": []any{
		map[string]any{"oldText": "if x {\n    return 1\n}", "newText": "if y {\n    return 3\n}"},
		map[string]any{"oldText": "func f()", "newText": "func g()"},
	}})
	if got == "" {
		t.Error("edit_file returned no diff")
	}
	if got, want := readFile(t, p), "func g() {\n\tif y {\n\t    return 3\n\t}\n}\n"; got != want {
		t.Errorf("after edit_file, content = %q, want %q", got, want)
	}
	mustFail(t, cs, "edit_file", map[string]any{"path": p, "edits": []any{
		map[string]any{"oldText": "absent", "newText": "x"},
	}}, `edits[0]: oldText not found in the file: "absent"`)
	mustFail(t, cs, "edit_file", map[string]any{"path": p, "edits": []any{
		map[string]any{"oldText": "", "newText": "x"},
	}}, "oldText is empty")

	crlf := filepath.Join(dir, "crlf.txt")
	writeFile(t, crlf, "a\r\nb\r\n")
	mustCall(t, cs, "edit_file", map[string]any{"path": crlf, "edits": []any{map[string]any{"oldText": "a\nb", "newText": "c\nd"}}})
	if got := readFile(t, crlf); got != "c\r\nd\r\n" {
		t.Errorf("after edit of a CRLF file, content = %q, want CRLF kept", got)
	}
}

func TestCreateDirectory(t *testing.T) {
	dir := tempDir(t)
	_, cs, _ := connect(t, nil, dir)
	p := filepath.Join(dir, "x", "y", "z")
	if got, want := mustCall(t, cs, "create_directory", map[string]any{"path": p}), "Successfully created directory "+p; got != want {
		t.Errorf("create_directory = %q, want %q", got, want)
	}
	if fi, err := os.Stat(p); err != nil || !fi.IsDir() {
		t.Errorf("after create_directory, Stat = %v, %v", fi, err)
	}
	mustCall(t, cs, "create_directory", map[string]any{"path": p})
	writeFile(t, filepath.Join(dir, "file"), "")
	mustFail(t, cs, "create_directory", map[string]any{"path": filepath.Join(dir, "file", "sub")}, "not a directory")
}

func TestListDirectory(t *testing.T) {
	dir := fixture(t)
	if err := os.Symlink("a.txt", filepath.Join(dir, "link")); err != nil {
		t.Fatal(err)
	}
	_, cs, _ := connect(t, nil, dir)
	got := mustCall(t, cs, "list_directory", map[string]any{"path": dir})
	want := "[FILE] a.txt\n[FILE] data.bin\n[FILE] img.png\n[FILE] link\n[FILE] snd.mp3\n[DIR] sub"
	if got != want {
		t.Errorf("list_directory = %q, want %q", got, want)
	}
	got = mustCall(t, cs, "list_directory_with_sizes", map[string]any{"path": dir, "sortBy": "size"})
	lines := strings.Split(got, "\n")
	row := func(tag, name, size string) string {
		return tag + " " + name + strings.Repeat(" ", 30-len(name)) + " " + size
	}
	wantLines := []string{
		row("[FILE]", "a.txt", "      18 B"),
		row("[FILE]", "link", "      18 B"),
		row("[FILE]", "img.png", "       9 B"),
		row("[FILE]", "snd.mp3", "       8 B"),
		row("[FILE]", "data.bin", "       2 B"),
		row("[DIR]", "sub", ""),
		"",
		"Total: 5 files, 1 directories",
		"Combined size: 55 B",
	}
	if !slices.Equal(lines, wantLines) {
		t.Errorf("list_directory_with_sizes by size = %q, want %q", lines, wantLines)
	}
	byName := strings.Split(mustCall(t, cs, "list_directory_with_sizes", map[string]any{"path": dir}), "\n")
	if byName[0] != wantLines[0] || byName[1] != wantLines[4] || byName[5] != wantLines[5] {
		t.Errorf("list_directory_with_sizes by name = %q", byName)
	}
	mustFail(t, cs, "list_directory", map[string]any{"path": filepath.Join(dir, "a.txt")}, "not a directory")
}

func TestFormatSize(t *testing.T) {
	tests := []struct {
		n    int64
		want string
	}{
		{0, "0 B"}, {-1, "0 B"}, {1, "1 B"}, {1023, "1023 B"}, {1024, "1.00 KB"},
		{1536, "1.50 KB"}, {10 << 20, "10.00 MB"}, {3 << 40, "3.00 TB"}, {5 << 50, "5120.00 TB"},
	}
	for _, tc := range tests {
		if got := formatSize(tc.n); got != tc.want {
			t.Errorf("formatSize(%d) = %q, want %q", tc.n, got, tc.want)
		}
	}
}

func TestDirectoryTree(t *testing.T) {
	dir := fixture(t)
	writeFile(t, filepath.Join(dir, "node_modules", "m", "x.js"), "")
	if err := os.MkdirAll(filepath.Join(dir, "empty"), 0o755); err != nil {
		t.Fatal(err)
	}
	_, cs, _ := connect(t, nil, dir)
	got := mustCall(t, cs, "directory_tree", map[string]any{"path": filepath.Join(dir, "sub")})
	want := "[\n  {\n    \"name\": \"b.go\",\n    \"type\": \"file\"\n  },\n  {\n    \"name\": \"deep\",\n    \"type\": \"directory\",\n" +
		"    \"children\": [\n      {\n        \"name\": \"c.txt\",\n        \"type\": \"file\"\n      }\n    ]\n  }\n]"
	if got != want {
		t.Errorf("directory_tree(sub) = %s, want %s", got, want)
	}
	got = mustCall(t, cs, "directory_tree", map[string]any{"path": dir, "excludePatterns": []string{"node_modules", "*.bin", "sub/deep"}})
	var tree []treeEntry
	if err := json.Unmarshal([]byte(got), &tree); err != nil {
		t.Fatal(err)
	}
	var names []string
	var flatten func(prefix string, es []treeEntry)
	flatten = func(prefix string, es []treeEntry) {
		for _, e := range es {
			names = append(names, prefix+e.Name)
			if e.Children != nil {
				flatten(prefix+e.Name+"/", *e.Children)
			}
		}
	}
	flatten("", tree)
	wantNames := []string{"a.txt", "empty", "img.png", "snd.mp3", "sub", "sub/b.go"}
	if !slices.Equal(names, wantNames) {
		t.Errorf("directory_tree with excludes = %v, want %v", names, wantNames)
	}
	if !strings.Contains(got, "\"name\": \"empty\",\n    \"type\": \"directory\",\n    \"children\": []") {
		t.Errorf("empty directory lacks an empty children list: %s", got)
	}
}

func TestMoveFile(t *testing.T) {
	dir := fixture(t)
	other := tempDir(t)
	_, cs, _ := connect(t, nil, dir, other)
	src, dst := filepath.Join(dir, "a.txt"), filepath.Join(dir, "sub", "moved.txt")
	if got, want := mustCall(t, cs, "move_file", map[string]any{"source": src, "destination": dst}), "Successfully moved "+src+" to "+dst; got != want {
		t.Errorf("move_file = %q, want %q", got, want)
	}
	if _, err := os.Stat(src); !os.IsNotExist(err) {
		t.Errorf("source still exists after move: %v", err)
	}
	if got := readFile(t, dst); got != "line1\nline2\nline3\n" {
		t.Errorf("moved content = %q", got)
	}
	mustFail(t, cs, "move_file", map[string]any{"source": dst, "destination": filepath.Join(dir, "img.png")}, "destination already exists")
	if got := readFile(t, filepath.Join(dir, "img.png")); got != "\x89PNG fake" {
		t.Errorf("existing destination overwritten: %q", got)
	}
	// A directory within one root.
	mustCall(t, cs, "move_file", map[string]any{"source": filepath.Join(dir, "sub"), "destination": filepath.Join(dir, "sub2")})
	// A file across roots is copied and removed.
	cross := filepath.Join(other, "cross.txt")
	mustCall(t, cs, "move_file", map[string]any{"source": filepath.Join(dir, "sub2", "moved.txt"), "destination": cross})
	if got := readFile(t, cross); got != "line1\nline2\nline3\n" {
		t.Errorf("cross-root content = %q", got)
	}
	if _, err := os.Stat(filepath.Join(dir, "sub2", "moved.txt")); !os.IsNotExist(err) {
		t.Errorf("cross-root source still exists: %v", err)
	}
	mustFail(t, cs, "move_file", map[string]any{"source": filepath.Join(dir, "sub2"), "destination": filepath.Join(other, "d")}, "only regular files")
	mustFail(t, cs, "move_file", map[string]any{"source": dir, "destination": filepath.Join(other, "d")}, "allowed directory itself")
}

func TestSearchFiles(t *testing.T) {
	dir := fixture(t)
	writeFile(t, filepath.Join(dir, ".hidden", "h.txt"), "")
	_, cs, _ := connect(t, nil, dir)
	j := func(ps ...string) string {
		var out []string
		for _, p := range ps {
			out = append(out, filepath.Join(dir, p))
		}
		return strings.Join(out, "\n")
	}
	tests := []struct {
		args map[string]any
		want string
	}{
		{map[string]any{"path": dir, "pattern": "*.txt"}, j(".hidden/h.txt", "a.txt", "sub/deep/c.txt")},
		{map[string]any{"path": dir, "pattern": "*.{go,png}"}, j("img.png", "sub/b.go")},
		{map[string]any{"path": dir, "pattern": "sub/**/*.txt"}, j("sub/deep/c.txt")},
		{map[string]any{"path": dir, "pattern": "**/c.txt"}, j("sub/deep/c.txt")},
		{map[string]any{"path": dir, "pattern": "DEEP"}, j("sub/deep")},
		{map[string]any{"path": dir, "pattern": "*.txt", "excludePatterns": []string{".hidden", "sub/deep"}}, j("a.txt")},
		{map[string]any{"path": filepath.Join(dir, "sub"), "pattern": "*"}, j("sub/b.go", "sub/deep", "sub/deep/c.txt")},
		{map[string]any{"path": dir, "pattern": "nothing-here"}, "No matches found"},
	}
	for _, tc := range tests {
		if got := mustCall(t, cs, "search_files", tc.args); got != tc.want {
			t.Errorf("search_files(%v) = %q, want %q", tc.args, got, tc.want)
		}
	}
}

func TestGetFileInfo(t *testing.T) {
	dir := fixture(t)
	_, cs, _ := connect(t, nil, dir)
	got := mustCall(t, cs, "get_file_info", map[string]any{"path": filepath.Join(dir, "a.txt")})
	keys := []string{"size: 18", "created: ", "modified: ", "accessed: ", "isDirectory: false", "isFile: true", "permissions: 644"}
	lines := strings.Split(got, "\n")
	if len(lines) != len(keys) {
		t.Fatalf("get_file_info = %q, want %d lines", got, len(keys))
	}
	for i, k := range keys {
		if !strings.HasPrefix(lines[i], k) {
			t.Errorf("get_file_info line %d = %q, want prefix %q", i, lines[i], k)
		}
	}
	got = mustCall(t, cs, "get_file_info", map[string]any{"path": dir})
	if !strings.Contains(got, "isDirectory: true\nisFile: false") {
		t.Errorf("get_file_info(dir) = %q", got)
	}
}

func TestListAllowedDirectories(t *testing.T) {
	a, b := tempDir(t), tempDir(t)
	_, cs, _ := connect(t, nil, a, b)
	if got, want := mustCall(t, cs, "list_allowed_directories", map[string]any{}), "Allowed directories:\n"+a+"\n"+b; got != want {
		t.Errorf("list_allowed_directories = %q, want %q", got, want)
	}
}
