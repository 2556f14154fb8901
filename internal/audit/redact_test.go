package audit

import (
	"encoding/json"
	"math"
	"reflect"
	"strings"
	"testing"
)

func TestRedactString(t *testing.T) {
	sec := testSecrets()
	tests := []struct {
		name, in, want string
	}{
		{"anthropic", "key=" + sec["anthropic"] + " rest", "key=[REDACTED:anthropic] rest"},
		{"openai project", "OPENAI_API_KEY=" + sec["openai-project"], "OPENAI_API_KEY=[REDACTED:openai]"},
		{"openai legacy", `"` + sec["openai"] + `"`, `"[REDACTED:openai]"`},
		{"github classic", "push with " + sec["github"] + ".", "push with [REDACTED:github]."},
		{"github oauth", sec["github-oauth"], "[REDACTED:github]"},
		{"github fine-grained", "t:" + sec["github-pat"], "t:[REDACTED:github]"},
		{"aws access key", "id " + sec["aws-access-key"] + " ok", "id [REDACTED:aws-access-key] ok"},
		{"aws temporary key", "(" + sec["aws-session"] + ")", "([REDACTED:aws-access-key])"},
		{"aws secret ini", "aws_secret_access_key = " + sec["aws-secret"] + "\nregion=x", "aws_secret_access_key = [REDACTED:aws-secret]\nregion=x"},
		{"aws secret env", "AWS_SECRET_ACCESS_KEY=" + sec["aws-secret"], "AWS_SECRET_ACCESS_KEY=[REDACTED:aws-secret]"},
		{"aws secret json", `{"SecretAccessKey": "` + sec["aws-secret"] + `"}`, `{"SecretAccessKey": "[REDACTED:aws-secret]"}`},
		{"aws session token", "AWS_SESSION_TOKEN=" + sec["basic"] + " x", "AWS_SESSION_TOKEN=[REDACTED:aws-secret] x"},
		{"google", "k=" + sec["google-api-key"] + "&q=1", "k=[REDACTED:google-api-key]&q=1"},
		{"slack", "slack " + sec["slack"], "slack [REDACTED:slack]"},
		{"pem block", "before\n" + sec["private-key"] + "\nafter", "before\n[REDACTED:private-key]\nafter"},
		{"pem truncated", "x " + strings.TrimSuffix(sec["private-key"], "-----END RSA PRIVATE KEY-----"), "x [REDACTED:private-key]"},
		{"openssh key", "-----BEGIN OPENSSH PRIVATE KEY-----\nb3Blbn\n-----END OPENSSH PRIVATE KEY----- tail", "[REDACTED:private-key] tail"},
		{"public key kept", "-----BEGIN PUBLIC KEY-----\nMFkw\n-----END PUBLIC KEY-----", "-----BEGIN PUBLIC KEY-----\nMFkw\n-----END PUBLIC KEY-----"},
		{"bearer", "curl -H 'Authorization: Bearer " + sec["bearer"] + "' x", "curl -H 'Authorization: Bearer [REDACTED:bearer]' x"},
		{"bearer lowercase", "bearer " + sec["bearer"], "bearer [REDACTED:bearer]"},
		{"basic auth header", "Authorization: Basic " + sec["basic"], "Authorization: Basic [REDACTED:authorization]"},
		{"proxy auth header", "Proxy-Authorization: " + sec["basic"], "Proxy-Authorization: [REDACTED:authorization]"},
		{"header name as a value", "AuthoriZAtion: Authorization: Basic " + sec["basic"], "AuthoriZAtion: [REDACTED:authorization] Basic [REDACTED:authorization]"},
		{"token swallowing bearer", "Bearer abcdefgh-bearer " + sec["bearer"], "Bearer [REDACTED:bearer] [REDACTED:bearer]"},
		{"key name as a value", "secret_access_key=secret_access_key=" + sec["aws-secret"], "secret_access_key=[REDACTED:aws-secret]"},
		{"bearer wrapping a known key", "Bearer " + sec["anthropic"], "Bearer [REDACTED:anthropic]"},
		{"two secrets", sec["github"] + " " + sec["slack"], "[REDACTED:github] [REDACTED:slack]"},
		{"adjacent secrets", sec["aws-access-key"] + "," + sec["google-api-key"], "[REDACTED:aws-access-key],[REDACTED:google-api-key]"},
		{"after an escape", `{"a":"x\n` + sec["openai"] + `\t` + sec["github"] + `"}`, `{"a":"x\n[REDACTED:openai]\t[REDACTED:github]"}`},
		{"after a unicode escape", `\u0027` + sec["slack"], `\u0027[REDACTED:slack]`},
		{"not a key: task-", "task-" + strings.Repeat("management", 3), "task-" + strings.Repeat("management", 3)},
		{"not a key: short", "sk-short ghp_short AKIA123", "sk-short ghp_short AKIA123"},
		{"not a key: english bearer", "the bearer of news", "the bearer of news"},
		{"aws id inside a longer word", sec["aws-access-key"] + "X", sec["aws-access-key"] + "X"},
		{"marker kept", "[REDACTED:github] Authorization: [REDACTED:bearer]", "[REDACTED:github] Authorization: [REDACTED:bearer]"},
		{"empty", "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := RedactString(tc.in); got != tc.want {
				t.Errorf("RedactString(%q) = %q, want %q", tc.in, got, tc.want)
			}
			if got := RedactString(tc.want); got != tc.want {
				t.Errorf("RedactString(%q) = %q, want it unchanged (idempotent)", tc.want, got)
			}
		})
	}
}

