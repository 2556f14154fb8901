package escalate

import (
	"encoding/json"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"
)

// FuzzParseAnswer: the answer parser never panics; what it accepts is an
// approval or a denial with a printable "by", and says the same thing when
// written back out and read again.
func FuzzParseAnswer(f *testing.F) {
	for _, s := range []string{
		`{"decision":"approve","by":"alice"}`,
		`{"decision":"approve+","by":"ironcurtain escalations (uid 0)"}`,
		`{"decision":"deny","by":"b"}`,
		`{"decision":"deny","decision":"approve","by":"b"}`,
		`{"decision":"approve","by":"x","extra":1}`,
		`{"by":"\u001b[2J","decision":"approve"}`,
		"{\"decision\":\"approve\",\"by\":\"\xff\"}",
		`[]`, `null`, `{"decision":"approve","by":"x"} {}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		a, err := parseAnswer(data)
		if err != nil {
			if a != (Answer{}) {
				t.Fatalf("parseAnswer(%q) = %+v with error %v", data, a, err)
			}
			return
		}
		if len(data) > maxAnswerSize {
			t.Fatalf("parseAnswer accepted %d bytes", len(data))
		}
		if a.Outcome != Approved && a.Outcome != Denied {
			t.Fatalf("parseAnswer(%q) outcome = %q", data, a.Outcome)
		}
		if a.AddToWhitelist && a.Outcome != Approved {
			t.Fatalf("parseAnswer(%q) = %+v: whitelist without approval", data, a)
		}
		if err := checkBy(a.By); err != nil {
			t.Fatalf("parseAnswer(%q) by: %v", data, err)
		}
		decision := DecisionDeny
		if a.Outcome == Approved {
			decision = DecisionApprove
			if a.AddToWhitelist {
				decision = DecisionApprovePlus
			}
		}
		again, err := json.Marshal(answerFile{Decision: decision, By: a.By})
		if err != nil {
			t.Fatal(err)
		}
		if b, err := parseAnswer(again); err != nil || b != a {
			t.Fatalf("round trip of %q: %+v, %v, want %+v", data, b, err, a)
		}
	})
}

// FuzzParseRequest: the request-file parser never panics, accepts only
// valid names, and what it accepts survives being written and read again.
func FuzzParseRequest(f *testing.F) {
	f.Add(mustEncodeFuzz(f))
	f.Add([]byte(`{"id":"a","sessionId":"s","server":"x","tool":"y","arguments":{},"rule":"","reason":"","escalatedRoles":["nope"],"values":[],"created":"2025-01-01T00:00:00Z","expires":"2025-01-01T00:05:00Z"}`))
	f.Add([]byte(`{"id":"../a","sessionId":"s","server":"x","tool":"y","arguments":{"p":1e999},"rule":"","reason":"","escalatedRoles":[],"values":[{"role":"write-path","arg":"p","value":"/a","host":"h","x":1}],"created":"x","expires":"y"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		pr, err := parseRequest("f", data)
		if err != nil {
			return
		}
		if !validName(pr.req.ID) || !validName(pr.req.SessionID) || pr.req.Server == "" || pr.req.Tool == "" {
			t.Fatalf("parseRequest(%q) accepted %+v", data, pr.req)
		}
		again, err := encodeRequest(pr.req, pr.created, pr.expires)
		if err != nil {
			return // e.g. a number literal encoding/json will not re-emit
		}
		pr2, err := parseRequest("f", again)
		if err != nil {
			t.Fatalf("re-read of %q: %v", again, err)
		}
		if pr2.req.ID != pr.req.ID || !pr2.created.Equal(pr.created) || !pr2.expires.Equal(pr.expires) || len(pr2.req.Values) != len(pr.req.Values) {
			t.Fatalf("round trip changed %+v into %+v", pr, pr2)
		}
	})
}

func mustEncodeFuzz(f *testing.F) []byte {
	req := writeReq()
	req.ID, req.SessionID = "id1", "s1"
	data, err := encodeRequest(req, time.Unix(0, 0), time.Unix(300, 0))
	if err != nil {
		f.Fatal(err)
	}
	return data
}

// FuzzTerminalSafe: nothing that can steer a terminal survives escaping.
func FuzzTerminalSafe(f *testing.F) {
	for _, s := range []string{"plain", "\x1b[2J\x07", "\u009b31m", "a\u202eb", "\xff\xfe", "line\nbreak\r", "\u2028"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := TerminalSafe(s)
		if !utf8.ValidString(out) {
			t.Fatalf("TerminalSafe(%q) = %q: invalid UTF-8", s, out)
		}
		for _, r := range out {
			if r < 0x20 || (r >= 0x7f && r < 0xa0) || unicode.Is(unicode.Cf, r) || r == '\u2028' || r == '\u2029' {
				t.Fatalf("TerminalSafe(%q) = %q: contains %U", s, out, r)
			}
		}
	})
}
