package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ironcurtain/ironcurtain-go/internal/escalate"
	"github.com/ironcurtain/ironcurtain-go/internal/policy"
)

// shownPrompter gives no inline answer; it reports each request once its
// file is published, so the test knows when the CLI can see it.
type shownPrompter struct{ shown chan escalate.Request }

func (p shownPrompter) Prompt(ctx context.Context, req escalate.Request) (escalate.Answer, error) {
	p.shown <- req
	<-ctx.Done()
	return escalate.Answer{}, ctx.Err()
}

type escEnv struct {
	home string
	vars map[string]string
}

func newEscEnv(t *testing.T) *escEnv {
	root := t.TempDir()
	home := filepath.Join(root, "ic")
	return &escEnv{home: home, vars: map[string]string{"HOME": root, "IRONCURTAIN_HOME": home, "USER": "alice"}}
}

func (ee *escEnv) run(args ...string) (code int, stdout, stderr string) {
	var out, errb bytes.Buffer
	code = run(append([]string{"escalations"}, args...), strings.NewReader(""), &out, &errb, func(k string) string { return ee.vars[k] })
	return code, out.String(), errb.String()
}

type asked struct {
	a   escalate.Answer
	err error
}

// ask starts a real Broker's Ask in another goroutine and returns once the
// request is pending.
func (ee *escEnv) ask(t *testing.T, session string, req escalate.Request) (escalate.Request, chan asked) {
	t.Helper()
	p := shownPrompter{shown: make(chan escalate.Request, 1)}
	b, err := escalate.New(escalate.Config{Home: ee.home, SessionID: session, Prompter: p})
	if err != nil {
		t.Fatal(err)
	}
	res := make(chan asked, 1)
	go func() {
		a, err := b.Ask(t.Context(), req)
		res <- asked{a, err}
	}()
	return <-p.shown, res
}

func escWriteReq(path string) escalate.Request {
	return escalate.Request{
		Server: "filesystem", Tool: "write_file",
		Arguments:      map[string]any{"path": path, "content": "hello"},
		Rule:           "escalate-writes",
		Reason:         "Writes need approval.",
		EscalatedRoles: []policy.Role{policy.RoleWritePath},
		Values:         []policy.RoleValue{{Role: policy.RoleWritePath, Arg: "path", Value: path}},
	}
}

func TestEscalationsListEmptyCreatesNothing(t *testing.T) {
	ee := newEscEnv(t)
	for _, args := range [][]string{nil, {"--json"}} {
		code, out, errOut := ee.run(args...)
		if code != 0 {
			t.Fatalf("escalations %v: exit %d, stderr %q", args, code, errOut)
		}
		want := "no pending escalations\n"
		if len(args) > 0 {
			want = ""
		}
		if out != want {
			t.Errorf("escalations %v = %q, want %q", args, out, want)
		}
	}
	if _, err := os.Stat(ee.home); !os.IsNotExist(err) {
		t.Errorf("listing created <home> (%v)", err)
	}
}

