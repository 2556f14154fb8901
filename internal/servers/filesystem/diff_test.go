package filesystem

import (
	"fmt"
	"strings"
	"testing"
)

func TestUnifiedDiff(t *testing.T) {
	header := "Index: f\n" + strings.Repeat("=", 67) + "\n--- f\toriginal\n+++ f\tmodified\n"
	tests := []struct {
		name, before, after, want string
	}{
		{"same", "a\nb\n", "a\nb\n", ""},
		{"change", "a\nb\nc\n", "a\nB\nc\n", "@@ -1,3 +1,3 @@\n a\n-b\n+B\n c\n"},
		{"no final newline", "a\nb\nc\n", "a\nB\nc", "@@ -1,3 +1,3 @@\n a\n-b\n-c\n+B\n+c\n\\ No newline at end of file\n"},
		{"insert into empty", "", "x\n", "@@ -0,0 +1,1 @@\n+x\n"},
		{"delete all", "x\n", "", "@@ -1,1 +0,0 @@\n-x\n"},
		{
			"context is four lines", "1\n2\n3\n4\n5\n6\n7\n8\n9\n", "1\n2\n3\n4\n5x\n6\n7\n8\n9\n",
			"@@ -1,9 +1,9 @@\n 1\n 2\n 3\n 4\n-5\n+5x\n 6\n 7\n 8\n 9\n",
		},
		{
			"far apart changes make two hunks",
			"a\n1\n2\n3\n4\n5\n6\n7\n8\n9\nb\n", "A\n1\n2\n3\n4\n5\n6\n7\n8\n9\nB\n",
			"@@ -1,5 +1,5 @@\n-a\n+A\n 1\n 2\n 3\n 4\n@@ -7,5 +7,5 @@\n 6\n 7\n 8\n 9\n-b\n+B\n",
		},
		{
			"close changes share a hunk",
			"a\n1\n2\n3\n4\n5\n6\n7\n8\nb\n", "A\n1\n2\n3\n4\n5\n6\n7\n8\nB\n",
			"@@ -1,10 +1,10 @@\n-a\n+A\n 1\n 2\n 3\n 4\n 5\n 6\n 7\n 8\n-b\n+B\n",
		},
		{"pure insertion", "a\nb\n", "a\nx\nb\n", "@@ -1,2 +1,3 @@\n a\n+x\n b\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := unifiedDiff("f", tc.before, tc.after)
			if got != header+tc.want {
				t.Errorf("unifiedDiff(%q, %q) =\n%s\nwant\n%s", tc.before, tc.after, got, header+tc.want)
			}
			checkPatch(t, tc.before, tc.after, got)
		})
	}
}

func TestUnifiedDiffHeaderOneLine(t *testing.T) {
	got := unifiedDiff("a\nb", "x\n", "y\n")
	if !strings.HasPrefix(got, `Index: a\nb`+"\n") {
		t.Errorf("unifiedDiff with a newline in the name = %q", got)
	}
}

// TestDiffFallback forces the bounded search to give up: the diff must
// still be correct, just not minimal.
func TestDiffFallback(t *testing.T) {
	var a, b strings.Builder
	for i := range 3000 {
		fmt.Fprintf(&a, "a%d\n", i)
		fmt.Fprintf(&b, "b%d\n", i)
		if i%2 == 0 {
			fmt.Fprintf(&a, "same%d\n", i)
			fmt.Fprintf(&b, "same%d\n", i)
		}
	}
	got := unifiedDiff("f", a.String(), b.String())
	checkPatch(t, a.String(), b.String(), got)
	if n := strings.Count(got, "@@ -"); n != 1 {
		t.Errorf("fallback diff has %d hunks, want 1", n)
	}
}

func TestMyersMinimal(t *testing.T) {
	tests := []struct {
		a, b  string
		edits int
	}{
		{"abcabba", "cbabac", 5},
		{"", "abc", 3},
		{"abc", "", 3},
		{"abc", "abc", 0},
		{"ab", "ba", 2},
	}
	for _, tc := range tests {
		x, y := internLines(strings.Split(tc.a, ""), strings.Split(tc.b, ""))
		if tc.a == "" {
			x = nil
		}
		if tc.b == "" {
			y = nil
		}
		blocks, ok := myers(x, y, 100)
		if !ok {
			t.Fatalf("myers(%q, %q) found no script", tc.a, tc.b)
		}
		n := 0
		for _, bl := range blocks {
			n += bl.a1 - bl.a0 + bl.b1 - bl.b0
		}
		if n != tc.edits {
			t.Errorf("myers(%q, %q) = %d edits %v, want %d", tc.a, tc.b, n, blocks, tc.edits)
		}
	}
}

// checkPatch applies diff to before and fails unless it yields after.
func checkPatch(t testing.TB, before, after, diff string) {
	t.Helper()
	got, err := applyPatch(before, diff)
	if err != nil {
		t.Fatalf("applying the diff of %q -> %q: %v\n%s", before, after, err, diff)
	}
	if got != after {
		t.Fatalf("diff of %q -> %q applies to give %q\n%s", before, after, got, diff)
	}
}

// applyPatch is a strict applier for the diffs unifiedDiff writes.
func applyPatch(before, diff string) (string, error) {
	lines := strings.SplitAfter(diff, "\n")
	if len(lines) < 4 {
		return "", fmt.Errorf("short header")
	}
	type dl struct {
		op   byte
		text string
	}
	var body []dl
	for _, l := range lines[4:] {
		switch {
		case l == "":
		case strings.HasPrefix(l, "\\ No newline at end of file"):
			if len(body) == 0 {
				return "", fmt.Errorf("marker without a line")
			}
			body[len(body)-1].text = strings.TrimSuffix(body[len(body)-1].text, "\n")
		default:
			body = append(body, dl{l[0], l[1:]})
		}
	}
	old := splitLines(before)
	var out strings.Builder
	pos := 0
	for i := 0; i < len(body); {
		h := body[i]
		if h.op != '@' {
			return "", fmt.Errorf("expected a hunk header, got %q", h.text)
		}
		var as, al, bs, bl int
		if _, err := fmt.Sscanf(h.text, "@ -%d,%d +%d,%d @@\n", &as, &al, &bs, &bl); err != nil {
			return "", fmt.Errorf("hunk header %q: %v", h.text, err)
		}
		start := as - 1
		if al == 0 {
			start = as
		}
		if start < pos || start > len(old) {
			return "", fmt.Errorf("hunk starts at %d, position %d", start, pos)
		}
		for _, l := range old[pos:start] {
			out.WriteString(l)
		}
		pos = start
		i++
		var na, nb int
		for ; i < len(body) && body[i].op != '@'; i++ {
			l := body[i]
			switch l.op {
			case ' ', '-':
				if pos >= len(old) || old[pos] != l.text {
					return "", fmt.Errorf("line %d: %q does not match %q", pos, l.text, old[min(pos, len(old)-1)])
				}
				pos++
				na++
				if l.op == ' ' {
					out.WriteString(l.text)
					nb++
				}
			case '+':
				out.WriteString(l.text)
				nb++
			default:
				return "", fmt.Errorf("bad line %q", l.text)
			}
		}
		if na != al || nb != bl {
			return "", fmt.Errorf("hunk %q has %d old and %d new lines", h.text, na, nb)
		}
	}
	for _, l := range old[pos:] {
		out.WriteString(l)
	}
	return out.String(), nil
}
