package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/ironcurtain/ironcurtain-go/internal/cage"
	"github.com/ironcurtain/ironcurtain-go/internal/codemode/jsworker"
)

// workerCommand is the hidden subcommand the code runner re-executes this
// binary with. It is not for people.
const workerCommand = "__worker"

// newWorkerCmd locks the process down before it reads anything, then runs
// one script. Everything after Apply runs under the cage: no exec, no
// sockets, no file access, lowered rlimits.
func newWorkerCmd(e env) *cobra.Command {
	return &cobra.Command{
		Use:    workerCommand,
		Hidden: true,
		Args:   cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			lock := cage.Lockdown{
				Rlimits: cage.Rlimits{
					AddressSpace: 4 << 30, // quickjs enforces the script's own limit; this bounds the process
					CPUSeconds:   3600,
					OpenFiles:    16,
					Processes:    512, // threads count too; fork is denied by seccomp anyway
				},
				NoNewPrivs: true,
				Landlock:   true,
				Seccomp:    cage.DefaultWorkerSeccomp(),
			}
			if _, err := lock.Apply(); err != nil {
				return fmt.Errorf("worker lockdown: %w", err)
			}
			return jsworker.Run(os.Stdin, os.Stdout)
		},
	}
}
