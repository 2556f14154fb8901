package policy

import (
	"fmt"
	"io"
	"strings"
)

// WriteDecision renders a decision for people; with explain, the trace
// follows, one event per line.
func WriteDecision(w io.Writer, d Decision, explain bool) {
	fmt.Fprintf(w, "%s (rule %s)\n", d.Verdict, d.Rule)
	if d.Reason != "" {
		fmt.Fprintf(w, "  reason: %s\n", clean(d.Reason))
	}
	if len(d.EscalatedRoles) > 0 {
		names := make([]string, len(d.EscalatedRoles))
		for i, r := range d.EscalatedRoles {
			names[i] = r.String()
		}
		fmt.Fprintf(w, "  escalated roles: %s\n", strings.Join(names, ", "))
	}
	if explain {
		WriteExplain(w, d)
	}
}

// WriteExplain renders a decision's trace.
func WriteExplain(w io.Writer, d Decision) {
	fmt.Fprintln(w, "trace:")
	for _, s := range d.Trace {
		var b strings.Builder
		fmt.Fprintf(&b, "  %-9s", s.Op)
		if s.Role != "" {
			fmt.Fprintf(&b, " role=%s", s.Role)
		}
		if s.Arg != "" {
			fmt.Fprintf(&b, " arg=%s", clean(s.Arg))
		}
		if s.Value != "" {
			fmt.Fprintf(&b, " value=%q", s.Value)
		}
		if s.Rule != "" {
			fmt.Fprintf(&b, " rule=%s", s.Rule)
		}
		if s.Verdict != "" {
			fmt.Fprintf(&b, " -> %s", s.Verdict)
		}
		if s.Detail != "" {
			fmt.Fprintf(&b, " (%s)", clean(s.Detail))
		}
		fmt.Fprintln(w, b.String())
	}
}

// clean keeps agent-chosen text from forging extra output lines or
// terminal escapes.
func clean(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return '?'
		}
		return r
	}, s)
}
