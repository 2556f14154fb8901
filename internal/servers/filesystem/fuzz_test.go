package filesystem

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzRoute checks the path-to-root mapping: it never panics, a routed
// name is relative and free of empty or "." components, and for an
// absolute path without ".." it names the same place lexically.
func FuzzRoute(f *testing.F) {
	for _, s := range []string{
		"/srv/sandbox/a", "/srv/sandbox", "/srv/sandbox/../x", "rel/../../x", "/srv//sandbox/./n/x",
		"/srv/sandbox/nested", "", "/", "~", "C:\\x", "/srv/sandbox/\x00", "./././", "/srv/sandboxx",
	} {
		f.Add(s)
	}
	roots := []*rootDir{
		{display: "/srv/sandbox", names: [][]string{{"srv", "sandbox"}}},
		{display: "/srv/sandbox/nested", names: [][]string{{"srv", "sandbox", "nested"}}},
		{display: "/", names: [][]string{{"tmp"}}},
	}
	f.Fuzz(func(t *testing.T, p string) {
		rd, rel, err := route(roots, p)
		if err != nil {
			if rd != nil || rel != "" {
				t.Fatalf("route(%q) = %v, %q with error %v", p, rd, rel, err)
			}
			return
		}
		if rel == "" || strings.HasPrefix(rel, "/") {
			t.Fatalf("route(%q) rel = %q, want a non-empty relative name", p, rel)
		}
		if rel != "." {
			for c := range strings.SplitSeq(rel, "/") {
				if c == "" || c == "." {
					t.Fatalf("route(%q) rel = %q has an empty or . component", p, rel)
				}
			}
		}
		if !strings.HasPrefix(p, "/") {
			if rd != roots[0] {
				t.Fatalf("route(%q) relative path went to %q, want the first root", p, rd.display)
			}
			return
		}
		comps := splitComponents(p)
		if !slices.ContainsFunc(rd.names, func(n []string) bool { return hasPrefix(comps, n) }) {
			t.Fatalf("route(%q) = %q, which does not contain it", p, rd.display)
		}
		if !slices.Contains(comps, "..") && rd.display != "/" {
			if got, want := filepath.Join(rd.display, rel), filepath.Clean(p); got != want {
				t.Fatalf("route(%q) = %q + %q = %q, want %q", p, rd.display, rel, got, want)
			}
		}
	})
}

// FuzzApplyEdits checks edit application never panics, and that an exact
// match replaces exactly one occurrence.
func FuzzApplyEdits(f *testing.F) {
	f.Add("a\nb\nc\n", "b", "B")
	f.Add("  a\n  b\n", "a\nb", "x\n  y")
	f.Add("x", "", "y")
	f.Add("\t\tfoo\r\n", "foo\r\n", "bar")
	f.Fuzz(func(t *testing.T, content, old, repl string) {
		if len(content) > 4096 || len(old) > 512 || len(repl) > 512 {
			return
		}
		got, err := applyEdits(context.Background(), content, []replacement{{old, repl}})
		if err != nil {
			return
		}
		nOld, _ := normalizeNewlines(old)
		nRepl, _ := normalizeNewlines(repl)
		if i := strings.Index(content, nOld); i >= 0 {
			if want := content[:i] + nRepl + content[i+len(nOld):]; got != want {
				t.Fatalf("applyEdits(%q, %q -> %q) = %q, want %q", content, old, repl, got, want)
			}
		}
	})
}

// FuzzDiff checks that every diff applies back: patch(a, diff(a, b)) == b.
func FuzzDiff(f *testing.F) {
	f.Add("a\nb\nc\n", "a\nB\nc")
	f.Add("", "x")
	f.Add("1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n", "0\n1\n2\n3\n4\n5\n6\n7\n8\n9\n")
	f.Fuzz(func(t *testing.T, a, b string) {
		if len(a) > 2048 || len(b) > 2048 {
			return
		}
		checkPatch(t, a, b, unifiedDiff("f", a, b))
	})
}

// FuzzGlob checks that compiling and matching never panic and that a
// pattern without glob syntax matches only itself.
func FuzzGlob(f *testing.F) {
	for _, s := range []string{"*.go", "**/x/**", "{a,b{c,d}}", "[!a-z]", "[", `\`, "a/[]]/b"} {
		f.Add(s, "a/b.go")
	}
	f.Fuzz(func(t *testing.T, pattern, name string) {
		if !utf8.ValidString(name) {
			return
		}
		g, err := compileGlob(pattern)
		if err != nil {
			return
		}
		got := g.match(name)
		if !hasGlobMeta(pattern) && got != (pattern == name) {
			t.Fatalf("compileGlob(%q).match(%q) = %v, want %v", pattern, name, got, pattern == name)
		}
	})
}
