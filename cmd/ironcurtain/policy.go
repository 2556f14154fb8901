package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/ironcurtain/ironcurtain-go/internal/config"
	"github.com/ironcurtain/ironcurtain-go/internal/defaultpolicy"
	"github.com/ironcurtain/ironcurtain-go/internal/gitremote"
	"github.com/ironcurtain/ironcurtain-go/internal/policy"
	"github.com/ironcurtain/ironcurtain-go/internal/resource"
	"github.com/ironcurtain/ironcurtain-go/internal/scenario"
)

type policyFlags struct {
	policyDir   string
	annotations string
	servers     string
	sandbox     string
	jsonOut     bool
}

func (f *policyFlags) register(cmd *cobra.Command) {
	onceStringVar(cmd, &f.policyDir, "policy-dir", "directory with compiled-policy.json (default <home>/generated, else the built-in default policy)")
	onceStringVar(cmd, &f.annotations, "annotations", "tool-annotations.json (default <policy-dir>/tool-annotations.json)")
	onceStringVar(cmd, &f.servers, "servers", "mcp-servers.json giving per-server allowed domains (default <home>/mcp-servers.json if present)")
	onceStringVar(cmd, &f.sandbox, "sandbox", "session sandbox directory (default <home>/sandbox)")
	cmd.Flags().BoolVar(&f.jsonOut, "json", false, "print machine-readable JSON")
}

// onceString is a string flag that may be given once and not empty: with
// two --sandbox flags, silently using the last could put the sandbox
// somewhere the user did not mean.
type onceString struct {
	p   *string
	set bool
}

func (o *onceString) String() string {
	if o.p == nil {
		return ""
	}
	return *o.p
}

func (o *onceString) Set(v string) error {
	if o.set {
		return errors.New("given more than once")
	}
	if v == "" {
		return errors.New("must not be empty")
	}
	o.set = true
	*o.p = v
	return nil
}

func (o *onceString) Type() string { return "string" }

func onceStringVar(cmd *cobra.Command, p *string, name, usage string) {
	cmd.Flags().Var(&onceString{p: p}, name, usage)
}

func newPolicyCmd(e env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "policy",
		Short: "Check calls and run scenarios against a compiled policy",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return usageErr("policy needs a subcommand: check or test")
		},
	}
	cmd.AddCommand(newPolicyCheckCmd(e), newPolicyTestCmd(e), newPolicyLintCmd(e), newPolicyDiffCmd(e))
	return cmd
}

// loaded is an engine with where its files came from.
type loaded struct {
	engine    *policy.Engine
	policyDir string // "" for the built-in default policy
	warnings  []string
	layout    config.Layout
	servers   config.Servers // nil when no server config was found
}

// loadEngine builds the engine from flags and defaults. It only reads:
// <home> need not exist. Without --policy-dir and with no compiled policy
// in <home>/generated, the built-in default policy is used.
func loadEngine(e env, f *policyFlags) (*loaded, error) {
	layout, err := config.Resolve(e.getenv)
	if err != nil {
		return nil, badInput(err)
	}
	dir, err := absPath(f.policyDir)
	if err != nil {
		return nil, err
	}
	builtin := false
	if dir == "" {
		dir = layout.PolicyDir
		if _, err := os.Stat(filepath.Join(dir, "compiled-policy.json")); errors.Is(err, fs.ErrNotExist) {
			builtin = true
		}
	}
	annFile, err := absPath(f.annotations)
	if err != nil {
		return nil, err
	}
	var pol *policy.Policy
	var ann *policy.Annotations
	if builtin {
		pol, ann, err = loadBuiltin(annFile)
		dir = ""
	} else {
		pol, ann, annFile, err = loadDir(dir, annFile)
	}
	if err != nil {
		return nil, err
	}
	serversFile, err := absPath(f.servers)
	if err != nil {
		return nil, err
	}
	var servers config.Servers
	switch {
	case serversFile != "":
		if servers, err = config.LoadServers(serversFile); err != nil {
			return nil, badInput(err)
		}
	default:
		serversFile = layout.Servers
		servers, err = config.LoadServers(serversFile)
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, badInput(err)
		}
	}
	sandbox, err := absPath(f.sandbox)
	if err != nil {
		return nil, err
	}
	if sandbox == "" {
		sandbox = layout.Sandbox
	}
	if err := checkSandbox(sandbox, layout); err != nil {
		return nil, err
	}
	eng, err := policy.New(policy.Config{
		Policy:           pol,
		Annotations:      ann,
		Home:             layout.UserHome,
		Sandbox:          sandbox,
		Protected:        layout.Protected(dir, annFile, serversFile),
		DomainAllowlists: servers.DomainAllowlists(),
		FS:               resource.OSFS{},
		Remotes:          gitremote.Git{},
	})
	if err != nil {
		return nil, badInput(err)
	}
	layout.Sandbox = sandbox
	return &loaded{engine: eng, policyDir: dir, warnings: pol.Warnings, layout: layout, servers: servers}, nil
}

