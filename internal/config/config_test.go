package config

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestResolve(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	l, err := Resolve(env(map[string]string{"HOME": "/home/u"}))
	if err != nil {
		t.Fatal(err)
	}
	want := Layout{
		Home: "/home/u/.ironcurtain", UserHome: "/home/u", Sandbox: "/home/u/.ironcurtain/sandbox",
		PolicyDir: "/home/u/.ironcurtain/generated", Servers: "/home/u/.ironcurtain/mcp-servers.json",
		AuditLog: "/home/u/.ironcurtain/audit.jsonl", Config: "/home/u/.ironcurtain/config.json",
		Sessions: "/home/u/.ironcurtain/sessions",
	}
	if l != want {
		t.Errorf("Resolve = %+v, want %+v", l, want)
	}
	l, err = Resolve(env(map[string]string{"HOME": "/home/u", "IRONCURTAIN_HOME": "/srv/ic/"}))
	if err != nil || l.Home != "/srv/ic" || l.Sandbox != "/srv/ic/sandbox" || l.UserHome != "/home/u" {
		t.Errorf("with IRONCURTAIN_HOME: %+v, %v", l, err)
	}
	for name, m := range map[string]map[string]string{
		"no HOME":       {},
		"relative HOME": {"HOME": "home/u"},
	} {
		if _, err := Resolve(env(m)); err == nil {
			t.Errorf("%s: Resolve succeeded", name)
		}
	}
}

func TestResolveCreatesNothing(t *testing.T) {
	home := t.TempDir()
	if _, err := Resolve(func(k string) string { return map[string]string{"HOME": home}[k] }); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(home, ".ironcurtain")); !os.IsNotExist(err) {
		t.Fatalf("Resolve created the home directory (%v)", err)
	}
}

func TestParseServersTypeScriptFormat(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "..", "..", "shared", "conformance", "ironcurtain-ts", "mcp-servers.json"))
	if err != nil {
		t.Skipf("conformance data absent (../shared beside the project): %v", err)
	}
	s, err := ParseServers("mcp-servers.json", data)
	if err != nil {
		t.Fatal(err)
	}
	got := s.DomainAllowlists()
	if !reflect.DeepEqual(got["git"], []string{"github.com", "*.github.com", "gitlab.com", "*.gitlab.com"}) {
		t.Errorf("git allowlist = %v", got["git"])
	}
	if _, ok := got["fetch"]; ok {
		t.Errorf("fetch has no allowedDomains but got a gate %v", got["fetch"])
	}
	if len(s) != 5 || s[0].Name != "fetch" {
		t.Errorf("servers = %v", s)
	}
}

func TestParseServers(t *testing.T) {
	client := `{"mcpServers":{"fs":{"command":"npx","args":["-y","srv"],"env":{"TOKEN":"x"}},"web":{"url":"http://127.0.0.1:9/mcp","type":"http"}}}`
	s, err := ParseServers("c.json", []byte(client))
	if err != nil {
		t.Fatal(err)
	}
	if len(s) != 2 || s[0].Command != "npx" || s[0].Env["TOKEN"] != "x" || s[1].URL == "" {
		t.Errorf("servers = %+v", s)
	}
	ts := `{"git":{"command":"git-mcp","sandbox":{"network":{"allowedDomains":["github.com"]}}},"off":{"command":"x","sandbox":{"network":false}},"_comment":"ignored"}`
	s, err = ParseServers("t.json", []byte(ts))
	if err != nil {
		t.Fatal(err)
	}
	al := s.DomainAllowlists()
	if !reflect.DeepEqual(al["git"], []string{"github.com"}) || al["off"] == nil || len(al["off"]) != 0 {
		t.Errorf("allowlists = %#v", al)
	}
	for name, tc := range map[string]struct{ in, want string }{
		"not json":       {`{`, "s.json: line 1"},
		"no command":     {`{"a":{}}`, "s.json: a: needs a command"},
		"unknown field":  {`{"a":{"command":"x","comand":"y"}}`, "s.json: a.comand: unknown field"},
		"bad domains":    {`{"a":{"command":"x","sandbox":{"network":{"allowedDomains":"github.com"}}}}`, "a.sandbox.network.allowedDomains: must be an array"},
		"bad name":       {`{"a/b":{"command":"x"}}`, `server name "a/b"`},
		"separator name": {`{"a__b":{"command":"x"}}`, `server name "a__b"`},
		"denied domains": {`{"a":{"command":"x","sandbox":{"network":{"deniedDomains":["x.com"]}}}}`, "a.sandbox.network.deniedDomains: unknown field"},
		"bad pattern":    {`{"a":{"command":"x","sandbox":{"network":{"allowedDomains":["exa mple"]}}}}`, "s.json: a.sandbox.network.allowedDomains[0]: resource: pattern"},
		"array":          {`[]`, "must be an object"},
		"client not obj": {`{"mcpServers":[]}`, "mcpServers: must be an object"},
	} {
		_, err := ParseServers("s.json", []byte(tc.in))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error = %v, want containing %q", name, err, tc.want)
		}
	}
}

