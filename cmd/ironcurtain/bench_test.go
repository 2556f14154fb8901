package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

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

// BenchmarkGatewayReadFile measures what `ironcurtain gateway` adds to one
// small read_text_file, side by side in one run, as an MCP client sees it:
// "direct" is the official SDK client talking to `ironcurtain serve-mcp
// filesystem` (a child process on stdio); "gateway" is the same client
// talking to `ironcurtain gateway` (a child process on stdio, with no
// configuration: the bundled servers, the built-in policy and a real audit
// log fsynced under <home>), which forwards to the same bundled server.
// "fsync" is the floor under the difference: the gateway must have each
// call's audit record on disk before it answers, so one op is a direct call
// (the disk sits idle between syncs, as between gateway calls) followed by
// one audit-sized line appended and fsynced beside the gateway's log, and
// only the sync is timed. Each reports the median and 99th percentile.
func BenchmarkGatewayReadFile(b *testing.B) {
	home, err := filepath.EvalSymlinks(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	sandbox := filepath.Join(home, ".ironcurtain", "sandbox")
	if err := os.MkdirAll(sandbox, 0o700); err != nil {
		b.Fatal(err)
	}
	file := filepath.Join(sandbox, "small.txt")
	if err := os.WriteFile(file, []byte("hello, gateway\n"), 0o600); err != nil {
		b.Fatal(err)
	}
	self, err := os.Executable()
	if err != nil {
		b.Fatal(err)
	}
	environ := []string{"HOME=" + home, "PATH=" + os.Getenv("PATH"), "LANG=C"}
	// run times b.N calls of tool on `<self> args...`; with syncTo, it
	// times the sync of one line to syncTo after each call instead.
	run := func(b *testing.B, tool string, syncTo *os.File, args ...string) {
		cmd := exec.Command(self, args...)
		cmd.Env = environ
		client := mcp.NewClient(&mcp.Implementation{Name: "bench", Version: "1"}, nil)
		ctx := context.Background()
		sess, err := client.Connect(ctx, &mcp.CommandTransport{Command: cmd}, nil)
		if err != nil {
			b.Fatal(err)
		}
		defer sess.Close()
		line := append(bytes.Repeat([]byte("a"), 599), '\n')
		var lat []time.Duration
		for i := 0; b.Loop(); i++ {
			// The gateway's breaker stops the 21st identical call in a
			// minute, so each call asks for a different number of lines.
			params := &mcp.CallToolParams{Name: tool, Arguments: map[string]any{"path": file, "head": i + 1}}
			start := time.Now()
			res, err := sess.CallTool(ctx, params)
			if syncTo != nil {
				start = time.Now()
				if _, err := syncTo.Write(line); err != nil {
					b.Fatal(err)
				}
				if err := syncTo.Sync(); err != nil {
					b.Fatal(err)
				}
			}
			lat = append(lat, time.Since(start))
			if err != nil {
				b.Fatal(err)
			}
			if res.IsError {
				b.Fatalf("%s refused the read: %v", tool, res.Content)
			}
		}
		slices.Sort(lat)
		pct := func(p float64) float64 { return float64(lat[int(p*float64(len(lat)-1))].Microseconds()) }
		b.ReportMetric(pct(0.5), "p50-µs")
		b.ReportMetric(pct(0.99), "p99-µs")
		// CPU time is steadier than latency on a shared machine: what the
		// server (direct) or the gateway (without its server) spent per call,
		// start-up included.
		if cpu, err := processCPU(cmd.Process.Pid); err == nil && syncTo == nil {
			b.ReportMetric(float64(cpu.Microseconds())/float64(len(lat)), "cpu-µs/op")
		}
	}
	b.Run("direct", func(b *testing.B) { run(b, "read_text_file", nil, "serve-mcp", "filesystem", "--root", sandbox) })
	b.Run("gateway", func(b *testing.B) { run(b, "filesystem__read_text_file", nil, "gateway") })
	b.Run("fsync", func(b *testing.B) {
		f, err := os.OpenFile(filepath.Join(home, ".ironcurtain", "fsync-baseline.jsonl"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
		if err != nil {
			b.Fatal(err)
		}
		defer f.Close()
		run(b, "read_text_file", f, "serve-mcp", "filesystem", "--root", sandbox)
	})
}

// processCPU is the user and system time a process has used so far, from
// /proc (in clock ticks of 10 ms).
func processCPU(pid int) (time.Duration, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// Fields after the command name, which is in parentheses and may
	// contain spaces: state is field 3, utime 14, stime 15.
	rest := data[bytes.LastIndexByte(data, ')')+2:]
	f := strings.Fields(string(rest))
	if len(f) < 13 {
		return 0, fmt.Errorf("short /proc/%d/stat", pid)
	}
	var ticks int64
	for _, s := range f[11:13] {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return 0, err
		}
		ticks += n
	}
	return time.Duration(ticks) * 10 * time.Millisecond, nil
}
