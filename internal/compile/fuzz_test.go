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
		`{"scenarios":[{"description":"d","request":{"serverName":"fs","toolName":"t","arguments":{"a":1}},"expectedDecision":"deny","reasoning":"r"}]}`, `"x"`, `{}`,
		`{"values":["Example.com","*.dev.example","a@b.example","x"]}`, `{"generatedAt":"","lists":{"news":{"values":["a.example"]}}}`,
		`{"rules":[` + ruleNews + `],"listDefinitions":[` + defNews + `]}`} {
		f.Add([]byte(s))
	}
	base := []Rule{}
	if err := json.Unmarshal([]byte(`[`+ruleRead+`,`+ruleEscalate+`]`), &base); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		raw := json.RawMessage(data)
		if rules, defs, err := parseRules("fs", raw); err == nil {
			doc, _ := policyDoc(rules)
			lists, _ := listsBytes("", defs, nil)
			if _, err := policy.ParsePolicy("fuzz", doc, ListsFile, lists); err != nil {
				t.Fatalf("accepted rules do not load: %v", err)
			}
		}
		if rules, err := parsePatch("fs", base, nil, raw); err == nil {
			if _, err := checkRules("fs", rules, nil); err != nil {
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
		_, _ = parseListsDoc(data)
		for _, typ := range []string{"domains", "emails", "identifiers"} {
			if values, err := parseListValues(typ, raw); err == nil {
				for _, v := range values {
					if _, err := canonicalValue(typ, v); err != nil {
						t.Fatalf("accepted %s value %q does not canonicalize: %v", typ, v, err)
					}
				}
			}
		}
	})
}
