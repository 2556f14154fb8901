package filesystem

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
)

// escapeFixture builds a root whose symlinks lead outside it, next to an
// outside directory holding a secret. Every link would pass a lexical
// check on the path the caller gives.
func escapeFixture(t *testing.T) (root, outside string) {
	t.Helper()
	root, outside = tempDir(t), tempDir(t)
	writeFile(t, filepath.Join(outside, "secret.txt"), "SECRET")
	if err := os.Mkdir(filepath.Join(outside, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(root, "a.txt"), "inside")
	if err := os.Mkdir(filepath.Join(root, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	rel, err := filepath.Rel(root, outside)
	if err != nil {
		t.Fatal(err)
	}
	links := map[string]string{
		"abs-file": filepath.Join(outside, "secret.txt"),
		"rel-file": filepath.Join(rel, "secret.txt"),
		"abs-dir":  outside,
		"rel-dir":  rel,
		"sub/up":   "../" + rel, // relative to sub
		"in-root":  "a.txt",
		"in-dir":   "sub",
	}
	for name, target := range links {
		if err := os.Symlink(target, filepath.Join(root, name)); err != nil {
			t.Fatal(err)
		}
	}
	return root, outside
}

// outsideState records the outside directory so a test can prove nothing
// there changed.
func outsideState(t *testing.T, outside string) string {
	t.Helper()
	var parts []string
	err := filepath.Walk(outside, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		parts = append(parts, p+" "+fi.Mode().String())
		if fi.Mode().IsRegular() {
			parts = append(parts, readFile(t, p))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return strings.Join(parts, "\n")
}

func TestEscapesFail(t *testing.T) {
	root, outside := escapeFixture(t)
	_, cs, _ := connect(t, nil, root)
	before := outsideState(t, outside)
	in := func(p string) string { return filepath.Join(root, p) }
	// dotdot passes the lexical prefix check (it starts with root) and only
	// the real resolution shows it leaving.
	dotdot := root + "/sub/../../" + filepath.Base(outside) + "/secret.txt"
	escapes := "path escapes from parent"

	tests := []struct {
		name string
		tool string
		args map[string]any
		want string
	}{
		{"read abs symlink", "read_text_file", map[string]any{"path": in("abs-file")}, escapes},
		{"read rel symlink", "read_text_file", map[string]any{"path": in("rel-file")}, escapes},
		{"read via abs dir symlink", "read_text_file", map[string]any{"path": in("abs-dir/secret.txt")}, escapes},
		{"read via nested rel dir symlink", "read_text_file", map[string]any{"path": in("sub/up/secret.txt")}, escapes},
		{"read head via symlink", "read_text_file", map[string]any{"path": in("abs-file"), "head": 1}, escapes},
		{"read tail via symlink", "read_text_file", map[string]any{"path": in("abs-file"), "tail": 1}, escapes},
		{"read dotdot", "read_text_file", map[string]any{"path": dotdot}, escapes},
		{"read relative dotdot", "read_text_file", map[string]any{"path": "../" + filepath.Base(outside) + "/secret.txt"}, escapes},
		{"read outside", "read_text_file", map[string]any{"path": filepath.Join(outside, "secret.txt")}, "access denied: path outside allowed directories"},
		{"read media via symlink", "read_media_file", map[string]any{"path": in("abs-file")}, escapes},
		{"info via symlink", "get_file_info", map[string]any{"path": in("abs-file")}, escapes},
		{"info via dir symlink", "get_file_info", map[string]any{"path": in("abs-dir")}, escapes},
		{"list abs dir symlink", "list_directory", map[string]any{"path": in("abs-dir")}, escapes},
		{"list rel dir symlink", "list_directory", map[string]any{"path": in("rel-dir")}, escapes},
		{"list sizes dir symlink", "list_directory_with_sizes", map[string]any{"path": in("abs-dir")}, escapes},
		{"list dotdot", "list_directory", map[string]any{"path": root + "/sub/../.."}, escapes},
		{"tree dir symlink", "directory_tree", map[string]any{"path": in("rel-dir")}, escapes},
		{"search dir symlink", "search_files", map[string]any{"path": in("abs-dir"), "pattern": "*"}, escapes},
		{"write through abs symlink", "write_file", map[string]any{"path": in("abs-file"), "content": "PWNED"}, escapes},
		{"write through rel symlink", "write_file", map[string]any{"path": in("rel-file"), "content": "PWNED"}, escapes},
		{"write into dir symlink", "write_file", map[string]any{"path": in("abs-dir/new.txt"), "content": "PWNED"}, escapes},
		{"write dotdot", "write_file", map[string]any{"path": root + "/sub/../../" + filepath.Base(outside) + "/new.txt", "content": "PWNED"}, escapes},
		{"edit through symlink", "edit_file", map[string]any{"path": in("abs-file"), "edits": []any{map[string]any{"oldText": "SECRET", "newText": "PWNED"}}}, escapes},
		{"mkdir in dir symlink", "create_directory", map[string]any{"path": in("abs-dir/newdir")}, escapes},
		{"mkdir dotdot", "create_directory", map[string]any{"path": root + "/sub/../../newdir"}, escapes},
		{"move into dir symlink", "move_file", map[string]any{"source": in("a.txt"), "destination": in("abs-dir/moved.txt")}, escapes},
		{"move into nested rel dir symlink", "move_file", map[string]any{"source": in("a.txt"), "destination": in("sub/up/moved.txt")}, escapes},
		{"move dotdot", "move_file", map[string]any{"source": in("a.txt"), "destination": root + "/sub/../../moved.txt"}, escapes},
		{"move out of root", "move_file", map[string]any{"source": in("a.txt"), "destination": filepath.Join(outside, "moved.txt")}, "access denied"},
		{"move in from outside", "move_file", map[string]any{"source": filepath.Join(outside, "secret.txt"), "destination": in("stolen.txt")}, "access denied"},
		{"move from dir symlink", "move_file", map[string]any{"source": in("abs-dir/secret.txt"), "destination": in("stolen.txt")}, escapes},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			mustFail(t, cs, tc.tool, tc.args, tc.want)
		})
	}

	got := mustCall(t, cs, "read_multiple_files", map[string]any{"paths": []string{in("abs-file"), in("a.txt")}})
	if strings.Contains(got, "SECRET") || !strings.Contains(got, escapes) || !strings.Contains(got, "inside") {
		t.Errorf("read_multiple_files through a symlink = %q", got)
	}
	// Walks list symlinks but never enter them.
	got = mustCall(t, cs, "search_files", map[string]any{"path": root, "pattern": "secret*"})
	if got != "No matches found" {
		t.Errorf("search_files found outside files: %q", got)
	}
	got = mustCall(t, cs, "directory_tree", map[string]any{"path": root})
	if strings.Contains(got, "secret") {
		t.Errorf("directory_tree entered a symlink: %s", got)
	}
	if after := outsideState(t, outside); after != before {
		t.Errorf("outside directory changed:\nbefore:\n%s\nafter:\n%s", before, after)
	}
	if got := readFile(t, in("a.txt")); got != "inside" {
		t.Errorf("a.txt = %q after failed moves, want it untouched", got)
	}
}

func TestSymlinksInsideRootWork(t *testing.T) {
	root, _ := escapeFixture(t)
	_, cs, _ := connect(t, nil, root)
	if got := mustCall(t, cs, "read_text_file", map[string]any{"path": filepath.Join(root, "in-root")}); got != "inside" {
		t.Errorf("read_text_file(in-root link) = %q, want %q", got, "inside")
	}
	mustCall(t, cs, "write_file", map[string]any{"path": filepath.Join(root, "in-root"), "content": "via link"})
	if got := readFile(t, filepath.Join(root, "a.txt")); got != "via link" {
		t.Errorf("write through an in-root link left a.txt = %q", got)
	}
	if fi, err := os.Lstat(filepath.Join(root, "in-root")); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Errorf("write through an in-root link replaced the link: %v, %v", fi, err)
	}
	mustCall(t, cs, "write_file", map[string]any{"path": filepath.Join(root, "in-dir", "f.txt"), "content": "x"})
	if got := mustCall(t, cs, "list_directory", map[string]any{"path": filepath.Join(root, "in-dir")}); got != "[FILE] f.txt\n[FILE] up" {
		t.Errorf("list_directory(in-dir link) = %q", got)
	}
	// A ".." after a symlink is resolved from the link's target, as the
	// kernel (and a canonicalizing policy check) would: in-dir/.. is root.
	if got := mustCall(t, cs, "read_text_file", map[string]any{"path": root + "/in-dir/../a.txt"}); got != "via link" {
		t.Errorf("read_text_file(in-dir/../a.txt) = %q", got)
	}
	if err := os.MkdirAll(filepath.Join(root, "sub", "inner"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("sub/inner", filepath.Join(root, "deep")); err != nil {
		t.Fatal(err)
	}
	// deep/../x.txt is sub/x.txt to the kernel but x.txt to a lexical clean.
	mustCall(t, cs, "write_file", map[string]any{"path": root + "/deep/../x.txt", "content": "kernel"})
	if got := readFile(t, filepath.Join(root, "sub", "x.txt")); got != "kernel" {
		t.Errorf("write_file(deep/../x.txt) wrote sub/x.txt = %q", got)
	}
	if _, err := os.Lstat(filepath.Join(root, "x.txt")); !os.IsNotExist(err) {
		t.Errorf("write_file(deep/../x.txt) created x.txt in the root: %v", err)
	}
	if got := mustCall(t, cs, "list_directory", map[string]any{"path": root + "/deep/.."}); got != "[FILE] f.txt\n[DIR] inner\n[FILE] up\n[FILE] x.txt" {
		t.Errorf("list_directory(deep/..) = %q", got)
	}
}

// TestSpecialFilesDoNotBlock plants a FIFO: opening one for reading blocks
// until a writer appears, which would hang the server.
func TestSpecialFilesDoNotBlock(t *testing.T) {
	root := tempDir(t)
	fifo := filepath.Join(root, "fifo")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	if err := os.Symlink("fifo", filepath.Join(root, "fifo-link")); err != nil {
		t.Fatal(err)
	}
	_, cs, _ := connect(t, nil, root)
	for _, p := range []string{fifo, filepath.Join(root, "fifo-link")} {
		mustFail(t, cs, "read_text_file", map[string]any{"path": p}, "not a regular file")
		mustFail(t, cs, "read_text_file", map[string]any{"path": p, "tail": 1}, "not a regular file")
		mustFail(t, cs, "read_media_file", map[string]any{"path": p}, "not a regular file")
		mustFail(t, cs, "edit_file", map[string]any{"path": p, "edits": []any{}}, "not a regular file")
		mustFail(t, cs, "list_directory", map[string]any{"path": p}, "not a directory")
	}
	mustFail(t, cs, "write_file", map[string]any{"path": fifo, "content": "x"}, "not a regular file")
	mustFail(t, cs, "write_file", map[string]any{"path": filepath.Join(root, "fifo-link"), "content": "x"}, "does not lead to a regular file")
	got := mustCall(t, cs, "get_file_info", map[string]any{"path": fifo})
	if !strings.Contains(got, "isFile: false") || !strings.Contains(got, "created: unknown") {
		t.Errorf("get_file_info(fifo) = %q", got)
	}
	if got := mustCall(t, cs, "list_directory", map[string]any{"path": root}); got != "[FILE] fifo\n[FILE] fifo-link" {
		t.Errorf("list_directory = %q", got)
	}
}

// TestWriteReplacesHardLinkedInode shows why writes go through a rename:
// a hard link to the old file (which could have been planted to alias a
// file elsewhere on the same filesystem) keeps its old content.
func TestWriteReplacesHardLinkedInode(t *testing.T) {
	root, other := tempDir(t), tempDir(t)
	target := filepath.Join(other, "victim")
	writeFile(t, target, "original")
	if err := os.Link(target, filepath.Join(root, "alias")); err != nil {
		t.Skipf("link: %v", err)
	}
	_, cs, _ := connect(t, nil, root)
	mustCall(t, cs, "write_file", map[string]any{"path": filepath.Join(root, "alias"), "content": "new"})
	if got := readFile(t, target); got != "original" {
		t.Errorf("hard-linked file outside the root = %q, want it untouched", got)
	}
	if got := readFile(t, filepath.Join(root, "alias")); got != "new" {
		t.Errorf("alias = %q, want %q", got, "new")
	}
}

func TestRoute(t *testing.T) {
	roots := []*rootDir{
		{display: "/srv/sandbox", names: [][]string{{"srv", "sandbox"}}},
		{display: "/real/data", names: [][]string{{"real", "data"}, {"home", "u", "data"}}},
		{display: "/srv/sandbox/nested", names: [][]string{{"srv", "sandbox", "nested"}}},
	}
	tests := []struct {
		path     string
		wantRoot string
		wantRel  string
		wantErr  string
	}{
		{"/srv/sandbox", "/srv/sandbox", ".", ""},
		{"/srv/sandbox/", "/srv/sandbox", ".", ""},
		{"/srv/sandbox/a/b.txt", "/srv/sandbox", "a/b.txt", ""},
		{"/srv//sandbox/./a//b.txt", "/srv/sandbox", "a/b.txt", ""},
		{"/srv/sandbox/a/../../etc", "/srv/sandbox", "a/../../etc", ""},
		{"/srv/sandbox/nested/x", "/srv/sandbox/nested", "x", ""},
		{"/srv/sandbox/nestedx", "/srv/sandbox", "nestedx", ""},
		{"/home/u/data/f", "/real/data", "f", ""},
		{"/real/data", "/real/data", ".", ""},
		{"rel/x", "/srv/sandbox", "rel/x", ""},
		{"./x", "/srv/sandbox", "x", ""},
		{".", "/srv/sandbox", ".", ""},
		{"../x", "/srv/sandbox", "../x", ""},
		{"/srv/sandboxed", "", "", "access denied: path outside allowed directories: /srv/sandboxed"},
		{"/srv/../srv/sandbox/x", "", "", "access denied"},
		{"/", "", "", "access denied"},
		{"", "", "", "empty path"},
		{"/srv/sandbox/\x00", "", "", "NUL"},
		{"~", "", "", "home-relative"},
		{"c:/x", "", "", "windows-style"},
		{"/srv/sandbox/" + strings.Repeat("a", maxPathLen), "", "", "longer than"},
	}
	for _, tc := range tests {
		rd, rel, err := route(roots, tc.path)
		var gotRoot string
		if rd != nil {
			gotRoot = rd.display
		}
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("route(%q) = %q, %q, %v; want error containing %q", tc.path, gotRoot, rel, err, tc.wantErr)
			}
			continue
		}
		if err != nil || gotRoot != tc.wantRoot || rel != tc.wantRel {
			t.Errorf("route(%q) = %q, %q, %v; want %q, %q", tc.path, gotRoot, rel, err, tc.wantRoot, tc.wantRel)
		}
	}
	if _, _, err := route(nil, "x"); err == nil {
		t.Errorf("route(no roots, %q) = nil error, want access denied", "x")
	}
}

func TestRootFromURI(t *testing.T) {
	tests := []struct {
		uri     string
		want    string
		wantErr bool
	}{
		{"file:///home/u/proj", "/home/u/proj", false},
		{"file:///home/u/proj/", "/home/u/proj", false},
		{"file://localhost/home/u", "/home/u", false},
		{"file:///a%20b", "/a b", false},
		{"file:///", "/", false},
		{"file://evil.example/share", "", true},
		{"http:///home/u", "", true},
		{"file:relative/path", "", true},
		{"file:///home/u/../etc", "", true},
		{"file:///home//u", "", true},
		{"file:///home/u?x=1", "", true},
		{"file:///home/u#f", "", true},
		{"file:///a%00b", "", true},
		{"/home/u", "", true},
		{"", "", true},
		{"file://user@/home", "", true},
	}
	for _, tc := range tests {
		got, err := rootFromURI(tc.uri)
		if (err != nil) != tc.wantErr || got != tc.want {
			t.Errorf("rootFromURI(%q) = %q, %v; want %q, error %v", tc.uri, got, err, tc.want, tc.wantErr)
		}
	}
}

func TestOneLineErrors(t *testing.T) {
	root := tempDir(t)
	_, cs, _ := connect(t, nil, root)
	mustFail(t, cs, "read_text_file", map[string]any{"path": root + "/a\nFAKE: allowed"}, `a\nFAKE: allowed`)
	got := mustCall(t, cs, "read_multiple_files", map[string]any{"paths": []string{root + "/x\ny"}})
	if n := strings.Count(got, "\n"); n != 1 || !slices.Contains(strings.Split(got, "\n"), "y: Error - read "+root+`/x\ny: no such file or directory`) {
		t.Errorf("read_multiple_files with a newline in a path = %q", got)
	}
}
