package compile

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/ironcurtain/ironcurtain-go/internal/llm"
	"github.com/ironcurtain/ironcurtain-go/internal/policy"
	"github.com/ironcurtain/ironcurtain-go/internal/resource"
)

// ListsFile is the resolved dynamic lists in the policy directory.
const ListsFile = "dynamic-lists.json"

// Bounds on a list: a definition the model invents and the values it
// answers are hostile input, and an allowlist of thousands of hosts is not
// something a person reviewed.
const (
	maxListValues   = 500
	maxListDefs     = 16
	maxListTextLen  = 2000
	listHashVersion = "list-v1"
)

// ListDefinition is one "@name" a rule may use, as it appears in
// compiled-policy.json's listDefinitions.
type ListDefinition struct {
	Name             string `json:"name"`
	Type             string `json:"type"` // domains, emails or identifiers
	Principle        string `json:"principle"`
	GenerationPrompt string `json:"generationPrompt"`
	RequiresMcp      bool   `json:"requiresMcp"`
}

// ListEntry is one list in dynamic-lists.json. ManualAdditions and
// ManualRemovals belong to the user: every resolution carries them over.
type ListEntry struct {
	Values          []string `json:"values"`
	ManualAdditions []string `json:"manualAdditions"`
	ManualRemovals  []string `json:"manualRemovals"`
	ResolvedAt      string   `json:"resolvedAt"`
	InputHash       string   `json:"inputHash"`
}

type listsDoc struct {
	GeneratedAt string                `json:"generatedAt"`
	Lists       map[string]*ListEntry `json:"lists"`
}

// ErrUnknownList is returned by RefreshLists for a name the policy does
// not define.
var ErrUnknownList = errors.New("no such list in the deployed policy")

// hash identifies what a list's values were generated from: the same
// definition and model give the same hash, so the values are reused.
func (d ListDefinition) hash(model string) string {
	return hashOf(listHashVersion, model, d.Name, d.Type, d.Principle, d.GenerationPrompt)
}

// checkListDefs validates definitions a model proposed.
func checkListDefs(defs []ListDefinition) error {
	if len(defs) > maxListDefs {
		return fmt.Errorf("%d list definitions, more than %d", len(defs), maxListDefs)
	}
	seen := map[string]bool{}
	for i, d := range defs {
		if msg := checkListName(d.Name); msg != "" {
			return fmt.Errorf("listDefinitions[%d]: %s", i, msg)
		}
		if seen[d.Name] {
			return fmt.Errorf("listDefinitions[%d]: list %q defined twice", i, d.Name)
		}
		seen[d.Name] = true
		switch d.Type {
		case "domains", "emails", "identifiers":
		default:
			return fmt.Errorf("listDefinitions[%d]: type %q (want domains, emails or identifiers)", i, d.Type)
		}
		if strings.TrimSpace(d.GenerationPrompt) == "" || len(d.GenerationPrompt) > maxListTextLen || len(d.Principle) > maxListTextLen {
			return fmt.Errorf("listDefinitions[%d]: generationPrompt must be non-empty and principle and prompt at most %d bytes", i, maxListTextLen)
		}
		if d.RequiresMcp {
			return fmt.Errorf("listDefinitions[%d]: requiresMcp lists are not supported: set it to false", i)
		}
	}
	return nil
}

func checkListName(name string) string {
	if name == "" || len(name) > 64 {
		return fmt.Sprintf("list name %q must have 1 to 64 characters", name)
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || (i > 0 && (c == '-' || c == '_'))) {
			return fmt.Sprintf("list name %q may use only lowercase letters, digits, - and _ (not first)", name)
		}
	}
	return ""
}

// listsBytes renders entries as a dynamic-lists.json body; entries may be
// nil, which gives every defined list no values (enough to validate rules
// before the values exist).
func listsBytes(generatedAt string, defs []ListDefinition, entries map[string]*ListEntry) ([]byte, error) {
	doc := listsDoc{GeneratedAt: generatedAt, Lists: map[string]*ListEntry{}}
	for _, d := range defs {
		e := entries[d.Name]
		if e == nil {
			e = &ListEntry{}
		}
		doc.Lists[d.Name] = normalized(e)
	}
	return marshal(doc)
}

func normalized(e *ListEntry) *ListEntry {
	out := *e
	for _, p := range []*[]string{&out.Values, &out.ManualAdditions, &out.ManualRemovals} {
		if *p == nil {
			*p = []string{}
		}
	}
	return &out
}

// parseListsDoc reads an existing dynamic-lists.json, strictly, after the
// engine's own loader has accepted it.
func parseListsDoc(data []byte) (*listsDoc, error) {
	doc := &listsDoc{Lists: map[string]*ListEntry{}}
	if data == nil {
		return doc, nil
	}
	if len(data) > maxCacheBytes {
		return nil, fmt.Errorf("%s: %d bytes, more than %d", ListsFile, len(data), maxCacheBytes)
	}
	if _, err := policy.ParsePolicy("(empty policy)", []byte(`{"rules":[]}`), ListsFile, data); err != nil {
		return nil, err
	}
	if err := decodeStrict(data, doc); err != nil {
		return nil, fmt.Errorf("%s: %w", ListsFile, err)
	}
	if doc.Lists == nil {
		doc.Lists = map[string]*ListEntry{}
	}
	return doc, nil
}