type withSecret struct {
	Name  string
	Token string `json:"token"`
}

func TestRedact(t *testing.T) {
	sec := testSecrets()
	in := map[string]any{
		"path":           "/home/u/x",
		"n":              json.Number("12.5e3"),
		"f":              1.5,
		"ok":             true,
		"nothing":        nil,
		"nested":         map[string]any{"deep": []any{"a", map[string]any{"k": "use " + sec["github"]}}},
		"headers":        map[string]any{"Authorization": "Token opaque-value", "x-other": "Bearer " + sec["bearer"]},
		"aws":            map[string]any{"aws_secret_access_key": "short"},
		"typed":          []string{sec["slack"], "plain"},
		"struct":         withSecret{Name: "n", Token: sec["openai"]},
		"bad":            json.Number("1e"),
		"nan":            math.NaN(),
		sec["anthropic"]: "a secret as a key",
	}
	want := map[string]any{
		"path":                 "/home/u/x",
		"n":                    json.Number("12.5e3"),
		"f":                    1.5,
		"ok":                   true,
		"nothing":              nil,
		"nested":               map[string]any{"deep": []any{"a", map[string]any{"k": "use [REDACTED:github]"}}},
		"headers":              map[string]any{"Authorization": "Token [REDACTED:authorization]", "x-other": "Bearer [REDACTED:bearer]"},
		"aws":                  map[string]any{"aws_secret_access_key": "[REDACTED:aws-secret]"},
		"typed":                []any{"[REDACTED:slack]", "plain"},
		"struct":               map[string]any{"Name": "n", "token": "[REDACTED:openai]"},
		"bad":                  "1e",
		"nan":                  "[REDACTED:unencodable]",
		"[REDACTED:anthropic]": "a secret as a key",
	}
	before, _ := json.Marshal(in["nested"])
	got := Redact(in)
	if !reflect.DeepEqual(got, want) {
		gj, _ := json.Marshal(got)
		wj, _ := json.Marshal(want)
		t.Errorf("Redact(...) =\n%s\nwant\n%s", gj, wj)
	}
	if after, _ := json.Marshal(in["nested"]); string(after) != string(before) {
		t.Errorf("Redact modified its input: %s, was %s", after, before)
	}
	if again := Redact(got); !reflect.DeepEqual(again, got) {
		t.Errorf("Redact(Redact(x)) = %v, want %v", again, got)
	}
	if _, err := json.Marshal(got); err != nil {
		t.Errorf("Redact's result does not encode: %v", err)
	}
	if Redact(nil) != nil {
		t.Errorf("Redact(nil) = non-nil, want nil")
	}
}

func TestRedactKeyCollisions(t *testing.T) {
	sec := testSecrets()
	in := map[string]any{sec["github"]: 1, sec["github-oauth"]: 2, "[REDACTED:github]#2": 3}
	got := Redact(in)
	if len(got) != 3 || got["[REDACTED:github]#2"] != 3 {
		t.Fatalf("Redact(colliding keys) = %v, want 3 keys with the literal one untouched", got)
	}
	for k := range got {
		if strings.Contains(k, "gh") {
			t.Errorf("key %q survived", k)
		}
	}
	if again := Redact(got); !reflect.DeepEqual(again, got) {
		t.Errorf("Redact(Redact(x)) = %v, want %v", again, got)
	}
}

func TestRedactDepth(t *testing.T) {
	m := map[string]any{}
	m["self"] = m // a cycle no JSON decoder makes, but code could
	got := Redact(m)
	depth := 0
	for v := any(got); ; depth++ {
		mm, ok := v.(map[string]any)
		if !ok {
			if v != "[REDACTED:too-deep]" {
				t.Fatalf("innermost value = %v, want the too-deep marker", v)
			}
			break
		}
		v = mm["self"]
	}
	if depth > maxRedactDepth+1 {
		t.Errorf("depth %d, want at most %d", depth, maxRedactDepth+1)
	}
}

func TestFoldFinder(t *testing.T) {
	tests := []struct {
		s, t string
		want int
	}{
		{"xx BeArEr y", "bearer", 3},
		{"bbbbbbBEARER", "bearer", 6},
		{"BBBBBBbearex", "bearer", -1},
		{"bearer", "bearer", 0},
		{"beare", "bearer", -1},
		{"", "bearer", -1},
	}
	for _, tc := range tests {
		f := foldFinder{s: tc.s, t: tc.t, nextLo: -2, nextUp: -2}
		if got := f.index(0); got != tc.want {
			t.Errorf("foldFinder(%q, %q).index(0) = %d, want %d", tc.s, tc.t, got, tc.want)
		}
	}
}

func TestFoldFinderScan(t *testing.T) {
	s := "xBearer bearer BEARER bEaReR"
	f := foldFinder{s: s, t: "bearer", nextLo: -2, nextUp: -2}
	var got []int
	for i := f.index(0); i >= 0; i = f.index(i + 1) {
		got = append(got, i)
	}
	if want := []int{1, 8, 15, 22}; !reflect.DeepEqual(got, want) {
		t.Errorf("foldFinder scan of %q = %v, want %v", s, got, want)
	}
}
