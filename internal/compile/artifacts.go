package compile

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/ironcurtain/ironcurtain-go/internal/policy"
	"github.com/ironcurtain/ironcurtain-go/internal/scenario"
)

// File names in the policy directory.
const (
	PolicyFile    = "compiled-policy.json"
	ScenarioFile  = "test-scenarios.json"
	CacheFile     = "compile-cache.json"
	FailuresFile  = "compile-failures.json"
	cacheVersion  = 1
	maxCacheBytes = 64 << 20
)

// cacheEntry is one server's last deployed compilation.
type cacheEntry struct {
	InputHash string     `json:"inputHash"`
	Rules     []Rule     `json:"rules"`
	Scenarios []Scenario `json:"scenarios"`
	// ListDefinitions travel with the rules that use them; their values
	// live in dynamic-lists.json, where the user may edit them.
	ListDefinitions []ListDefinition `json:"listDefinitions,omitempty"`
}

type cacheDoc struct {
	Version int                    `json:"version"`
	Servers map[string]*cacheEntry `json:"servers"`
}

// parseCache reads compile-cache.json. Its contents are re-verified
// before reuse, so a damaged cache costs model calls, never safety.
func parseCache(data []byte) (*cacheDoc, error) {
	doc := &cacheDoc{Version: cacheVersion, Servers: map[string]*cacheEntry{}}
	if data == nil {
		return doc, nil
	}
	if len(data) > maxCacheBytes {
		return nil, fmt.Errorf("%s: %d bytes, more than %d", CacheFile, len(data), maxCacheBytes)
	}
	if err := decodeStrict(data, doc); err != nil {
		return nil, fmt.Errorf("%s: %w", CacheFile, err)
	}
	if doc.Version != cacheVersion {
		return &cacheDoc{Version: cacheVersion, Servers: map[string]*cacheEntry{}}, nil
	}
	if doc.Servers == nil {
		doc.Servers = map[string]*cacheEntry{}
	}
	return doc, nil
}

// Artifacts are the rendered files of a result.
type Artifacts struct {
	Policy, Scenarios, Cache []byte
	Lists                    []byte // dynamic-lists.json; nil when no rule uses a list
	Failures                 []byte // nil when every server verified
}

// Render merges the servers (alphabetical) into the deployable files and
// validates them with the engine's own loaders.
func (r *Result) Render() (*Artifacts, error) {
	var rules []Rule
	var scs []Scenario
	var fails []Failure
	var defs []ListDefinition
	lists := map[string]*ListEntry{}
	owner := map[string]string{}
	cache := cacheDoc{Version: cacheVersion, Servers: map[string]*cacheEntry{}}
	hashes := []string{promptVersion}
	for _, s := range r.Servers {
		rules = append(rules, s.Rules...)
		scs = append(scs, s.Scenarios...)
		fails = append(fails, s.Failures...)
		if s.Err != "" {
			fails = append(fails, Failure{Server: s.Server, Reason: s.Err})
		}
		for _, d := range s.ListDefinitions {
			if first, dup := owner[d.Name]; dup {
				i := slices.IndexFunc(defs, func(x ListDefinition) bool { return x.Name == d.Name })
				if defs[i] != d {
					return nil, fmt.Errorf("compile: servers %s and %s define list %q differently", first, s.Server, d.Name)
				}
				continue
			}
			owner[d.Name] = s.Server
			defs = append(defs, d)
			if e := s.Lists[d.Name]; e != nil {
				lists[d.Name] = e
			}
		}
		cache.Servers[s.Server] = &cacheEntry{InputHash: s.InputHash, Rules: s.Rules, Scenarios: s.Scenarios, ListDefinitions: s.ListDefinitions}
		hashes = append(hashes, s.Server, s.InputHash)
	}
	if rules == nil {
		rules = []Rule{}
	}
	if scs == nil {
		scs = []Scenario{}
	}
	inputHash := hashOf(hashes...)
	a := &Artifacts{}
	var err error
	if a.Policy, err = marshal(struct {
		GeneratedAt      string           `json:"generatedAt"`
		ConstitutionHash string           `json:"constitutionHash"`
		InputHash        string           `json:"inputHash"`
		Rules            []Rule           `json:"rules"`
		ListDefinitions  []ListDefinition `json:"listDefinitions,omitempty"`
	}{r.GeneratedAt, r.ConstitutionHash, inputHash, rules, defs}); err != nil {
		return nil, err
	}
	if len(defs) > 0 {
		if a.Lists, err = listsBytes(r.GeneratedAt, defs, lists); err != nil {
			return nil, err
		}
	}
	if a.Scenarios, err = marshal(struct {
		GeneratedAt      string     `json:"generatedAt"`
		ConstitutionHash string     `json:"constitutionHash"`
		InputHash        string     `json:"inputHash"`
		Scenarios        []Scenario `json:"scenarios"`
	}{r.GeneratedAt, r.ConstitutionHash, inputHash, scs}); err != nil {
		return nil, err
	}
	if a.Cache, err = marshal(cache); err != nil {
		return nil, err
	}
	if len(fails) > 0 {
		if a.Failures, err = marshal(struct {
			GeneratedAt string    `json:"generatedAt"`
			Failures    []Failure `json:"failures"`
		}{r.GeneratedAt, fails}); err != nil {
			return nil, err
		}
	}
	if err := a.checkPolicy(); err != nil {
		return nil, fmt.Errorf("compile: merged policy is invalid: %w", err)
	}
	if _, err := scenario.Parse(ScenarioFile, a.Scenarios); err != nil {
		return nil, fmt.Errorf("compile: merged scenarios are invalid: %w", err)
	}
	return a, nil
}

