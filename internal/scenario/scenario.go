package scenario

import (
	"fmt"
	"os"

	"github.com/ironcurtain/ironcurtain-go/internal/jsondoc"
	"github.com/ironcurtain/ironcurtain-go/internal/policy"
)

// MaxFileSize bounds a scenario file.
const MaxFileSize = 64 << 20

// Scenario is one expected decision.
type Scenario struct {
	Description string
	Call        policy.Call
	Expected    string // allow, deny, escalate or not-allow
	Reasoning   string
	Source      string // generated or handwritten
}

// Load reads a test-scenarios.json file.
func Load(path string) ([]Scenario, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if st.Size() > MaxFileSize {
		return nil, fmt.Errorf("read %s: %d bytes, larger than the limit of %d", path, st.Size(), MaxFileSize)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	return Parse(path, data)
}

// Parse validates scenario data; file names it in errors.
func Parse(file string, data []byte) ([]Scenario, error) {
	root, err := jsondoc.Parse(data, MaxFileSize)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	c := &jsondoc.Checker{File: file}
	var out []Scenario
	if c.Object(root, "generatedAt", "constitutionHash", "inputHash", "scenarios") {
		if sv := c.Required(root, "scenarios"); sv != nil && c.Kind(sv, jsondoc.Array) {
			for _, it := range sv.Items {
				if s, ok := parseScenario(c, it); ok {
					out = append(out, s)
				}
			}
		}
	}
	if err := c.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

func parseScenario(c *jsondoc.Checker, v *jsondoc.Value) (Scenario, bool) {
	var s Scenario
	if !c.Object(v, "description", "request", "expectedDecision", "reasoning", "source") {
		return s, false
	}
	before := len(c.Errs)
	if d := v.Get("description"); d != nil {
		s.Description, _ = c.String(d)
	}
	if r := v.Get("reasoning"); r != nil {
		s.Reasoning, _ = c.String(r)
	}
	if src := v.Get("source"); src != nil {
		s.Source, _ = c.String(src)
	}
	if rq := c.Required(v, "request"); rq != nil {
		s.Call, _ = policy.CallFromValue(c, rq)
	}
	if e := c.Required(v, "expectedDecision"); e != nil {
		if str, ok := c.String(e); ok {
			switch str {
			case "allow", "deny", "escalate", "not-allow":
				s.Expected = str
			default:
				c.Errorf(e, "unknown decision %q (want allow, deny, escalate or not-allow)", str)
			}
		}
	}
	return s, len(c.Errs) == before
}

// Result is one scenario's outcome.
type Result struct {
	Index       int         `json:"index"`
	Description string      `json:"description"`
	Expected    string      `json:"expected"`
	Decision    string      `json:"decision"`
	Rule        string      `json:"rule"`
	Reason      string      `json:"reason"`
	Pass        bool        `json:"pass"`
	Call        policy.Call `json:"-"`
}

// Passes reports whether a verdict satisfies an expectation; "not-allow"
// is satisfied by deny or escalate.
func Passes(expected string, got policy.Verdict) bool {
	if expected == "not-allow" {
		return got != policy.Allow
	}
	return expected == got.String()
}

// Run evaluates every scenario.
func Run(e *policy.Engine, scenarios []Scenario) []Result {
	out := make([]Result, len(scenarios))
	for i, s := range scenarios {
		d := e.Decide(s.Call)
		out[i] = Result{
			Index:       i,
			Description: s.Description,
			Expected:    s.Expected,
			Decision:    d.Verdict.String(),
			Rule:        d.Rule,
			Reason:      d.Reason,
			Pass:        Passes(s.Expected, d.Verdict),
			Call:        s.Call,
		}
	}
	return out
}
