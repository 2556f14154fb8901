package main

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/sys/unix"

	"github.com/ironcurtain/ironcurtain-go/internal/audit"
	"github.com/ironcurtain/ironcurtain-go/internal/config"
	"github.com/ironcurtain/ironcurtain-go/internal/escalate"
	"github.com/ironcurtain/ironcurtain-go/internal/gateway"
)

func newGatewayCmd(e env) *cobra.Command {
	var f policyFlags
	var socket, httpAddr string
	var escTimeout time.Duration
	var resultLimit int
	cmd := &cobra.Command{
		Use:   "gateway",
		Short: "Serve the policed tool set of the configured MCP servers to an MCP client",
		Long: "Start the MCP servers of <home>/mcp-servers.json (or the bundled filesystem, git and fetch\n" +
			"servers) and serve their tools, as <server>__<tool>, to one MCP client over stdio (default),\n" +
			"a Unix socket (--socket) or streamable HTTP on loopback (--http). Every call passes schema\n" +
			"validation, the policy, escalation and the audit log <home>/audit.jsonl. Escalations are\n" +
			"answered with `ironcurtain escalations` from another terminal.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if socket != "" && httpAddr != "" {
				return usageErr("--socket and --http are exclusive")
			}
			if httpAddr != "" {
				if err := gateway.CheckLoopback(httpAddr); err != nil {
					return badInput(err)
				}
			}
			l, err := loadEngine(e, &f)
			if err != nil {
				return err
			}
			settings, err := config.LoadSettings(l.layout.Config)
			if err != nil {
				return badInput(err)
			}
			if !cmd.Flags().Changed("escalation-timeout") && settings.EscalationTimeout != 0 {
				escTimeout = settings.EscalationTimeout
			}
			if !cmd.Flags().Changed("result-limit") && settings.ResultLimit != 0 {
				resultLimit = settings.ResultLimit
			}
			if escTimeout < 5*time.Second || escTimeout > time.Hour {
				return usageErr("--escalation-timeout %v is outside 5s..1h", escTimeout)
			}
			if resultLimit < 1024 {
				return usageErr("--result-limit %d is below 1024 bytes", resultLimit)
			}
			warn(e, l)
			logger := slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
			for _, d := range []string{l.layout.Home, l.layout.Sandbox} {
				if err := os.MkdirAll(d, 0o700); err != nil {
					return fmt.Errorf("create %s: %w", d, err)
				}
			}
			servers := l.servers
			if servers == nil {
				if servers, err = bundledServers(l.layout.Sandbox); err != nil {
					return err
				}
			}
			log, err := audit.Open(l.layout.AuditLog)
			if err != nil {
				return fmt.Errorf("audit log: %w", err)
			}
			defer func() {
				// The chain proves order and integrity but not that no line
				// was cut off the end; the head, kept outside the file, does.
				logger.Info("audit log closed", "file", l.layout.AuditLog, "head", log.Head())
				log.Close()
			}()
			session := "gateway-" + randomID()
			// With stdio the client owns standard input; on a socket or HTTP
			// the terminal that runs the gateway can answer escalations.
			var prompter escalate.Prompter
			if (socket != "" || httpAddr != "") && isTerminal(e.stdin) {
				prompter = &escalate.TerminalPrompter{In: e.stdin, Out: e.stderr}
			}
			broker, err := escalate.New(escalate.Config{Home: l.layout.Home, SessionID: session, Timeout: escTimeout, Prompter: prompter, Log: logger})
			if err != nil {
				return badInput(err)
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			mgr, err := gateway.StartServers(ctx, gateway.ManagerConfig{
				Servers: servers,
				Getenv:  e.getenv,
				Logger:  logger,
				Roots:   []string{l.layout.Sandbox},
			})
			if err != nil {
				return err
			}
			defer mgr.Close()
			gw, err := gateway.New(gateway.Config{Servers: mgr, Engine: l.engine, Audit: log, Approver: broker,
				SessionID: session, ResultLimit: resultLimit, Logger: logger})
			if err != nil {
				return err
			}
			srv := gw.MCPServer(l.engine)
			logger.Info("gateway ready", "session", session, "audit", l.layout.AuditLog)
			switch {
			case socket != "":
				err = gateway.ServeSocket(ctx, srv, socket, func() { logger.Info("listening", "socket", socket) })
			case httpAddr != "":
				err = gateway.ServeHTTP(ctx, srv, httpAddr, func(a net.Addr) { logger.Info("listening", "addr", a.String()) })
			default:
				err = gateway.ServeStdio(ctx, srv, e.stdin, e.stdout)
			}
			if err != nil && ctx.Err() == nil {
				return err
			}
			return nil
		},
	}
	f.register(cmd)
	cmd.Flags().StringVar(&socket, "socket", "", "serve on this Unix socket (created 0600)")
	cmd.Flags().StringVar(&httpAddr, "http", "", "serve streamable HTTP on this loopback address, e.g. 127.0.0.1:8765")
	cmd.Flags().DurationVar(&escTimeout, "escalation-timeout", 300*time.Second, "deny an escalation nobody answered within this time (5s..1h; config.json escalationTimeoutSeconds)")
	cmd.Flags().IntVar(&resultLimit, "result-limit", gateway.DefaultResultLimit, "largest tool result passed on, in bytes (head and tail are kept)")
	return cmd
}

// bundledServers is the configuration used when there is no
// mcp-servers.json: this binary's own filesystem, git and fetch servers,
// so a fresh machine needs no Node or Python.
func bundledServers(sandbox string) (config.Servers, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("find own executable: %w", err)
	}
	if self, err = filepath.EvalSymlinks(self); err != nil {
		return nil, fmt.Errorf("find own executable: %w", err)
	}
	return config.Servers{
		{Name: "fetch", Command: self, Args: []string{"serve-mcp", "fetch"}, Sandboxed: true},
		{Name: "filesystem", Command: self, Args: []string{"serve-mcp", "filesystem", "--root", sandbox}, Sandboxed: true},
		{Name: "git", Command: self, Args: []string{"serve-mcp", "git", "--root", sandbox}, Sandboxed: true},
	}, nil
}

func randomID() string {
	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		return fmt.Sprint(os.Getpid())
	}
	return hex.EncodeToString(b[:])
}

// isTerminal reports whether r is a terminal (not merely a character
// device: /dev/null is one too, and nobody answers a prompt there).
func isTerminal(r io.Reader) bool {
	f, ok := r.(*os.File)
	if !ok {
		return false
	}
	_, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	return err == nil
}
