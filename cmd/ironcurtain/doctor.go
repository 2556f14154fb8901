package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/ironcurtain/ironcurtain-go/internal/cage"
	"github.com/ironcurtain/ironcurtain-go/internal/config"
)

// cageProbeCmdName is the hidden subcommand doctor re-executes the binary
// with, to see a locked-down worker from outside and inside.
const cageProbeCmdName = "cage-probe"

// probeTimeout bounds the probe worker; it does a few milliseconds of work.
const probeTimeout = 10 * time.Second

// probeCommand says how to re-execute this program as the cage probe:
// the absolute path and the full argument list.
type probeCommand func() (path string, args []string, err error)

func selfProbe() (string, []string, error) {
	exe, err := os.Executable()
	if err != nil {
		return "", nil, fmt.Errorf("find this program: %w", err)
	}
	return exe, []string{exe, cageProbeCmdName}, nil
}

// checkItem is one line of doctor's report.
type checkItem struct {
	Name   string `json:"name"`
	OK     bool   `json:"ok"`
	Detail string `json:"detail"`
}

type checkSection struct {
	Name  string      `json:"name"`
	Items []checkItem `json:"items"`
}

type doctorReport struct {
	// OK is the exit status: the cage essentials (seccomp, and the
	// network namespace or Landlock) were seen in force in a worker.
	OK       bool           `json:"ok"`
	Summary  string         `json:"summary"`
	Sections []checkSection `json:"sections"`
}

func newDoctorCmd(e env) *cobra.Command { return newDoctorCmdWith(e, selfProbe) }

