package policy_test

import (
	"path/filepath"
	"sort"
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
			// Checking a remote runs git; a process spawn (~ms) would swamp
			// the engine's own cost, so it is measured on its own.
			group += "-remote"
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

// spawnsGit reports whether deciding the call runs git: a remote (by name
// or URL) is checked against the repository's git config.
func spawnsGit(c policy.Call) bool {
	if c.Server != "git" {
		return false
	}
	for _, k := range []string{"remote", "url"} {
		if r, ok := c.Arguments[k].(string); ok && r != "" {
			return true
		}
	}
	return false
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
