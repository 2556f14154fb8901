package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/spf13/cobra"

	"github.com/ironcurtain/ironcurtain-go/internal/config"
	"github.com/ironcurtain/ironcurtain-go/internal/escalate"
	"github.com/ironcurtain/ironcurtain-go/internal/policy"
)

// listArgsWidth bounds the arguments shown per request in the listing.
const listArgsWidth = 200

func newEscalationsCmd(e env) *cobra.Command {
	var jsonOut bool
	cmd := &cobra.Command{
		Use:   "escalations",
		Short: "List and answer pending approvals of all sessions",
		Long: "Without a subcommand, list the approvals that running sessions are waiting for.\n" +
			"Answer one with approve N, approve+ N (approve, and allow matching calls for the\n" +
			"rest of that session) or deny N, where N is the number in the listing or the\n" +
			"request id. Numbers shift when an earlier request is answered; ids do not.\n" +
			"Exit status: 0 ok, 1 the answer could not be written, 2 bad usage or no such\n" +
			"pending request.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			home, err := escalationsHome(e)
			if err != nil {
				return err
			}
			ps, err := escalate.ListPending(home)
			if err != nil {
				return badInput(err)
			}
			if jsonOut {
				return writePendingJSON(e.stdout, ps)
			}
			if len(ps) == 0 {
				fmt.Fprintln(e.stdout, "no pending escalations")
				return nil
			}
			now := time.Now()
			for _, p := range ps {
				writePending(e.stdout, p, now)
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&jsonOut, "json", false, "print one JSON object per pending request per line")
	cmd.AddCommand(
		newAnswerCmd(e, escalate.DecisionApprove, "Approve one pending request"),
		newAnswerCmd(e, escalate.DecisionApprovePlus, "Approve one pending request and allow matching calls for the rest of its session"),
		newAnswerCmd(e, escalate.DecisionDeny, "Deny one pending request"),
	)
	return cmd
}

func escalationsHome(e env) (string, error) {
	layout, err := config.Resolve(e.getenv)
	if err != nil {
		return "", badInput(err)
	}
	return layout.Home, nil
}

func newAnswerCmd(e env, decision, short string) *cobra.Command {
	return &cobra.Command{
		Use:   decision + " N|ID",
		Short: short,
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			home, err := escalationsHome(e)
			if err != nil {
				return err
			}
			ps, err := escalate.ListPending(home)
			if err != nil {
				return badInput(err)
			}
			p, err := pickPending(ps, args[0])
			if err != nil {
				return badInput(err)
			}
			if err := escalate.Respond(home, p, decision, answeredBy(e)); err != nil {
				if errors.Is(err, escalate.ErrNotPending) {
					return badInput(err)
				}
				return &exitError{code: 1, err: err}
			}
			r := p.Request
			fmt.Fprintf(e.stdout, "%s: request %s of session %s: %s/%s %s\n", decision, r.ID, r.SessionID,
				escalate.TerminalSafe(r.Server), escalate.TerminalSafe(r.Tool), escalate.ArgsSummary(r.Arguments, listArgsWidth))
			if decision == escalate.DecisionApprovePlus {
				if desc, err := escalate.DescribeEntry(r); err == nil {
					fmt.Fprintf(e.stdout, "for the rest of the session also allowed: %s\n", escalate.TerminalSafe(desc))
				}
			}
			return nil
		},
	}
}

// pickPending finds the request named by a list number or a request id.
func pickPending(ps []escalate.Pending, arg string) (escalate.Pending, error) {
	if n, err := strconv.Atoi(arg); err == nil {
		if n < 1 || n > len(ps) {
			return escalate.Pending{}, fmt.Errorf("no pending escalation %d (%d pending; list them with ironcurtain escalations)", n, len(ps))
		}
		return ps[n-1], nil
	}
	var found []escalate.Pending
	for _, p := range ps {
		if p.Request.ID == arg {
			found = append(found, p)
		}
	}
	switch len(found) {
	case 0:
		return escalate.Pending{}, fmt.Errorf("no pending escalation with id %q (list them with ironcurtain escalations)", escalate.TerminalSafe(arg))
	case 1:
		return found[0], nil
	}
	return escalate.Pending{}, fmt.Errorf("request id %q is pending in %d sessions; answer it by number", escalate.TerminalSafe(arg), len(found))
}