// checkSandbox refuses a sandbox that would exempt what it must not: the
// sandbox is where everything is allowed, so / or a directory containing
// the user's home (with ~/.ssh in it) or IronCurtain's home is a mistake,
// not a choice. A sandbox that exists must be a directory.
func checkSandbox(sandbox string, l config.Layout) error {
	sb := resource.Path(sandbox)
	for _, p := range append([]string{l.UserHome}, l.Protected()...) {
		if resource.Path(p).Within(sb) {
			return badInput(fmt.Errorf("sandbox %s contains %s, which the sandbox must never expose; choose another directory", sandbox, p))
		}
	}
	if fi, err := os.Stat(sandbox); err == nil && !fi.IsDir() {
		return badInput(fmt.Errorf("sandbox %s is not a directory", sandbox))
	}
	return nil
}

func absPath(p string) (string, error) {
	if p == "" {
		return "", nil
	}
	a, err := filepath.Abs(p)
	if err != nil {
		return "", badInput(fmt.Errorf("path %q: %w", p, err))
	}
	return a, nil
}

// loadDir reads a compiled policy directory.
func loadDir(dir, annFile string) (*policy.Policy, *policy.Annotations, string, error) {
	policyFile := filepath.Join(dir, "compiled-policy.json")
	if _, err := os.Stat(policyFile); err != nil {
		return nil, nil, "", badInput(fmt.Errorf("policy: %w", err))
	}
	if annFile == "" {
		annFile = filepath.Join(dir, "tool-annotations.json")
	}
	listsFile := filepath.Join(dir, "dynamic-lists.json")
	if _, err := os.Lstat(listsFile); errors.Is(err, fs.ErrNotExist) {
		listsFile = "" // lists are optional; an @reference to a missing list matches nothing
	}
	pol, err := policy.LoadPolicy(policyFile, listsFile)
	if err != nil {
		return nil, nil, "", badInput(err)
	}
	ann, err := policy.LoadAnnotations(annFile)
	if err != nil {
		return nil, nil, "", badInput(err)
	}
	return pol, ann, annFile, nil
}

// loadBuiltin reads the default policy embedded in the binary; annFile,
// if given, replaces its annotations.
func loadBuiltin(annFile string) (*policy.Policy, *policy.Annotations, error) {
	read := func(name string) []byte {
		b, err := defaultpolicy.Read(name)
		if err != nil {
			panic(err) // embedded at build time
		}
		return b
	}
	pol, err := policy.ParsePolicy("built-in "+defaultpolicy.Policy, read(defaultpolicy.Policy), "built-in "+defaultpolicy.Lists, read(defaultpolicy.Lists))
	if err != nil {
		return nil, nil, badInput(err)
	}
	var ann *policy.Annotations
	if annFile != "" {
		ann, err = policy.LoadAnnotations(annFile)
	} else {
		ann, err = policy.ParseAnnotations("built-in "+defaultpolicy.Annotations, read(defaultpolicy.Annotations))
	}
	if err != nil {
		return nil, nil, badInput(err)
	}
	return pol, ann, nil
}

func warn(e env, l *loaded) {
	for _, w := range l.warnings {
		fmt.Fprintln(e.stderr, "ironcurtain: warning: "+oneLine(w))
	}
}

func newPolicyCheckCmd(e env) *cobra.Command {
	var f policyFlags
	var explain bool
	cmd := &cobra.Command{
		Use:   "check [CALL_JSON | -]",
		Short: "Decide one tool call: allow, deny or escalate",
		Long: "Decide one tool call given as JSON {\"serverName\":..,\"toolName\":..,\"arguments\":{..}},\n" +
			"as an argument, or on standard input with - or no argument.\n" +
			"Exit status: 0 allow, 1 deny or escalate, 2 bad usage or input.",
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var data []byte
			if len(args) == 0 || args[0] == "-" {
				b, err := io.ReadAll(io.LimitReader(e.stdin, policy.MaxCallSize+1))
				if err != nil {
					return badInput(fmt.Errorf("read call from standard input: %w", err))
				}
				if len(b) > policy.MaxCallSize {
					return badInput(fmt.Errorf("call: more than %d bytes on standard input", policy.MaxCallSize))
				}
				data = b
			} else {
				data = []byte(args[0])
			}
			call, err := policy.ParseCall(data)
			if err != nil {
				return badInput(err)
			}
			l, err := loadEngine(e, &f)
			if err != nil {
				return err
			}
			warn(e, l)
			var d policy.Decision
			if explain {
				d = l.engine.Explain(call)
			} else {
				d = l.engine.Decide(call)
			}
			if f.jsonOut {
				if err := writeDecisionJSON(e.stdout, d, explain); err != nil {
					return err
				}
			} else if err := policy.WriteDecision(e.stdout, d, explain); err != nil {
				return fmt.Errorf("write decision: %w", err)
			}
			if d.Verdict != policy.Allow {
				return errFailed
			}
			return nil
		},
	}
	f.register(cmd)
	cmd.Flags().BoolVar(&explain, "explain", false, "show which invariant or rule saw which argument value")
	return cmd
}

