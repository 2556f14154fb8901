package git

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"time"

	"github.com/ironcurtain/ironcurtain-go/internal/resource"
)

// fixedConfig is passed as "-c" to every git run. Command-line config is
// read after every file, so these win over whatever the repository says.
// Each entry switches off a way for repository content or the network to
// run code, prompt, or outlive the call.
var fixedConfig = []string{
	"core.hooksPath=/dev/null", // hooks are code the agent can write
	"core.fsmonitor=false",     // a command in config
	"core.askPass=",            // with GIT_ASKPASS="" below: never prompt through a program
	"core.pager=cat",
	"core.editor=false", // an editor would be a command from config; nothing here may wait for input
	"sequence.editor=false",
	"commit.gpgSign=false", // signing runs gpg.program
	"tag.gpgSign=false",
	"tag.forceSignAnnotated=false",
	"push.gpgSign=false",
	"log.showSignature=false",
	"gc.auto=0", // auto gc detaches and outlives the call
	"maintenance.auto=false",
	"submodule.recurse=false", // submodule URLs come from the repository
	"fetch.recurseSubmodules=false",
	"push.recurseSubmodules=no",
	"color.ui=false",
	"advice.statusHints=false", // hints name commands this server does not offer
	"advice.detachedHead=false",
	// Transports: everything not named here is refused, including remote
	// helpers ("ext::cmd" runs cmd). git:// is refused because its proxy
	// (core.gitProxy) is a command from config.
	"protocol.allow=never",
	"protocol.https.allow=always",
	"protocol.http.allow=always",
	"protocol.ssh.allow=always",
	"protocol.git.allow=never",
	"protocol.ext.allow=never",
	"protocol.fd.allow=never",
}

// runResult is what a git run printed, each stream cut at the limit.
type runResult struct {
	stdout, stderr string
	truncated      bool // stdout was cut; git may have been stopped early
}

// text is the tool-result text for a successful run: stdout, then what git
// said on stderr (push, clone and fetch report there), or fallback when
// both are empty.
func (r runResult) text(fallback string) string {
	out := r.stdout
	if r.truncated {
		out += fmt.Sprintf("\n[output truncated: more than %d bytes]", len(r.stdout))
	}
	if e := strings.TrimSpace(r.stderr); e != "" {
		if out != "" && !strings.HasSuffix(out, "\n") {
			out += "\n"
		}
		out += e
	}
	if strings.TrimSpace(out) == "" {
		return fallback
	}
	return out
}

// gitError is a git run that failed. Its message carries what git said,
// since that is what the agent needs to correct its call.
type gitError struct {
	sub    string
	err    error
	stdout string
	stderr string
}

func (e *gitError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "git %s: %v", e.sub, e.err)
	for _, s := range []string{e.stderr, e.stdout} {
		if s = strings.TrimSpace(s); s != "" {
			b.WriteString("\n")
			b.WriteString(s)
		}
	}
	return b.String()
}

func (e *gitError) Unwrap() error { return e.err }

// internalLimit bounds output the server reads for its own checks (config
// lists, remote lists), which must not be cut by a small MaxOutput.
const internalLimit = 4 << 20

// run runs git in dir (which must be inside a root) with args after the
// fixed global options, keeping up to Config.MaxOutput of each stream.
// Nothing is read from stdin.
func (s *server) run(ctx context.Context, dir resource.Path, args ...string) (runResult, error) {
	return s.runLimit(ctx, dir, s.maxOutput, args...)
}

// runLimit is run with an explicit output limit.
func (s *server) runLimit(ctx context.Context, dir resource.Path, limit int, args ...string) (runResult, error) {
	if s.rootOf(dir) == "" {
		// Callers resolve first; this keeps the guarantee local.
		return runResult{}, fmt.Errorf("directory %s is outside the allowed roots", dir)
	}
	home, cleanup, err := s.home()
	if err != nil {
		return runResult{}, err
	}
	defer cleanup()

	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()

	argv := make([]string, 0, 2*len(fixedConfig)+8+len(args))
	argv = append(argv, "--no-pager")
	for _, c := range s.config() {
		argv = append(argv, "-c", c)
	}
	argv = append(argv, "-C", string(dir))
	argv = append(argv, args...)

	cmd := exec.CommandContext(ctx, s.git, argv...)
	cmd.Dir = string(dir)
	cmd.Env = s.environ(home, s.ceiling(dir))
	cmd.WaitDelay = time.Second
	setProcessGroup(cmd)
	stdout := &capBuffer{limit: limit, stop: true}
	stderr := &capBuffer{limit: limit}
	cmd.Stdout, cmd.Stderr = stdout, stderr

	sub := subcommand(args)
	start := time.Now()
	err = cmd.Run()
	res := runResult{stdout: stdout.String(), stderr: stderr.String(), truncated: stdout.cut}
	s.log.Debug("git run", "dir", string(dir), "cmd", sub, "duration", time.Since(start), "err", err)
	if err != nil && !res.truncated {
		if ctxErr := ctx.Err(); ctxErr != nil {
			err = fmt.Errorf("%w (%w)", err, ctxErr)
		}
		return res, &gitError{sub: sub, err: err, stdout: res.stdout, stderr: res.stderr}
	}
	return res, nil
}

