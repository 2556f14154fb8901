package git

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/ironcurtain/ironcurtain-go/internal/resource"
)

// Defaults for the zero values of Config.
const (
	DefaultTimeout   = 2 * time.Minute
	DefaultMaxOutput = 1 << 20
)

// Config configures New. Every field is fixed at construction.
type Config struct {
	// Roots are the absolute directories the server may operate in (the
	// sandbox). Each must exist; it is resolved through symlinks once, here.
	// A path, git directory or work tree outside every root is refused.
	// Empty Roots is an error: a server allowed nowhere is a configuration
	// mistake, not a policy.
	Roots []string

	// GitPath is the git binary; empty means exec.LookPath("git"). It must
	// resolve to an absolute path.
	GitPath string

	// Env is extra KEY=VALUE entries for git's environment (for example
	// GIT_SSH_COMMAND with a deploy key, or GIT_AUTHOR_NAME). They are added
	// after the scrubbed defaults and win over them, so they can loosen the
	// sandbox (HOME, GIT_CONFIG_GLOBAL): only the operator sets them. Nil
	// means none.
	Env []string

	// AllowCredentialHelpers keeps the credential helpers configured in the
	// operator's global config (see Env). When false, credential.helper is
	// forced empty. Helpers configured in the repository itself are refused
	// either way: a helper is a command, and the repository is the agent's.
	AllowCredentialHelpers bool

	// AllowFileProtocol permits file:// and local-path remotes (clone, fetch,
	// pull, push). A local remote must still resolve inside Roots. It exists
	// for tests and offline setups; with it, an agent can move history
	// between repositories inside the sandbox without any network.
	AllowFileProtocol bool

	// Timeout bounds each git process; zero means DefaultTimeout. When it
	// expires the whole process group is killed.
	Timeout time.Duration

	// MaxOutput bounds how many bytes of git's stdout and of its stderr are
	// returned; zero means DefaultMaxOutput. Longer output is cut and marked.
	MaxOutput int

	// Logger receives one record per refused call and per git run; nil
	// discards.
	Logger *slog.Logger
}

// server is the state behind one *mcp.Server. All fields except sessions
// are immutable after New.
type server struct {
	roots     []resource.Path // canonical, in the configured order
	git       string
	env       []string // Config.Env, validated
	credOK    bool
	fileOK    bool
	timeout   time.Duration
	maxOutput int
	log       *slog.Logger
	sessions  *sessionDirs
}

// New returns an MCP server offering Tools(). It fails if the
// configuration is unusable (no roots, a root that does not exist, no git).
func New(cfg Config) (*mcp.Server, error) {
	s, err := newServer(cfg)
	if err != nil {
		return nil, err
	}
	srv := mcp.NewServer(&mcp.Implementation{Name: "git", Version: "1.0.0"}, &mcp.ServerOptions{
		Logger: s.log,
	})
	if err := s.register(srv); err != nil {
		return nil, err
	}
	return srv, nil
}

func newServer(cfg Config) (*server, error) {
	if len(cfg.Roots) == 0 {
		return nil, errors.New("git server: no roots configured")
	}
	s := &server{
		credOK:    cfg.AllowCredentialHelpers,
		fileOK:    cfg.AllowFileProtocol,
		timeout:   cfg.Timeout,
		maxOutput: cfg.MaxOutput,
		log:       cfg.Logger,
		sessions:  newSessionDirs(),
	}
	if s.timeout <= 0 {
		s.timeout = DefaultTimeout
	}
	if s.maxOutput <= 0 {
		s.maxOutput = DefaultMaxOutput
	}
	if s.log == nil {
		s.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	for _, r := range cfg.Roots {
		p, err := canonicalRoot(r)
		if err != nil {
			return nil, fmt.Errorf("git server: root %q: %w", r, err)
		}
		s.roots = append(s.roots, p)
	}
	git := cfg.GitPath
	if git == "" {
		var err error
		if git, err = exec.LookPath("git"); err != nil {
			return nil, fmt.Errorf("git server: find git: %w", err)
		}
	}
	if !filepath.IsAbs(git) {
		// A relative binary would be looked up relative to each command's
		// directory, which is inside the agent's sandbox.
		return nil, fmt.Errorf("git server: git path %q is not absolute", git)
	}
	if fi, err := os.Stat(git); err != nil {
		return nil, fmt.Errorf("git server: git binary: %w", err)
	} else if fi.IsDir() || fi.Mode()&0o111 == 0 {
		return nil, fmt.Errorf("git server: git binary %q is not an executable file", git)
	}
	s.git = git
	for _, kv := range cfg.Env {
		k, _, ok := strings.Cut(kv, "=")
		if !ok || k == "" || strings.ContainsAny(kv, "\x00") {
			return nil, fmt.Errorf("git server: environment entry %q is not KEY=VALUE", kv)
		}
		s.env = append(s.env, kv)
		if overridesDefault(k) {
			s.log.Warn("git server: Config.Env overrides a sandbox default", "key", k)
		}
	}
	if cfg.AllowCredentialHelpers {
		s.log.Warn("git server: credential helpers from the configured global config are enabled")
	}
	if cfg.AllowFileProtocol {
		s.log.Warn("git server: file protocol enabled for remotes inside the roots")
	}
	return s, nil
}

// overridesDefault reports whether an environment key replaces one of the
// scrubbed defaults that environ sets.
func overridesDefault(key string) bool {
	switch key {
	case "HOME", "GIT_CONFIG_NOSYSTEM", "GIT_CONFIG_GLOBAL", "GIT_ATTR_NOSYSTEM", "GIT_TERMINAL_PROMPT",
		"GIT_ASKPASS", "GIT_EDITOR", "GIT_SEQUENCE_EDITOR", "GIT_PAGER", "GIT_SSH_COMMAND", "GIT_CEILING_DIRECTORIES":
		return true
	}
	return strings.HasPrefix(key, "GIT_CONFIG_")
}

// canonicalRoot resolves a configured root once. Roots come from the
// operator, so they are resolved eagerly and must be existing directories;
// later swaps of a root's own ancestors are outside the agent's reach.
func canonicalRoot(raw string) (resource.Path, error) {
	if !filepath.IsAbs(raw) {
		return "", errors.New("not absolute")
	}
	r, err := resource.NewPathResolver(resource.OSFS{}, "/", "/")
	if err != nil {
		return "", err
	}
	p, err := r.Canonical(raw)
	if err != nil {
		return "", err
	}
	fi, err := os.Stat(string(p))
	if err != nil {
		return "", err
	}
	if !fi.IsDir() {
		return "", errors.New("not a directory")
	}
	return p, nil
}
