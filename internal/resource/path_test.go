package resource

import (
	"errors"
	"io/fs"
	"math/rand/v2"
	"os"
	"path"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// fakeFS is a strict in-memory FS. It refuses the requests a correct
// resolver never makes (unclean names, names whose ancestors are
// unresolved symlinks), so a resolver bug shows up as an error in tests and
// fuzzing instead of being papered over.
type fakeFS struct {
	nodes map[string]fakeNode
}

type fakeNode struct {
	kind   byte // 'd' dir, 'f' file, 'l' symlink, 'x' lstat fails with EACCES
	target string
}

// newFakeFS builds a tree from path -> "dir" | "file" | "denied" | "->target".
// Ancestors are created as directories.
func newFakeFS(spec map[string]string) *fakeFS {
	f := &fakeFS{nodes: map[string]fakeNode{}}
	for p, v := range spec {
		for d := path.Dir(p); d != "/"; d = path.Dir(d) {
			if _, ok := f.nodes[d]; !ok {
				f.nodes[d] = fakeNode{kind: 'd'}
			}
		}
		switch {
		case v == "dir":
			f.nodes[p] = fakeNode{kind: 'd'}
		case v == "file":
			f.nodes[p] = fakeNode{kind: 'f'}
		case v == "denied":
			f.nodes[p] = fakeNode{kind: 'x'}
		case strings.HasPrefix(v, "->"):
			f.nodes[p] = fakeNode{kind: 'l', target: v[2:]}
		default:
			panic("bad fake spec " + v)
		}
	}
	return f
}

var errFakeMisuse = errors.New("fakefs: resolver passed an unresolved or unclean name")

func (f *fakeFS) Lstat(name string) (fs.FileInfo, error) {
	if name == "" || name[0] != '/' || path.Clean(name) != name {
		return nil, errFakeMisuse
	}
	if name == "/" {
		return fakeInfo{name: "/", mode: fs.ModeDir}, nil
	}
	for d := path.Dir(name); d != "/"; d = path.Dir(d) {
		n, ok := f.nodes[d]
		if !ok {
			continue // the deepest missing ancestor decides below
		}
		switch n.kind {
		case 'l':
			return nil, errFakeMisuse
		case 'f':
			return nil, &fs.PathError{Op: "lstat", Path: name, Err: syscall.ENOTDIR}
		case 'x':
			return nil, &fs.PathError{Op: "lstat", Path: name, Err: syscall.EACCES}
		}
	}
	n, ok := f.nodes[name]
	if !ok {
		return nil, &fs.PathError{Op: "lstat", Path: name, Err: syscall.ENOENT}
	}
	switch n.kind {
	case 'd':
		return fakeInfo{name: path.Base(name), mode: fs.ModeDir | 0o755}, nil
	case 'f':
		return fakeInfo{name: path.Base(name), mode: 0o644}, nil
	case 'l':
		return fakeInfo{name: path.Base(name), mode: fs.ModeSymlink | 0o777}, nil
	default:
		return nil, &fs.PathError{Op: "lstat", Path: name, Err: syscall.EACCES}
	}
}

func (f *fakeFS) Readlink(name string) (string, error) {
	if _, err := f.Lstat(name); err != nil {
		return "", err
	}
	n := f.nodes[name]
	if n.kind != 'l' {
		return "", &fs.PathError{Op: "readlink", Path: name, Err: syscall.EINVAL}
	}
	return n.target, nil
}

type fakeInfo struct {
	name string
	mode fs.FileMode
}

func (i fakeInfo) Name() string       { return i.name }
func (i fakeInfo) Size() int64        { return 0 }
func (i fakeInfo) Mode() fs.FileMode  { return i.mode }
func (i fakeInfo) ModTime() time.Time { return time.Time{} }
func (i fakeInfo) IsDir() bool        { return i.mode.IsDir() }
func (i fakeInfo) Sys() any           { return nil }

// refResolve is the test's independent model of physical resolution: a
// stack of resolved components and a queue of pending ones, following every
// symlink (including a final one), with missing components kept verbatim.
// It is deliberately naive: no index arithmetic, no string reuse.
func refResolve(f *fakeFS, p string) (string, error) {
	queue := strings.Split(p, "/")
	var stack []string
	missingFrom := -1
	hops := 0
	for len(queue) > 0 {
		c := queue[0]
		queue = queue[1:]
		switch c {
		case "", ".":
			continue
		case "..":
			if len(stack) > 0 {
				stack = stack[:len(stack)-1]
			}
			if missingFrom >= 0 && len(stack) <= missingFrom {
				missingFrom = -1
			}
			continue
		}
		stack = append(stack, c)
		if missingFrom >= 0 {
			continue
		}
		n, ok := f.nodes["/"+strings.Join(stack, "/")]
		if !ok {
			missingFrom = len(stack) - 1
			continue
		}
		switch n.kind {
		case 'x':
			return "", errors.New("denied")
		case 'l':
			hops++
			if hops > 40 {
				return "", ErrTooManySymlinks
			}
			stack = stack[:len(stack)-1]
			if strings.HasPrefix(n.target, "/") {
				stack = nil
			}
			queue = append(strings.Split(n.target, "/"), queue...)
		}
		// Below a file nothing is in the map, so components after a file
		// become missing on the next iteration, as ENOTDIR does.
	}
	return "/" + strings.Join(stack, "/"), nil
}

const (
	fakeHome    = "/home/u"
	fakeSandbox = "/sandbox"
)

func newTestFakeFS() *fakeFS {
	return newFakeFS(map[string]string{
		"/home/u/notes":          "file",
		"/home/u/ws":             "->/sandbox/a",
		"/sandbox/a/b/file":      "file",
		"/sandbox/rel":           "->a/b",
		"/sandbox/abs":           "->/sandbox/a",
		"/sandbox/chain":         "->rel",
		"/sandbox/loop1":         "->loop2",
		"/sandbox/loop2":         "->loop1",
		"/sandbox/out":           "->/etc",
		"/sandbox/up":            "->../etc",
		"/sandbox/a/dotdot":      "->..",
		"/sandbox/a/toroot":      "->/",
		"/sandbox/self":          "->.",
		"/sandbox/slash":         "->a/",
		"/sandbox/dangling":      "->/nonexistent/x",
		"/sandbox/viafile":       "->a/b/file/x",
		"/sandbox/locked":        "denied",
		"/sandbox/a/b/back":      "->../../out",
		"/etc/passwd":            "file",
		"/etc/ssh/sshd_config":   "file",
		"/sandbox/home":          "->~",
		"/sandbox/weird/..x":     "dir",
		"/sandbox/weird/linkdot": "->..x/../../out",
	})
}

func newFakeResolver(t testing.TB) (*PathResolver, *fakeFS) {
	t.Helper()
	f := newTestFakeFS()
	r, err := NewPathResolver(f, fakeHome, fakeSandbox)
	if err != nil {
		t.Fatal(err)
	}
	return r, f
}

func TestCanonicalFake(t *testing.T) {
	r, _ := newFakeResolver(t)
	tests := []struct {
		name, in, want string
		wantErr        bool
	}{
		{name: "root", in: "/", want: "/"},
		{name: "dotdot at root", in: "/../..", want: "/"},
		{name: "tilde", in: "~", want: "/home/u"},
		{name: "tilde slash", in: "~/", want: "/home/u"},
		{name: "tilde sub", in: "~/notes", want: "/home/u/notes"},
		{name: "tilde symlink", in: "~/ws/b", want: "/sandbox/a/b"},
		{name: "tilde user is relative", in: "~user/x", want: "/sandbox/~user/x"},
		{name: "relative", in: "a/b/file", want: "/sandbox/a/b/file"},
		{name: "dot relative", in: "./a/./b", want: "/sandbox/a/b"},
		{name: "relative symlink", in: "rel/file", want: "/sandbox/a/b/file"},
		{name: "absolute symlink", in: "/sandbox/abs/b", want: "/sandbox/a/b"},
		{name: "chained", in: "chain/file", want: "/sandbox/a/b/file"},
		{name: "loop", in: "loop1/x", wantErr: true},
		{name: "outside absolute", in: "out/passwd", want: "/etc/passwd"},
		{name: "outside relative", in: "up/ssh", want: "/etc/ssh"},
		{name: "link to dotdot", in: "a/dotdot/rel", want: "/sandbox/a/b"},
		{name: "link to root", in: "a/toroot/etc", want: "/etc"},
		{name: "link to dot", in: "self/self/a", want: "/sandbox/a"},
		{name: "target trailing slash", in: "slash/b", want: "/sandbox/a/b"},
		{name: "dangling", in: "dangling/more", want: "/nonexistent/x/more"},
		{name: "through file", in: "viafile", want: "/sandbox/a/b/file/x"},
		{name: "denied", in: "locked/x", wantErr: true},
		{name: "denied leaf", in: "locked", wantErr: true},
		{name: "escape dotdot", in: "../etc/passwd", want: "/etc/passwd"},
		{name: "double slash", in: "//sandbox//a///b", want: "/sandbox/a/b"},
		{name: "trailing slash", in: "/sandbox/a/", want: "/sandbox/a"},
		{name: "missing tail", in: "abs/new/deeper/f.txt", want: "/sandbox/a/new/deeper/f.txt"},
		{name: "missing then dotdot resumes", in: "nope/../out/passwd", want: "/etc/passwd"},
		{name: "missing dotdot inside", in: "nope/x/../y", want: "/sandbox/nope/y"},
		// Physical "..": rel -> a/b, so rel/.. is /sandbox/a, not /sandbox.
		{name: "dotdot after symlink is physical", in: "rel/../b", want: "/sandbox/a/b"},
		{name: "dotdot through link to outside", in: "a/b/back/passwd", want: "/etc/passwd"},
		{name: "tilde in target is literal", in: "home", want: "/sandbox/~"},
		{name: "dotdot name in target", in: "weird/linkdot/passwd", want: "/etc/passwd"},
		{name: "empty", in: "", wantErr: true},
		{name: "NUL", in: "a\x00b", wantErr: true},
		{name: "invalid UTF-8", in: "a\xffb", wantErr: true},
		{name: "too long", in: "/" + strings.Repeat("a", maxPathLen), wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := r.Canonical(tc.in)
			if tc.wantErr {
				if err == nil {
					t.Fatalf("Canonical(%q) = %q, want error", tc.in, got)
				}
				return
			}
			if err != nil {
				t.Fatalf("Canonical(%q) error: %v", tc.in, err)
			}
			if string(got) != tc.want {
				t.Fatalf("Canonical(%q) = %q, want %q", tc.in, got, tc.want)
			}
			if d, err := r.CanonicalDir(tc.in); err != nil || d != got {
				t.Fatalf("CanonicalDir(%q) = %q, %v, want %q", tc.in, d, err, got)
			}
		})
	}
}

