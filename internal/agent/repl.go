package agent

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/ironcurtain/ironcurtain-go/internal/escalate"
)

// maxInputLine bounds one line typed at the REPL.
const maxInputLine = 1 << 20

// REPLConfig configures the interactive loop of `ironcurtain start`.
type REPLConfig struct {
	In    io.Reader // the person's keystrokes: the only trusted input here
	Out   io.Writer // must be safe for concurrent use (see LockedWriter)
	Agent *Agent    // required
	// Escalations answers /approve, /approve+ and /deny; nil disables them.
	Escalations Escalations
	// Logs writes recent audit records for /logs; nil disables it.
	Logs func(w io.Writer) error
}

const replHelp = `Type a task or a follow-up and press Enter. Commands:
  /approve N    approve pending request N
  /approve+ N   approve it and allow matching calls for the rest of the session
  /deny N       deny pending request N
  /pending      list pending requests
  /budget       show what the session has used
  /logs         show the latest tool calls
  /quit         end the session (it can be resumed with --resume)
`

// RunREPL reads lines from In until /quit, the end of In, or ctx ends.
// A line runs a turn in the background, so commands (approvals above
// all) still work while the agent waits for one. It returns ctx's error
// if ctx ended, else nil; a failed turn is reported and the loop goes on.
func RunREPL(ctx context.Context, cfg REPLConfig) error {
	if cfg.Agent == nil {
		return errors.New("repl: no agent")
	}
	lines := make(chan inputLine)
	go readLines(cfg.In, lines) // ends with In; an unread line is dropped
	type done struct {
		res Result
		err error
	}
	var (
		turnDone   chan done
		cancelTurn context.CancelFunc = func() {}
	)
	finish := func() {
		if turnDone != nil {
			cancelTurn()
			<-turnDone
		}
	}
	out := cfg.Out
	fmt.Fprintf(out, "IronCurtain session %s, sandbox %s. /help lists commands.\n> ", cfg.Agent.cfg.Session.ID, cfg.Agent.cfg.Session.Sandbox)
	for {
		select {
		case <-ctx.Done():
			finish()
			return ctx.Err()
		case d := <-turnDone:
			turnDone = nil
			cancelTurn()
			reportTurn(out, d.res, d.err)
			io.WriteString(out, "> ")
		case in, ok := <-lines:
			if !ok {
				if turnDone != nil {
					d := <-turnDone
					cancelTurn()
					reportTurn(out, d.res, d.err)
				}
				fmt.Fprintln(out)
				return nil
			}
			if in.tooLong {
				fmt.Fprintf(out, "ironcurtain: line longer than %d bytes ignored\n", maxInputLine)
				continue
			}
			line := strings.TrimSpace(in.text)
			if strings.HasPrefix(line, "/") {
				if quit := runCommand(out, cfg, line); quit {
					finish()
					return nil
				}
				if turnDone == nil {
					io.WriteString(out, "> ")
				}
				continue
			}
			switch {
			case line == "":
				if turnDone == nil {
					io.WriteString(out, "> ")
				}
			case turnDone != nil:
				fmt.Fprintln(out, "ironcurtain: the agent is still working; wait for it, answer approvals with /approve N or /deny N, or /quit")
			default:
				tctx, cancel := context.WithCancel(ctx)
				cancelTurn = cancel
				turnDone = make(chan done, 1)
				go func(ch chan done) {
					res, err := cfg.Agent.Turn(tctx, line)
					ch <- done{res, err}
				}(turnDone)
			}
		}
	}
}

func reportTurn(out io.Writer, res Result, err error) {
	switch {
	case err != nil:
		fmt.Fprintf(out, "\nironcurtain: %s\n", escalate.TerminalSafe(err.Error()))
	case res.Stop == StopDone:
		fmt.Fprintln(out)
	default:
		fmt.Fprintf(out, "\nironcurtain: turn ended (%s)\n", res.Stop)
	}
}

