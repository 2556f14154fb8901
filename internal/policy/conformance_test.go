package policy_test

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/ironcurtain/ironcurtain-go/internal/gitremote"
	"github.com/ironcurtain/ironcurtain-go/internal/policy"
	"github.com/ironcurtain/ironcurtain-go/internal/resource"
	"github.com/ironcurtain/ironcurtain-go/internal/scenario"
)

// conformanceDir finds ../shared/conformance beside the project, or the
// directory named by IRONCURTAIN_CONFORMANCE_DIR.
func conformanceDir(t testing.TB) string {
	t.Helper()
	dir := os.Getenv("IRONCURTAIN_CONFORMANCE_DIR")
	if dir == "" {
		dir = filepath.Join("..", "..", "..", "shared", "conformance")
	}
	if _, err := os.Stat(filepath.Join(dir, "ironcurtain-ts-decisions.tsv")); err != nil {
		t.Skipf("conformance data not found at %s (it lives in ../shared beside the project): %v", dir, err)
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		t.Fatal(err)
	}
	return abs
}

type conformanceSet struct {
	Name             string              `json:"name"`
	CompiledPolicy   string              `json:"compiledPolicy"`
	ToolAnnotations  string              `json:"toolAnnotations"`
	DynamicLists     *string             `json:"dynamicLists"`
	Scenarios        string              `json:"scenarios"`
	Home             string              `json:"home"`
	SandboxDir       string              `json:"sandboxDir"`
	ProtectedPaths   []string            `json:"protectedPaths"`
	DomainAllowlists map[string][]string `json:"serverDomainAllowlists"`
	TrustedServers   []string            `json:"trustedServers"`
}

type oracleRow struct {
	expected, decision, rule string
}

func loadOracle(t testing.TB, dir string) map[string]oracleRow {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, "ironcurtain-ts-decisions.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows := make(map[string]oracleRow)
	sc := bufio.NewScanner(f)
	header := true
	for sc.Scan() {
		if header {
			header = false
			continue
		}
		fields := strings.Split(sc.Text(), "\t")
		if len(fields) != 4 {
			t.Fatalf("oracle line %q: want 4 fields", sc.Text())
		}
		rows[fields[0]] = oracleRow{fields[1], fields[2], fields[3]}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return rows
}

type conformanceCase struct {
	id   string
	set  string
	call policy.Call
	eng  *policy.Engine
}

// loadConformance builds one engine per set and returns every scenario
// with its engine, in file order.
func loadConformance(t testing.TB) ([]conformanceCase, map[string]oracleRow) {
	t.Helper()
	dir := conformanceDir(t)
	tsDir := filepath.Join(dir, "ironcurtain-ts")
	cwd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	expand := func(s string) string {
		return strings.NewReplacer("${DIR}", tsDir, "${CWD}", cwd).Replace(s)
	}
	data, err := os.ReadFile(filepath.Join(dir, "ironcurtain-ts-sets.json"))
	if err != nil {
		t.Fatal(err)
	}
	var sets []conformanceSet
	if err := json.Unmarshal(data, &sets); err != nil {
		t.Fatal(err)
	}
	var cases []conformanceCase
	for _, s := range sets {
		if len(s.TrustedServers) > 0 {
			t.Fatalf("set %s: trusted servers are not supported", s.Name)
		}
		lists := ""
		if s.DynamicLists != nil {
			lists = expand(*s.DynamicLists)
		}
		pol, err := policy.LoadPolicy(expand(s.CompiledPolicy), lists)
		if err != nil {
			t.Fatalf("set %s: %v", s.Name, err)
		}
		ann, err := policy.LoadAnnotations(expand(s.ToolAnnotations))
		if err != nil {
			t.Fatalf("set %s: %v", s.Name, err)
		}
		var protected []string
		for _, p := range s.ProtectedPaths {
			protected = append(protected, expand(p))
		}
		eng, err := policy.New(policy.Config{
			Policy:           pol,
			Annotations:      ann,
			Home:             s.Home,
			Sandbox:          s.SandboxDir,
			Protected:        protected,
			DomainAllowlists: s.DomainAllowlists,
			FS:               resource.OSFS{},
			Remotes:          gitremote.Git{},
		})
		if err != nil {
			t.Fatalf("set %s: %v", s.Name, err)
		}
		scs, err := scenario.Load(expand(s.Scenarios))
		if err != nil {
			t.Fatalf("set %s: %v", s.Name, err)
		}
		rel := strings.TrimPrefix(expand(s.Scenarios), tsDir+"/")
		for i, sc := range scs {
			cases = append(cases, conformanceCase{
				id:   rel + "#" + itoa(i),
				set:  s.Name,
				call: sc.Call,
				eng:  eng,
			})
		}
	}
	return cases, loadOracle(t, dir)
}

func itoa(i int) string {
	b, _ := json.Marshal(i)
	return string(b)
}

// TestConformance compares every decision with the TypeScript engine's.
// Each disagreement must be a deliberate difference listed (and explained
// in docs/POLICY.md); a listed difference that no longer differs is stale.
func TestConformance(t *testing.T) {
	cases, oracle := loadConformance(t)
	if len(cases) != len(oracle) {
		t.Errorf("loaded %d scenarios, oracle has %d rows", len(cases), len(oracle))
	}
	agree := 0
	var unexpected []string
	seenDiff := map[string]bool{}
	for _, c := range cases {
		row, ok := oracle[c.id]
		if !ok {
			t.Errorf("%s: not in the oracle", c.id)
			continue
		}
		d := c.eng.Decide(c.call)
		got := d.Verdict.String()
		if got == row.decision {
			agree++
			if _, listed := deliberateDifferences[c.id]; listed {
				t.Errorf("%s: listed as a deliberate difference but agrees (%s); remove it from the list", c.id, got)
			}
			continue
		}
		dd, listed := deliberateDifferences[c.id]
		if listed && dd.decision == got {
			seenDiff[c.id] = true
			continue
		}
		call, _ := json.Marshal(c.call)
		unexpected = append(unexpected, c.id+": got "+got+" ("+d.Rule+": "+d.Reason+"), TypeScript "+row.decision+" ("+row.rule+") call "+string(call))
	}
	for id := range deliberateDifferences {
		if !seenDiff[id] {
			if _, ok := oracle[id]; !ok {
				t.Errorf("deliberate difference %s names no oracle row", id)
			}
		}
	}
	sort.Strings(unexpected)
	for _, u := range unexpected {
		t.Error(u)
	}
	t.Logf("%d of %d agree with the TypeScript engine; %d deliberate differences", agree, len(cases), len(seenDiff))
}
