package gitremote

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"time"
)

// DefaultTimeout bounds a git invocation when Git.Timeout is zero. Reading
// a remote's URL is local and fast; a slow git means something is wrong
// (a hung filesystem, a lock), and the caller is waiting on a policy
// decision.
const DefaultTimeout = 5 * time.Second

// maxOutput bounds how much of git's output is kept; a remote URL is short,
// and the config being read may be hostile.
const maxOutput = 64 << 10

// Git implements resource.RemoteResolver with `git remote get-url`.
type Git struct {
	// Timeout bounds each git invocation; zero means DefaultTimeout.
	Timeout time.Duration
}

// RemoteURL returns the one URL git would use for remote name in
// repository dir, after git's own rewriting (url.<base>.insteadOf and
// pushInsteadOf), which is why git is asked rather than the config file
// parsed. A remote whose fetch and push URLs differ, or that has several,
// is an error: the agent can write the repository's config, and a
// remote.<name>.pushurl pointing elsewhere would make the checked URL a
// decoy.
func (g Git) RemoteURL(ctx context.Context, dir, name string) (string, error) {
	if name == "" || strings.HasPrefix(name, "-") {
		// "--" below already stops option parsing; refusing here keeps the
		// guarantee independent of git's argument parser.
		return "", fmt.Errorf("gitremote: invalid remote name %q", name)
	}
	if dir == "" {
		return "", fmt.Errorf("gitremote: remote %q: empty repository directory", name)
	}
	urls := map[string]bool{}
	var first string
	for _, push := range []bool{false, true} {
		args := []string{"-C", dir, "remote", "get-url", "--all"}
		if push {
			args = append(args, "--push")
		}
		out, err := g.run(ctx, append(args, "--", name)...)
		if err != nil {
			return "", fmt.Errorf("gitremote: get-url for remote %q in %q: %w", name, dir, err)
		}
		for _, line := range strings.Split(out, "\n") {
			if line = strings.TrimSpace(line); line == "" {
				continue
			}
			if first == "" {
				first = line
			}
			urls[line] = true
		}
	}
	switch len(urls) {
	case 0:
		return "", fmt.Errorf("gitremote: get-url for remote %q in %q: empty output", name, dir)
	case 1:
		return first, nil
	}
	return "", fmt.Errorf("gitremote: remote %q in %q has %d different fetch/push URLs; name the URL itself", name, dir, len(urls))
}

// CheckURL refuses a URL that git would rewrite (url.<base>.insteadOf or
// pushInsteadOf in the repository's or the user's config): the checked URL
// would not be the one used. dir may not exist yet (a clone destination);
// then only the user's own config applies.
func (g Git) CheckURL(ctx context.Context, dir, url string) error {
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		dir = "/"
	}
	out, err := g.run(ctx, "-C", dir, "config", "--get-regexp", `^url\..*\.(insteadof|pushinsteadof)$`)
	var exit *exec.ExitError
	if errors.As(err, &exit) && exit.ExitCode() == 1 {
		return nil // no rewrite rules at all
	}
	if err != nil {
		return fmt.Errorf("gitremote: read URL rewrites in %q: %w", dir, err)
	}
	for _, line := range strings.Split(out, "\n") {
		_, prefix, ok := strings.Cut(strings.TrimSpace(line), " ")
		if ok && prefix != "" && strings.HasPrefix(url, prefix) {
			return fmt.Errorf("gitremote: git in %q rewrites URLs starting %q (url.*.insteadOf); the checked URL would not be the one used", dir, prefix)
		}
	}
	return nil
}

// run executes git with a minimal environment and a timeout and returns
// its standard output.
func (g Git) run(ctx context.Context, args ...string) (string, error) {
	timeout := g.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "git", args...)
	cmd.Env = minimalEnv()
	cmd.WaitDelay = time.Second
	var stdout, stderr limitedBuffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil {
			err = fmt.Errorf("%w (%w)", err, ctxErr)
		}
		if msg := strings.TrimSpace(stderr.String()); msg != "" {
			return "", fmt.Errorf("%w: %s", err, msg)
		}
		return "", err
	}
	if stdout.truncated {
		return "", errors.New("output too long")
	}
	return stdout.String(), nil
}

// minimalEnv passes git only what it needs to find itself and the user's
// config. Inheriting the full environment would let variables such as
// GIT_DIR, GIT_CONFIG_* or GIT_SSH_COMMAND change what is read. System
// config is skipped and prompts are disabled so git never blocks on a
// terminal.
func minimalEnv() []string {
	env := []string{"GIT_CONFIG_NOSYSTEM=1", "GIT_TERMINAL_PROMPT=0"}
	for _, k := range []string{"PATH", "HOME", "LANG"} {
		if v, ok := os.LookupEnv(k); ok {
			env = append(env, k+"="+v)
		}
	}
	return env
}

// limitedBuffer keeps the first maxOutput bytes and records truncation
// instead of failing the write, so git is never killed by a short write.
// The buffer is a named field, not embedded: an embedded bytes.Buffer
// would bring its ReadFrom, which os/exec's copy prefers and which would
// bypass the limit.
type limitedBuffer struct {
	buf       bytes.Buffer
	truncated bool
}

func (b *limitedBuffer) Write(p []byte) (int, error) {
	if room := maxOutput - b.buf.Len(); len(p) > room {
		b.truncated = true
		if room > 0 {
			b.buf.Write(p[:room])
		}
		return len(p), nil
	}
	return b.buf.Write(p)
}

func (b *limitedBuffer) String() string { return b.buf.String() }
