package filesystem

import (
	"context"
	"strconv"
	"strings"
	"testing"
)

func TestApplyEdits(t *testing.T) {
	tests := []struct {
		name    string
		content string
		reps    []replacement
		want    string
		wantErr string
	}{
		{"exact", "a b c", []replacement{{"b", "B"}}, "a B c", ""},
		{"first occurrence only", "x x x", []replacement{{"x", "y"}}, "y x x", ""},
		{"sequential", "abc", []replacement{{"a", "b"}, {"bb", "z"}}, "zc", ""},
		{"dollar is literal", "a", []replacement{{"a", "$&$1"}}, "$&$1", ""},
		{"crlf in edit", "l1\nl2\n", []replacement{{"l1\r\nl2", "m"}}, "m\n", ""},
		{"delete", "keep\ndrop\nkeep\n", []replacement{{"drop\n", ""}}, "keep\nkeep\n", ""},
		{
			"loose match keeps indentation", "def f():\n    if x:\n        return 1\n",
			[]replacement{{"if x:\n    return 1", "if y:\n    return 2"}},
			"def f():\n    if y:\n        return 2\n", "",
		},
		{
			"loose match deeper new lines", "\t\tfoo()\n\t\tbar()\n",
			[]replacement{{"  foo()\n  bar()", "foo()\n    baz()\n  bar()"}},
			"\t\tfoo()\n\t\t  baz()\n\t\tbar()\n", "",
		},
		{"loose match trailing space", "a  \nb\n", []replacement{{"a\nb", "c"}}, "c\n", ""},
		{"loose match blank lines", "  a\n  b\n", []replacement{{"a\nb", "x\n\n  y"}}, "  x\n\n    y\n", ""},
		{"not found", "abc", []replacement{{"zzz", "y"}}, "", `edits[0]: oldText not found in the file: "zzz"`},
		{"second not found", "abc", []replacement{{"a", "b"}, {"a", "c"}}, "", "edits[1]"},
		{"empty old", "abc", []replacement{{"", "x"}}, "", "oldText is empty"},
		{"no edits", "abc", nil, "abc", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := applyEdits(context.Background(), tc.content, tc.reps)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Errorf("applyEdits(%q, %v) = %q, %v; want error containing %q", tc.content, tc.reps, got, err, tc.wantErr)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Errorf("applyEdits(%q, %v) = %q, %v; want %q", tc.content, tc.reps, got, err, tc.want)
			}
		})
	}
}

func TestApplyEditsCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	content := strings.Repeat("a\n", 10000)
	if _, err := applyEdits(ctx, content, []replacement{{"  a\nb", "x"}}); err == nil {
		t.Errorf("applyEdits with a cancelled context = nil error, want the context error")
	}
}

func TestPreview(t *testing.T) {
	long := strings.Repeat("é", 60) // 120 bytes: the cut lands inside a rune
	got := preview(long)
	if !strings.HasSuffix(got, `..."`) || len(got) > 100 {
		t.Errorf("preview(%d bytes) = %q", len(long), got)
	}
	if _, err := strconv.Unquote(got); err != nil {
		t.Errorf("preview(...) = %q is not one quoted string: %v", got, err)
	}
	if got := preview("a\nb"); got != `"a\nb"` {
		t.Errorf("preview(%q) = %s, want %s", "a\nb", got, `"a\nb"`)
	}
}

func TestFencedDiff(t *testing.T) {
	tests := []struct{ in, want string }{
		{"x\n", "```diff\nx\n```\n\n"},
		{"```\n", "````diff\n```\n````\n\n"},
		{"a````b\n", "`````diff\na````b\n`````\n\n"},
	}
	for _, tc := range tests {
		if got := fencedDiff(tc.in); got != tc.want {
			t.Errorf("fencedDiff(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestNormalizeNewlines(t *testing.T) {
	tests := []struct {
		in       string
		want     string
		wantCRLF bool
	}{
		{"a\nb", "a\nb", false},
		{"a\r\nb\r\n", "a\nb\n", true},
		{"a\r\nb\n", "a\nb\n", false},
		{"a\rb", "a\rb", false},
	}
	for _, tc := range tests {
		got, crlf := normalizeNewlines(tc.in)
		if got != tc.want || crlf != tc.wantCRLF {
			t.Errorf("normalizeNewlines(%q) = %q, %v; want %q, %v", tc.in, got, crlf, tc.want, tc.wantCRLF)
		}
	}
}
