package llm

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/openai/openai-go/v3/packages/ssestream"
	"github.com/openai/openai-go/v3/shared"
)

// maxToolCalls bounds the tool calls accepted in one response.
const maxToolCalls = 128

// openAIProvider speaks Chat Completions, always streaming; it serves both
// api.openai.com and OpenAI-compatible servers.
type openAIProvider struct {
	ep          *endpoint
	completions openai.ChatCompletionService
}

func newOpenAI(ep *endpoint) *openAIProvider {
	// A bare ChatCompletionService rather than openai.NewClient: the
	// client's defaults read OPENAI_* variables (key, organization, project,
	// extra headers) from the process environment, which for an
	// OpenAI-compatible endpoint would hand a real OpenAI key to a stranger.
	svc := openai.NewChatCompletionService(
		option.WithEnvironmentProduction(),
		option.WithBaseURL(ep.baseURL),
		option.WithHTTPClient(ep.client),
		option.WithAPIKey(ep.key), // empty sends no Authorization header
		option.WithMaxRetries(maxRetries),
		option.WithMaxRetryDelay(maxRetryAfter),
	)
	return &openAIProvider{ep: ep, completions: svc}
}

func (p *openAIProvider) Name() string { return p.ep.provider + ":" + p.ep.model }

// toolCallAcc gathers one streamed tool call.
type toolCallAcc struct {
	index    int64
	id, name string
	args     strings.Builder
}

func (p *openAIProvider) Complete(ctx context.Context, req Request) (*Response, error) {
	params, err := p.params(&req)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", p.ep.provider, err)
	}
	stream := p.completions.NewStreaming(ctx, params)
	defer stream.Close()

	var (
		text, refusal strings.Builder
		calls         []*toolCallAcc
		finish, model string
		usage         Usage
		size          int
	)
	for stream.Next() {
		chunk := stream.Current()
		if chunk.Model != "" {
			model = chunk.Model
		}
		if chunk.JSON.Usage.Valid() {
			// Usage comes once at the end from OpenAI; servers that repeat it
			// send running totals, so the last one counts.
			usage = Usage{InputTokens: chunk.Usage.PromptTokens, OutputTokens: chunk.Usage.CompletionTokens}
		}
		for _, ch := range chunk.Choices {
			if ch.Index != 0 {
				continue // only one choice is ever requested
			}
			d := ch.Delta
			size += len(d.Content) + len(d.Refusal)
			for _, tc := range d.ToolCalls {
				size += len(tc.Function.Arguments) + len(tc.Function.Name)
			}
			if size > MaxResponseBytes {
				return nil, fmt.Errorf("%s: response exceeds %d bytes", p.ep.provider, MaxResponseBytes)
			}
			if d.Content != "" {
				text.WriteString(d.Content)
				if req.OnText != nil {
					req.OnText(d.Content)
				}
			}
			refusal.WriteString(d.Refusal)
			for _, tc := range d.ToolCalls {
				calls, err = addToolCallDelta(calls, tc.Index, tc.ID, tc.Function.Name, tc.Function.Arguments)
				if err != nil {
					return nil, fmt.Errorf("%s: %w", p.ep.provider, err)
				}
			}
			if ch.FinishReason != "" {
				finish = ch.FinishReason
			}
		}
	}
	if err := stream.Err(); err != nil {
		return nil, p.wrapErr(ctx, err)
	}
	if finish == "" {
		return nil, fmt.Errorf("%s: stream ended before the model finished", p.ep.provider)
	}
	out := &Response{StopReason: openAIStopReason(finish), Usage: usage, Model: model}
	if out.Model == "" {
		out.Model = p.ep.model
	}
	if text.Len() > 0 {
		out.Parts = append(out.Parts, Part{Type: PartText, Text: text.String()})
	}
	if refusal.Len() > 0 {
		out.Parts = append(out.Parts, Part{Type: PartText, Text: refusal.String()})
		out.StopReason = StopRefusal
	}
	sort.SliceStable(calls, func(i, j int) bool { return calls[i].index < calls[j].index })
	for i, c := range calls {
		id := c.id
		if id == "" {
			id = fmt.Sprintf("call_%d", i) // some local servers send none; results must still pair up
		}
		out.Parts = append(out.Parts, Part{Type: PartToolUse, ToolUseID: id, ToolName: c.name, Input: toolInput(c.args.String())})
	}
	if len(calls) > 0 && out.StopReason == StopEndTurn {
		// Some compatible servers say "stop" after a tool call.
		out.StopReason = StopToolUse
	}
	return out, nil
}

// addToolCallDelta merges one streamed tool-call fragment. Fragments are
// keyed by index; a fragment that brings a new ID for an index already
// holding a different call starts another call, because some compatible
// servers number every call 0.
func addToolCallDelta(calls []*toolCallAcc, index int64, id, name, args string) ([]*toolCallAcc, error) {
	var cur *toolCallAcc
	for i := len(calls) - 1; i >= 0; i-- {
		if calls[i].index == index {
			cur = calls[i]
			break
		}
	}
	if cur == nil || (id != "" && cur.id != "" && id != cur.id) {
		if len(calls) >= maxToolCalls {
			return calls, fmt.Errorf("more than %d tool calls in one response", maxToolCalls)
		}
		cur = &toolCallAcc{index: index}
		calls = append(calls, cur)
	}
	if id != "" {
		cur.id = id
	}
	cur.name += name
	cur.args.WriteString(args)
	return calls, nil
}

