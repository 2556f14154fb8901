package git

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode"

	"github.com/google/jsonschema-go/jsonschema"
)

// What every accepted argv value must satisfy, whatever the validator.
func assertArgSafe(t *testing.T, what, v string) {
	t.Helper()
	if v == "" || v[0] == '-' {
		t.Fatalf("%s accepted %q, which git could read as an option", what, v)
	}
	for _, r := range v {
		if unicode.IsControl(r) {
			t.Fatalf("%s accepted %q with control character %U", what, v, r)
		}
	}
}

func FuzzCheckRefName(f *testing.F) {
	for _, s := range []string{"main", "feature/x", "-f", "+main", "a..b", "a:b", "v1.0", "@", "a@{1}", "\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		if checkRefName("name", v) == nil {
			assertArgSafe(t, "checkRefName", v)
			if v[0] == '+' || strings.ContainsAny(v, ": ") {
				t.Fatalf("checkRefName accepted %q, which is not a plain refspec side", v)
			}
		}
		if checkRev("rev", v) == nil {
			assertArgSafe(t, "checkRev", v)
		}
		if checkRemoteName("remote", v) == nil {
			assertArgSafe(t, "checkRemoteName", v)
			if strings.ContainsAny(v, "/:") || strings.Trim(v, ".") == "" {
				t.Fatalf("checkRemoteName accepted %q, which git could read as a path or URL", v)
			}
		}
	})
}

func FuzzParseRemoteURL(f *testing.F) {
	for _, s := range []string{
		"https://github.com/o/r.git", "git@github.com:o/r", "/srv/r.git", "file:///srv/r",
		"ext::sh -c x", "ssh://-oProxyCommand=x/r", "-u", "fd::3", "a::b/c", "[::1]:r", "file:///%2e",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		kind, local, err := parseRemoteURL(raw)
		if err != nil {
			return
		}
		assertArgSafe(t, "parseRemoteURL", raw)
		switch kind {
		case remoteNetwork:
			if local != "" {
				t.Fatalf("parseRemoteURL(%q) = network with local path %q", raw, local)
			}
			if i := strings.Index(raw, "::"); i > 0 && !strings.Contains(raw[:i], "/") && !strings.Contains(raw, "://") {
				t.Fatalf("parseRemoteURL(%q) accepted remote helper syntax", raw)
			}
		case remoteLocal:
			if local == "" || local[0] != '/' {
				t.Fatalf("parseRemoteURL(%q) = local path %q, want absolute", raw, local)
			}
		default:
			t.Fatalf("parseRemoteURL(%q) = kind %v without error", raw, kind)
		}
	})
}

func FuzzParseConfigList(f *testing.F) {
	f.Add("local\x00core.bare\nfalse\x00")
	f.Add("local\x00a.b\x00command\x00c.d\nx\ny\x00")
	f.Add("\x00\x00")
	f.Fuzz(func(t *testing.T, out string) {
		entries, err := parseConfigList(out)
		if err != nil {
			return
		}
		s := &server{credOK: true}
		for _, e := range entries {
			if e.scope == "" || e.key == "" || !strings.Contains(e.key, ".") || strings.Contains(e.key, "\n") {
				t.Fatalf("parseConfigList(%q) gave entry %+v", out, e)
			}
			_ = s.dangerousKey(e.key)
		}
	})
}

// FuzzDecodeArgs feeds arbitrary JSON to the argument decoder of a tool
// with every kind of argument; it must return an error or a value, never
// panic, and never accept a NUL or an unknown key.
func FuzzDecodeArgs(f *testing.F) {
	var schema *jsonschema.Schema
	for _, tl := range Tools() {
		if tl.Name == "git_branch" {
			schema = tl.InputSchema.(*jsonschema.Schema)
		}
	}
	rs, err := schema.Resolve(&jsonschema.ResolveOptions{ValidateDefaults: true})
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range []string{
		`{}`, `{"operation":"create","name":"x","merged":true}`, `{"merged":"HEAD"}`,
		`{"name":"a","name":"b"}`, `{"bogus":1}`, `{"path":"\u0000"}`, `[]`, `null`, `{"force":"yes"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		var in branchIn
		if err := decodeArgs(raw, rs, &in); err != nil {
			return
		}
		for _, v := range []string{in.Path, in.Operation, in.Name, in.NewName, in.StartPoint} {
			if strings.IndexByte(v, 0) >= 0 {
				t.Fatalf("decodeArgs(%q) accepted a NUL", raw)
			}
		}
		var m map[string]json.RawMessage
		if json.Unmarshal(raw, &m) == nil {
			for k := range m {
				if _, ok := schema.Properties[k]; !ok {
					t.Fatalf("decodeArgs(%q) accepted unknown key %q", raw, k)
				}
			}
		}
	})
}
