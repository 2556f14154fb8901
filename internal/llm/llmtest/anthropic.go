package llmtest

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strings"
)

type anthropicDialect struct{}

func (anthropicDialect) name() string { return "anthropic" }
func (anthropicDialect) path() string { return "/v1/messages" }

var anthropicToolName = regexp.MustCompile(`^[a-zA-Z0-9_-]{1,128}$`)

func (anthropicDialect) validate(r *http.Request, body []byte) (info, error) {
	if r.Header.Get("Anthropic-Version") == "" {
		return info{}, errors.New("no anthropic-version header")
	}
	if r.Header.Get("X-Api-Key") == "" && !strings.HasPrefix(r.Header.Get("Authorization"), "Bearer ") {
		return info{}, errors.New("no x-api-key header")
	}
	m, err := decodeBody(r, body)
	if err != nil {
		return info{}, err
	}
	model, err := nonEmpty(m, "model", "body")
	if err != nil {
		return info{}, err
	}
	if err := positiveInt(m, "max_tokens", true); err != nil {
		return info{}, err
	}
	stream, err := optBool(m, "stream")
	usage := true
	if err != nil {
		return info{}, err
	}
	breakpoints := 0
	if sys, ok := m["system"]; ok {
		if _, isStr := sys.(string); !isStr {
			blocks, err := objects(sys, "system")
			if err != nil {
				return info{}, err
			}
			for i, b := range blocks {
				if b["type"] != "text" {
					return info{}, fmt.Errorf("system[%d]: type must be text", i)
				}
				if _, err := nonEmpty(b, "text", fmt.Sprintf("system[%d]", i)); err != nil {
					return info{}, err
				}
				if _, ok := b["cache_control"]; ok {
					breakpoints++
				}
			}
		}
	}
	tools, err := declareTools(m["tools"], anthropicToolName, func(i int, t obj) (string, error) {
		if typ, ok := t["type"]; ok && typ != "custom" {
			return "", fmt.Errorf("tools[%d]: type %v is not a custom tool", i, typ)
		}
		if d, ok := t["description"]; ok {
			if _, ok := d.(string); !ok {
				return "", fmt.Errorf("tools[%d]: description must be a string", i)
			}
		}
		if err := objectSchema(t["input_schema"], fmt.Sprintf("tools[%d].input_schema", i)); err != nil {
			return "", err
		}
		name, _ := str(t, "name")
		return name, nil
	})
	if err != nil {
		return info{}, err
	}
	msgs, err := objects(m["messages"], "messages")
	if err != nil {
		return info{}, err
	}
	if len(msgs) == 0 {
		return info{}, errors.New("messages is empty")
	}
	var pending map[string]bool // tool_use IDs the next user message must answer
	for i, msg := range msgs {
		where := fmt.Sprintf("messages[%d]", i)
		role, _ := str(msg, "role")
		if role != "user" && role != "assistant" {
			return info{}, fmt.Errorf("%s: role %q is not user or assistant", where, role)
		}
		if i == 0 && role != "user" {
			return info{}, fmt.Errorf("%s: the first message must be from the user", where)
		}
		if s, ok := msg["content"].(string); ok {
			if s == "" {
				return info{}, fmt.Errorf("%s: content is empty", where)
			}
			if len(pending) > 0 {
				return info{}, fmt.Errorf("%s: tool_use ids %v have no tool_result right after them", where, keys(pending))
			}
			continue
		}
		blocks, err := objects(msg["content"], where+".content")
		if err != nil {
			return info{}, err
		}
		if len(blocks) == 0 {
			return info{}, fmt.Errorf("%s: content is empty", where)
		}
		answered, sawOther := map[string]bool{}, false
		next := map[string]bool{}
		for j, b := range blocks {
			bw := fmt.Sprintf("%s.content[%d]", where, j)
			if _, ok := b["cache_control"]; ok {
				breakpoints++
			}
			switch typ, _ := str(b, "type"); typ {
			case "text":
				if _, err := nonEmpty(b, "text", bw); err != nil {
					return info{}, err
				}
				sawOther = true
			case "tool_use":
				if role != "assistant" {
					return info{}, fmt.Errorf("%s: tool_use in a %s message", bw, role)
				}
				id, err := nonEmpty(b, "id", bw)
				if err != nil {
					return info{}, err
				}
				name, err := nonEmpty(b, "name", bw)
				if err != nil {
					return info{}, err
				}
				if !tools[name] {
					return info{}, fmt.Errorf("%s: tool_use of %q, which the request does not declare", bw, name)
				}
				if _, ok := b["input"].(obj); !ok {
					return info{}, fmt.Errorf("%s: input must be an object", bw)
				}
				next[id] = true
				sawOther = true
			case "tool_result":
				if role != "user" {
					return info{}, fmt.Errorf("%s: tool_result in a %s message", bw, role)
				}
				if sawOther {
					return info{}, fmt.Errorf("%s: tool_result blocks must come before other content", bw)
				}
				id, err := nonEmpty(b, "tool_use_id", bw)
				if err != nil {
					return info{}, err
				}
				if !pending[id] {
					return info{}, fmt.Errorf("%s: tool_result for %q, which the previous assistant message did not call", bw, id)
				}
				answered[id] = true
				if err := toolResultContent(b["content"], bw); err != nil {
					return info{}, err
				}
				if _, err := optBool(b, "is_error"); err != nil {
					return info{}, fmt.Errorf("%s: %w", bw, err)
				}
			default:
				return info{}, fmt.Errorf("%s: unexpected block type %q", bw, typ)
			}
		}
		if role == "user" {
			for id := range pending {
				if !answered[id] {
					return info{}, fmt.Errorf("%s: tool_use id %q has no tool_result right after it", where, id)
				}
			}
		} else if len(pending) > 0 {
			return info{}, fmt.Errorf("%s: tool_use ids %v have no tool_result right after them", where, keys(pending))
		}
		pending = next
	}
	if breakpoints > 4 {
		return info{}, fmt.Errorf("%d cache_control breakpoints, at most 4 allowed", breakpoints)
	}
	return info{stream: stream, model: model, usage: usage}, nil
}

