package audit

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// BenchmarkAppend measures one record written and fsync'd to a real file,
// the cost the gateway adds to every call. It reports the median, which the
// gateway's budget (< 200 µs per call, sync included) is stated in.
func BenchmarkAppend(b *testing.B) {
	l, err := Open(filepath.Join(b.TempDir(), "audit.jsonl"))
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	r := testRecord(1)
	r.Arguments = map[string]any{
		"path":    "/home/user/Documents/report.txt",
		"content": "Quarterly numbers are in the attached table; see the summary below.",
		"mode":    "overwrite",
	}
	ctx := context.Background()
	var took []time.Duration
	for b.Loop() {
		start := time.Now()
		if err := l.Append(ctx, r); err != nil {
			b.Fatal(err)
		}
		took = append(took, time.Since(start))
	}
	slices.Sort(took)
	b.ReportMetric(float64(took[len(took)/2].Microseconds()), "median-µs")
}

// BenchmarkRedact1MB is a large write_file's content: no secrets, so the
// cost is the trigger searches alone.
func BenchmarkRedact1MB(b *testing.B) {
	line := "a line of ordinary file content, with task-list and disk-usage words\n"
	s := strings.Repeat(line, 1<<20/len(line))
	b.SetBytes(int64(len(s)))
	for b.Loop() {
		RedactString(s)
	}
}
