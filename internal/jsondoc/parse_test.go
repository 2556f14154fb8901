package jsondoc

import (
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		wantErr string
	}{
		{"object", `{"b":1,"a":[true,null,"x"]}`, ""},
		{"duplicate key", `{"then":"allow","then":"deny"}`, `duplicate key "then"`},
		{"nested duplicate", `{"a":{"x":1,"x":2}}`, `a: duplicate key "x"`},
		{"trailing data", `{} {}`, "unexpected data"},
		{"truncated", `{"a":`, "line 1"},
		{"invalid utf8", "{\"a\":\"\xff\"}", "line 1 column 7: invalid UTF-8"},
		{"syntax", "{\n \"a\" 1}", "line 2"},
		{"empty", ``, "unexpected end"},
		{"lone high surrogate", `{"a":"\ud800"}`, "line 1 column 7: \\u escape of an unpaired UTF-16 surrogate"},
		{"lone low surrogate", `["\udc00x"]`, "unpaired UTF-16 surrogate"},
		{"high then non-low", `["\ud800\u0041"]`, "unpaired UTF-16 surrogate"},
		{"pair is fine", `["\ud83d\ude00"]`, ""},
		{"escaped backslash is not an escape", `["\\ud800"]`, ""},
		{"byte order mark", "\xef\xbb\xbf{}", "byte order mark"},
		{"deep", strings.Repeat("[", MaxDepth+2) + strings.Repeat("]", MaxDepth+2), "nesting deeper"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.in), 0)
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("Parse(%q) error %v", tc.in, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("Parse(%q) error = %v, want containing %q", tc.in, err, tc.wantErr)
			}
		})
	}
}

func TestParseOrderAndPaths(t *testing.T) {
	v, err := Parse([]byte(`{"z":1,"a":{"weird key":[0,{"k":2}]}}`), 0)
	if err != nil {
		t.Fatal(err)
	}
	if v.Members[0].Key != "z" || v.Members[1].Key != "a" {
		t.Fatalf("member order = %q,%q, want z,a", v.Members[0].Key, v.Members[1].Key)
	}
	k := v.Get("a").Get("weird key").Items[1].Get("k")
	if want := `a["weird key"][1].k`; k.Path != want {
		t.Fatalf("path = %q, want %q", k.Path, want)
	}
}

func TestParseLimit(t *testing.T) {
	if _, err := Parse([]byte(`"0123456789"`), 5); err == nil || !strings.Contains(err.Error(), "limit") {
		t.Fatalf("Parse over limit error = %v, want limit error", err)
	}
}

func TestCheckerUnknownField(t *testing.T) {
	v, _ := Parse([]byte(`{"rules":[{"if":{"path":{}}}]}`), 0)
	c := Checker{File: "compiled-policy.json"}
	c.Object(v.Get("rules").Items[0].Get("if"), "paths", "roles")
	err := c.Err()
	if err == nil || err.Error() != `compiled-policy.json: rules[0].if.path: unknown field (expected one of: paths, roles)` {
		t.Fatalf("Err() = %v", err)
	}
}

// FuzzParse checks that Parse never panics and that what it accepts is
// valid JSON whose re-encoding parses to the same tree.
func FuzzParse(f *testing.F) {
	for _, s := range []string{`{}`, `{"a":[1,2,{"b":null}]}`, `"\u00e9"`, `[1e5,-0.5,true]`, `{"a":1,"a":2}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		v, err := Parse(data, 1<<16)
		if err != nil {
			return
		}
		again, err := Parse([]byte(encode(v)), 0)
		if err != nil {
			t.Fatalf("re-parse of %q: %v", encode(v), err)
		}
		if encode(again) != encode(v) {
			t.Fatalf("round trip changed %q to %q", encode(v), encode(again))
		}
	})
}