// parseListValues reads a submit_list_values answer and canonicalizes the
// values by type; for domains a bare apex ("example.com") also gets its
// subdomains ("*.example.com"), since sites serve from www. and friends.
func parseListValues(typ string, raw json.RawMessage) ([]string, error) {
	var ans struct {
		Values []string `json:"values"`
	}
	if err := decodeStrict(raw, &ans); err != nil {
		return nil, err
	}
	if len(ans.Values) == 0 || len(ans.Values) > maxListValues {
		return nil, fmt.Errorf("%d values: give 1 to %d", len(ans.Values), maxListValues)
	}
	var out []string
	for i, v := range ans.Values {
		c, err := canonicalValue(typ, v)
		if err != nil {
			return nil, fmt.Errorf("values[%d]: %w", i, err)
		}
		out = append(out, c)
		if typ == "domains" && strings.Count(c, ".") == 1 && !strings.HasPrefix(c, "*") && !strings.Contains(c, "/") {
			out = append(out, "*."+c)
		}
	}
	seen := map[string]bool{}
	return slices.DeleteFunc(out, func(s string) bool {
		dup := seen[s]
		seen[s] = true
		return dup
	}), nil
}

func canonicalValue(typ, v string) (string, error) {
	switch typ {
	case "domains":
		if _, err := resource.ParsePattern(v); err != nil {
			return "", err
		}
		if strings.Contains(v, "://") {
			return "", fmt.Errorf("%q: give a bare domain, not a URL", v)
		}
		return strings.ToLower(v), nil
	case "emails":
		return resource.Email(v)
	case "identifiers":
		return resource.Identifier(v)
	}
	return "", fmt.Errorf("unknown list type %q", typ)
}

// resolveList asks the model for one list's values.
func (a *asker) resolveList(ctx context.Context, d ListDefinition) ([]string, error) {
	var values []string
	err := a.ask(ctx, "resolve-list", listSystem, listMessage(d), listTool().tool(), func(raw json.RawMessage) error {
		var perr error
		values, perr = parseListValues(d.Type, raw)
		return perr
	})
	return values, err
}

// resolveLists fills entries for defs, reusing prior values whose hash
// still matches unless force is set, and keeping the user's manual edits.
func (a *asker) resolveLists(ctx context.Context, defs []ListDefinition, prior *listsDoc, force bool) (map[string]*ListEntry, error) {
	cfg := a.sh.cfg
	out := map[string]*ListEntry{}
	for _, d := range defs {
		h := d.hash(cfg.Provider.Name())
		old := prior.Lists[d.Name]
		if old != nil && old.InputHash == h && !force {
			out[d.Name] = normalized(old)
			continue
		}
		values, err := a.resolveList(ctx, d)
		if err != nil {
			return nil, err
		}
		e := &ListEntry{Values: values, ResolvedAt: cfg.Now().UTC().Format(time.RFC3339), InputHash: h}
		if old != nil {
			e.ManualAdditions, e.ManualRemovals = old.ManualAdditions, old.ManualRemovals
		}
		out[d.Name] = normalized(e)
	}
	return out, nil
}

// RefreshConfig is one refresh-lists run over a deployed policy.
type RefreshConfig struct {
	Provider llm.Provider // required
	Policy   []byte       // the deployed compiled-policy.json
	Lists    []byte       // the deployed dynamic-lists.json, or nil
	Only     string       // resolve only this list; "" for all
	Log      io.Writer    // interactions log; nil discards
	Now      func() time.Time
}

// RefreshLists re-resolves the deployed policy's lists (all, or Only)
// with a model call each, keeping manual additions and removals and the
// other lists' values. It returns the new dynamic-lists.json, validated
// against the policy; it writes nothing but Log.
func RefreshLists(ctx context.Context, cfg RefreshConfig) ([]byte, error) {
	if cfg.Provider == nil {
		return nil, errors.New("compile: no LLM provider")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	defs, err := ReadListDefinitions(cfg.Policy)
	if err != nil {
		return nil, err
	}
	prior, err := parseListsDoc(cfg.Lists)
	if err != nil {
		return nil, fmt.Errorf("compile: %w", err)
	}
	todo := defs
	if cfg.Only != "" {
		i := slices.IndexFunc(defs, func(d ListDefinition) bool { return d.Name == cfg.Only })
		if i < 0 {
			return nil, fmt.Errorf("list %q: %w", cfg.Only, ErrUnknownList)
		}
		todo = defs[i : i+1]
	}
	sh := &shared{cfg: &Config{Provider: cfg.Provider, Log: cfg.Log, Now: cfg.Now}, sem: make(chan struct{}, 1)}
	a := &asker{sh: sh, server: "lists"}
	fresh, err := a.resolveLists(ctx, todo, prior, true)
	if err != nil {
		return nil, err
	}
	entries := map[string]*ListEntry{}
	for _, d := range defs {
		if e := fresh[d.Name]; e != nil {
			entries[d.Name] = e
		} else if e := prior.Lists[d.Name]; e != nil {
			entries[d.Name] = e
		}
	}
	data, err := listsBytes(cfg.Now().UTC().Format(time.RFC3339), defs, entries)
	if err != nil {
		return nil, err
	}
	if _, err := policy.ParsePolicy(PolicyFile, cfg.Policy, ListsFile, data); err != nil {
		return nil, fmt.Errorf("compile: refreshed lists do not load: %w", err)
	}
	return data, nil
}

// ReadListDefinitions returns the listDefinitions of a compiled-policy.json
// after checking that the engine loads it.
func ReadListDefinitions(policyData []byte) ([]ListDefinition, error) {
	if _, err := policy.ParsePolicy(PolicyFile, policyData, "", nil); err != nil {
		return nil, err
	}
	var doc struct {
		ListDefinitions []ListDefinition `json:"listDefinitions"`
	}
	if err := json.Unmarshal(policyData, &doc); err != nil {
		return nil, fmt.Errorf("%s: %w", PolicyFile, err)
	}
	if err := checkListDefs(doc.ListDefinitions); err != nil {
		return nil, fmt.Errorf("%s: %w", PolicyFile, err)
	}
	return doc.ListDefinitions, nil
}
