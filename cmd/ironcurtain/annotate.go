package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/ironcurtain/ironcurtain-go/internal/annotate"
	"github.com/ironcurtain/ironcurtain-go/internal/config"
	"github.com/ironcurtain/ironcurtain-go/internal/gateway"
	"github.com/ironcurtain/ironcurtain-go/internal/llm"
)

// defaultAnnotateModel is the model annotate-tools uses without -m.
const defaultAnnotateModel = "anthropic:claude-sonnet-4-5"

func newAnnotateToolsCmd(e env) *cobra.Command {
	var only []string
	var all bool
	var model string
	var batch int
	cmd := &cobra.Command{
		Use:   "annotate-tools [--server NAME | --all]",
		Short: "Have an LLM assign roles to the arguments of the configured MCP servers' tools",
		Long: "Start the MCP servers of <home>/mcp-servers.json (or the bundled ones), list their tools and\n" +
			"ask the model which role each argument plays. Valid answers are merged into\n" +
			"<home>/generated/tool-annotations.json; a tool still invalid after one repair round is left\n" +
			"out, so the policy keeps denying it. Unchanged tools are reused without a model call.\n" +
			"Every request and response is appended to <home>/generated/llm-interactions.jsonl.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if all && len(only) > 0 {
				return usageErr("--server and --all are exclusive")
			}
			if batch < 1 || batch > 200 {
				return usageErr("--batch-size %d is outside 1..200", batch)
			}
			return runAnnotate(cmd, e, only, model, batch)
		},
	}
	cmd.Flags().StringArrayVar(&only, "server", nil, "annotate only this server (repeatable)")
	cmd.Flags().BoolVar(&all, "all", false, "annotate every configured server (the default)")
	cmd.Flags().StringVarP(&model, "model", "m", defaultAnnotateModel, "model as PROVIDER:MODEL")
	cmd.Flags().IntVar(&batch, "batch-size", annotate.DefaultBatchSize, "tools per model request")
	return cmd
}

func runAnnotate(cmd *cobra.Command, e env, only []string, model string, batch int) error {
	layout, err := config.Resolve(e.getenv)
	if err != nil {
		return badInput(err)
	}
	settings, err := config.LoadSettings(layout.Config)
	if err != nil {
		return badInput(err)
	}
	// The key first: nothing is started for a run that cannot make a call.
	provider, err := llm.New(model, llm.Config{Getenv: e.getenv, ConfigPath: layout.Config, Keys: settings.Keys, BaseURLs: settings.BaseURLs})
	if err != nil {
		return badInput(err)
	}
	servers, err := config.LoadServers(layout.Servers)
	if errors.Is(err, fs.ErrNotExist) {
		servers, err = bundledServers(layout.Sandbox)
	}
	if err != nil {
		return badInput(err)
	}
	if len(only) > 0 {
		var picked config.Servers
		for _, name := range only {
			i := slices.IndexFunc(servers, func(s config.Server) bool { return s.Name == name })
			if i < 0 {
				return usageErr("--server %q: no such server is configured", name)
			}
			if !slices.ContainsFunc(picked, func(s config.Server) bool { return s.Name == name }) {
				picked = append(picked, servers[i])
			}
		}
		servers = picked
	}
	annFile := filepath.Join(layout.PolicyDir, "tool-annotations.json")
	existing, err := os.ReadFile(annFile)
	if errors.Is(err, fs.ErrNotExist) {
		existing = nil
	} else if err != nil {
		return badInput(err)
	}
	for _, d := range []string{layout.Home, layout.Sandbox, layout.PolicyDir} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return fmt.Errorf("create %s: %w", d, err)
		}
	}
	logFile, err := os.OpenFile(filepath.Join(layout.PolicyDir, "llm-interactions.jsonl"), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("interactions log: %w", err)
	}
	defer logFile.Close()

	ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	logger := slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	mgr, err := gateway.StartServers(ctx, gateway.ManagerConfig{Servers: servers, Getenv: e.getenv, Logger: logger, Roots: []string{layout.Sandbox}})
	if err != nil {
		return err
	}
	defer mgr.Close()
	down := 0
	for _, s := range servers {
		if up, serr := mgr.Up(s.Name); !up {
			down++
			fmt.Fprintf(e.stderr, "%s: not started (%s); its annotations are left as they were\n", s.Name, oneLine(fmt.Sprint(serr)))
		}
	}
	var tools []annotate.ToolInfo
	counts := map[string]int{}
	for _, t := range mgr.Tools() {
		schema, err := json.Marshal(t.Tool.InputSchema)
		if err != nil {
			return fmt.Errorf("%s/%s: input schema: %w", t.Server, t.Tool.Name, err)
		}
		tools = append(tools, annotate.ToolInfo{Server: t.Server, Name: t.Tool.Name, Description: t.Tool.Description, InputSchema: schema})
		counts[t.Server]++
	}
	for _, s := range sortedNames(counts) {
		fmt.Fprintf(e.stderr, "%s: %d tools\n", s, counts[s])
	}
	res, err := annotate.Run(ctx, annotate.Config{
		Provider: provider, Tools: tools, Existing: existing, BatchSize: batch, Log: logFile,
		Progress: func(server string, done, total int) {
			fmt.Fprintf(e.stderr, "annotating: %d of %d tools done, next batch starts with %s\n", done, total, server)
		},
	})
	if err != nil {
		return err
	}
	if err := annotate.WriteFile(annFile, res.File); err != nil {
		return err
	}
	for _, k := range res.Failed {
		fmt.Fprintf(e.stderr, "%s: not annotated, stays denied: %s\n", oneLine(k), oneLine(res.Reasons[k]))
	}
	fmt.Fprintf(e.stdout, "%d tools annotated, %d reused, %d failed (%d model requests, %d input and %d output tokens); wrote %s\n",
		len(res.Annotated), len(res.Reused), len(res.Failed), res.Calls, res.Usage.InputTokens, res.Usage.OutputTokens, annFile)
	if len(res.Failed) > 0 || down > 0 {
		return errFailed
	}
	return nil
}

func sortedNames(m map[string]int) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
