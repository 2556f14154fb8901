package main

import (
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/spf13/cobra"

	"github.com/ironcurtain/ironcurtain-go/internal/config"
	"github.com/ironcurtain/ironcurtain-go/internal/servers/fetch"
	"github.com/ironcurtain/ironcurtain-go/internal/servers/filesystem"
	"github.com/ironcurtain/ironcurtain-go/internal/servers/git"
)

func newServeMCPCmd(e env) *cobra.Command {
	var roots []string
	cmd := &cobra.Command{
		Use:   "serve-mcp NAME",
		Short: "Run a bundled MCP server (filesystem, git, fetch) on standard input and output",
		Long: "Run a bundled MCP server on stdio. filesystem and git operate only inside their roots\n" +
			"(--root, repeatable; default <home>/sandbox); fetch refuses private and loopback addresses.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(roots) == 0 && args[0] != "fetch" {
				layout, err := config.Resolve(e.getenv)
				if err != nil {
					return badInput(err)
				}
				if err := os.MkdirAll(layout.Sandbox, 0o700); err != nil {
					return fmt.Errorf("sandbox: %w", err)
				}
				roots = []string{layout.Sandbox}
			}
			for i, r := range roots {
				a, err := absPath(r)
				if err != nil {
					return err
				}
				roots[i] = a
			}
			var srv *mcp.Server
			switch args[0] {
			case "filesystem":
				fs, err := filesystem.New(filesystem.Config{Roots: roots})
				if err != nil {
					return badInput(err)
				}
				defer fs.Close()
				srv = fs.MCP()
			case "git":
				g, err := git.New(git.Config{Roots: roots})
				if err != nil {
					return badInput(err)
				}
				srv = g
			case "fetch":
				f, err := fetch.New(fetch.Config{})
				if err != nil {
					return badInput(err)
				}
				srv = f
			default:
				return usageErr("unknown bundled server %q (want filesystem, git or fetch)", args[0])
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			if err := srv.Run(ctx, &mcp.IOTransport{Reader: io.NopCloser(e.stdin), Writer: nopWriteCloser{e.stdout}}); err != nil && ctx.Err() == nil {
				return err
			}
			return nil
		},
	}
	cmd.Flags().StringArrayVar(&roots, "root", nil, "directory the server may operate in (repeatable; default <home>/sandbox)")
	return cmd
}

// nopWriteCloser lets the server write to standard output without closing it.
type nopWriteCloser struct{ io.Writer }

func (nopWriteCloser) Close() error { return nil }
