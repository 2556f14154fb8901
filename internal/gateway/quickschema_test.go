package gateway

import (
	"encoding/json"
	"testing"

	"github.com/ironcurtain/ironcurtain-go/internal/jsondoc"
)

// quickSchemas are input schemas of the shapes servers advertise.
var quickSchemas = []string{
	`{"type":"object","properties":{"path":{"type":"string"},"head":{"type":"number"},"tail":{"type":"integer"}},"required":["path"],"additionalProperties":false}`,
	`{"$schema":"http://json-schema.org/draft-07/schema#","type":"object","properties":{"url":{"type":"string","description":"u"},"headers":{"type":"object","additionalProperties":{"type":"string"}},"format":{"type":"string","enum":["markdown","text"],"default":"markdown"},"max_length":{"type":"number","default":5000}},"required":["url"]}`,
	`{"type":"object","properties":{"paths":{"type":"array","items":{"type":"string"}},"flag":{"type":["boolean","null"]},"any":true,"mixed":{"enum":["a",1]}}}`,
	`{"type":"object","properties":{"n":{"type":"integer","minimum":0}}}`,
	`{"type":"object","properties":{"s":{"type":"string","pattern":"^a"}},"additionalProperties":false}`,
	`{"type":"object"}`,
}

func TestQuickSchemaIsUsed(t *testing.T) {
	for _, tc := range []struct {
		schema int
		args   string
		sure   bool
	}{
		{0, `{"path":"/a","head":3}`, true},
		{0, `{"path":"/a","tail":2}`, true},
		{0, `{"path":"/a","tail":2.5}`, false},
		{0, `{"path":"/a","extra":1}`, false},
		{0, `{"head":3}`, false},
		{0, `{"path":"/a","head":1e999}`, false},
		{1, `{"url":"https://x","format":"text","headers":{"Accept":"a"},"other":[1]}`, true},
		{1, `{"url":"https://x","format":"pdf"}`, false},
		{2, `{"paths":["a","b"],"flag":null,"any":{"x":[]}}`, true},
		{2, `{"mixed":"a"}`, false},
		{5, `{"anything":[1,{"at":"all"}]}`, true},
	} {
		_, quick, err := compileSchema(json.RawMessage(quickSchemas[tc.schema]))
		if err != nil || quick == nil {
			t.Fatalf("schema %d: %v (quick check %v)", tc.schema, err, quick)
		}
		v, err := jsondoc.Parse([]byte(tc.args), 0)
		if err != nil {
			t.Fatal(err)
		}
		if got := quick.sure(v); got != tc.sure {
			t.Errorf("schema %d, %s: sure = %v, want %v", tc.schema, tc.args, got, tc.sure)
		}
	}
	for _, i := range []int{3, 4} {
		if _, quick, _ := compileSchema(json.RawMessage(quickSchemas[i])); quick != nil {
			t.Errorf("schema %d uses keywords the quick check does not know, yet it has one", i)
		}
	}
}

// FuzzQuickSchema: whatever the quick check is sure of, the general
// validator accepts.
func FuzzQuickSchema(f *testing.F) {
	for i := range quickSchemas {
		for _, a := range []string{`{"path":"x","head":1}`, `{"url":"u","format":"text"}`, `{"paths":["a"],"flag":true}`, `{}`, `{"n":-1}`} {
			f.Add(uint8(i), []byte(a))
		}
	}
	f.Fuzz(func(t *testing.T, which uint8, args []byte) {
		resolved, quick, err := compileSchema(json.RawMessage(quickSchemas[int(which)%len(quickSchemas)]))
		if err != nil {
			t.Fatal(err)
		}
		v, err := jsondoc.Parse(args, 1<<16)
		if err != nil || quick == nil || !quick.sure(v) {
			return
		}
		if err := resolved.Validate(validationView(v.Interface())); err != nil {
			t.Fatalf("%s: the quick check was sure, the validator says %v", args, err)
		}
	})
}
