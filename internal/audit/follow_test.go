package audit

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestLastLines(t *testing.T) {
	long := strings.Repeat("y", chunkSize+100) // lines spanning chunk borders
	tests := []struct {
		name    string
		data    string
		n       int
		want    []string
		wantEnd int64
	}{
		{"empty", "", 3, nil, 0},
		{"fewer than n", "a\nb\n", 5, []string{"a", "b"}, 4},
		{"last n", "a\nb\nc\nd\n", 2, []string{"c", "d"}, 8},
		{"torn tail held back", "a\nb\nc", 5, []string{"a", "b"}, 4},
		{"only a torn line", "abc", 2, nil, 0},
		{"zero lines", "a\nb\n", 0, []string{}, 4},
		{"empty lines kept", "a\n\nb\n", 3, []string{"a", "", "b"}, 5},
		{"long lines", "a\n" + long + "\n" + long + "\nz", 2, []string{long, long}, int64(2 + 2*(len(long)+1))},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			lines, end, err := LastLines(strings.NewReader(tc.data), int64(len(tc.data)), tc.n)
			if err != nil {
				t.Fatalf("LastLines(%q, %d) = %v", tc.name, tc.n, err)
			}
			got := make([]string, 0, len(lines))
			for _, l := range lines {
				got = append(got, string(l))
			}
			if strings.Join(got, "|") != strings.Join(tc.want, "|") || len(got) != len(tc.want) || end != tc.wantEnd {
				t.Errorf("LastLines(%s, %d) = %d lines, end %d; want %d lines, end %d", tc.name, tc.n, len(got), end, len(tc.want), tc.wantEnd)
			}
		})
	}
}

func TestLastLinesRefusesHugeLine(t *testing.T) {
	data := "a\n" + strings.Repeat("x", MaxLineSize+2)
	if _, _, err := LastLines(strings.NewReader(data), int64(len(data)), 1); err == nil {
		t.Errorf("LastLines(line over MaxLineSize) = nil error, want one")
	}
	if _, _, err := LastLines(strings.NewReader("a\n"), 2, -1); err == nil {
		t.Errorf("LastLines(n = -1) = nil error, want one")
	}
}

// follower runs Follow on path from offset, with a tick channel the test
// drives, and hands every line to lines.
type follower struct {
	tick   chan time.Time
	lines  chan string
	done   chan error
	cancel context.CancelFunc
}

func startFollow(t *testing.T, path string, offset int64) *follower {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	ctx, cancel := context.WithCancel(context.Background())
	fw := &follower{tick: make(chan time.Time), lines: make(chan string, 100), done: make(chan error, 1), cancel: cancel}
	go func() {
		fw.done <- Follow(ctx, f, offset, fw.tick, func(line []byte) error {
			fw.lines <- string(line)
			return nil
		})
	}()
	t.Cleanup(cancel)
	return fw
}

// next returns the next line Follow delivered; the ticks it sends are
// how the test says "look again", so no sleeping is involved.
func (fw *follower) next(t *testing.T) string {
	t.Helper()
	for {
		select {
		case l := <-fw.lines:
			return l
		case err := <-fw.done:
			t.Fatalf("Follow returned %v while a line was expected", err)
		case fw.tick <- time.Time{}:
		}
	}
}

func appendFile(t *testing.T, path, s string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(s); err != nil {
		t.Fatal(err)
	}
}

func TestFollow(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	if err := os.WriteFile(path, []byte("old\nseen"), 0o600); err != nil {
		t.Fatal(err)
	}
	fw := startFollow(t, path, 4)
	appendFile(t, path, "-now\nhalf")
	if got := fw.next(t); got != "seen-now" {
		t.Errorf("Follow line 1 = %q, want %q", got, "seen-now")
	}
	// The torn "half" must not be delivered until its newline is there.
	fw.tick <- time.Time{}
	fw.tick <- time.Time{} // the first tick's check is done once the second is taken
	select {
	case l := <-fw.lines:
		t.Fatalf("Follow delivered the torn line %q", l)
	default:
	}
	appendFile(t, path, "-done\nthird\n")
	for _, want := range []string{"half-done", "third"} {
		if got := fw.next(t); got != want {
			t.Errorf("Follow line = %q, want %q", got, want)
		}
	}
	fw.cancel()
	if err := <-fw.done; err != nil {
		t.Errorf("Follow after cancel = %v, want nil", err)
	}
}

func TestFollowShrink(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	if err := os.WriteFile(path, []byte("a\nb\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	fw := startFollow(t, path, 4)
	fw.tick <- time.Time{}
	if err := os.Truncate(path, 2); err != nil {
		t.Fatal(err)
	}
	for {
		select {
		case fw.tick <- time.Time{}:
			continue
		case err := <-fw.done:
			if err == nil || !strings.Contains(err.Error(), "shrank") {
				t.Errorf("Follow(truncated file) = %v, want a shrank error", err)
			}
		}
		break
	}
}

func TestFollowCallbackError(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	if err := os.WriteFile(path, []byte("a\nb\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	stop := errors.New("stop")
	var seen bytes.Buffer
	err = Follow(context.Background(), f, 0, nil, func(line []byte) error {
		seen.Write(line)
		return stop
	})
	if !errors.Is(err, stop) || seen.String() != "a" {
		t.Errorf("Follow = %v after %q, want the callback's error after %q", err, seen.String(), "a")
	}
}
