package compile

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/ironcurtain/ironcurtain-go/internal/llm"
	"github.com/ironcurtain/ironcurtain-go/internal/policy"
	"github.com/ironcurtain/ironcurtain-go/internal/resource"
)

// MaxRounds bounds the verify → judge → patch repetitions per server.
const MaxRounds = 3

// DefaultMaxConcurrent is the bound on concurrent model requests when
// Config.MaxConcurrent is zero.
const DefaultMaxConcurrent = 4

// Config is one compilation run.
type Config struct {
	Provider     llm.Provider // required
	Constitution string       // the full text the rules implement
	// Annotations are the tool annotations the engine will use; every
	// server in Servers must have some.
	Annotations *policy.Annotations
	// Servers are compiled, in any order. Servers in Cache but not here
	// are carried over unchanged when they are still annotated.
	Servers []string
	// Home is what "~" means; Sandbox the session sandbox; Protected the
	// paths no tool may touch. They build the verifying engine exactly as
	// the gateway builds the enforcing one.
	Home, Sandbox string
	Protected     []string
	// MaxConcurrent bounds concurrent model requests (default 4).
	MaxConcurrent int
	// Cache is the deployed compile-cache.json, or nil.
	Cache []byte
	// Lists is the deployed dynamic-lists.json, or nil: values whose
	// definition is unchanged are reused, and manual additions and
	// removals are carried over.
	Lists []byte
	// Log receives one JSON line per model request; nil discards them.
	Log io.Writer
	// Progress, if not nil, is told about each stage of each server. It is
	// called from the servers' goroutines and must be safe for that.
	Progress func(Progress)
	// Now stamps log lines and artifacts (default time.Now).
	Now func() time.Time
}

// Progress is one server's state.
type Progress struct {
	Server  string
	Stage   string // rules, lists, scenarios, verify, judge, patch, cached, done, failed
	Round   int
	Passing int
	Total   int
	Usage   llm.Usage // tokens so far for this server
}

// ServerResult is one server's outcome.
type ServerResult struct {
	Server    string
	InputHash string
	Rules     []Rule
	Scenarios []Scenario // handwritten, then generated
	// ListDefinitions are the @lists the rules use; Lists their values.
	ListDefinitions []ListDefinition
	Lists           map[string]*ListEntry
	Failures        []Failure
	Err             string // set when no rules or scenarios could be produced
	Cached          bool   // taken from the cache without a model call
	Rounds          int    // judge rounds used
	Calls           int
	Usage           llm.Usage
}

// Verified reports whether every scenario passed on the real engine.
func (s *ServerResult) Verified() bool { return s.Err == "" && len(s.Failures) == 0 }

// Result is a whole run. Servers are sorted by name.
type Result struct {
	Servers          []*ServerResult
	ConstitutionHash string
	GeneratedAt      string
}

// Verified reports whether every server verified.
func (r *Result) Verified() bool {
	for _, s := range r.Servers {
		if !s.Verified() {
			return false
		}
	}
	return true
}

// Calls and Usage total the servers' requests.
func (r *Result) Calls() (n int, u llm.Usage) {
	for _, s := range r.Servers {
		n += s.Calls
		u = u.Add(s.Usage)
	}
	return n, u
}