type decisionJSON struct {
	Decision       policy.Verdict `json:"decision"`
	Rule           string         `json:"rule"`
	Reason         string         `json:"reason"`
	EscalatedRoles []policy.Role  `json:"escalatedRoles"`
	Arguments      map[string]any `json:"arguments"`
	Trace          []policy.Step  `json:"trace,omitempty"`
}

func writeDecisionJSON(w io.Writer, d policy.Decision, explain bool) error {
	out := decisionJSON{
		Decision:       d.Verdict,
		Rule:           d.Rule,
		Reason:         d.Reason,
		EscalatedRoles: d.EscalatedRoles,
		Arguments:      d.Arguments,
	}
	if out.EscalatedRoles == nil {
		out.EscalatedRoles = []policy.Role{}
	}
	if out.Arguments == nil {
		out.Arguments = map[string]any{}
	}
	if explain {
		out.Trace = d.Trace
	}
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc.Encode(out)
}

func newPolicyTestCmd(e env) *cobra.Command {
	var f policyFlags
	var scenariosFile string
	var explain bool
	cmd := &cobra.Command{
		Use:   "test",
		Short: "Run a test-scenarios.json file against the policy",
		Long: "Run every scenario and print the failures and a last line \"N passed, M failed\".\n" +
			"With --json, print one JSON object per scenario per line instead (the summary goes to stderr).\n" +
			"Exit status: 0 all passed, 1 some failed, 2 bad usage or input.",
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) > 0 {
				return usageErr("policy test takes no arguments (got %q); name the scenario file with --scenarios FILE", args[0])
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, _ []string) error {
			l, err := loadEngine(e, &f)
			if err != nil {
				return err
			}
			warn(e, l)
			var scs []scenario.Scenario
			switch {
			case scenariosFile == "-":
				data, rerr := io.ReadAll(io.LimitReader(e.stdin, scenario.MaxFileSize+1))
				if rerr != nil {
					return badInput(fmt.Errorf("read scenarios from standard input: %w", rerr))
				}
				scs, err = scenario.Parse("standard input", data)
			case scenariosFile != "":
				scs, err = scenario.Load(scenariosFile)
			case l.policyDir != "":
				scs, err = scenario.Load(filepath.Join(l.policyDir, "test-scenarios.json"))
			default:
				data, rerr := defaultpolicy.Read(defaultpolicy.Scenarios)
				if rerr != nil {
					return rerr
				}
				scs, err = scenario.Parse("built-in "+defaultpolicy.Scenarios, data)
			}
			if err != nil {
				return badInput(err)
			}
			if len(scs) == 0 {
				fmt.Fprintln(e.stderr, "ironcurtain: warning: the scenario file holds no scenarios")
			}
			results := scenario.Run(l.engine, scs)
			passed, failed := 0, 0
			enc := json.NewEncoder(e.stdout)
			enc.SetEscapeHTML(false)
			for _, r := range results {
				if r.Pass {
					passed++
				} else {
					failed++
				}
				if f.jsonOut {
					if err := enc.Encode(r); err != nil {
						return err
					}
					continue
				}
				if !r.Pass {
					fmt.Fprintf(e.stdout, "FAIL #%d %s: expected %s, got %s (rule %s)\n",
						r.Index, oneLine(r.Description), r.Expected, r.Decision, oneLine(r.Rule))
					if explain {
						if err := policy.WriteDecision(e.stdout, l.engine.Explain(r.Call), true); err != nil {
							return fmt.Errorf("write explanation: %w", err)
						}
					}
				}
			}
			summary := fmt.Sprintf("%d passed, %d failed", passed, failed)
			if f.jsonOut {
				fmt.Fprintln(e.stderr, summary)
			} else {
				fmt.Fprintln(e.stdout, summary)
			}
			if failed > 0 {
				return errFailed
			}
			return nil
		},
	}
	f.register(cmd)
	onceStringVar(cmd, &scenariosFile, "scenarios", "test-scenarios.json to run, - for standard input (default <policy-dir>/test-scenarios.json)")
	cmd.Flags().BoolVar(&explain, "explain", false, "show the trace of each failing scenario")
	return cmd
}
