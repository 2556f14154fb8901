package compile

import (
	"encoding/json"
	"testing"

	"github.com/ironcurtain/ironcurtain-go/internal/policy"
)

// FuzzAnswers feeds arbitrary model answers to every parser: nothing may
// panic, and whatever is accepted must load in the engine's own loaders.
func FuzzAnswers(f *testing.F) {
	for _, s := range []string{`{"rules":[` + ruleRead + `]}`, `{"operations":[{"op":"delete","name":"escalate-writes"}]}`,
		`{"verdicts":[{"index":0,"blame":"scenario","correctedDecision":"deny","explanation":""}]}`,
		`{"scenarios":[{"description":"d","request":{"serverName":"fs","toolName":"t","arguments":{"a":1}},"expectedDecision":"deny","reasoning":"r"}]}`, `"x"`, `{}`} {
		f.Add([]byte(s))
	}
	base := []Rule{}
	if err := json.Unmarshal([]byte(`[`+ruleRead+`,`+ruleEscalate+`]`), &base); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		raw := json.RawMessage(data)
		if rules, err := parseRules("fs", raw); err == nil {
			doc, _ := policyDoc(rules)
			if _, err := policy.ParsePolicy("fuzz", doc, "", nil); err != nil {
				t.Fatalf("accepted rules do not load: %v", err)
			}
		}
		if rules, err := parsePatch("fs", base, raw); err == nil {
			if _, err := checkRules("fs", rules); err != nil {
				t.Fatalf("accepted patch does not load: %v", err)
			}
		}
		if scs, err := parseScenarios("fs", raw); err == nil {
			if _, err := checkScenarios(scs); err != nil {
				t.Fatalf("accepted scenarios do not load: %v", err)
			}
		}
		_, _ = parseVerdicts(1, raw)
		_, _ = parseCache(data)
	})
}
