package compile

import (
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"slices"

	"github.com/ironcurtain/ironcurtain-go/internal/policy"
	"github.com/ironcurtain/ironcurtain-go/internal/scenario"
)

// Scenario is one test scenario in the test-scenarios.json shape.
type Scenario struct {
	Description string  `json:"description"`
	Request     Request `json:"request"`
	Expected    string  `json:"expectedDecision"`
	Reasoning   string  `json:"reasoning"`
	Source      string  `json:"source"`
}

// Request is a scenario's tool call.
type Request struct {
	Server    string         `json:"serverName"`
	Tool      string         `json:"toolName"`
	Arguments map[string]any `json:"arguments"`
}

// Source labels.
const (
	SourceGenerated   = "generated"
	SourceHandwritten = "handwritten"
)

// scenariosDoc renders scenarios as a test-scenarios.json body.
func scenariosDoc(scs []Scenario) ([]byte, error) {
	if scs == nil {
		scs = []Scenario{}
	}
	return json.MarshalIndent(struct {
		Scenarios []Scenario `json:"scenarios"`
	}{scs}, "", "  ")
}

// checkScenarios validates scenarios as the scenario loader would and
// returns them in its form.
func checkScenarios(scs []Scenario) ([]scenario.Scenario, error) {
	doc, err := scenariosDoc(scs)
	if err != nil {
		return nil, err
	}
	return scenario.Parse("scenarios", doc)
}

// parseScenarios reads a submit_scenarios answer for server.
func parseScenarios(server string, raw json.RawMessage) ([]Scenario, error) {
	var ans struct {
		Scenarios []Scenario `json:"scenarios"`
	}
	if err := decodeStrict(raw, &ans); err != nil {
		return nil, err
	}
	if len(ans.Scenarios) == 0 {
		return nil, errors.New("no scenarios")
	}
	for i := range ans.Scenarios {
		s := &ans.Scenarios[i]
		if s.Request.Server != server {
			return nil, fmt.Errorf("scenarios[%d]: serverName %q, want %q", i, s.Request.Server, server)
		}
		if s.Request.Arguments == nil {
			s.Request.Arguments = map[string]any{}
		}
		s.Source = SourceGenerated
	}
	if _, err := checkScenarios(ans.Scenarios); err != nil {
		return nil, err
	}
	return ans.Scenarios, nil
}

// handwritten returns the invariant scenarios that apply to server's
// tools: whatever the constitution says, moving a file out of /etc,
// writing into /etc and reading an SSH key are never allowed outright.
func handwritten(ann *policy.Annotations, server, home, sandbox string) []Scenario {
	var out []Scenario
	add := func(t *policy.ToolAnnotation, desc, why string, paths map[policy.Role]string) {
		args := map[string]any{}
		for _, a := range t.Args {
			args[a.Name] = "x"
			for _, r := range a.Default {
				if p, ok := paths[r]; ok {
					args[a.Name] = p
					break
				}
			}
		}
		out = append(out, Scenario{Description: desc, Request: Request{Server: server, Tool: t.Tool, Arguments: args},
			Expected: "not-allow", Reasoning: why, Source: SourceHandwritten})
	}
	var move, write, read *policy.ToolAnnotation
	for _, t := range ann.Tools() {
		if t.Server != server {
			continue
		}
		has := func(r policy.Role) bool {
			return slices.ContainsFunc(t.Args, func(a policy.ArgAnnotation) bool { return slices.Contains(a.Default, r) })
		}
		if move == nil && has(policy.RoleDeletePath) && has(policy.RoleWritePath) && len(t.Args) >= 2 {
			move = t
		}
		if write == nil && has(policy.RoleWritePath) && !has(policy.RoleDeletePath) {
			write = t
		}
		if read == nil && has(policy.RoleReadPath) && !has(policy.RoleWritePath) && !has(policy.RoleDeletePath) {
			read = t
		}
	}
	if move != nil {
		add(move, "Move a file from /etc into the sandbox -- not allowed",
			"The source lies outside the sandbox and is deleted by the move.",
			map[policy.Role]string{policy.RoleDeletePath: "/etc/important.txt", policy.RoleWritePath: filepath.Join(sandbox, "important.txt")})
	}
	if write != nil {
		add(write, "Write a file under /etc -- not allowed", "System configuration is outside the sandbox.",
			map[policy.Role]string{policy.RoleWritePath: "/etc/ironcurtain-test.conf"})
	}
	if read != nil {
		add(read, "Read the user's SSH private key -- not allowed", "Credentials must not reach the agent.",
			map[policy.Role]string{policy.RoleReadPath: filepath.Join(home, ".ssh", "id_rsa")})
	}
	return out
}

// Failure is one scenario whose decision differs from the expected one.
type Failure struct {
	Server   string       `json:"server"`
	Scenario Scenario     `json:"scenario"`
	Decision string       `json:"decision"`
	Rule     string       `json:"rule"`
	Reason   string       `json:"reason"`
	Rules    []RuleSketch `json:"rules,omitempty"`
}

// RuleSketch names a rule involved in a failure.
type RuleSketch struct {
	Name string `json:"name"`
	Then string `json:"then"`
}

// verify runs scenarios on eng and returns the failures and the number
// passing. This comparison alone decides whether a server passes.
func verify(eng *policy.Engine, server string, scs []Scenario, rules []Rule) ([]Failure, int, error) {
	parsed, err := checkScenarios(scs)
	if err != nil {
		return nil, 0, err
	}
	var fails []Failure
	for i, r := range scenario.Run(eng, parsed) {
		if r.Pass {
			continue
		}
		f := Failure{Server: server, Scenario: scs[i], Decision: r.Decision, Rule: r.Rule, Reason: r.Reason}
		if j := slices.IndexFunc(rules, func(x Rule) bool { return x.Name == r.Rule }); j >= 0 {
			f.Rules = append(f.Rules, RuleSketch{Name: rules[j].Name, Then: rules[j].Then})
		}
		fails = append(fails, f)
	}
	return fails, len(scs) - len(fails), nil
}

// Verdict is the judge's attribution of one failure.
type Verdict struct {
	Index             int    `json:"index"`
	Blame             string `json:"blame"` // rule or scenario
	CorrectedDecision string `json:"correctedDecision,omitempty"`
	Explanation       string `json:"explanation"`
}

// parseVerdicts reads a submit_verdicts answer for n failures.
func parseVerdicts(n int, raw json.RawMessage) ([]Verdict, error) {
	var ans struct {
		Verdicts []Verdict `json:"verdicts"`
	}
	if err := decodeStrict(raw, &ans); err != nil {
		return nil, err
	}
	seen := map[int]bool{}
	for i, v := range ans.Verdicts {
		if v.Index < 0 || v.Index >= n || seen[v.Index] {
			return nil, fmt.Errorf("verdicts[%d]: index %d is not a failure number 0..%d or is repeated", i, v.Index, n-1)
		}
		seen[v.Index] = true
		switch v.Blame {
		case "rule":
		case "scenario":
			switch v.CorrectedDecision {
			case "allow", "deny", "escalate", "not-allow":
			default:
				return nil, fmt.Errorf("verdicts[%d]: scenario blame needs correctedDecision allow, deny, escalate or not-allow, not %q", i, v.CorrectedDecision)
			}
		default:
			return nil, fmt.Errorf("verdicts[%d]: blame %q (want rule or scenario)", i, v.Blame)
		}
	}
	if len(seen) != n {
		return nil, fmt.Errorf("%d verdicts for %d failures: give one per failure", len(seen), n)
	}
	return ans.Verdicts, nil
}
