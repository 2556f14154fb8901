package policy

import (
	"errors"
	"fmt"
	"path"
	"path/filepath"
	"strings"
	"sync"

	"github.com/ironcurtain/ironcurtain-go/internal/resource"
)

// Config is everything an Engine is built from. Required collaborators are
// fields and nil is an error, never a silent default.
type Config struct {
	Policy      *Policy      // required
	Annotations *Annotations // required

	// Home is what "~" means in arguments and rules; absolute, required.
	Home string
	// Sandbox is the session sandbox: relative paths resolve against it and
	// roles whose every value lies inside it are resolved without rules.
	// Required and absolute.
	Sandbox string
	// Protected lists paths no tool may touch (the sandbox is exempt even
	// when it lies inside one). Absolute or "~/..." paths.
	Protected []string
	// DomainAllowlists gives, per server, the hosts its URL arguments may
	// name without escalation (mcp-servers.json sandbox.network.allowedDomains).
	// A server absent from the map has no gate.
	DomainAllowlists map[string][]string

	// FS resolves symlinks; required (resource.OSFS{} for the real one).
	FS resource.FS
	// Remotes resolves named git remotes; nil means a named remote cannot
	// be resolved and the call is denied.
	Remotes resource.RemoteResolver
}

// Engine decides tool calls. It is immutable after New and safe for
// concurrent use; it holds no global state.
type Engine struct {
	paths      *resource.PathResolver
	home, base string // as configured, for lexical forms
	sandbox    resource.Path
	protected  []protectedPath
	tools      map[toolKey]*compiledTool
	rules      []compiledRule
	allowlists map[string]resource.PatternSet
	remotes    resource.RemoteResolver
	pool       sync.Pool // *evaluation scratch space
}

type protectedPath struct {
	canonical resource.Path
	lexical   string // as written, ~ expanded and cleaned: catches a symlink planted at the protected name
}

type compiledTool struct {
	ann   *ToolAnnotation
	rules []int // indices of rules whose server and tool conditions admit this tool, in order
}

type compiledRule struct {
	rule *Rule

	roleCond    roleSet // `roles`: the tool has an argument with one of these
	hasRoleCond bool
	// relevant is the set of roles the rule applies to when evaluated per
	// role; agnostic rules apply to every role.
	relevant roleSet
	agnostic bool

	hasPaths  bool
	pathRoles roleSet
	within    resource.Path
	names     []string // base-name patterns; none means any name

	hasDomains bool
	domRoles   roleSet
	domains    resource.PatternSet

	lists []compiledList
}

type compiledList struct {
	roles    roleSet
	match    MatchType
	values   []string // lowercased for emails and identifiers
	patterns resource.PatternSet
}

// New builds an engine, canonicalizing every rule directory, protected path
// and domain pattern once so evaluation does no repeated work.
func New(cfg Config) (*Engine, error) {
	switch {
	case cfg.Policy == nil:
		return nil, errors.New("policy engine: no policy")
	case cfg.Annotations == nil:
		return nil, errors.New("policy engine: no tool annotations")
	case cfg.FS == nil:
		return nil, errors.New("policy engine: no filesystem to resolve paths with")
	case !filepath.IsAbs(cfg.Home):
		return nil, fmt.Errorf("policy engine: home directory %q is not absolute", cfg.Home)
	case !filepath.IsAbs(cfg.Sandbox):
		return nil, fmt.Errorf("policy engine: sandbox directory %q is not absolute", cfg.Sandbox)
	}
	pr, err := resource.NewPathResolver(cfg.FS, cfg.Home, cfg.Sandbox)
	if err != nil {
		return nil, fmt.Errorf("policy engine: %w", err)
	}
	e := &Engine{
		paths:      pr,
		home:       filepath.Clean(cfg.Home),
		base:       filepath.Clean(cfg.Sandbox),
		tools:      make(map[toolKey]*compiledTool),
		allowlists: make(map[string]resource.PatternSet),
		remotes:    cfg.Remotes,
	}
	if e.sandbox, err = pr.Canonical(cfg.Sandbox); err != nil {
		return nil, fmt.Errorf("policy engine: sandbox: %w", err)
	}
	for _, p := range cfg.Protected {
		cp, err := pr.Canonical(p)
		if err != nil {
			return nil, fmt.Errorf("policy engine: protected path: %w", err)
		}
		e.protected = append(e.protected, protectedPath{canonical: cp, lexical: lexical(cfg.Home, cfg.Sandbox, p)})
	}
	for server, strs := range cfg.DomainAllowlists {
		// An empty list is a gate that admits nothing, not an absent gate.
		pats := make([]resource.Pattern, 0, len(strs))
		for _, s := range strs {
			pat, err := resource.ParsePattern(s)
			if err != nil {
				return nil, fmt.Errorf("policy engine: allowed domains of server %q: %w", server, err)
			}
			pats = append(pats, pat)
		}
		e.allowlists[server] = resource.NewPatternSet(pats)
	}
	for i := range cfg.Policy.Rules {
		cr, err := e.compileRule(&cfg.Policy.Rules[i])
		if err != nil {
			return nil, fmt.Errorf("policy engine: rule %q: %w", cfg.Policy.Rules[i].Name, err)
		}
		e.rules = append(e.rules, cr)
	}
	for _, t := range cfg.Annotations.order {
		ct := &compiledTool{ann: t}
		for i, r := range e.rules {
			if r.rule.Admits(t.Server, t.Tool) {
				ct.rules = append(ct.rules, i)
			}
		}
		e.tools[toolKey{t.Server, t.Tool}] = ct
	}
	return e, nil
}

