package llm

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/ironcurtain/ironcurtain-go/internal/llm/llmtest"
)

func TestErrors(t *testing.T) {
	forEach(t, func(t *testing.T, f flavor) {
		for _, tc := range []struct {
			name     string
			script   []llmtest.Turn
			status   int
			requests int
			want     []string
		}{
			{name: "401 names the provider and key", script: []llmtest.Turn{{Status: 401}}, status: 401, requests: 1,
				want: []string{f.provider + ": HTTP 401", "scripted 401 Unauthorized", "check " + f.keyVar}},
			{name: "400 is not retried", script: []llmtest.Turn{{Status: 400, Body: `{"error":{"type":"invalid_request_error","message":"bad\nthing"}}`}}, status: 400, requests: 1,
				want: []string{"HTTP 400 invalid_request_error: bad thing"}},
			{name: "429 retried twice", script: []llmtest.Turn{{Status: 429}, {Status: 429}, {Status: 429}}, status: 429, requests: 3,
				want: []string{"HTTP 429"}},
			{name: "500 retried twice", script: []llmtest.Turn{{Status: 500}, {Status: 503}, {Status: 500}}, status: 500, requests: 3,
				want: []string{"HTTP 500"}},
			{name: "non-JSON error body", script: []llmtest.Turn{{Status: 403, Body: "<html>\nforbidden\n</html>"}}, status: 403, requests: 1,
				want: []string{"HTTP 403", "check " + f.keyVar}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				s := f.server(t, tc.script...)
				key := fakeKey(f.provider)
				_, err := f.open(t, s).Complete(context.Background(), Request{Messages: ask("x")})
				var apiErr *APIError
				if !errors.As(err, &apiErr) || apiErr.StatusCode != tc.status || apiErr.Provider != f.provider {
					t.Fatalf("Complete error = %v, want an APIError %d from %s", err, tc.status, f.provider)
				}
				msg := err.Error()
				for _, w := range tc.want {
					if !strings.Contains(msg, w) {
						t.Errorf("error %q lacks %q", msg, w)
					}
				}
				if strings.ContainsAny(msg, "\r\n") || strings.Contains(msg, key) {
					t.Errorf("error %q spans lines or shows the key", msg)
				}
				if n := len(s.Requests()); n != tc.requests {
					t.Errorf("server saw %d requests, want %d", n, tc.requests)
				}
			})
		}
	})
}

func TestRetryThenSuccess(t *testing.T) {
	forEach(t, func(t *testing.T, f flavor) {
		s := f.server(t, llmtest.Turn{Status: 529}, llmtest.Turn{Status: 429}, llmtest.Turn{Text: []string{"finally"}})
		r, err := f.open(t, s).Complete(context.Background(), Request{Messages: ask("x")})
		if err != nil || r.Text() != "finally" {
			t.Fatalf("Complete = %v, %v, want finally", r, err)
		}
		if n := len(s.Requests()); n != 3 {
			t.Errorf("server saw %d requests, want 3", n)
		}
	})
}

func TestBrokenStreams(t *testing.T) {
	forEach(t, func(t *testing.T, f flavor) {
		for _, tc := range []struct {
			name string
			turn llmtest.Turn
			want string
		}{
			{name: "error event", turn: llmtest.Turn{Text: []string{"partial"}, StreamError: "Overloaded\nnow"}, want: f.provider + ": stream error"},
			{name: "truncated", turn: llmtest.Turn{Text: []string{"partial"}, Truncate: true}, want: f.provider + ": stream ended before"},
			{name: "truncated tool call", turn: llmtest.Turn{ToolCalls: []llmtest.ToolCall{{Name: "execute_code", Input: `{"code":"rm"}`}}, Truncate: true}, want: "stream ended before"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				s := f.server(t, tc.turn)
				r, err := f.open(t, s).Complete(context.Background(), Request{Messages: ask("x"), Tools: []Tool{executeCode}})
				if err == nil || !strings.Contains(err.Error(), tc.want) || strings.ContainsAny(err.Error(), "\r\n") {
					t.Fatalf("Complete = %+v, %v, want a one-line error containing %q", r, err, tc.want)
				}
				if r != nil {
					t.Errorf("Complete returned a response with its error: %+v", r)
				}
			})
		}
	})
}

func TestCancel(t *testing.T) {
	forEach(t, func(t *testing.T, f flavor) {
		s := f.server(t, llmtest.Turn{Text: []string{"thinking", "never"}, Hang: true})
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		var got []string
		r, err := f.open(t, s).Complete(ctx, Request{Messages: ask("x"), OnText: func(d string) {
			got = append(got, d)
			cancel()
		}})
		if !errors.Is(err, context.Canceled) || r != nil {
			t.Fatalf("Complete = %v, %v, want context.Canceled", r, err)
		}
		if !reflect.DeepEqual(got, []string{"thinking"}) {
			t.Errorf("OnText saw %q, want [thinking]", got)
		}
	})
}

func TestCancelledBeforeStart(t *testing.T) {
	forEach(t, func(t *testing.T, f flavor) {
		s := f.server(t)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if _, err := f.open(t, s).Complete(ctx, Request{Messages: ask("x")}); !errors.Is(err, context.Canceled) {
			t.Fatalf("Complete error = %v, want context.Canceled", err)
		}
	})
}

// TestLongRetryAfterNotHonoured: a server asking for a wait longer than
// maxRetryAfter gets its error returned at once rather than a stalled agent.
func TestLongRetryAfterNotHonoured(t *testing.T) {
	forEach(t, func(t *testing.T, f flavor) {
		for _, h := range []map[string]string{{"Retry-After-Ms": "600000"}, {"Retry-After-Ms": "", "Retry-After": "3600"}} {
			s := f.server(t, llmtest.Turn{Status: 429, Header: h})
			// The deadline only turns a regression into a prompt failure.
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			_, err := f.open(t, s).Complete(ctx, Request{Messages: ask("x")})
			cancel()
			var apiErr *APIError
			if !errors.As(err, &apiErr) || apiErr.StatusCode != 429 {
				t.Errorf("with %v: Complete error = %v, want the 429 at once", h, err)
			}
			if n := len(s.Requests()); n != 1 {
				t.Errorf("with %v: server saw %d requests, want 1", h, n)
			}
		}
	})
}

func TestHintNamesConfigKey(t *testing.T) {
	s := llmtest.NewAnthropic(t, llmtest.Turn{Status: 401})
	p, err := New("anthropic:m", Config{Keys: map[string]string{"anthropic": fakeKey("anthropic")}, BaseURLs: map[string]string{"anthropic": s.URL}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Complete(context.Background(), Request{Messages: ask("x")}); err == nil || !strings.HasSuffix(err.Error(), "(check keys.anthropic)") {
		t.Errorf("Complete error = %v, want a hint naming keys.anthropic", err)
	}
}
