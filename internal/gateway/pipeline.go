package gateway

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/ironcurtain/ironcurtain-go/internal/audit"
	"github.com/ironcurtain/ironcurtain-go/internal/escalate"
	"github.com/ironcurtain/ironcurtain-go/internal/jsondoc"
	"github.com/ironcurtain/ironcurtain-go/internal/policy"
)

// MaxArgumentsSize bounds one call's arguments.
const MaxArgumentsSize = 4 << 20

// Config is everything a Gateway needs. Required collaborators are
// fields; nil is an error.
type Config struct {
	Servers  *Manager // required
	Engine   decider  // required
	Audit    recorder // required
	Approver approver // required: escalations with no way to ask are denied by the broker's timeout
	// SessionID labels audit records and escalations.
	SessionID string
	// ResultLimit bounds a result's content in bytes (default 100 KiB).
	ResultLimit int
	// BreakerLimit is how many identical calls a minute are allowed
	// (default 20).
	BreakerLimit int
	// Now is the clock (default time.Now).
	Now    func() time.Time
	Logger *slog.Logger
}

// Gateway is the tool-call pipeline. It is safe for concurrent use.
type Gateway struct {
	cfg     Config
	breaker *breaker
}

// New builds a gateway.
func New(cfg Config) (*Gateway, error) {
	switch {
	case cfg.Servers == nil:
		return nil, errors.New("gateway: no server manager")
	case cfg.Engine == nil:
		return nil, errors.New("gateway: no policy engine")
	case cfg.Audit == nil:
		return nil, errors.New("gateway: no audit log")
	case cfg.Approver == nil:
		return nil, errors.New("gateway: no escalation broker")
	}
	if cfg.ResultLimit <= 0 {
		cfg.ResultLimit = DefaultResultLimit
	}
	if cfg.BreakerLimit <= 0 {
		cfg.BreakerLimit = 20
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Gateway{cfg: cfg, breaker: newBreaker(cfg.BreakerLimit, time.Minute, cfg.Now)}, nil
}

// call is one tool call travelling through the stages.
type call struct {
	server, tool string
	raw          json.RawMessage
	entry        *Tool
	args         map[string]any
	decision     policy.Decision
	forwarded    map[string]any
	result       *mcp.CallToolResult
	rec          audit.Record
	start        time.Time
}

// stage is one named step; a non-nil *denial ends the call as denied.
type stage struct {
	name string
	run  func(ctx context.Context, g *Gateway, c *call) *denial
}

// denial ends a call: Rule and Reason go to the audit log and, as
// "DENIED: reason", to the agent.
type denial struct {
	status string // audit result status: denied, error or timeout
	rule   string
	reason string
}

// stages is the pipeline, in order. Each stage is tested on its own.
var stages = [...]stage{
	{"lookup", stageLookup},
	{"validate", stageValidate},
	{"decide", stageDecide},
	{"breaker", stageBreaker},
	{"escalate", stageEscalate},
	{"forward", stageForward},
	{"limit", stageLimit},
}

// Call runs one tool call through the pipeline and writes its audit
// record before returning. A denial is a result with IsError set and text
// "DENIED: reason"; an error means the audit log failed and the call must
// be treated as failed.
func (g *Gateway) Call(ctx context.Context, server, tool string, rawArgs json.RawMessage) (*mcp.CallToolResult, error) {
	c := &call{server: server, tool: tool, raw: rawArgs, start: g.cfg.Now()}
	c.rec = audit.Record{
		Timestamp: c.start.UTC(),
		RequestID: newRequestID(),
		SessionID: g.cfg.SessionID,
		Server:    server,
		Tool:      tool,
	}
	var d *denial
	for _, s := range stages {
		if d = s.run(ctx, g, c); d != nil {
			g.cfg.Logger.Info("call stopped", "stage", s.name, "server", server, "tool", tool, "rule", d.rule)
			break
		}
	}
	res := c.result
	if d != nil {
		prefix := "DENIED: "
		if d.status != "denied" {
			prefix = "ERROR: "
		}
		res = &mcp.CallToolResult{IsError: true, Content: []mcp.Content{&mcp.TextContent{Text: prefix + d.reason}}}
		c.rec.Result = audit.Result{Status: d.status, Error: d.reason}
		if d.status == "denied" {
			// The final word, whichever stage said it: a breaker or a human
			// refusal turns the engine's allow or escalate into a deny.
			c.rec.Decision = audit.Decision{Status: "deny", Rule: d.rule, Reason: d.reason}
		}
	} else {
		c.rec.Result = audit.Result{Status: "success"}
		if res.IsError {
			c.rec.Result = audit.Result{Status: "error", Error: firstText(res)}
		}
	}
	c.rec.Arguments = c.forwarded
	if c.rec.Arguments == nil {
		c.rec.Arguments = c.args
	}
	c.rec.DurationMs = float64(g.cfg.Now().Sub(c.start).Microseconds()) / 1000
	if err := g.cfg.Audit.Append(ctx, c.rec); err != nil {
		// Fail closed: a call that cannot be recorded did not succeed.
		return nil, fmt.Errorf("audit log: %w", err)
	}
	return res, nil
}

func stageLookup(_ context.Context, g *Gateway, c *call) *denial {
	c.entry = g.cfg.Servers.Lookup(c.server, c.tool)
	if c.entry == nil {
		return &denial{status: "denied", rule: "unknown-tool", reason: fmt.Sprintf("unknown tool %s/%s", c.server, c.tool)}
	}
	return nil
}

func stageValidate(_ context.Context, _ *Gateway, c *call) *denial {
	raw := c.raw
	if len(raw) == 0 || string(raw) == "null" {
		raw = json.RawMessage("{}")
	}
	v, err := jsondoc.Parse(raw, MaxArgumentsSize)
	if err != nil {
		return &denial{status: "denied", rule: "invalid-arguments", reason: "arguments: " + err.Error()}
	}
	if v.Kind != jsondoc.Object {
		return &denial{status: "denied", rule: "invalid-arguments", reason: "arguments must be an object, not " + v.Kind.String()}
	}
	c.args = v.Interface().(map[string]any)
	if lit, ok := outOfRange(c.args); ok {
		// The validator sees numbers as float64; one that does not fit
		// must not slip past a type check as something else.
		return &denial{status: "denied", rule: "invalid-arguments", reason: "arguments: number " + clipText(lit, 40) + " is out of range"}
	}
	if c.entry.quick != nil && c.entry.quick.sure(v) {
		return nil
	}
	if err := c.entry.schema.Validate(validationView(c.args)); err != nil {
		return &denial{status: "denied", rule: "invalid-arguments", reason: "arguments do not match the tool's schema: " + err.Error()}
	}
	return nil
}

func stageDecide(_ context.Context, g *Gateway, c *call) *denial {
	c.decision = g.cfg.Engine.Decide(policy.Call{Server: c.server, Tool: c.tool, Arguments: c.args})
	d := c.decision
	c.rec.Decision = audit.Decision{Status: d.Verdict.String(), Rule: d.Rule, Reason: d.Reason}
	c.forwarded = d.Arguments
	if d.Verdict == policy.Deny {
		return &denial{status: "denied", rule: d.Rule, reason: d.Reason}
	}
	return nil
}

func stageBreaker(_ context.Context, g *Gateway, c *call) *denial {
	if !g.breaker.allow(c.server, c.tool, c.forwarded) {
		return &denial{status: "denied", rule: "circuit-breaker",
			reason: fmt.Sprintf("the same call was made more than %d times in a minute", g.cfg.BreakerLimit)}
	}
	return nil
}

func stageEscalate(ctx context.Context, g *Gateway, c *call) *denial {
	d := c.decision
	if d.Verdict != policy.Escalate {
		return nil
	}
	if entry, ok := g.cfg.Approver.Whitelisted(c.server, c.tool, d); ok {
		c.rec.Escalation = &audit.Escalation{Outcome: "whitelisted", By: "whitelist:" + entry, Whitelisted: true}
		return nil
	}
	req := escalate.Request{
		ID:             c.rec.RequestID,
		SessionID:      g.cfg.SessionID,
		Server:         c.server,
		Tool:           c.tool,
		Arguments:      audit.Redact(c.forwarded),
		Rule:           d.Rule,
		Reason:         d.Reason,
		EscalatedRoles: d.EscalatedRoles,
		Values:         d.Values,
	}
	ans, err := g.cfg.Approver.Ask(ctx, req)
	if err != nil {
		c.rec.Escalation = &audit.Escalation{Outcome: "error", By: ""}
		return &denial{status: "denied", rule: d.Rule, reason: "escalation failed: " + err.Error()}
	}
	c.rec.Escalation = &audit.Escalation{Outcome: string(ans.Outcome), By: ans.By}
	if ans.Outcome != escalate.Outcome("approved") {
		reason := "a human did not approve: " + d.Reason
		if ans.Outcome == escalate.Outcome("timeout") {
			reason = "no answer before the escalation timeout: " + d.Reason
		}
		return &denial{status: "denied", rule: d.Rule, reason: reason}
	}
	g.announceRoots(ctx, d)
	if ans.AddToWhitelist {
		if entry, err := g.cfg.Approver.AddWhitelist(req); err != nil {
			g.cfg.Logger.Warn("whitelist entry refused", "error", err)
		} else {
			c.rec.Escalation.Whitelisted = true
			c.rec.Escalation.By += " (+whitelist " + entry + ")"
		}
	}
	return nil
}

// announceRoots makes the approved paths reachable for servers that confine
// themselves to MCP roots: each escalated path's directory (the path itself
// when it is a directory) becomes a root for the rest of the session.
func (g *Gateway) announceRoots(ctx context.Context, d policy.Decision) {
	escalated := map[policy.Role]bool{}
	for _, r := range d.EscalatedRoles {
		escalated[r] = true
	}
	var dirs []string
	seen := map[string]bool{}
	for _, v := range d.Values {
		if !escalated[v.Role] || v.Role.Category() != policy.CatPath {
			continue
		}
		dir := v.Value
		if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
			dir = filepath.Dir(dir)
		}
		if dir == "/" || seen[dir] {
			continue // never the whole filesystem
		}
		seen[dir] = true
		dirs = append(dirs, dir)
	}
	if len(dirs) > 0 {
		g.cfg.Servers.AddRoots(ctx, dirs)
	}
}

