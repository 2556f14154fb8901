package audit

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func appendN(t *testing.T, l *Log, from, n int) {
	t.Helper()
	for i := from; i < from+n; i++ {
		if err := l.Append(context.Background(), testRecord(i)); err != nil {
			t.Fatalf("Append(record %d) = %v, want nil", i, err)
		}
	}
}

func TestOpenCreatesAndChains(t *testing.T) {
	path := filepath.Join(t.TempDir(), "home", "sessions", "s1", "audit.jsonl")
	l, err := Open(path)
	if err != nil {
		t.Fatalf("Open(%s) = %v", path, err)
	}
	appendN(t, l, 0, 3)
	if err := l.Close(); err != nil {
		t.Fatalf("Close() = %v", err)
	}
	for p, want := range map[string]os.FileMode{path: 0o600, filepath.Dir(path): 0o700} {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if got := fi.Mode().Perm(); got != want {
			t.Errorf("mode of %s = %v, want %v", p, got, want)
		}
	}
	data := readFile(t, path)
	lines := bytes.Split(bytes.TrimSuffix(data, []byte("\n")), []byte("\n"))
	if len(lines) != 3 {
		t.Fatalf("got %d lines, want 3:\n%s", len(lines), data)
	}
	prev := ChainStart
	for i, line := range lines {
		r, err := ParseLine(line)
		if err != nil {
			t.Fatalf("ParseLine(line %d) = %v", i+1, err)
		}
		if r.Prev != prev {
			t.Errorf("line %d prev = %s, want %s", i+1, r.Prev, prev)
		}
		// The chain link spliced in after encoding must read exactly as
		// if the whole record had been encoded with it.
		if again, err := marshalRecord(r); err != nil || !bytes.Equal(bytes.TrimSuffix(again, []byte("\n")), line) {
			t.Errorf("line %d re-encodes as %s, want %s (%v)", i+1, again, line, err)
		}
		if want := testRecord(i).RequestID; r.RequestID != want {
			t.Errorf("line %d requestId = %q, want %q", i+1, r.RequestID, want)
		}
		prev = Hash(line)
	}
	if !bytes.Contains(lines[0], []byte(`"timestamp":"2025-03-04T05:06:07.123456789Z"`)) {
		t.Errorf("line 1 = %s, want an RFC 3339 UTC timestamp with nanoseconds", lines[0])
	}
	if n, err := Verify(bytes.NewReader(data)); n != 3 || err != nil {
		t.Errorf("Verify = %d, %v, want 3, nil", n, err)
	}
}

func TestOpenContinuesChain(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	for round := 0; round < 3; round++ {
		l, err := Open(path)
		if err != nil {
			t.Fatalf("Open round %d = %v", round, err)
		}
		appendN(t, l, round*2, 2)
		head := l.Head()
		if err := l.Close(); err != nil {
			t.Fatal(err)
		}
		data := readFile(t, path)
		if n, err := VerifyHead(bytes.NewReader(data), head); n != 2*(round+1) || err != nil {
			t.Fatalf("VerifyHead after round %d = %d, %v, want %d, nil", round, n, err, 2*(round+1))
		}
	}
}

func TestOpenRefuses(t *testing.T) {
	good := func(t *testing.T) []byte {
		var m memFile
		l := newLog("mem", &m, ChainStart)
		appendN(t, l, 0, 2)
		return m.Bytes()
	}
	tests := []struct {
		name  string
		setup func(t *testing.T, path string)
		want  string
	}{
		{"torn last line", func(t *testing.T, path string) {
			d := good(t)
			os.WriteFile(path, d[:len(d)-5], 0o600)
		}, "last line is incomplete"},
		{"last line not json", func(t *testing.T, path string) {
			os.WriteFile(path, append(good(t), "not json\n"...), 0o600)
		}, "not a complete JSON record"},
		{"empty last line", func(t *testing.T, path string) {
			os.WriteFile(path, append(good(t), '\n'), 0o600)
		}, "not a complete JSON record"},
		{"symlink", func(t *testing.T, path string) {
			target := path + ".real"
			os.WriteFile(target, nil, 0o600)
			if err := os.Symlink(target, path); err != nil {
				t.Fatal(err)
			}
		}, "too many levels of symbolic links"},
		{"directory", func(t *testing.T, path string) {
			os.Mkdir(path, 0o700)
		}, "is a directory"},
		{"fifo", func(t *testing.T, path string) {
			if err := mkfifo(path); err != nil {
				t.Skip(err)
			}
		}, "not a regular file"},
		{"already open", func(t *testing.T, path string) {
			l, err := Open(path)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { l.Close() })
		}, "another writer has the log open"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "audit.jsonl")
			tc.setup(t, path)
			l, err := Open(path)
			if err == nil {
				l.Close()
				t.Fatalf("Open(%s) = nil error, want %q", tc.name, tc.want)
			}
			if !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "\n") {
				t.Errorf("Open(%s) = %v, want one line containing %q", tc.name, err, tc.want)
			}
		})
	}
}

