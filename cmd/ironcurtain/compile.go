package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/ironcurtain/ironcurtain-go/internal/compile"
	"github.com/ironcurtain/ironcurtain-go/internal/config"
	"github.com/ironcurtain/ironcurtain-go/internal/defaultpolicy"
	"github.com/ironcurtain/ironcurtain-go/internal/llm"
	"github.com/ironcurtain/ironcurtain-go/internal/policy"
	"github.com/ironcurtain/ironcurtain-go/internal/policydiff"
	"github.com/ironcurtain/ironcurtain-go/internal/resource"
	"github.com/ironcurtain/ironcurtain-go/internal/scenario"
)

// defaultCompileModel is the model compile-policy uses without -m.
const defaultCompileModel = "anthropic:claude-sonnet-4-5"

// diffLines is how many changed calls are shown before a policy is replaced.
const diffLines = 20

type compileFlags struct {
	constitution string
	servers      []string
	outputDir    string
	accept       bool
	model        string
	concurrent   int
}

func newCompilePolicyCmd(e env) *cobra.Command {
	var f compileFlags
	cmd := &cobra.Command{
		Use:   "compile-policy [--constitution FILE] [--server NAME] [--output-dir DIR]",
		Short: "Compile the constitution into verified policy rules with an LLM",
		Long: "Compile our base constitution plus <home>/constitution-user.md (or --constitution FILE instead\n" +
			"of the user part) into rules for every annotated server, generate test scenarios, run them on\n" +
			"the real engine and repair failures with an LLM judge for up to 3 rounds. The policy is\n" +
			"deployed only if every scenario passes (or with --accept-failures, which records the\n" +
			"failures in compile-failures.json). Unchanged servers are taken from the cache without a\n" +
			"model call. Every request is appended to <home>/generated/llm-interactions.jsonl.\n" +
			"Exit status: 0 deployed, 1 not verified, 2 bad usage or input.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if f.concurrent < 1 || f.concurrent > 32 {
				return usageErr("--max-concurrent %d is outside 1..32", f.concurrent)
			}
			return runCompilePolicy(cmd, e, f)
		},
	}
	cmd.Flags().StringVar(&f.constitution, "constitution", "", "use this file instead of <home>/constitution-user.md")
	cmd.Flags().StringArrayVar(&f.servers, "server", nil, "compile only this server (repeatable); others keep their cached rules")
	cmd.Flags().StringVar(&f.outputDir, "output-dir", "", "policy directory to write (default <home>/generated)")
	cmd.Flags().BoolVar(&f.accept, "accept-failures", false, "deploy even if scenarios fail, recording them")
	cmd.Flags().StringVarP(&f.model, "model", "m", defaultCompileModel, "model as PROVIDER:MODEL")
	cmd.Flags().IntVar(&f.concurrent, "max-concurrent", compile.DefaultMaxConcurrent, "concurrent model requests")
	return cmd
}

// readConstitution joins the base text with the user's part.
func readConstitution(layout config.Layout, file string) (string, error) {
	base, err := defaultpolicy.Read(defaultpolicy.Constitution)
	if err != nil {
		return "", err
	}
	name, explicit := file, file != ""
	if !explicit {
		name = filepath.Join(layout.Home, "constitution-user.md")
	}
	user, err := readBounded(name)
	switch {
	case errors.Is(err, fs.ErrNotExist) && !explicit:
		return string(base), nil
	case err != nil:
		return "", err
	}
	if err := compile.CheckConstitution(name, user); err != nil {
		return "", err
	}
	text := string(base) + "\n\n" + string(user)
	if err := compile.CheckConstitution("(base + "+name+")", []byte(text)); err != nil {
		return "", err
	}
	return text, nil
}

// readBounded reads a file, refusing one past the constitution limit
// without reading it all.
func readBounded(name string) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, fmt.Errorf("constitution: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, compile.MaxConstitutionBytes+1))
	if err != nil {
		return nil, fmt.Errorf("constitution %s: %w", name, err)
	}
	return data, nil
}

