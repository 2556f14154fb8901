package annotate

import (
	"encoding/json"
	"testing"

	"github.com/ironcurtain/ironcurtain-go/internal/policy"
)

// FuzzAnswer feeds arbitrary model answers through parsing and validation:
// nothing may panic, and whatever validates must be accepted by the engine.
func FuzzAnswer(f *testing.F) {
	for _, s := range []string{`{"tools":[` + goodRead + `]}`, `{"tools":[` + goodBranch + `]}`, `"oops"`, `{"tools":[{}]}`, `{"tools":[{"server":"fs","tool":"read_file","args":{"path":{"default":[],"when":[{}]}}}]}`} {
		f.Add([]byte(s))
	}
	p := &pending{info: testTools[0], key: "fs/read_file"}
	if err := p.parseSchema(); err != nil {
		f.Fatal(err)
	}
	br := &pending{info: testTools[2], key: "git/git_branch"}
	if err := br.parseSchema(); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		answers, err := ParseAnswer(data)
		if err != nil && answers == nil {
			return
		}
		for _, q := range []*pending{p, br} {
			v := answers[q.key]
			if v == nil {
				continue
			}
			e, _ := validateEntry(q, v)
			if e == nil {
				continue
			}
			doc, err := renderFile("", map[string]*serverOut{e.Server: {Tools: []json.RawMessage{e.render()}}})
			if err != nil {
				t.Fatalf("render valid entry: %v", err)
			}
			if _, err := policy.ParseAnnotations("fuzz", doc); err != nil {
				t.Fatalf("engine refuses a validated entry: %v", err)
			}
		}
	})
}