func TestAppendFailureIsSticky(t *testing.T) {
	tests := []struct {
		name string
		file memFile
	}{
		{"write error", memFile{failWrite: 2}},
		{"short write", memFile{failWrite: 2, short: true}},
		{"sync error", memFile{failSync: 2}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := tc.file
			l := newLog("mem", &m, ChainStart)
			ctx := context.Background()
			if err := l.Append(ctx, testRecord(0)); err != nil {
				t.Fatalf("Append #1 = %v, want nil", err)
			}
			if err := l.Append(ctx, testRecord(1)); err == nil {
				t.Fatalf("Append #2 = nil, want the injected failure")
			}
			written := m.Len()
			// The file works again, but the log must not: it may end in a
			// torn line now.
			for i := 3; i <= 4; i++ {
				err := l.Append(ctx, testRecord(i))
				if err == nil || !strings.Contains(err.Error(), "failed earlier") {
					t.Fatalf("Append #%d = %v, want a sticky failure", i, err)
				}
			}
			if m.Len() != written {
				t.Errorf("file grew from %d to %d bytes after the failure", written, m.Len())
			}
		})
	}
}

func TestAppendToClosedDescriptor(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	l, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	appendN(t, l, 0, 1)
	// Close the descriptor underneath the log, as a failing disk would
	// leave it: a real *os.File, real EBADF-style errors.
	l.f.(*os.File).Close()
	for i := 1; i <= 3; i++ {
		if err := l.Append(context.Background(), testRecord(i)); err == nil {
			t.Fatalf("Append #%d on a closed descriptor = nil, want an error", i)
		}
	}
	if n, err := Verify(bytes.NewReader(readFile(t, path))); n != 1 || err != nil {
		t.Errorf("Verify = %d, %v, want 1, nil", n, err)
	}
}

func TestAppendAfterClose(t *testing.T) {
	l := newLog("mem", &memFile{}, ChainStart)
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); err != nil {
		t.Errorf("second Close() = %v, want nil", err)
	}
	if err := l.Append(context.Background(), testRecord(0)); !errors.Is(err, ErrClosed) {
		t.Errorf("Append after Close = %v, want ErrClosed", err)
	}
}

func TestAppendConcurrent(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	l, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	const workers, each = 16, 25
	var wg sync.WaitGroup
	errs := make(chan error, workers*each)
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				r := testRecord(i)
				r.RequestID = fmt.Sprintf("w%d-%d", w, i)
				if err := l.Append(context.Background(), r); err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("Append = %v", err)
	}
	l.Close()
	data := readFile(t, path)
	if n, err := Verify(bytes.NewReader(data)); n != workers*each || err != nil {
		t.Fatalf("Verify = %d, %v, want %d, nil", n, err, workers*each)
	}
	seen := map[string]bool{}
	for line := range bytes.SplitSeq(bytes.TrimSuffix(data, []byte("\n")), []byte("\n")) {
		r, err := ParseLine(line)
		if err != nil {
			t.Fatal(err)
		}
		seen[r.RequestID] = true
	}
	if len(seen) != workers*each {
		t.Errorf("%d distinct request ids, want %d", len(seen), workers*each)
	}
}

