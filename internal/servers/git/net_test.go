package git

import (
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// authServer is a real HTTP server on loopback that demands credentials
// for everything, so git asks its credential machinery.
func authServer(t *testing.T) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("WWW-Authenticate", `Basic realm="test"`)
		http.Error(w, "auth required", http.StatusUnauthorized)
	}))
	t.Cleanup(srv.Close)
	return srv.URL + "/repo.git"
}

// TestCredentialHelpersOff: a helper configured in the repository is a
// command the agent wrote. With helpers off it is cleared and never runs;
// with helpers on, the repository is refused.
func TestCredentialHelpersOff(t *testing.T) {
	url := authServer(t)
	for _, allow := range []bool{false, true} {
		f := newFixture(t, func(c *Config) { c.AllowCredentialHelpers = allow })
		repo := filepath.Join(f.root, "r")
		initRepo(t, repo)
		marker := filepath.Join(f.root, "helper-ran")
		gitCLI(t, repo, "remote", "add", "origin", url)
		gitCLI(t, repo, "config", "credential.helper", "!touch "+marker+"; true")

		// Plain git runs the helper: the setup is live.
		cmd := exec.Command("git", "-C", repo, "fetch", "origin")
		cmd.Env = append(os.Environ(), "GIT_TERMINAL_PROMPT=0", "GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL=/dev/null", "GIT_ASKPASS=")
		_ = cmd.Run()
		if !exists(marker) {
			t.Fatal("plain git did not run the repository's credential helper; the test proves nothing")
		}
		if err := os.Remove(marker); err != nil {
			t.Fatal(err)
		}

		text := f.fail("git_fetch", map[string]any{"path": repo, "remote": "origin"})
		want := "could not read Username"
		if allow {
			want = "credential helper"
		}
		if !strings.Contains(text, want) {
			t.Errorf("AllowCredentialHelpers=%v: git_fetch error = %q, want it to contain %q", allow, text, want)
		}
		if exists(marker) {
			t.Fatalf("AllowCredentialHelpers=%v: the repository's credential helper ran", allow)
		}
	}
}

// TestTimeoutKillsGit: a remote that accepts and never answers must not
// hold a call past Config.Timeout.
func TestTimeoutKillsGit(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		<-done
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
	})

	f := newFixture(t, func(c *Config) { c.Timeout = time.Second })
	repo := filepath.Join(f.root, "r")
	initRepo(t, repo)
	gitCLI(t, repo, "remote", "add", "origin", "http://"+ln.Addr().String()+"/r.git")
	start := time.Now()
	text := f.fail("git_fetch", map[string]any{"path": repo})
	if !strings.Contains(text, "deadline exceeded") {
		t.Errorf("git_fetch error = %q, want a deadline", text)
	}
	// The bound is loose on purpose: only "returned at all, not after the
	// default two minutes" is being checked.
	if d := time.Since(start); d > 30*time.Second {
		t.Errorf("git_fetch returned after %v, want about the 1s timeout", d)
	}
}

func TestOutputTruncated(t *testing.T) {
	f := newFixture(t, func(c *Config) { c.MaxOutput = 200 })
	repo := filepath.Join(f.root, "r")
	initRepo(t, repo)
	writeFile(t, filepath.Join(repo, "big"), strings.Repeat("line of text\n", 10000))
	gitCLI(t, repo, "add", "big")
	gitCLI(t, repo, "commit", "-q", "-m", "big")
	text := f.ok("git_log", map[string]any{"path": repo, "patch": true})
	if !strings.Contains(text, "[output truncated: more than 200 bytes]") {
		t.Errorf("git_log = %q, want a truncation marker", text)
	}
	if len(text) > 400 {
		t.Errorf("len(git_log) = %d, want about the 200-byte limit", len(text))
	}
}
