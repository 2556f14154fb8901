package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/ironcurtain/ironcurtain-go/internal/compile"
	"github.com/ironcurtain/ironcurtain-go/internal/config"
	"github.com/ironcurtain/ironcurtain-go/internal/llm"
	"github.com/ironcurtain/ironcurtain-go/internal/policy"
	"github.com/ironcurtain/ironcurtain-go/internal/resource"
	"github.com/ironcurtain/ironcurtain-go/internal/scenario"
)

type refreshFlags struct {
	list  string
	model string
}

func newRefreshListsCmd(e env) *cobra.Command {
	var f refreshFlags
	cmd := &cobra.Command{
		Use:   "refresh-lists [--list NAME]",
		Short: "Re-resolve the deployed policy's dynamic @lists with an LLM",
		Long: "Ask the model again for the values of every dynamic list of the deployed policy (or only\n" +
			"--list NAME), keeping manual additions and removals. The deployed test scenarios are run\n" +
			"against the policy with the new values; dynamic-lists.json is replaced only if all pass.\n" +
			"Exit status: 0 replaced (or no lists), 1 scenarios fail (nothing replaced), 2 bad usage or input.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runRefreshLists(cmd, e, f) },
	}
	cmd.Flags().StringVar(&f.list, "list", "", "refresh only this list")
	cmd.Flags().StringVarP(&f.model, "model", "m", defaultCompileModel, "model as PROVIDER:MODEL")
	return cmd
}

func runRefreshLists(cmd *cobra.Command, e env, f refreshFlags) error {
	layout, err := config.Resolve(e.getenv)
	if err != nil {
		return badInput(err)
	}
	settings, err := config.LoadSettings(layout.Config)
	if err != nil {
		return badInput(err)
	}
	dir := layout.PolicyDir
	polFile := filepath.Join(dir, compile.PolicyFile)
	polData, err := os.ReadFile(polFile)
	if errors.Is(err, fs.ErrNotExist) {
		return usageErr("no deployed policy at %s: run compile-policy first", polFile)
	} else if err != nil {
		return badInput(err)
	}
	defs, err := compile.ReadListDefinitions(polData)
	if err != nil {
		return badInput(err)
	}
	if f.list != "" && !slices.ContainsFunc(defs, func(d compile.ListDefinition) bool { return d.Name == f.list }) {
		return usageErr("--list %q: %v", f.list, compile.ErrUnknownList)
	}
	if len(defs) == 0 {
		fmt.Fprintln(e.stdout, "the deployed policy uses no dynamic lists")
		return nil
	}
	provider, err := llm.New(f.model, llm.Config{Getenv: e.getenv, ConfigPath: layout.Config, Keys: settings.Keys, BaseURLs: settings.BaseURLs})
	if err != nil {
		return badInput(err)
	}
	lists, err := readOptional(filepath.Join(dir, compile.ListsFile))
	if err != nil {
		return badInput(err)
	}
	scs, err := scenario.Load(filepath.Join(dir, compile.ScenarioFile))
	if err != nil {
		return badInput(err)
	}
	ann, _, err := loadCompileAnnotations(layout)
	if err != nil {
		return badInput(err)
	}
	logFile, err := os.OpenFile(filepath.Join(dir, "llm-interactions.jsonl"), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("interactions log: %w", err)
	}
	defer logFile.Close()

	ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	fresh, err := compile.RefreshLists(ctx, compile.RefreshConfig{Provider: provider, Policy: polData, Lists: lists, Only: f.list, Log: logFile})
	if err != nil {
		return err
	}
	fails, err := runScenariosWithLists(layout, ann, polData, fresh, scs)
	if err != nil {
		return err
	}
	if len(fails) > 0 {
		for _, r := range fails {
			args, _ := json.Marshal(r.Call.Arguments)
			fmt.Fprintf(e.stdout, "  FAIL %s: %s.%s %s: expected %s, got %s by %s\n", oneLine(r.Description),
				oneLine(r.Call.Server), oneLine(r.Call.Tool), oneLine(string(args)), r.Expected, r.Decision, oneLine(r.Rule))
		}
		fmt.Fprintf(e.stderr, "%d of %d scenarios fail with the new lists: %s left unchanged\n", len(fails), len(scs), filepath.Join(dir, compile.ListsFile))
		return errFailed
	}
	if err := compile.DeployLists(dir, polData, fresh); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "%d scenarios pass; wrote %s\n", len(scs), filepath.Join(dir, compile.ListsFile))
	return nil
}

// runScenariosWithLists runs the deployed scenarios on an engine built as
// compile-policy's verifier builds it, with the candidate lists.
func runScenariosWithLists(layout config.Layout, ann *policy.Annotations, polData, lists []byte, scs []scenario.Scenario) ([]scenario.Result, error) {
	pol, err := policy.ParsePolicy(compile.PolicyFile, polData, compile.ListsFile, lists)
	if err != nil {
		return nil, err
	}
	eng, err := policy.New(policy.Config{Policy: pol, Annotations: ann, Home: layout.UserHome, Sandbox: layout.Sandbox,
		Protected: layout.Protected(layout.PolicyDir), FS: resource.OSFS{}})
	if err != nil {
		return nil, err
	}
	var fails []scenario.Result
	for _, r := range scenario.Run(eng, scs) {
		if !r.Pass {
			fails = append(fails, r)
		}
	}
	return fails, nil
}
