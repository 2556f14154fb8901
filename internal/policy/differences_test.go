package policy_test

// Reasons, each a heading of docs/POLICY.md "Deliberate differences".
const (
	trapUngatedURL   = "D5 allow rules without a domain condition do not admit URLs on a server with no allowedDomains"
	badURL           = "D6 a URL that does not parse to a network host is denied"
	unresolvedRemote = "D7 a named git remote that cannot be resolved is denied"
)

// deliberateDifferences lists the conformance rows where this engine
// decides differently from the TypeScript engine on purpose. Every entry
// is explained in docs/POLICY.md under the heading its reason names.
var deliberateDifferences = map[string]struct {
	decision string // what this engine decides
	why      string
}{
	"generated-readonly/test-scenarios.json#36":           {"deny", trapUngatedURL},
	"generated-readonly/test-scenarios.json#37":           {"deny", trapUngatedURL},
	"generated-readonly/test-scenarios.json#38":           {"deny", trapUngatedURL},
	"generated-readonly/test-scenarios.json#39":           {"deny", trapUngatedURL},
	"generated-readonly/test-scenarios.json#40":           {"deny", trapUngatedURL},
	"generated-readonly/test-scenarios.json#41":           {"deny", trapUngatedURL},
	"generated-readonly/test-scenarios.json#42":           {"deny", trapUngatedURL},
	"generated-readonly/test-scenarios.json#43":           {"deny", trapUngatedURL},
	"generated-readonly/test-scenarios.json#45":           {"deny", trapUngatedURL},
	"generated-readonly/test-scenarios.json#47":           {"deny", trapUngatedURL},
	"generated-readonly/test-scenarios.json#48":           {"deny", trapUngatedURL},
	"generated-readonly/test-scenarios.json#49":           {"deny", trapUngatedURL},
	"generated-readonly/test-scenarios.json#50":           {"deny", trapUngatedURL},
	"generated-readonly/test-scenarios.json#51":           {"deny", trapUngatedURL},
	"generated-readonly/test-scenarios.json#52":           {"deny", trapUngatedURL},
	"generated-readonly/test-scenarios.json#44":           {"deny", badURL},
	"generated-coding/servers/git/test-scenarios.json#60": {"deny", unresolvedRemote},
}
