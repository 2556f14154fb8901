package policydiff

import (
	"encoding/json"
	"path/filepath"
	"sort"
	"strings"

	"github.com/ironcurtain/ironcurtain-go/internal/policy"
)

// Change is a call decided differently.
type Change struct {
	Call policy.Call    `json:"call"`
	Old  policy.Verdict `json:"old"`
	New  policy.Verdict `json:"new"`
	// OldRule and NewRule name what decided.
	OldRule string `json:"oldRule"`
	NewRule string `json:"newRule"`
}

// Diff decides every call under both engines and returns those whose
// verdict differs, in call order.
func Diff(old, new *policy.Engine, calls []policy.Call) []Change {
	var out []Change
	for _, c := range calls {
		a, b := old.Decide(c), new.Decide(c)
		if a.Verdict != b.Verdict {
			out = append(out, Change{Call: c, Old: a.Verdict, New: b.Verdict, OldRule: a.Rule, NewRule: b.Rule})
		}
	}
	return out
}

// Probes are the values calls are generated from.
type Probes struct {
	Home, Sandbox string
	// Dirs are directories rules mention (`within`), probed inside.
	Dirs []string
	// Hosts are hosts or patterns rules mention, probed as URLs.
	Hosts []string
	// Identifiers are list values rules mention.
	Identifiers []string
}

// ProbesFrom gathers probe values from policies.
func ProbesFrom(home, sandbox string, pols ...*policy.Policy) Probes {
	p := Probes{Home: home, Sandbox: sandbox}
	for _, pol := range pols {
		for _, r := range pol.Rules {
			if r.If.Paths != nil {
				p.Dirs = append(p.Dirs, r.If.Paths.Within)
			}
			if r.If.Domains != nil {
				p.Hosts = append(p.Hosts, r.If.Domains.Allowed...)
			}
			for _, lc := range r.If.Lists {
				if lc.MatchType == policy.MatchDomains {
					p.Hosts = append(p.Hosts, lc.Allowed...)
				} else {
					p.Identifiers = append(p.Identifiers, lc.Allowed...)
				}
			}
		}
	}
	p.Dirs, p.Hosts, p.Identifiers = uniq(p.Dirs), uniq(p.Hosts), uniq(p.Identifiers)
	return p
}

// Generate makes calls for every annotated tool: each resource argument is
// varied over the probe values while the others keep their first value,
// and each conditional-role clause's condition is tried.
func Generate(ann *policy.Annotations, pr Probes) []policy.Call {
	var out []policy.Call
	seen := map[string]bool{}
	add := func(c policy.Call) {
		key, _ := json.Marshal(c)
		if !seen[string(key)] {
			seen[string(key)] = true
			out = append(out, c)
		}
	}
	for _, t := range ann.Tools() {
		base := map[string]any{}
		var varied []struct {
			name   string
			values []any
		}
		for _, a := range t.Args {
			vals := pr.values(a)
			if len(vals) == 0 {
				continue
			}
			base[a.Name] = vals[0]
			varied = append(varied, struct {
				name   string
				values []any
			}{a.Name, vals})
		}
		variants := []map[string]any{base}
		for _, a := range t.Args {
			for _, w := range a.When {
				for _, v := range whenValues(w) {
					m := clone(base)
					m[w.Arg] = v
					variants = append(variants, m)
				}
			}
		}
		for _, b := range variants {
			add(policy.Call{Server: t.Server, Tool: t.Tool, Arguments: b})
			for _, v := range varied {
				for _, val := range v.values[1:] {
					m := clone(b)
					m[v.name] = val
					add(policy.Call{Server: t.Server, Tool: t.Tool, Arguments: m})
				}
			}
		}
	}
	return out
}

func (pr Probes) values(a policy.ArgAnnotation) []any {
	cat := policy.CatOpaque
	for _, r := range a.Default {
		if c := r.Category(); c != policy.CatOpaque {
			cat = c
			break
		}
	}
	isRemote := false
	for _, r := range a.Default {
		isRemote = isRemote || r == policy.RoleGitRemoteURL
	}
	var out []any
	switch cat {
	case policy.CatPath:
		out = append(out, filepath.Join(pr.Sandbox, "probe.txt"), filepath.Join(pr.Home, "Documents", "probe.txt"),
			"/etc/passwd", filepath.Join(pr.Home, ".ssh", "id_rsa"), "/tmp/probe.txt")
		for _, d := range pr.Dirs {
			out = append(out, strings.TrimSuffix(d, "/")+"/probe.txt")
		}
	case policy.CatURL:
		hosts := append([]string{"example.com", "169.254.169.254"}, pr.Hosts...)
		for _, h := range hosts {
			h = strings.TrimPrefix(h, "*.")
			if h == "*" {
				h = "anything.example"
			}
			if isRemote {
				if strings.Contains(h, "/") {
					out = append(out, "https://"+h+".git")
				} else {
					out = append(out, "https://"+h+"/owner/repo.git")
				}
				continue
			}
			if strings.Contains(h, "/") {
				h = strings.SplitN(h, "/", 2)[0]
			}
			out = append(out, "https://"+h+"/page")
		}
	case policy.CatIdentifier:
		out = append(out, "someone")
		for _, id := range pr.Identifiers {
			out = append(out, id)
		}
	}
	return out
}

func whenValues(w policy.When) []any {
	switch w.Op {
	case policy.CondEquals:
		return []any{w.Value.Interface()}
	case policy.CondIn:
		var out []any
		for _, v := range w.In {
			out = append(out, v.Interface())
		}
		return out
	case policy.CondIs:
		switch w.Is {
		case "present", "truthy":
			return []any{true}
		}
	}
	return nil
}

func clone(m map[string]any) map[string]any {
	out := make(map[string]any, len(m)+1)
	for k, v := range m {
		out[k] = v
	}
	return out
}

func uniq(ss []string) []string {
	sort.Strings(ss)
	out := ss[:0]
	for i, s := range ss {
		if i == 0 || s != ss[i-1] {
			out = append(out, s)
		}
	}
	return out
}