func toolResultContent(v any, where string) error {
	switch c := v.(type) {
	case nil, string:
		return nil
	case []any:
		blocks, err := objects(c, where+".content")
		if err != nil {
			return err
		}
		for k, b := range blocks {
			if b["type"] != "text" {
				return fmt.Errorf("%s.content[%d]: only text blocks are expected", where, k)
			}
			if _, err := nonEmpty(b, "text", fmt.Sprintf("%s.content[%d]", where, k)); err != nil {
				return err
			}
		}
		return nil
	default:
		return fmt.Errorf("%s: content must be a string or an array", where)
	}
}

func keys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

func (anthropicDialect) errorBody(status int, msg string) string {
	typ := map[int]string{
		400: "invalid_request_error", 401: "authentication_error", 403: "permission_error",
		404: "not_found_error", 413: "request_too_large", 429: "rate_limit_error",
		500: "api_error", 529: "overloaded_error",
	}[status]
	if typ == "" {
		typ = "api_error"
	}
	b, _ := json.Marshal(obj{"type": "error", "error": obj{"type": typ, "message": msg}, "request_id": "req_test"})
	return string(b)
}

func (d anthropicDialect) write(w http.ResponseWriter, tu *Turn, in info, ids func(string) string, hang func()) {
	model, stream := in.model, in.stream
	stop := tu.StopReason
	if stop == "" {
		stop = "end_turn"
		if len(tu.ToolCalls) > 0 {
			stop = "tool_use"
		}
	}
	msgID := ids("msg")
	type block struct {
		start obj
		text  []string // text deltas
		input []string // partial_json deltas
	}
	var blocks []block
	if len(tu.Text) > 0 {
		blocks = append(blocks, block{start: obj{"type": "text", "text": ""}, text: tu.Text})
	}
	for _, c := range tu.ToolCalls {
		id := c.ID
		if id == "" {
			id = ids("toolu")
		}
		blocks = append(blocks, block{start: obj{"type": "tool_use", "id": id, "name": c.Name, "input": obj{}}, input: pieces(inputOrEmpty(c.Input))})
	}
	usage := obj{"input_tokens": tu.InputTokens, "output_tokens": tu.OutputTokens, "cache_creation_input_tokens": 0, "cache_read_input_tokens": 0}

	if !stream {
		content := []any{}
		for _, b := range blocks {
			full := obj{}
			for k, v := range b.start {
				full[k] = v
			}
			if b.text != nil {
				full["text"] = strings.Join(b.text, "")
			} else {
				full["input"] = json.RawMessage(strings.Join(b.input, ""))
			}
			content = append(content, full)
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(obj{
			"id": msgID, "type": "message", "role": "assistant", "model": model, "content": content,
			"stop_reason": stop, "stop_sequence": nil, "usage": usage,
		})
		return
	}

	e := newSSE(w)
	e.event("message_start", obj{"type": "message_start", "message": obj{
		"id": msgID, "type": "message", "role": "assistant", "model": model, "content": []any{},
		"stop_reason": nil, "stop_sequence": nil,
		"usage": obj{"input_tokens": tu.InputTokens, "output_tokens": 1, "cache_creation_input_tokens": 0, "cache_read_input_tokens": 0},
	}})
	e.event("ping", obj{"type": "ping"})
	for i, b := range blocks {
		e.event("content_block_start", obj{"type": "content_block_start", "index": i, "content_block": b.start})
		for k, t := range b.text {
			e.event("content_block_delta", obj{"type": "content_block_delta", "index": i, "delta": obj{"type": "text_delta", "text": t}})
			if tu.Hang && i == 0 && k == 0 {
				hang()
				return
			}
		}
		for _, p := range b.input {
			e.event("content_block_delta", obj{"type": "content_block_delta", "index": i, "delta": obj{"type": "input_json_delta", "partial_json": p}})
		}
		e.event("content_block_stop", obj{"type": "content_block_stop", "index": i})
	}
	if tu.Hang { // no text to hang after
		hang()
		return
	}
	if tu.StreamError != "" {
		e.event("error", obj{"type": "error", "error": obj{"type": "overloaded_error", "message": tu.StreamError}})
		return
	}
	if tu.Truncate {
		return
	}
	e.event("message_delta", obj{"type": "message_delta", "delta": obj{"stop_reason": stop, "stop_sequence": nil}, "usage": obj{"output_tokens": tu.OutputTokens}})
	e.event("message_stop", obj{"type": "message_stop"})
}
