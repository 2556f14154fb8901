package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"

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
			// The address-space limit sits above what the runtime has
			// mapped already (under the race detector that is terabytes);
			// quickjs's own heap limit bounds the script within it.
			vm, err := virtualSize()
			if err != nil {
				return fmt.Errorf("worker lockdown: %w", err)
			}
			lock := cage.Lockdown{
				Rlimits: cage.Rlimits{
					AddressSpace: vm + 4<<30,
					CPUSeconds:   3600,
					OpenFiles:    16,
					Processes:    512, // threads count too; fork is denied by seccomp anyway
				},
				DropCapabilities: true,
				NoNewPrivs:       true,
				Landlock:         true,
				Seccomp:          cage.DefaultWorkerSeccomp(),
			}
			if _, err := lock.Apply(); err != nil {
				return fmt.Errorf("worker lockdown: %w", err)
			}
			return jsworker.Run(os.Stdin, os.Stdout)
		},
	}
}

// virtualSize is the process's mapped address space in bytes, read before
// Landlock closes /proc to it.
func virtualSize() (uint64, error) {
	data, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0, err
	}
	fields := strings.Fields(string(data))
	if len(fields) == 0 {
		return 0, fmt.Errorf("/proc/self/statm: empty")
	}
	pages, err := strconv.ParseUint(fields[0], 10, 64)
	if err != nil {
		return 0, fmt.Errorf("/proc/self/statm: %w", err)
	}
	return pages * uint64(os.Getpagesize()), nil
}
