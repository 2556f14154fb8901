package compile

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/ironcurtain/ironcurtain-go/internal/policy"
)

// maxAnswerBytes bounds one decoded model answer.
const maxAnswerBytes = 4 << 20

// Rule is one compiled rule in the compiled-policy.json shape. If is kept
// as JSON: policy.ParsePolicy is its validator.
type Rule struct {
	Name        string          `json:"name"`
	Description string          `json:"description"`
	Principle   string          `json:"principle"`
	If          json.RawMessage `json:"if"`
	Then        string          `json:"then"`
	Reason      string          `json:"reason"`
}

// decodeStrict decodes a model answer, refusing unknown fields and
// trailing data.
func decodeStrict(raw json.RawMessage, v any) error {
	if len(raw) > maxAnswerBytes {
		return fmt.Errorf("answer is %d bytes, more than %d", len(raw), maxAnswerBytes)
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return errors.New("the tool input is not valid JSON")
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("the tool input does not match the schema: %w", err)
	}
	if dec.More() {
		return errors.New("the tool input has data after the object")
	}
	return nil
}

// scope forces a rule onto server: a model must not write rules about
// servers it was not asked about, so "server" is replaced, not trusted.
func scope(r *Rule, server string) error {
	var cond map[string]json.RawMessage
	if err := json.Unmarshal(r.If, &cond); err != nil || cond == nil {
		return fmt.Errorf("rule %q: if is not an object", r.Name)
	}
	cond["server"], _ = json.Marshal([]string{server})
	b, err := json.Marshal(cond)
	if err != nil {
		return fmt.Errorf("rule %q: %w", r.Name, err)
	}
	r.If = b
	return nil
}

// policyDoc renders rules as a compiled-policy.json body.
func policyDoc(rules []Rule) ([]byte, error) {
	if rules == nil {
		rules = []Rule{}
	}
	return json.MarshalIndent(struct {
		Rules []Rule `json:"rules"`
	}{rules}, "", "  ")
}

// checkRules validates rules as the engine would load them, with the
// lists defs may define (values not yet known). A warning (a reference to
// a list that is not defined) is an error here.
func checkRules(server string, rules []Rule, defs []ListDefinition) (*policy.Policy, error) {
	if len(rules) == 0 {
		return nil, errors.New("no rules: give at least one rule")
	}
	for i := range rules {
		if err := scope(&rules[i], server); err != nil {
			return nil, err
		}
	}
	doc, err := policyDoc(rules)
	if err != nil {
		return nil, err
	}
	lists, err := listsBytes("", defs, nil)
	if err != nil {
		return nil, err
	}
	pol, err := policy.ParsePolicy("rules", doc, ListsFile, lists)
	if err != nil {
		return nil, err
	}
	if len(pol.Warnings) > 0 {
		return nil, fmt.Errorf("%s (define every one of your @lists in listDefinitions)", strings.Join(pol.Warnings, "; "))
	}
	return pol, nil
}

// parseRules reads a submit_rules answer for server.
func parseRules(server string, raw json.RawMessage) ([]Rule, []ListDefinition, error) {
	var ans struct {
		Rules []Rule           `json:"rules"`
		Defs  []ListDefinition `json:"listDefinitions"`
	}
	if err := decodeStrict(raw, &ans); err != nil {
		return nil, nil, err
	}
	if err := checkListDefs(ans.Defs); err != nil {
		return nil, nil, err
	}
	if _, err := checkRules(server, ans.Rules, ans.Defs); err != nil {
		return nil, nil, err
	}
	return ans.Rules, ans.Defs, nil
}

// PatchOp is one point fix to a rule list.
type PatchOp struct {
	Op    string `json:"op"`             // update, add or delete
	Name  string `json:"name"`           // the rule updated, added or deleted
	Rule  *Rule  `json:"rule,omitempty"` // update and add
	After string `json:"after,omitempty"`
}

// applyPatch returns rules with ops applied in order, or an error naming
// the first op that does not fit; the input is not modified. An added rule
// goes after the rule named After, or first when After is empty: first
// match wins, and a fix usually has to come before the rule it corrects.
func applyPatch(server string, rules []Rule, defs []ListDefinition, ops []PatchOp) ([]Rule, error) {
	out := slices.Clone(rules)
	find := func(name string) int { return slices.IndexFunc(out, func(r Rule) bool { return r.Name == name }) }
	for i, op := range ops {
		at := find(op.Name)
		switch op.Op {
		case "update":
			if at < 0 {
				return nil, fmt.Errorf("operations[%d]: update of unknown rule %q", i, op.Name)
			}
			if op.Rule == nil {
				return nil, fmt.Errorf("operations[%d]: update without a rule", i)
			}
			out[at] = *op.Rule
		case "add":
			if at >= 0 {
				return nil, fmt.Errorf("operations[%d]: rule %q already exists", i, op.Name)
			}
			if op.Rule == nil || op.Rule.Name != op.Name {
				return nil, fmt.Errorf("operations[%d]: add needs a rule named %q", i, op.Name)
			}
			pos := 0
			if op.After != "" {
				if pos = find(op.After); pos < 0 {
					return nil, fmt.Errorf("operations[%d]: after names unknown rule %q", i, op.After)
				}
				pos++
			}
			out = slices.Insert(out, pos, *op.Rule)
		case "delete":
			if at < 0 {
				return nil, fmt.Errorf("operations[%d]: delete of unknown rule %q", i, op.Name)
			}
			out = slices.Delete(out, at, at+1)
		default:
			return nil, fmt.Errorf("operations[%d]: unknown op %q (want update, add or delete)", i, op.Op)
		}
	}
	if _, err := checkRules(server, out, defs); err != nil {
		return nil, err
	}
	return out, nil
}

// parsePatch reads a submit_patch answer and applies it.
func parsePatch(server string, rules []Rule, defs []ListDefinition, raw json.RawMessage) ([]Rule, error) {
	var ans struct {
		Operations []PatchOp `json:"operations"`
	}
	if err := decodeStrict(raw, &ans); err != nil {
		return nil, err
	}
	if len(ans.Operations) == 0 {
		return nil, errors.New("no operations")
	}
	return applyPatch(server, rules, defs, ans.Operations)
}