func newDoctorCmdWith(e env, probe probeCommand) *cobra.Command {
	var jsonOut bool
	cmd := &cobra.Command{
		Use:   "doctor",
		Short: "Check the machine: sandboxing support, tools, home, keys, servers",
		Long: "Report what the OS cage can use on this machine (each namespace, seccomp, Landlock,\n" +
			"no_new_privs, capabilities, rlimits), then start a caged worker and check from outside\n" +
			"and inside what it really got. Also: git, node and npm on PATH, the home directory,\n" +
			"whether API keys are set (never their values) and whether mcp-servers.json parses.\n" +
			"Creates nothing. Exit status: 0 when seccomp and the network namespace or Landlock\n" +
			"were in force in the worker, 1 otherwise.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			rep := runDoctor(cmd.Context(), e, probe)
			if jsonOut {
				enc := json.NewEncoder(e.stdout)
				enc.SetEscapeHTML(false)
				if err := enc.Encode(rep); err != nil {
					return err
				}
			} else {
				printDoctor(e.stdout, rep)
			}
			if !rep.OK {
				return errFailed
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&jsonOut, "json", false, "print the report as JSON")
	return cmd
}

func runDoctor(ctx context.Context, e env, probe probeCommand) doctorReport {
	if ctx == nil {
		ctx = context.Background()
	}
	var rep doctorReport
	rep.Sections = append(rep.Sections, checkSection{Name: "cage on this machine", Items: fromCage(cage.Probe())})
	worker, werr := runProbeWorker(ctx, probe)
	if werr != nil {
		rep.Sections = append(rep.Sections, checkSection{Name: "caged worker", Items: []checkItem{{Name: "worker", Detail: werr.Error()}}})
		rep.Summary = "cage not verified: the probe worker failed"
	} else {
		rep.Sections = append(rep.Sections, checkSection{Name: "caged worker", Items: fromCage(worker)})
		seccomp := worker.Applied("seccomp")
		isolated := worker.Applied("ns.net") || worker.Applied("landlock")
		rep.OK = seccomp && isolated
		switch {
		case rep.OK:
			rep.Summary = "cage essentials in force: seccomp, and the network namespace or Landlock"
		case !seccomp:
			rep.Summary = "cage essentials missing: no seccomp filter in the worker"
		default:
			rep.Summary = "cage essentials missing: neither a network namespace nor Landlock in the worker"
		}
	}
	rep.Sections = append(rep.Sections,
		checkSection{Name: "tools", Items: toolChecks(e.getenv("PATH"))},
		checkSection{Name: "home", Items: homeChecks(e)},
		checkSection{Name: "keys", Items: keyChecks(e)})
	return rep
}

func fromCage(r cage.Report) []checkItem {
	out := make([]checkItem, len(r.Items))
	for i, it := range r.Items {
		out[i] = checkItem{Name: it.Name, OK: it.Applied, Detail: it.Detail}
	}
	return out
}

// runProbeWorker starts the probe caged as a code worker would be, reads
// its report (hostile input: the worker could be compromised), checks its
// namespaces from outside, and lets it go. The report it returns lists the
// namespaces as seen from outside, then the worker's own lockdown report
// and checks.
func runProbeWorker(ctx context.Context, probe probeCommand) (cage.Report, error) {
	path, args, err := probe()
	if err != nil {
		return cage.Report{}, err
	}
	inR, inW, err := os.Pipe()
	if err != nil {
		return cage.Report{}, err
	}
	defer inW.Close()
	outR, outW, err := os.Pipe()
	if err != nil {
		inR.Close()
		return cage.Report{}, err
	}
	defer outR.Close()
	stderr := &headBuffer{max: 2048}
	p, err := cage.Start(ctx, cage.Spec{
		Path: path, Args: args,
		Stdin: inR, Stdout: outW, Stderr: stderr,
		Namespaces: cage.AllNamespaces(),
		Timeout:    probeTimeout,
	})
	inR.Close()
	outW.Close()
	if err != nil {
		return cage.Report{}, err
	}
	defer func() {
		p.Kill()
		_, _ = p.Wait()
	}()
	line, readErr := bufio.NewReader(io.LimitReader(outR, cage.MaxReportSize+1)).ReadBytes('\n')
	var ns cage.Report
	if readErr == nil {
		ns = p.CheckNamespaces() // while the worker waits for its stdin to close
	}
	inW.Close()
	ex, waitErr := p.Wait()
	switch {
	case readErr != nil:
		return cage.Report{}, fmt.Errorf("probe worker gave no report (%v): %s", ex, stderr.String())
	case waitErr != nil:
		return cage.Report{}, waitErr
	case ex != (cage.Exit{}):
		return cage.Report{}, fmt.Errorf("probe worker: %v: %s", ex, stderr.String())
	}
	inside, err := cage.DecodeReport(line)
	if err != nil {
		return cage.Report{}, err
	}
	// Namespaces come from outside only: the worker's word is not needed.
	var out cage.Report
	out.Items = append(out.Items, ns.Items...)
	for _, it := range inside.Items {
		if _, dup := ns.Get(it.Name); !dup {
			out.Items = append(out.Items, it)
		}
	}
	return out, nil
}

// headBuffer keeps the first max bytes written to it, for a one-line
// error; the rest is dropped, not an error, so the child is never blocked.
type headBuffer struct {
	mu  sync.Mutex
	max int
	b   []byte
}

func (h *headBuffer) Write(p []byte) (int, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if room := h.max - len(h.b); room > 0 {
		h.b = append(h.b, p[:min(room, len(p))]...)
	}
	return len(p), nil
}

func (h *headBuffer) String() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.b) == 0 {
		return "no error output"
	}
	return string(h.b)
}

func newCageProbeCmd(e env) *cobra.Command {
	return &cobra.Command{
		Use:           cageProbeCmdName,
		Short:         "Lock this process down as a code worker and report what held (used by doctor)",
		Hidden:        true,
		Args:          cobra.NoArgs,
		SilenceUsage:  true,
		SilenceErrors: true,
		RunE: func(*cobra.Command, []string) error {
			rep, err := probeLockdown().Apply()
			if err != nil {
				return &exitError{code: 1, err: fmt.Errorf("lockdown: %w", err)}
			}
			rep.Items = append(rep.Items, cage.Verify().Items...)
			if err := json.NewEncoder(e.stdout).Encode(rep); err != nil {
				return err
			}
			// Stay until the parent has looked at the namespaces.
			_, _ = io.Copy(io.Discard, e.stdin)
			return nil
		},
	}
}

