package codemode

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/ironcurtain/ironcurtain-go/internal/runnerproto"
)

// BenchmarkExecCold is one whole execution of a trivial script: worker
// start (fork, exec, Go runtime, cage and lockdown where caged), VM,
// esbuild, the pipe and exit.
func BenchmarkExecCold(b *testing.B) {
	for _, mode := range []string{"uncaged", "caged"} {
		b.Run(mode, func(b *testing.B) {
			cfg := self(b, modeWorker)
			if mode == "caged" {
				cfg = self(b, modeCaged)
				cfg.Spawn = Caged()
			}
			if res, err := Exec(context.Background(), cfg, "return 1"); err != nil || res.Kind != "" {
				b.Skipf("%s worker unavailable: %v %s %s", mode, err, res.Kind, res.Error)
			}
			times := make([]time.Duration, 0, b.N)
			b.ResetTimer()
			for range b.N {
				start := time.Now()
				res, err := Exec(context.Background(), cfg, "return 1")
				if err != nil || string(res.Value) != "1" {
					b.Fatalf("Exec = %+v, %v", res, err)
				}
				times = append(times, time.Since(start))
			}
			b.ReportMetric(float64(median(times).Microseconds())/1000, "ms-median")
		})
	}
}

// BenchmarkToolRoundTrip is one tool call from JavaScript to a ToolFunc
// that answers at once and back: stub, JSON, pipe, parent checks, pipe,
// decode, return to the script. The median is of the intervals between
// consecutive calls, each of which is exactly one round trip.
func BenchmarkToolRoundTrip(b *testing.B) {
	cfg := self(b, modeWorker)
	var stamps []time.Time
	answer := textResult("ok")
	cfg.Call = func(context.Context, string, string, json.RawMessage) runnerproto.ToolResult {
		stamps = append(stamps, time.Now())
		return answer
	}
	cfg.Limits.MaxToolCalls = b.N + 1
	code := fmt.Sprintf("for (let i = 0; i < %d; i++) fs.read({ path: 'a' });", b.N)
	b.ResetTimer()
	res, err := Exec(context.Background(), cfg, code)
	b.StopTimer()
	if err != nil || res.Kind != "" {
		b.Fatalf("Exec = %v, %s %s", err, res.Kind, res.Error)
	}
	if len(stamps) > 1 {
		gaps := make([]time.Duration, len(stamps)-1)
		for i := range gaps {
			gaps[i] = stamps[i+1].Sub(stamps[i])
		}
		b.ReportMetric(float64(median(gaps).Nanoseconds())/1000, "µs-median")
	}
}

func median(d []time.Duration) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[len(s)/2]
}
