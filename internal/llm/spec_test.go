package llm

import (
	"errors"
	"net/http"
	"strings"
	"testing"
)

// fakeKey builds an obviously fake key at run time, so no key-shaped
// literal lives in the source.
func fakeKey(provider string) string {
	return strings.Join([]string{"fake", provider, "key", "for", "tests"}, "-")
}

func envOf(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestParseSpec(t *testing.T) {
	for _, tc := range []struct {
		spec, provider, model, err string
	}{
		{spec: "anthropic:claude-sonnet-4-6", provider: "anthropic", model: "claude-sonnet-4-6"},
		{spec: "openai:gpt-4.1", provider: "openai", model: "gpt-4.1"},
		{spec: "openai-compatible:llama3.1:8b", provider: "openai-compatible", model: "llama3.1:8b"},
		{spec: "claude-sonnet-4-6", err: `want "anthropic:MODEL"`},
		{spec: "gemini:pro", err: `unknown provider "gemini"`},
		{spec: "anthropic:", err: "no model name"},
		{spec: "", err: "want"},
		{spec: "Anthropic:x", err: "unknown provider"},
		{spec: "openai:gpt 4", err: "space, control or invalid"},
		{spec: "openai:gpt\x00", err: "space, control or invalid"},
		{spec: "openai:\xff", err: "space, control or invalid"},
		{spec: "openai:" + strings.Repeat("a", 257), err: "longer than 256"},
	} {
		p, m, err := ParseSpec(tc.spec)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("ParseSpec(%q) error = %v, want containing %q", tc.spec, err, tc.err)
			}
			continue
		}
		if err != nil || p != tc.provider || m != tc.model {
			t.Errorf("ParseSpec(%q) = %q, %q, %v, want %q, %q", tc.spec, p, m, err, tc.provider, tc.model)
		}
	}
}

// FuzzParseSpec: the spec parser never panics; what it accepts round-trips
// and names a known provider; what it refuses gets a one-line error.
func FuzzParseSpec(f *testing.F) {
	for _, s := range []string{"anthropic:claude-sonnet-4-6", "openai-compatible:qwen2.5:7b", "x:y", ":", "openai:\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, spec string) {
		p, m, err := ParseSpec(spec)
		if err != nil {
			if strings.ContainsAny(err.Error(), "\r\n") {
				t.Fatalf("ParseSpec(%q) error spans lines: %q", spec, err)
			}
			return
		}
		if p+":"+m != spec {
			t.Fatalf("ParseSpec(%q) = %q, %q: does not round-trip", spec, p, m)
		}
		if p != Anthropic && p != OpenAI && p != OpenAICompatible {
			t.Fatalf("ParseSpec(%q) accepted provider %q", spec, p)
		}
	})
}

