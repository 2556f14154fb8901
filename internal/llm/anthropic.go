package llm

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/anthropics/anthropic-sdk-go"
	"github.com/anthropics/anthropic-sdk-go/option"
)

// anthropicProvider speaks the Messages API, always streaming.
type anthropicProvider struct {
	ep       *endpoint
	messages anthropic.MessageService
}

func newAnthropic(ep *endpoint) *anthropicProvider {
	// A bare MessageService rather than anthropic.NewClient: the client's
	// defaults read ANTHROPIC_* variables, credential profiles and federation
	// tokens from the process environment behind our back.
	svc := anthropic.NewMessageService(
		option.WithEnvironmentProduction(),
		option.WithBaseURL(ep.baseURL),
		option.WithHTTPClient(ep.client),
		option.WithAPIKey(ep.key),
		option.WithMaxRetries(maxRetries),
		option.WithMiddleware(capRetryAfter),
	)
	return &anthropicProvider{ep: ep, messages: svc}
}

func (p *anthropicProvider) Name() string { return p.ep.provider + ":" + p.ep.model }

// capRetryAfter stops the SDK from honouring a server's request to wait
// longer than maxRetryAfter before retrying (it has no cap of its own): the
// error is returned at once instead.
func capRetryAfter(req *http.Request, next option.MiddlewareNext) (*http.Response, error) {
	res, err := next(req)
	if res == nil {
		return res, err
	}
	if ms, perr := strconv.ParseFloat(res.Header.Get("Retry-After-Ms"), 64); perr == nil && ms > float64(maxRetryAfter.Milliseconds()) {
		res.Header.Set("X-Should-Retry", "false")
	}
	if s, perr := strconv.ParseFloat(res.Header.Get("Retry-After"), 64); perr == nil && s > maxRetryAfter.Seconds() {
		res.Header.Set("X-Should-Retry", "false")
	}
	return res, err
}

func (p *anthropicProvider) Complete(ctx context.Context, req Request) (*Response, error) {
	params, err := p.params(&req)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", p.ep.provider, err)
	}
	stream := p.messages.NewStreaming(ctx, params)
	defer stream.Close()

	var msg anthropic.Message
	// The SDK replaces tool input that is not valid JSON with {}; the raw
	// text is kept here so the caller can show the model what it sent.
	inputs := map[int64]*strings.Builder{}
	size := 0
	for stream.Next() {
		ev := stream.Current()
		if err := msg.Accumulate(ev); err != nil {
			return nil, fmt.Errorf("%s: malformed stream: %w", p.ep.provider, err)
		}
		if ev.Type != "content_block_delta" {
			continue
		}
		size += len(ev.Delta.Text) + len(ev.Delta.PartialJSON)
		if size > MaxResponseBytes {
			return nil, fmt.Errorf("%s: response exceeds %d bytes", p.ep.provider, MaxResponseBytes)
		}
		switch ev.Delta.Type {
		case "text_delta":
			if req.OnText != nil && ev.Delta.Text != "" {
				req.OnText(ev.Delta.Text)
			}
		case "input_json_delta":
			b := inputs[ev.Index]
			if b == nil {
				b = &strings.Builder{}
				inputs[ev.Index] = b
			}
			b.WriteString(ev.Delta.PartialJSON)
		}
	}
	if err := stream.Err(); err != nil {
		return nil, p.wrapErr(ctx, err)
	}
	if msg.StopReason == "" {
		// A proxy or server that drops the connection mid-answer leaves no
		// stop reason; half an answer must not pass for a whole one.
		return nil, fmt.Errorf("%s: stream ended before the message was complete", p.ep.provider)
	}
	return p.response(&msg, inputs), nil
}

func (p *anthropicProvider) response(msg *anthropic.Message, inputs map[int64]*strings.Builder) *Response {
	out := &Response{
		StopReason: string(msg.StopReason),
		Model:      string(msg.Model),
		Usage: Usage{
			InputTokens:  msg.Usage.InputTokens + msg.Usage.CacheCreationInputTokens + msg.Usage.CacheReadInputTokens,
			OutputTokens: msg.Usage.OutputTokens,
		},
	}
	if out.Model == "" {
		out.Model = p.ep.model
	}
	for i, b := range msg.Content {
		switch b.Type {
		case "text":
			if b.Text != "" {
				out.Parts = append(out.Parts, Part{Type: PartText, Text: b.Text})
			}
		case "tool_use":
			raw := string(b.Input) // the input given whole at block start
			if streamed, ok := inputs[int64(i)]; ok {
				raw = streamed.String()
			}
			out.Parts = append(out.Parts, Part{Type: PartToolUse, ToolUseID: b.ID, ToolName: b.Name, Input: toolInput(raw)})
		}
		// Other block types (thinking, server tools) are not requested and
		// carry nothing the caller acts on.
	}
	return out
}