// checkPolicy loads the policy as the engine will: with its lists, and
// with every @list defined (a reference to nothing is a compiler bug).
func (a *Artifacts) checkPolicy() error {
	pol, err := policy.ParsePolicy(PolicyFile, a.Policy, ListsFile, a.Lists)
	if err != nil {
		return err
	}
	if len(pol.Warnings) > 0 {
		return errors.New(strings.Join(pol.Warnings, "; "))
	}
	return nil
}

func marshal(v any) ([]byte, error) {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("compile: render: %w", err)
	}
	return append(b, '\n'), nil
}

// Deploy writes the artifacts into dir together: every file goes to a
// synced temporary first, and only when all are written are they renamed
// into place. Without acceptFailures a result with failures is refused and
// dir is untouched. A clean deploy removes a stale failures file.
func Deploy(dir string, a *Artifacts, acceptFailures bool) error {
	if a.Failures != nil && !acceptFailures {
		return errors.New("compile: refusing to deploy a policy that did not verify")
	}
	if err := a.checkPolicy(); err != nil {
		return fmt.Errorf("refusing to deploy: %w", err)
	}
	if _, err := scenario.Parse(ScenarioFile, a.Scenarios); err != nil {
		return fmt.Errorf("refusing to deploy: %w", err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("deploy: %w", err)
	}
	// The policy is renamed last: a reader between two renames then sees
	// the old policy with the new lists and scenarios, never a new policy
	// whose @lists are not there yet.
	type file struct {
		name string
		data []byte
	}
	var files []file
	if a.Lists != nil {
		files = append(files, file{ListsFile, a.Lists})
	}
	files = append(files, file{ScenarioFile, a.Scenarios}, file{CacheFile, a.Cache})
	if a.Failures != nil {
		files = append(files, file{FailuresFile, a.Failures})
	}
	files = append(files, file{PolicyFile, a.Policy})
	temps := make([]string, 0, len(files))
	defer func() {
		for _, t := range temps {
			os.Remove(t) // renamed ones are already gone
		}
	}()
	for _, f := range files {
		tmp, err := writeTemp(dir, f.name, f.data)
		if err != nil {
			return err
		}
		temps = append(temps, tmp)
	}
	for i, f := range files {
		if err := os.Rename(temps[i], filepath.Join(dir, f.name)); err != nil {
			return fmt.Errorf("deploy %s: %w", f.name, err)
		}
	}
	if a.Failures == nil {
		if err := os.Remove(filepath.Join(dir, FailuresFile)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("deploy: %w", err)
		}
	}
	return nil
}

func writeTemp(dir, name string, data []byte) (string, error) {
	f, err := os.CreateTemp(dir, "."+name+"-*.tmp")
	if err != nil {
		return "", fmt.Errorf("deploy %s: %w", name, err)
	}
	tmp := f.Name()
	_, err = f.Write(data)
	if err == nil {
		err = f.Chmod(0o644)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(tmp)
		return "", fmt.Errorf("deploy %s: %w", name, err)
	}
	return tmp, nil
}

// DeployLists replaces dir's dynamic-lists.json with lists, atomically,
// after checking that the deployed policy policyData loads with them.
func DeployLists(dir string, policyData, lists []byte) error {
	a := &Artifacts{Policy: policyData, Lists: lists}
	if lists == nil {
		return errors.New("refusing to deploy: no lists")
	}
	if err := a.checkPolicy(); err != nil {
		return fmt.Errorf("refusing to deploy: %w", err)
	}
	tmp, err := writeTemp(dir, ListsFile, lists)
	if err != nil {
		return err
	}
	if err := os.Rename(tmp, filepath.Join(dir, ListsFile)); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("deploy %s: %w", ListsFile, err)
	}
	return nil
}