func runCompilePolicy(cmd *cobra.Command, e env, f compileFlags) error {
	layout, err := config.Resolve(e.getenv)
	if err != nil {
		return badInput(err)
	}
	settings, err := config.LoadSettings(layout.Config)
	if err != nil {
		return badInput(err)
	}
	constitution, err := readConstitution(layout, f.constitution)
	if err != nil {
		return badInput(err)
	}
	// The key before anything is started or written.
	provider, err := llm.New(f.model, llm.Config{Getenv: e.getenv, ConfigPath: layout.Config, Keys: settings.Keys, BaseURLs: settings.BaseURLs})
	if err != nil {
		return badInput(err)
	}
	ann, annName, err := loadCompileAnnotations(layout)
	if err != nil {
		return badInput(err)
	}
	var annotated []string
	for _, t := range ann.Tools() {
		if !slices.Contains(annotated, t.Server) {
			annotated = append(annotated, t.Server)
		}
	}
	servers := annotated
	if len(f.servers) > 0 {
		for _, s := range f.servers {
			if !slices.Contains(annotated, s) {
				return usageErr("--server %q: no tools of that server are annotated in %s", s, annName)
			}
		}
		servers = f.servers
	}
	outDir := layout.PolicyDir
	if f.outputDir != "" {
		if outDir, err = filepath.Abs(f.outputDir); err != nil {
			return usageErr("--output-dir: %v", err)
		}
	}
	cache, err := os.ReadFile(filepath.Join(outDir, compile.CacheFile))
	if errors.Is(err, fs.ErrNotExist) {
		cache = nil
	} else if err != nil {
		return badInput(err)
	}
	lists, err := readOptional(filepath.Join(outDir, compile.ListsFile))
	if err != nil {
		return badInput(err)
	}
	if err := os.MkdirAll(layout.PolicyDir, 0o700); err != nil {
		return fmt.Errorf("create %s: %w", layout.PolicyDir, err)
	}
	logFile, err := os.OpenFile(filepath.Join(layout.PolicyDir, "llm-interactions.jsonl"), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("interactions log: %w", err)
	}
	defer logFile.Close()

	ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var mu sync.Mutex
	res, err := compile.Run(ctx, compile.Config{
		Provider: provider, Constitution: constitution, Annotations: ann, Servers: servers,
		Home: layout.UserHome, Sandbox: layout.Sandbox, Protected: layout.Protected(outDir),
		MaxConcurrent: f.concurrent, Cache: cache, Lists: lists, Log: logFile,
		Progress: func(p compile.Progress) {
			mu.Lock()
			defer mu.Unlock()
			fmt.Fprintf(e.stderr, "%s: %s (round %d, %d/%d scenarios passing, %d+%d tokens, %s)\n",
				oneLine(p.Server), p.Stage, p.Round, p.Passing, p.Total, p.Usage.InputTokens, p.Usage.OutputTokens, costText(provider.Name(), p.Usage))
		},
	})
	if err != nil {
		return err
	}
	printCompileSummary(e, provider.Name(), res)
	if !res.Verified() && !f.accept {
		fmt.Fprintf(e.stderr, "policy not verified: %s left unchanged (use --accept-failures to deploy anyway)\n", outDir)
		return errFailed
	}
	art, err := res.Render()
	if err != nil {
		return err
	}
	printPolicyDiff(e, layout, ann, outDir, art)
	if err := compile.Deploy(outDir, art, f.accept); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "wrote %s\n", outDir)
	if art.Failures != nil {
		fmt.Fprintf(e.stderr, "deployed with failing scenarios, recorded in %s\n", filepath.Join(outDir, compile.FailuresFile))
	}
	return nil
}

// readOptional reads a file that may be absent (nil, nil).
func readOptional(name string) ([]byte, error) {
	data, err := os.ReadFile(name)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	return data, err
}

func loadCompileAnnotations(layout config.Layout) (*policy.Annotations, string, error) {
	name := filepath.Join(layout.PolicyDir, "tool-annotations.json")
	ann, err := policy.LoadAnnotations(name)
	if err == nil {
		return ann, name, nil
	}
	if _, serr := os.Stat(name); !errors.Is(serr, fs.ErrNotExist) {
		return nil, "", err
	}
	data, err := defaultpolicy.Read(defaultpolicy.Annotations)
	if err != nil {
		return nil, "", err
	}
	name = "built-in " + defaultpolicy.Annotations
	ann, err = policy.ParseAnnotations(name, data)
	return ann, name, err
}