func TestCanonicalLoopError(t *testing.T) {
	r, _ := newFakeResolver(t)
	_, err := r.Canonical("loop1")
	if !errors.Is(err, ErrTooManySymlinks) {
		t.Fatalf("Canonical(loop1) error = %v, want ErrTooManySymlinks", err)
	}
}

func TestNewPathResolver(t *testing.T) {
	tests := []struct {
		name       string
		fsys       FS
		home, base string
	}{
		{name: "nil fs", fsys: nil, home: "/h", base: "/b"},
		{name: "relative home", fsys: OSFS{}, home: "h", base: "/b"},
		{name: "relative base", fsys: OSFS{}, home: "/h", base: "b"},
		{name: "empty base", fsys: OSFS{}, home: "/h", base: ""},
		{name: "NUL home", fsys: OSFS{}, home: "/h\x00", base: "/b"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := NewPathResolver(tc.fsys, tc.home, tc.base); err == nil {
				t.Fatalf("NewPathResolver(%v, %q, %q) succeeded, want error", tc.fsys, tc.home, tc.base)
			}
		})
	}
	var nilR *PathResolver
	if _, err := nilR.Canonical("/x"); err == nil {
		t.Fatal("nil resolver Canonical succeeded")
	}
}

func TestWithin(t *testing.T) {
	tests := []struct {
		p, dir Path
		want   bool
	}{
		{"/a/b", "/a", true},
		{"/a", "/a", true},
		{"/ab", "/a", false},
		{"/a", "/a/b", false},
		{"/x", "/", true},
		{"/", "/", true},
		{"", "/", false},
		{"a/b", "/", false},
		{"/a", "", false},
		{"a/b", "a", false},
	}
	for _, tc := range tests {
		t.Run(string(tc.p)+"_in_"+string(tc.dir), func(t *testing.T) {
			if got := tc.p.Within(tc.dir); got != tc.want {
				t.Fatalf("Path(%q).Within(%q) = %v, want %v", tc.p, tc.dir, got, tc.want)
			}
		})
	}
}

