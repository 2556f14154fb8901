package main

import (
	"io"

	"github.com/spf13/cobra"
)

// env is the process's outside world, passed in so tests can run commands
// in-process.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	getenv         func(string) string
}

func newRootCmd(e env) *cobra.Command {
	root := &cobra.Command{
		Use:   "ironcurtain",
		Short: "A secure runtime for autonomous AI agents",
		Long: "IronCurtain runs AI agents as untrusted code: every tool call leaves the agent's cage\n" +
			"and passes a deterministic policy check compiled from a plain-English constitution.",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetIn(e.stdin)
	root.SetOut(e.stdout)
	root.SetErr(e.stderr)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageErr("%v", err) })
	root.AddCommand(newPolicyCmd(e), newGatewayCmd(e), newServeMCPCmd(e), newAuditCmd(e), newEscalationsCmd(e),
		newDoctorCmd(e), newCageProbeCmd(e), newExecCodeCmd(e), newWorkerCmd(e), newStartCmd(e),
		newAnnotateToolsCmd(e), newCompilePolicyCmd(e), newRefreshListsCmd(e), newCustomizePolicyCmd(e))
	return root
}
