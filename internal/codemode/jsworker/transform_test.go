package jsworker

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestTransform(t *testing.T) {
	tests := []struct {
		name, code string
		wantJS     string // substring of the output
		wantErr    string // exact SyntaxError text, "" for success
	}{
		{name: "types stripped", code: "const x: number = 1;\nreturn x as number", wantJS: "const x = 1;"},
		{name: "interface dropped", code: "interface A { b: string }\nreturn 1", wantJS: "return 1;"},
		{name: "strict and async", code: "return 1", wantJS: "async () => {\n  \"use strict\";"},
		{name: "missing expression", code: "const x: number = ;", wantErr: "1:19: Unexpected \";\""},
		{name: "error on line 3", code: "a();\nb();\nconst = 2;", wantErr: "3:7: Expected identifier but found \"=\""},
		{name: "column counts characters", code: "const é = 'ü'; let = ;", wantErr: "1:22: Unexpected \";\""},
		{name: "unclosed brace at end", code: "if (x) {\n  y();", wantErr: "2:7: the code ends inside an unclosed brace, bracket, parenthesis or string (Unexpected \")\")"},
		{name: "static import", code: "import fs from 'fs'", wantErr: "1:8: Unexpected \"fs\""},
		{name: "invalid UTF-8", code: "const a = 1;\nconst b = '\xff';", wantErr: "2:12: code is not valid UTF-8"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			js, err := Transform(tc.code)
			if tc.wantErr != "" {
				var se *SyntaxError
				if !errors.As(err, &se) || err.Error() != tc.wantErr {
					t.Fatalf("Transform(%q) error = %v, want %s", tc.code, err, tc.wantErr)
				}
				return
			}
			if err != nil || !strings.Contains(js, tc.wantJS) {
				t.Fatalf("Transform(%q) = %q, %v; want it to contain %q", tc.code, js, err, tc.wantJS)
			}
		})
	}
}

func TestOneLine(t *testing.T) {
	tests := []struct {
		in   string
		max  int
		want string
	}{
		{"a\nb\r\tc", 100, "a b  c"},
		{"esc\x1b[31m\u2028\u0085", 100, "esc?[31m??"},
		{"ééé", 4, "éé…"},
		{"abc", 3, "abc"},
	}
	for _, tc := range tests {
		if got := oneLine(tc.in, tc.max); got != tc.want {
			t.Errorf("oneLine(%q, %d) = %q, want %q", tc.in, tc.max, got, tc.want)
		}
	}
}

// FuzzTransform: Transform never panics, and what it reports is either
// JavaScript or a positioned one-line error inside the code.
func FuzzTransform(f *testing.F) {
	f.Add("return 1")
	f.Add("const x: Array<{a?: number}> = [];\nfor await (const y of z) {}\nreturn x")
	f.Add("})\n(function(){")
	f.Add("enum E { A = 1 << 2 }\nclass C<T> { private x?: T; constructor(public y: T) {} }")
	f.Add("`${`${'")
	f.Add("\xff\xfe")
	f.Fuzz(func(t *testing.T, code string) {
		js, err := Transform(code)
		if err == nil {
			if !utf8.ValidString(js) {
				t.Fatalf("Transform(%q) produced invalid UTF-8", code)
			}
			return
		}
		var se *SyntaxError
		if !errors.As(err, &se) {
			t.Fatalf("Transform(%q) error %v is not a *SyntaxError", code, err)
		}
		lines := strings.Count(code, "\n") + 1
		if se.Line < 1 || se.Line > lines || se.Column < 1 {
			t.Fatalf("Transform(%q) error at %d:%d, outside the code's %d lines", code, se.Line, se.Column, lines)
		}
		if strings.ContainsAny(se.Message, "\n\r") {
			t.Fatalf("Transform(%q) error %q spans lines", code, se.Message)
		}
	})
}
