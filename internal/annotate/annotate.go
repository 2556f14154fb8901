package annotate

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/ironcurtain/ironcurtain-go/internal/jsondoc"
	"github.com/ironcurtain/ironcurtain-go/internal/llm"
	"github.com/ironcurtain/ironcurtain-go/internal/policy"
)

// DefaultBatchSize is how many tools one request carries when
// Config.BatchSize is zero.
const DefaultBatchSize = 25

// maxSchemaBytes bounds one tool's input schema; a server sending more is
// not worth a model's attention.
const maxSchemaBytes = 256 << 10

// maxTokens leaves room for a full batch of conditional annotations.
const maxTokens = 16384

// ToolInfo is one tool as its server lists it.
type ToolInfo struct {
	Server, Name, Description string
	InputSchema               json.RawMessage
}

// Config is one annotation run.
type Config struct {
	Provider llm.Provider
	// Tools are the tools to annotate. Servers that have no tool here are
	// copied from Existing unchanged.
	Tools []ToolInfo
	// Existing is the current tool-annotations.json, or nil.
	Existing []byte
	// BatchSize is the number of tools per request (default 25).
	BatchSize int
	// Log receives one JSON line per model request (request, response or
	// error); nil discards them.
	Log io.Writer
	// Progress, if not nil, is told about each batch as it starts.
	Progress func(server string, done, total int)
	// Now stamps generatedAt and log lines (default time.Now).
	Now func() time.Time
}

// Result is the merged file and what happened to each tool ("server/tool").
type Result struct {
	File      []byte
	Annotated []string // annotated by the model in this run
	Reused    []string // taken unchanged from Existing
	Failed    []string // still invalid after the repair round: left out
	Reasons   map[string]string
	Calls     int       // model requests made
	Usage     llm.Usage // tokens over all requests
}

// pending is one tool on its way through a run.
type pending struct {
	info   ToolInfo
	key    string          // server/tool
	schema json.RawMessage // compact
	canon  string
	props  []string // schema properties in order
	hash   string
	entry  *toolEntry
	reused json.RawMessage
	errs   []string
}