func (p *anthropicProvider) params(req *Request) (anthropic.MessageNewParams, error) {
	if err := req.validate(); err != nil {
		return anthropic.MessageNewParams{}, err
	}
	maxTokens := req.MaxTokens
	if maxTokens == 0 {
		maxTokens = DefaultMaxTokens
	}
	params := anthropic.MessageNewParams{
		Model:     anthropic.Model(p.ep.model),
		MaxTokens: int64(maxTokens),
	}
	if req.System != "" {
		// Cache breakpoints on the system prompt and the newest block make
		// every step of an agent loop reuse the conversation so far.
		params.System = []anthropic.TextBlockParam{{Text: req.System, CacheControl: anthropic.NewCacheControlEphemeralParam()}}
	}
	for _, t := range req.Tools {
		schema, _ := schemaObject(t.InputSchema) // validated above
		delete(schema, "type")
		tp := &anthropic.ToolParam{Name: t.Name, InputSchema: anthropic.ToolInputSchemaParam{ExtraFields: schema}}
		if t.Description != "" {
			tp.Description = anthropic.String(t.Description)
		}
		params.Tools = append(params.Tools, anthropic.ToolUnionParam{OfTool: tp})
	}
	for _, m := range req.Messages {
		var blocks []anthropic.ContentBlockParamUnion
		for _, part := range m.Parts {
			switch part.Type {
			case PartText:
				if part.Text != "" { // the API rejects empty text blocks
					blocks = append(blocks, anthropic.NewTextBlock(part.Text))
				}
			case PartToolUse:
				blocks = append(blocks, anthropic.NewToolUseBlock(part.ToolUseID, inputObject(part.Input), part.ToolName))
			case PartToolResult:
				tr := &anthropic.ToolResultBlockParam{ToolUseID: part.ToolResultID}
				if part.IsError {
					tr.IsError = anthropic.Bool(true)
				}
				if part.Content != "" {
					tr.Content = []anthropic.ToolResultBlockParamContentUnion{{OfText: &anthropic.TextBlockParam{Text: part.Content}}}
				}
				blocks = append(blocks, anthropic.ContentBlockParamUnion{OfToolResult: tr})
			}
		}
		if len(blocks) == 0 {
			return anthropic.MessageNewParams{}, errors.New("a message has only empty text")
		}
		role := anthropic.MessageParamRoleUser
		if m.Role == RoleAssistant {
			role = anthropic.MessageParamRoleAssistant
		}
		params.Messages = append(params.Messages, anthropic.MessageParam{Role: role, Content: blocks})
	}
	last := params.Messages[len(params.Messages)-1].Content
	if cc := last[len(last)-1].GetCacheControl(); cc != nil {
		*cc = anthropic.NewCacheControlEphemeralParam()
	}
	return params, nil
}

func (p *anthropicProvider) wrapErr(ctx context.Context, err error) error {
	if ctxErr := ctx.Err(); ctxErr != nil {
		return fmt.Errorf("%s: %w", p.ep.provider, ctxErr)
	}
	var apiErr *anthropic.Error
	if errors.As(err, &apiErr) {
		e := &APIError{Provider: p.ep.provider, StatusCode: apiErr.StatusCode, err: err}
		var body struct {
			Error struct {
				Type    string `json:"type"`
				Message string `json:"message"`
			} `json:"error"`
		}
		if json.Unmarshal([]byte(apiErr.RawJSON()), &body) == nil {
			e.Type, e.Message = oneLine(body.Error.Type), oneLine(body.Error.Message)
		}
		if e.StatusCode < 400 {
			e.StatusCode = 0 // an error event inside a stream that began with 200
		}
		if e.StatusCode == http.StatusUnauthorized || e.StatusCode == http.StatusForbidden {
			e.Hint = "check " + p.ep.keyVar
		}
		return e
	}
	return flatten(p.ep.provider, err)
}
