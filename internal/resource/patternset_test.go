package resource

import "testing"

// TestPatternSetAgreesWithPatterns checks the index against the plain
// any-of-Match it replaces, on targets chosen to sit on every boundary.
func TestPatternSetAgreesWithPatterns(t *testing.T) {
	var pats []Pattern
	for _, s := range []string{"*.example.com", "news.example.org", "github.com/owner/repo", "*.co.uk", "xn--bcher-kva.example"} {
		p, err := ParsePattern(s)
		if err != nil {
			t.Fatal(err)
		}
		pats = append(pats, p)
	}
	star, _ := ParsePattern("*")
	targets := [][2]string{
		{"example.com", "example.com"}, {"a.b.example.com", "a.b.example.com"}, {"evilexample.com", "evilexample.com"},
		{"news.example.org", "news.example.org"}, {"old.news.example.org", "old.news.example.org"},
		{"github.com", "github.com/owner/repo"}, {"github.com", "github.com/owner/other"},
		{"bbc.co.uk", "bbc.co.uk"}, {"co.uk", "co.uk"}, {"uk", "uk"}, {"127.0.0.1", "127.0.0.1"},
		{"::1", "::1"}, {"xn--bcher-kva.example", "xn--bcher-kva.example"}, {"", ""}, {"1.2.3.example.com", "1.2.3.example.com"},
	}
	for _, withStar := range []bool{false, true} {
		ps := pats
		if withStar {
			ps = append(append([]Pattern{}, pats...), star)
		}
		set := NewPatternSet(ps)
		for _, tg := range targets {
			want := false
			for _, p := range ps {
				want = want || p.Match(tg[0], tg[1])
			}
			if got := set.Match(tg[0], tg[1]); got != want {
				t.Errorf("star=%v: PatternSet.Match(%q, %q) = %v, want %v", withStar, tg[0], tg[1], got, want)
			}
		}
	}
	if !(PatternSet{}).Empty() || (PatternSet{}).Match("example.com", "example.com") {
		t.Error("zero PatternSet is not empty or matches")
	}
}
