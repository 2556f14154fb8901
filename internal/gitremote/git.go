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

// RemoteURL returns the URL git would use for remote name in repository
// dir, after git's own url.<base>.insteadOf rewriting, which is why git is
// asked rather than the config file parsed.
func (g Git) RemoteURL(ctx context.Context, dir, name string) (string, error) {
	if name == "" || strings.HasPrefix(name, "-") {
		// "--" below already stops option parsing; refusing here keeps the
		// guarantee independent of git's argument parser.
		return "", fmt.Errorf("gitremote: invalid remote name %q", name)
	}
	if dir == "" {
		return "", fmt.Errorf("gitremote: remote %q: empty repository directory", name)
	}
	timeout := g.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	cmd := exec.CommandContext(ctx, "git", "-C", dir, "remote", "get-url", "--", name)
	cmd.Env = minimalEnv()
	cmd.WaitDelay = time.Second
	var stdout, stderr limitedBuffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil {
			err = fmt.Errorf("%w (%w)", err, ctxErr)
		}
		msg := strings.TrimSpace(stderr.String())
		if msg != "" {
			return "", fmt.Errorf("gitremote: get-url for remote %q in %q: %w: %s", name, dir, err, msg)
		}
		return "", fmt.Errorf("gitremote: get-url for remote %q in %q: %w", name, dir, err)
	}
	if stdout.truncated {
		return "", fmt.Errorf("gitremote: get-url for remote %q in %q: output too long", name, dir)
	}
	url := strings.TrimSpace(stdout.String())
	if url == "" {
		return "", fmt.Errorf("gitremote: get-url for remote %q in %q: empty output", name, dir)
	}
	if strings.ContainsAny(url, "\r\n") {
		return "", fmt.Errorf("gitremote: get-url for remote %q in %q: %w", name, dir, errMultiline)
	}
	return url, nil
}

var errMultiline = errors.New("more than one line of output")

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
type limitedBuffer struct {
	bytes.Buffer
	truncated bool
}

func (b *limitedBuffer) Write(p []byte) (int, error) {
	if room := maxOutput - b.Len(); len(p) > room {
		b.truncated = true
		if room > 0 {
			b.Buffer.Write(p[:room])
		}
		return len(p), nil
	}
	return b.Buffer.Write(p)
}
