package jsworker_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestDeps keeps the worker small and untrusted: it links runnerproto,
// quickjs, esbuild and the standard library, and nothing else of ours.
func TestDeps(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("go command not on PATH: cannot list dependencies")
	}
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	const mod = "github.com/ironcurtain/ironcurtain-go/"
	allowedPrefixes := []string{
		mod + "internal/codemode/jsworker",
		mod + "internal/runnerproto",
		"modernc.org/",      // quickjs and the libc it is transpiled against
		"github.com/evanw/", // esbuild
		"github.com/ncruces/go-strftime", "github.com/remyoudompheng/bigfft",
		"github.com/dustin/go-humanize", "github.com/google/uuid", "github.com/mattn/go-isatty",
		"golang.org/x/sys/",
	}
	for _, dep := range strings.Fields(string(out)) {
		if !strings.Contains(strings.SplitN(dep, "/", 2)[0], ".") {
			continue // standard library
		}
		ok := false
		for _, p := range allowedPrefixes {
			if strings.HasPrefix(dep, p) {
				ok = true
			}
		}
		if !ok {
			t.Errorf("jsworker depends on %s; the worker may link only runnerproto, quickjs, esbuild and the standard library", dep)
		}
	}
}