// Run compiles and verifies every server of cfg.Servers, in parallel; it
// writes nothing but Log. Provider and log errors abort the run; answers
// that stay invalid fail only their server.
func Run(ctx context.Context, cfg Config) (*Result, error) {
	switch {
	case cfg.Provider == nil:
		return nil, errors.New("compile: no LLM provider")
	case cfg.Annotations == nil:
		return nil, errors.New("compile: no tool annotations")
	case cfg.Constitution == "":
		return nil, errors.New("compile: empty constitution")
	case cfg.Home == "" || cfg.Sandbox == "":
		return nil, errors.New("compile: home and sandbox are required")
	}
	if cfg.MaxConcurrent <= 0 {
		cfg.MaxConcurrent = DefaultMaxConcurrent
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	cache, err := parseCache(cfg.Cache)
	if err != nil {
		return nil, fmt.Errorf("compile: %w", err)
	}
	prior, err := parseListsDoc(cfg.Lists)
	if err != nil {
		return nil, fmt.Errorf("compile: %w", err)
	}
	annotated := map[string]bool{}
	for _, t := range cfg.Annotations.Tools() {
		annotated[t.Server] = true
	}
	servers := slices.Clone(cfg.Servers)
	slices.Sort(servers)
	servers = slices.Compact(servers)
	for _, s := range servers {
		if !annotated[s] {
			return nil, fmt.Errorf("compile: server %q has no tool annotations", s)
		}
	}

	sh := &shared{cfg: &cfg, sem: make(chan struct{}, cfg.MaxConcurrent), prior: prior}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	results := make([]*ServerResult, len(servers))
	errs := make([]error, len(servers))
	var wg sync.WaitGroup
	for i, name := range servers {
		wg.Go(func() {
			results[i], errs[i] = sh.compileServer(ctx, name, cache.Servers[name])
			if errs[i] != nil {
				cancel()
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	for name, ce := range cache.Servers {
		if annotated[name] && !slices.Contains(servers, name) {
			carried := &ServerResult{Server: name, InputHash: ce.InputHash, Rules: ce.Rules, Scenarios: ce.Scenarios, Cached: true,
				ListDefinitions: ce.ListDefinitions, Lists: map[string]*ListEntry{}}
			for _, d := range ce.ListDefinitions {
				if e := prior.Lists[d.Name]; e != nil {
					carried.Lists[d.Name] = normalized(e)
				}
			}
			results = append(results, carried)
		}
	}
	slices.SortFunc(results, func(a, b *ServerResult) int { return strings.Compare(a.Server, b.Server) })
	return &Result{Servers: results, ConstitutionHash: hashOf(cfg.Constitution), GeneratedAt: cfg.Now().UTC().Format(time.RFC3339)}, nil
}

func hashOf(parts ...string) string {
	h := sha256.New()
	for _, s := range parts {
		fmt.Fprintf(h, "%d:%s\n", len(s), s)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// serverAnnotations is the server's tools as the model sees them.
func serverAnnotations(ann *policy.Annotations, server string) []map[string]any {
	var out []map[string]any
	for _, t := range ann.Tools() {
		if t.Server != server {
			continue
		}
		args := map[string]any{}
		for _, a := range t.Args {
			roles := make([]string, len(a.Default))
			for i, r := range a.Default {
				roles[i] = r.String()
			}
			args[a.Name] = roles
		}
		out = append(out, map[string]any{"tool": t.Tool, "comment": t.Comment, "args": args})
	}
	return out
}

// engine builds the verifying engine for one server's rules, with the
// resolved values of its lists.
func (sh *shared) engine(server string, rules []Rule, defs []ListDefinition, lists map[string]*ListEntry) (*policy.Engine, error) {
	if _, err := checkRules(server, rules, defs); err != nil {
		return nil, err
	}
	doc, err := policyDoc(rules)
	if err != nil {
		return nil, err
	}
	ld, err := listsBytes("", defs, lists)
	if err != nil {
		return nil, err
	}
	pol, err := policy.ParsePolicy("rules", doc, ListsFile, ld)
	if err != nil {
		return nil, err
	}
	return policy.New(policy.Config{Policy: pol, Annotations: sh.cfg.Annotations, Home: sh.cfg.Home, Sandbox: sh.cfg.Sandbox,
		Protected: sh.cfg.Protected, FS: resource.OSFS{}})
}

func (sh *shared) progress(a *asker, stage string, round, passing, total int) {
	if sh.cfg.Progress != nil {
		sh.cfg.Progress(Progress{Server: a.server, Stage: stage, Round: round, Passing: passing, Total: total, Usage: a.usage})
	}
}

// compileServer runs the pipeline for one server.
func (sh *shared) compileServer(ctx context.Context, name string, cached *cacheEntry) (*ServerResult, error) {
	cfg := sh.cfg
	annView := serverAnnotations(cfg.Annotations, name)
	annJSON, err := json.Marshal(annView)
	if err != nil {
		return nil, fmt.Errorf("compile: %s: %w", name, err)
	}
	res := &ServerResult{Server: name, InputHash: hashOf(promptVersion, cfg.Provider.Name(), cfg.Constitution, name, string(annJSON))}
	a := &asker{sh: sh, server: name}
	hw := handwritten(cfg.Annotations, name, cfg.Home, cfg.Sandbox)
	defer func() { res.Calls, res.Usage = a.calls, a.usage }()

	if cached != nil && cached.InputHash == res.InputHash {
		// Lists whose definition is unchanged come from the deployed file;
		// a missing one costs a model call, not the whole server.
		lists, err := a.resolveLists(ctx, cached.ListDefinitions, sh.prior, false)
		if err != nil {
			return res, failed(sh, a, res, err)
		}
		if eng, err := sh.engine(name, cached.Rules, cached.ListDefinitions, lists); err == nil {
			if fails, _, err := verify(eng, name, cached.Scenarios, cached.Rules); err == nil && len(fails) == 0 {
				res.Rules, res.Scenarios, res.Cached = cached.Rules, cached.Scenarios, a.calls == 0
				res.ListDefinitions, res.Lists = cached.ListDefinitions, lists
				sh.progress(a, "cached", 0, len(cached.Scenarios), len(cached.Scenarios))
				return res, nil
			}
		}
	}

	user := rulesMessage(cfg.Constitution, name, annView, cfg.Home, cfg.Sandbox)
	sh.progress(a, "rules", 0, 0, 0)
	if err := a.ask(ctx, "compile-rules", rulesSystem, user, rulesTool().tool(), func(raw json.RawMessage) error {
		var perr error
		res.Rules, res.ListDefinitions, perr = parseRules(name, raw)
		return perr
	}); err != nil {
		return res, failed(sh, a, res, err)
	}
	if len(res.ListDefinitions) > 0 {
		sh.progress(a, "lists", 0, 0, 0)
	}
	if res.Lists, err = a.resolveLists(ctx, res.ListDefinitions, sh.prior, false); err != nil {
		return res, failed(sh, a, res, err)
	}
	sh.progress(a, "scenarios", 0, 0, 0)
	var gen []Scenario
	if err := a.ask(ctx, "generate-scenarios", scenariosSystem, user, scenariosTool().tool(), func(raw json.RawMessage) error {
		var perr error
		gen, perr = parseScenarios(name, raw)
		return perr
	}); err != nil {
		return res, failed(sh, a, res, err)
	}
	res.Scenarios = append(hw, gen...)
	return res, sh.repair(ctx, a, res)
}

// failed records an invalid answer on the server, or passes any other
// error up to abort the run.
func failed(sh *shared, a *asker, res *ServerResult, err error) error {
	var ae *AnswerError
	if !errors.As(err, &ae) {
		return err
	}
	res.Err = ae.Error()
	sh.progress(a, "failed", res.Rounds, 0, len(res.Scenarios))
	return nil
}

// repair is the verify → judge → patch loop.
func (sh *shared) repair(ctx context.Context, a *asker, res *ServerResult) error {
	cfg := sh.cfg
	for round := 0; ; round++ {
		eng, err := sh.engine(res.Server, res.Rules, res.ListDefinitions, res.Lists)
		if err != nil {
			return fmt.Errorf("compile: %s: validated rules no longer load: %w", res.Server, err)
		}
		fails, passing, err := verify(eng, res.Server, res.Scenarios, res.Rules)
		if err != nil {
			return fmt.Errorf("compile: %s: validated scenarios no longer load: %w", res.Server, err)
		}
		res.Failures = fails
		sh.progress(a, "verify", round, passing, len(res.Scenarios))
		if len(fails) == 0 || round == MaxRounds {
			break
		}
		res.Rounds = round + 1
		sh.progress(a, "judge", round+1, passing, len(res.Scenarios))
		var verdicts []Verdict
		err = a.ask(ctx, "judge", judgeSystem, judgeMessage(cfg.Constitution, res.Rules, fails), verdictsTool().tool(), func(raw json.RawMessage) error {
			var perr error
			verdicts, perr = parseVerdicts(len(fails), raw)
			return perr
		})
		if err != nil {
			return stop(err)
		}
		var blamed []Failure
		for _, v := range verdicts {
			f := fails[v.Index]
			if v.Blame == "scenario" && f.Scenario.Source == SourceGenerated {
				// Only the expectation changes; the engine still decides.
				i := slices.IndexFunc(res.Scenarios, func(s Scenario) bool { return sameScenario(s, f.Scenario) })
				if i >= 0 {
					res.Scenarios[i].Expected = v.CorrectedDecision
					res.Scenarios[i].Reasoning = oneLine("Corrected by the judge: "+v.Explanation, 600)
				}
				continue
			}
			blamed = append(blamed, f)
		}
		if len(blamed) == 0 {
			continue
		}
		sh.progress(a, "patch", round+1, passing, len(res.Scenarios))
		err = a.ask(ctx, "patch-rules", patchSystem, patchMessage(cfg.Constitution, res.Rules, blamed), patchTool().tool(), func(raw json.RawMessage) error {
			patched, perr := parsePatch(res.Server, res.Rules, res.ListDefinitions, raw)
			if perr == nil {
				res.Rules = patched
			}
			return perr
		})
		if err != nil {
			return stop(err)
		}
	}
	if len(res.Failures) == 0 {
		sh.progress(a, "done", res.Rounds, len(res.Scenarios), len(res.Scenarios))
	} else {
		sh.progress(a, "failed", res.Rounds, len(res.Scenarios)-len(res.Failures), len(res.Scenarios))
	}
	return nil
}

// stop ends the repair loop: an answer that stays invalid leaves the
// failures as they are (the server does not verify); anything else aborts.
func stop(err error) error {
	var ae *AnswerError
	if errors.As(err, &ae) {
		return nil
	}
	return err
}

func sameScenario(a, b Scenario) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}
