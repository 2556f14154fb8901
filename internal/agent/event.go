package agent

import (
	"fmt"
	"io"
	"strings"

	"github.com/ironcurtain/ironcurtain-go/internal/escalate"
)

// EventKind says what an Event reports.
type EventKind int

// Event kinds.
const (
	// EventText is a piece of the model's answer as it streams in.
	EventText EventKind = iota
	// EventCode is code the model asked to run, before it runs.
	EventCode
	// EventResult is the result of running it, as the model will read it.
	EventResult
	// EventWarning is a budget nearing its limit, or another notice the
	// person should see.
	EventWarning
	// EventStop says why a turn stopped early (budget, loop, length).
	EventStop
)

// Event is something the person at the terminal should see. Text is
// untrusted (the model or the sandbox wrote it); render it with
// PrintEvents or escape it.
type Event struct {
	Kind      EventKind
	Text      string
	Dimension Dimension  // EventWarning and EventStop about a budget
	Execution *Execution // EventResult: what the code did
}

// PrintEvents returns an Events hook that writes to w, escaping terminal
// controls in everything the model or the sandbox wrote. Code and results
// are shown in full only when verbose; otherwise as a one-line summary.
func PrintEvents(w io.Writer, verbose bool) func(Event) {
	return func(ev Event) {
		switch ev.Kind {
		case EventText:
			io.WriteString(w, SafeText(ev.Text))
		case EventCode:
			if verbose {
				fmt.Fprintf(w, "\n--- execute_code ---\n%s\n", SafeText(ev.Text))
			} else {
				fmt.Fprintf(w, "\n[running code: %d lines]\n", strings.Count(ev.Text, "\n")+1)
			}
		case EventResult:
			if verbose {
				fmt.Fprintf(w, "--- result ---\n%s\n", SafeText(ev.Text))
			} else if ev.Execution != nil {
				io.WriteString(w, summary(*ev.Execution))
			}
		case EventWarning:
			fmt.Fprintf(w, "\nironcurtain: warning: %s\n", escalate.TerminalSafe(ev.Text))
		case EventStop:
			fmt.Fprintf(w, "\nironcurtain: %s\n", escalate.TerminalSafe(ev.Text))
		}
	}
}

// SafeText escapes terminal controls in multi-line text, keeping newlines
// and tabs.
func SafeText(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		parts := strings.Split(l, "\t")
		for j, p := range parts {
			parts[j] = escalate.TerminalSafe(p)
		}
		lines[i] = strings.Join(parts, "\t")
	}
	return strings.Join(lines, "\n")
}

// summary is one line per execution, plus one per denied call: what a
// person watching needs to follow along.
func summary(ex Execution) string {
	var b strings.Builder
	n := map[string]int{}
	for _, c := range ex.Calls {
		n[c.Outcome]++
	}
	fmt.Fprintf(&b, "[%d tool calls: %d ok, %d denied, %d failed", len(ex.Calls), n[OutcomeOK], n[OutcomeDenied], n[OutcomeError])
	if ex.Error != "" {
		fmt.Fprintf(&b, "; %s: %s", escalate.TerminalSafe(ex.Kind), escalate.TerminalSafe(clip(ex.Error, 200)))
	}
	b.WriteString("]\n")
	for _, c := range ex.Calls {
		if c.Outcome == OutcomeDenied {
			fmt.Fprintf(&b, "  denied %s.%s: %s\n", escalate.TerminalSafe(c.Server), escalate.TerminalSafe(c.Tool), escalate.TerminalSafe(clip(c.Detail, 300)))
		}
	}
	return b.String()
}