func TestNewKeys(t *testing.T) {
	ak, ok := fakeKey("anthropic"), fakeKey("openai")
	for _, tc := range []struct {
		name, spec string
		cfg        Config
		wantName   string
		noKey      bool
		err        string
	}{
		{name: "anthropic from env", spec: "anthropic:claude-sonnet-4-6", cfg: Config{Getenv: envOf(map[string]string{"ANTHROPIC_API_KEY": ak})}, wantName: "anthropic:claude-sonnet-4-6"},
		{name: "anthropic from config", spec: "anthropic:m", cfg: Config{Keys: map[string]string{"anthropic": ak}}, wantName: "anthropic:m"},
		{name: "openai from env", spec: "openai:gpt-4.1", cfg: Config{Getenv: envOf(map[string]string{"OPENAI_API_KEY": ok})}, wantName: "openai:gpt-4.1"},
		{name: "anthropic missing", spec: "anthropic:m", noKey: true, err: "ANTHROPIC_API_KEY is not set (or set keys.anthropic in <home>/config.json)"},
		{name: "openai missing", spec: "openai:m", cfg: Config{ConfigPath: "/h/.ironcurtain/config.json"}, noKey: true, err: "OPENAI_API_KEY is not set (or set keys.openai in /h/.ironcurtain/config.json)"},
		{name: "openai key does not serve anthropic", spec: "anthropic:m", cfg: Config{Getenv: envOf(map[string]string{"OPENAI_API_KEY": ok})}, noKey: true, err: "ANTHROPIC_API_KEY is not set"},
		{name: "blank key is missing", spec: "anthropic:m", cfg: Config{Getenv: envOf(map[string]string{"ANTHROPIC_API_KEY": "  \n"})}, noKey: true, err: "ANTHROPIC_API_KEY is not set"},
		{name: "key with a newline inside", spec: "anthropic:m", cfg: Config{Keys: map[string]string{"anthropic": "ab\ncd"}}, err: "keys.anthropic contains a space or control character"},
		{name: "compatible without base URL", spec: "openai-compatible:llama3", err: "openai-compatible needs a base URL: set OPENAI_BASE_URL (or baseURLs.openai-compatible in <home>/config.json)"},
		{name: "compatible without key", spec: "openai-compatible:llama3", cfg: Config{BaseURLs: map[string]string{"openai-compatible": "http://127.0.0.1:11434/v1"}}, wantName: "openai-compatible:llama3"},
		{name: "bad spec", spec: "llama3", err: `want "anthropic:MODEL", "openai:MODEL" or "openai-compatible:MODEL"`},
		{name: "key over plain http", spec: "openai:m", cfg: Config{Keys: map[string]string{"openai": ok}, BaseURLs: map[string]string{"openai": "http://api.example.com/v1"}}, err: "refusing to send an API key over plain http to api.example.com"},
		{name: "keyless plain http elsewhere", spec: "openai-compatible:m", cfg: Config{BaseURLs: map[string]string{"openai-compatible": "http://gpu-box.lan:8000/v1"}}, wantName: "openai-compatible:m"},
		{name: "credentials in URL", spec: "anthropic:m", cfg: Config{Keys: map[string]string{"anthropic": ak}, BaseURLs: map[string]string{"anthropic": "https://u:p@example.com/"}}, err: "must not carry credentials"},
		{name: "ftp URL", spec: "anthropic:m", cfg: Config{Keys: map[string]string{"anthropic": ak}, BaseURLs: map[string]string{"anthropic": "ftp://example.com/"}}, err: "scheme must be https or http"},
		{name: "query in URL", spec: "anthropic:m", cfg: Config{Keys: map[string]string{"anthropic": ak}, BaseURLs: map[string]string{"anthropic": "https://example.com/?x=1"}}, err: "query or fragment"},
		{name: "no host", spec: "anthropic:m", cfg: Config{Keys: map[string]string{"anthropic": ak}, BaseURLs: map[string]string{"anthropic": "https:///v1"}}, err: "has no host"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := New(tc.spec, tc.cfg)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("New(%q) error = %v, want containing %q", tc.spec, err, tc.err)
				}
				if strings.Contains(err.Error(), ak) || strings.Contains(err.Error(), ok) {
					t.Errorf("New(%q) error %q shows a key", tc.spec, err)
				}
				if got := errors.Is(err, ErrNoKey); got != tc.noKey {
					t.Errorf("errors.Is(%v, ErrNoKey) = %v, want %v", err, got, tc.noKey)
				}
				return
			}
			if err != nil {
				t.Fatalf("New(%q) = %v", tc.spec, err)
			}
			if p.Name() != tc.wantName {
				t.Errorf("Name() = %q, want %q", p.Name(), tc.wantName)
			}
		})
	}
}

func TestResolveEndpoints(t *testing.T) {
	ok := fakeKey("openai")
	envKey, cfgKey := ok+"-env", ok+"-config"
	for _, tc := range []struct {
		name          string
		spec          string
		env, keys, bu map[string]string
		base, key     string
	}{
		{name: "anthropic default", spec: "anthropic:m", keys: map[string]string{"anthropic": cfgKey}, base: DefaultAnthropicBaseURL, key: cfgKey},
		{name: "openai default", spec: "openai:m", env: map[string]string{"OPENAI_API_KEY": envKey}, base: DefaultOpenAIBaseURL, key: envKey},
		{name: "env beats config", spec: "openai:m",
			env:  map[string]string{"OPENAI_API_KEY": envKey, "OPENAI_BASE_URL": "https://proxy.example/v1"},
			keys: map[string]string{"openai": cfgKey}, bu: map[string]string{"openai": "https://other.example/v1"},
			base: "https://proxy.example/v1", key: envKey},
		{name: "config base URL", spec: "anthropic:m", env: map[string]string{"ANTHROPIC_API_KEY": envKey}, bu: map[string]string{"anthropic": "https://gw.example/"}, base: "https://gw.example/", key: envKey},
		// The pair rule: a key is used only with the base URL from its own source.
		{name: "compatible pairs env", spec: "openai-compatible:m",
			env:  map[string]string{"OPENAI_API_KEY": envKey, "OPENAI_BASE_URL": "https://compat.example/v1"},
			keys: map[string]string{"openai-compatible": cfgKey}, bu: map[string]string{"openai-compatible": "https://cfg.example/v1"},
			base: "https://compat.example/v1", key: envKey},
		{name: "compatible pairs config", spec: "openai-compatible:m",
			env:  map[string]string{"OPENAI_API_KEY": envKey},
			keys: map[string]string{"openai-compatible": cfgKey}, bu: map[string]string{"openai-compatible": "https://cfg.example/v1"},
			base: "https://cfg.example/v1", key: cfgKey},
		{name: "compatible config without key ignores env key", spec: "openai-compatible:m",
			env: map[string]string{"OPENAI_API_KEY": envKey}, bu: map[string]string{"openai-compatible": "http://localhost:11434/v1"},
			base: "http://localhost:11434/v1", key: ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, m, _ := ParseSpec(tc.spec)
			ep, err := resolve(p, m, Config{Getenv: envOf(tc.env), Keys: tc.keys, BaseURLs: tc.bu})
			if err != nil {
				t.Fatal(err)
			}
			if ep.baseURL != tc.base || ep.key != tc.key {
				t.Errorf("resolve(%s) = base %q key %q, want %q %q", tc.spec, ep.baseURL, ep.key, tc.base, tc.key)
			}
			if ep.client == nil || ep.client == http.DefaultClient {
				t.Errorf("resolve(%s) client = %v, want a dedicated default client", tc.spec, ep.client)
			}
		})
	}
}