// answeredBy labels answers for the audit log; a USER value that is not a
// plain printable name is left out rather than escaped.
func answeredBy(e env) string {
	by := fmt.Sprintf("ironcurtain escalations (uid %d", os.Getuid())
	if u := e.getenv("USER"); u != "" && len(u) <= 64 && printable(u) {
		by += ", " + u
	}
	return by + ")"
}

func printable(s string) bool {
	for _, r := range s {
		if !unicode.IsPrint(r) {
			return false
		}
	}
	return true
}

func writePending(w io.Writer, p escalate.Pending, now time.Time) {
	r := p.Request
	left := p.Expires.Sub(now).Round(time.Second)
	fmt.Fprintf(w, "%d  session %s  %s/%s  expires in %v\n", p.N, r.SessionID, escalate.TerminalSafe(r.Server), escalate.TerminalSafe(r.Tool), left)
	fmt.Fprintf(w, "   rule %s: %s\n", escalate.TerminalSafe(r.Rule), escalate.TerminalSafe(r.Reason))
	fmt.Fprintf(w, "   args %s\n", escalate.ArgsSummary(r.Arguments, listArgsWidth))
	if desc, err := escalate.DescribeEntry(r); err == nil {
		fmt.Fprintf(w, "   approve+ also allows: %s\n", escalate.TerminalSafe(desc))
	} else {
		fmt.Fprintln(w, "   approve+ not available")
	}
	fmt.Fprintf(w, "   id %s\n", r.ID)
}

type pendingJSON struct {
	N              int            `json:"n"`
	ID             string         `json:"id"`
	SessionID      string         `json:"sessionId"`
	Server         string         `json:"server"`
	Tool           string         `json:"tool"`
	Arguments      map[string]any `json:"arguments"`
	Rule           string         `json:"rule"`
	Reason         string         `json:"reason"`
	EscalatedRoles []policy.Role  `json:"escalatedRoles"`
	Values         []valueJSON    `json:"values"`
	Whitelist      string         `json:"whitelist,omitempty"`
	Created        time.Time      `json:"created"`
	Expires        time.Time      `json:"expires"`
}

type valueJSON struct {
	Role  policy.Role `json:"role"`
	Arg   string      `json:"arg"`
	Value string      `json:"value"`
	Host  string      `json:"host,omitempty"`
}

// writePendingJSON prints JSON lines. encoding/json escapes C0 controls
// but passes C1 controls and bidirectional overrides through, which some
// terminals obey; TerminalSafe escapes those as \uXXXX, which inside a JSON
// string decodes to the same text.
func writePendingJSON(w io.Writer, ps []escalate.Pending) error {
	for _, p := range ps {
		r := p.Request
		out := pendingJSON{
			N: p.N, ID: r.ID, SessionID: r.SessionID, Server: r.Server, Tool: r.Tool,
			Arguments: r.Arguments, Rule: r.Rule, Reason: r.Reason,
			EscalatedRoles: r.EscalatedRoles, Values: make([]valueJSON, 0, len(r.Values)),
			Created: p.Created, Expires: p.Expires,
		}
		if out.EscalatedRoles == nil {
			out.EscalatedRoles = []policy.Role{}
		}
		if out.Arguments == nil {
			out.Arguments = map[string]any{}
		}
		for _, v := range r.Values {
			out.Values = append(out.Values, valueJSON(v))
		}
		out.Whitelist, _ = escalate.DescribeEntry(r)
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(out); err != nil {
			return err
		}
		line := escalate.TerminalSafe(strings.TrimSuffix(buf.String(), "\n"))
		if _, err := io.WriteString(w, line+"\n"); err != nil {
			return err
		}
	}
	return nil
}