func TestEscalationsEndToEnd(t *testing.T) {
	ee := newEscEnv(t)
	req1, res1 := ee.ask(t, "sess1", escWriteReq("/home/u/docs/a.txt"))

	code, out, errOut := ee.run()
	if code != 0 {
		t.Fatalf("list: exit %d, stderr %q", code, errOut)
	}
	for _, want := range []string{"1  session sess1  filesystem/write_file  expires in ",
		"rule escalate-writes: Writes need approval.", `args {"content":"hello","path":"/home/u/docs/a.txt"}`,
		"approve+ also allows: filesystem/write_file with write-path within /home/u/docs", "id " + req1.ID} {
		if !strings.Contains(out, want) {
			t.Errorf("list lacks %q:\n%s", want, out)
		}
	}

	code, out, _ = ee.run("--json")
	var got struct {
		N              int               `json:"n"`
		ID             string            `json:"id"`
		SessionID      string            `json:"sessionId"`
		Server         string            `json:"server"`
		Tool           string            `json:"tool"`
		Arguments      map[string]string `json:"arguments"`
		Rule           string            `json:"rule"`
		Reason         string            `json:"reason"`
		EscalatedRoles []string          `json:"escalatedRoles"`
		Values         []map[string]string
		Whitelist      string `json:"whitelist"`
		Created        string `json:"created"`
		Expires        string `json:"expires"`
	}
	if err := json.Unmarshal([]byte(out), &got); code != 0 || err != nil {
		t.Fatalf("--json: exit %d, %v: %q", code, err, out)
	}
	if got.N != 1 || got.ID != req1.ID || got.SessionID != "sess1" || got.Server != "filesystem" || got.Tool != "write_file" ||
		got.Arguments["path"] != "/home/u/docs/a.txt" || got.Rule != "escalate-writes" ||
		len(got.EscalatedRoles) != 1 || got.EscalatedRoles[0] != "write-path" ||
		len(got.Values) != 1 || got.Values[0]["value"] != "/home/u/docs/a.txt" || got.Created == "" || got.Expires == "" {
		t.Errorf("--json = %+v", got)
	}

	// A second session's request lists after the first.
	req2, res2 := ee.ask(t, "sess2", escWriteReq("/home/u/other/b.txt"))
	_, out, _ = ee.run()
	if i1, i2 := strings.Index(out, "1  session sess1"), strings.Index(out, "2  session sess2"); i1 < 0 || i2 < i1 {
		t.Errorf("list order wrong:\n%s", out)
	}

	tests := []struct {
		name      string
		args      []string
		code      int
		stdout    string
		stderrOne string
	}{
		{"no such number", []string{"approve", "3"}, 2, "", "no pending escalation 3"},
		{"zero", []string{"deny", "0"}, 2, "", "no pending escalation 0"},
		{"no such id", []string{"deny", "nope"}, 2, "", `no pending escalation with id "nope"`},
		{"missing N", []string{"approve"}, 2, "", "accepts 1 arg"},
		{"bad subcommand", []string{"maybe", "1"}, 2, "", "unknown command"},
		{"approve+ by number", []string{"approve+", "1"}, 0, "approve+: request " + req1.ID + " of session sess1", ""},
		{"answered already shifts numbers", []string{"approve", "2"}, 2, "", "no pending escalation 2"},
		{"deny by id", []string{"deny", req2.ID}, 0, "deny: request " + req2.ID + " of session sess2", ""},
		{"nothing left", []string{"approve", "1"}, 2, "", "no pending escalation 1 (0 pending"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := ee.run(tc.args...)
			if code != tc.code {
				t.Fatalf("escalations %v: exit %d, want %d\nstdout: %s\nstderr: %s", tc.args, code, tc.code, out, errOut)
			}
			if !strings.Contains(out, tc.stdout) {
				t.Errorf("stdout = %q, want containing %q", out, tc.stdout)
			}
			if tc.stderrOne != "" && (!strings.Contains(errOut, tc.stderrOne) || strings.Count(errOut, "\n") != 1) {
				t.Errorf("stderr = %q, want one line containing %q", errOut, tc.stderrOne)
			}
		})
		if tc.name == "approve+ by number" {
			r := <-res1
			if r.err != nil || r.a.Outcome != escalate.Approved || !r.a.AddToWhitelist || !strings.Contains(r.a.By, "alice") {
				t.Errorf("Ask 1 = %+v, %v, want approve+ by alice", r.a, r.err)
			}
		}
	}
	if r := <-res2; r.err != nil || r.a.Outcome != escalate.Denied {
		t.Errorf("Ask 2 = %+v, %v, want denied", r.a, r.err)
	}
}

// What the agent put into a request cannot drive the terminal that lists
// it.
func TestEscalationsListEscapes(t *testing.T) {
	ee := newEscEnv(t)
	hostile := "\x1b]0;owned\x07\u009b2J\u202e"
	req := escWriteReq("/home/u/docs/a")
	req.Tool = "write" + hostile
	req.Arguments["content"] = hostile
	req.Reason = "because" + hostile
	_, res := ee.ask(t, "s", req)
	for _, args := range [][]string{nil, {"--json"}} {
		_, out, _ := ee.run(args...)
		for _, bad := range []string{"\x1b", "\x07", "\u009b", "\u202e"} {
			if strings.Contains(out, bad) {
				t.Errorf("escalations %v output contains %q:\n%q", args, bad, out)
			}
		}
		if len(args) > 0 {
			var got struct{ Reason string }
			if err := json.Unmarshal([]byte(out), &got); err != nil || got.Reason != req.Reason {
				t.Errorf("--json reason = %q (%v), want %q", got.Reason, err, req.Reason)
			}
		}
	}
	if code, _, errOut := ee.run("deny", "1"); code != 0 {
		t.Fatalf("deny: exit %d, %s", code, errOut)
	}
	<-res
}
