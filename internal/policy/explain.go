package policy

import (
	"fmt"
	"io"
	"strings"
)

// WriteDecision renders a decision for people; with explain, the trace
// follows, one event per line. It returns the first write error.
func WriteDecision(w io.Writer, d Decision, explain bool) error {
	ew := &errWriter{w: w}
	w = ew
	fmt.Fprintf(w, "%s (rule %s)\n", d.Verdict, clean(d.Rule))
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
	return ew.err
}

// errWriter remembers the first write error so a run of Fprintf calls can
// be checked once.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) Write(p []byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	n, err := e.w.Write(p)
	e.err = err
	return n, err
}

// WriteExplain renders a decision's trace.
func WriteExplain(w io.Writer, d Decision) {
	fmt.Fprintln(w, "trace:")
	for _, s := range d.Trace {
		var b strings.Builder
		fmt.Fprintf(&b, "  %-9s", s.Op)
		if s.Role != "" {
			fmt.Fprintf(&b, " role=%s", clean(s.Role))
		}
		if s.Arg != "" {
			fmt.Fprintf(&b, " arg=%s", clean(s.Arg))
		}
		if s.Value != "" {
			fmt.Fprintf(&b, " value=%q", s.Value)
		}
		if s.Rule != "" {
			fmt.Fprintf(&b, " rule=%s", clean(s.Rule))
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
func clean(s string) string { return SafeText(s) }

// SafeText replaces what could forge output on a terminal: C0 and C1
// control characters (newlines, ESC, CSI), DEL, and the Unicode controls
// that reorder or split lines (bidi overrides and isolates, line and
// paragraph separators). Tool arguments are agent-controlled; printing
// them must not draw a fake decision.
func SafeText(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r < 0x20, r == 0x7f, r >= 0x80 && r <= 0x9f:
			return '?'
		case r == 0x200e, r == 0x200f, r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069, r == 0x2028, r == 0x2029, r == 0x061c:
			return '?'
		}
		return r
	}, s)
}
