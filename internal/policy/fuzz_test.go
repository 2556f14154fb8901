package policy_test

import (
	"testing"

	"github.com/ironcurtain/ironcurtain-go/internal/policy"
)

// FuzzParsePolicy: the loader never panics, and never returns both a
// policy and an error (no half-loaded policy).
func FuzzParsePolicy(f *testing.F) {
	f.Add([]byte(`{"rules":[{"name":"a","if":{"server":["x"]},"then":"allow"}]}`), []byte(`{"lists":{}}`))
	f.Add([]byte(`{"rules":[{"name":"a","if":{"domains":{"roles":["fetch-url"],"allowed":["@l"]}},"then":"escalate"}]}`), []byte(`{"lists":{"l":{"values":["*.x.com"]}}}`))
	f.Fuzz(func(t *testing.T, pol, lists []byte) {
		p, err := policy.ParsePolicy("p.json", pol, "l.json", lists)
		if (p == nil) == (err == nil) {
			t.Fatalf("ParsePolicy = %v, %v: want exactly one", p, err)
		}
	})
}

// FuzzParseAnnotations: same contract for annotation files.
func FuzzParseAnnotations(f *testing.F) {
	f.Add([]byte(`{"servers":{"s":{"tools":[{"toolName":"t","args":{"p":{"default":["read-path"],"when":[{"condition":{"arg":"p","in":["a"]},"roles":["read-path"]}]}}}]}}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		a, err := policy.ParseAnnotations("a.json", data)
		if (a == nil) == (err == nil) {
			t.Fatalf("ParseAnnotations = %v, %v: want exactly one", a, err)
		}
	})
}

// FuzzDecide feeds arbitrary call JSON to a real engine: it never panics,
// and every call that is not allowed names the rule that decided.
func FuzzDecide(f *testing.F) {
	for _, s := range []string{
		`{"serverName":"filesystem","toolName":"read_file","arguments":{"path":"~/Documents/../.ironcurtain/x"}}`,
		`{"serverName":"fetch","toolName":"http_fetch","arguments":{"url":"http://0x7f.1/"}}`,
		`{"serverName":"git","toolName":"git_push","arguments":{"path":".","remote":"git@github.com:a/b.git","branch":"x"}}`,
		`{"serverName":"filesystem","toolName":"read_multiple_files","arguments":{"paths":["a","/etc/passwd",""]}}`,
	} {
		f.Add([]byte(s))
	}
	eng := newFixture(f, map[string][]string{"git": {"github.com"}}, fakeRemotes{"origin": "https://github.com/a/b"})
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := policy.ParseCall(data)
		if err != nil {
			return
		}
		d := eng.eng.Decide(c)
		if d.Rule == "" {
			t.Fatalf("Decide(%s) = %v with no rule", data, d.Verdict)
		}
		if d.Verdict == policy.Allow {
			// An allowed call's canonical paths never name the protected home.
			for _, v := range d.Arguments {
				if s, ok := v.(string); ok && len(s) > 0 && s[0] == '/' && withinDir(s, eng.home+"/.ironcurtain") && !withinDir(s, eng.sandbox) {
					t.Fatalf("Decide(%s) allowed protected path %s", data, s)
				}
			}
		}
	})
}

func withinDir(p, dir string) bool {
	return p == dir || len(p) > len(dir) && p[:len(dir)] == dir && p[len(dir)] == '/'
}
