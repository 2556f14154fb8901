package filesystem

import (
	"context"
	"fmt"
	"strings"
	"unicode"
)

// replacement is one edit_file edit.
type replacement struct{ old, new string }

// applyEdits applies each replacement in turn to content, whose line
// breaks are already LF. The behaviour follows the reference server so
// that callers written against it get the same result:
//
//   - the first exact occurrence of old (line breaks normalized) is
//     replaced by new;
//   - failing that, the first run of whole lines equal to old's lines
//     apart from leading and trailing white space is replaced, and new's
//     lines are re-indented to the matched block (see reindent, where we
//     differ on purpose).
//
// An empty old is refused: it would match everywhere, and the reference
// server's behaviour for it (insert at the start) is an accident.
func applyEdits(ctx context.Context, content string, reps []replacement) (string, error) {
	for i, r := range reps {
		old, _ := normalizeNewlines(r.old)
		repl, _ := normalizeNewlines(r.new)
		if old == "" {
			return "", fmt.Errorf("edits[%d]: oldText is empty", i)
		}
		if at := strings.Index(content, old); at >= 0 {
			content = content[:at] + repl + content[at+len(old):]
			continue
		}
		next, ok, err := replaceLoose(ctx, content, old, repl)
		if err != nil {
			return "", err
		}
		if !ok {
			return "", fmt.Errorf("edits[%d]: oldText not found in the file: %s", i, preview(r.old))
		}
		content = next
	}
	return content, nil
}

// replaceLoose replaces the first run of lines that equals old's lines
// once each line is trimmed of white space.
func replaceLoose(ctx context.Context, content, old, repl string) (string, bool, error) {
	oldLines := strings.Split(old, "\n")
	lines := strings.Split(content, "\n")
	want := make([]string, len(oldLines))
	for i, l := range oldLines {
		want[i] = strings.TrimSpace(l)
	}
	for start := 0; start+len(want) <= len(lines); start++ {
		// The scan is quadratic in the worst case; hostile input gets
		// cut off by the caller's deadline rather than holding a core.
		if start%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return "", false, err
			}
		}
		if !matchTrimmed(lines[start:start+len(want)], want) {
			continue
		}
		newLines := reindent(leadingSpace(lines[start]), oldLines, strings.Split(repl, "\n"))
		out := make([]string, 0, len(lines)-len(want)+len(newLines))
		out = append(out, lines[:start]...)
		out = append(out, newLines...)
		out = append(out, lines[start+len(want):]...)
		return strings.Join(out, "\n"), true, nil
	}
	return "", false, nil
}

func matchTrimmed(lines, want []string) bool {
	for i, w := range want {
		if strings.TrimSpace(lines[i]) != w {
			return false
		}
	}
	return true
}

// reindent moves replacement lines to the indentation of the block they
// replace: the indentation old's first line has in oldText (oldBase) is
// swapped for the one the matched block has in the file (base), so that
// deeper lines stay deeper. A line not starting with oldBase is put at
// base; blank lines stay blank.
//
// This deliberately differs from the reference server, which puts every
// line at the block's indentation plus a per-line difference that is
// usually zero, flattening nested code.
func reindent(base string, oldLines, newLines []string) []string {
	oldBase := leadingSpace(oldLines[0])
	out := make([]string, len(newLines))
	for j, l := range newLines {
		switch {
		case strings.TrimSpace(l) == "":
			out[j] = ""
		case strings.HasPrefix(l, oldBase):
			out[j] = base + l[len(oldBase):]
		default:
			out[j] = base + strings.TrimLeftFunc(l, unicode.IsSpace)
		}
	}
	return out
}

func leadingSpace(s string) string {
	return s[:len(s)-len(strings.TrimLeftFunc(s, unicode.IsSpace))]
}

// preview shows the start of an unmatched oldText on one line.
func preview(s string) string {
	const limit = 80
	if len(s) > limit {
		s = strings.ToValidUTF8(s[:limit], "") + "..."
	}
	return fmt.Sprintf("%q", s)
}
