package compile

import (
	"encoding/json"
	"strings"
	"testing"
)

func rule(t *testing.T, s string) Rule {
	t.Helper()
	var r Rule
	if err := json.Unmarshal([]byte(s), &r); err != nil {
		t.Fatal(err)
	}
	return r
}

func TestApplyPatch(t *testing.T) {
	read, esc := rule(t, ruleRead), rule(t, ruleEscalate)
	deny := rule(t, strings.NewReplacer("allow-read-docs", "deny-ssh", `"allow"`, `"deny"`, "~/docs", "~/.ssh").Replace(ruleRead))
	names := func(rs []Rule) string {
		var out []string
		for _, r := range rs {
			out = append(out, r.Name)
		}
		return strings.Join(out, ",")
	}
	for _, tc := range []struct {
		ops     []PatchOp
		want    string // rule names after the patch, or the error's text
		wantErr bool
	}{
		{[]PatchOp{{Op: "add", Name: "deny-ssh", Rule: &deny}}, "deny-ssh,allow-read-docs,escalate-writes", false},
		{[]PatchOp{{Op: "add", Name: "deny-ssh", Rule: &deny, After: "allow-read-docs"}}, "allow-read-docs,deny-ssh,escalate-writes", false},
		{[]PatchOp{{Op: "delete", Name: "escalate-writes"}}, "allow-read-docs", false},
		{[]PatchOp{{Op: "update", Name: "allow-read-docs", Rule: &read}}, "allow-read-docs,escalate-writes", false},
		{[]PatchOp{{Op: "update", Name: "nope", Rule: &read}}, "unknown rule", true},
		{[]PatchOp{{Op: "add", Name: "allow-read-docs", Rule: &read}}, "already exists", true},
		{[]PatchOp{{Op: "add", Name: "deny-ssh", Rule: &deny, After: "nope"}}, "unknown rule", true},
		{[]PatchOp{{Op: "update", Name: "allow-read-docs", Rule: &esc}}, "duplicate rule name", true},
		{[]PatchOp{{Op: "delete", Name: "allow-read-docs"}, {Op: "delete", Name: "escalate-writes"}}, "no rules", true},
		{[]PatchOp{{Op: "rename", Name: "x"}}, "unknown op", true},
	} {
		got, err := applyPatch("fs", []Rule{read, esc}, nil, tc.ops)
		switch {
		case tc.wantErr && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("applyPatch(%+v) = %v, want an error containing %q", tc.ops, err, tc.want)
		case !tc.wantErr && (err != nil || names(got) != tc.want):
			t.Errorf("applyPatch(%+v) = %s, %v, want %s", tc.ops, names(got), err, tc.want)
		}
	}
}

func TestScopeForcesServer(t *testing.T) {
	rules, _, err := parseRules("fs", json.RawMessage(`{"rules":[`+strings.Replace(ruleRead, `"tool"`, `"server":["git"],"tool"`, 1)+`]}`))
	if err != nil || !strings.Contains(string(rules[0].If), `"server":["fs"]`) {
		t.Errorf("parseRules(server git) = %s, %v, want server forced to fs", rules[0].If, err)
	}
}

func TestParseRejects(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  func() error
		want string
	}{
		{"string input", func() error { _, _, err := parseRules("fs", json.RawMessage(`"{oops"`)); return err }, "not valid JSON"},
		{"unknown field", func() error { _, _, err := parseRules("fs", json.RawMessage(`{"rules":[],"x":1}`)); return err }, "unknown field"},
		{"list reference", func() error {
			_, _, err := parseRules("fs", json.RawMessage(`{"rules":[`+strings.Replace(ruleEscalate, `"tool":["write_file","move_file"]`, `"domains":{"roles":["fetch-url"],"allowed":["@news"]}`, 1)+`]}`))
			return err
		}, "@lists"},
		{"other server scenario", func() error {
			_, err := parseScenarios("fs", json.RawMessage(`{"scenarios":[{"description":"d","request":{"serverName":"git","toolName":"t","arguments":{}},"expectedDecision":"deny","reasoning":"r"}]}`))
			return err
		}, `"git"`},
		{"verdict index", func() error {
			_, err := parseVerdicts(1, json.RawMessage(`{"verdicts":[{"index":3,"blame":"rule","explanation":""}]}`))
			return err
		}, "index 3"},
		{"missing verdict", func() error {
			_, err := parseVerdicts(2, json.RawMessage(`{"verdicts":[{"index":0,"blame":"rule","explanation":""}]}`))
			return err
		}, "1 verdicts for 2"},
		{"scenario blame without decision", func() error {
			_, err := parseVerdicts(1, json.RawMessage(`{"verdicts":[{"index":0,"blame":"scenario","explanation":""}]}`))
			return err
		}, "correctedDecision"},
		{"empty patch", func() error { _, err := parsePatch("fs", nil, nil, json.RawMessage(`{"operations":[]}`)); return err }, "no operations"},
	} {
		if err := tc.err(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want one containing %q", tc.name, err, tc.want)
		}
	}
}

func TestCheckConstitution(t *testing.T) {
	for _, tc := range []struct {
		data string
		want string // "" for accepted
	}{
		{"Be careful.", ""},
		{"  \n\t", "empty"},
		{"", "empty"},
		{"bad \xff byte", "UTF-8"},
		{"nul \x00", "NUL"},
		{strings.Repeat("a", MaxConstitutionBytes+1), "larger"},
	} {
		err := CheckConstitution("c.md", []byte(tc.data))
		if (tc.want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("CheckConstitution(%.20q) = %v, want %q", tc.data, err, tc.want)
		}
	}
}
