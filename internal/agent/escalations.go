package agent

import (
	"context"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/ironcurtain/ironcurtain-go/internal/audit"
	"github.com/ironcurtain/ironcurtain-go/internal/escalate"
)

// Escalations lists and answers one session's pending approvals, for the
// REPL's /approve, /approve+ and /deny.
type Escalations interface {
	// Pending lists the session's pending requests, numbered from 1.
	Pending() ([]escalate.Pending, error)
	// Respond answers one with escalate.DecisionApprove, DecisionApprovePlus
	// or DecisionDeny.
	Respond(p escalate.Pending, decision string) error
}

// SessionEscalations answers through the escalation directory, exactly as
// `ironcurtain escalations` does from another terminal.
type SessionEscalations struct {
	Home      string // IronCurtain's home (absolute)
	SessionID string
	By        string // who answers, for the audit log
}

// Pending lists this session's requests, renumbered from 1.
func (e SessionEscalations) Pending() ([]escalate.Pending, error) {
	all, err := escalate.ListPending(e.Home)
	if err != nil {
		return nil, err
	}
	var out []escalate.Pending
	for _, p := range all {
		if p.Request.SessionID == e.SessionID {
			p.N = len(out) + 1
			out = append(out, p)
		}
	}
	return out, nil
}

// Respond writes the answer file.
func (e SessionEscalations) Respond(p escalate.Pending, decision string) error {
	return escalate.Respond(e.Home, p, decision, e.By)
}

// Announcer is the escalation Prompter of the REPL: it shows each request
// with its number and leaves the answer to /approve N or /deny N (or to
// `ironcurtain escalations` in another terminal). It never answers itself;
// Prompt returns when the request ends some other way.
type Announcer struct {
	Out         io.Writer // must be safe for concurrent use
	Escalations Escalations
}

// Prompt implements escalate.Prompter.
func (a *Announcer) Prompt(ctx context.Context, req escalate.Request) (escalate.Answer, error) {
	n := "?"
	if ps, err := a.Escalations.Pending(); err == nil {
		for _, p := range ps {
			if p.Request.ID == req.ID {
				n = fmt.Sprint(p.N)
			}
		}
	}
	fmt.Fprintf(a.Out, "\nironcurtain: approval %s needed: %s/%s %s\n  rule %s: %s\n  answer with /approve %s, /approve+ %s or /deny %s\n",
		n, escalate.TerminalSafe(req.Server), escalate.TerminalSafe(req.Tool), escalate.ArgsSummary(req.Arguments, 300),
		escalate.TerminalSafe(req.Rule), escalate.TerminalSafe(req.Reason), n, n, n)
	<-ctx.Done()
	return escalate.Answer{}, ctx.Err()
}

// WriteAuditTail writes the last n records of an audit log as a table,
// every field escaped.
func WriteAuditTail(w io.Writer, path string, n int) error {
	f, err := os.OpenFile(path, os.O_RDONLY|noFollow, 0)
	if os.IsNotExist(err) {
		_, err = fmt.Fprintln(w, "no tool calls yet")
		return err
	}
	if err != nil {
		return fmt.Errorf("audit log: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return fmt.Errorf("audit log: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("audit log %s is not a regular file", path)
	}
	lines, _, err := audit.LastLines(f, fi.Size(), n)
	if err != nil {
		return fmt.Errorf("audit log %s: %w", path, err)
	}
	if len(lines) == 0 {
		_, err = fmt.Fprintln(w, "no tool calls yet")
		return err
	}
	fmt.Fprintln(w, audit.TableHeader())
	for _, l := range lines {
		r, err := audit.ParseLine(l)
		if err != nil {
			fmt.Fprintf(w, "(unreadable record: %s)\n", escalate.TerminalSafe(err.Error()))
			continue
		}
		fmt.Fprintln(w, audit.FormatRow(r, time.Local))
	}
	return nil
}

// LockedWriter serializes writes to w, so the REPL, streamed model text
// and escalation notices do not interleave mid-line.
func LockedWriter(w io.Writer) io.Writer { return &lockedWriter{w: w} }

type lockedWriter struct {
	mu sync.Mutex // guards w
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
