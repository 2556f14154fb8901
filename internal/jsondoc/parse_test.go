package jsondoc

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
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

// FuzzParseValid: where the one-pass reader of valid documents gives a
// value, the token decoder gives the same one; where it declines, the
// decoder refuses the document (so Parse's errors are always the decoder's).
func FuzzParseValid(f *testing.F) {
	for _, s := range []string{`{}`, `[]`, ` {"a" : [1, 2.5e-3, {"b":null, "c":true, "d":false}] } `, `"\u00e9\ud83d\ude00\n\"\\\/"`,
		`{"a":1,"a":2}`, `{"a":1,"b":2,"c":3,"d":4,"e":5,"f":6,"g":7,"h":8,"i":9,"j":10,"k":11,"l":12,"m":13,"n":14,"o":15,"p":16,"q":17,"a":18}`,
		strings.Repeat("[", MaxDepth+1) + strings.Repeat("]", MaxDepth+1), `-0`, `{"x y":{"":[]}}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if !utf8.Valid(data) || !json.Valid(data) || bytes.HasPrefix(data, []byte("\xef\xbb\xbf")) {
			return
		}
		if _, lone := loneSurrogate(data); lone {
			return
		}
		fast, ok := parseValid(data)
		slow, err := parseTokens(data)
		switch {
		case ok && err != nil:
			t.Fatalf("%q: one-pass reader took what the decoder refuses: %v", data, err)
		case !ok && err == nil:
			t.Fatalf("%q: one-pass reader declined what the decoder takes", data)
		case ok && !reflect.DeepEqual(fast, slow):
			t.Fatalf("%q:\none-pass %s\ndecoder  %s", data, encode(fast), encode(slow))
		}
	})
}

// FuzzObjectMembers: the members of an object are its keys and values as
// the full parser sees them.
func FuzzObjectMembers(f *testing.F) {
	for _, s := range []string{`{}`, ` { "a" : [1, {"b":"}"}] , "c\u00e9":"x\"y", "d":-1.5e3,"e":true,"f":null } `, `[1]`, `{"a":1,"a":2}`, `"s"`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		members, ok := ObjectMembers(data)
		if !ok {
			_, lone := loneSurrogate(data)
			if utf8.Valid(data) && !lone && json.Valid(data) && bytes.HasPrefix(bytes.TrimLeft(data, " \t\r\n"), []byte("{")) {
				t.Fatalf("%q: a valid object was refused", data)
			}
			return
		}
		var want []json.RawMessage
		var keys []string
		dec := json.NewDecoder(bytes.NewReader(data))
		if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
			t.Fatalf("%q: taken as an object: %v %v", data, tok, err)
		}
		for dec.More() {
			k, err := dec.Token()
			if err != nil {
				t.Fatal(err)
			}
			var raw json.RawMessage
			if err := dec.Decode(&raw); err != nil {
				t.Fatal(err)
			}
			keys = append(keys, k.(string))
			want = append(want, raw)
		}
		if len(members) != len(want) {
			t.Fatalf("%q: %d members, want %d", data, len(members), len(want))
		}
		for i, m := range members {
			if m.Key != keys[i] || string(m.Value) != string(want[i]) {
				t.Fatalf("%q: member %d is %q=%s, want %q=%s", data, i, m.Key, m.Value, keys[i], want[i])
			}
		}
	})
}