// config is fixedConfig plus the settings that depend on Config.
func (s *server) config() []string {
	c := fixedConfig
	if s.fileOK {
		c = append(c[:len(c):len(c)], "protocol.file.allow=always")
	} else {
		c = append(c[:len(c):len(c)], "protocol.file.allow=never")
	}
	if !s.credOK {
		// An empty value clears every helper configured before it,
		// including URL-scoped ones.
		c = append(c, "credential.helper=")
	}
	return c
}

// environ builds git's whole environment. Nothing is inherited but PATH:
// variables such as GIT_DIR, GIT_CONFIG_PARAMETERS, GIT_SSH_COMMAND or
// SSH_AUTH_SOCK would change what git reads, runs or authenticates with.
func (s *server) environ(home, ceiling string) []string {
	path := os.Getenv("PATH")
	if path == "" {
		path = "/usr/local/bin:/usr/bin:/bin"
	}
	env := []string{
		"PATH=" + path,
		"HOME=" + home,
		"LANG=C",
		"LC_ALL=C",
		"GIT_CONFIG_NOSYSTEM=1",
		"GIT_CONFIG_GLOBAL=/dev/null",
		"GIT_ATTR_NOSYSTEM=1",
		"GIT_TERMINAL_PROMPT=0",
		"GIT_ASKPASS=", // set but empty: git then skips core.askPass and SSH_ASKPASS
		"GIT_EDITOR=false",
		"GIT_SEQUENCE_EDITOR=false",
		"GIT_PAGER=cat",
		"GIT_SSH_COMMAND=ssh -o BatchMode=yes",
	}
	if ceiling != "" {
		env = append(env, "GIT_CEILING_DIRECTORIES="+ceiling)
	}
	// exec keeps the last value of a duplicated key, so Config.Env wins.
	return append(env, s.env...)
}

// home makes the private, empty HOME for one git run, unless the operator
// set HOME in Config.Env. A fresh directory per run means nothing one run
// leaves there (git or ssh writing under ~) reaches the next.
func (s *server) home() (string, func(), error) {
	for i := len(s.env) - 1; i >= 0; i-- {
		if h, ok := strings.CutPrefix(s.env[i], "HOME="); ok {
			return h, func() {}, nil
		}
	}
	dir, err := os.MkdirTemp("", "ironcurtain-git-home-")
	if err != nil {
		return "", nil, fmt.Errorf("create private HOME: %w", err)
	}
	return dir, func() { _ = os.RemoveAll(dir) }, nil
}

// subcommand names a run in messages and logs.
func subcommand(args []string) string {
	if len(args) == 0 {
		return "(none)"
	}
	return args[0]
}

// errOutputLimit stops copying git's stdout once the limit is reached, so
// git gets a broken pipe instead of running on (a huge log or diff).
var errOutputLimit = errors.New("output limit reached")

// capBuffer keeps the first limit bytes written. With stop set, writes
// past the limit fail; otherwise they are dropped silently, which suits
// stderr, where a chatty git must not be killed. The buffer is a field,
// not embedded: an embedded bytes.Buffer would lend capBuffer its
// ReadFrom, and io.Copy (which os/exec uses) would call that and bypass
// the limit.
type capBuffer struct {
	buf   bytes.Buffer
	limit int
	stop  bool
	cut   bool
}

func (b *capBuffer) Write(p []byte) (int, error) {
	room := b.limit - b.buf.Len()
	if len(p) <= room {
		return b.buf.Write(p)
	}
	b.cut = true
	if room > 0 {
		b.buf.Write(p[:room])
	}
	if b.stop {
		return max(room, 0), errOutputLimit
	}
	return len(p), nil
}

func (b *capBuffer) String() string { return b.buf.String() }