// realTree builds a sandbox with symlinks in a temporary directory and
// returns its physical root (TempDir itself may sit below a symlink).
func realTree(t testing.TB) string {
	t.Helper()
	root, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.MkdirAll(root+"/sandbox/a/b", 0o755))
	must(os.MkdirAll(root+"/outside", 0o755))
	must(os.MkdirAll(root+"/home", 0o755))
	must(os.WriteFile(root+"/sandbox/a/b/file.txt", nil, 0o644))
	must(os.WriteFile(root+"/outside/secret", nil, 0o644))
	must(os.Symlink("a/b", root+"/sandbox/rel"))
	must(os.Symlink(root+"/sandbox/a", root+"/sandbox/abs"))
	must(os.Symlink("rel", root+"/sandbox/chain"))
	must(os.Symlink("loop2", root+"/sandbox/loop1"))
	must(os.Symlink("loop1", root+"/sandbox/loop2"))
	must(os.Symlink("../outside", root+"/sandbox/escape"))
	must(os.Symlink(root+"/outside", root+"/sandbox/escapeabs"))
	must(os.Symlink(root+"/outside/nothere/y", root+"/sandbox/dangling"))
	return root
}

func TestCanonicalOS(t *testing.T) {
	root := realTree(t)
	sb := root + "/sandbox"
	r, err := NewPathResolver(OSFS{}, root+"/home", sb)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, in, want string
		wantErr        bool
	}{
		{name: "tilde", in: "~", want: root + "/home"},
		{name: "tilde sub", in: "~/x", want: root + "/home/x"},
		{name: "tilde user", in: "~user", want: sb + "/~user"},
		{name: "relative", in: "a/b/file.txt", want: sb + "/a/b/file.txt"},
		{name: "relative symlink", in: "rel/file.txt", want: sb + "/a/b/file.txt"},
		{name: "absolute symlink", in: sb + "/abs/b", want: sb + "/a/b"},
		{name: "chained", in: "chain/file.txt", want: sb + "/a/b/file.txt"},
		{name: "loop", in: "loop1", wantErr: true},
		{name: "outside relative", in: "escape/secret", want: root + "/outside/secret"},
		{name: "outside absolute", in: "escapeabs/secret", want: root + "/outside/secret"},
		{name: "symlinked ancestor missing tail", in: "abs/new/dir/f", want: sb + "/a/new/dir/f"},
		{name: "dangling", in: "dangling/z", want: root + "/outside/nothere/y/z"},
		{name: "dotdot escape", in: "../outside/secret", want: root + "/outside/secret"},
		{name: "dotdot after symlink", in: "rel/../b", want: sb + "/a/b"},
		{name: "through file", in: "a/b/file.txt/x", want: sb + "/a/b/file.txt/x"},
		{name: "double slash", in: "/" + sb + "//a//", want: sb + "/a"},
		{name: "trailing slash", in: "a/", want: sb + "/a"},
		{name: "empty", in: "", wantErr: true},
		{name: "NUL", in: "a\x00", wantErr: true},
		{name: "invalid UTF-8", in: "\xc3\x28", wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := r.Canonical(tc.in)
			if tc.wantErr {
				if err == nil {
					t.Fatalf("Canonical(%q) = %q, want error", tc.in, got)
				}
				return
			}
			if err != nil {
				t.Fatalf("Canonical(%q) error: %v", tc.in, err)
			}
			if string(got) != tc.want {
				t.Fatalf("Canonical(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestCanonicalOSPermission(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root bypasses directory permissions")
	}
	root := realTree(t)
	locked := root + "/sandbox/locked"
	if err := os.Mkdir(locked, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(locked, 0); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Chmod(locked, 0o755) })
	r, err := NewPathResolver(OSFS{}, root, root+"/sandbox")
	if err != nil {
		t.Fatal(err)
	}
	if got, err := r.Canonical("locked/x"); err == nil {
		t.Fatalf("Canonical(%q) = %q, want permission error", "locked/x", got)
	}
}

