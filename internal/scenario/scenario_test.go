package scenario

import (
	"strings"
	"testing"

	"github.com/ironcurtain/ironcurtain-go/internal/policy"
)

func TestPasses(t *testing.T) {
	tests := []struct {
		expected string
		got      policy.Verdict
		want     bool
	}{
		{"allow", policy.Allow, true},
		{"allow", policy.Escalate, false},
		{"deny", policy.Deny, true},
		{"escalate", policy.Deny, false},
		{"not-allow", policy.Deny, true},
		{"not-allow", policy.Escalate, true},
		{"not-allow", policy.Allow, false},
	}
	for _, tc := range tests {
		if got := Passes(tc.expected, tc.got); got != tc.want {
			t.Errorf("Passes(%q, %v) = %v, want %v", tc.expected, tc.got, got, tc.want)
		}
	}
}

func TestParse(t *testing.T) {
	good := `{"generatedAt":"x","scenarios":[{"description":"d","request":{"serverName":"s","toolName":"t","arguments":{"a":1}},"expectedDecision":"not-allow","reasoning":"r","source":"handwritten"}]}`
	scs, err := Parse("s.json", []byte(good))
	if err != nil || len(scs) != 1 || scs[0].Call.Server != "s" || scs[0].Expected != "not-allow" || scs[0].Source != "handwritten" {
		t.Fatalf("Parse = %+v, %v", scs, err)
	}
	for name, tc := range map[string]struct{ in, want string }{
		"no scenarios":   {`{}`, "s.json: scenarios: is required"},
		"bad decision":   {`{"scenarios":[{"request":{"serverName":"s","toolName":"t"},"expectedDecision":"ok"}]}`, `scenarios[0].expectedDecision: unknown decision "ok"`},
		"bad request":    {`{"scenarios":[{"request":{"server":"s"},"expectedDecision":"allow"}]}`, "scenarios[0].request.server: unknown field"},
		"missing expect": {`{"scenarios":[{"request":{"serverName":"s","toolName":"t"}}]}`, "scenarios[0].expectedDecision: is required"},
	} {
		if _, err := Parse("s.json", []byte(tc.in)); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error = %v, want containing %q", name, err, tc.want)
		}
	}
}

// FuzzParse: the scenario parser never panics and never returns both
// scenarios and an error.
func FuzzParse(f *testing.F) {
	f.Add([]byte(`{"scenarios":[{"description":"d","request":{"serverName":"s","toolName":"t","arguments":{}},"expectedDecision":"allow"}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		scs, err := Parse("s.json", data)
		if err != nil && scs != nil {
			t.Fatalf("Parse returned scenarios and %v", err)
		}
	})
}