// FuzzParseServers: the server-config parser never panics and never
// returns both servers and an error.
func FuzzParseServers(f *testing.F) {
	f.Add([]byte(`{"mcpServers":{"a":{"command":"x","args":["y"],"env":{"K":"v"}}}}`))
	f.Add([]byte(`{"git":{"command":"g","sandbox":{"network":{"allowedDomains":["*.github.com"]}}},"_c":"x"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := ParseServers("s.json", data)
		if err != nil && s != nil {
			t.Fatalf("ParseServers returned servers and %v", err)
		}
	})
}

func TestParseSettings(t *testing.T) {
	s, err := ParseSettings("config.json", []byte(`{"escalationTimeoutSeconds":60,"resultLimitBytes":2048}`))
	if err != nil || s.EscalationTimeout != time.Minute || s.ResultLimit != 2048 {
		t.Fatalf("ParseSettings = %+v, %v", s, err)
	}
	for name, tc := range map[string]struct{ in, want string }{
		"too short":  {`{"escalationTimeoutSeconds":1}`, "config.json: escalationTimeoutSeconds: must be between 5 and 3600, not 1"},
		"too long":   {`{"escalationTimeoutSeconds":7200}`, "between 5 and 3600"},
		"fraction":   {`{"escalationTimeoutSeconds":6.5}`, "must be a whole number"},
		"string":     {`{"escalationTimeoutSeconds":"60"}`, "must be a number"},
		"misspelt":   {`{"escalationTimeout":60}`, "config.json: escalationTimeout: unknown field"},
		"not object": {`[]`, "must be an object"},
	} {
		if _, err := ParseSettings("config.json", []byte(tc.in)); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error = %v, want containing %q", name, err, tc.want)
		}
	}
	if s, err := LoadSettings(filepath.Join(t.TempDir(), "absent.json")); err != nil || s.EscalationTimeout != 0 || s.Keys != nil {
		t.Errorf("missing file: %+v, %v", s, err)
	}
	key := "sk-test-" + strings.Repeat("x", 20) // not a real key
	body := `{"keys":{"anthropic":"` + key + `"},"baseURLs":{"openai-compatible":"http://127.0.0.1:11434/v1"}}`
	p := filepath.Join(t.TempDir(), "config.json")
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadSettings(p); err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Errorf("world-readable keys: %v", err)
	}
	if err := os.Chmod(p, 0o600); err != nil {
		t.Fatal(err)
	}
	s, err = LoadSettings(p)
	if err != nil || s.Keys["anthropic"] != key || s.BaseURLs["openai-compatible"] == "" {
		t.Errorf("keys: %+v %v", s, err)
	}
	if _, err := ParseSettings("c.json", []byte(`{"keys":{"antropic":"x"}}`)); err == nil || !strings.Contains(err.Error(), "keys.antropic: unknown field") {
		t.Errorf("misspelt provider: %v", err)
	}
}