// expandRef is the test's own reading of "~", "~/" and relative paths.
func expandRef(raw string) string {
	switch {
	case strings.HasPrefix(raw, "/"):
		return raw
	case raw == "~":
		return fakeHome
	case strings.HasPrefix(raw, "~/"):
		return fakeHome + "/" + raw[2:]
	}
	return fakeSandbox + "/" + raw
}

func FuzzCanonicalPath(f *testing.F) {
	for _, s := range []string{
		"/", "~", "~/ws/b", "~user", "a/b/file", "rel/../b", "out/passwd", "up/../sandbox",
		"loop1", "dangling/x", "viafile/..", "nope/../abs/../../etc", "a/dotdot/a/toroot/sandbox/out",
		"//sandbox/./a//", "self/self/../sandbox", "a/b/back/../sandbox", "weird/linkdot", "locked",
	} {
		f.Add(s)
	}
	r, fake := newFakeResolver(f)
	f.Fuzz(func(t *testing.T, raw string) {
		got, err := r.Canonical(raw)
		if err != nil {
			if errors.Is(err, errFakeMisuse) {
				t.Fatalf("Canonical(%q) made an invalid FS request: %v", raw, err)
			}
			if checkRawPath(raw) == nil {
				if _, rerr := refResolve(fake, expandRef(raw)); rerr == nil {
					t.Fatalf("Canonical(%q) error %v, but reference resolves it", raw, err)
				}
			}
			return
		}
		s := string(got)
		if !strings.HasPrefix(s, "/") || path.Clean(s) != s || filepath.Clean(s) != s || strings.Contains(s, "/../") || strings.HasSuffix(s, "/..") {
			t.Fatalf("Canonical(%q) = %q: not absolute and clean", raw, s)
		}
		want, rerr := refResolve(fake, expandRef(raw))
		if rerr != nil {
			t.Fatalf("Canonical(%q) = %q, but reference fails: %v", raw, s, rerr)
		}
		if s != want {
			t.Fatalf("Canonical(%q) = %q, want %q (reference)", raw, s, want)
		}
		again, err := r.Canonical(s)
		if err != nil || again != got {
			t.Fatalf("Canonical(Canonical(%q)) = %q, %v, want %q", raw, again, err, s)
		}
		// The escape property: a canonical path inside the sandbox must not
		// lead outside it when fully resolved by someone else.
		if got.Within(fakeSandbox) {
			full, err := refResolve(fake, s)
			if err != nil || !Path(full).Within(fakeSandbox) {
				t.Fatalf("Canonical(%q) = %q is within the sandbox but resolves to %q (%v)", raw, s, full, err)
			}
		}
	})
}