func stageForward(ctx context.Context, g *Gateway, c *call) *denial {
	res, err := g.cfg.Servers.Call(ctx, c.server, c.tool, c.forwarded)
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return &denial{status: "timeout", rule: c.decision.Rule, reason: fmt.Sprintf("%s/%s timed out", c.server, c.tool)}
	case err != nil:
		return &denial{status: "error", rule: c.decision.Rule, reason: fmt.Sprintf("%s/%s failed: %v", c.server, c.tool, err)}
	case res == nil:
		return &denial{status: "error", rule: c.decision.Rule, reason: fmt.Sprintf("%s/%s returned no result", c.server, c.tool)}
	}
	c.result = plainResult(res)
	return nil
}

// plainResult keeps what a tool result says — content, structured
// content, _meta, isError — and drops the protocol state a server could
// smuggle in with it (a multi-round-trip resultType, input requests): the
// gateway relays answers, not requests of the server's own to the client.
func plainResult(r *mcp.CallToolResult) *mcp.CallToolResult {
	return &mcp.CallToolResult{Meta: r.Meta, Content: r.Content, StructuredContent: r.StructuredContent, IsError: r.IsError}
}

func stageLimit(_ context.Context, g *Gateway, c *call) *denial {
	limitResult(c.result, g.cfg.ResultLimit)
	return nil
}

func firstText(r *mcp.CallToolResult) string {
	for _, c := range r.Content {
		if t, ok := c.(*mcp.TextContent); ok {
			if len(t.Text) > 500 {
				return t.Text[:500]
			}
			return t.Text
		}
	}
	return ""
}

func newRequestID() string {
	var b [12]byte
	if _, err := rand.Read(b[:]); err != nil {
		// crypto/rand does not fail on Linux; a fixed id still chains.
		return "req-unknown"
	}
	return hex.EncodeToString(b[:])
}
