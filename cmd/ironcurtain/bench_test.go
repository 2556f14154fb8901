package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ironcurtain/ironcurtain-go/internal/codemode"
)

// BenchmarkToolCallFromJS is one tool call from agent code to the bundled
// filesystem server and back, through the whole gateway (schema, policy,
// breaker, audit fsync): a caged worker's script reads a small sandbox file
// b.N times; one op is one call. The cold exec-code start is reported too.
func BenchmarkToolCallFromJS(b *testing.B) {
	home, err := filepath.EvalSymlinks(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	vars := map[string]string{"HOME": home, "PATH": os.Getenv("PATH"), "LANG": "C"}
	e := env{stdin: strings.NewReader(""), stdout: &strings.Builder{}, stderr: &syncWriter{w: &strings.Builder{}}, getenv: func(k string) string { return vars[k] }}
	var f policyFlags
	ctx := context.Background()
	rt, err := startRuntime(ctx, e, &f, "bench", time.Minute)
	if err != nil {
		b.Fatal(err)
	}
	defer rt.Close()
	if err := os.WriteFile(filepath.Join(rt.sandbox, "small.txt"), []byte("hello\n"), 0o600); err != nil {
		b.Fatal(err)
	}
	limits := codemode.DefaultLimits()
	limits.MaxToolCalls = b.N + 10
	// The breaker would stop the 21st identical call; vary the arguments.
	code := fmt.Sprintf(`for (let i = 0; i < %d; i++) { filesystem.read_text_file({path: "small.txt", head: i + 1}); } return 1;`, b.N)
	b.ResetTimer()
	start := time.Now()
	res, err := codemode.Exec(ctx, rt.codeConfig(limits), code)
	elapsed := time.Since(start)
	b.StopTimer()
	if err != nil || res.Error != "" {
		b.Fatalf("Exec: %v %s", err, res.Error)
	}
	b.ReportMetric(float64(elapsed.Microseconds())/float64(b.N), "µs/call")
}