func BenchmarkCanonical(b *testing.B) {
	b.Run("fake/6-components", func(b *testing.B) {
		f := newFakeFS(map[string]string{"/s/a/b/c/d/e": "file"})
		r, _ := NewPathResolver(f, "/h", "/s")
		b.ReportAllocs()
		for b.Loop() {
			if _, err := r.Canonical("/s/a/b/c/d/e"); err != nil {
				b.Fatal(err)
			}
		}
	})
	root := realTree(b)
	if err := os.MkdirAll(root+"/sandbox/a/b/c/d", 0o755); err != nil {
		b.Fatal(err)
	}
	r, err := NewPathResolver(OSFS{}, root+"/home", root+"/sandbox")
	if err != nil {
		b.Fatal(err)
	}
	for _, c := range []struct{ name, in string }{
		{"os/absolute", root + "/sandbox/a/b/c/d/file"},
		{"os/relative", "a/b/c/d/file"},
		{"os/symlink", "rel/file.txt"},
		{"os/missing-tail", "abs/new/dir/f"},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := r.Canonical(c.in); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestCanonicalMatchesReference compares Canonical with refResolve on
// paths assembled from the names in the fake tree, which reach the
// interesting combinations far more often than random bytes do.
func TestCanonicalMatchesReference(t *testing.T) {
	r, fake := newFakeResolver(t)
	toks := []string{"a", "b", "..", ".", "/", "//", "rel", "self", "slash", "loop1", "dotdot", "toroot",
		"out", "up", "sandbox", "etc", "~", "~/", "x", "file", "viafile", "dangling", "weird", "linkdot",
		"..x", "back", "home", "abs", "chain", "locked", "nope"}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 50000 {
		var b strings.Builder
		for range rng.IntN(12) + 1 {
			b.WriteString(toks[rng.IntN(len(toks))])
			if rng.IntN(2) == 0 {
				b.WriteByte('/')
			}
		}
		raw := b.String()
		got, err := r.Canonical(raw)
		want, rerr := refResolve(fake, expandRef(raw))
		if (err == nil) != (rerr == nil) || err == nil && string(got) != want {
			t.Fatalf("Canonical(%q) = %q, %v; want %q, %v (reference)", raw, got, err, want, rerr)
		}
	}
}
