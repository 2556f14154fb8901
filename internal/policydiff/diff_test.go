package policydiff

import (
	"testing"

	"github.com/ironcurtain/ironcurtain-go/internal/policy"
	"github.com/ironcurtain/ironcurtain-go/internal/resource"
)

const ann = `{"servers":{"filesystem":{"tools":[
 {"toolName":"read_file","args":{"path":["read-path"]}},
 {"toolName":"edit_file","args":{"path":{"default":["read-path","write-path"],"when":[{"condition":{"arg":"dryRun","equals":true},"roles":["read-path"]}]},"dryRun":["none"]}}]},
 "fetch":{"tools":[{"toolName":"http_fetch","args":{"url":["fetch-url"]}}]}}}`

func engine(t *testing.T, rules string) (*policy.Engine, *policy.Policy, *policy.Annotations) {
	t.Helper()
	p, err := policy.ParsePolicy("p", []byte(`{"rules":[`+rules+`]}`), "", nil)
	if err != nil {
		t.Fatal(err)
	}
	a, err := policy.ParseAnnotations("a", []byte(ann))
	if err != nil {
		t.Fatal(err)
	}
	e, err := policy.New(policy.Config{Policy: p, Annotations: a, Home: "/home/u", Sandbox: "/home/u/sb", FS: resource.OSFS{}})
	if err != nil {
		t.Fatal(err)
	}
	return e, p, a
}

func TestDiff(t *testing.T) {
	oldE, oldP, a := engine(t, `{"name":"docs","if":{"server":["filesystem"],"paths":{"roles":["read-path"],"within":"~/Documents"}},"then":"allow"},
		{"name":"news","if":{"server":["fetch"],"domains":{"roles":["fetch-url"],"allowed":["news.example"]}},"then":"allow"}`)
	newE, newP, _ := engine(t, `{"name":"docs","if":{"server":["filesystem"],"paths":{"roles":["read-path"],"within":"~/Documents"}},"then":"escalate"},
		{"name":"news","if":{"server":["fetch"],"domains":{"roles":["fetch-url"],"allowed":["news.example"]}},"then":"allow"}`)
	calls := Generate(a, ProbesFrom("/home/u", "/home/u/sb", oldP, newP))
	if len(calls) < 10 {
		t.Fatalf("only %d calls generated", len(calls))
	}
	changes := Diff(oldE, newE, calls)
	if len(changes) == 0 {
		t.Fatal("no change found between allow and escalate of ~/Documents reads")
	}
	for _, c := range changes {
		if c.Call.Server != "filesystem" || c.Old != policy.Allow || c.New != policy.Escalate || c.OldRule != "docs" {
			t.Errorf("unexpected change %+v", c)
		}
	}
	if got := Diff(oldE, oldE, calls); len(got) != 0 {
		t.Errorf("a policy differs from itself: %+v", got)
	}
	// The conditional clause is exercised.
	dry := false
	for _, c := range calls {
		if c.Tool == "edit_file" && c.Arguments["dryRun"] == true {
			dry = true
		}
	}
	if !dry {
		t.Error("no call tried edit_file's dryRun condition")
	}
}
