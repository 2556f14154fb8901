package gitremote

import (
	"context"
	"io"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/ironcurtain/ironcurtain-go/internal/resource"
)

var _ resource.RemoteResolver = Git{}

// newRepo creates a repository with an origin remote. HOME points at an
// empty directory so the developer's global config (insteadOf rules in
// particular) cannot change the results.
func newRepo(t *testing.T) string {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git not on PATH:", err)
	}
	t.Setenv("HOME", t.TempDir())
	dir := t.TempDir()
	for _, args := range [][]string{
		{"init", "-q", dir},
		{"-C", dir, "remote", "add", "origin", "https://github.com/Owner/Repo.git"},
	} {
		cmd := exec.Command("git", args...)
		cmd.Env = minimalEnv()
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	return dir
}

func TestRemoteURL(t *testing.T) {
	dir := newRepo(t)
	tests := []struct {
		name, remote, want string
		errPart            string
	}{
		{name: "origin", remote: "origin", want: "https://github.com/Owner/Repo.git"},
		{name: "missing", remote: "upstream", errPart: `"upstream"`},
		{name: "option injection", remote: "--upload-pack=x", errPart: "invalid remote name"},
		{name: "empty", remote: "", errPart: "invalid remote name"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Git{}.RemoteURL(t.Context(), dir, tc.remote)
			if tc.errPart != "" {
				if err == nil || !strings.Contains(err.Error(), tc.errPart) {
					t.Fatalf("RemoteURL(%q) = %q, %v, want error containing %s", tc.remote, got, err, tc.errPart)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("RemoteURL(%q) = %q, %v, want %q", tc.remote, got, err, tc.want)
			}
		})
	}
}

func TestRemoteURLNotARepo(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git not on PATH:", err)
	}
	t.Setenv("HOME", t.TempDir())
	if got, err := (Git{}).RemoteURL(t.Context(), t.TempDir(), "origin"); err == nil {
		t.Fatalf("RemoteURL outside a repository = %q, want error", got)
	}
}

func TestRemoteURLCanceled(t *testing.T) {
	dir := newRepo(t)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if got, err := (Git{Timeout: time.Second}).RemoteURL(ctx, dir, "origin"); err == nil {
		t.Fatalf("RemoteURL with canceled context = %q, want error", got)
	}
}

func TestParseGitRemoteWithGit(t *testing.T) {
	dir := newRepo(t)
	g, err := resource.ParseGitRemote(t.Context(), "origin", dir, Git{})
	if err != nil {
		t.Fatal(err)
	}
	if g.Full() != "github.com/owner/repo" || g.String() != "https://github.com/Owner/Repo.git" {
		t.Fatalf("ParseGitRemote(origin) = %q full %q, want %q full %q",
			g, g.Full(), "https://github.com/Owner/Repo.git", "github.com/owner/repo")
	}
}

func gitIn(t *testing.T, dir string, args ...string) {
	t.Helper()
	cmd := exec.Command("git", append([]string{"-C", dir}, args...)...)
	cmd.Env = minimalEnv()
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
}

// The agent can write .git/config in the sandbox: a push URL or a rewrite
// rule must not turn the checked URL into a decoy.
func TestRemoteURLRefusesDecoys(t *testing.T) {
	ctx := context.Background()
	t.Run("pushurl", func(t *testing.T) {
		dir := newRepo(t)
		gitIn(t, dir, "config", "remote.origin.pushurl", "https://evil.example/steal")
		if _, err := (Git{}).RemoteURL(ctx, dir, "origin"); err == nil || !strings.Contains(err.Error(), "different fetch/push URLs") {
			t.Fatalf("RemoteURL with pushurl = %v, want refusal", err)
		}
	})
	t.Run("pushInsteadOf", func(t *testing.T) {
		dir := newRepo(t)
		gitIn(t, dir, "config", "url.https://evil.example/.pushInsteadOf", "https://github.com/")
		if _, err := (Git{}).RemoteURL(ctx, dir, "origin"); err == nil {
			t.Fatal("RemoteURL with pushInsteadOf succeeded")
		}
		if err := (Git{}).CheckURL(ctx, dir, "https://github.com/Owner/Repo.git"); err == nil {
			t.Fatal("CheckURL ignored pushInsteadOf")
		}
	})
	t.Run("insteadOf", func(t *testing.T) {
		dir := newRepo(t)
		gitIn(t, dir, "config", "url.https://evil.example/.insteadOf", "https://github.com/me/")
		if err := (Git{}).CheckURL(ctx, dir, "https://github.com/me/repo"); err == nil {
			t.Fatal("CheckURL ignored insteadOf")
		}
		if err := (Git{}).CheckURL(ctx, dir, "https://gitlab.com/me/repo"); err != nil {
			t.Fatalf("CheckURL of an unrewritten URL: %v", err)
		}
	})
	t.Run("clean repository", func(t *testing.T) {
		dir := newRepo(t)
		if u, err := (Git{}).RemoteURL(ctx, dir, "origin"); err != nil || u != "https://github.com/Owner/Repo.git" {
			t.Fatalf("RemoteURL = %q, %v", u, err)
		}
		if err := (Git{}).CheckURL(ctx, dir, "https://github.com/Owner/Repo.git"); err != nil {
			t.Fatalf("CheckURL = %v", err)
		}
		if err := (Git{}).CheckURL(ctx, dir+"/does-not-exist", "https://github.com/x/y"); err != nil {
			t.Fatalf("CheckURL for a clone destination = %v", err)
		}
	})
}

// TestLimitedBufferThroughCopy: io.Copy (as os/exec uses) must not bypass
// the limit through an embedded ReadFrom.
func TestLimitedBufferThroughCopy(t *testing.T) {
	var b limitedBuffer
	n, err := io.Copy(&b, strings.NewReader(strings.Repeat("x", maxOutput+100)))
	if err != nil || n != maxOutput+100 {
		t.Fatalf("io.Copy = %d, %v", n, err)
	}
	if len(b.String()) != maxOutput || !b.truncated {
		t.Fatalf("kept %d bytes, truncated=%v; want %d and true", len(b.String()), b.truncated, maxOutput)
	}
}