func TestAppendRedactsAndCopies(t *testing.T) {
	sec := testSecrets()
	var m memFile
	l := newLog("mem", &m, ChainStart)
	args := map[string]any{
		"headers": map[string]any{"Authorization": "Basic " + sec["basic"]},
		"body":    "token " + sec["github"] + " end",
		"list":    []any{sec["anthropic"]},
	}
	esc := &Escalation{Outcome: OutcomeApproved, By: "terminal"}
	r := testRecord(0)
	r.Arguments = args
	r.Escalation = esc
	r.Result = Result{Status: ResultError, Error: "upstream said: Bearer " + sec["bearer"]}
	r.Prev = "caller-chosen"
	if err := l.Append(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	line := m.String()
	for _, s := range []string{sec["basic"], sec["github"], sec["anthropic"], sec["bearer"], "caller-chosen"} {
		if strings.Contains(line, s) {
			t.Errorf("line contains %q: %s", s, line)
		}
	}
	for _, s := range []string{`"body":"token [REDACTED:github] end"`, `"Authorization":"Basic [REDACTED:authorization]"`, `"prev":"` + ChainStart + `"`} {
		if !strings.Contains(line, s) {
			t.Errorf("line lacks %s: %s", s, line)
		}
	}
	if args["body"] != "token "+sec["github"]+" end" || esc.By != "terminal" {
		t.Errorf("Append changed the caller's record: %v, %v", args, esc)
	}
}

func TestAppendContext(t *testing.T) {
	var m memFile
	l := newLog("mem", &m, ChainStart)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	// A call that timed out must still be recorded.
	if err := l.Append(ctx, testRecord(0)); err != nil {
		t.Fatalf("Append(cancelled ctx, free log) = %v, want nil", err)
	}
	l.turn <- struct{}{} // another Append holds the turn
	err := l.Append(ctx, testRecord(1))
	l.release()
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Append(cancelled ctx, busy log) = %v, want context.Canceled", err)
	}
	if err := l.Append(context.Background(), testRecord(2)); err != nil {
		t.Fatalf("Append after a cancelled wait = %v, want nil (nothing was written)", err)
	}
	if n, err := Verify(bytes.NewReader(m.Bytes())); n != 2 || err != nil {
		t.Errorf("Verify = %d, %v, want 2, nil", n, err)
	}
}

func TestAppendFillsAndBounds(t *testing.T) {
	var m memFile
	l := newLog("mem", &m, ChainStart)
	l.now = func() time.Time { return time.Date(2030, 1, 2, 3, 4, 5, 6, time.FixedZone("X", 3600)) }
	big := testRecord(0)
	big.Arguments = map[string]any{"content": strings.Repeat("\x01", MaxLineSize/4)}
	big.Result.Error = strings.Repeat("é", maxField)
	zero := testRecord(1)
	zero.Timestamp = time.Time{}
	zero.Arguments = nil
	for _, r := range []Record{big, zero} {
		if err := l.Append(context.Background(), r); err != nil {
			t.Fatal(err)
		}
	}
	lines := strings.Split(strings.TrimSuffix(m.String(), "\n"), "\n")
	if len(lines[0]) > MaxLineSize || !strings.Contains(lines[0], `"[omitted]":"arguments too large`) || !strings.Contains(lines[0], "…[truncated]") {
		t.Errorf("oversized record: line of %d bytes, want arguments omitted and error truncated: %.300s", len(lines[0]), lines[0])
	}
	var got struct {
		Timestamp string         `json:"timestamp"`
		Arguments map[string]any `json:"arguments"`
	}
	if err := json.Unmarshal([]byte(lines[1]), &got); err != nil {
		t.Fatal(err)
	}
	if got.Timestamp != "2030-01-02T02:04:05.000000006Z" || got.Arguments == nil {
		t.Errorf("zero record = %s, want the clock's time in UTC and arguments {}", lines[1])
	}
	if n, err := Verify(bytes.NewReader(m.Bytes())); n != 2 || err != nil {
		t.Errorf("Verify = %d, %v, want 2, nil", n, err)
	}
}