// runCommand runs one slash command; it reports whether to quit.
func runCommand(out io.Writer, cfg REPLConfig, line string) bool {
	fields := strings.Fields(line)
	cmd, args := fields[0], fields[1:]
	switch cmd {
	case "/quit", "/exit":
		return true
	case "/help":
		io.WriteString(out, replHelp)
	case "/budget":
		a := cfg.Agent
		io.WriteString(out, FormatBudget(a.Budget(), a.Spent()))
	case "/logs":
		if cfg.Logs == nil {
			fmt.Fprintln(out, "ironcurtain: no audit log in this session")
		} else if err := cfg.Logs(out); err != nil {
			fmt.Fprintf(out, "ironcurtain: %s\n", escalate.TerminalSafe(err.Error()))
		}
	case "/pending":
		listPending(out, cfg.Escalations)
	case "/approve", "/approve+", "/deny":
		decision := map[string]string{"/approve": escalate.DecisionApprove, "/approve+": escalate.DecisionApprovePlus, "/deny": escalate.DecisionDeny}[cmd]
		if err := answer(out, cfg.Escalations, decision, args); err != nil {
			fmt.Fprintf(out, "ironcurtain: %s %s\n", cmd, escalate.TerminalSafe(err.Error()))
		}
	default:
		fmt.Fprintf(out, "ironcurtain: unknown command %s (/help lists them)\n", escalate.TerminalSafe(cmd))
	}
	return false
}

func listPending(out io.Writer, esc Escalations) {
	if esc == nil {
		fmt.Fprintln(out, "ironcurtain: approvals are not answered here in this session")
		return
	}
	ps, err := esc.Pending()
	if err != nil {
		fmt.Fprintf(out, "ironcurtain: %s\n", escalate.TerminalSafe(err.Error()))
		return
	}
	if len(ps) == 0 {
		fmt.Fprintln(out, "no pending approvals")
	}
	for _, p := range ps {
		r := p.Request
		fmt.Fprintf(out, "%d  %s/%s %s\n   rule %s: %s\n", p.N, escalate.TerminalSafe(r.Server), escalate.TerminalSafe(r.Tool),
			escalate.ArgsSummary(r.Arguments, 300), escalate.TerminalSafe(r.Rule), escalate.TerminalSafe(r.Reason))
	}
}

func answer(out io.Writer, esc Escalations, decision string, args []string) error {
	if esc == nil {
		return errors.New("is not available in this session")
	}
	if len(args) != 1 {
		return errors.New("needs the number of a pending request (/pending lists them)")
	}
	n, err := strconv.Atoi(args[0])
	if err != nil || n < 1 {
		return fmt.Errorf("%q is not a request number", args[0])
	}
	ps, err := esc.Pending()
	if err != nil {
		return err
	}
	if n > len(ps) {
		return fmt.Errorf("no pending request %d (%d pending)", n, len(ps))
	}
	p := ps[n-1]
	if err := esc.Respond(p, decision); err != nil {
		return err
	}
	fmt.Fprintf(out, "%s: %s/%s %s\n", decision, escalate.TerminalSafe(p.Request.Server), escalate.TerminalSafe(p.Request.Tool),
		escalate.ArgsSummary(p.Request.Arguments, 300))
	return nil
}

type inputLine struct {
	text    string
	tooLong bool
}

// readLines sends In's lines to ch and closes it at the end of In. An
// overlong line is dropped whole rather than split into several inputs.
func readLines(in io.Reader, ch chan<- inputLine) {
	defer close(ch)
	r := bufio.NewReaderSize(in, 64<<10)
	for {
		var b []byte
		long := false
		for {
			chunk, isPrefix, err := r.ReadLine()
			if err != nil {
				if len(b) > 0 || long {
					ch <- inputLine{text: string(b), tooLong: long}
				}
				return
			}
			if len(b)+len(chunk) > maxInputLine {
				long = true
			}
			if !long {
				b = append(b, chunk...)
			}
			if !isPrefix {
				break
			}
		}
		ch <- inputLine{text: string(b), tooLong: long}
	}
}
