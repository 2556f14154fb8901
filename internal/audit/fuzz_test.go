package audit

import (
	"bytes"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode"
)

// FuzzVerify: Verify never panics, and a break names the line after the
// last one it counted.
func FuzzVerify(f *testing.F) {
	g := goodLog(f, 3)
	f.Add(joinLines(g...))
	f.Add(joinLines(g[0], g[2]))
	f.Add([]byte(`{"prev":"` + ChainStart + `"}` + "\n" + `{"prev":1}`))
	f.Add([]byte("\n\n{"))
	f.Fuzz(func(t *testing.T, data []byte) {
		n, err := Verify(bytes.NewReader(data))
		if n < 0 {
			t.Fatalf("Verify = %d lines", n)
		}
		var be *BreakError
		if err != nil && (!errors.As(err, &be) || be.Line != n+1) {
			t.Fatalf("Verify = %d, %v: want a *BreakError at line %d", n, err, n+1)
		}
		if err == nil && n != bytes.Count(data, []byte{'\n'}) {
			t.Fatalf("Verify = %d, nil for %d lines", n, bytes.Count(data, []byte{'\n'}))
		}
	})
}

// FuzzRedact: whatever text surrounds a known secret, the secret does not
// come out, and redaction is idempotent on strings and on argument maps.
func FuzzRedact(f *testing.F) {
	f.Add("before", "after", uint8(0))
	f.Add("Authorization:", "", uint8(3))
	f.Add("-----BEGIN PRIVATE KEY-----", "-----END PRIVATE KEY-----", uint8(7))
	f.Add("bearer", "sk-ant-", uint8(9))
	f.Add("[REDACTED:github]", "=", uint8(2))
	sec := testSecrets()
	kinds := make([]string, 0, len(sec))
	for k := range sec {
		kinds = append(kinds, k)
	}
	slices.Sort(kinds)
	f.Fuzz(func(t *testing.T, prefix, suffix string, pick uint8) {
		kind := kinds[int(pick)%len(kinds)]
		secret, text := sec[kind], sec[kind]
		switch kind {
		case "aws-secret":
			text = "aws_secret_access_key=" + secret
		case "bearer":
			text = "Bearer " + secret
		case "basic":
			text = "Authorization: Basic " + secret
		}
		if strings.Contains(prefix+suffix, secret) {
			return // the secret is also elsewhere, glued to who knows what
		}
		in := prefix + " " + text + " " + suffix
		out := RedactString(in)
		if strings.Contains(out, secret) {
			t.Fatalf("RedactString(%q) = %q: the %s secret survived", in, out, kind)
		}
		if again := RedactString(out); again != out {
			t.Fatalf("RedactString not idempotent: %q -> %q -> %q", in, out, again)
		}
		if again := RedactString(prefix); RedactString(again) != again {
			t.Fatalf("RedactString not idempotent on %q", prefix)
		}
		args := map[string]any{"a": in, in: []any{prefix, map[string]any{suffix: in}}}
		red := Redact(args)
		data, err := json.Marshal(red)
		if err != nil {
			t.Fatalf("Redact(...) does not encode: %v", err)
		}
		if bytes.Contains(data, []byte(secret)) {
			t.Fatalf("Redact(%v) = %s: the %s secret survived", args, data, kind)
		}
		again, _ := json.Marshal(Redact(red))
		if !bytes.Equal(again, data) {
			t.Fatalf("Redact not idempotent: %s -> %s", data, again)
		}
	})
}

// FuzzParseLine: any line, parsed and rendered, gives one printable row.
func FuzzParseLine(f *testing.F) {
	for _, l := range goodLog(f, 2) {
		f.Add(l)
	}
	f.Add([]byte(`{"tool":"\u001b[31m","arguments":{"\u202e":"\n"},"escalation":{"outcome":"x"}}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, line []byte) {
		r, err := ParseLine(line)
		if err != nil {
			return
		}
		row := FormatRow(r, time.UTC)
		for _, c := range row {
			if unicode.IsControl(c) || unicode.In(c, unicode.Cf, unicode.Zl, unicode.Zp) {
				t.Fatalf("FormatRow(%q) = %q: contains %U", line, row, c)
			}
		}
	})
}

// FuzzLastLines agrees with splitting the whole input.
func FuzzLastLines(f *testing.F) {
	f.Add([]byte("a\nb\nc"), uint8(2))
	f.Add([]byte("\n\n\n"), uint8(0))
	f.Fuzz(func(t *testing.T, data []byte, k uint8) {
		n := int(k % 6)
		lines, end, err := LastLines(bytes.NewReader(data), int64(len(data)), n)
		if err != nil {
			t.Fatalf("LastLines = %v", err)
		}
		wantEnd := bytes.LastIndexByte(data, '\n') + 1
		var want [][]byte
		if wantEnd > 0 {
			want = bytes.Split(data[:wantEnd-1], []byte{'\n'})
		}
		if len(want) > n {
			want = want[len(want)-n:]
		}
		if end != int64(wantEnd) || len(lines) != len(want) {
			t.Fatalf("LastLines(%q, %d) = %q, %d; want %q, %d", data, n, lines, end, want, wantEnd)
		}
		for i := range want {
			if !bytes.Equal(lines[i], want[i]) {
				t.Fatalf("LastLines(%q, %d) = %q; want %q", data, n, lines, want)
			}
		}
	})
}

// FuzzSafeJSON: the output means what the input meant and carries no rune
// a terminal could act on.
func FuzzSafeJSON(f *testing.F) {
	f.Add([]byte("{\"a\":\"\u009b\u202e\U000e0041\"}"))
	f.Add([]byte(`[1, "x", {"y": null}]`))
	f.Fuzz(func(t *testing.T, line []byte) {
		out, err := SafeJSON(line)
		if err != nil {
			return
		}
		for _, c := range string(out) {
			if unsafeRune(c) {
				t.Fatalf("SafeJSON(%q) = %q: contains %U", line, out, c)
			}
		}
		var a, b any
		if json.Unmarshal(line, &a) != nil || json.Unmarshal(out, &b) != nil {
			t.Fatalf("SafeJSON(%q) = %q: not both valid", line, out)
		}
		ja, _ := json.Marshal(a)
		jb, _ := json.Marshal(b)
		if !bytes.Equal(ja, jb) {
			t.Fatalf("SafeJSON(%q) = %q: means %s, want %s", line, out, jb, ja)
		}
	})
}
