package escalate

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Forged or broken answers are ignored (logged once) and the request keeps
// waiting; the real answer that follows replaces them and is taken.
func TestForgedAnswersIgnored(t *testing.T) {
	outside := filepath.Join(t.TempDir(), "approve.json")
	if err := os.WriteFile(outside, []byte(`{"decision":"approve","by":"x"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		forge func(t *testing.T, path string)
	}{
		{"symlink", func(t *testing.T, path string) {
			if err := os.Symlink(outside, path); err != nil {
				t.Fatal(err)
			}
		}},
		{"unknown decision", writeFile(`{"decision":"yes","by":"x"}`, 0o600)},
		{"unknown field", writeFile(`{"decision":"approve","by":"x","whitelist":"all"}`, 0o600)},
		{"duplicate key", writeFile(`{"decision":"deny","decision":"approve","by":"x"}`, 0o600)},
		{"missing by", writeFile(`{"decision":"approve"}`, 0o600)},
		{"control in by", writeFile(`{"decision":"approve","by":"x\u001b[2J"}`, 0o600)},
		{"not json", writeFile(`approve`, 0o600)},
		{"trailing data", writeFile(`{"decision":"approve","by":"x"} {}`, 0o600)},
		{"too big", writeFile(`{"decision":"approve","by":"x"}`+strings.Repeat(" ", maxAnswerSize), 0o600)},
		{"group-writable", writeFile(`{"decision":"approve","by":"x"}`, 0o620)},
		{"world-writable", writeFile(`{"decision":"approve","by":"x"}`, 0o602)},
		{"directory", func(t *testing.T, path string) {
			if err := os.Mkdir(path, 0o700); err != nil {
				t.Fatal(err)
			}
		}},
		{"fifo", func(t *testing.T, path string) {
			if err := mkfifo(path); err != nil {
				t.Skipf("mkfifo: %v", err)
			}
		}},
		{"other owner", func(t *testing.T, path string) {
			if os.Getuid() != 0 {
				t.Skip("needs root to give a file away")
			}
			writeFile(`{"decision":"approve","by":"x"}`, 0o600)(t, path)
			if err := os.Chown(path, 65534, 65534); err != nil {
				t.Skipf("chown: %v", err)
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := newSignalPrompter()
			logs := newLogBuffer()
			home := t.TempDir()
			b := newBroker(t, Config{Home: home, Prompter: p, Log: logs.logger()})
			res := askAsync(t.Context(), b, writeReq())
			req := <-p.shown
			path := filepath.Join(b.Dir(), responseName(req.ID))
			tc.forge(t, path)
			if msg := <-logs.logged; !strings.Contains(msg, "ignored answer file") {
				t.Fatalf("logged %q, want a line about the ignored answer", msg)
			}
			select {
			case r := <-res:
				t.Fatalf("Ask returned %+v, %v on a forged answer", r.a, r.err)
			default:
			}
			// Still pending, and the real answer replaces the forged one.
			ps, err := ListPending(home)
			if err != nil || len(ps) != 1 {
				t.Fatalf("ListPending = %v, %v, want the request", ps, err)
			}
			if fi, err := os.Lstat(path); err == nil && fi.IsDir() {
				if err := Respond(home, ps[0], DecisionDeny, "real"); err == nil {
					t.Fatal("Respond replaced a directory")
				}
				if err := os.Remove(path); err != nil {
					t.Fatal(err)
				}
			}
			if err := Respond(home, ps[0], DecisionDeny, "real"); err != nil {
				t.Fatalf("Respond: %v", err)
			}
			if r := <-res; r.err != nil || r.a != (Answer{Outcome: Denied, By: "real"}) {
				t.Errorf("Ask = %+v, %v, want denied by real", r.a, r.err)
			}
			if n := strings.Count(logs.String(), "ignored answer file"); n != 1 {
				t.Errorf("the forged file was logged %d times, want once:\n%s", n, logs)
			}
			if _, err := os.Stat(outside); err != nil {
				t.Errorf("symlink target was touched: %v", err)
			}
		})
	}
}

func writeFile(body string, mode os.FileMode) func(t *testing.T, path string) {
	return func(t *testing.T, path string) {
		t.Helper()
		tmp := path + ".forge"
		if err := os.WriteFile(tmp, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(tmp, mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(tmp, path); err != nil {
			t.Fatal(err)
		}
	}
}

// An answer for an id nobody asked is never read, and one written before
// its request existed is cleared when the request is published.
func TestAnswerForUnknownID(t *testing.T) {
	p := newSignalPrompter()
	b := newBroker(t, Config{Prompter: p})
	writeAnswer(t, b, "unknown", `{"decision":"approve","by":"x"}`)
	writeAnswer(t, b, "pre", `{"decision":"approve","by":"x"}`)
	req := writeReq()
	req.ID = "pre"
	res := askAsync(t.Context(), b, req)
	<-p.shown
	if _, err := os.Lstat(filepath.Join(b.Dir(), responseName("pre"))); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("pre-written answer still there (%v)", err)
	}
	writeAnswer(t, b, "pre", `{"decision":"deny","by":"y"}`)
	if r := <-res; r.err != nil || r.a != (Answer{Outcome: Denied, By: "y"}) {
		t.Errorf("Ask = %+v, %v, want denied by y", r.a, r.err)
	}
}
