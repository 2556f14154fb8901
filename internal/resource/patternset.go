package resource

// PatternSet answers "does any of these patterns admit this target" in time
// proportional to the target's labels, not to the number of patterns: a
// policy may expand a @list into hundreds of domains, and every URL value is
// checked against it on the hot path.
type PatternSet struct {
	any    bool
	hosts  map[string]struct{}
	suffix map[string]struct{}
	full   map[string]struct{}
}

// NewPatternSet indexes pats. The zero PatternSet matches nothing.
func NewPatternSet(pats []Pattern) PatternSet {
	s := PatternSet{}
	add := func(m *map[string]struct{}, v string) {
		if *m == nil {
			*m = make(map[string]struct{})
		}
		(*m)[v] = struct{}{}
	}
	for _, p := range pats {
		switch p.kind {
		case patAny:
			s.any = true
		case patSuffix:
			add(&s.suffix, p.value)
		case patHost:
			add(&s.hosts, p.value)
		case patFull:
			add(&s.full, p.value)
		}
	}
	return s
}

// Empty reports whether the set holds no pattern.
func (s PatternSet) Empty() bool {
	return !s.any && len(s.hosts) == 0 && len(s.suffix) == 0 && len(s.full) == 0
}

// Match reports whether some pattern of the set admits the target, with the
// same meaning as Pattern.Match.
func (s PatternSet) Match(host, full string) bool {
	if host == "" {
		return false
	}
	if _, ok := s.hosts[host]; ok {
		return true
	}
	if _, ok := s.full[full]; ok && full != "" {
		return true
	}
	if !s.any && len(s.suffix) == 0 {
		return false
	}
	if looksLikeIP(host) {
		return false
	}
	if s.any {
		return true
	}
	// example.com, then every parent on a label boundary.
	for h := host; ; {
		if _, ok := s.suffix[h]; ok {
			return true
		}
		i := indexByte(h, '.')
		if i < 0 {
			return false
		}
		h = h[i+1:]
	}
}

func indexByte(s string, c byte) int {
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			return i
		}
	}
	return -1
}
