package filesystem

import (
	"strings"
	"testing"
)

func TestGlobMatch(t *testing.T) {
	tests := []struct {
		pattern, name string
		want          bool
	}{
		{"*.go", "main.go", true},
		{"*.go", "dir/main.go", false},
		{"*.go", ".hidden.go", true},
		{"*", "", true},
		{"?", "é", true},
		{"??", "é", false},
		{"a?c", "abc", true},
		{"a?c", "a/c", false},
		{"[abc].txt", "b.txt", true},
		{"[!abc].txt", "b.txt", false},
		{"[^abc].txt", "d.txt", true},
		{"[a-c]x", "bx", true},
		{"[a-c]x", "dx", false},
		{"[]]", "]", true},
		{"[", "[", true},
		{"[a", "[a", true},
		{`\*`, "*", true},
		{`\*`, "a", false},
		{"**", "a/b/c", true},
		{"**/*.go", "main.go", true},
		{"**/*.go", "a/b/main.go", true},
		{"src/**/x", "src/x", true},
		{"src/**/x", "src/a/b/x", true},
		{"src/**/x", "other/x", false},
		{"**/node_modules/**", "a/node_modules", true},
		{"**/node_modules/**", "a/node_modules/b/c", true},
		{"a**b", "axxb", true},
		{"a**b", "ax/xb", false},
		{"*.{go,md}", "README.md", true},
		{"*.{go,md}", "x.txt", false},
		{"{a,b{c,d}}", "bd", true},
		{"{a}", "{a}", true},
		{"{a", "{a", true},
		{`\{a,b}`, "{a,b}", true},
		{"*a*a*a*a*a*a*a*b", strings.Repeat("a", 200), false},
	}
	for _, tc := range tests {
		g, err := compileGlob(tc.pattern)
		if err != nil {
			t.Errorf("compileGlob(%q) = %v", tc.pattern, err)
			continue
		}
		if got := g.match(tc.name); got != tc.want {
			t.Errorf("compileGlob(%q).match(%q) = %v, want %v", tc.pattern, tc.name, got, tc.want)
		}
	}
}

func TestCompileGlobErrors(t *testing.T) {
	tests := []struct{ pattern, want string }{
		{"", "empty"},
		{strings.Repeat("a", maxPatternLen+1), "longer than"},
		{"\xff", "UTF-8"},
		{strings.Repeat("{a,b}", 7), "brace alternatives"},
	}
	for _, tc := range tests {
		if _, err := compileGlob(tc.pattern); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("compileGlob(%.20q) = %v, want error containing %q", tc.pattern, err, tc.want)
		}
	}
}

func TestSearchMatcher(t *testing.T) {
	tests := []struct {
		pattern, rel, name string
		want               bool
	}{
		{"*.txt", "a/b.txt", "b.txt", true},
		{"READ", "x/readme.md", "readme.md", true},
		{"read", "x/other", "other", false},
		{"a/*.txt", "a/b.txt", "b.txt", true},
		{"a/*.txt", "x/a/b.txt", "b.txt", false},
	}
	for _, tc := range tests {
		m, err := searchMatcher(tc.pattern)
		if err != nil {
			t.Fatalf("searchMatcher(%q) = %v", tc.pattern, err)
		}
		if got := m(tc.rel, tc.name); got != tc.want {
			t.Errorf("searchMatcher(%q)(%q, %q) = %v, want %v", tc.pattern, tc.rel, tc.name, got, tc.want)
		}
	}
	if _, err := searchMatcher(""); err == nil {
		t.Errorf("searchMatcher(%q) = nil error, want one", "")
	}
}