// probeLockdown is a code worker's lockdown, short of an address-space
// limit, which would say nothing doctor does not already report.
func probeLockdown() cage.Lockdown {
	return cage.Lockdown{
		Rlimits:          cage.Rlimits{CPUSeconds: 10, OpenFiles: 64, Processes: 512},
		DropCapabilities: true,
		NoNewPrivs:       true,
		Landlock:         true,
		Seccomp:          cage.DefaultWorkerSeccomp(),
	}
}

func toolChecks(path string) []checkItem {
	var out []checkItem
	for _, t := range []struct{ name, why string }{
		{"git", "the git server runs it"},
		{"node", "optional: for MCP servers written in JavaScript"},
		{"npm", "optional: to install MCP servers from npm"},
	} {
		if p := lookPath(path, t.name); p != "" {
			out = append(out, checkItem{Name: t.name, OK: true, Detail: p})
		} else {
			out = append(out, checkItem{Name: t.name, Detail: "not on PATH (" + t.why + ")"})
		}
	}
	return out
}

// lookPath finds an executable in the given PATH (not this process's: the
// command's environment is passed in). Relative entries are skipped.
func lookPath(path, name string) string {
	for _, dir := range filepath.SplitList(path) {
		if !filepath.IsAbs(dir) {
			continue
		}
		p := filepath.Join(dir, name)
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0 {
			return p
		}
	}
	return ""
}

func homeChecks(e env) []checkItem {
	layout, err := config.Resolve(e.getenv)
	if err != nil {
		return []checkItem{{Name: "home", Detail: err.Error()}}
	}
	var out []checkItem
	switch fi, err := os.Stat(layout.Home); {
	case err == nil && fi.IsDir():
		out = append(out, checkItem{Name: "home", OK: true, Detail: layout.Home})
	case err == nil:
		out = append(out, checkItem{Name: "home", Detail: layout.Home + " is not a directory"})
	case errors.Is(err, fs.ErrNotExist):
		out = append(out, checkItem{Name: "home", OK: true, Detail: layout.Home + " does not exist yet (made on first use)"})
	default:
		out = append(out, checkItem{Name: "home", Detail: err.Error()})
	}
	switch servers, err := config.LoadServers(layout.Servers); {
	case err == nil:
		out = append(out, checkItem{Name: "mcp-servers.json", OK: true, Detail: fmt.Sprintf("%s: %d servers", layout.Servers, len(servers))})
	case errors.Is(err, fs.ErrNotExist):
		out = append(out, checkItem{Name: "mcp-servers.json", OK: true, Detail: "none (the bundled servers are used)"})
	default:
		out = append(out, checkItem{Name: "mcp-servers.json", Detail: err.Error()})
	}
	return out
}

func keyChecks(e env) []checkItem {
	var out []checkItem
	for _, k := range []string{"ANTHROPIC_API_KEY", "OPENAI_API_KEY"} {
		if e.getenv(k) != "" {
			out = append(out, checkItem{Name: k, OK: true, Detail: "set"})
		} else {
			out = append(out, checkItem{Name: k, Detail: "not set"})
		}
	}
	return out
}

func printDoctor(w io.Writer, rep doctorReport) {
	for _, s := range rep.Sections {
		fmt.Fprintln(w, s.Name)
		for _, it := range s.Items {
			mark := "no "
			if it.OK {
				mark = "yes"
			}
			fmt.Fprintf(w, "  %-18s %s  %s\n", oneLine(it.Name), mark, oneLine(it.Detail))
		}
	}
	fmt.Fprintln(w, oneLine(rep.Summary))
}