func printCompileSummary(e env, model string, res *compile.Result) {
	for _, s := range res.Servers {
		state := "verified"
		switch {
		case s.Err != "":
			state = "FAILED: " + oneLine(s.Err)
		case len(s.Failures) > 0:
			state = fmt.Sprintf("FAILED: %d scenarios fail", len(s.Failures))
		}
		cached := ""
		if s.Cached {
			cached = ", cached"
		}
		fmt.Fprintf(e.stdout, "%s: %d rules, %d scenarios, %d judge rounds, %d requests%s: %s (%d input and %d output tokens, %s)\n",
			oneLine(s.Server), len(s.Rules), len(s.Scenarios), s.Rounds, s.Calls, cached, state,
			s.Usage.InputTokens, s.Usage.OutputTokens, costText(model, s.Usage))
		for _, fl := range s.Failures {
			var rules []string
			for _, r := range fl.Rules {
				rules = append(rules, r.Name+" ("+r.Then+")")
			}
			args, _ := json.Marshal(fl.Scenario.Request.Arguments)
			fmt.Fprintf(e.stdout, "  FAIL %s: %s.%s %s: expected %s, got %s by %s %s\n", oneLine(fl.Scenario.Description),
				oneLine(fl.Scenario.Request.Server), oneLine(fl.Scenario.Request.Tool), oneLine(string(args)),
				fl.Scenario.Expected, fl.Decision, oneLine(fl.Rule), oneLine(strings.Join(rules, ", ")))
		}
	}
	n, u := res.Calls()
	fmt.Fprintf(e.stdout, "%d model requests, %d input and %d output tokens, %s\n", n, u.InputTokens, u.OutputTokens, costText(model, u))
}

// costText is the list-price estimate of a usage. A model missing from the
// price table says so rather than showing $0, which would read as free.
func costText(model string, u llm.Usage) string {
	usd, known := llm.EstimateCost(model, u)
	if !known {
		return "cost unknown"
	}
	return fmt.Sprintf("estimated $%.4f", usd)
}

// printPolicyDiff shows how decisions change against the deployed policy.
// A deployed policy that no longer loads is reported, not diffed.
func printPolicyDiff(e env, layout config.Layout, ann *policy.Annotations, dir string, art *compile.Artifacts) {
	oldFile := filepath.Join(dir, compile.PolicyFile)
	if _, err := os.Stat(oldFile); err != nil {
		return
	}
	lists := filepath.Join(dir, compile.ListsFile)
	if _, err := os.Stat(lists); err != nil {
		lists = ""
	}
	oldPol, err := policy.LoadPolicy(oldFile, lists)
	if err != nil {
		fmt.Fprintf(e.stderr, "deployed policy does not load, no diff: %s\n", oneLine(err.Error()))
		return
	}
	newPol, err := policy.ParsePolicy(compile.PolicyFile, art.Policy, compile.ListsFile, art.Lists)
	if err != nil {
		return // Render validated it
	}
	mk := func(p *policy.Policy) (*policy.Engine, error) {
		return policy.New(policy.Config{Policy: p, Annotations: ann, Home: layout.UserHome, Sandbox: layout.Sandbox,
			Protected: layout.Protected(dir), FS: resource.OSFS{}})
	}
	oldEng, err1 := mk(oldPol)
	newEng, err2 := mk(newPol)
	if err := errors.Join(err1, err2); err != nil {
		fmt.Fprintf(e.stderr, "no diff: %s\n", oneLine(err.Error()))
		return
	}
	calls := policydiff.Generate(ann, policydiff.ProbesFrom(layout.UserHome, layout.Sandbox, oldPol, newPol))
	if scs, err := scenario.Parse(compile.ScenarioFile, art.Scenarios); err == nil {
		for _, s := range scs {
			calls = append(calls, s.Call)
		}
	}
	changes := policydiff.Diff(oldEng, newEng, calls)
	fmt.Fprintf(e.stdout, "%d calls decided differently from the deployed policy\n", len(changes))
	for i, c := range changes {
		if i == diffLines {
			fmt.Fprintf(e.stdout, "  ... and %d more\n", len(changes)-diffLines)
			break
		}
		args, _ := json.Marshal(c.Call.Arguments)
		fmt.Fprintf(e.stdout, "  %s.%s %s: %s (%s) -> %s (%s)\n", oneLine(c.Call.Server), oneLine(c.Call.Tool), oneLine(string(args)),
			c.Old, oneLine(c.OldRule), c.New, oneLine(c.NewRule))
	}
}