// lexical expands ~ and joins relative paths to the sandbox without
// touching the filesystem.
func lexical(home, sandbox, p string) string {
	switch {
	case p == "~":
		p = home
	case strings.HasPrefix(p, "~/"):
		p = filepath.Join(home, p[2:])
	case !filepath.IsAbs(p):
		p = filepath.Join(sandbox, p)
	}
	return filepath.Clean(p)
}

// Admits reports whether the rule's server and tool conditions let it
// apply to a tool (absent conditions admit everything).
func (r *Rule) Admits(server, tool string) bool {
	return admits(r.If.Server, server) && admits(r.If.Tool, tool)
}

func admits(set []string, name string) bool {
	if set == nil {
		return true
	}
	for _, s := range set {
		if s == name {
			return true
		}
	}
	return false
}

func (e *Engine) compileRule(r *Rule) (compiledRule, error) {
	cr := compiledRule{rule: r, agnostic: true, relevant: ^roleSet(0)}
	narrow := func(rs []Role) {
		cr.agnostic = false
		cr.relevant &= setOf(rs...)
	}
	if r.If.Roles != nil {
		cr.hasRoleCond = true
		cr.roleCond = setOf(r.If.Roles...)
		narrow(r.If.Roles)
	}
	if pc := r.If.Paths; pc != nil {
		within, err := e.paths.Canonical(pc.Within)
		if err != nil {
			return cr, fmt.Errorf("paths.within: %w", err)
		}
		cr.hasPaths, cr.pathRoles, cr.within, cr.names = true, setOf(pc.Roles...), within, pc.Names
		narrow(pc.Roles)
	}
	if dc := r.If.Domains; dc != nil {
		cr.hasDomains, cr.domRoles = true, setOf(dc.Roles...)
		narrow(dc.Roles)
		pats, err := parsePatterns(dc.Allowed)
		if err != nil {
			return cr, fmt.Errorf("domains.allowed: %w", err)
		}
		cr.domains = pats
	}
	if len(r.If.Lists) > 0 {
		cr.agnostic = false
		var any roleSet
		for _, lc := range r.If.Lists {
			cl := compiledList{roles: setOf(lc.Roles...), match: lc.MatchType}
			any |= cl.roles
			if lc.MatchType == MatchDomains {
				pats, err := parsePatterns(lc.Allowed)
				if err != nil {
					return cr, fmt.Errorf("lists: %w", err)
				}
				cl.patterns = pats
			} else {
				for _, s := range lc.Allowed {
					// Arguments of identifier roles are lowercased, so list
					// values must be too or they could never match.
					cl.values = append(cl.values, strings.ToLower(s))
				}
			}
			cr.lists = append(cr.lists, cl)
		}
		cr.relevant &= listRelevance(any)
	}
	return cr, nil
}

// listRelevance decides which evaluated roles a list condition makes a rule
// relevant to. Only resource roles are evaluated as axes, so a condition on
// a non-resource role (branch-name, email-address) must not narrow the
// rule's relevance or the rule could never be reached; it stays a value
// filter checked when the rule is matched.
func listRelevance(roles roleSet) roleSet {
	if roles&resourceRoles == 0 {
		return ^roleSet(0)
	}
	return roles
}

func parsePatterns(strs []string) (resource.PatternSet, error) {
	pats := make([]resource.Pattern, 0, len(strs))
	for _, s := range strs {
		p, err := resource.ParsePattern(s)
		if err != nil {
			return resource.PatternSet{}, err
		}
		pats = append(pats, p)
	}
	return resource.NewPatternSet(pats), nil
}

// MayPermit reports whether some call of the tool could be allowed or
// escalated: it is annotated and either the sandbox can contain its paths
// or some rule that could apply to it does not deny. A gateway hides tools
// for which this is false. It errs on the side of true.
func (e *Engine) MayPermit(server, tool string) bool {
	ct := e.tools[toolKey{server, tool}]
	if ct == nil {
		return false
	}
	if server == introspectionServer && tool == introspectionTool {
		return true
	}
	if (server == "filesystem" || server == "git") && ct.ann.union&pathRoles != 0 {
		return true
	}
	for _, i := range ct.rules {
		if e.rules[i].rule.Then != Deny {
			return true
		}
	}
	return false
}

// pathMatches is a rule's path condition for one canonical value.
func (r *compiledRule) pathMatches(p resource.Path) bool {
	if !p.Within(r.within) {
		return false
	}
	if len(r.names) == 0 {
		return true
	}
	base := path.Base(string(p))
	for _, n := range r.names {
		if ok, _ := path.Match(n, base); ok {
			return true
		}
	}
	return false
}