func openAIStopReason(finish string) string {
	switch finish {
	case "stop":
		return StopEndTurn
	case "length":
		return StopMaxTokens
	case "tool_calls", "function_call":
		return StopToolUse
	case "content_filter":
		return StopRefusal
	default:
		return finish
	}
}

func (p *openAIProvider) params(req *Request) (openai.ChatCompletionNewParams, error) {
	if err := req.validate(); err != nil {
		return openai.ChatCompletionNewParams{}, err
	}
	maxTokens := req.MaxTokens
	if maxTokens == 0 {
		maxTokens = DefaultMaxTokens
	}
	params := openai.ChatCompletionNewParams{
		Model:         shared.ChatModel(p.ep.model),
		StreamOptions: openai.ChatCompletionStreamOptionsParam{IncludeUsage: openai.Bool(true)},
	}
	if p.ep.provider == OpenAI {
		params.MaxCompletionTokens = openai.Int(int64(maxTokens))
	} else {
		// Local servers know the older name; OpenAI's reasoning models only
		// the newer one.
		params.MaxTokens = openai.Int(int64(maxTokens))
	}
	if req.System != "" {
		params.Messages = append(params.Messages, openai.SystemMessage(req.System))
	}
	for _, t := range req.Tools {
		schema, _ := schemaObject(t.InputSchema) // validated above
		fn := shared.FunctionDefinitionParam{Name: t.Name, Parameters: shared.FunctionParameters(schema)}
		if t.Description != "" {
			fn.Description = openai.String(t.Description)
		}
		params.Tools = append(params.Tools, openai.ChatCompletionFunctionTool(fn))
	}
	for _, m := range req.Messages {
		msgs, err := openAIMessages(m)
		if err != nil {
			return openai.ChatCompletionNewParams{}, err
		}
		params.Messages = append(params.Messages, msgs...)
	}
	return params, nil
}

// openAIMessages maps one message: an assistant's tool_use parts become
// tool_calls; a user's tool_result parts become "tool" messages, which must
// directly follow the assistant message that made the calls, so they come
// before the user's text.
func openAIMessages(m Message) ([]openai.ChatCompletionMessageParamUnion, error) {
	var text strings.Builder
	for _, part := range m.Parts {
		if part.Type == PartText {
			text.WriteString(part.Text)
		}
	}
	if m.Role == RoleAssistant {
		a := &openai.ChatCompletionAssistantMessageParam{}
		if text.Len() > 0 {
			a.Content.OfString = openai.String(text.String())
		}
		for _, part := range m.Parts {
			if part.Type != PartToolUse {
				continue
			}
			a.ToolCalls = append(a.ToolCalls, openai.ChatCompletionMessageToolCallUnionParam{
				OfFunction: &openai.ChatCompletionMessageFunctionToolCallParam{
					ID:       part.ToolUseID,
					Function: openai.ChatCompletionMessageFunctionToolCallFunctionParam{Name: part.ToolName, Arguments: inputArguments(part.Input)},
				},
			})
		}
		if text.Len() == 0 && len(a.ToolCalls) == 0 {
			return nil, errors.New("an assistant message has only empty text")
		}
		return []openai.ChatCompletionMessageParamUnion{{OfAssistant: a}}, nil
	}
	var out []openai.ChatCompletionMessageParamUnion
	for _, part := range m.Parts {
		if part.Type != PartToolResult {
			continue
		}
		content := part.Content
		if part.IsError {
			// Chat Completions has no error flag on tool results.
			content = "Error: " + content
		}
		out = append(out, openai.ToolMessage(content, part.ToolResultID))
	}
	if text.Len() > 0 {
		out = append(out, openai.UserMessage(text.String()))
	}
	if len(out) == 0 {
		return nil, errors.New("a user message has only empty text")
	}
	return out, nil
}

func (p *openAIProvider) wrapErr(ctx context.Context, err error) error {
	if ctxErr := ctx.Err(); ctxErr != nil {
		return fmt.Errorf("%s: %w", p.ep.provider, ctxErr)
	}
	var apiErr *openai.Error
	if errors.As(err, &apiErr) {
		e := &APIError{Provider: p.ep.provider, StatusCode: apiErr.StatusCode, Type: oneLine(apiErr.Code), Message: oneLine(apiErr.Message), err: err}
		if e.Type == "" {
			e.Type = oneLine(apiErr.Type)
		}
		if e.StatusCode == http.StatusUnauthorized || e.StatusCode == http.StatusForbidden {
			e.Hint = "check " + p.ep.keyVar
		}
		return e
	}
	var streamErr *ssestream.StreamError
	if errors.As(err, &streamErr) {
		var body struct {
			Error struct {
				Type    string `json:"type"`
				Code    any    `json:"code"`
				Message string `json:"message"`
			} `json:"error"`
		}
		e := &APIError{Provider: p.ep.provider, err: err}
		if json.Unmarshal(streamErr.Event.Data, &body) == nil {
			e.Type, e.Message = oneLine(body.Error.Type), oneLine(body.Error.Message)
		} else {
			e.Message = oneLine(string(streamErr.Event.Data))
		}
		return e
	}
	return flatten(p.ep.provider, err)
}
