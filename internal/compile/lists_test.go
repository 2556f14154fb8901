package compile

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/ironcurtain/ironcurtain-go/internal/llm/llmtest"
	"github.com/ironcurtain/ironcurtain-go/internal/policy"
)

const webAnnotations = `{"generatedAt":"test","servers":{"web":{"tools":[
{"toolName":"fetch","serverName":"web","args":{"url":["fetch-url"]}}]}}}`

const (
	ruleNews = `{"name":"allow-news","description":"News.","principle":"The agent may read news sites.","if":{"domains":{"roles":["fetch-url"],"allowed":["@news"]}},"then":"allow","reason":"News is public."}`
	defNews  = `{"name":"news","type":"domains","principle":"The agent may read news sites.","generationPrompt":"List popular news sites.","requiresMcp":false}`
)

func webScenarios() llmtest.Turn {
	sc := func(url, want string) string {
		return `{"description":"fetch ` + url + `","request":{"serverName":"web","toolName":"fetch","arguments":{"url":"` + url + `"}},"expectedDecision":"` + want + `","reasoning":"r"}`
	}
	return call(toolScenarios, `{"scenarios":[`+sc("https://nytimes.com/a", "allow")+`,`+sc("https://www.nytimes.com/b", "allow")+`,`+
		sc("https://news.bbc.co.uk/", "deny")+`,`+sc("https://evil.example/", "deny")+`]}`)
}

func webConfig(t *testing.T, srv *llmtest.Server, cache, lists []byte) Config {
	t.Helper()
	f := newFixture(t)
	ann, err := policy.ParseAnnotations("annotations", []byte(webAnnotations))
	if err != nil {
		t.Fatal(err)
	}
	cfg := f.config(provider(t, srv), cache)
	cfg.Annotations, cfg.Servers, cfg.Lists = ann, []string{"web"}, lists
	cfg.Constitution = "The agent may read popular news sites."
	return cfg
}

func readLists(t *testing.T, data []byte) listsDoc {
	t.Helper()
	var doc listsDoc
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatalf("dynamic lists %s: %v", data, err)
	}
	return doc
}

func TestListsResolvedVerifiedAndDeployed(t *testing.T) {
	srv := llmtest.NewAnthropic(t, call(toolRules, `{"rules":[`+ruleNews+`],"listDefinitions":[`+defNews+`]}`),
		call(toolList, `{"values":["NYTimes.com","bbc.co.uk","https://cnn.com/"]}`), call(toolList, `{"values":["NYTimes.com","bbc.co.uk"]}`),
		webScenarios())
	cfg := webConfig(t, srv, nil, nil)
	res := run(t, cfg)
	s := res.Servers[0]
	if !res.Verified() || s.Calls != 4 || len(s.ListDefinitions) != 1 {
		t.Fatalf("Run = verified %v, calls %d, defs %+v, failures %+v, err %q; want verified with 4 calls and 1 list", res.Verified(), s.Calls, s.ListDefinitions, s.Failures, s.Err)
	}
	if got, want := strings.Join(s.Lists["news"].Values, ","), "nytimes.com,*.nytimes.com,bbc.co.uk"; got != want {
		t.Errorf("news values = %s, want %s", got, want)
	}
	if body := string(srv.Requests()[2].Body); !strings.Contains(body, "not a URL") {
		t.Errorf("the repair request does not name the URL value: %s", body)
	}
	art, err := res.Render()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(art.Policy), `"listDefinitions"`) || art.Lists == nil {
		t.Fatalf("Render = policy %s, lists %s; want listDefinitions and a lists file", art.Policy, art.Lists)
	}
	dir := filepath.Join(cfg.Home, "generated")
	if err := Deploy(dir, art, false); err != nil {
		t.Fatal(err)
	}
	pol, err := policy.LoadPolicy(filepath.Join(dir, PolicyFile), filepath.Join(dir, ListsFile))
	if err != nil || len(pol.Warnings) != 0 || !slices.Contains(pol.Rules[0].If.Domains.Allowed, "*.nytimes.com") {
		t.Fatalf("deployed policy = %+v, %v; want @news expanded", pol, err)
	}

	// The user edits the list; an unchanged rerun keeps the edit and asks nothing.
	doc := readLists(t, art.Lists)
	doc.Lists["news"].ManualAdditions = []string{"example.org"}
	doc.Lists["news"].ManualRemovals = []string{"bbc.co.uk"}
	edited, _ := json.Marshal(doc)
	cache, err := os.ReadFile(filepath.Join(dir, CacheFile))
	if err != nil {
		t.Fatal(err)
	}
	idle := llmtest.NewAnthropic(t)
	res2 := run(t, webConfig(t, idle, cache, edited))
	art2, err := res2.Render()
	if err != nil {
		t.Fatal(err)
	}
	got := readLists(t, art2.Lists).Lists["news"]
	if n := len(idle.Requests()); n != 0 || !res2.Servers[0].Cached || got.ManualAdditions[0] != "example.org" || got.ManualRemovals[0] != "bbc.co.uk" {
		t.Errorf("rerun = %d requests, cached %v, lists %+v; want 0, true, manual edits kept", n, res2.Servers[0].Cached, got)
	}

	// A new constitution with the same list definition: the list is reused.
	again := llmtest.NewAnthropic(t, call(toolRules, `{"rules":[`+ruleNews+`],"listDefinitions":[`+defNews+`]}`), webScenarios())
	cfg3 := webConfig(t, again, cache, edited)
	cfg3.Constitution += " Nothing else."
	if res3 := run(t, cfg3); !res3.Verified() || len(again.Requests()) != 2 {
		t.Errorf("changed constitution = verified %v, %d requests; want verified with 2 (no list request)", res3.Verified(), len(again.Requests()))
	}
}