// Run annotates the tools that changed since Existing, merges the result
// with Existing and returns the file; it writes nothing but Log. Errors from
// the provider or the log abort the run: a partial answer is not merged.
func Run(ctx context.Context, cfg Config) (*Result, error) {
	if cfg.Provider == nil {
		return nil, errors.New("annotate: no LLM provider")
	}
	if cfg.BatchSize <= 0 {
		cfg.BatchSize = DefaultBatchSize
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	existing := map[string]*existingServer{}
	if cfg.Existing != nil {
		var err error
		if existing, err = parseExisting(cfg.Existing); err != nil {
			return nil, fmt.Errorf("annotate: %w", err)
		}
	}
	res := &Result{Reasons: map[string]string{}}
	byServer, err := prepare(cfg.Tools, res)
	if err != nil {
		return nil, err
	}
	changed := reuse(byServer, existing)

	var todo []*pending
	for _, s := range sortedKeys(byServer) {
		for _, p := range byServer[s] {
			switch {
			case p.reused != nil || p.errs != nil:
			case len(p.props) == 0:
				p.entry = &toolEntry{Server: p.info.Server, Tool: p.info.Name, Comment: oneLine(p.info.Description, 200), Schema: p.schema}
			default:
				todo = append(todo, p)
			}
		}
	}
	r := &runner{cfg: cfg, res: res}
	for i := 0; i < len(todo); i += cfg.BatchSize {
		batch := todo[i:min(i+cfg.BatchSize, len(todo))]
		if cfg.Progress != nil {
			cfg.Progress(batch[0].info.Server, i, len(todo))
		}
		if err := r.batch(ctx, i/cfg.BatchSize, batch); err != nil {
			return nil, err
		}
	}

	out := map[string]*serverOut{}
	for name, es := range existing {
		if _, ours := byServer[name]; !ours {
			so := &serverOut{InputHash: es.inputHash}
			for _, t := range es.raw.Get("tools").Items {
				so.Tools = append(so.Tools, encode(t))
			}
			out[name] = so
		}
	}
	for name, tools := range byServer {
		so := &serverOut{InputHash: serverHash(tools)}
		for _, p := range tools {
			switch {
			case p.reused != nil:
				so.Tools = append(so.Tools, p.reused)
				res.Reused = append(res.Reused, p.key)
			case p.entry != nil:
				so.Tools = append(so.Tools, p.entry.render())
				res.Annotated = append(res.Annotated, p.key)
				changed = true
			default:
				res.Failed = append(res.Failed, p.key)
				res.Reasons[p.key] = oneLine(strings.Join(p.errs, "; "), 600)
				changed = true
			}
		}
		out[name] = so
	}
	if !changed && cfg.Existing != nil {
		res.File = cfg.Existing
		return res, nil
	}
	file, err := renderFile(cfg.Now().UTC().Format(time.RFC3339), out)
	if err != nil {
		return nil, err
	}
	if _, err := policy.ParseAnnotations("tool-annotations.json", file); err != nil {
		return nil, fmt.Errorf("annotate: merged file is invalid: %w", err)
	}
	res.File = file
	return res, nil
}

// prepare checks each tool's schema and groups the tools by server, sorted
// by name. A tool with an unusable schema fails without a model call.
func prepare(tools []ToolInfo, res *Result) (map[string][]*pending, error) {
	byServer := map[string][]*pending{}
	seen := map[string]bool{}
	for _, t := range tools {
		if t.Server == "" || t.Name == "" {
			return nil, fmt.Errorf("annotate: tool %q of server %q: empty name", t.Name, t.Server)
		}
		p := &pending{info: t, key: t.Server + "/" + t.Name}
		if seen[p.key] {
			return nil, fmt.Errorf("annotate: tool %s is listed twice", p.key)
		}
		seen[p.key] = true
		if err := p.parseSchema(); err != nil {
			p.errs = []string{err.Error()}
		}
		byServer[t.Server] = append(byServer[t.Server], p)
	}
	for _, ps := range byServer {
		slices.SortFunc(ps, func(a, b *pending) int { return strings.Compare(a.info.Name, b.info.Name) })
	}
	return byServer, nil
}

func (p *pending) parseSchema() error {
	raw := p.info.InputSchema
	if len(raw) == 0 {
		raw = json.RawMessage(`{"type":"object"}`)
	}
	v, err := jsondoc.Parse(raw, maxSchemaBytes)
	if err != nil {
		return fmt.Errorf("input schema: %w", err)
	}
	if v.Kind != jsondoc.Object {
		return fmt.Errorf("input schema is %s, not an object", v.Kind)
	}
	if props := v.Get("properties"); props != nil {
		if props.Kind != jsondoc.Object {
			return fmt.Errorf("input schema properties is %s, not an object", props.Kind)
		}
		for _, m := range props.Members {
			p.props = append(p.props, m.Key)
		}
	}
	p.schema = encode(v)
	if p.canon, err = canonicalJSON(p.schema); err != nil {
		return fmt.Errorf("input schema: %w", err)
	}
	p.hash = toolHash(p.info, p.canon)
	return nil
}

// reuse marks the tools whose existing annotation still fits and reports
// whether anything differs from the existing file. A tool is reused when its
// stored schema is unchanged; but when a server's hash changed while no
// schema and no tool did, the change is in a description or the prompt,
// which the file cannot pin to one tool, so all of that server's tools are
// annotated again.
func reuse(byServer map[string][]*pending, existing map[string]*existingServer) bool {
	changed := false
	for name, tools := range byServer {
		es := existing[name]
		if es == nil {
			changed = true
			continue
		}
		if es.inputHash != serverHash(tools) {
			changed = true
		}
		matches := 0
		for _, p := range tools {
			if p.errs != nil {
				continue
			}
			stored := es.tools[p.info.Name]
			if stored == nil {
				continue
			}
			schema := stored.Get("inputSchema")
			if schema == nil {
				continue
			}
			if c, err := canonicalJSON(encode(schema)); err == nil && c == p.canon {
				p.reused = encode(stored)
				matches++
			}
		}
		if es.inputHash != serverHash(tools) && matches == len(tools) && len(es.tools) == len(tools) {
			for _, p := range tools {
				p.reused = nil
			}
		}
	}
	return changed
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// oneLine flattens text for a comment or a reason, cut at max bytes.
func oneLine(s string, max int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > max {
		cut := max
		for cut > 0 && s[cut]&0xC0 == 0x80 {
			cut--
		}
		s = s[:cut] + "…"
	}
	return s
}