func TestRequestValidate(t *testing.T) {
	user := Message{Role: RoleUser, Parts: []Part{{Type: PartText, Text: "hi"}}}
	for _, tc := range []struct {
		name string
		req  Request
		err  string
	}{
		{name: "ok", req: Request{Messages: []Message{user}, Tools: []Tool{{Name: "execute_code"}}}},
		{name: "no messages", req: Request{}, err: "no messages"},
		{name: "assistant first", req: Request{Messages: []Message{{Role: RoleAssistant, Parts: []Part{{Type: PartText, Text: "x"}}}}}, err: "must start with a user message"},
		{name: "bad role", req: Request{Messages: []Message{user, {Role: "system", Parts: []Part{{Type: PartText, Text: "x"}}}}}, err: `role "system"`},
		{name: "empty parts", req: Request{Messages: []Message{{Role: RoleUser}}}, err: "no parts"},
		{name: "tool_use from user", req: Request{Messages: []Message{{Role: RoleUser, Parts: []Part{{Type: PartToolUse, ToolUseID: "a", ToolName: "t"}}}}}, err: "only belongs in assistant"},
		{name: "tool_result without id", req: Request{Messages: []Message{{Role: RoleUser, Parts: []Part{{Type: PartToolResult}}}}}, err: "needs ToolResultID"},
		{name: "bad input", req: Request{Messages: []Message{user, {Role: RoleAssistant, Parts: []Part{{Type: PartToolUse, ToolUseID: "a", ToolName: "t", Input: []byte("{")}}}}}, err: "not valid JSON"},
		{name: "unknown part", req: Request{Messages: []Message{{Role: RoleUser, Parts: []Part{{Type: "image"}}}}}, err: `unknown part type "image"`},
		{name: "bad tool name", req: Request{Messages: []Message{user}, Tools: []Tool{{Name: "a.b"}}}, err: `name "a.b"`},
		{name: "duplicate tool", req: Request{Messages: []Message{user}, Tools: []Tool{{Name: "a"}, {Name: "a"}}}, err: "declared twice"},
		{name: "array schema", req: Request{Messages: []Message{user}, Tools: []Tool{{Name: "a", InputSchema: []byte(`{"type":"array"}`)}}}, err: `not "object"`},
		{name: "schema not object", req: Request{Messages: []Message{user}, Tools: []Tool{{Name: "a", InputSchema: []byte(`[]`)}}}, err: "not a JSON object"},
		{name: "negative max", req: Request{Messages: []Message{user}, MaxTokens: -1}, err: "negative"},
	} {
		err := tc.req.validate()
		if tc.err == "" && err != nil || tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)) {
			t.Errorf("%s: validate() = %v, want %q", tc.name, err, tc.err)
		}
	}
}

func TestToolInput(t *testing.T) {
	for _, tc := range []struct{ raw, want, args string }{
		{raw: "", want: `{}`, args: `{}`},
		{raw: `{"code":"1"}`, want: `{"code":"1"}`, args: `{"code":"1"}`},
		{raw: `{"code":`, want: `"{\"code\":"`, args: `{"code":`},
	} {
		got := toolInput(tc.raw)
		if string(got) != tc.want {
			t.Errorf("toolInput(%q) = %s, want %s", tc.raw, got, tc.want)
		}
		if a := inputArguments(got); a != tc.args {
			t.Errorf("inputArguments(%s) = %q, want %q", got, a, tc.args)
		}
	}
	if got := inputObject([]byte(`"x"`)); string(got) != `{}` {
		t.Errorf("inputObject(%q) = %s, want {}", `"x"`, got)
	}
}

func TestOneLine(t *testing.T) {
	long := strings.Repeat("é", 400)
	for _, tc := range []struct{ in, want string }{
		{"a\nb\r\n\tc", "a b c"},
		{"  x  ", "x"},
		{"a\x00b", "a b"},
	} {
		if got := oneLine(tc.in); got != tc.want {
			t.Errorf("oneLine(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	if got := oneLine(long); len(got) > 304 || !strings.HasSuffix(got, "…") || strings.ContainsRune(got, '\uFFFD') {
		t.Errorf("oneLine(long) = %d bytes %q", len(got), got[len(got)-8:])
	}
}
