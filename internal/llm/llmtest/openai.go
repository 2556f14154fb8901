package llmtest

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strings"
)

type openAIDialect struct{}

func (openAIDialect) name() string { return "openai" }
func (openAIDialect) path() string { return "/v1/chat/completions" }

var openAIToolName = regexp.MustCompile(`^[a-zA-Z0-9_-]{1,64}$`)

func (openAIDialect) validate(r *http.Request, body []byte) (info, error) {
	if a := r.Header.Get("Authorization"); a != "" && (!strings.HasPrefix(a, "Bearer ") || len(a) == len("Bearer ")) {
		return info{}, errors.New("authorization header is not a bearer token")
	}
	m, err := decodeBody(r, body)
	if err != nil {
		return info{}, err
	}
	model, err := nonEmpty(m, "model", "body")
	if err != nil {
		return info{}, err
	}
	stream, err := optBool(m, "stream")
	if err != nil {
		return info{}, err
	}
	usage := false
	if so, ok := m["stream_options"]; ok {
		if !stream {
			return info{}, errors.New("stream_options is only allowed when stream is true")
		}
		opts, ok := so.(obj)
		if !ok {
			return info{}, errors.New("stream_options must be an object")
		}
		if usage, err = optBool(opts, "include_usage"); err != nil {
			return info{}, fmt.Errorf("stream_options: %w", err)
		}
	}
	if err := positiveInt(m, "max_tokens", false); err != nil {
		return info{}, err
	}
	if err := positiveInt(m, "max_completion_tokens", false); err != nil {
		return info{}, err
	}
	if _, both := m["max_completion_tokens"]; both && m["max_tokens"] != nil {
		return info{}, errors.New("max_tokens and max_completion_tokens are both set")
	}
	tools, err := declareTools(m["tools"], openAIToolName, func(i int, t obj) (string, error) {
		if t["type"] != "function" {
			return "", fmt.Errorf("tools[%d]: type must be \"function\"", i)
		}
		fn, ok := t["function"].(obj)
		if !ok {
			return "", fmt.Errorf("tools[%d]: function must be an object", i)
		}
		if d, ok := fn["description"]; ok {
			if _, ok := d.(string); !ok {
				return "", fmt.Errorf("tools[%d]: description must be a string", i)
			}
		}
		if p, ok := fn["parameters"]; ok {
			if err := objectSchema(p, fmt.Sprintf("tools[%d].function.parameters", i)); err != nil {
				return "", err
			}
		}
		name, _ := str(fn, "name")
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
	var pending map[string]bool // tool_call ids still waiting for their tool message
	for i, msg := range msgs {
		where := fmt.Sprintf("messages[%d]", i)
		role, _ := str(msg, "role")
		if role != "tool" && len(pending) > 0 {
			return info{}, fmt.Errorf("%s: tool_call ids %v must be answered by tool messages first", where, keys(pending))
		}
		switch role {
		case "system", "developer", "user":
			if err := textContent(msg["content"], where, false); err != nil {
				return info{}, err
			}
		case "assistant":
			calls, hasCalls := msg["tool_calls"]
			if err := textContent(msg["content"], where, hasCalls); err != nil {
				return info{}, err
			}
			if !hasCalls {
				continue
			}
			list, err := objects(calls, where+".tool_calls")
			if err != nil {
				return info{}, err
			}
			if len(list) == 0 {
				return info{}, fmt.Errorf("%s: tool_calls is empty", where)
			}
			pending = map[string]bool{}
			for j, c := range list {
				cw := fmt.Sprintf("%s.tool_calls[%d]", where, j)
				id, err := nonEmpty(c, "id", cw)
				if err != nil {
					return info{}, err
				}
				if c["type"] != "function" {
					return info{}, fmt.Errorf("%s: type must be \"function\"", cw)
				}
				fn, ok := c["function"].(obj)
				if !ok {
					return info{}, fmt.Errorf("%s: function must be an object", cw)
				}
				name, err := nonEmpty(fn, "name", cw+".function")
				if err != nil {
					return info{}, err
				}
				if !tools[name] {
					return info{}, fmt.Errorf("%s: call of %q, which the request does not declare", cw, name)
				}
				if _, ok := str(fn, "arguments"); !ok {
					return info{}, fmt.Errorf("%s.function: arguments must be a string", cw)
				}
				pending[id] = true
			}
		case "tool":
			id, err := nonEmpty(msg, "tool_call_id", where)
			if err != nil {
				return info{}, err
			}
			if !pending[id] {
				return info{}, fmt.Errorf("%s: tool message for %q, which no preceding assistant message is waiting on", where, id)
			}
			delete(pending, id)
			if _, ok := msg["content"].(string); !ok {
				if err := textContent(msg["content"], where, false); err != nil {
					return info{}, err
				}
			}
		default:
			return info{}, fmt.Errorf("%s: unknown role %q", where, role)
		}
	}
	if len(pending) > 0 {
		return info{}, fmt.Errorf("tool_call ids %v are never answered", keys(pending))
	}
	return info{stream: stream, model: model, usage: usage}, nil
}

// textContent checks a message's content: a string or an array of text
// parts; absent or null only where tool calls stand in for it.
func textContent(v any, where string, optional bool) error {
	switch c := v.(type) {
	case nil:
		if optional {
			return nil
		}
		return fmt.Errorf("%s: content is missing", where)
	case string:
		return nil
	case []any:
		parts, err := objects(c, where+".content")
		if err != nil {
			return err
		}
		for k, p := range parts {
			if p["type"] != "text" {
				return fmt.Errorf("%s.content[%d]: only text parts are expected", where, k)
			}
			if _, ok := str(p, "text"); !ok {
				return fmt.Errorf("%s.content[%d]: text must be a string", where, k)
			}
		}
		return nil
	default:
		return fmt.Errorf("%s: content must be a string or an array", where)
	}
}

func (openAIDialect) errorBody(status int, msg string) string {
	typ, code := "invalid_request_error", any(nil)
	switch status {
	case 401:
		code = "invalid_api_key"
	case 429:
		typ, code = "rate_limit_exceeded", "rate_limit_exceeded"
	case 500, 502, 503:
		typ = "server_error"
	}
	b, _ := json.Marshal(obj{"error": obj{"message": msg, "type": typ, "param": nil, "code": code}})
	return string(b)
}

func (openAIDialect) write(w http.ResponseWriter, tu *Turn, in info, ids func(string) string, hang func()) {
	model, stream := in.model, in.stream
	finish := tu.StopReason
	if finish == "" {
		finish = "stop"
		if len(tu.ToolCalls) > 0 {
			finish = "tool_calls"
		}
	}
	id := ids("chatcmpl")
	callIDs := make([]string, len(tu.ToolCalls))
	for i, c := range tu.ToolCalls {
		callIDs[i] = c.ID
		if callIDs[i] == "" {
			callIDs[i] = ids("call")
		}
	}
	usage := obj{"prompt_tokens": tu.InputTokens, "completion_tokens": tu.OutputTokens, "total_tokens": tu.InputTokens + tu.OutputTokens}

	if !stream {
		msg := obj{"role": "assistant", "content": nil, "refusal": nil}
		if len(tu.Text) > 0 {
			msg["content"] = strings.Join(tu.Text, "")
		}
		if len(tu.ToolCalls) > 0 {
			var calls []obj
			for i, c := range tu.ToolCalls {
				calls = append(calls, obj{"id": callIDs[i], "type": "function", "function": obj{"name": c.Name, "arguments": inputOrEmpty(c.Input)}})
			}
			msg["tool_calls"] = calls
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(obj{
			"id": id, "object": "chat.completion", "created": 1700000000, "model": model,
			"choices": []obj{{"index": 0, "message": msg, "finish_reason": finish, "logprobs": nil}},
			"usage":   usage,
		})
		return
	}

	e := newSSE(w)
	chunk := func(delta obj, finish any) obj {
		return obj{
			"id": id, "object": "chat.completion.chunk", "created": 1700000000, "model": model,
			"choices": []obj{{"index": 0, "delta": delta, "finish_reason": finish, "logprobs": nil}},
		}
	}
	e.event("", chunk(obj{"role": "assistant", "content": ""}, nil))
	for k, t := range tu.Text {
		e.event("", chunk(obj{"content": t}, nil))
		if tu.Hang && k == 0 {
			hang()
			return
		}
	}
	if tu.Hang {
		hang()
		return
	}
	for i, c := range tu.ToolCalls {
		e.event("", chunk(obj{"tool_calls": []obj{{"index": i, "id": callIDs[i], "type": "function", "function": obj{"name": c.Name, "arguments": ""}}}}, nil))
		for _, p := range pieces(inputOrEmpty(c.Input)) {
			e.event("", chunk(obj{"tool_calls": []obj{{"index": i, "function": obj{"arguments": p}}}}, nil))
		}
	}
	if tu.StreamError != "" {
		e.event("", obj{"error": obj{"message": tu.StreamError, "type": "server_error", "param": nil, "code": nil}})
		return
	}
	if tu.Truncate {
		return
	}
	e.event("", chunk(obj{}, finish))
	if in.usage {
		e.event("", obj{"id": id, "object": "chat.completion.chunk", "created": 1700000000, "model": model, "choices": []obj{}, "usage": usage})
	}
	e.event("", "[DONE]")
}
