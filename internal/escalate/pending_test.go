package escalate

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ironcurtain/ironcurtain-go/internal/policy"
)

func TestRespondRefuses(t *testing.T) {
	p := newSignalPrompter()
	home := t.TempDir()
	b := newBroker(t, Config{Home: home, Prompter: p})
	hist := Request{Server: "git", Tool: "git_reset", ID: "h",
		EscalatedRoles: []policy.Role{policy.RoleWriteHistory},
		Values:         []policy.RoleValue{{Role: policy.RoleWriteHistory, Arg: "path", Value: "/repo"}}}
	res := askAsync(t.Context(), b, hist)
	<-p.shown
	ps, err := ListPending(home)
	if err != nil || len(ps) != 1 {
		t.Fatalf("ListPending = %v, %v", ps, err)
	}
	tests := []struct {
		name, decision, by string
		p                  Pending
		want               string
	}{
		{"bad decision", "approve!", "x", ps[0], "not one of"},
		{"empty by", DecisionApprove, "", ps[0], "by must be"},
		{"control by", DecisionApprove, "a\x1b", ps[0], "non-printable"},
		{"approve+ without entry", DecisionApprovePlus, "x", ps[0], "approve+ is not possible"},
		{"unknown id", DecisionApprove, "x", Pending{Request: Request{ID: "nope", SessionID: "s1"}}, "no longer pending"},
		{"unknown session", DecisionApprove, "x", Pending{Request: Request{ID: "h", SessionID: "s9"}}, "no longer pending"},
		{"bad id", DecisionApprove, "x", Pending{Request: Request{ID: "../h", SessionID: "s1"}}, "not a valid name"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := Respond(home, tc.p, tc.decision, tc.by)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Respond(%q, %q) = %v, want error containing %q", tc.decision, tc.by, err, tc.want)
			}
		})
	}
	if err := Respond(home, ps[0], DecisionApprove, "x"); err != nil {
		t.Fatal(err)
	}
	if r := <-res; r.a.Outcome != Approved {
		t.Errorf("Ask = %+v, %v", r.a, r.err)
	}
}

func TestListPendingCreatesNothing(t *testing.T) {
	home := filepath.Join(t.TempDir(), "absent")
	ps, err := ListPending(home)
	if err != nil || len(ps) != 0 {
		t.Fatalf("ListPending(missing) = %v, %v, want none", ps, err)
	}
	if _, err := os.Stat(home); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("ListPending created %s (%v)", home, err)
	}
}

// ListPending shows requests of every session in creation order and hides
// expired, answered and malformed ones.
func TestListPendingOrderAndFilter(t *testing.T) {
	home := t.TempDir()
	base := time.Now()
	mk := func(session, id string, created time.Time, timeout time.Duration) {
		dir, err := secureEscalationsDir(home, session, true)
		if err != nil {
			t.Fatal(err)
		}
		req := writeReq()
		req.ID, req.SessionID = id, session
		data, err := encodeRequest(req, created, created.Add(timeout))
		if err != nil {
			t.Fatal(err)
		}
		if err := writeFileAtomic(dir, requestName(id), data, false); err != nil {
			t.Fatal(err)
		}
	}
	mk("s2", "b", base.Add(-2*time.Second), time.Minute)
	mk("s1", "c", base.Add(-3*time.Second), time.Minute)
	mk("s1", "a", base.Add(-2*time.Second), time.Minute)
	mk("s1", "old", base.Add(-time.Hour), time.Minute) // expired
	mk("s3", "answered", base, time.Minute)
	if err := os.WriteFile(filepath.Join(escalationsDir(home, "s3"), responseName("answered")), []byte(`{"decision":"deny","by":"x"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	mk("s3", "badanswer", base, time.Minute)
	if err := os.WriteFile(filepath.Join(escalationsDir(home, "s3"), responseName("badanswer")), []byte(`{}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(escalationsDir(home, "s1"), requestName("junk")), []byte(`{"id":"junk"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(escalationsDir(home, "s1"), requestName("wrongid")), mustEncode(t, "other", "s1"), 0o600); err != nil {
		t.Fatal(err)
	}
	ps, err := ListPending(home)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range ps {
		got = append(got, fmt.Sprintf("%d:%s/%s", p.N, p.Request.SessionID, p.Request.ID))
	}
	want := "1:s1/c 2:s1/a 3:s2/b 4:s3/badanswer"
	if strings.Join(got, " ") != want {
		t.Errorf("ListPending = %v, want %s", got, want)
	}

	if err := os.Chmod(filepath.Join(home, "sessions", "s2"), 0o777); err != nil {
		t.Fatal(err)
	}
	if _, err := ListPending(home); err == nil || !strings.Contains(err.Error(), "writable") {
		t.Errorf("ListPending with a world-writable session dir = %v, want an error", err)
	}
}

func mustEncode(t *testing.T, id, session string) []byte {
	t.Helper()
	req := writeReq()
	req.ID, req.SessionID = id, session
	data, err := encodeRequest(req, time.Now(), time.Now().Add(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// Respond replaces an answer file the broker would ignore, and refuses to
// replace one it would take.
func TestRespondReplacesInvalidAnswer(t *testing.T) {
	home := t.TempDir()
	dir, err := secureEscalationsDir(home, "s1", true)
	if err != nil {
		t.Fatal(err)
	}
	if err := writeFileAtomic(dir, requestName("r"), mustEncode(t, "r", "s1"), false); err != nil {
		t.Fatal(err)
	}
	resp := filepath.Join(dir, responseName("r"))
	if err := os.Symlink("/etc/passwd", resp); err != nil {
		t.Fatal(err)
	}
	ps, err := ListPending(home)
	if err != nil || len(ps) != 1 {
		t.Fatalf("ListPending = %v, %v, want the request", ps, err)
	}
	if err := Respond(home, ps[0], DecisionApprove, "me"); err != nil {
		t.Fatalf("Respond over a symlink: %v", err)
	}
	data, fi, err := readOwnedFile(resp, maxAnswerSize)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("answer file: %v (mode %v)", err, fi)
	}
	if a, err := parseAnswer(data); err != nil || a != (Answer{Outcome: Approved, By: "me"}) {
		t.Errorf("answer = %+v, %v", a, err)
	}
	if err := Respond(home, ps[0], DecisionDeny, "me"); !errors.Is(err, ErrNotPending) || !strings.Contains(err.Error(), "already answered") {
		t.Errorf("second Respond = %v, want already answered", err)
	}
	if ps, _ := ListPending(home); len(ps) != 0 {
		t.Errorf("an answered request is still listed: %v", ps)
	}
}
