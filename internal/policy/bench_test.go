package policy_test

import (
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/ironcurtain/ironcurtain-go/internal/policy"
)

// BenchmarkConformance decides every conformance call, grouped by server.
// One op is one Decide. Compare with the TypeScript engine's figures in
// docs/BENCHMARKS.md, and with BenchmarkBaselineRealpath from the same run.
func BenchmarkConformance(b *testing.B) {
	cases, _ := loadConformance(b)
	byServer := map[string][]conformanceCase{}
	for _, c := range cases {
		group := c.call.Server
		if spawnsGit(c.call) {
			// Resolving a named remote runs git; a process spawn (~ms) would
			// swamp the engine's own cost, so it is measured on its own.
			group += "-named-remote"
		}
		byServer[group] = append(byServer[group], c)
	}
	servers := make([]string, 0, len(byServer))
	for s := range byServer {
		servers = append(servers, s)
	}
	sort.Strings(servers)
	for _, s := range servers {
		group := byServer[s]
		b.Run(s, func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				c := &group[i%len(group)]
				c.eng.Decide(c.call)
			}
		})
	}
}

// spawnsGit reports whether deciding the call runs `git remote get-url`:
// a git-remote-url argument that names a remote rather than a URL.
func spawnsGit(c policy.Call) bool {
	r, ok := c.Arguments["remote"].(string)
	return c.Server == "git" && ok && r != "" && !strings.ContainsAny(r, ":/")
}

// BenchmarkBaselineRealpath is the unit the TypeScript engine pays many
// times per path-bearing call: one realpath of a six-component path.
func BenchmarkBaselineRealpath(b *testing.B) {
	dir := b.TempDir()
	p := filepath.Join(dir, "a", "b", "c", "d", "e", "f")
	b.ReportAllocs()
	for b.Loop() {
		_, _ = filepath.EvalSymlinks(p)
	}
}
