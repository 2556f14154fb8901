package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/signal"
	"time"

	"github.com/spf13/cobra"

	"github.com/ironcurtain/ironcurtain-go/internal/audit"
	"github.com/ironcurtain/ironcurtain-go/internal/config"
)

// followInterval is how often tail -f looks for new records: fast enough
// to watch calls happen, slow enough to cost nothing.
const followInterval = 250 * time.Millisecond

func newAuditCmd(e env) *cobra.Command {
	cmd := &cobra.Command{
		Use:           "audit",
		Short:         "Verify and read audit logs",
		Args:          cobra.NoArgs,
		SilenceUsage:  true,
		SilenceErrors: true,
		RunE: func(*cobra.Command, []string) error {
			return usageErr("audit needs a subcommand: verify or tail")
		},
	}
	cmd.AddCommand(newAuditVerifyCmd(e), newAuditTailCmd(e))
	return cmd
}

func newAuditVerifyCmd(e env) *cobra.Command {
	var head string
	cmd := &cobra.Command{
		Use:   "verify [FILE]",
		Short: "Check an audit log's hash chain",
		Long: "Check that every line of FILE is a complete record carrying the hash of the line before it.\n" +
			"Prints \"ok: N lines, chain intact\", or the first broken line as \"FILE: line L: reason\".\n" +
			"The chain cannot show lines cut from the end; --head compares its end with a hash kept elsewhere.\n" +
			"FILE defaults to <home>/audit.jsonl, the gateway's log.\n" +
			"Exit status: 0 intact, 1 broken, 2 bad usage or unreadable file.",
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var name string
			if len(args) == 1 {
				name = args[0]
			} else {
				layout, err := config.Resolve(e.getenv)
				if err != nil {
					return badInput(err)
				}
				name = layout.AuditLog
			}
			f, err := os.Open(name)
			if err != nil {
				return badInput(fmt.Errorf("audit verify: %w", err))
			}
			defer f.Close()
			var n int
			if head != "" {
				n, err = audit.VerifyHead(f, head)
			} else {
				n, err = audit.Verify(f)
			}
			var be *audit.BreakError
			switch {
			case errors.As(err, &be):
				fmt.Fprintf(e.stdout, "%s: line %d: %s\n", oneLine(name), be.Line, oneLine(be.Reason))
				return errFailed
			case err != nil:
				return badInput(fmt.Errorf("audit verify %s: %w", name, err))
			}
			fmt.Fprintf(e.stdout, "ok: %d lines, chain intact\n", n)
			if head == "" {
				fmt.Fprintln(e.stderr, "note: without --head, an edited last line or lines cut from the end cannot be detected")
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&head, "head", "", "expected hash of the last line, as the writer reported it")
	return cmd
}

func newAuditTailCmd(e env) *cobra.Command {
	var follow, jsonOut bool
	var n int
	cmd := &cobra.Command{
		Use:   "tail [FILE]",
		Short: "Show the latest tool calls of an audit log",
		Long: "Show the last records of FILE (default <home>/audit.jsonl) as a table, or with --json as\n" +
			"one JSON record per line. With -f, keep showing records as they are appended until interrupted.\n" +
			"Everything shown is escaped: the agent chose the arguments, and cannot move the cursor or fake a line.\n" +
			"Exit status: 0 shown, 1 the log shrank while followed or output failed, 2 bad usage or unreadable file.",
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if n < 0 {
				return usageErr("--lines %d: must not be negative", n)
			}
			f, err := openTailFile(e, args)
			if err != nil {
				return err
			}
			defer f.Close()
			fi, err := f.Stat()
			if err != nil {
				return badInput(fmt.Errorf("audit tail: %w", err))
			}
			if !fi.Mode().IsRegular() {
				return badInput(fmt.Errorf("audit tail %s: not a regular file", f.Name()))
			}
			lines, end, err := audit.LastLines(f, fi.Size(), n)
			if err != nil {
				return badInput(fmt.Errorf("audit tail %s: %w", f.Name(), err))
			}
			p := &tailPrinter{out: e.stdout, warn: e.stderr, json: jsonOut, loc: time.Local}
			if !jsonOut {
				if _, err := fmt.Fprintln(e.stdout, audit.TableHeader()); err != nil {
					return &exitError{code: 1, err: err}
				}
			}
			for _, l := range lines {
				if err := p.line(l); err != nil {
					return &exitError{code: 1, err: err}
				}
			}
			if !follow {
				return nil
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt)
			defer stop()
			tick := time.NewTicker(followInterval)
			defer tick.Stop()
			if err := audit.Follow(ctx, f, end, tick.C, p.line); err != nil {
				return &exitError{code: 1, err: fmt.Errorf("audit tail %s: %w", f.Name(), err)}
			}
			return nil
		},
	}
	cmd.Flags().BoolVarP(&follow, "follow", "f", false, "keep showing records as they are appended")
	cmd.Flags().BoolVar(&jsonOut, "json", false, "print the records as JSON, one per line")
	cmd.Flags().IntVarP(&n, "lines", "n", 20, "how many of the last records to show first")
	return cmd
}

// openTailFile opens FILE, or the default log, which it never creates.
func openTailFile(e env, args []string) (*os.File, error) {
	if len(args) == 1 {
		f, err := os.Open(args[0])
		if err != nil {
			return nil, badInput(fmt.Errorf("audit tail: %w", err))
		}
		return f, nil
	}
	layout, err := config.Resolve(e.getenv)
	if err != nil {
		return nil, badInput(err)
	}
	f, err := os.Open(layout.AuditLog)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, badInput(fmt.Errorf("no audit log at %s: pass FILE to read another", layout.AuditLog))
	}
	if err != nil {
		return nil, badInput(fmt.Errorf("audit tail: %w", err))
	}
	return f, nil
}

type tailPrinter struct {
	out, warn io.Writer
	json      bool
	loc       *time.Location
}

// line prints one record. A line that is not a record is shown as such
// rather than skipped in the table, so damage is visible; --json output
// stays parseable and the damage goes to the warning stream.
func (p *tailPrinter) line(l []byte) error {
	if p.json {
		safe, err := audit.SafeJSON(l)
		if err != nil {
			fmt.Fprintln(p.warn, "ironcurtain: warning: skipping a line that is "+err.Error())
			return nil
		}
		_, err = fmt.Fprintf(p.out, "%s\n", safe)
		return err
	}
	r, err := audit.ParseLine(l)
	if err != nil {
		_, err = fmt.Fprintln(p.out, audit.Sanitize("?        unreadable line: "+err.Error(), 200))
		return err
	}
	_, err = fmt.Fprintln(p.out, audit.FormatRow(r, p.loc))
	return err
}
