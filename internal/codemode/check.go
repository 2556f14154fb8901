package codemode

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/ironcurtain/ironcurtain-go/internal/codemode/jsworker"
	"github.com/ironcurtain/ironcurtain-go/internal/runnerproto"
)

// checkCall says what is wrong with a tool call an honest worker could not
// have sent, or "" when nothing is.
func (s *session) checkCall(c *runnerproto.ToolCall, lastID uint64) string {
	switch {
	case c.ID != lastID+1:
		return fmt.Sprintf("it sent tool call id %d, want %d", c.ID, lastID+1)
	case len(s.result.Calls) >= s.cfg.Limits.MaxToolCalls:
		return fmt.Sprintf("it made more than %d tool calls", s.cfg.Limits.MaxToolCalls)
	case !s.known[[2]string{c.Server, c.Tool}]:
		return fmt.Sprintf("it called %q.%q, which is not in its tool list", c.Server, c.Tool)
	case !isObject(c.Args):
		return "it sent tool arguments that are not a JSON object"
	}
	return ""
}

func isObject(raw json.RawMessage) bool {
	raw = bytes.TrimLeft(raw, " \t\r\n")
	return len(raw) > 0 && raw[0] == '{' && json.Valid(raw)
}

// call runs one tool call through Config.Call and returns the result to
// send, made safe for the pipe, after recording it.
func (s *session) call(ctx context.Context, c *runnerproto.ToolCall) runnerproto.ToolResult {
	args := append(json.RawMessage(nil), c.Args...)
	res := s.cfg.Call(ctx, c.Server, c.Tool, args)
	res = sanitize(res)
	res.ID = c.ID
	rec := CallRecord{Server: c.Server, Tool: c.Tool, Args: args, Outcome: OutcomeOK}
	switch {
	case res.Denied != "":
		rec.Outcome, rec.Detail = OutcomeDenied, oneLine(res.Denied)
	case res.Error != "":
		rec.Outcome, rec.Detail = OutcomeError, oneLine(res.Error)
	case res.IsError:
		rec.Outcome, rec.Detail = OutcomeError, "the tool reported an error"
	}
	s.result.Calls = append(s.result.Calls, rec)
	return res
}

// maxToolResult leaves room in a message for the envelope around it.
const maxToolResult = runnerproto.MaxMessageSize - envelope

// sanitize keeps exactly one of Denied, Error and Content, denial first,
// and turns what the pipe cannot carry into an error the script sees.
func sanitize(r runnerproto.ToolResult) runnerproto.ToolResult {
	switch {
	case r.Denied != "":
		return runnerproto.ToolResult{Denied: validText(r.Denied)}
	case r.Error != "":
		return runnerproto.ToolResult{Error: validText(r.Error)}
	case len(r.Content) > maxToolResult:
		return runnerproto.ToolResult{Error: fmt.Sprintf("the tool result is %d bytes, more than the %d a script can receive", len(r.Content), maxToolResult)}
	case len(r.Content) > 0 && !utf8.Valid(r.Content):
		return runnerproto.ToolResult{Error: "the tool result is not valid UTF-8"}
	case len(r.Content) > 0 && !json.Valid(r.Content):
		return runnerproto.ToolResult{Error: "the tool result is not valid JSON"}
	}
	// The encoder re-checks the whole message; escaping can only shrink
	// valid JSON here, so content that fits fits.
	return runnerproto.ToolResult{Content: r.Content, IsError: r.IsError}
}

func validText(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	return strings.ToValidUTF8(s, "\uFFFD")
}

// checkDone says what is wrong with a Done an honest worker could not have
// sent, or "" when nothing is.
func (s *session) checkDone(d *runnerproto.Done) string {
	l := s.cfg.Limits
	switch d.Kind {
	case "", KindException, KindOOM, KindTimeout, KindLimit, KindSyntax:
	default:
		return fmt.Sprintf("it reported an unknown kind %q", d.Kind)
	}
	if len(d.Value) > l.MaxResult {
		return fmt.Sprintf("it returned %d bytes, more than the %d it was allowed", len(d.Value), l.MaxResult)
	}
	text := 0
	for i, line := range d.Console {
		switch line.Level {
		case "log", "info", "warn", "error", "debug":
		default:
			return fmt.Sprintf("console line %d has an unknown level %q", i, line.Level)
		}
		text += len(line.Text)
	}
	// Honest workers count escaped bytes plus per-line overhead against
	// MaxConsole; raw text within it plus the marker line is the loosest
	// bound that still holds.
	if text > l.MaxConsole+len(jsworker.TruncatedMarker)+32 {
		return fmt.Sprintf("it printed %d bytes, more than the %d it was allowed", text, l.MaxConsole)
	}
	return ""
}

// maxError bounds Result.Error.
const maxError = 1000

// oneLine makes text from the worker or a tool fit on one line of a log
// or terminal: control characters and line breaks become spaces or '?',
// and it is cut at maxError bytes.
func oneLine(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '\n' || r == '\r' || r == '\t':
			r = ' '
		case r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) || r == 0x2028 || r == 0x2029 || r == utf8.RuneError:
			r = '?'
		}
		if b.Len()+utf8.RuneLen(r) > maxError {
			b.WriteString("…")
			break
		}
		b.WriteRune(r)
	}
	return b.String()
}