func TestUndefinedOrBadListFailsServer(t *testing.T) {
	for _, tc := range []struct {
		name  string
		turns []llmtest.Turn
		want  string
	}{
		{"undefined list", []llmtest.Turn{call(toolRules, `{"rules":[`+ruleNews+`]}`), call(toolRules, `{"rules":[`+ruleNews+`]}`)}, "@lists"},
		{"bad definition", []llmtest.Turn{
			call(toolRules, `{"rules":[`+ruleNews+`],"listDefinitions":[`+strings.Replace(defNews, `"domains"`, `"urls"`, 1)+`]}`),
			call(toolRules, `{"rules":[`+ruleNews+`],"listDefinitions":[`+strings.Replace(defNews, `"news"`, `"News!"`, 1)+`]}`)}, "list name"},
		{"bad values twice", []llmtest.Turn{call(toolRules, `{"rules":[`+ruleNews+`],"listDefinitions":[`+defNews+`]}`),
			call(toolList, `{"values":[]}`), call(toolList, `{"values":["a b"]}`)}, "resolve-list"},
	} {
		srv := llmtest.NewAnthropic(t, tc.turns...)
		res := run(t, webConfig(t, srv, nil, nil))
		if s := res.Servers[0]; s.Verified() || !strings.Contains(s.Err, tc.want) {
			t.Errorf("%s: Run = verified %v, err %q; want a failed server naming %s", tc.name, s.Verified(), s.Err, tc.want)
		}
	}
}

func TestParseListValues(t *testing.T) {
	for _, tc := range []struct {
		typ, in, want string // want: joined values, or "!substring" of the error
	}{
		{"domains", `{"values":["Example.com","*.dev.example","a.b.example"]}`, "example.com,*.example.com,*.dev.example,a.b.example"},
		{"domains", `{"values":["example.com","*.example.com"]}`, "example.com,*.example.com"},
		{"domains", `{"values":["bad pattern"]}`, "!values[0]"},
		{"domains", `{"values":["*.*.x"]}`, "!values[0]"},
		{"emails", `{"values":["Bob@Example.com"]}`, "bob@example.com"},
		{"emails", `{"values":["bob"]}`, "!values[0]"},
		{"identifiers", `{"values":["Owner","x\u200by"]}`, "!values[1]"},
		{"identifiers", `{"values":[]}`, "!0 values"},
		{"emails", `{"values":["a@b"],"more":1}`, "!unknown field"},
	} {
		got, err := parseListValues(tc.typ, json.RawMessage(tc.in))
		if want, isErr := strings.CutPrefix(tc.want, "!"); isErr {
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("parseListValues(%s, %s) = %v, %v, want an error containing %q", tc.typ, tc.in, got, err, want)
			}
			continue
		}
		if err != nil || strings.Join(got, ",") != tc.want {
			t.Errorf("parseListValues(%s, %s) = %v, %v, want %s", tc.typ, tc.in, got, err, tc.want)
		}
	}
}

func TestRefreshLists(t *testing.T) {
	pol := `{"rules":[` + strings.Replace(ruleNews, `"if":{`, `"if":{"server":["web"],`, 1) + `],"listDefinitions":[` + defNews + `,` +
		strings.NewReplacer(`"news"`, `"team"`, `"domains"`, `"emails"`).Replace(defNews) + `]}`
	lists := `{"generatedAt":"x","lists":{"news":{"values":["old.example"],"manualAdditions":["mine.example"],"manualRemovals":[],"resolvedAt":"x","inputHash":"h"},` +
		`"team":{"values":["a@b.example"],"manualAdditions":[],"manualRemovals":[],"resolvedAt":"x","inputHash":"h"}}}`
	srv := llmtest.NewAnthropic(t, call(toolList, `{"values":["new.example"]}`))
	var log strings.Builder
	out, err := RefreshLists(context.Background(), RefreshConfig{Provider: provider(t, srv), Policy: []byte(pol), Lists: []byte(lists), Only: "news", Log: &log})
	if err != nil {
		t.Fatal(err)
	}
	doc := readLists(t, out)
	if got := doc.Lists["news"]; strings.Join(got.Values, ",") != "new.example,*.new.example" || got.ManualAdditions[0] != "mine.example" {
		t.Errorf("refreshed news = %+v, want new values and the manual addition kept", got)
	}
	if got := doc.Lists["team"]; got.Values[0] != "a@b.example" || got.InputHash != "h" {
		t.Errorf("team = %+v, want untouched", got)
	}
	if !strings.Contains(log.String(), "resolve-list") || len(srv.Requests()) != 1 {
		t.Errorf("log %q, %d requests; want one logged resolve-list request", log.String(), len(srv.Requests()))
	}
	idle := llmtest.NewAnthropic(t)
	if _, err := RefreshLists(context.Background(), RefreshConfig{Provider: provider(t, idle), Policy: []byte(pol), Only: "nope"}); !errors.Is(err, ErrUnknownList) {
		t.Errorf("RefreshLists(nope) = %v, want ErrUnknownList", err)
	}
}
